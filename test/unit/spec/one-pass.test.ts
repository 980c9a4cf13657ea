/**
 * Every problem of a spec in one pass: a structural error stops only the checks that
 * would read the wrong value, in its own model.
 */
import { expect } from 'chai';
import type { SpecIssue } from '../../../lib/errors.js';
import { issuesOf } from '../../helpers/spec-issues.js';

function summary(issues: readonly SpecIssue[]): string[] {
  return issues.map((i) => `${i.line}:${i.column} ${i.message}`);
}

function expectHints(issues: readonly SpecIssue[]): void {
  for (const issue of issues)
    expect(issue.hint, issue.message).to.be.a('string').with.length.greaterThan(0);
}

const hypertable = (name: string, timeseries: string[], fields: string[] = []) => [
  `  - name: ${name}`,
  '    fields:',
  '      - { name: id, type: uuid }',
  '      - { name: t, type: datetime }',
  '      - { name: source, type: string }',
  ...fields,
  '    timeseries:',
  '      time_column: t',
  ...timeseries.map((l) => `      ${l}`),
];

describe('spec problems in one pass', () => {
  it('a structural error, a bad column and a bad interval in three models: all three at once', () => {
    const text = [
      'models:',
      '  - name: Alpha',
      '    fields:',
      '      - name: id',
      '        type: uuid',
      '        max_lenght: 10',
      ...hypertable('Beta', ['compression: { segment_by: [sorce] }']),
      ...hypertable('Gamma', ['chunk_interval: 7 dayz']),
    ].join('\n');
    const issues = issuesOf(text);
    expect(summary(issues)).to.deep.equal([
      "6:9 unknown key 'max_lenght' in field 'id'",
      "14:35 segment_by column 'sorce' is not a field of model 'Beta'",
      '22:23 chunk_interval: invalid interval "7 dayz": unknown unit "dayz"',
    ]);
    expect(issues.map((i) => i.file)).to.deep.equal(['prism.yaml', 'prism.yaml', 'prism.yaml']);
    expect(issues[0]?.hint).to.match(/^did you mean 'max_length'\?/);
    expect(issues[1]?.hint).to.equal("did you mean 'source'?");
    expect(issues[2]?.hint).to.match(/^did you mean 'day'\?/);
  });

  it('an unknown key in a field does not hide the timeseries problems of its model', () => {
    const text = [
      'models:',
      ...hypertable(
        'Reading',
        ['chunk_intervall: 1 day', 'retention: { drop_after: 1 yeer }'],
        ['      - { name: value, type: float, optinal: true }'],
      ),
    ].join('\n');
    const issues = issuesOf(text);
    expect(summary(issues)).to.deep.equal([
      "7:37 unknown key 'optinal' in field 'value'",
      "10:7 unknown key 'chunk_intervall' in 'timeseries' of model 'Reading'",
      '11:32 drop_after: invalid interval "1 yeer": unknown unit "yeer"',
    ]);
    expectHints(issues);
  });

  it('a wrong field type: the field is still there by name for the timeseries checks', () => {
    const text = [
      'models:',
      ...hypertable(
        'Reading',
        ['compression: { segment_by: [value, sorce] }'],
        ['      - { name: value, type: flaot }', '      - { name: kind, type: enum }'],
      ),
    ].join('\n');
    const issues = issuesOf(text);
    expect(summary(issues)).to.deep.equal([
      '7:30 "flaot" is not a valid type',
      "8:9 enum field 'kind' needs values",
      "11:42 segment_by column 'sorce' is not a field of model 'Reading'",
    ]);
    expectHints(issues);
  });

  it('a wrong type on the time column skips only the checks that need that type', () => {
    const text = [
      'models:',
      '  - name: Reading',
      '    fields:',
      '      - { name: t, type: datetiem }',
      '      - { name: source, type: string, max_length: 0 }',
      '    timeseries:',
      '      time_column: t',
      '      chunk_interval: 7 dayz',
      '      compression: { segment_by: [sorce] }',
    ].join('\n');
    const issues = issuesOf(text);
    // The interval is not judged: whether it must be text or a number depends on the type.
    expect(summary(issues)).to.deep.equal([
      '4:26 "datetiem" is not a valid type',
      '5:51 models[0].fields[1].max_length must be greater than or equal to 1',
      "9:35 segment_by column 'sorce' is not a field of model 'Reading'",
    ]);
  });

  it('a wrong value in the timeseries block skips its checks, not those of the fields', () => {
    const text = [
      'models:',
      ...hypertable(
        'Reading',
        ['retention: { drop_after: [1 year] }', 'compression: { segment_by: [sorce] }'],
        ['      - { name: amount, type: decimal, precision: 4, scale: 6 }'],
      ),
    ].join('\n');
    const messages = issuesOf(text).map((i) => i.message);
    expect(messages).to.have.length(2);
    expect(messages[0]).to.equal('scale 6 is larger than precision 4');
    expect(messages[1]).to.match(/^models\[0\]\.timeseries\.retention\.drop_after must be/);
    // Neither "retention needs drop_after" (it was left out as wrong) nor the segment_by column.
  });

  it('a field without a usable name: the other fields are checked, nothing refers to it', () => {
    const text = [
      'models:',
      ...hypertable(
        'Reading',
        ['compression: { segment_by: [source] }'],
        [
          '      - { name: 12, type: float }',
          '      - { name: kind, type: enum }',
          '      - { name: kind, type: text }',
        ],
      ),
    ].join('\n');
    const messages = issuesOf(text).map((i) => `${i.line} ${i.message}`);
    expect(messages).to.deep.equal([
      '7 models[0].fields[3].name must be a string, got 12',
      "8 enum field 'kind' needs values",
    ]);
  });

  it('models with structural errors still count for duplicate model names', () => {
    const text = [
      'models:',
      '  - name: Reading',
      '    fields: [{ name: id, type: uuid, colour: red }]',
      '  - name: Reading',
      '    fields: [{ name: id, type: uuid }]',
    ].join('\n');
    expect(summary(issuesOf(text))).to.deep.equal([
      "3:38 unknown key 'colour' in field 'id'",
      "4:11 duplicate model name 'Reading' (first at line 2, column 11)",
    ]);
  });

  it('a model that is not a mapping is skipped whole; the others are checked', () => {
    const text = [
      'models:',
      '  - just text',
      ...hypertable('Reading', ['chunk_interval: 7 dayz']),
    ].join('\n');
    expect(issuesOf(text).map((i) => i.line)).to.deep.equal([2, 10]);
  });
});
