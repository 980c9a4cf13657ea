/**
 * compression.chunk_interval and compression.sparse_indexes through generated migrations,
 * up, down and up again: on TimescaleDB 2.18+ the columnstore API runs (its procedures are
 * counted in pg_stat_user_functions), on 2.12 the compression API; sparse indexes are
 * refused where the server has none; skipped under `auto` on Apache-only TimescaleDB and
 * on plain PostgreSQL. Settings are read back through TimescaleDB's own views and the
 * catalog reader, and drift against the spec is empty after every step.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { readSchema } from '../../lib/catalog/read.js';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { detectDrift } from '../../lib/introspect/drift.js';
import { migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Spec } from '../../lib/spec/types.js';
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
  type NativeServer,
} from '../helpers/timescale-servers.js';

interface Shape {
  /** No compression at all. */
  readonly plain?: boolean;
  readonly merge?: string;
  readonly sparse?: readonly { column: string; type: 'minmax' | 'bloom' }[];
}

function specOf(shape: Shape): Spec {
  const compression = {
    after: '7 days',
    segment_by: ['device'],
    order_by: ['ts DESC'],
    ...(shape.merge ? { chunk_interval: shape.merge } : {}),
    ...(shape.sparse ? { sparse_indexes: shape.sparse } : {}),
  };
  const text = JSON.stringify({
    models: [
      {
        name: 'Reading',
        fields: [
          { name: 'ts', type: 'datetime' },
          { name: 'device', type: 'string' },
          { name: 'value', type: 'float' },
          { name: 'code', type: 'int', optional: true },
        ],
        timeseries: {
          time_column: 'ts',
          chunk_interval: '1 day',
          ...(shape.plain ? {} : { compression }),
        },
      },
    ],
  });
  return parseSpec(text, 'prism.yaml').spec;
}

const A: Shape = { merge: '2 days', sparse: [{ column: 'value', type: 'minmax' }] };
const B: Shape = { merge: '3 days', sparse: [{ column: 'code', type: 'bloom' }] };
const A_DENSE: Shape = { merge: '2 days' };
const B_DENSE: Shape = { merge: '3 days' };

class Migrations {
  readonly dir = join(tempDir('prism-columnstore-'), 'migrations');
  private clock = Date.UTC(2026, 0, 1);
  constructor(private readonly db: TestDatabase) {
    mkdirSync(this.dir, { recursive: true });
  }
  generate(shape: Shape): void {
    const result = generateMigration({
      spec: specOf(shape),
      migrationsDir: this.dir,
      now: new Date((this.clock += 1000)),
    });
    expect(result.written, 'a migration was generated').to.equal(true);
  }
  run(direction: 'up' | 'down', count?: number) {
    // The data a full down drops is this test's own.
    return migrate({
      url: this.db.url,
      migrationsDir: this.dir,
      direction,
      count,
      allowDataLoss: true,
    });
  }
}

async function drift(db: TestDatabase, shape: Shape) {
  return withClient(db.url, async (c) => detectDrift(c, specOf(shape), await detectTimescale(c)));
}

/** What the catalog reader sees of the table's compression. */
async function compressionRead(db: TestDatabase) {
  return withClient(db.url, async (c) => {
    const table = (await readSchema(c, { tables: ['reading'] })).tables[0];
    const h = table?.hypertable;
    const ci = h?.compression?.chunkInterval;
    return {
      hypertable: h !== undefined,
      enabled: h?.compression !== undefined,
      segmentBy: h?.compression?.segmentBy,
      chunkInterval: ci?.kind === 'interval' ? ci.interval.text : undefined,
      sparseIndexes: h?.compression?.sparseIndexes,
    };
  });
}

