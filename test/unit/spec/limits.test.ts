import { expect } from 'chai';
import type { SpecIssue } from '../../../lib/errors.js';
import { integerNowFunctionName } from '../../../lib/operations/hypertables/setIntegerNowFunction.js';
import { integerNowFunctionBaseName } from '../../../lib/spec/identifiers.js';
import { MAX_COLUMNS, MAX_INDEX_KEYS } from '../../../lib/spec/limits.js';
import { parseSpec } from '../../../lib/spec/load.js';
import { issuesOf } from '../../helpers/spec-issues.js';
import { quoteIdent } from '../../../lib/sql/quote.js';

function onlyIssue(text: string): SpecIssue {
  const issues = issuesOf(text);
  expect(issues.map((i) => i.message)).to.have.length(1);
  return issues[0] as SpecIssue;
}

/** A model with `n` int fields f0…, one per line from line 4; `extra` lines follow. */
function wide(n: number, extra: readonly string[] = [], first = 'f0'): string {
  const fields = Array.from(
    { length: n },
    (_, k) => `      - { name: ${k === 0 ? first : `f${k}`}, type: int }`,
  );
  return ['models:', '  - name: Wide', '    fields:', ...fields, ...extra, ''].join('\n');
}

describe('spec/limits: what PostgreSQL would refuse is refused by validate', () => {
  describe('columns per table', () => {
    it(`${MAX_COLUMNS} fields are accepted`, () => {
      const loaded = parseSpec(wide(MAX_COLUMNS), 'prism.yaml');
      expect(loaded.spec.models[0]?.fields).to.have.length(MAX_COLUMNS);
      expect(loaded.warnings).to.deep.equal([]);
    });

    it('2,000 fields are refused at the first field past the limit', () => {
      const issue = onlyIssue(wide(2000));
      // Field k is on line k + 4; field 1601 (index 1600) is on line 1604.
      expect(issue).to.include({ line: MAX_COLUMNS + 4, column: 9 });
      expect(issue.message).to.equal(
        "model 'Wide' has 2000 fields; a PostgreSQL table has at most 1600 columns (this is field 1601)",
      );
      expect(issue.hint).to.include('split the model');
    });

    it('a compressed hypertable near the limit is warned about', () => {
      const ts = [
        '    timeseries:',
        '      time_column: f0',
        '      compression: { enabled: true }',
      ];
      const loaded = parseSpec(wide(MAX_COLUMNS - 2, ts, 'f0'), 'prism.yaml');
      expect(loaded.warnings.map((w) => w.message)).to.deep.equal([
        "model 'Wide' has 1598 fields: TimescaleDB's compressed table adds bookkeeping columns (about 5 here) and may refuse to enable compression past 1600 columns",
      ]);
      expect(parseSpec(wide(1500, ts), 'prism.yaml').warnings).to.deep.equal([]);
    });
  });

  describe('columns per index key', () => {
    it(`a primary key of ${MAX_INDEX_KEYS} columns is accepted, one more is refused`, () => {
      const spec = (n: number) =>
        [
          'models:',
          '  - name: Keyed',
          '    fields:',
          ...Array.from(
            { length: n },
            (_, k) => `      - { name: k${k}, type: int, primary_key: true }`,
          ),
          '',
        ].join('\n');
      expect(parseSpec(spec(MAX_INDEX_KEYS), 'p.yaml').spec.models[0]?.primaryKey).to.have.length(
        32,
      );
      const issue = onlyIssue(spec(MAX_INDEX_KEYS + 1));
      expect(issue).to.include({
        line: 4,
        message:
          "the primary key of model 'Keyed' has 33 columns; a PostgreSQL index key has at most 32",
      });
    });

    it('the time column that joins a hypertable key counts', () => {
      const fields = Array.from(
        { length: MAX_INDEX_KEYS },
        (_, k) => `      - { name: k${k}, type: int, primary_key: true }`,
      );
      const text = [
        'models:',
        '  - name: Keyed',
        '    fields:',
        '      - { name: ts, type: datetime }',
        ...fields,
        '    timeseries: { time_column: ts }',
        '',
      ].join('\n');
      expect(onlyIssue(text).message).to.include('has 33 columns');
    });

    it(`a timeseries index of ${MAX_INDEX_KEYS} columns is accepted, one more is refused at its columns`, () => {
      const spec = (n: number) =>
        wide(40, [
          '    timeseries:',
          '      time_column: ts',
          '      indexes:',
          `        - columns: [${Array.from({ length: n }, (_, k) => `f${k + 1}`).join(', ')}]`,
        ]).replace('{ name: f0, type: int }', '{ name: ts, type: datetime }');
      expect(
        parseSpec(spec(MAX_INDEX_KEYS), 'p.yaml').spec.models[0]?.timeseries?.indexes,
      ).to.have.length(1);
      const issue = onlyIssue(spec(MAX_INDEX_KEYS + 1));
      expect(issue).to.include({
        line: 47,
        column: 11,
        message: 'the index has 33 columns; a PostgreSQL index key has at most 32',
      });
    });
  });

  describe('names in one namespace', () => {
    it('a primary key named like another table', () => {
      const text = [
        'models:',
        '  - name: A_pkey',
        '    fields: [{ name: x, type: int }]',
        '  - name: A',
        '    table: a_pkey_holder',
        '    fields: [{ name: id, type: int, primary_key: true }]',
        '  - name: B',
        '    table: a',
        '    fields: [{ name: id, type: int, primary_key: true }]',
        '',
      ].join('\n');
      const issue = onlyIssue(text);
      expect(issue).to.include({ line: 9, column: 50 });
      expect(issue.message).to.equal(
        "the primary key of table 'a' is named 'a_pkey', which is already the name of table 'a_pkey' (first at line 2, column 11)",
      );
      expect(issue.hint).to.include('share one namespace');
    });

    it('the index of an `index: true` field named like a table', () => {
      const text = [
        'models:',
        '  - name: T_x_idx',
        '    fields: [{ name: y, type: int }]',
        '  - name: T',
        '    fields: [{ name: x, type: int, index: true }]',
        '',
      ].join('\n');
      expect(onlyIssue(text).message).to.equal(
        "the index of field 'x' of table 't' is named 't_x_idx', which is already the name of table 't_x_idx' (first at line 2, column 11)",
      );
    });

    it('a field index of one table and a timeseries index of another with one name', () => {
      const text = [
        'models:',
        '  - name: T',
        '    fields: [{ name: x, type: int, unique: true }]',
        '  - name: M',
        '    fields: [{ name: ts, type: datetime }]',
        '    timeseries:',
        '      time_column: ts',
        '      indexes: [{ columns: [ts], name: t_x_idx }]',
        '',
      ].join('\n');
      expect(onlyIssue(text).message).to.equal(
        "index 't_x_idx' of table 'm' is named 't_x_idx', which is already the name of the index of field 'x' of table 't' (first at line 3, column 44)",
      );
    });

    it('a field index and a listed index of one table with one name: refused, whatever their columns', () => {
      const spec = (columns: string) =>
        [
          'models:',
          '  - name: M',
          '    fields: [{ name: ts, type: datetime }, { name: s, type: text, index: true }]',
          '    timeseries:',
          '      time_column: ts',
          `      indexes: [{ columns: [${columns}], name: m_s_idx }]`,
          '',
        ].join('\n');
      for (const columns of ['s', 's DESC', 's, ts']) {
        const issue = onlyIssue(spec(columns));
        expect(issue).to.include({ line: 6, column: 39 + columns.length - 1 });
        expect(issue.message).to.equal(
          "index 'm_s_idx' of table 'm' has the name of the index of field 's' (<table>_<column>_idx) (first at line 3, column 74)",
        );
        expect(issue.hint).to.include('give this index another `name:`');
      }
    });

    it('long tables keep distinct derived names (hashed, not truncated into one)', () => {
      const long = (c: string) => `${'t'.repeat(62)}${c}`;
      const model = (table: string) => [
        `  - name: M${table.slice(-1)}`,
        `    table: ${table}`,
        '    fields: [{ name: id, type: int, primary_key: true }, { name: some_long_column_name, type: int, index: true }, { name: v, type: enum, values: [a] }]',
      ];
      const text = ['models:', ...model(long('a')), ...model(long('b')), ''].join('\n');
      expect(parseSpec(text, 'p.yaml').spec.models).to.have.length(2);
    });

    it('integer-now functions of tables that agree in their first 48 characters', () => {
      const model = (table: string) => [
        `  - name: M${table.slice(-1)}`,
        `    table: ${table}`,
        '    fields: [{ name: t, type: bigint }]',
        '    timeseries: { time_column: t, time_unit: ms, chunk_interval: 86400000 }',
      ];
      const prefix = 'x'.repeat(48);
      const text = ['models:', ...model(`${prefix}_a`), ...model(`${prefix}_b`), ''].join('\n');
      const issue = onlyIssue(text);
      expect(issue.line).to.equal(9);
      expect(issue.message).to.equal(
        `the integer-now functions of tables '${prefix}_a' and '${prefix}_b' would both be named '${prefix}_prism_now' (from the first 48 characters of the table name) (first at line 5, column 46)`,
      );
      // The name the check derives is the one the migration creates.
      expect(integerNowFunctionName(`${prefix}_a`)).to.equal(
        quoteIdent(integerNowFunctionBaseName(`${prefix}_a`)),
      );
    });
  });

  describe('identifiers longer than 63 bytes are refused, never truncated', () => {
    const long = 'a'.repeat(64);
    for (const [place, text] of [
      ['model name', `models:\n  - name: ${long}\n    fields: [{ name: x, type: int }]\n`],
      ['table', `models:\n  - name: M\n    table: ${long}\n    fields: [{ name: x, type: int }]\n`],
      ['field name', `models:\n  - name: M\n    fields: [{ name: ${long}, type: int }]\n`],
      [
        'index name',
        `models:\n  - name: M\n    fields: [{ name: ts, type: datetime }]\n    timeseries:\n      time_column: ts\n      indexes: [{ columns: [ts], name: ${long} }]\n`,
      ],
    ] as const) {
      it(place, () => {
        const issue = onlyIssue(text);
        expect(issue.message).to.match(/is longer than 63 bytes$/);
        expect(issue.hint).to.equal('PostgreSQL would silently truncate it; choose a shorter name');
      });
    }
  });
});
