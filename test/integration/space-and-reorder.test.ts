/**
 * Space partitioning and reorder policies through generated migrations: three steps
 * (partitioned with a reorder policy; more partitions, another reorder index, a populated
 * hypertable partitioned by a rebuild; partitioning removed by a rebuild) applied up one at
 * a time with rows between steps, down again to each catalog before, and up again.
 *
 * On every database: embedded TimescaleDB, native 2.28.3 (Timescale License), 2.28.3
 * Apache-only (`auto`: dimensions, no reorder policies, with a NOTICE), 2.12.2 (the
 * add_dimension form before by_hash) and PostgreSQL without TimescaleDB (`auto`: plain
 * tables). Also: `require` on the Apache-only build refuses a reorder policy, and
 * `apply-timescale` completes a table left plain with its dimension and policy.
 */
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { readSchema } from '../../lib/catalog/read.js';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { detectDrift } from '../../lib/introspect/drift.js';
import { timescaleInfo } from '../../lib/introspect/info.js';
import { applyTimescale } from '../../lib/runner/apply-timescale.js';
import { runPolicyJobs } from '../../lib/runner/jobs.js';
import { migrate } from '../../lib/runner/migrate.js';
import { loadSpec, parseSpec } from '../../lib/spec/load.js';
import { snapshotCatalog, type CatalogSnapshot } from '../helpers/catalog.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeEachNative,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const STEPS = ['step1', 'step2', 'step3'].map((s) =>
  resolve(`test/fixtures/space-and-reorder/${s}.yaml`),
);
const TABLES = ['reading', 'sample'];
const TIMEOUT = 180_000;

type Features = 'all' | 'hypertables' | 'none';

interface Catalog extends CatalogSnapshot {
  /** `table column type partitions`, per dimension in order. */
  readonly dimensions: string[];
  /** `table index`, per reorder job. */
  readonly reorder: string[];
}