/** TimescaleDB's own account: the settings view of the version and the policy job. */
async function timescaleView(c: pg.Client, columnstore: boolean) {
  const settings = columnstore
    ? (
        await c.query(
          `SELECT segmentby, orderby, compress_interval_length::text AS merge,
                  (SELECT pg_catalog.jsonb_agg(e ORDER BY e::text) FROM pg_catalog.jsonb_array_elements(index) e
                    WHERE e ->> 'source' = 'config') AS sparse
             FROM timescaledb_information.hypertable_columnstore_settings
            WHERE hypertable = 'reading'::regclass`,
        )
      ).rows
    : (
        await c.query(
          `SELECT (SELECT string_agg(attname, ',') FROM timescaledb_information.compression_settings
                    WHERE hypertable_name = 'reading' AND segmentby_column_index IS NOT NULL) AS segmentby,
                  (SELECT d.compress_interval_length FROM _timescaledb_catalog.dimension d
                     JOIN _timescaledb_catalog.hypertable h ON h.id = d.hypertable_id
                    WHERE h.table_name = 'reading')::text AS merge`,
        )
      ).rows;
  const jobs = (
    await c.query(
      `SELECT proc_name, config ->> 'compress_after' AS after FROM timescaledb_information.jobs
        WHERE hypertable_name = 'reading'`,
    )
  ).rows;
  return { settings, jobs };
}

/** Calls of the policy and conversion routines since the database was made. */
async function routineCalls(c: pg.Client): Promise<Record<string, number>> {
  const { rows } = await c.query<{ funcname: string; calls: string }>(
    `SELECT funcname, calls::text FROM pg_stat_user_functions
      WHERE funcname IN ('add_columnstore_policy', 'remove_columnstore_policy', 'convert_to_rowstore',
                         'add_compression_policy', 'remove_compression_policy', 'decompress_chunk')`,
  );
  return Object.fromEntries(rows.map((r) => [r.funcname, Number(r.calls)]));
}

/** Up A, up B, down to A, down all, up all: settings and drift checked after each. */
async function upDownUp(
  db: TestDatabase,
  a: Shape,
  b: Shape,
  check: (shape: Shape) => Promise<void>,
): Promise<void> {
  const m = new Migrations(db);
  m.generate(a);
  m.generate(b);
  await m.run('up', 1);
  await check(a);
  expect(await drift(db, a), 'drift after up A').to.deep.equal([]);
  await withClient(db.url, (c) =>
    c.query(
      `INSERT INTO reading (ts, device, value, code)
       SELECT now() - g * interval '1 hour', 'd' || (g % 3), g, g % 7 FROM generate_series(1, 240) g`,
    ),
  );
  await m.run('up');
  await check(b);
  expect(await drift(db, b), 'drift after up B').to.deep.equal([]);
  await m.run('down', 1);
  await check(a);
  expect(await drift(db, a), 'drift after down to A').to.deep.equal([]);
  await m.run('down', Infinity);
  expect(await compressionRead(db)).to.deep.include({ hypertable: false, enabled: false });
  await m.run('up');
  await check(b);
  expect(await drift(db, b), 'drift after up again').to.deep.equal([]);
}

const TIMEOUT = 300_000;

