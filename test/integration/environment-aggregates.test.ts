/**
 * An aggregate's refresh policy per environment, applied: one migration file, the refresh
 * job made with the environment's offsets and schedule when it runs in that environment,
 * with the aggregate's own without one; `check` clean in the environment it was applied in;
 * `down` and `up` again. On native TimescaleDB 2.28.3 and the embedded database.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseSpec } from '../../lib/spec/load.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { migrate } from '../../lib/runner/migrate.js';
import { checkDatabase } from '../../lib/app/check.js';
import {
  createEmbeddedDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { createNativeDatabase, CURRENT_TSL, describeNative } from '../helpers/timescale-servers.js';

const SPEC = `
models:
  - name: Reading
    fields:
      - { name: recorded_at, type: datetime }
      - { name: sensor, type: text }
      - { name: temperature, type: float }
    timeseries:
      time_column: recorded_at
      chunk_interval: 7 days
      aggregates:
        - name: reading_hourly
          bucket: 1 hour
          group_by: [sensor]
          columns: { avg_temp: avg(temperature), samples: count(*) }
          refresh: { start_offset: 30 days, end_offset: 1 hour, schedule_interval: 30 minutes }
environments:
  development:
    Reading:
      chunk_interval: 1 day
      aggregates:
        reading_hourly: { refresh: { start_offset: 3 days, end_offset: 1 hour, schedule_interval: 5 minutes } }
`;

const spec = () => parseSpec(SPEC, 'prism.yaml').spec;

interface RefreshJob {
  startOffset: string | null;
  endOffset: string | null;
  schedule: string;
}

/** The refresh jobs of reading_hourly (one when the policy exists). */
async function refreshJobs(url: string): Promise<RefreshJob[]> {
  return withClient(url, async (c) => {
    const r = await c.query<RefreshJob>(`
      SELECT j.config->>'start_offset' AS "startOffset", j.config->>'end_offset' AS "endOffset",
             j.schedule_interval::text AS schedule
        FROM timescaledb_information.jobs j
        JOIN timescaledb_information.continuous_aggregates a
          ON (j.hypertable_schema, j.hypertable_name) IN ((a.view_schema, a.view_name),
             (a.materialization_hypertable_schema, a.materialization_hypertable_name))
       WHERE a.view_name = 'reading_hourly' AND j.proc_name = 'policy_refresh_continuous_aggregate'`);
    return r.rows;
  });
}

const DEVELOPMENT: RefreshJob = {
  startOffset: '3 days',
  endOffset: '01:00:00',
  schedule: '00:05:00',
};
const OWN: RefreshJob = { startOffset: '30 days', endOffset: '01:00:00', schedule: '00:30:00' };

function environmentRefreshTests(make: () => Promise<TestDatabase>): void {
  let db: TestDatabase;
  let dir: string;
  const run = (direction: 'up' | 'down', environment: string | undefined) =>
    migrate({ url: db.url, migrationsDir: dir, direction, environment });

  before(async () => {
    db = await make();
    dir = join(tempDir('prism-env-cagg-'), 'migrations');
    mkdirSync(dir, { recursive: true });
    generateMigration({ spec: spec(), migrationsDir: dir, name: 'readings', now: new Date(1000) });
  });
  after(async () => db?.dispose());

  it("makes the refresh job with the environment's offsets and schedule", async () => {
    const ran = await run('up', 'development');
    expect(ran.map((m) => m.name)).to.deep.equal(['1000_readings']);
    expect(await refreshJobs(db.url)).to.deep.equal([DEVELOPMENT]);
  });

  it('check in that environment is clean; without it, the refresh policy differs', async () => {
    const options = { databaseUrl: db.url, spec: spec(), migrationsDir: dir };
    const same = await checkDatabase({ ...options, environment: 'development' });
    expect(same?.drift).to.deep.equal([]);
    const other = await checkDatabase({ ...options, log: () => undefined });
    const subjects = (other?.drift ?? []).map((d) => JSON.stringify(d));
    expect(subjects.some((d) => d.includes('reading_hourly'))).to.equal(true);
  });

  it('down removes the policy with the aggregate, and up makes it again the same', async () => {
    await run('down', 'development');
    expect(
      await withClient(
        db.url,
        async (c) => (await c.query("SELECT to_regclass('reading_hourly') AS v")).rows[0],
      ),
    ).to.deep.equal({ v: null });
    await run('up', 'development');
    expect(await refreshJobs(db.url)).to.deep.equal([DEVELOPMENT]);
    const again = await checkDatabase({
      databaseUrl: db.url,
      spec: spec(),
      migrationsDir: dir,
      environment: 'development',
    });
    expect(again?.drift).to.deep.equal([]);
    await run('down', 'development');
  });

  it("without an environment the aggregate's own values", async () => {
    await run('up', undefined);
    expect(await refreshJobs(db.url)).to.deep.equal([OWN]);
    const own = await checkDatabase({ databaseUrl: db.url, spec: spec(), migrationsDir: dir });
    expect(own?.drift).to.deep.equal([]);
    await run('down', undefined);
    expect(await refreshJobs(db.url)).to.deep.equal([]);
  });
}

describeNative(CURRENT_TSL, 'per-environment aggregate refresh policies', (server) => {
  environmentRefreshTests(() => createNativeDatabase(server));
});

describe('per-environment aggregate refresh policies on embedded TimescaleDB', function () {
  environmentRefreshTests(createEmbeddedDatabase);
});
