/**
 * The newer field types end to end, on every kind of database: a hypertable on a
 * `timestamp` (without time zone) time column and a plain table, both with smallint,
 * real, double, timestamp, bytea, inet, arrays and sql_type columns (built-in types
 * prism.yaml does not name, and a domain), go up, down and up again with no difference
 * between the live schema and the spec's; `pull` gives back a spec that compiles to the
 * same schema with nothing left out; and rows of every type go in and come back through
 * the repository. On PostgreSQL without TimescaleDB the hypertable is a plain table.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { readSchema } from '../../lib/catalog/read.js';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { schemaToSpec } from '../../lib/pull/to-spec.js';
import { createRepositoryFor } from '../../lib/query/repository.js';
import { migrate } from '../../lib/runner/migrate.js';
import { compileSpec } from '../../lib/schema/compile.js';
import { compareSchemas } from '../../lib/schema/compare.js';
import type { Schema } from '../../lib/schema/types.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Model } from '../../lib/spec/types.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  describeNative,
  SERVER_KINDS,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const FIELDS = [
  { name: 'sm', type: 'smallint', default: 1 },
  { name: 'r', type: 'real' },
  { name: 'd', type: 'double', optional: true, default: -1.25 },
  { name: 'f', type: 'float' },
  { name: 'ts2', type: 'timestamp', optional: true, default: '2024-01-01 00:00:00' },
  { name: 'b', type: 'bytea', optional: true },
  { name: 'ip', type: 'inet', default: '10.0.0.1' },
  { name: 'ints', type: 'int', array: true },
  { name: 'tags', type: 'text', array: true, default: '{}' },
  { name: 'names', type: 'string', max_length: 20, array: true, optional: true },
  { name: 'amounts', type: 'decimal', precision: 10, scale: 2, array: true, optional: true },
  { name: 'flags', type: 'boolean', array: true, optional: true },
  { name: 'times', type: 'datetime', array: true, optional: true },
  { name: 'stamps', type: 'timestamp', array: true, optional: true },
  { name: 'blobs', type: 'bytea', array: true, optional: true },
  { name: 'ips', type: 'inet', array: true, optional: true },
  { name: 'docs', type: 'json', array: true, optional: true },
  { name: 'uuids', type: 'uuid', array: true, optional: true },
  { name: 'small', type: 'smallint', array: true, optional: true },
  { name: 'span', sql_type: 'interval', optional: true },
  { name: 'net', sql_type: 'cidr[]', optional: true },
  { name: 'mac', sql_type: 'macaddr', optional: true },
  { name: 'pos', sql_type: 'positive_int', optional: true },
  { name: 'doc', sql_type: 'json', optional: true },
  { name: 'tsv', sql_type: 'tsvector', optional: true },
];

const SPEC_TEXT = JSON.stringify({
  models: [
    {
      name: 'Sample',
      fields: [{ name: 'at', type: 'timestamp' }, ...FIELDS],
      timeseries: {
        time_column: 'at',
        chunk_interval: '1 day',
        compression: { segment_by: ['sm'], order_by: ['at DESC'], after: '7 days' },
      },
    },
    { name: 'Plain', fields: [{ name: 'id', type: 'int', primary_key: true }, ...FIELDS] },
  ],
});

/** The sql_type domain exists before the migration, as an extension's type would. */
const SETUP = 'CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0)';

/** Tables without what only a spec knows, defaults by kind (compareSchemas compares values). */
function tablesOf(schema: Schema, plain: boolean, apache: boolean): unknown[] {
  return [...schema.tables]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => ({
      ...t,
      timescale: undefined,
      hypertable:
        plain || t.hypertable === undefined
          ? undefined
          : apache
            ? { ...t.hypertable, compression: undefined, compressAfter: undefined }
            : t.hypertable,
      columns: t.columns.map((c) => ({ ...c, default: c.default?.kind })),
    }));
}

/** What TimescaleDB would add: absent where the server has none (`timescale: auto`). */
const TIMESCALE_KINDS = ['hypertable', 'compression', 'compressionPolicy', 'retentionPolicy'];
/** What the Apache-only edition leaves out under `timescale: auto`. */
const LICENSED_KINDS = ['compression', 'compressionPolicy', 'retentionPolicy'];

