/**
 * The field types beyond the first ones: smallint, real, double, timestamp, bytea, inet,
 * arrays and sql_type — spec checks with their locations, the sql_type grammar (hostile
 * text included), the types migrations create and the catalog prints, the migration text,
 * defaults, values for insertMany, row types and OpenAPI.
 */
import { expect } from 'chai';
import { openApiDocument } from '../../../lib/api/openapi.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { renderMigration } from '../../../lib/generate/render.js';
import { fieldTypeOf } from '../../../lib/pull/field-types.js';
import { fieldValue, filterFieldValue } from '../../../lib/query/values.js';
import { renderRowTypes } from '../../../lib/query/row-types.js';
import { buildAggregateQuery, buildRangeQuery } from '../../../lib/query/sql.js';
import { catalogType, columnType } from '../../../lib/schema/column-types.js';
import { sameDefault } from '../../../lib/schema/defaults.js';
import { parseSpec } from '../../../lib/spec/load.js';
import {
  parseSqlType,
  sqlTypeCatalog,
  sqlTypeOfCatalog,
  sqlTypeSql,
  sqlTypeText,
} from '../../../lib/spec/sql-type.js';
import type { Field, Model, Spec } from '../../../lib/spec/types.js';
import { issuesOf } from '../../helpers/spec-issues.js';

const spec = (yaml: string): Spec => parseSpec(yaml, 'prism.yaml').spec;
const EMPTY: Spec = { file: 'prism.yaml', timescale: 'auto', models: [] };

/** A one-model spec with these field lines (YAML flow mappings, 6 spaces in). */
function modelYaml(fields: readonly string[], timeseries = ''): string {
  return [
    'models:',
    '  - name: Thing',
    '    fields:',
    '      - { name: id, type: int, primary_key: true }',
    ...fields.map((f) => `      - ${f}`),
    ...(timeseries === '' ? [] : ['    timeseries:', `      ${timeseries}`]),
  ].join('\n');
}

const located = (text: string) =>
  issuesOf(text).map((i) => `${i.file}:${i.line}:${i.column} ${i.message} | ${i.hint ?? ''}`);