async function catalogOf(client: pg.Client): Promise<Catalog> {
  const base = await snapshotCatalog(client, TABLES);
  const ts = (await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`))
    .rowCount;
  if (!ts) return { ...base, dimensions: [], reorder: [] };
  const dims = await client.query<{ d: string }>(
    `SELECT concat_ws(' ', hypertable_name, column_name, dimension_type, num_partitions) AS d
       FROM timescaledb_information.dimensions WHERE hypertable_schema = 'public'
      ORDER BY hypertable_name, dimension_number`,
  );
  const jobs = await client.query<{ j: string }>(
    `SELECT hypertable_name || ' ' || (config ->> 'index_name') AS j FROM timescaledb_information.jobs
      WHERE proc_name = 'policy_reorder' ORDER BY 1`,
  );
  return { ...base, dimensions: dims.rows.map((r) => r.d), reorder: jobs.rows.map((r) => r.j) };
}

/** Rows over the last three days for six devices and three sites. */
async function insertRows(client: pg.Client): Promise<void> {
  await client.query(
    `INSERT INTO reading (device_id, time, value)
     SELECT g % 6, now() - (g || ' minutes')::interval, g FROM generate_series(1, 4320, 7) g`,
  );
  await client.query(
    `INSERT INTO sample (site, time, value)
     SELECT g % 3, now() - (g || ' minutes')::interval, g FROM generate_series(1, 4320, 11) g`,
  );
}

const EXPECTED_DIMENSIONS = [
  ['reading time Time', 'reading device_id Space 4', 'sample time Time'],
  ['reading time Time', 'reading device_id Space 8', 'sample time Time', 'sample site Space 2'],
  ['reading time Time', 'sample time Time', 'sample site Space 2'],
];
const EXPECTED_REORDER = [
  ['reading reading_device_id_time_idx'],
  ['reading reading_time_idx', 'sample sample_site_time_idx'],
  ['sample sample_site_time_idx'],
];

interface Target {
  readonly make: () => Promise<TestDatabase>;
  readonly features: Features;
  /** Check the live schema against each step's spec (every database with TimescaleDB). */
  readonly drift: boolean;
}

function stepTests({ make, features, drift }: Target): void {
  let db: TestDatabase;
  const dir = join(tempDir(), 'migrations');
  const catalogBefore: Catalog[] = [];
  const catalogAfter: Catalog[] = [];
  const logs: string[][] = [];

  const driftFrom = async (client: pg.Client, step: number) => {
    const { spec } = await loadSpec(STEPS[step] as string);
    return detectDrift(client, spec, await detectTimescale(client));
  };

  before(async () => {
    db = await make();
    let now = Date.UTC(2026, 0, 1);
    for (const step of STEPS) {
      const { spec } = await loadSpec(step);
      const result = generateMigration({ spec, migrationsDir: dir, now: new Date((now += 1000)) });
      expect(result.written, step).to.equal(true);
    }
  });
  after(async () => db?.dispose());

  it('goes up one step at a time, rows between steps, rebuilds keeping rows', async () => {
    await withClient(db.url, async (client) => {
      for (let step = 0; step < STEPS.length; step += 1) {
        catalogBefore.push(await catalogOf(client));
        const log: string[] = [];
        await migrate({
          url: db.url,
          client,
          migrationsDir: dir,
          direction: 'up',
          count: 1,
          allowDataLoss: true,
          log: (line) => log.push(line),
        });
        logs.push(log);
        catalogAfter.push(await catalogOf(client));
        if (drift) {
          expect(await driftFrom(client, step), `drift after step ${step + 1}`).to.deep.equal([]);
        }
        if (step < 2) await insertRows(client);
      }
    });
    const rows = catalogAfter.map((c) => c.rowCounts);
    expect(rows).to.deep.equal([
      { reading: 0, sample: 0 },
      { reading: 618, sample: 393 },
      { reading: 1236, sample: 786 },
    ]);
    if (features === 'none') {
      for (const c of catalogAfter) expect(c.dimensions).to.deep.equal([]);
      return;
    }
    expect(catalogAfter.map((c) => c.dimensions)).to.deep.equal(EXPECTED_DIMENSIONS);
    if (features === 'all') {
      expect(catalogAfter.map((c) => c.reorder)).to.deep.equal(EXPECTED_REORDER);
    } else {
      for (const c of catalogAfter) expect(c.reorder).to.deep.equal([]);
      expect(logs[0]?.join('\n')).to.match(/reorder policy on reading skipped: .*Apache-only/);
    }
  }).timeout(TIMEOUT);

  if (features !== 'none') {
    it('the catalog reader, timescale-info and drift see the dimension and the reorder index', async () => {
      await withClient(db.url, async (client) => {
        const sample = (await readSchema(client, { tables: ['sample'] })).tables[0];
        expect(sample?.hypertable?.partitioning).to.deep.equal({ column: 'site', partitions: 2 });
        expect(sample?.hypertable?.reorderIndex).to.equal(
          features === 'all' ? 'sample_site_time_idx' : undefined,
        );
        expect(sample?.unsupported).to.deep.equal([]);
        const info = await timescaleInfo(client);
        const h = info.hypertables.find((t) => t.table === 'sample');
        expect(h?.partitioning).to.deep.equal({ column: 'site', partitions: 2 });
        expect(h?.reorderIndex).to.equal(features === 'all' ? 'sample_site_time_idx' : null);
        if (features === 'all') {
          expect(h?.jobs.map((j) => j.kind)).to.include('reorder');
          // `jobs run` runs the reorder job too.
          const runs = await runPolicyJobs(client, { table: 'sample' });
          expect(runs.map((r) => [r.kind, r.table, r.ok, r.error])).to.deep.equal([
            ['reorder', 'public.sample', true, undefined],
          ]);
        }
        // Step 2's spec against step 3's database: Reading's partitioning and policy differ.
        const differences = (await driftFrom(client, 1)).map((d) => [d.kind, d.expected, d.actual]);
        expect(differences).to.deep.include([
          'partitioning',
          'device_id into 8 partitions',
          'none',
        ]);
        if (features === 'all') {
          expect(differences).to.deep.include([
            'reorderPolicy',
            'by index reading_time_idx',
            'none (removed?)',
          ]);
        }
      });
    }).timeout(TIMEOUT);
  }

  it('goes down one step at a time, each time back to the catalog before that step', async () => {
    await withClient(db.url, async (client) => {
      for (let step = STEPS.length - 1; step >= 0; step -= 1) {
        await migrate({
          url: db.url,
          client,
          migrationsDir: dir,
          direction: 'down',
          count: 1,
          allowDataLoss: true,
        });
        const now = await catalogOf(client);
        const expected = catalogBefore[step] as Catalog;
        expect({ ...now, rowCounts: {} }, `down of step ${step + 1}`).to.deep.equal({
          ...expected,
          rowCounts: {},
        });
        if (drift && step > 0) {
          expect(
            await driftFrom(client, step - 1),
            `drift after down of ${step + 1}`,
          ).to.deep.equal([]);
        }
      }
    });
  }).timeout(TIMEOUT);

  it('goes up again to the same catalog', async () => {
    await withClient(db.url, async (client) => {
      await migrate({ url: db.url, client, migrationsDir: dir, direction: 'up' });
      const now = await catalogOf(client);
      expect({ ...now, rowCounts: {} }).to.deep.equal({
        ...(catalogAfter[2] as Catalog),
        rowCounts: {},
      });
    });
  }).timeout(TIMEOUT);
}

describe('space partitioning and reorder on embedded TimescaleDB', function () {
  this.timeout(TIMEOUT);
  stepTests({ make: createEmbeddedDatabase, features: 'all', drift: true });
});

describe('space partitioning and reorder on the PostgreSQL server (auto)', function () {
  this.timeout(TIMEOUT);
  stepTests({ make: createServerDatabase, features: 'none', drift: false });
});

describeEachNative('space partitioning and reorder in a new database', (server: NativeServer) =>
  stepTests({
    make: () => createNativeDatabase(server),
    features: server.license === 'timescale' ? 'all' : 'hypertables',
    drift: true,
  }),
);

/** A spec with a reorder policy and nothing else licensed, so `require` fails on it alone. */
const REORDER_ONLY = `
models:
  - name: Reading
    fields:
      - { name: device_id, type: int }
      - { name: time, type: datetime }
    timeseries:
      time_column: time
      partitioning: { column: device_id, partitions: 2 }
      reorder: { index: [time DESC] }
`;

describeNative(
  { license: 'apache' },
  'a reorder policy under timescale require',
  (server: NativeServer) => {
    it('is refused by the Apache-only build, and nothing is applied', async () => {
      const db = await createNativeDatabase(server);
      try {
        const dir = join(tempDir(), 'migrations');
        // The spec's own mode: the migration's steps carry it (no run-wide pre-flight check).
        const { spec } = parseSpec(`timescale: require\n${REORDER_ONLY}`, 'prism.yaml');
        generateMigration({ spec, migrationsDir: dir });
        let error: Error | undefined;
        await migrate({
          url: db.url,
          migrationsDir: dir,
          direction: 'up',
        }).catch((e: Error) => (error = e));
        expect(error?.message).to.match(
          /prism: reorder policy on reading needs TimescaleDB: the TimescaleDB build here is Apache-only/,
        );
        await withClient(db.url, async (client) => {
          expect(
            (await client.query(`SELECT to_regclass('public.reading') AS r`)).rows[0],
          ).to.deep.equal({ r: null });
        });
      } finally {
        await db.dispose();
      }
    }).timeout(TIMEOUT);
  },
);

describeNative(
  CURRENT_TSL,
  'apply-timescale with space partitioning and a reorder policy',
  (server) => {
    it('completes a table left plain: the hypertable with its dimension, then the policy', async () => {
      const db = await createNativeDatabase(server);
      try {
        const dir = join(tempDir(), 'migrations');
        const { spec } = parseSpec(REORDER_ONLY, 'prism.yaml');
        generateMigration({ spec, migrationsDir: dir });
        await migrate({ url: db.url, migrationsDir: dir, direction: 'up', timescale: 'off' });
        await withClient(db.url, (c) =>
          c.query(
            `INSERT INTO reading SELECT g % 4, now() - (g || ' minutes')::interval FROM generate_series(1, 500) g`,
          ),
        );
        const result = await applyTimescale({ url: db.url, migrationsDir: dir });
        expect(result.steps.map((s) => s.description)).to.deep.equal([
          'make reading a hypertable on time and device_id (2 partitions)',
          'reorder chunks of reading by index reading_time_idx',
        ]);
        await withClient(db.url, async (client) => {
          const c = await catalogOf(client);
          expect(c.dimensions).to.deep.equal(['reading time Time', 'reading device_id Space 2']);
          expect(c.reorder).to.deep.equal(['reading reading_time_idx']);
          expect(c.rowCounts['reading']).to.equal(500);
          expect(await detectDrift(client, spec, await detectTimescale(client))).to.deep.equal([]);
        });
      } finally {
        await db.dispose();
      }
    }).timeout(TIMEOUT);
  },
);
