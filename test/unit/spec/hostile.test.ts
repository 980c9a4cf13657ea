import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import { issuesOf } from '../../helpers/spec-issues.js';

/** Strings that would break out of SQL quoting or comments if they reached SQL unchecked. */
const HOSTILE = [
  "1 day'; DROP TABLE x; --",
  '"; drop',
  '$$',
  '$prism$',
  '1 day’', // right single quotation mark
  '1 dayʼ', // modifier letter apostrophe
  '1 day＂', // fullwidth quotation mark
  '1 day\n; DROP TABLE x',
  '1 day\r\nDROP TABLE x',
  '1 day -- comment',
  '1 day /* x */',
  '1 day\u0000',
  '１ day', // fullwidth digit
  'id‘', // left single quotation mark in a name
  'a\u200bb', // zero-width space
  'ts; DROP TABLE x',
  'Robert"); DROP TABLE students;--',
];

/** The places a hostile string can go; `{}` is replaced by its YAML double-quoted form. */
const PLACES: Record<string, { line: number; template: string[] }> = {
  'model name': {
    line: 2,
    template: ['models:', '  - name: {}', '    fields: [{name: ts, type: datetime}]'],
  },
  table: {
    line: 3,
    template: [
      'models:',
      '  - name: M',
      '    table: {}',
      '    fields: [{name: ts, type: datetime}]',
    ],
  },
  'field name': {
    line: 4,
    template: ['models:', '  - name: M', '    fields:', '      - name: {}', '        type: text'],
  },
  time_column: {
    line: 5,
    template: [
      'models:',
      '  - name: M',
      '    fields: [{name: ts, type: datetime}]',
      '    timeseries:',
      '      time_column: {}',
    ],
  },
  chunk_interval: {
    line: 6,
    template: [
      'models:',
      '  - name: M',
      '    fields: [{name: ts, type: datetime}]',
      '    timeseries:',
      '      time_column: ts',
      '      chunk_interval: {}',
    ],
  },
  'compression after': {
    line: 7,
    template: [
      'models:',
      '  - name: M',
      '    fields: [{name: ts, type: datetime}]',
      '    timeseries:',
      '      time_column: ts',
      '      compression:',
      '        after: {}',
    ],
  },
  drop_after: {
    line: 7,
    template: [
      'models:',
      '  - name: M',
      '    fields: [{name: ts, type: datetime}]',
      '    timeseries:',
      '      time_column: ts',
      '      retention:',
      '        drop_after: {}',
    ],
  },
  segment_by: {
    line: 7,
    template: [
      'models:',
      '  - name: M',
      '    fields: [{name: ts, type: datetime}]',
      '    timeseries:',
      '      time_column: ts',
      '      compression:',
      '        segment_by: [{}]',
    ],
  },
  order_by: {
    line: 7,
    template: [
      'models:',
      '  - name: M',
      '    fields: [{name: ts, type: datetime}]',
      '    timeseries:',
      '      time_column: ts',
      '      compression:',
      '        order_by: [{}]',
    ],
  },
  'index column': {
    line: 7,
    template: [
      'models:',
      '  - name: M',
      '    fields: [{name: ts, type: datetime}]',
      '    timeseries:',
      '      time_column: ts',
      '      indexes:',
      '        - columns: [{}]',
    ],
  },
  'index name': {
    line: 8,
    template: [
      'models:',
      '  - name: M',
      '    fields: [{name: ts, type: datetime}]',
      '    timeseries:',
      '      time_column: ts',
      '      indexes:',
      '        - columns: [ts]',
      '          name: {}',
    ],
  },
};

describe('hostile strings are refused, with a position', () => {
  for (const [place, { line, template }] of Object.entries(PLACES)) {
    it(`in ${place}`, () => {
      for (const hostile of HOSTILE) {
        // JSON string syntax is valid YAML double-quoted syntax, escapes included.
        const text = template.join('\n').replace('{}', JSON.stringify(hostile));
        const issues = issuesOf(text);
        expect(issues.length, `${place}: ${JSON.stringify(hostile)}`).to.be.greaterThan(0);
        expect(issues[0]?.line, `${place}: ${JSON.stringify(hostile)}`).to.equal(line);
        expect(issues[0]?.hint, `${place}: ${JSON.stringify(hostile)}`)
          .to.be.a('string')
          .and.not.equal('');
      }
    });
  }

  it('the place templates are valid with a harmless value', () => {
    const harmless: Record<string, string> = {
      'model name': 'M2',
      table: 'm2',
      'field name': 'f',
      time_column: 'ts',
      chunk_interval: '1 day',
      'compression after': '7 days',
      drop_after: '1 year',
      segment_by: 'ts',
      order_by: 'ts DESC',
      'index column': 'ts',
      'index name': 'm_ts_idx',
    };
    for (const [place, { template }] of Object.entries(PLACES)) {
      const text = template.join('\n').replace('{}', JSON.stringify(harmless[place]));
      // segment_by on the time column alone is allowed; the point is that the template parses.
      expect(() => parseSpec(text, 'p.yaml'), place).to.not.throw();
    }
  });

  it('a text default may hold quotes (it is escaped later) but never NUL', () => {
    const spec = (value: string) =>
      `models:\n  - name: M\n    fields:\n      - name: t\n        type: text\n        default: ${JSON.stringify(value)}\n`;
    const loaded = parseSpec(spec('it\'s "quoted"; --'), 'p.yaml');
    expect(loaded.spec.models[0]?.fields[0]?.default).to.deep.equal({
      kind: 'literal',
      value: 'it\'s "quoted"; --',
    });
    const issue = issuesOf(spec('a\u0000b'))[0];
    expect(issue).to.include({ line: 6, column: 18, message: 'default contains a NUL character' });
  });

  it('enum values may not hold NUL or exceed 63 bytes', () => {
    const spec = (value: string) =>
      `models:\n  - name: M\n    fields:\n      - name: s\n        type: enum\n        values: [ok, ${JSON.stringify(value)}]\n`;
    expect(issuesOf(spec('a\u0000'))[0]).to.include({
      line: 6,
      column: 22,
      message: 'an enum value must not contain a NUL character',
    });
    expect(issuesOf(spec('é'.repeat(32)))[0]?.message).to.match(/longer than 63 bytes$/);
    expect(() => parseSpec(spec("o'clock"), 'p.yaml')).to.not.throw();
  });

  it('a YAML alias bomb is refused instead of expanding', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i += 1)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    lines.push('models: []');
    const issues = issuesOf(lines.join('\n'));
    expect(issues[0]?.message).to.match(/^cannot read the YAML document: /);
  });
});
