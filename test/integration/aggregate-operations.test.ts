/**
 * The aggregate operations through hand-written migrations run by `migrate`: the
 * hierarchical pair (hourly avg/max/count/first/last/stddev, daily max/sum/last from it)
 * with refresh policies, compression and retention. Rows present before `up` are in the
 * aggregates right after it (the refresh after commit) with the raw query's numbers;
 * `jobs run` brings in rows added later; down and up again. A migration whose refresh
 * fails (a float sum that overflows) stays applied, its aggregate exists empty, and the
 * run ends with the typed error. A realtime change that swaps a stand-in keeps what the
 * users granted on it and on the views built on it, their owners and comments.
 *
 * Continuous aggregates on TimescaleDB 2.28.3 and 2.12.2 (Timescale License) and the
 * embedded database; materialized views standing in for them on the Apache-only build
 * and on PostgreSQL without TimescaleDB, where `require` is refused.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { AggregateRefreshError, ExitCode } from '../../lib/errors.js';
import { createContinuousAggregateSql } from '../../lib/operations/aggregates/createContinuousAggregate.js';
import { runPolicyJobs } from '../../lib/runner/jobs.js';
import { appliedMigrations, migrate, MigrationFailedError } from '../../lib/runner/migrate.js';
import { quoteIdent } from '../../lib/sql/quote.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { createNativeDatabase, CURRENT_TSL, describeNative } from '../helpers/timescale-servers.js';
import { runCli } from '../helpers/cli.js';
import { createTestRoles, dropTestRoles, outcomesAs, relationAccess } from '../helpers/access.js';
import { cleanEnv } from '../helpers/embedded-process.js';

const TIMEOUT = 180_000;

const TABLE_MIGRATION = `import { createHypertable } from 'prism-migrate/operations';
export const up = (pgm) => {
  pgm.createTable('reading', {
    recorded_at: { type: 'timestamptz', notNull: true },
    sensor: { type: 'text', notNull: true },
    temperature: 'double precision',
  });
  createHypertable(pgm, 'reading', { timeColumn: 'recorded_at' });
};
export const down = (pgm) => { pgm.dropTable('reading'); };
`;

const AGGREGATES_MIGRATION = `import {
  createContinuousAggregate,
  addContinuousAggregatePolicy,
  enableAggregateCompression,
  addAggregateCompressionPolicy,
  addAggregateRetentionPolicy,
} from 'prism-migrate/operations';
const hourly = {
  source: 'reading',
  timeColumn: 'recorded_at',
  bucket: '1 hour',
  groupBy: ['sensor'],
  columns: {
    avg_temp: 'avg(temperature)',
    max_temp: 'max(temperature)',
    samples: 'count(*)',
    first_temp: 'first(temperature)',
    last_temp: 'last(temperature)',
    sd_temp: 'stddev(temperature)',
  },
  realtime: false,
};
const daily = {
  source: 'reading_hourly',
  timeColumn: 'bucket',
  bucket: '1 day',
  groupBy: ['sensor'],
  columns: { max_temp: 'max(max_temp)', samples: 'sum(samples)', last_temp: 'last(last_temp)' },
};
const hourlyPolicy = { startOffset: '30 days', endOffset: '1 hour', scheduleInterval: '30 minutes' };
const dailyPolicy = { startOffset: null, endOffset: '1 day', scheduleInterval: '1 hour' };
export const up = (pgm) => {
  createContinuousAggregate(pgm, 'reading_hourly', hourly);
  addContinuousAggregatePolicy(pgm, 'reading_hourly', hourlyPolicy);
  enableAggregateCompression(pgm, 'reading_hourly', { segmentBy: ['sensor'] });
  addAggregateCompressionPolicy(pgm, 'reading_hourly', { after: '60 days' });
  addAggregateRetentionPolicy(pgm, 'reading_hourly', { dropAfter: '2 years' });
  createContinuousAggregate(pgm, 'reading_daily', daily);
  addContinuousAggregatePolicy(pgm, 'reading_daily', dailyPolicy);
};
export const down = (pgm) => {
  addContinuousAggregatePolicy.reverse(pgm, 'reading_daily', dailyPolicy);
  createContinuousAggregate.reverse(pgm, 'reading_daily', daily);
  addAggregateRetentionPolicy.reverse(pgm, 'reading_hourly', { dropAfter: '2 years' });
  addAggregateCompressionPolicy.reverse(pgm, 'reading_hourly', { after: '60 days' });
  enableAggregateCompression.reverse(pgm, 'reading_hourly', { segmentBy: ['sensor'] });
  addContinuousAggregatePolicy.reverse(pgm, 'reading_hourly', hourlyPolicy);
  createContinuousAggregate.reverse(pgm, 'reading_hourly', hourly);
};
`;

/** Its rows sum past the largest double: refreshing its aggregate fails, creating it does not. */
const OVERFLOW_MIGRATION = `import { createHypertable, createContinuousAggregate } from 'prism-migrate/operations';
export const up = (pgm) => {
  pgm.createTable('spike', { t: { type: 'timestamptz', notNull: true }, v: 'double precision' });
  createHypertable(pgm, 'spike', { timeColumn: 't' });
  pgm.sql("INSERT INTO spike VALUES (now() - interval '2 days', 1e308), (now() - interval '2 days' + interval '1 second', 1e308)");
  createContinuousAggregate(pgm, 'spike_hourly', {
    source: 'spike', timeColumn: 't', bucket: '1 hour', groupBy: [], columns: { total: 'sum(v)' },
  });
};
export const down = (pgm) => {
  createContinuousAggregate.reverse(pgm, 'spike_hourly', {});
  pgm.dropTable('spike');
};
`;