describeNative(
  { license: 'timescale', before213: false },
  'columnstore settings through generated migrations',
  (server: NativeServer) => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createNativeDatabase(server);
      await withClient(db.url, (c) =>
        c.query(
          `ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET track_functions = 'all'`,
        ),
      );
    });
    afterEach(async () => db?.dispose());

    it('uses the columnstore API; settings and sparse indexes as the spec says, up, down and up', async function () {
      this.timeout(TIMEOUT);
      await upDownUp(db, A, B, async (shape) => {
        const read = await compressionRead(db);
        expect(read).to.deep.equal({
          hypertable: true,
          enabled: true,
          segmentBy: ['device'],
          chunkInterval: shape.merge,
          sparseIndexes: shape.sparse,
        });
        const view = await withClient(db.url, (c) => timescaleView(c, true));
        expect(view.settings).to.deep.equal([
          {
            segmentby: 'device',
            orderby: 'ts DESC',
            merge: shape.merge,
            sparse: (shape.sparse ?? []).map((s) => ({ ...s, source: 'config' })),
          },
        ]);
        expect(view.jobs).to.deep.equal([{ proc_name: 'policy_compression', after: '7 days' }]);
      });
      // Stats reach the view once the migration's connections have ended.
      await new Promise((r) => setTimeout(r, 1000));
      const calls = await withClient(db.url, routineCalls);
      expect(calls['add_columnstore_policy'], JSON.stringify(calls)).to.be.greaterThan(0);
      expect(calls).to.not.have.property('add_compression_policy');
    });

    it('reads a sparse index prism.yaml cannot state (a composite bloom) as unsupported', async function () {
      this.timeout(TIMEOUT);
      const m = new Migrations(db);
      m.generate(A_DENSE);
      await m.run('up');
      const read = await withClient(db.url, async (c) => {
        await c.query(
          `ALTER TABLE reading SET (timescaledb.sparse_index = 'bloom(value, code), minmax(code)')`,
        );
        return (await readSchema(c, { tables: ['reading'] })).tables[0];
      });
      expect(read?.hypertable?.compression?.sparseIndexes).to.deep.equal([
        { column: 'code', type: 'minmax' },
      ]);
      expect(read?.unsupported).to.deep.include({
        what: 'sparse index ["value","code"]',
        detail: 'a bloom sparse index on ["value","code"], which prism.yaml cannot state',
      });
    });

    it('rolls chunks together when compressing; turning compression off converts them back to rowstore', async function () {
      this.timeout(TIMEOUT);
      const m = new Migrations(db);
      m.generate({ plain: true });
      m.generate(A_DENSE);
      await m.run('up');
      const count = async (c: pg.Client, sql: string) => Number((await c.query(sql)).rows[0].n);
      const chunks = `SELECT count(*) AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'reading'`;
      const compressed = `${chunks} AND is_compressed`;
      const merged = await withClient(db.url, async (c) => {
        await c.query(
          `INSERT INTO reading (ts, device, value)
           SELECT now() - g * interval '1 hour', 'd', g FROM generate_series(1, 24 * 12) g`,
        );
        const before = await count(c, chunks);
        // Oldest first: a chunk is rolled into the compressed chunk just before it.
        await c.query(
          `DO $$ DECLARE ch regclass; BEGIN
             FOR ch IN SELECT pg_catalog.format('%I.%I', chunk_schema, chunk_name)::regclass
                         FROM timescaledb_information.chunks
                        WHERE hypertable_name = 'reading' AND range_end < now() - interval '1 day'
                        ORDER BY range_start LOOP
               PERFORM compress_chunk(ch);
             END LOOP; END $$`,
        );
        return { before, after: await count(c, chunks), compressed: await count(c, compressed) };
      });
      expect(merged.after, JSON.stringify(merged)).to.be.lessThan(merged.before);
      expect(merged.compressed).to.be.greaterThan(0);
      await m.run('down', 1);
      const after = await withClient(db.url, async (c) => ({
        compressed: await count(c, compressed),
        rows: await count(c, 'SELECT count(*) AS n FROM reading'),
      }));
      expect(after).to.deep.equal({ compressed: 0, rows: 24 * 12 });
      expect(await compressionRead(db)).to.deep.include({ hypertable: true, enabled: false });
      expect(await drift(db, { plain: true })).to.deep.equal([]);
      // Up again: compression comes back without the old chunk interval lingering.
      await m.run('up');
      expect(await compressionRead(db)).to.deep.include({ enabled: true, chunkInterval: '2 days' });
      await new Promise((r) => setTimeout(r, 1000));
      const calls = await withClient(db.url, routineCalls);
      expect(calls['convert_to_rowstore'], JSON.stringify(calls)).to.be.greaterThan(0);
      expect(calls['remove_columnstore_policy'], JSON.stringify(calls)).to.be.greaterThan(0);
      expect(calls).to.not.have.property('decompress_chunk');
      expect(calls).to.not.have.property('remove_compression_policy');
    });
  },
);