describe('sql_type grammar', () => {
  it('takes a type name, a schema, modifiers (a word first) and [] as data', () => {
    const cases: [string, string, string, string][] = [
      // text, SQL in migrations, catalog (format_type), prism.yaml text back
      ['citext', '"citext"', 'citext', 'citext'],
      ['ltree[]', '"ltree"[]', 'ltree[]', 'ltree[]'],
      ['vector(3)', '"vector"(3)', 'vector(3)', 'vector(3)'],
      [
        'geometry(Point,4326)',
        '"geometry"(Point,4326)',
        'geometry(Point,4326)',
        'geometry(Point,4326)',
      ],
      [
        'geometry( Point , 4326 )',
        '"geometry"(Point,4326)',
        'geometry(Point,4326)',
        'geometry(Point,4326)',
      ],
      ['ext.hstore', '"ext"."hstore"', 'ext.hstore', 'ext.hstore'],
      ['public.citext[]', '"public"."citext"[]', 'citext[]', 'public.citext[]'],
      ['MyDomain', '"MyDomain"', '"MyDomain"', 'MyDomain'],
      ['pg_catalog.money', '"pg_catalog"."money"', 'money', 'pg_catalog.money'],
    ];
    for (const [text, sql, catalog, back] of cases) {
      const parsed = parseSqlType(text);
      expect(parsed.ok, text).to.equal(true);
      if (!parsed.ok) continue;
      expect(sqlTypeSql(parsed.value), text).to.equal(sql);
      expect(sqlTypeCatalog(parsed.value), text).to.equal(catalog);
      expect(sqlTypeText(parsed.value), text).to.equal(back);
    }
    expect(parseSqlType('geometry(Point,4326)')).to.deep.equal({
      ok: true,
      value: { name: 'geometry', modifiers: ['Point', 4326], array: false },
    });
  });

  it('refuses anything else, hostile text included, saying why', () => {
    const hostile = [
      'text); DROP TABLE x; --',
      'citext; DROP TABLE x',
      '"citext"',
      'a.b.c',
      'geometry(Point,4326,1)',
      'geometry(4326,Point)',
      'x(Point,Polygon)',
      'x[][]',
      'x[3]',
      'x(-1)',
      'x(1.5)',
      "x('a')",
      'x y',
      'citext\n',
      '\ncitext',
      'ci\ntext',
      'cïtext',
      'x(1)(2)',
      '1abc',
      '',
      `${'a'.repeat(64)}`,
      `s.${'a'.repeat(64)}`,
      'x(9999999999)',
      'x$y',
      'x--',
      'x/*',
    ];
    for (const text of hostile) {
      const parsed = parseSqlType(text);
      expect(parsed.ok, JSON.stringify(text)).to.equal(false);
      if (!parsed.ok) expect(parsed.hint, text).to.not.equal('');
    }
    expect(parseSqlType(42).ok).to.equal(false);
  });

  it('refuses the types prism.yaml names, pointing at the field type', () => {
    const named: [string, RegExp][] = [
      ['int4', /type: int/],
      ['integer[]', /type: int` with `array: true/],
      ['varchar(10)', /type: string/],
      ['timestamptz', /type: datetime/],
      ['jsonb', /type: json/],
      ['float8', /type: double/],
      ['bytea', /type: bytea/],
      ['pg_catalog.inet', /type: inet/],
      ['timestamp(3)', /type: timestamp/],
    ];
    for (const [text, hint] of named) {
      const parsed = parseSqlType(text);
      expect(parsed.ok, text).to.equal(false);
      if (!parsed.ok) expect(parsed.hint, text).to.match(hint);
    }
    for (const text of ['char(3)', 'bit(8)', 'time', 'interval(3)']) {
      expect(parseSqlType(text).ok, text).to.equal(false);
    }
    // Names in other schemas are other types.
    expect(parseSqlType('ext.int4').ok).to.equal(true);
  });

  it('reads format_type text back only when it prints the same', () => {
    expect(sqlTypeOfCatalog('citext')).to.deep.equal({
      name: 'citext',
      modifiers: [],
      array: false,
    });
    expect(sqlTypeOfCatalog('"MyDomain"[]')).to.deep.equal({
      name: 'MyDomain',
      modifiers: [],
      array: true,
    });
    expect(sqlTypeOfCatalog('geometry(Point,4326)')?.modifiers).to.deep.equal(['Point', 4326]);
    for (const text of [
      'time with time zone',
      'character(3)',
      '"char"',
      'interval(3)',
      '"my type"',
      'integer',
      'numeric(5,-2)',
      '"lower"',
    ]) {
      expect(sqlTypeOfCatalog(text), text).to.equal(undefined);
    }
  });
});

