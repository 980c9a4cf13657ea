/**
 * Every field type and modifier the spec accepts round-trips exactly: after `generate`
 * and `up`, the catalog's format_type() of each column is the text `check` expects, and
 * `check` reports no drift — on the embedded TimescaleDB, a native TimescaleDB 2.28.3
 * server (a new database where `up` creates the extension) and PostgreSQL without
 * TimescaleDB. Each column also has the nullability and the default the spec gives it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { openDatabase } from '../../lib/db/open.js';
import { catalogType, columnType } from '../../lib/schema/column-types.js';
import { parseSpec } from '../../lib/spec/load.js';
import { FIELD_TYPES } from '../../lib/spec/types.js';
import { runCli } from '../helpers/cli.js';
import { createServerDatabase, tempDir, withClient } from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

/** One column: the field's spec keys besides name, and what the catalog must report. */
interface TypeCase {
  readonly spec: Readonly<Record<string, unknown>>;
  readonly catalog: string;
}

const CASES: readonly TypeCase[] = [
  { spec: { type: 'uuid' }, catalog: 'uuid' },
  { spec: { type: 'uuid', default: 'gen_random_uuid()' }, catalog: 'uuid' },
  {
    spec: { type: 'uuid', default: '00000000-0000-0000-0000-000000000001', optional: true },
    catalog: 'uuid',
  },
  { spec: { type: 'string' }, catalog: 'character varying' },
  { spec: { type: 'string', optional: true }, catalog: 'character varying' },
  { spec: { type: 'string', max_length: 1 }, catalog: 'character varying(1)' },
  { spec: { type: 'string', max_length: 100, default: "it's" }, catalog: 'character varying(100)' },
  { spec: { type: 'string', max_length: 10_485_760 }, catalog: 'character varying(10485760)' },
  { spec: { type: 'text' }, catalog: 'text' },
  { spec: { type: 'text', optional: true, default: 'line 1\nline 2' }, catalog: 'text' },
  { spec: { type: 'int' }, catalog: 'integer' },
  { spec: { type: 'int', default: -2_147_483_648, optional: true }, catalog: 'integer' },
  { spec: { type: 'bigint' }, catalog: 'bigint' },
  { spec: { type: 'bigint', default: 9_007_199_254_740_991 }, catalog: 'bigint' },
  { spec: { type: 'float' }, catalog: 'double precision' },
  { spec: { type: 'float', default: 0.5, optional: true }, catalog: 'double precision' },
  { spec: { type: 'decimal' }, catalog: 'numeric' },
  { spec: { type: 'decimal', default: '12.345', optional: true }, catalog: 'numeric' },
  // The case that drifted forever: precision without scale is numeric(p,0) in the catalog.
  { spec: { type: 'decimal', precision: 5 }, catalog: 'numeric(5,0)' },
  { spec: { type: 'decimal', precision: 1, default: 7, optional: true }, catalog: 'numeric(1,0)' },
  { spec: { type: 'decimal', precision: 5, scale: 0 }, catalog: 'numeric(5,0)' },
  {
    spec: { type: 'decimal', precision: 10, scale: 2, default: '12.50' },
    catalog: 'numeric(10,2)',
  },
  { spec: { type: 'decimal', precision: 3, scale: 3 }, catalog: 'numeric(3,3)' },
  { spec: { type: 'decimal', precision: 1000 }, catalog: 'numeric(1000,0)' },
  { spec: { type: 'decimal', precision: 1000, scale: 1000 }, catalog: 'numeric(1000,1000)' },
  { spec: { type: 'boolean' }, catalog: 'boolean' },
  { spec: { type: 'boolean', default: false, optional: true }, catalog: 'boolean' },
  { spec: { type: 'datetime' }, catalog: 'timestamp with time zone' },
  { spec: { type: 'datetime', default: 'now()' }, catalog: 'timestamp with time zone' },
  { spec: { type: 'datetime', default: 'current_date' }, catalog: 'timestamp with time zone' },
  {
    spec: { type: 'datetime', default: '2024-01-01T00:00:00Z', optional: true },
    catalog: 'timestamp with time zone',
  },
  { spec: { type: 'date' }, catalog: 'date' },
  { spec: { type: 'date', default: 'current_date', optional: true }, catalog: 'date' },
  { spec: { type: 'date', default: '2024-02-29' }, catalog: 'date' },
  { spec: { type: 'date', default: 'now()' }, catalog: 'date' },
  { spec: { type: 'time' }, catalog: 'time without time zone' },
  {
    spec: { type: 'time', default: '08:30:00', optional: true },
    catalog: 'time without time zone',
  },
  { spec: { type: 'time', default: 'now()' }, catalog: 'time without time zone' },
  { spec: { type: 'json' }, catalog: 'jsonb' },
  { spec: { type: 'json', default: '{"a": [1, 2]}', optional: true }, catalog: 'jsonb' },
  { spec: { type: 'enum', values: ['a'] }, catalog: 'text' },
  {
    spec: { type: 'enum', values: ['new', "O'Brien", 'x y'], default: "O'Brien", optional: true },
    catalog: 'text',
  },
  { spec: { type: 'smallint' }, catalog: 'smallint' },
  { spec: { type: 'smallint', default: -32_768, optional: true }, catalog: 'smallint' },
  { spec: { type: 'real' }, catalog: 'real' },
  { spec: { type: 'real', default: 0.5, optional: true }, catalog: 'real' },
  { spec: { type: 'double' }, catalog: 'double precision' },
  { spec: { type: 'double', default: -1.25, optional: true }, catalog: 'double precision' },
  { spec: { type: 'timestamp' }, catalog: 'timestamp without time zone' },
  { spec: { type: 'timestamp', default: 'now()' }, catalog: 'timestamp without time zone' },
  {
    spec: { type: 'timestamp', default: '2024-01-01 08:30:00', optional: true },
    catalog: 'timestamp without time zone',
  },
  { spec: { type: 'bytea' }, catalog: 'bytea' },
  { spec: { type: 'bytea', default: '\\x00ff', optional: true }, catalog: 'bytea' },
  { spec: { type: 'inet' }, catalog: 'inet' },
  { spec: { type: 'inet', default: '10.0.0.1', optional: true }, catalog: 'inet' },
  { spec: { type: 'inet', default: '2001:db8::/32' }, catalog: 'inet' },
  { spec: { type: 'int', array: true }, catalog: 'integer[]' },
  { spec: { type: 'text', array: true, default: '{}' }, catalog: 'text[]' },
  { spec: { type: 'uuid', array: true, optional: true }, catalog: 'uuid[]' },
  { spec: { type: 'string', max_length: 10, array: true }, catalog: 'character varying(10)[]' },
  {
    spec: { type: 'decimal', precision: 10, scale: 2, array: true, optional: true },
    catalog: 'numeric(10,2)[]',
  },
  { spec: { type: 'bigint', array: true }, catalog: 'bigint[]' },
  { spec: { type: 'smallint', array: true }, catalog: 'smallint[]' },
  { spec: { type: 'float', array: true }, catalog: 'double precision[]' },
  { spec: { type: 'real', array: true }, catalog: 'real[]' },
  { spec: { type: 'double', array: true, default: '{}' }, catalog: 'double precision[]' },
  { spec: { type: 'boolean', array: true }, catalog: 'boolean[]' },
  { spec: { type: 'datetime', array: true }, catalog: 'timestamp with time zone[]' },
  { spec: { type: 'timestamp', array: true }, catalog: 'timestamp without time zone[]' },
  { spec: { type: 'date', array: true }, catalog: 'date[]' },
  { spec: { type: 'time', array: true }, catalog: 'time without time zone[]' },
  { spec: { type: 'json', array: true }, catalog: 'jsonb[]' },
  { spec: { type: 'bytea', array: true }, catalog: 'bytea[]' },
  { spec: { type: 'inet', array: true, optional: true }, catalog: 'inet[]' },
  // sql_type: built-in types prism.yaml does not name, present on every server.
  { spec: { sql_type: 'interval' }, catalog: 'interval' },
  { spec: { sql_type: 'macaddr', optional: true }, catalog: 'macaddr' },
  { spec: { sql_type: 'cidr[]' }, catalog: 'cidr[]' },
  { spec: { sql_type: 'pg_catalog.money' }, catalog: 'money' },
  { spec: { sql_type: 'json', optional: true }, catalog: 'json' },
  { spec: { sql_type: 'int4range' }, catalog: 'int4range' },
  { spec: { sql_type: 'tsvector' }, catalog: 'tsvector' },
];

