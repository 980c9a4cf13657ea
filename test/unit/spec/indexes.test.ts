import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import type { Model } from '../../../lib/spec/types.js';
import { compileSpec, findIndexByColumns } from '../../../lib/schema/compile.js';
import { issuesOf } from '../../helpers/spec-issues.js';

/** A hypertable and a plain table; tests replace single lines (1-based). */
const BASE = [
  /*  1 */ 'models:',
  /*  2 */ '  - name: Reading',
  /*  3 */ '    fields:',
  /*  4 */ '      - { name: time, type: datetime }',
  /*  5 */ '      - { name: entity_id, type: int }',
  /*  6 */ '      - { name: status, type: string, max_length: 20 }',
  /*  7 */ '      - { name: value, type: float, optional: true }',
  /*  8 */ '      - { name: meta, type: json, optional: true }',
  /*  9 */ '    timeseries:',
  /* 10 */ '      time_column: time',
  /* 11 */ '      create_default_indexes: false',
  /* 12 */ '      indexes:',
  /* 13 */ '        - { columns: [entity_id, time DESC], include: [value] }',
  /* 14 */ '    indexes:',
  /* 15 */ "        - { columns: [status], where: \"status IN ('on', 'off') AND value IS NOT NULL\" }",
  /* 16 */ '        - { columns: [value DESC NULLS LAST] }',
  /* 17 */ '  - name: Account',
  /* 18 */ '    fields:',
  /* 19 */ '      - { name: id, type: int, primary_key: true }',
  /* 20 */ '      - { name: email, type: text }',
  /* 21 */ '      - { name: active, type: boolean }',
  /* 22 */ '    indexes:',
  /* 23 */ '      - { columns: [email], unique: true, where: active, name: account_active_email }',
  /* 24 */ '',
];

function edit(changes: Record<number, string>): string {
  return BASE.map((line, i) => changes[i + 1] ?? line).join('\n');
}

function models(text: string): readonly Model[] {
  return parseSpec(text, 'prism.yaml').spec.models;
}

