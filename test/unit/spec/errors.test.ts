import { expect } from 'chai';
import type { SpecIssue } from '../../../lib/errors.js';
import { SpecError } from '../../../lib/errors.js';
import { parseSpec } from '../../../lib/spec/load.js';
import { issuesOf } from '../../helpers/spec-issues.js';

/** A valid spec; tests replace single lines, so line numbers below are stable. */
const BASE = [
  /*  1 */ 'models:',
  /*  2 */ '  - name: DataPoint',
  /*  3 */ '    fields:',
  /*  4 */ '      - name: id',
  /*  5 */ '        type: uuid',
  /*  6 */ '        primary_key: true',
  /*  7 */ '      - name: timestamp',
  /*  8 */ '        type: datetime',
  /*  9 */ '      - name: source',
  /* 10 */ '        type: string',
  /* 11 */ '        max_length: 100',
  /* 12 */ '      - name: value',
  /* 13 */ '        type: float',
  /* 14 */ '    timeseries:',
  /* 15 */ '      time_column: timestamp',
  /* 16 */ '      chunk_interval: 1 week',
  /* 17 */ '      compression:',
  /* 18 */ '        after: 1 month',
  /* 19 */ '        segment_by: [source]',
  /* 20 */ '        order_by: [timestamp DESC]',
  /* 21 */ '      retention:',
  /* 22 */ '        drop_after: 1 year',
  /* 23 */ '      indexes:',
  /* 24 */ '        - columns: [source, timestamp]',
];

function edit(changes: Record<number, string>): string {
  return BASE.map((line, i) => changes[i + 1] ?? line).join('\n');
}

function onlyIssue(text: string): SpecIssue {
  const issues = issuesOf(text);
  expect(issues, JSON.stringify(issues, null, 2)).to.have.length(1);
  return issues[0] as SpecIssue;
}

function expectAt(issue: SpecIssue, line: number, column: number): void {
  expect({ line: issue.line, column: issue.column }, issue.message).to.deep.equal({ line, column });
}

