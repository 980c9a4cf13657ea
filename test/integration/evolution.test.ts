/**
 * A four-step evolution of a spec, generated step by step, applied up one migration at a
 * time with rows inserted between steps, then down one at a time: after every down the
 * catalog (hypertables, intervals, compression settings, policy configs, columns,
 * indexes, constraints and row counts) equals the catalog before that step went up.
 *
 * It runs on embedded TimescaleDB, on the PostgreSQL server (auto: plain tables), and on
 * every native TimescaleDB server in a new database where the first `up` creates the
 * extension. There the live schema also matches each step's spec after every up and down
 * (drift, and `check` once every migration is applied); on the Apache-only build `auto`
 * makes hypertables without compression or policies.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { detectDrift, type Drift } from '../../lib/introspect/drift.js';
import { loadSpec } from '../../lib/spec/load.js';
import { migrate } from '../../lib/runner/migrate.js';
import { snapshotCatalog, type CatalogSnapshot } from '../helpers/catalog.js';
import { runCli } from '../helpers/cli.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  describeEachNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const STEPS = ['step1', 'step2', 'step3', 'step4'].map((s) =>
  resolve(`test/fixtures/evolution/${s}.yaml`),
);
const TABLES = ['datapoint', 'device', 'event'];

/** Rows that every step can take: DataPoint over the last 60 days, and a few devices. */
async function insertRows(client: pg.Client, step: number): Promise<void> {
  await client.query(
    `INSERT INTO datapoint (id, "timestamp", source, value)
     SELECT gen_random_uuid(), now() - (g || ' hours')::interval, 's' || (g % 3), g FROM generate_series(1, 1440, 7) g`,
  );
  await client.query(
    `INSERT INTO device (id, label) SELECT g + $1::int * 100, 'd' || g FROM generate_series(1, 5) g`,
    [step],
  );
}