const REALTIME_MIGRATION = `import { setAggregateRealtime } from 'prism-migrate/operations';
const change = { realtime: true, previous: false };
export const up = (pgm) => { setAggregateRealtime(pgm, 'reading_daily', change); };
export const down = (pgm) => { setAggregateRealtime.reverse(pgm, 'reading_daily', change); };
`;

const HOURLY_REALTIME_MIGRATION = `import { setAggregateRealtime } from 'prism-migrate/operations';
const change = { realtime: true, previous: false };
export const up = (pgm) => { setAggregateRealtime(pgm, 'reading_hourly', change); };
export const down = (pgm) => { setAggregateRealtime.reverse(pgm, 'reading_hourly', change); };
`;

const REQUIRE_MIGRATION = `import { createContinuousAggregate } from 'prism-migrate/operations';
export const up = (pgm) => {
  createContinuousAggregate(pgm, 'reading_required', {
    source: 'reading', timeColumn: 'recorded_at', bucket: '1 hour', groupBy: ['sensor'],
    columns: { samples: 'count(*)' }, timescale: 'require',
  });
};
export const down = () => {};
`;

const HOURLY_VIEW = `SELECT bucket, sensor, round(avg_temp::numeric, 6) AS avg_temp, max_temp, samples,
  first_temp, last_temp, round(sd_temp::numeric, 6) AS sd_temp FROM reading_hourly ORDER BY 1, 2`;
const HOURLY_RAW = `SELECT date_trunc('hour', recorded_at, 'UTC') AS bucket, sensor,
  round(avg(temperature)::numeric, 6) AS avg_temp, max(temperature) AS max_temp, count(*) AS samples,
  (array_agg(temperature ORDER BY recorded_at))[1] AS first_temp,
  (array_agg(temperature ORDER BY recorded_at DESC))[1] AS last_temp,
  round(stddev(temperature)::numeric, 6) AS sd_temp
  FROM reading GROUP BY 1, 2 ORDER BY 1, 2`;