describe('spec errors: position, message and hint', () => {
  it('the base spec is valid', () => {
    expect(parseSpec(BASE.join('\n'), 'prism.yaml').spec.models).to.have.length(1);
  });

  it('names the file in every issue and in the error message', () => {
    const text = edit({ 5: '        tyep: uuid', 13: '        type: flaot' });
    const issues = issuesOf(text);
    expect(issues.map((i) => i.file)).to.deep.equal(['prism.yaml', 'prism.yaml', 'prism.yaml']);
    expect(() => parseSpec(text, 'conf/prism.yaml')).to.throw(
      SpecError,
      /^conf\/prism\.yaml:4:9: /,
    );
  });

  describe('structure', () => {
    it('a typo in a key points at the key and suggests the right one', () => {
      const issues = issuesOf(edit({ 11: '        max_lenght: 100' }));
      expect(issues).to.have.length(1);
      const issue = issues[0] as SpecIssue;
      expectAt(issue, 11, 9);
      expect(issue.message).to.equal("unknown key 'max_lenght' in field 'source'");
      expect(issue.hint).to.match(
        /^did you mean 'max_length'\? valid keys: name, type, max_length/,
      );
    });

    it('a typo in a timeseries key suggests the timeseries key', () => {
      const issue = onlyIssue(edit({ 16: '      chunk_intervall: 1 week' }));
      expectAt(issue, 16, 7);
      expect(issue.message).to.equal(
        "unknown key 'chunk_intervall' in 'timeseries' of model 'DataPoint'",
      );
      expect(issue.hint).to.match(/^did you mean 'chunk_interval'\?/);
    });

    it('a misspelt required key reports both the unknown key and the missing one', () => {
      const issues = issuesOf(edit({ 10: '        tpye: string' }));
      expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
        [9, 9, "field 'source' needs a type"],
        [10, 9, "unknown key 'tpye' in field 'source'"],
      ]);
      expect(issues[0]?.hint).to.match(/^add a type, one of: uuid, string,/);
      expect(issues[1]?.hint).to.match(/^did you mean 'type'\?/);
    });

    it('an unknown field type points at the value and lists the types', () => {
      const issue = onlyIssue(edit({ 13: '        type: flaot' }));
      expectAt(issue, 13, 15);
      expect(issue.message).to.equal('"flaot" is not a valid type');
      expect(issue.hint).to.equal(
        "did you mean 'float'? allowed: uuid, string, text, int, bigint, smallint, float, real, double, decimal, boolean, datetime, timestamp, date, time, json, bytea, inet, enum",
      );
    });

    it('an unknown timescale mode lists the modes', () => {
      const issue = onlyIssue(`timescale: always\n${BASE.join('\n')}`);
      expectAt(issue, 1, 12);
      expect(issue.hint).to.equal('allowed: auto, require, off');
    });

    it('a wrong value type says what was expected', () => {
      const issue = onlyIssue(edit({ 6: '        primary_key: yes please' }));
      expectAt(issue, 6, 22);
      expect(issue.message).to.equal(
        'models[0].fields[0].primary_key must be a boolean, got "yes please"',
      );
      expect(issue.hint).to.equal('write true or false');
    });

    it('an empty fields list is refused with an example', () => {
      const issue = onlyIssue('models:\n  - name: A\n    fields: []\n');
      expectAt(issue, 3, 13);
      expect(issue.message).to.equal('models[0].fields must not be empty');
      expect(issue.hint).to.contain('name: id, type: uuid');
    });

    it('a missing value (`fields:` with nothing) points at the key', () => {
      const issue = onlyIssue('models:\n  - name: A\n    fields:\n');
      expectAt(issue, 3, 5);
      expect(issue.message).to.equal('models[0].fields must be a list, got nothing');
    });

    it('a missing time_column points at the timeseries mapping', () => {
      const issue = onlyIssue(
        edit({ 15: '      time_colum: timestamp' }).replace(/\n {6}time_colum: timestamp/, ''),
      );
      // Line 15 was removed, so the mapping now starts with chunk_interval on line 15.
      expectAt(issue, 15, 7);
      expect(issue.message).to.equal(
        "'timeseries' of model 'DataPoint' is missing required key 'time_column'",
      );
      expect(issue.hint).to.contain('datetime, timestamp, date, int or bigint');
    });

    it('an empty document is an error with an example', () => {
      const issue = onlyIssue('# nothing yet\n');
      expectAt(issue, 1, 1);
      expect(issue.message).to.equal('the spec is empty');
      expect(issue.hint).to.contain('models:');
    });
  });

  describe('YAML syntax', () => {
    it('reports the position of a syntax error', () => {
      const issue = onlyIssue(edit({ 19: '        segment_by: [source' }));
      expect(issue.message).to.match(/^YAML syntax error: /);
      expect(issue.line).to.be.within(19, 20);
      expect(issue.hint).to.contain('YAML syntax');
    });

    it('reports a duplicate key at the second key', () => {
      const issue = onlyIssue(edit({ 11: '        type: text' }));
      expectAt(issue, 11, 9);
      expect(issue.message).to.equal('YAML syntax error: Map keys must be unique');
    });

    it('reports a tab-indented line', () => {
      const issue = issuesOf(edit({ 13: '\ttype: float' }))[0] as SpecIssue;
      expect(issue.message).to.match(/^YAML syntax error: /);
      expect(issue.line).to.equal(13);
    });
  });

  describe('intervals', () => {
    it('an unknown interval unit suggests the unit', () => {
      const issue = onlyIssue(edit({ 16: '      chunk_interval: 1 wek' }));
      expectAt(issue, 16, 23);
      expect(issue.message).to.equal(
        'chunk_interval: invalid interval "1 wek": unknown unit "wek"',
      );
      expect(issue.hint).to.match(/^did you mean 'week'\? Units: year, month, week/);
    });

    it('an interval without a unit gets an example', () => {
      const issue = onlyIssue(edit({ 22: '        drop_after: one year' }));
      expectAt(issue, 22, 21);
      expect(issue.message).to.equal(
        'drop_after: invalid interval "one year": "one" is not a whole number',
      );
      expect(issue.hint).to.contain("e.g. '7 days'");
    });

    it('a bare number on a datetime time column asks for a unit', () => {
      const issue = onlyIssue(edit({ 18: '        after: 30' }));
      expectAt(issue, 18, 16);
      expect(issue.message).to.equal(
        "after must be an interval such as '7 days' because time_column 'timestamp' is datetime",
      );
      expect(issue.hint).to.equal('give the number a unit, e.g. `after: 30 days`');
    });

    it('an empty interval gets the interval example, not the identifier rule', () => {
      const issue = onlyIssue(edit({ 16: "      chunk_interval: ''" }));
      expectAt(issue, 16, 23);
      expect(issue.message).to.equal('models[0].timeseries.chunk_interval must not be empty');
      expect(issue.hint).to.contain("'7 days'");
    });

    it('a zero interval is refused', () => {
      const issue = onlyIssue(edit({ 16: '      chunk_interval: 0 days' }));
      expectAt(issue, 16, 23);
      expect(issue.message).to.contain('is zero');
    });
  });

  describe('time column', () => {
    it('an unknown time_column suggests a field', () => {
      const issue = onlyIssue(edit({ 15: '      time_column: timestmp' }));
      expectAt(issue, 15, 20);
      expect(issue.message).to.equal("time_column 'timestmp' is not a field of model 'DataPoint'");
      expect(issue.hint).to.equal("did you mean 'timestamp'?");
    });

    it('an unrelated time_column lists the fields', () => {
      const issue = onlyIssue(edit({ 15: '      time_column: zzzzzz' }));
      expect(issue.hint).to.equal("fields of 'DataPoint': id, timestamp, source, value");
    });

    it('a time column of the wrong type names the usable ones', () => {
      const issue = onlyIssue(
        edit({ 15: '      time_column: value', 20: '        order_by: [value DESC]' }),
      );
      expectAt(issue, 15, 20);
      expect(issue.message).to.equal(
        "time_column 'value' is float; a hypertable needs a datetime, timestamp, date, int or bigint column",
      );
      expect(issue.hint).to.equal("use 'timestamp', or change the type of 'value'");
    });

    it('time_unit on a datetime column points at the key', () => {
      const issue = onlyIssue(edit({ 16: '      time_unit: ms' }));
      expectAt(issue, 16, 7);
      expect(issue.message).to.equal(
        "time_unit only applies to int/bigint time columns; 'timestamp' is datetime",
      );
      expect(issue.hint).to.equal('remove time_unit');
    });
  });

  describe('integer time columns', () => {
    const INT_TIME = [
      /*  1 */ 'models:',
      /*  2 */ '  - name: Reading',
      /*  3 */ '    fields:',
      /*  4 */ '      - name: ts',
      /*  5 */ '        type: bigint',
      /*  6 */ '      - name: v',
      /*  7 */ '        type: float',
      /*  8 */ '    timeseries:',
      /*  9 */ '      time_column: ts',
      /* 10 */ '      time_unit: ms',
      /* 11 */ '      chunk_interval: 86400000',
      /* 12 */ '      compression:',
      /* 13 */ '        after: 604800000',
      /* 14 */ '      retention:',
      /* 15 */ '        drop_after: 7776000000',
    ];
    const intEdit = (changes: Record<number, string>): string =>
      INT_TIME.map((line, i) => changes[i + 1] ?? line).join('\n');

    it('the integer spec is valid and keeps integer amounts', () => {
      const ts = parseSpec(INT_TIME.join('\n'), 'p.yaml').spec.models[0]?.timeseries;
      expect(ts?.chunkInterval).to.deep.equal({ kind: 'integer', value: 86_400_000n });
      expect(ts?.retention?.dropAfter).to.deep.equal({ kind: 'integer', value: 7_776_000_000n });
      expect(ts?.timeUnit).to.equal('ms');
    });

    it('an interval string on a bigint column is refused, with its value in the column unit', () => {
      const issue = onlyIssue(intEdit({ 11: '      chunk_interval: 1 day' }));
      expectAt(issue, 11, 23);
      expect(issue.message).to.equal(
        "chunk_interval must be an integer number of time-column units because time_column 'ts' is bigint",
      );
      expect(issue.hint).to.equal(
        'with time_unit ms, 1 day is 86400000: write `chunk_interval: 86400000`',
      );
    });

    it('a quoted number on an integer column is refused too', () => {
      const issue = onlyIssue(intEdit({ 13: "        after: '604800000'" }));
      expectAt(issue, 13, 16);
      expect(issue.hint).to.contain('positive whole number without quotes');
    });

    it('retention without time_unit is an error explaining the integer-now function', () => {
      const issues = issuesOf(intEdit({ 10: '      # no time_unit' }));
      expect(issues).to.have.length(1);
      const issue = issues[0] as SpecIssue;
      expectAt(issue, 15, 21);
      expect(issue.message).to.equal(
        "a retention policy on integer time column 'ts' needs an integer-now function, which TimescaleDB cannot infer from the column",
      );
      expect(issue.hint).to.match(/^set time_unit/);
    });

    it('compression without time_unit is only a warning', () => {
      const text = intEdit({ 10: '      # no time_unit', 14: '', 15: '' });
      const loaded = parseSpec(text, 'p.yaml');
      expect(loaded.warnings.map((w) => [w.line, w.column, w.message])).to.deep.equal([
        [
          13,
          16,
          "the compression policy on integer time column 'ts' needs an integer-now function to run; without time_unit its job will fail",
        ],
      ]);
    });

    it('a negative or fractional amount is refused', () => {
      const issue = onlyIssue(intEdit({ 11: '      chunk_interval: 1.5' }));
      expectAt(issue, 11, 23);
      expect(issue.message).to.equal('models[0].timeseries.chunk_interval must be an integer');
      expect(issue.hint).to.contain("'7 days'");
      expect(onlyIssue(intEdit({ 11: '      chunk_interval: -5' })).message).to.contain(
        'must be a positive number',
      );
    });

    it('an int column cannot count milliseconds', () => {
      const issue = onlyIssue(
        intEdit({
          5: '        type: int',
          11: '      chunk_interval: 3600',
          15: '        drop_after: 7776000',
        }),
      );
      expectAt(issue, 10, 18);
      expect(issue.message).to.contain('an int time column cannot count ms');
      expect(issue.hint).to.equal("make 'ts' bigint, or use time_unit: s");
    });
  });

  describe('columns referenced by timeseries', () => {
    it('segment_by', () => {
      const issue = onlyIssue(edit({ 19: '        segment_by: [sourse]' }));
      expectAt(issue, 19, 22);
      expect(issue.message).to.equal(
        "segment_by column 'sourse' is not a field of model 'DataPoint'",
      );
      expect(issue.hint).to.equal("did you mean 'source'?");
    });

    it('order_by', () => {
      const issue = onlyIssue(edit({ 20: '        order_by: [time DESC]' }));
      expectAt(issue, 20, 20);
      expect(issue.message).to.equal("order_by column 'time' is not a field of model 'DataPoint'");
    });

    it('index columns (second item of a flow list)', () => {
      const issue = onlyIssue(edit({ 24: '        - columns: [source, tstamp]' }));
      expectAt(issue, 24, 29);
      expect(issue.message).to.equal("index column 'tstamp' is not a field of model 'DataPoint'");
    });

    it('a column both in segment_by and order_by', () => {
      const issue = onlyIssue(edit({ 20: '        order_by: [source]' }));
      expectAt(issue, 20, 20);
      expect(issue.message).to.equal("column 'source' is in both segment_by and order_by");
      expect(issue.hint).to.contain('TimescaleDB refuses this');
    });
  });

  describe('order_by syntax', () => {
    const cases: [string, string][] = [
      ['timestamp DOWN', 'unexpected "DOWN"'],
      ['timestamp DESC NULLS', 'NULLS must be followed by FIRST or LAST'],
      ['timestamp DESC NULLS MIDDLE', 'NULLS must be followed by FIRST or LAST'],
      ['timestamp ASC DESC', 'unexpected "DESC"'],
      ['"timestamp" DESC', '"\\"timestamp\\"" is not a valid column name'],
    ];
    for (const [text, reason] of cases) {
      it(`refuses '${text}'`, () => {
        const issue = onlyIssue(
          edit({ 20: `        order_by: ['${text.replaceAll("'", "''")}']` }),
        );
        expectAt(issue, 20, 20);
        expect(issue.message).to.equal(`invalid order_by ${JSON.stringify(text)}: ${reason}`);
        expect(issue.hint).to.equal(
          "write 'column [ASC|DESC] [NULLS FIRST|LAST]', e.g. 'timestamp DESC'",
        );
      });
    }

    it('accepts lower case keywords and NULLS FIRST', () => {
      const loaded = parseSpec(
        edit({ 20: '        order_by: [timestamp desc nulls first]' }),
        'p.yaml',
      );
      expect(loaded.spec.models[0]?.timeseries?.compression?.orderBy).to.deep.equal([
        { column: 'timestamp', direction: 'DESC', nulls: 'FIRST' },
      ]);
    });
  });

  describe('duplicates', () => {
    it('duplicate field names point at the second and name the first', () => {
      const issue = onlyIssue(edit({ 12: '      - name: source', 13: '        type: text' }));
      expectAt(issue, 12, 15);
      expect(issue.message).to.equal("duplicate field name 'source' (first at line 9, column 15)");
      expect(issue.hint).to.equal('each field of a model needs its own name');
    });

    it('duplicate model names', () => {
      const text = `${BASE.join('\n')}\n  - name: DataPoint\n    table: other\n    fields:\n      - name: id\n        type: uuid\n`;
      const issue = onlyIssue(text);
      expectAt(issue, 25, 11);
      expect(issue.message).to.equal(
        "duplicate model name 'DataPoint' (first at line 2, column 11)",
      );
    });

    it('two models mapping to the same table (DataPoint and datapoint)', () => {
      const text = `${BASE.join('\n')}\n  - name: datapoint\n    fields:\n      - name: id\n        type: uuid\n`;
      const issue = onlyIssue(text);
      expectAt(issue, 25, 11);
      expect(issue.message).to.equal(
        "duplicate table name 'datapoint' (first at line 2, column 11)",
      );
      expect(issue.hint).to.contain('set `table:`');
    });

    it('duplicate index names, explicit or derived', () => {
      const issue = onlyIssue(
        edit({
          24: '        - columns: [source, timestamp]\n        - columns: [source, timestamp]\n          type: brin',
        }),
      );
      expectAt(issue, 25, 11);
      expect(issue.message).to.equal(
        "duplicate index name 'datapoint_source_timestamp_idx' (first at line 24, column 11)",
      );
    });

    it('an index named like a table', () => {
      const issue = onlyIssue(
        edit({ 24: '        - columns: [source, timestamp]\n          name: datapoint' }),
      );
      expectAt(issue, 25, 17);
      expect(issue.message).to.equal(
        "index name 'datapoint' is already a table name (first at line 2, column 11)",
      );
    });

    it('duplicate enum values', () => {
      const issue = onlyIssue(
        'models:\n  - name: A\n    fields:\n      - name: s\n        type: enum\n        values: [a, b, a]\n',
      );
      expectAt(issue, 6, 24);
      expect(issue.message).to.equal('duplicate enum value "a" (first at line 6, column 18)');
    });
  });

  describe('identifiers', () => {
    it('a model name with a space', () => {
      const issue = onlyIssue(edit({ 2: '  - name: Data Point' }));
      expectAt(issue, 2, 11);
      expect(issue.message).to.equal('"Data Point" is not a valid model name');
      expect(issue.hint).to.equal(
        "use letters, digits and underscores only, not starting with a digit, at most 63 bytes, e.g. 'Data_Point'",
      );
    });

    it('a field name starting with a digit', () => {
      const issue = onlyIssue(edit({ 12: '      - name: 2nd_value' }));
      expectAt(issue, 12, 15);
      expect(issue.message).to.equal('"2nd_value" is not a valid field name');
      expect(issue.hint).to.contain("e.g. '_2nd_value'");
    });

    it('a table name with a dash', () => {
      const issue = onlyIssue(edit({ 2: '  - name: DataPoint\n    table: data-point' }));
      expectAt(issue, 3, 12);
      expect(issue.message).to.equal('"data-point" is not a valid table name');
      expect(issue.hint).to.contain("e.g. 'data_point'");
    });

    it('a name longer than 63 bytes', () => {
      const long = 'x'.repeat(64);
      const issue = onlyIssue(edit({ 12: `      - name: ${long}` }));
      expectAt(issue, 12, 15);
      expect(issue.message).to.equal(`field name "${long}" is longer than 63 bytes`);
      expect(issue.hint).to.contain('silently truncate');
    });

    it('an index name with a quote', () => {
      const issue = onlyIssue(
        edit({ 24: '        - columns: [source, timestamp]\n          name: idx"x' }),
      );
      expectAt(issue, 25, 17);
      expect(issue.message).to.equal('"idx\\"x" is not a valid index name');
    });
  });

  describe('fields', () => {
    it('a type-specific key on another type points at the key', () => {
      const issue = onlyIssue(edit({ 13: '        type: float\n        max_length: 3' }));
      expectAt(issue, 14, 9);
      expect(issue.message).to.equal('max_length only applies to type string, not float');
      expect(issue.hint).to.equal('remove max_length, or change the type to string');
    });

    it('an enum without values', () => {
      const issue = onlyIssue(
        'models:\n  - name: A\n    fields:\n      - name: s\n        type: enum\n',
      );
      expectAt(issue, 4, 9);
      expect(issue.message).to.equal("enum field 's' needs values");
    });

    it('an enum default that is not a value', () => {
      const issue = onlyIssue(
        'models:\n  - name: A\n    fields:\n      - name: s\n        type: enum\n        values: [on, off]\n        default: maybe\n',
      );
      expectAt(issue, 7, 18);
      expect(issue.message).to.equal('default "maybe" is not one of the enum values');
      expect(issue.hint).to.equal('use one of: on, off');
    });

    const defaults: [string, string, string][] = [
      [
        'int',
        '1.5',
        'default for type int must be a whole number between -2147483648 and 2147483647',
      ],
      [
        'int',
        '3000000000',
        'default for type int must be a whole number between -2147483648 and 2147483647',
      ],
      ['boolean', "'true'", 'default for type boolean must be true or false'],
      ['uuid', 'not-a-uuid', 'default is not a UUID'],
      ['date', '2024-02-30', 'default for type date must be a date'],
      [
        'datetime',
        '2024-01-01T00:00:00',
        'default for type datetime must be a timestamp with a time zone',
      ],
      ['int', 'now()', 'default now() does not fit type int'],
      ['text', '42', 'default for type text must be text'],
      ['json', '"{oops"', 'default for type json must be JSON text'],
    ];
    for (const [type, value, message] of defaults) {
      it(`refuses default ${value} for type ${type}`, () => {
        const issue = onlyIssue(
          `models:\n  - name: A\n    fields:\n      - name: f\n        type: ${type}\n        default: ${value}\n`,
        );
        expectAt(issue, 6, 18);
        expect(issue.message).to.equal(message);
        expect(issue.hint).to.be.a('string').and.not.equal('');
      });
    }

    it('a decimal default that does not fit precision and scale', () => {
      const issue = onlyIssue(
        "models:\n  - name: A\n    fields:\n      - name: f\n        type: decimal\n        precision: 4\n        scale: 2\n        default: '123.4'\n",
      );
      expectAt(issue, 8, 18);
      expect(issue.message).to.equal('default 123.4 does not fit decimal(4, 2)');
    });

    it('a primary key cannot be optional', () => {
      const issue = onlyIssue(edit({ 6: '        primary_key: true\n        optional: true' }));
      expectAt(issue, 7, 19);
      expect(issue.message).to.equal("primary key field 'id' cannot be optional");
    });
  });

  describe('unique keys on hypertables', () => {
    it('unique: true on a non-time field explains TimescaleDB and suggests a timeseries index', () => {
      const issue = onlyIssue(edit({ 11: '        max_length: 100\n        unique: true' }));
      expectAt(issue, 12, 17);
      expect(issue.message).to.equal(
        "a unique index on a hypertable must include the time column 'timestamp': TimescaleDB refuses unique indexes without the partitioning column",
      );
      expect(issue.hint).to.equal(
        'use a timeseries index instead: `indexes: [{columns: [source, timestamp], unique: true}]`',
      );
    });

    it('unique: true on the time column itself is allowed', () => {
      const loaded = parseSpec(
        edit({ 8: '        type: datetime\n        unique: true' }),
        'p.yaml',
      );
      expect(loaded.spec.models[0]?.fields[1]?.unique).to.equal(true);
    });

    it('a unique timeseries index without the time column', () => {
      const issue = onlyIssue(edit({ 24: '        - columns: [source]\n          unique: true' }));
      expectAt(issue, 25, 19);
      expect(issue.message).to.contain("must include the time column 'timestamp'");
      expect(issue.hint).to.contain('columns: [source, timestamp], unique: true');
    });

    it('a unique brin index', () => {
      const issue = onlyIssue(
        edit({
          24: '        - columns: [source, timestamp]\n          type: brin\n          unique: true',
        }),
      );
      expectAt(issue, 25, 17);
      expect(issue.message).to.equal('a brin index cannot be unique');
    });
  });

  describe('retention', () => {
    it('enabled retention needs drop_after', () => {
      const issue = onlyIssue(edit({ 22: '        enabled: true' }));
      expectAt(issue, 22, 9);
      expect(issue.message).to.equal('retention needs drop_after when it is enabled');
      expect(issue.hint).to.contain('enabled: false');
    });

    it('disabled retention without drop_after is no policy', () => {
      const loaded = parseSpec(edit({ 22: '        enabled: false' }), 'p.yaml');
      expect(loaded.spec.models[0]?.timeseries?.retention).to.equal(undefined);
    });
  });

  it('collects every problem of a document in one SpecError, in line order', () => {
    const text = edit({
      2: '  - name: Data Point',
      16: '      chunk_interval: 1 wek',
      20: '        order_by: [time]',
    });
    const issues = issuesOf(text);
    // A model name that is not an identifier does not stop the checks of its model.
    expect(issues.map((i) => i.line)).to.deep.equal([2, 16, 20]);
    const two = issuesOf(
      `${edit({ 16: '      chunk_interval: 1 wek', 20: '        order_by: [time]' })}\n  - name: Bad Name\n    fields: [{name: id, type: uuid}]`,
    );
    expect(two.map((i) => i.line)).to.deep.equal([16, 20, 25]);
    try {
      parseSpec(text, 'prism.yaml');
    } catch (error) {
      expect((error as SpecError).message).to.match(
        /^prism\.yaml:2:11: "Data Point" is not a valid model name\n {2}hint: /,
      );
      expect((error as SpecError).exitCode).to.equal(2);
    }
  });
});