describe('spec: indexes with orders, conditions and INCLUDE', () => {
  it('accepts and normalizes the base spec', () => {
    const [reading, account] = models(edit({})) as [Model, Model];
    expect(reading.timeseries?.createDefaultIndexes).to.equal(false);
    expect(reading.timeseries?.indexes).to.deep.equal([
      {
        name: 'reading_entity_id_time_idx',
        columns: [
          { column: 'entity_id', direction: 'ASC' },
          { column: 'time', direction: 'DESC' },
        ],
        type: 'btree',
        unique: false,
        include: ['value'],
      },
    ]);
    expect(reading.indexes?.map((i) => [i.name, i.where])).to.deep.equal([
      ['reading_status_idx', "status IN ('on', 'off') AND value IS NOT NULL"],
      ['reading_value_idx', undefined],
    ]);
    expect(reading.indexes?.[1]?.columns).to.deep.equal([
      { column: 'value', direction: 'DESC', nulls: 'LAST' },
    ]);
    expect(account.indexes?.[0]).to.deep.include({
      name: 'account_active_email',
      unique: true,
      where: 'active',
    });
    const tables = compileSpec(parseSpec(edit({}), 'prism.yaml').spec).tables;
    expect(tables[0]?.hypertable?.createDefaultIndexes).to.equal(false);
    expect(tables[0]?.indexes.map((i) => i.name)).to.deep.equal([
      'reading_status_idx',
      'reading_value_idx',
      'reading_entity_id_time_idx',
    ]);
    expect(findIndexByColumns(reading, ['entity_id', 'time'])?.name).to.equal(
      'reading_entity_id_time_idx',
    );
    expect(findIndexByColumns(reading, ['time'])).to.equal(undefined);
  });

  it("keeps TimescaleDB's default index out of the schema, whichever side made it", () => {
    const on = edit({ 11: '      create_default_indexes: true' });
    expect(
      compileSpec(parseSpec(on, 'prism.yaml').spec).tables[0]?.hypertable,
    ).to.not.have.property('createDefaultIndexes');
    // A spec index of the default shape is that index: the same schema as the default.
    const own = edit({ 13: '        - { columns: [time DESC] }' });
    const table = compileSpec(parseSpec(own, 'prism.yaml').spec).tables[0];
    expect(table?.hypertable).to.not.have.property('createDefaultIndexes');
    expect(table?.indexes.map((i) => i.name)).to.not.include('reading_time_idx');
    // An index on the time column alone stops TimescaleDB from making its own.
    const asc = edit({
      11: '      create_default_indexes: true',
      13: '        - { columns: [time] }',
    });
    expect(
      compileSpec(parseSpec(asc, 'prism.yaml').spec).tables[0]?.hypertable?.createDefaultIndexes,
    ).to.equal(false);
  });

  it('refuses a hostile or unknown condition at its place, saying what is allowed', () => {
    const issues = issuesOf(
      edit({ 15: '        - { columns: [status], where: "1=1; DROP TABLE x" }' }),
    );
    expect(issues).to.have.length(1);
    expect(issues[0]).to.include({ line: 15, column: 39 });
    expect(issues[0]?.message).to.equal(
      'index condition "1=1; DROP TABLE x" is refused: ";" is not allowed at character 4',
    );
    expect(issues[0]?.hint).to.match(/^allowed: <field> = \| <> /);
    const call = issuesOf(
      edit({ 15: '        - { columns: [status], where: "lower(status) = \'on\'" }' }),
    );
    expect(call[0]?.message).to.match(/is refused: expected AND, OR or the end at character 6/);
  });

  it('checks the fields a condition names, and the literals against their types', () => {
    const issues = issuesOf(
      edit({
        15: "        - { columns: [status], where: \"sttus = 'on' OR time > '2024-01-01' OR entity_id = 'x' OR status\" }",
      }),
    );
    expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
      [15, 39, "condition field 'sttus' is not a field of model 'Reading'"],
      [15, 39, "in the index condition, field 'time' (datetime) is compared with a string"],
      [15, 39, "in the index condition, field 'entity_id' (int) is compared with a string"],
      [15, 39, "in the index condition, field 'status' (string) is used as a condition on its own"],
    ]);
    expect(issues[0]?.hint).to.equal("did you mean 'status'?");
    expect(issues[1]?.hint).to.match(/^a datetime field takes only IS/);
    expect(issues[2]?.hint).to.equal('compare int fields with numbers');
  });

  it('refuses what PostgreSQL refuses for a method, every problem in one pass', () => {
    const issues = issuesOf(
      edit({
        13: '        - { columns: [entity_id DESC], type: hash, include: [value] }',
        16: '        - { columns: [value, valu], type: gist, unique: true }',
        23: '      - { columns: [email], include: [email, nope] }',
      }),
    );
    expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
      [13, 23, 'a hash index has no column order: ASC, DESC and NULLS are for btree indexes'],
      [13, 52, 'a hash index cannot include columns'],
      [16, 30, "index column 'valu' is not a field of model 'Reading'"],
      [16, 43, 'a gist index cannot be unique'],
      [
        16,
        43,
        "a gist index needs a column type with a gist operator class (geometric types, ranges, tsvector); 'value' is float, which has none in PostgreSQL",
      ],
      [
        16,
        57,
        "a unique index on a hypertable must include the time column 'time': TimescaleDB refuses unique indexes without the partitioning column",
      ],
      [23, 39, "column 'email' is a key column of the index and in include"],
      [23, 46, "include column 'nope' is not a field of model 'Account'"],
    ]);
  });

  it('refuses two indexes of one table with one name, across both lists and field indexes', () => {
    const issues = issuesOf(
      edit({
        5: '      - { name: entity_id, type: int, index: true }',
        13: '        - { columns: [entity_id] }',
        16: '        - { columns: [value DESC], name: reading_entity_id_idx }',
      }),
    );
    const message =
      "index 'reading_entity_id_idx' of table 'reading' has the name of the index of field 'entity_id' (<table>_<column>_idx) (first at line 5, column 46)";
    expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
      [13, 11, message],
      [16, 42, message],
    ]);
  });

  it("refuses the name of TimescaleDB's default index while TimescaleDB makes that index", () => {
    const taken = edit({
      11: '      create_default_indexes: true',
      13: '        - { columns: [entity_id, time], name: reading_time_idx }',
    });
    const issues = issuesOf(taken);
    expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
      [
        13,
        47,
        "index name 'reading_time_idx' is the name of TimescaleDB's default index on (time DESC) of this hypertable",
      ],
    ]);
    // Without the default index, or with an index on the time column alone, the name is free.
    expect(
      models(edit({ 13: '        - { columns: [entity_id, time], name: reading_time_idx }' })),
    ).to.have.length(2);
    expect(
      models(
        edit({
          11: '      create_default_indexes: true',
          13: '        - { columns: [time DESC] }',
        }),
      ),
    ).to.have.length(2);
  });

  it('create_default_indexes is a boolean', () => {
    const issues = issuesOf(edit({ 11: '      create_default_indexes: sometimes' }));
    expect(issues).to.have.length(1);
    expect(issues[0]).to.include({ line: 11, column: 31 });
    expect(issues[0]?.message).to.match(/create_default_indexes/);
  });

  it('allows only IS [NOT] NULL on array and sql_type fields, and no brin without an operator class', () => {
    const text = [
      'models:',
      '  - name: T',
      '    fields:',
      '      - { name: id, type: int, primary_key: true }',
      '      - { name: tags, type: text, array: true, optional: true }',
      '      - { name: sv, sql_type: tsvector, optional: true }',
      '      - { name: meta, type: json, optional: true }',
      '      - { name: on, type: boolean }',
      '    indexes:',
      '      - { columns: [id], where: "tags = \'x\'", name: a }',
      '      - { columns: [id], where: "sv = \'x\'", name: b }',
      '      - { columns: [id], where: "tags IS NOT NULL AND sv IS NULL", name: c }',
      '      - { columns: [meta], type: brin, name: d }',
      '      - { columns: [on], type: brin, name: e }',
      '      - { columns: [tags], type: brin, name: f }',
      '',
    ].join('\n');
    const issues = issuesOf(text).map((i) => [i.line, i.message, i.hint]);
    expect(issues).to.deep.equal([
      [
        10,
        "in the index condition, field 'tags' (an array of text) is compared with a string",
        'an array field takes only IS [NULL | NOT NULL] in a condition',
      ],
      [
        11,
        "in the index condition, field 'sv' (sql_type tsvector) is compared with a string",
        'an sql_type field takes only IS [NULL | NOT NULL] in a condition',
      ],
      [
        13,
        "a brin index needs a column type with a brin operator class; 'meta' is json, which has none in PostgreSQL",
        'use type: btree (or gin for json and array fields)',
      ],
      [
        14,
        "a brin index needs a column type with a brin operator class; 'on' is boolean, which has none in PostgreSQL",
        'use type: btree (or gin for json and array fields)',
      ],
      [
        15,
        "a brin index needs a column type with a brin operator class; 'tags' is an array of text, which has none in PostgreSQL",
        'use type: btree (or gin for json and array fields)',
      ],
    ]);
  });
});