function suite(make: () => Promise<TestDatabase>, native?: NativeServer): void {
  const spec = parseSpec(SPEC_TEXT, 'prism.yaml').spec;
  const compiled = compileSpec(spec);
  const tables = spec.models.map((m) => m.table);
  let db: TestDatabase;
  let dir: string;

  before(async () => {
    db = await make();
    dir = join(tempDir('prism-field-types-'), 'migrations');
    mkdirSync(dir, { recursive: true });
    await withClient(db.url, (c) => c.query(SETUP));
    generateMigration({ spec, migrationsDir: dir, now: new Date(Date.UTC(2026, 0, 1)) });
  });
  after(async () => db?.dispose());

  const plain = () => native === undefined && !db.label.includes('embedded');
  const apache = native?.license === 'apache';

  async function liveDifferences(client: pg.Client): Promise<unknown[]> {
    const live = await readSchema(client, { tables });
    return compareSchemas(live, compiled, { extraTables: true }).filter(
      (d) =>
        !(
          d.table === 'sample' &&
          ((plain() && TIMESCALE_KINDS.includes(d.kind)) ||
            (apache && LICENSED_KINDS.includes(d.kind)))
        ),
    );
  }

  it('up, down and up again: the live schema is the spec’s each time up ran', async () => {
    await withClient(db.url, async (client) => {
      await migrate({ url: db.url, client, migrationsDir: dir, direction: 'up' });
      expect(await liveDifferences(client)).to.deep.equal([]);
      const support = await detectTimescale(client);
      const hypertable = await client.query(
        `SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb'`,
      );
      if (native !== undefined || support.installed) {
        const { rows } = await client.query(
          `SELECT d.column_name, d.column_type::text AS type FROM timescaledb_information.dimensions d WHERE d.hypertable_name = 'sample'`,
        );
        expect(rows).to.deep.equal([{ column_name: 'at', type: 'timestamp without time zone' }]);
      } else {
        expect(hypertable.rowCount, 'no TimescaleDB: a plain table').to.equal(0);
      }
      await migrate({
        url: db.url,
        client,
        migrationsDir: dir,
        direction: 'down',
        count: Infinity,
        allowDataLoss: true,
      });
      const left = await client.query(
        `SELECT relname FROM pg_catalog.pg_class WHERE relname = ANY($1::text[]) AND relkind IN ('r', 'p')`,
        [tables],
      );
      expect(left.rows).to.deep.equal([]);
      await migrate({ url: db.url, client, migrationsDir: dir, direction: 'up' });
      expect(await liveDifferences(client)).to.deep.equal([]);
    });
  });

  it('pull gives back a spec with every column, compiling to the same schema', async () => {
    await withClient(db.url, async (client) => {
      const live = await readSchema(client, { tables });
      const pulled = schemaToSpec(live);
      expect(pulled.notes, pulled.text).to.deep.equal([]);
      expect(pulled.text).to.include('sql_type: positive_int');
      expect(pulled.text).to.include('sql_type: cidr[]');
      expect(pulled.text).to.match(/name: at\n\s+type: timestamp\n/);
      const again = compileSpec(parseSpec(pulled.text, 'prism.yaml').spec);
      expect(tablesOf(again, plain(), apache), pulled.text).to.deep.equal(
        tablesOf(compiled, plain(), apache),
      );
    });
  });

  it('rows of every type go in and come back through the repository', async () => {
    const model = spec.models.find((m) => m.name === 'Sample') as Model;
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const repo = await createRepositoryFor(pool, model);
      expect(repo.dialect).to.equal(plain() ? 'postgres' : 'timescale');
      const inserted = await repo.insertMany([
        {
          at: '2026-01-01T10:00:00',
          sm: -32768,
          r: 0.5,
          d: 1.25,
          f: -2.5,
          ts2: '2026-03-04T05:06:07.5',
          b: Buffer.from([0, 1, 255]),
          ip: '192.168.0.1/24',
          ints: [1, null, 3],
          tags: ['a"b', 'c\\d', 'NULL', '', '{x}'],
          names: ['x'],
          amounts: ['12.50', -1],
          flags: [true, false],
          times: [new Date('2026-01-01T00:00:00Z')],
          stamps: ['2026-01-01T01:02:03'],
          blobs: [Buffer.from('hi'), 'AP8='],
          ips: ['::1', '10.0.0.0/8'],
          docs: [{ a: 1 }, [1, 'x"']],
          uuids: ['00000000-0000-0000-0000-000000000001'],
          small: [32767],
          span: '1 day 02:00:00',
          net: '{10.0.0.0/8}',
          mac: '08:00:2b:01:02:03',
          pos: '5',
          doc: '{"a": 1}',
          tsv: 'a fat cat',
        },
        { at: new Date(2026, 0, 1, 11, 0, 0), r: 0, f: 0, ints: [] },
      ]);
      expect(inserted).to.equal(2);
      const refused = await repo
        .insertMany([{ at: '2026-01-01T12:00:00', r: 0, f: 0, ints: [], pos: '-1' }])
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(refused?.message).to.match(/positive_int/);
      const rows = await repo.getByTimeRange('2026-01-01', '2026-01-02');
      expect(rows).to.have.length(2);
      const [full, sparse] = rows as Record<string, unknown>[];
      expect(full?.['at']).to.deep.equal(new Date(2026, 0, 1, 10, 0, 0));
      expect(full).to.deep.include({
        sm: -32768,
        r: 0.5,
        d: 1.25,
        f: -2.5,
        ip: '192.168.0.1/24',
        ints: [1, null, 3],
        tags: ['a"b', 'c\\d', 'NULL', '', '{x}'],
        names: ['x'],
        amounts: [12.5, -1],
        flags: [true, false],
        ips: ['::1', '10.0.0.0/8'],
        docs: [{ a: 1 }, [1, 'x"']],
        uuids: ['00000000-0000-0000-0000-000000000001'],
        small: [32767],
        net: ['10.0.0.0/8'],
        mac: '08:00:2b:01:02:03',
        pos: 5,
        doc: { a: 1 },
        tsv: "'a' 'cat' 'fat'",
      });
      expect(full?.['ts2']).to.deep.equal(new Date(2026, 2, 4, 5, 6, 7, 500));
      expect(full?.['b']).to.deep.equal(Buffer.from([0, 1, 255]));
      expect(full?.['times']).to.deep.equal([new Date('2026-01-01T00:00:00Z')]);
      expect(full?.['stamps']).to.deep.equal([new Date(2026, 0, 1, 1, 2, 3)]);
      expect(full?.['blobs']).to.deep.equal([Buffer.from('hi'), Buffer.from([0, 255])]);
      expect(full?.['span']).to.deep.include({ days: 1, hours: 2 });
      expect(sparse?.['at']).to.deep.equal(new Date(2026, 0, 1, 11, 0, 0));
      expect(sparse).to.deep.include({ sm: 1, d: -1.25, ip: '10.0.0.1', ints: [], tags: [] });
      expect(sparse?.['ts2']).to.deep.equal(new Date(2024, 0, 1));
      const buckets = await repo.getTimeBucketAggregates('1 hour', '2026-01-01', '2026-01-02', {
        aggregations: ['count', 'max'],
        fields: ['sm'],
      });
      expect(buckets.map((b) => [b['bucket'], b['count_sm'], b['max_sm']])).to.deep.equal([
        [new Date(2026, 0, 1, 10), 1, -32768],
        [new Date(2026, 0, 1, 11), 1, 1],
      ]);
    } finally {
      await pool.end();
    }
  });
}

describe('newer field types on embedded TimescaleDB', function () {
  this.timeout(300_000);
  suite(createEmbeddedDatabase);
});

for (const kind of SERVER_KINDS) {
  describeNative(kind, 'newer field types in a new database', (server: NativeServer) => {
    suite(() => createNativeDatabase(server), server);
  });
}

describe('newer field types on the PostgreSQL server (no TimescaleDB)', function () {
  this.timeout(300_000);
  suite(() => createServerDatabase());
});