describeNative(
  { license: 'timescale', before213: true },
  'compression settings through generated migrations',
  (server: NativeServer) => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createNativeDatabase(server);
      await withClient(db.url, (c) =>
        c.query(
          `ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET track_functions = 'all'`,
        ),
      );
    });
    afterEach(async () => db?.dispose());

    it('uses the compression API with the chunk interval, up, down and up', async function () {
      this.timeout(TIMEOUT);
      await upDownUp(db, A_DENSE, B_DENSE, async (shape) => {
        expect(await compressionRead(db)).to.deep.equal({
          hypertable: true,
          enabled: true,
          segmentBy: ['device'],
          chunkInterval: shape.merge,
          sparseIndexes: undefined,
        });
        const view = await withClient(db.url, (c) => timescaleView(c, false));
        const micros = { '2 days': '172800000000', '3 days': '259200000000' };
        expect(view.settings).to.deep.equal([
          { segmentby: 'device', merge: micros[shape.merge as keyof typeof micros] },
        ]);
        expect(view.jobs).to.deep.equal([{ proc_name: 'policy_compression', after: '7 days' }]);
      });
      await new Promise((r) => setTimeout(r, 1000));
      const calls = await withClient(db.url, routineCalls);
      expect(calls['add_compression_policy'], JSON.stringify(calls)).to.be.greaterThan(0);
      expect(calls).to.not.have.property('add_columnstore_policy');
    });

    it('refuses sparse indexes, naming the version, and changes nothing', async function () {
      this.timeout(TIMEOUT);
      const m = new Migrations(db);
      m.generate(A);
      let failure: unknown;
      await m.run('up').catch((e: unknown) => (failure = e));
      expect(String((failure as Error | undefined)?.message)).to.include(
        `prism: sparse indexes on reading need TimescaleDB 2.22 or later; this server has ${server.version}`,
      );
      expect(await compressionRead(db)).to.deep.include({ hypertable: false });
      const left = await withClient(db.url, (c) =>
        c.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'reading'`),
      );
      expect(left.rows[0].n).to.equal(0);
    });
  },
);

describe('columnstore settings on embedded TimescaleDB', function () {
  this.timeout(TIMEOUT);
  let db: TestDatabase;
  before(async () => {
    db = await createEmbeddedDatabase();
  });
  after(async () => db?.dispose());

  it('applies chunk interval and sparse indexes, up, down and up', async () => {
    await upDownUp(db, A, B, async (shape) => {
      expect(await compressionRead(db)).to.deep.equal({
        hypertable: true,
        enabled: true,
        segmentBy: ['device'],
        chunkInterval: shape.merge,
        sparseIndexes: shape.sparse,
      });
      const view = await withClient(db.url, (c) => timescaleView(c, true));
      expect(view.settings).to.have.length(1);
      expect(view.settings[0]).to.deep.include({ segmentby: 'device', merge: shape.merge });
      expect(view.jobs).to.deep.equal([{ proc_name: 'policy_compression', after: '7 days' }]);
    });
  });
});

describeNative({ license: 'apache' }, 'columnstore settings under auto', (server: NativeServer) => {
  let db: TestDatabase;
  before(async () => {
    db = await createNativeDatabase(server);
  });
  after(async () => db?.dispose());

  it('skips compression with its settings, as it skips compression; up, down and up', async function () {
    this.timeout(TIMEOUT);
    await upDownUp(db, A, B, async () => {
      expect(await compressionRead(db)).to.deep.include({ hypertable: true, enabled: false });
    });
  });
});

describe('columnstore settings on the PostgreSQL server (auto)', function () {
  this.timeout(TIMEOUT);
  let db: TestDatabase;
  before(async () => {
    db = await createServerDatabase();
  });
  after(async () => db?.dispose());

  it('leaves a plain table; up, down and up', async () => {
    await upDownUp(db, A, B, async () => {
      expect(await compressionRead(db)).to.deep.include({ hypertable: false, enabled: false });
      const exists = await withClient(db.url, (c) =>
        c.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'reading'`),
      );
      expect(exists.rows[0].n).to.equal(1);
    });
  });
});