const DAILY_VIEW = `SELECT bucket, sensor, max_temp, samples::bigint AS samples, last_temp FROM reading_daily ORDER BY 1, 2`;
const DAILY_RAW = `SELECT date_trunc('day', recorded_at, 'UTC') AS bucket, sensor, max(temperature) AS max_temp,
  count(*) AS samples, (array_agg(temperature ORDER BY recorded_at DESC))[1] AS last_temp
  FROM reading GROUP BY 1, 2 ORDER BY 1, 2`;

/** Rows every 7 minutes from `daysAgo` days back (whole days, UTC), 3 sensors in turn. */
function insertRows(client: pg.Client, daysAgo: number, count: number, offset = 0) {
  return client.query(
    `INSERT INTO reading
     SELECT date_trunc('day', now(), 'UTC') - make_interval(days => $1) + i * interval '7 minutes' + make_interval(secs => $3),
            's' || (i % 3), ((i * 37) % 101) / 4.0
       FROM generate_series(1, $2::int) i`,
    [daysAgo, count, offset],
  );
}

async function rows(client: pg.Client, sql: string): Promise<string> {
  return JSON.stringify((await client.query(sql)).rows);
}

async function relkinds(client: pg.Client): Promise<Record<string, string>> {
  const r = await client.query<{ relname: string; relkind: string }>(
    `SELECT relname, relkind FROM pg_class WHERE relname IN ('reading_hourly', 'reading_daily', 'spike_hourly')`,
  );
  return Object.fromEntries(r.rows.map((row) => [row.relname, row.relkind]));
}