describe('new field types in prism.yaml', () => {
  it('are refused where they do not fit, each at its key, in one pass', () => {
    const text = modelYaml([
      "{ name: a, sql_type: 'text); DROP TABLE x; --' }",
      '{ name: b, type: int, sql_type: citext }',
      '{ name: c, type: enum, values: [x], array: true }',
      '{ name: d, optional: true }',
      '{ name: e, sql_type: int4 }',
      '{ name: f, type: int, array: true, primary_key: true }',
      '{ name: g, type: smallint, default: 40000 }',
      "{ name: h, type: inet, default: '300.1.1.1' }",
      "{ name: i, type: timestamp, default: '2024-01-01T00:00:00Z' }",
      '{ name: j, sql_type: citext, array: true, default: x }',
      '{ name: k, type: int, array: true, default: 0 }',
      '{ name: l, sql_type: citext, max_length: 3 }',
      "{ name: m, type: bytea, default: 'AAEC' }",
      '{ name: n, type: real, default: x }',
    ]);
    expect(located(text)).to.deep.equal([
      "prism.yaml:5:30 sql_type \"text); DROP TABLE x; --\" is not a type name this grammar takes | write a type name, optionally schema-qualified, with optional modifiers and [], e.g. 'citext', 'geometry(Point,4326)', 'vector(3)', 'ltree[]'",
      "prism.yaml:6:31 field 'b' has both type and sql_type | sql_type replaces type: remove one of them",
      'prism.yaml:7:52 an enum field cannot be an array | use type: text with array: true, or a separate field',
      "prism.yaml:8:9 field 'd' needs a type | add a type, one of: uuid, string, text, int, bigint, smallint, float, real, double, decimal, boolean, datetime, timestamp, date, time, json, bytea, inet, enum; or sql_type for another PostgreSQL type",
      'prism.yaml:9:30 sql_type int4 is a type prism.yaml names | write `type: int` instead',
      "prism.yaml:10:38 primary key field 'f' cannot be an array | remove `array: true`, or `primary_key: true`",
      'prism.yaml:11:45 default for type smallint must be a whole number between -32768 and 32767 | write e.g. default: 0, or use type int',
      "prism.yaml:12:41 default for type inet must be an IP address, optionally with a /prefix | write e.g. '10.0.0.1' or '2001:db8::/32'",
      "prism.yaml:13:46 default for type timestamp must be a date and time without a time zone | write e.g. '2024-01-01 00:00:00', or use now()",
      "prism.yaml:14:38 array does not apply to sql_type | write the brackets in sql_type itself: 'citext[]'",
      'prism.yaml:14:60 a field with sql_type takes no default | prism.yaml cannot check a value of a type it does not know; set the default in a migration of your own',
      "prism.yaml:15:53 an array field takes only the empty array as its default | write default: '{}', or remove the default",
      "prism.yaml:16:38 max_length does not apply to sql_type | write modifiers in sql_type itself, e.g. 'vector(3)'",
      "prism.yaml:17:42 default for type bytea must be hex bytes as PostgreSQL prints them | write e.g. '\\x00ff' (lowercase hex after \\x)",
      'prism.yaml:18:41 default for type real must be a number | write e.g. default: 0.5',
    ]);
  });

  it('a timestamp is a time column; an array or a sql_type is not', () => {
    const ok = spec(
      modelYaml(['{ name: at, type: timestamp }'], 'time_column: at\n      chunk_interval: 1 day'),
    );
    expect(ok.models[0]?.timeseries?.timeColumn).to.equal('at');
    const gin = spec(
      modelYaml(
        ['{ name: at, type: timestamp }', '{ name: tags, type: text, array: true }'],
        'time_column: at\n      indexes: [{ columns: [tags], type: gin }]',
      ),
    );
    expect(gin.models[0]?.timeseries?.indexes.map((i) => i.type)).to.deep.equal(['gin']);
    expect(
      located(modelYaml(['{ name: at, type: timestamp, array: true }'], 'time_column: at')),
    ).to.deep.equal([
      "prism.yaml:7:20 time_column 'at' is an array of timestamp; a hypertable needs a datetime, timestamp, date, int or bigint column | use 'id', or change the type of 'at'",
    ]);
    const [issue] = issuesOf(modelYaml(['{ name: at, sql_type: citext }'], 'time_column: at'));
    expect(issue?.message).to.equal(
      "time_column 'at' is sql_type citext; a hypertable needs a datetime, timestamp, date, int or bigint column",
    );
  });

  it('compile to the type a migration creates and the text format_type prints', () => {
    const s = spec(
      modelYaml([
        '{ name: a, type: smallint }',
        '{ name: b, type: real }',
        '{ name: c, type: double }',
        '{ name: d, type: timestamp }',
        '{ name: e, type: bytea }',
        '{ name: f, type: inet }',
        '{ name: g, type: int, array: true }',
        '{ name: h, type: string, max_length: 9, array: true }',
        '{ name: i, type: decimal, precision: 10, scale: 2, array: true }',
        "{ name: j, sql_type: 'geometry(Point,4326)' }",
        "{ name: k, sql_type: 'ext.ltree[]' }",
        '{ name: l, type: datetime, array: true }',
      ]),
    );
    const fields = (s.models[0] as Model).fields.slice(1);
    expect(fields.map(columnType)).to.deep.equal([
      'smallint',
      'real',
      'double precision',
      'timestamp',
      'bytea',
      'inet',
      'integer[]',
      'varchar(9)[]',
      'numeric(10,2)[]',
      '"geometry"(Point,4326)',
      '"ext"."ltree"[]',
      'timestamptz[]',
    ]);
    expect(fields.map(catalogType)).to.deep.equal([
      'smallint',
      'real',
      'double precision',
      'timestamp without time zone',
      'bytea',
      'inet',
      'integer[]',
      'character varying(9)[]',
      'numeric(10,2)[]',
      'geometry(Point,4326)',
      'ext.ltree[]',
      'timestamp with time zone[]',
    ]);
    // pull maps each catalog text back to the same field type
    for (const f of fields) {
      const back = fieldTypeOf(catalogType(f));
      expect(back, f.name).to.not.equal(undefined);
      expect(catalogType({ ...f, ...back } as Field), f.name).to.equal(catalogType(f));
    }
    expect(fieldTypeOf('double precision')?.type).to.equal('float');
    expect(fieldTypeOf('citext')).to.deep.equal({
      type: 'sql',
      sqlType: { name: 'citext', modifiers: [], array: false },
    });
  });

  it('renders a migration with the types, and alters between them with USING where needed', () => {
    const before = spec(
      modelYaml([
        '{ name: a, type: int }',
        '{ name: b, type: text }',
        '{ name: c, type: float }',
        '{ name: d, type: string, max_length: 5, array: true }',
      ]),
    );
    const after = spec(
      modelYaml([
        '{ name: a, type: smallint }',
        '{ name: b, type: text, array: true }',
        '{ name: c, type: double }',
        '{ name: d, type: string, max_length: 9, array: true }',
      ]),
    );
    const changes = diffSpecs(before, after);
    // float and double are one column type: no change for c.
    expect(
      changes.map((c) => (c.kind === 'alterColumn' ? `${c.kind}:${c.to.name}` : c.kind)),
    ).to.deep.equal(['alterColumn:a', 'alterColumn:b', 'alterColumn:d']);
    const text = renderMigration(changes, { language: 'js' });
    expect(text).to.include(
      `pgm.alterColumn('thing', 'a', { type: 'smallint', using: '"a"::smallint' });`,
    );
    expect(text).to.include(
      `pgm.alterColumn('thing', 'b', { type: 'text[]', using: '"b"::text[]' });`,
    );
    expect(text).to.include(`pgm.alterColumn('thing', 'd', { type: 'varchar(9)[]' });`);
    const created = renderMigration(
      diffSpecs(
        EMPTY,
        spec(
          modelYaml([
            "{ name: g, sql_type: 'geometry(Point,4326)', optional: true }",
            "{ name: t, type: text, array: true, default: '{}' }",
            "{ name: at, type: timestamp, default: '2024-01-01 00:00:00' }",
          ]),
        ),
      ),
      { language: 'js' },
    );
    expect(created).to.include(`g: { type: '"geometry"(Point,4326)' }`);
    expect(created).to.include(`t: { type: 'text[]', notNull: true, default: pgm.func("'{}'") }`);
    expect(created).to.include(
      `at: { type: 'timestamp', notNull: true, default: pgm.func("'2024-01-01 00:00:00'") }`,
    );
  });

  it('defaults compare with what the catalog prints', () => {
    const lit = (value: string | number) => ({ kind: 'literal' as const, value });
    expect(
      sameDefault(
        'timestamp without time zone',
        lit('2024-01-01T00:00:00'),
        lit('2024-01-01 00:00:00'),
      ),
    ).to.equal(true);
    expect(sameDefault('inet', lit('10.0.0.1/32'), lit('10.0.0.1'))).to.equal(true);
    expect(sameDefault('inet', lit('::1/128'), lit('::1'))).to.equal(true);
    expect(sameDefault('inet', lit('10.0.0.0/8'), lit('10.0.0.1'))).to.equal(false);
    expect(sameDefault('real', lit(0.5), lit('0.50'))).to.equal(true);
  });
});