async function compressOldChunks(client: pg.Client): Promise<number> {
  const ts = (await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`))
    .rowCount;
  if (!ts) return 0;
  const r = await client.query(
    `SELECT count(compress_chunk(c, true))::int AS n FROM show_chunks('datapoint', older_than => interval '20 days') c`,
  );
  return (r.rows[0] as { n: number }).n;
}

/**
 * What TimescaleDB gives the migrations: everything (Timescale License), hypertables
 * only (the Apache-only build under `auto`), or nothing (no TimescaleDB, `auto`).
 */
type Features = 'all' | 'hypertables' | 'none';

interface Target {
  readonly make: () => Promise<TestDatabase>;
  readonly features: Features;
  /**
   * A native server: its database starts without TimescaleDB, the first `up` creates it,
   * and the live schema is checked against each step's spec.
   */
  readonly native?: NativeServer;
}

const TIMEOUT = 180_000;

/** The live schema against the spec of a step (0-based). */
async function driftFrom(client: pg.Client, step: number): Promise<Drift[]> {
  const { spec } = await loadSpec(STEPS[step] as string);
  return detectDrift(client, spec, await detectTimescale(client));
}

async function extensionVersion(client: pg.Client): Promise<string | undefined> {
  const r = await client.query<{ extversion: string }>(
    `SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`,
  );
  return r.rows[0]?.extversion;
}

const hypertablesOf = (c: CatalogSnapshot | undefined) =>
  (c?.hypertables as { hypertable_name: string; time_interval: string }[]).map((h) => [
    h.hypertable_name,
    h.time_interval,
  ]);

function evolutionTests({ make, features, native }: Target): void {
  let db: TestDatabase;
  const dir = join(tempDir(), 'migrations');
  const catalogBefore: CatalogSnapshot[] = [];
  const catalogAfter: CatalogSnapshot[] = [];

  before(async () => {
    db = await make();
  });
  after(async () => db?.dispose());

  it('generates one migration per step, and nothing when the spec is unchanged', async () => {
    let now = Date.UTC(2026, 0, 1);
    for (const step of STEPS) {
      const { spec } = await loadSpec(step);
      const result = generateMigration({
        spec,
        migrationsDir: dir,
        now: new Date((now += 1000)),
      });
      expect(result.written, step).to.equal(true);
      const again = generateMigration({ spec, migrationsDir: dir, now: new Date((now += 1000)) });
      expect(again.written, `${step} again`).to.equal(false);
    }
    const files = readFileSync(join(dir, '.prism', 'snapshot.json'), 'utf8');
    expect(JSON.parse(files)).to.include({ version: 1 });
  }).timeout(TIMEOUT);

  it('goes up one step at a time with rows between steps', async () => {
    await withClient(db.url, async (client) => {
      if (native) expect(await extensionVersion(client), 'before the first up').to.equal(undefined);
      for (let step = 0; step < STEPS.length; step += 1) {
        catalogBefore.push(await snapshotCatalog(client, TABLES));
        await migrate({ url: db.url, client, migrationsDir: dir, direction: 'up', count: 1 });
        catalogAfter.push(await snapshotCatalog(client, TABLES));
        if (native) {
          expect(await extensionVersion(client), `after step ${step + 1}`).to.equal(native.version);
          expect(await driftFrom(client, step), `drift after step ${step + 1}`).to.deep.equal([]);
        }
        if (step < 2) {
          await insertRows(client, step);
          // Step 3 drops a column and changes segment_by while these chunks are compressed.
          if (step === 1 && features === 'all')
            expect(await compressOldChunks(client)).to.be.greaterThan(0);
        }
      }
    });
    const final = catalogAfter[3] as CatalogSnapshot;
    expect(final.rowCounts['datapoint']).to.equal(2 * 206);
    expect(final.rowCounts['device']).to.equal(10);
    if (features === 'all') {
      expect(catalogAfter[0]?.jobs.map((j) => (j as { config: unknown }).config)).to.deep.equal([
        { compress_after: '1 mon' },
        { drop_after: '1 year' },
      ]);
      expect(catalogAfter[1]?.jobs.map((j) => (j as { config: unknown }).config)).to.deep.equal([
        { compress_after: '1 mon' },
        { drop_after: '2 years' },
      ]);
      expect(
        catalogAfter[2]?.compression.filter(
          (c) => (c as { hypertable: string }).hypertable === 'datapoint',
        ),
      ).to.deep.equal([
        { hypertable: 'datapoint', segmentby: 'source,quality', orderby: '"timestamp" DESC' },
      ]);
      expect(hypertablesOf(catalogAfter[2])).to.deep.equal([
        ['datapoint', '1 day'],
        ['device', '30 days'],
      ]);
      expect(
        final.jobs.map((j) => (j as { hypertable_name: string }).hypertable_name),
      ).to.deep.equal(['event']);
      expect(
        final.compression.filter((c) => (c as { segmentby: string | null }).segmentby !== null),
      ).to.deep.equal([]);
    } else if (features === 'hypertables') {
      expect(catalogAfter.map(hypertablesOf)).to.deep.equal([
        [['datapoint', '7 days']],
        [['datapoint', '1 day']],
        [
          ['datapoint', '1 day'],
          ['device', '30 days'],
        ],
        [
          ['datapoint', '1 day'],
          ['event', '7 days'],
        ],
      ]);
      for (const [i, c] of catalogAfter.entries()) {
        const enabled = c.hypertables.map(
          (h) => (h as { compression_enabled: boolean }).compression_enabled,
        );
        expect(enabled, `compression enabled after step ${i + 1}`).to.not.include(true);
        expect(c.compression, `compression settings after step ${i + 1}`).to.deep.equal([]);
        expect(c.jobs, `policies after step ${i + 1}`).to.deep.equal([]);
      }
    } else {
      expect(final.hypertables).to.deep.equal([]);
    }
    expect(
      (catalogAfter[2]?.columns as { table_name: string; column_name: string }[])
        .filter((c) => c.table_name === 'datapoint')
        .map((c) => c.column_name),
    ).to.deep.equal(['id', 'quality', 'source', 'timestamp', 'value']);
  }).timeout(TIMEOUT);

  if (native) {
    it('check --database-url finds every migration applied and the schema matching the spec', async () => {
      const result = await runCli([
        '--spec',
        STEPS[3] as string,
        '--migrations-dir',
        dir,
        '--database-url',
        db.url,
        'check',
      ]);
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.match(/all are applied, and .* matches it\.$/m);
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
        const now = await snapshotCatalog(client, TABLES);
        const expected = catalogBefore[step] as CatalogSnapshot;
        // Rows inserted after that step went up stay (a dropped column's values excepted).
        expect({ ...now, rowCounts: {} }, `down of step ${step + 1}`).to.deep.equal({
          ...expected,
          rowCounts: {},
        });
        for (const table of Object.keys(expected.rowCounts)) {
          expect(now.rowCounts[table], `${table} after down of step ${step + 1}`).to.be.at.least(
            expected.rowCounts[table] as number,
          );
        }
        if (native && step > 0) {
          expect(
            await driftFrom(client, step - 1),
            `drift after down of step ${step + 1}`,
          ).to.deep.equal([]);
        }
      }
      if (native) {
        // With every step down, step 1's tables are gone again.
        expect(
          (await driftFrom(client, 0)).map((d) => `${d.table}: ${d.what} ${d.actual}`),
        ).to.deep.equal(['datapoint: table missing', 'device: table missing']);
      }
    });
  }).timeout(TIMEOUT);
}

function evolution(label: string, make: () => Promise<TestDatabase>, timescale: boolean) {
  describe(`a four-step evolution on ${label}`, function () {
    this.timeout(TIMEOUT);
    evolutionTests({ make, features: timescale ? 'all' : 'none' });
  });
}

evolution('embedded TimescaleDB', createEmbeddedDatabase, true);
evolution('the PostgreSQL server (auto)', createServerDatabase, false);

// The Apache-only build under the spec's `auto`: hypertables, without compression or policies.
describeEachNative('a four-step evolution in a new database', (server) =>
  evolutionTests({
    make: () => createNativeDatabase(server),
    features: server.license === 'timescale' ? 'all' : 'hypertables',
    native: server,
  }),
);