async function continuousAggregates(client: pg.Client): Promise<string[]> {
  const ts = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`);
  if (!ts.rowCount) return [];
  const r = await client.query<{ view_name: string }>(
    'SELECT view_name FROM timescaledb_information.continuous_aggregates ORDER BY view_name',
  );
  return r.rows.map((row) => row.view_name);
}

/** Turns the scheduler's runs of the aggregates' refresh jobs off or on again. */
async function scheduleRefreshJobs(client: pg.Client, scheduled: boolean): Promise<void> {
  const r = await client.query(
    `SELECT alter_job(job_id, scheduled => $1) FROM timescaledb_information.jobs
      WHERE proc_name = 'policy_refresh_continuous_aggregate'`,
    [scheduled],
  );
  expect(r.rowCount).to.equal(2);
}

type Open = () => Promise<TestDatabase>;

function aggregateSuite(open: Open, continuous: boolean, withPolicies: boolean): void {
  let db: TestDatabase;
  let dir: string;
  const up = (count?: number) =>
    migrate({ url: db.url, migrationsDir: dir, direction: 'up', count });

  before(async function () {
    this.timeout(TIMEOUT);
    db = await open();
    dir = join(tempDir('prism-aggregates-'), 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '1000_reading.js'), TABLE_MIGRATION);
    writeFileSync(join(dir, '2000_aggregates.js'), AGGREGATES_MIGRATION);
  });
  after(async () => {
    await db?.dispose();
    if (dir) rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('fills the aggregates right after up with the raw numbers', async function () {
    this.timeout(TIMEOUT);
    await up(1);
    await withClient(db.url, (c) => insertRows(c, 40, 2000));
    const ran = await up();
    expect(ran.map((r) => r.name)).to.deep.equal(['2000_aggregates']);
    await withClient(db.url, async (c) => {
      expect(await continuousAggregates(c)).to.deep.equal(
        continuous ? ['reading_daily', 'reading_hourly'] : [],
      );
      if (!continuous)
        expect(await relkinds(c)).to.deep.equal({ reading_hourly: 'm', reading_daily: 'm' });
      const hourly = await rows(c, HOURLY_VIEW);
      expect(JSON.parse(hourly)).to.have.length.greaterThan(200);
      expect(hourly).to.equal(await rows(c, HOURLY_RAW));
      expect(await rows(c, DAILY_VIEW)).to.equal(await rows(c, DAILY_RAW));
    });
  });

  if (withPolicies) {
    it('adds the refresh, compression and retention policies and turns compression on', async () => {
      await withClient(db.url, async (c) => {
        const jobs = await c.query<{ proc_name: string; view: string }>(
          `SELECT j.proc_name, a.view_name AS view FROM timescaledb_information.jobs j
             JOIN timescaledb_information.continuous_aggregates a
               ON (j.hypertable_schema, j.hypertable_name) IN ((a.view_schema, a.view_name),
                  (a.materialization_hypertable_schema, a.materialization_hypertable_name))
            ORDER BY 2, 1`,
        );
        expect(jobs.rows.map((j) => `${j.view} ${j.proc_name}`)).to.deep.equal([
          'reading_daily policy_refresh_continuous_aggregate',
          'reading_hourly policy_compression',
          'reading_hourly policy_refresh_continuous_aggregate',
          'reading_hourly policy_retention',
        ]);
        const compressed = await c.query(
          `SELECT view_name, compression_enabled, materialized_only FROM timescaledb_information.continuous_aggregates ORDER BY 1`,
        );
        expect(compressed.rows).to.deep.equal([
          { view_name: 'reading_daily', compression_enabled: false, materialized_only: true },
          { view_name: 'reading_hourly', compression_enabled: true, materialized_only: true },
        ]);
      });
    });
  }

  it('jobs run brings in rows added after up, lower level first', async function () {
    this.timeout(TIMEOUT);
    await withClient(db.url, async (c) => {
      // A server's scheduler starts each refresh job right after up; on a loaded machine
      // that run can come after the insert below. Held off, only `jobs run` refreshes.
      if (withPolicies) await scheduleRefreshJobs(c, false);
      await insertRows(c, 5, 300, 1);
      const before = await rows(c, HOURLY_VIEW);
      expect(before).not.to.equal(await rows(c, HOURLY_RAW));
      const runs = await runPolicyJobs(c);
      const refreshes = runs.filter((r) => r.kind === 'refresh');
      expect(refreshes.map((r) => r.table)).to.deep.equal([
        'public.reading_hourly',
        'public.reading_daily',
      ]);
      expect(refreshes.every((r) => r.ok)).to.equal(true);
      expect(refreshes.every((r) => (r.jobId === null) === !withPolicies)).to.equal(true);
      expect(await rows(c, HOURLY_VIEW)).to.equal(await rows(c, HOURLY_RAW));
      expect(await rows(c, DAILY_VIEW)).to.equal(await rows(c, DAILY_RAW));
      if (withPolicies) await scheduleRefreshJobs(c, true);
    });
  });

  it('down drops both, up again fills them again', async function () {
    this.timeout(TIMEOUT);
    await migrate({ url: db.url, migrationsDir: dir, direction: 'down', count: 1 });
    await withClient(db.url, async (c) => {
      expect(await relkinds(c)).to.deep.equal({});
      if (withPolicies) {
        const jobs = await c.query(
          `SELECT 1 FROM timescaledb_information.jobs WHERE job_id >= 1000`,
        );
        expect(jobs.rowCount).to.equal(0);
      }
    });
    // One transaction for the run: the refresh comes after its commit.
    await migrate({ url: db.url, migrationsDir: dir, direction: 'up', singleTransaction: true });
    await withClient(db.url, async (c) => {
      expect(await rows(c, HOURLY_VIEW)).to.equal(await rows(c, HOURLY_RAW));
      expect(await rows(c, DAILY_VIEW)).to.equal(await rows(c, DAILY_RAW));
    });
  });

  it('realtime on and off again: the stand-in swaps and is filled after the down commits', async function () {
    this.timeout(TIMEOUT);
    writeFileSync(join(dir, '2500_realtime.js'), REALTIME_MIGRATION);
    const form = async (c: pg.Client) =>
      continuous
        ? (
            await c.query<{ m: boolean }>(
              `SELECT materialized_only AS m FROM timescaledb_information.continuous_aggregates WHERE view_name = 'reading_daily'`,
            )
          ).rows[0]?.m
        : (await relkinds(c))['reading_daily'];
    expect((await up()).map((r) => r.name)).to.deep.equal(['2500_realtime']);
    await withClient(db.url, async (c) => {
      expect(await form(c)).to.equal(continuous ? false : 'v');
      expect(await rows(c, DAILY_VIEW)).to.equal(await rows(c, DAILY_RAW));
    });
    await migrate({ url: db.url, migrationsDir: dir, direction: 'down', count: 1 });
    rmSync(join(dir, '2500_realtime.js'));
    await withClient(db.url, async (c) => {
      expect(await form(c)).to.equal(continuous ? true : 'm');
      expect(await rows(c, DAILY_VIEW)).to.equal(await rows(c, DAILY_RAW));
    });
  });

  it('realtime of the level another is built on: both keep their numbers, up and down', async function () {
    this.timeout(TIMEOUT);
    writeFileSync(join(dir, '2600_hourly_realtime.js'), HOURLY_REALTIME_MIGRATION);
    const kinds = async (c: pg.Client) => {
      const k = await relkinds(c);
      return [k['reading_hourly'], k['reading_daily']];
    };
    const numbers = async (c: pg.Client) => {
      expect(await rows(c, HOURLY_VIEW)).to.equal(await rows(c, HOURLY_RAW));
      expect(await rows(c, DAILY_VIEW)).to.equal(await rows(c, DAILY_RAW));
    };
    expect((await up()).map((r) => r.name)).to.deep.equal(['2600_hourly_realtime']);
    await withClient(db.url, async (c) => {
      expect(await kinds(c)).to.deep.equal(continuous ? ['v', 'v'] : ['v', 'm']);
      await numbers(c);
    });
    await migrate({ url: db.url, migrationsDir: dir, direction: 'down', count: 1 });
    rmSync(join(dir, '2600_hourly_realtime.js'));
    await withClient(db.url, async (c) => {
      expect(await kinds(c)).to.deep.equal(continuous ? ['v', 'v'] : ['m', 'm']);
      await numbers(c);
    });
  });

  it('a realtime change keeps the privileges, owner and comment of the aggregate and of the views built on it', async function () {
    this.timeout(TIMEOUT);
    writeFileSync(join(dir, '2700_hourly_realtime.js'), HOURLY_REALTIME_MIGRATION);
    const relations = ['reading_daily', 'reading_hourly', 'reading_report'];
    const reads = [
      'SELECT count(*) FROM reading_hourly',
      'SELECT bucket, sensor, max_temp FROM reading_daily',
      'SELECT count(*) FROM reading_report',
    ];
    const readable = (c: pg.Client, role: string) => outcomesAs(c, role, reads);
    const roles = await withClient(db.url, createTestRoles);
    const reader = quoteIdent(roles.reader);
    const owner = quoteIdent(roles.owner);
    try {
      const before = await withClient(db.url, async (c) => {
        // A team's reporting setup: a role reading the aggregates, a view of theirs on
        // them, relations owned by another role.
        await c.query(
          `CREATE VIEW reading_report AS SELECT bucket, sensor, max_temp FROM reading_daily`,
        );
        await c.query(`COMMENT ON VIEW reading_report IS 'the daily maxima, for reporting'`);
        await c.query(`GRANT SELECT ON reading TO ${owner}`);
        await c.query(`GRANT SELECT ON reading_daily TO ${owner}`);
        await c.query(`ALTER MATERIALIZED VIEW reading_hourly OWNER TO ${owner}`);
        await c.query(`ALTER VIEW reading_report OWNER TO ${owner}`);
        await c.query(`GRANT SELECT ON reading_hourly TO ${reader} WITH GRANT OPTION`);
        await c.query(`GRANT SELECT (bucket, sensor, max_temp) ON reading_daily TO ${reader}`);
        await c.query(`GRANT SELECT ON reading_report TO ${reader}`);
        // What the relations made again get by default, and the old ones had not.
        await c.query(
          `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT ON TABLES TO ${reader}`,
        );
        expect(await readable(c, roles.reader)).to.deep.equal(['ok', 'ok', 'ok']);
        return relationAccess(c, relations);
      });
      expect(before.map((r) => r.relation)).to.deep.equal(relations);
      const state = async (c: pg.Client) =>
        [
          await relkinds(c),
          await relationAccess(c, relations),
          await readable(c, roles.reader),
        ] as const;
      expect((await up()).map((r) => r.name)).to.deep.equal(['2700_hourly_realtime']);
      const afterUp = await withClient(db.url, state);
      // Down before asserting, so that a failure leaves the suite where the next test expects it.
      await migrate({ url: db.url, migrationsDir: dir, direction: 'down', count: 1 });
      const afterDown = await withClient(db.url, state);
      expect(afterUp[0]['reading_hourly']).to.equal('v');
      expect(afterDown[0]['reading_hourly']).to.equal(continuous ? 'v' : 'm');
      expect(afterUp.slice(1), 'after up').to.deep.equal([before, ['ok', 'ok', 'ok']]);
      expect(afterDown.slice(1), 'after down').to.deep.equal([before, ['ok', 'ok', 'ok']]);
    } finally {
      rmSync(join(dir, '2700_hourly_realtime.js'), { force: true });
      await withClient(db.url, async (c) => {
        await c.query('DROP VIEW IF EXISTS reading_report');
        await c.query(
          `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE INSERT ON TABLES FROM ${reader}`,
        );
        await dropTestRoles(c, roles);
      });
    }
  });

  it('a refresh that fails leaves the migration applied and its aggregate empty, with the typed error', async function () {
    this.timeout(TIMEOUT);
    writeFileSync(join(dir, '3000_spike.js'), OVERFLOW_MIGRATION);
    const failure = await up().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).to.be.instanceOf(AggregateRefreshError);
    const error = failure as AggregateRefreshError;
    expect(error.exitCode).to.equal(ExitCode.aggregateRefresh);
    expect(error.code).to.equal('aggregate-refresh-failed');
    expect(error.message).to.include('migration 3000_spike is applied');
    expect(error.message).to.include('public.spike_hourly');
    expect(error.message).to.include('exists and is empty');
    expect(error.message).to.include('out of range');
    expect(error.message).to.include(
      continuous
        ? '.refresh_continuous_aggregate('
        : 'REFRESH MATERIALIZED VIEW public.spike_hourly',
    );
    await withClient(db.url, async (c) => {
      expect((await appliedMigrations(c)).map((m) => m.name)).to.include('3000_spike');
      if (continuous) {
        expect(await continuousAggregates(c)).to.include('spike_hourly');
        const n = await c.query<{ n: string }>('SELECT count(*) AS n FROM spike_hourly');
        expect(n.rows[0]?.n).to.equal('0');
      } else {
        const r = await c.query(
          `SELECT relispopulated FROM pg_class WHERE relname = 'spike_hourly' AND relkind = 'm'`,
        );
        expect(r.rows).to.deep.equal([{ relispopulated: false }]);
      }
    });
    // Nothing is left to apply: the refresh is not retried by up.
    expect(await up()).to.deep.equal([]);
  });

  it('a later migration failing: the aggregates committed before it are filled, one dropped again is skipped', async function () {
    this.timeout(TIMEOUT);
    writeFileSync(join(dir, '4000_counts.js'), COUNTS_MIGRATION);
    writeFileSync(join(dir, '4500_drop_scratch.js'), DROP_SCRATCH_MIGRATION);
    writeFileSync(join(dir, '5000_broken.js'), BROKEN_MIGRATION);
    const lines: string[] = [];
    const failure = await migrate({
      url: db.url,
      migrationsDir: dir,
      direction: 'up',
      log: (line) => lines.push(line),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    rmSync(join(dir, '5000_broken.js'));
    expect(failure).to.be.instanceOf(MigrationFailedError);
    expect((failure as Error).message).to.include('5000_broken');
    expect(lines).to.include('refreshed public.reading_counts (created by 4000_counts)');
    expect(lines.some((l) => l.includes('reading_scratch') && l.startsWith('refreshed'))).to.equal(
      false,
    );
    await withClient(db.url, async (c) => {
      expect(Object.keys(await relkinds(c))).not.to.include('reading_scratch');
      expect(
        await rows(c, 'SELECT bucket, sensor, samples FROM reading_counts ORDER BY 1, 2'),
      ).to.equal(
        await rows(
          c,
          `SELECT date_trunc('day', recorded_at, 'UTC') AS bucket, sensor, count(*) AS samples FROM reading GROUP BY 1, 2 ORDER BY 1, 2`,
        ),
      );
    });
  });
}

const COUNTS_MIGRATION = `import { createContinuousAggregate } from 'prism-migrate/operations';
const counts = { source: 'reading', timeColumn: 'recorded_at', bucket: '1 day', groupBy: ['sensor'], columns: { samples: 'count(*)' } };
export const up = (pgm) => {
  createContinuousAggregate(pgm, 'reading_counts', counts);
  createContinuousAggregate(pgm, 'reading_scratch', counts);
};
export const down = (pgm) => {
  createContinuousAggregate.reverse(pgm, 'reading_scratch', counts);
  createContinuousAggregate.reverse(pgm, 'reading_counts', counts);
};
`;

const DROP_SCRATCH_MIGRATION = `import { dropContinuousAggregate } from 'prism-migrate/operations';
export const up = (pgm) => { dropContinuousAggregate(pgm, 'reading_scratch'); };
export const down = () => {};
`;

const BROKEN_MIGRATION = `export const up = (pgm) => { pgm.sql('SELECT 1/0'); };
export const down = () => {};
`;

describeNative(CURRENT_TSL, 'aggregate operations', (server) => {
  aggregateSuite(() => createNativeDatabase(server), true, true);
});

describeNative({ license: 'timescale', before213: true }, 'aggregate operations', (server) => {
  aggregateSuite(() => createNativeDatabase(server), true, true);
});

describeNative({ license: 'apache' }, 'aggregate operations (stand-ins)', (server) => {
  aggregateSuite(() => createNativeDatabase(server), false, false);
  requireSuite(() => createNativeDatabase(server));
});

describeNative(CURRENT_TSL, 'stand-ins bucket as time_bucket does', (server) => {
  let db: TestDatabase;
  before(async () => {
    db = await createNativeDatabase(server);
  });
  after(async () => db?.dispose());

  it('for integer time (negative too), months, weeks, dates and naive timestamps', async function () {
    this.timeout(TIMEOUT);
    await withClient(db.url, async (c) => {
      await c.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      await c.query(`CREATE TABLE ticks (t bigint NOT NULL, v int)`);
      await c.query(`INSERT INTO ticks SELECT i * 7 - 500, i FROM generate_series(0, 200) i`);
      await c.query(
        `CREATE TABLE clock (tz timestamptz NOT NULL, ts timestamp NOT NULL, d date NOT NULL, v int)`,
      );
      await c.query(
        `INSERT INTO clock SELECT t, t AT TIME ZONE 'UTC', (t AT TIME ZONE 'UTC')::date, 1
           FROM generate_series(timestamptz '1999-06-01 00:00+00', '2003-02-01', interval '29 hours 13 minutes') t`,
      );
      const standIn = (view: string, source: string, time: string, bucket: string | number) =>
        createContinuousAggregateSql(view, {
          source,
          timeColumn: time,
          bucket,
          groupBy: [],
          columns: { n: 'count(*)' },
          timescale: 'off',
        });
      const cases: [string, string, string, string | number][] = [
        ['ticks_10', 'ticks', 't', 10],
        ['ticks_64', 'ticks', 't', 64],
        ['tz_quarter', 'clock', 'tz', '3 months'],
        ['tz_week', 'clock', 'tz', '1 week'],
        ['ts_year', 'clock', 'ts', '1 year'],
        ['ts_5h', 'clock', 'ts', '5 hours'],
        ['d_month', 'clock', 'd', '1 month'],
        ['d_10d', 'clock', 'd', '10 days'],
      ];
      for (const [view, source, time, bucket] of cases) {
        await c.query(standIn(view, source, time, bucket));
        await c.query(`REFRESH MATERIALIZED VIEW ${view}`);
        const width = typeof bucket === 'number' ? `${bucket}::bigint` : `interval '${bucket}'`;
        const expected = await rows(
          c,
          `SELECT time_bucket(${width}, ${time}) AS bucket, count(*) AS n FROM ${source} GROUP BY 1 ORDER BY 1`,
        );
        const actual = await rows(c, `SELECT bucket, n FROM ${view} ORDER BY 1`);
        expect(JSON.parse(actual), view).to.have.length.greaterThan(3);
        expect(actual, view).to.equal(expected);
      }
    });
  });
});

describe('aggregate operations on embedded TimescaleDB', () => {
  aggregateSuite(() => createEmbeddedDatabase(), true, true);
});

describe('aggregate operations on PostgreSQL without TimescaleDB (stand-ins)', () => {
  aggregateSuite(() => createServerDatabase(), false, false);
  requireSuite(() => createServerDatabase());
});

describe('aggregate operations: the CLI exit code of a failed refresh', () => {
  let db: TestDatabase;
  let dir: string;
  before(async () => {
    db = await createServerDatabase();
    dir = join(tempDir('prism-aggregates-cli-'), 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '3000_spike.js'), OVERFLOW_MIGRATION);
  });
  after(async () => {
    await db?.dispose();
    if (dir) rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('up exits 4 with the command that refreshes the aggregate; the migration stays applied', async function () {
    this.timeout(TIMEOUT);
    const cli = (...args: string[]) =>
      runCli(['--migrations-dir', dir, ...args], { env: cleanEnv({ DATABASE_URL: db.url }) });
    const up = await cli('up');
    expect(up.code, up.stderr).to.equal(4);
    expect(up.stderr).to.include('migration 3000_spike is applied');
    expect(up.stderr).to.include('REFRESH MATERIALIZED VIEW public.spike_hourly;');
    const json = await cli('--json', 'up');
    expect(json.code, json.stderr).to.equal(0);
    const status = await cli('status');
    expect(status.stdout).to.match(/3000_spike/);
    expect(status.stdout).not.to.match(/pending/i);
  });
});

function requireSuite(open: Open): void {
  it('refuses a continuous aggregate under require, and applies nothing of that migration', async function () {
    this.timeout(TIMEOUT);
    const db = await open();
    const dir = join(tempDir('prism-aggregates-require-'), 'migrations');
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '1000_reading.js'), TABLE_MIGRATION);
      writeFileSync(join(dir, '2000_required.js'), REQUIRE_MIGRATION);
      const failure = await migrate({ url: db.url, migrationsDir: dir, direction: 'up' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).to.be.instanceOf(MigrationFailedError);
      expect((failure as Error).message).to.include(
        'continuous aggregate reading_required needs TimescaleDB',
      );
      await withClient(db.url, async (c) => {
        expect((await appliedMigrations(c)).map((m) => m.name)).to.deep.equal(['1000_reading']);
        const r = await c.query(`SELECT 1 FROM pg_class WHERE relname = 'reading_required'`);
        expect(r.rowCount).to.equal(0);
      });
    } finally {
      await db.dispose();
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
}