describe('new field types in the query layer', () => {
  const f = (type: string, extra: Partial<Field> = {}) =>
    ({
      name: 'f',
      type,
      primaryKey: false,
      index: false,
      unique: false,
      optional: false,
      ...extra,
    }) as Field;

  it('checks and converts values for insertMany', () => {
    expect(fieldValue(f('smallint'), -32768)).to.equal(-32768);
    expect(() => fieldValue(f('smallint'), 32768)).to.throw(/16-bit/);
    expect(() => fieldValue(f('smallint'), 1.5)).to.throw(/16-bit/);
    expect(fieldValue(f('real'), 0.25)).to.equal(0.25);
    expect(() => fieldValue(f('double'), Number.NaN)).to.throw(/finite/);
    expect(fieldValue(f('timestamp'), '2026-01-01T08:00:00')).to.equal('2026-01-01T08:00:00');
    expect(fieldValue(f('timestamp'), '2026-01-01')).to.equal('2026-01-01T00:00:00');
    expect(() => fieldValue(f('timestamp'), '2026-01-01T08:00:00Z')).to.throw(/without time zone/);
    expect(() => fieldValue(f('timestamp'), '2026-02-30T08:00:00')).to.throw(/without time zone/);
    const local = new Date(2026, 0, 2, 3, 4, 5, 6);
    expect(fieldValue(f('timestamp'), local)).to.equal('2026-01-02T03:04:05.006');
    expect(fieldValue(f('bytea'), Buffer.from([0, 255]))).to.equal('\\x00ff');
    expect(fieldValue(f('bytea'), new Uint8Array([1, 2]))).to.equal('\\x0102');
    expect(fieldValue(f('bytea'), 'AP8=')).to.equal('\\x00ff');
    expect(() => fieldValue(f('bytea'), '\\x00ff')).to.throw(/base64/);
    expect(fieldValue(f('inet'), '2001:db8::/32')).to.equal('2001:db8::/32');
    for (const bad of ['300.0.0.1', '10.0.0.1/33', '::1/129', 'localhost', '10.0.0.1; --']) {
      expect(() => fieldValue(f('inet'), bad), bad).to.throw(/IP address/);
    }
    expect(
      fieldValue(f('sql', { sqlType: { name: 'citext', modifiers: [], array: false } }), 'Hi'),
    ).to.equal('Hi');
    expect(() => fieldValue(f('sql'), 'a\0b')).to.throw(/input form/);
  });

  it('arrays: JSON arrays of the element type, as array literals with every element quoted', () => {
    expect(fieldValue(f('int', { array: true }), [1, null, -3])).to.equal('{"1",NULL,"-3"}');
    expect(fieldValue(f('text', { array: true }), ['a"b', 'c\\d', 'NULL', '', '{x,y}'])).to.equal(
      '{"a\\"b","c\\\\d","NULL","","{x,y}"}',
    );
    expect(fieldValue(f('bytea', { array: true }), [Buffer.from([1])])).to.equal('{"\\\\x01"}');
    expect(fieldValue(f('json', { array: true }), [{ a: 1 }])).to.equal('{"{\\"a\\":1}"}');
    expect(fieldValue(f('int', { array: true }), [])).to.equal('{}');
    expect(() => fieldValue(f('int', { array: true }), [1, 'x'])).to.throw(
      /element 1: expected a 32-bit/,
    );
    expect(() => fieldValue(f('int', { array: true }), 1)).to.throw(/an array of int/);
    expect(filterFieldValue(f('smallint'), '7')).to.equal(7);
  });

  const TS = spec(
    [
      'models:',
      '  - name: Naive',
      '    fields:',
      '      - { name: at, type: timestamp }',
      '      - { name: v, type: real }',
      '      - { name: w, type: smallint }',
      '      - { name: tags, type: text, array: true, optional: true }',
      '    timeseries: { time_column: at }',
    ].join('\n'),
  );
  const model = TS.models[0] as Model;

  it('queries a timestamp time column with naive bounds and naive buckets', () => {
    const range = buildRangeQuery(model, { start: '2026-01-01', end: '2026-01-02T00:00:00' });
    expect(range.sql).to.include('t."at" >= $1::timestamp AND t."at" < $2::timestamp');
    expect(range.parameters.slice(0, 2)).to.deep.equal([
      '2026-01-01T00:00:00',
      '2026-01-02T00:00:00',
    ]);
    expect(() =>
      buildRangeQuery(model, { start: '2026-01-01T00:00:00Z', end: '2026-01-02' }),
    ).to.throw(/without time zone/);
    const pg = buildAggregateQuery(model, {
      dialect: 'postgres',
      bucket: '1 hour',
      start: '2026-01-01',
      end: '2026-01-02',
    });
    expect(pg.sql).to.include(`date_bin($3::interval, t."at", timestamp '2000-01-03 00:00:00')`);
    expect(pg.columns.map((c) => c.name)).to.deep.equal(['bucket', 'avg_v', 'avg_w']);
    const month = buildAggregateQuery(model, {
      dialect: 'postgres',
      bucket: '1 month',
      start: '2026-01-01',
      end: '2026-03-01',
      gapfill: true,
    });
    expect(month.sql).to.include(`date_trunc('month', t."at")`);
    expect(month.sql).to.not.include('AT TIME ZONE');
    const ts = buildAggregateQuery(model, {
      dialect: 'timescale',
      bucket: '1 hour',
      start: '2026-01-01',
      end: '2026-01-02',
    });
    expect(ts.sql).to.include(`"public".time_bucket($3::interval, t."at")`);
    expect(() =>
      buildAggregateQuery(model, {
        dialect: 'postgres',
        bucket: '1 day',
        start: '2026-01-01',
        end: '2026-01-02',
        tz: 'Europe/Oslo',
      }),
    ).to.throw(/tz does not apply/);
    expect(() =>
      buildRangeQuery(model, { start: '2026-01-01', end: '2026-01-02', filters: { tags: 'x' } }),
    ).to.throw(/array fields cannot be filtered/);
  });

  it('row types and OpenAPI follow what pg returns', () => {
    const s = spec(
      modelYaml([
        '{ name: a, type: smallint }',
        '{ name: b, type: double, optional: true }',
        '{ name: c, type: timestamp }',
        '{ name: d, type: bytea }',
        '{ name: e, type: inet }',
        '{ name: f, type: int, array: true }',
        '{ name: g, type: decimal, array: true }',
        '{ name: h, sql_type: citext }',
      ]),
    );
    const text = renderRowTypes(s);
    for (const line of [
      '  a: number;',
      '  b: number | null;',
      '  c: Date;',
      '  d: Buffer;',
      '  e: string;',
      '  f: (number | null)[];',
      '  g: (number | null)[];',
      '  h: unknown;',
      '  c: Date | string;',
      '  d: Uint8Array | string;',
    ]) {
      expect(text).to.include(line);
    }
    const doc = JSON.stringify(openApiDocument(TS));
    const props = (
      JSON.parse(doc) as {
        paths: Record<
          string,
          {
            post?: {
              requestBody: {
                content: Record<
                  string,
                  { schema: { items: { properties: Record<string, unknown> } } }
                >;
              };
            };
          }
        >;
      }
    ).paths['/api/naives']?.post?.requestBody.content['application/json']?.schema.items.properties;
    expect(props?.['tags']).to.deep.equal({ type: ['array', 'null'], items: { type: 'string' } });
    expect(props?.['w']).to.deep.equal({ type: 'integer', minimum: -32768, maximum: 32767 });
  });
});