const columnName = (k: number) => `c${String(k).padStart(2, '0')}`;

/**
 * Two models: `typed`, a plain table with every case; `typed_ts`, a hypertable with
 * compression and every case again, keyed on (id, ts).
 */
function specText(): string {
  const fields = CASES.map((c, k) => ({ name: columnName(k), ...c.spec }));
  return JSON.stringify({
    models: [
      { name: 'Typed', fields: [{ name: 'id', type: 'int', primary_key: true }, ...fields] },
      {
        name: 'TypedTs',
        table: 'typed_ts',
        fields: [
          { name: 'id', type: 'bigint', primary_key: true },
          { name: 'ts', type: 'datetime' },
          ...fields,
        ],
        timeseries: {
          time_column: 'ts',
          chunk_interval: '1 day',
          compression: { after: '7 days', segment_by: ['c05'], order_by: ['ts DESC'] },
        },
      },
    ],
  });
}

interface CatalogColumn {
  readonly name: string;
  readonly type: string;
  readonly not_null: boolean;
  readonly default: string | null;
}

const CATALOG_SQL = `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
         a.attnotnull AS not_null, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_catalog.pg_attribute a
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY a.attnum`;

interface Target {
  readonly env: NodeJS.ProcessEnv;
  columns(table: string): Promise<CatalogColumn[]>;
  dispose(): Promise<void>;
}

function describeRoundTrip(title: string, open: (dir: string) => Promise<Target>): void {
  describe(title, function () {
    this.timeout(300_000);
    const dir = tempDir('prism-types-');
    let target: Target | undefined;
    before(async () => {
      target = await open(dir);
    });
    after(async () => {
      await target?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('generate, up, then check finds no drift and the catalog holds each expected type', async () => {
      const t = target as Target;
      writeFileSync(join(dir, 'prism.yaml'), specText());
      const generated = await runCli(['generate', '--name', 'every-type'], {
        cwd: dir,
        env: t.env,
      });
      expect(generated.code, generated.stderr).to.equal(0);
      const up = await runCli(['up'], { cwd: dir, env: t.env });
      expect(up.code, up.stderr).to.equal(0);
      const check = await runCli(['check'], { cwd: dir, env: t.env });
      expect(check.code, check.stdout + check.stderr).to.equal(0);
      expect(check.stdout).to.not.include('drift');

      for (const table of ['typed', 'typed_ts']) {
        const live = new Map((await t.columns(table)).map((c) => [c.name, c]));
        CASES.forEach((c, k) => {
          const column = live.get(columnName(k));
          const label = `${table}.${columnName(k)} ${JSON.stringify(c.spec)}`;
          expect(column, label).to.not.equal(undefined);
          expect(column?.type, label).to.equal(c.catalog);
          expect(column?.not_null, label).to.equal(c.spec['optional'] !== true);
          expect(column?.default === null, label).to.equal(c.spec['default'] === undefined);
        });
      }
    });
  });
}

describe('types round-trip: the expected catalog text of every case', () => {
  it('is what catalogType gives for the spec field, with the generated type beside it', () => {
    const { spec } = parseSpec(specText(), 'prism.yaml');
    const fields = spec.models[0]?.fields.slice(1) ?? [];
    expect(fields).to.have.length(CASES.length);
    fields.forEach((f, k) => {
      expect(catalogType(f), f.name).to.equal(CASES[k]?.catalog);
      expect(columnType(f), f.name).to.be.a('string').and.not.equal('');
    });
  });

  it('covers every field type', () => {
    const types = new Set(CASES.map((c) => c.spec['type'] ?? 'sql'));
    expect([...types].sort()).to.deep.equal([...FIELD_TYPES, 'sql'].sort());
  });
});

describeRoundTrip('types round-trip on embedded TimescaleDB (CLI)', async (dir) => ({
  env: { DATABASE_URL: undefined },
  async columns(table) {
    const db = await openDatabase(
      { kind: 'embedded', dataDir: join(dir, '.prism', 'db') },
      { command: 'test' },
    );
    try {
      return await withClient(db.url, async (c) => (await c.query(CATALOG_SQL, [table])).rows);
    } finally {
      await db.close();
    }
  },
  dispose: async () => undefined,
}));

describeNative(CURRENT_TSL, 'types round-trip (CLI), in a new database', (server: NativeServer) => {
  describeRoundTrip('with TimescaleDB created by up', async () => {
    const db = await createNativeDatabase(server);
    return {
      env: { DATABASE_URL: db.url },
      columns: (table) =>
        withClient(db.url, async (c) => (await c.query(CATALOG_SQL, [table])).rows),
      dispose: () => db.dispose(),
    };
  });
});

describeRoundTrip('types round-trip on the PostgreSQL server (CLI)', async () => {
  const db = await createServerDatabase();
  return {
    env: { DATABASE_URL: db.url },
    columns: (table) => withClient(db.url, async (c) => (await c.query(CATALOG_SQL, [table])).rows),
    dispose: () => db.dispose(),
  };
});
