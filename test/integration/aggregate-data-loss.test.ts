/**
 * PM106: what dropping a continuous aggregate loses, counted by the data-loss guard from
 * the marker `generate` writes into the migration file — the aggregate's buckets that end
 * before the oldest row its source still has. Aggregates made with SQL here: a continuous
 * aggregate and one built on it on native TimescaleDB 2.28.3, a materialized view and a
 * plain view on PostgreSQL without TimescaleDB.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type pg from 'pg';
import { destructiveMarkers } from '../../lib/runner/markers.js';
import { assessDataLoss } from '../../lib/introspect/data-loss.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { DataLossError, migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import { parseInterval } from '../../lib/sql/interval.js';
import type { ContinuousAggregate, Spec, TimeAmount } from '../../lib/spec/types.js';
import {
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { createNativeDatabase, CURRENT_TSL, describeNative } from '../helpers/timescale-servers.js';

const TIMEOUT = 120_000;

function amount(text: string): TimeAmount {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { kind: 'interval', interval: parsed.interval };
}

const MODEL = parseSpec(
  `models:
  - name: Reading
    fields:
      - { name: ts, type: datetime, primary_key: true }
      - { name: device, type: string, primary_key: true }
      - { name: value, type: float }
    timeseries:
      time_column: ts
`,
  'prism.yaml',
).spec;

const HOURLY: ContinuousAggregate = {
  name: 'reading_hourly',
  bucket: amount('1 hour'),
  groupBy: ['device'],
  columns: [{ name: 'samples', function: 'count' }],
  realtime: false,
};
const DAILY: ContinuousAggregate = {
  name: 'reading_daily',
  from: 'reading_hourly',
  bucket: amount('1 day'),
  groupBy: ['device'],
  columns: [{ name: 'samples', function: 'sum', argument: 'samples' }],
  realtime: false,
};

function withAggregates(aggregates: readonly ContinuousAggregate[]): Spec {
  return {
    ...MODEL,
    models: MODEL.models.map((m) =>
      m.timeseries ? { ...m, timeseries: { ...m.timeseries, aggregates } } : m,
    ),
  };
}

/**
 * The migration `generate` writes when the aggregates go: its PM106 markers read back as
 * the runner reads them.
 */
function migrationDroppingThem(
  aggregates: readonly ContinuousAggregate[],
  kept: readonly ContinuousAggregate[] = [],
): {
  dir: string;
  file: string;
} {
  const dir = tempDir('prism-cagg-loss-');
  generateMigration({
    spec: withAggregates(aggregates),
    migrationsDir: dir,
    language: 'js',
    now: new Date(1),
  });
  const result = generateMigration({
    spec: kept.length > 0 ? withAggregates(kept) : MODEL,
    migrationsDir: dir,
    language: 'js',
    now: new Date(2),
  });
  if (!result.written) throw new Error('nothing generated');
  expect(readFileSync(result.file, 'utf8')).to.contain('// prism:destructive {"code":"PM106"');
  return { dir, file: result.file };
}

/** Ten days of rows, every device once an hour; the session in UTC. */
async function insertRows(c: pg.ClientBase): Promise<void> {
  await c.query(`SET TIME ZONE 'UTC'`);
  await c.query(
    `INSERT INTO reading (ts, device, value)
     SELECT date_trunc('hour', now()) - g * interval '20 minutes', 'd' || (g % 3), g
       FROM generate_series(1, 720) g`,
  );
}

/** Deletes the rows before an hour four days ago, as a retention policy would; returns it. */
async function deleteOldRows(c: pg.ClientBase): Promise<Date> {
  const cutoff = (
    await c.query<{ t: Date }>(`SELECT date_trunc('hour', now()) - interval '4 days' AS t`)
  ).rows[0]!.t;
  await c.query('DELETE FROM reading WHERE ts < $1', [cutoff]);
  return cutoff;
}

async function scalar(c: pg.ClientBase, sql: string, params: unknown[] = []): Promise<number> {
  const r = await c.query<{ n: string }>(sql, params);
  return Number(r.rows[0]?.n);
}

async function lossesOf(c: pg.ClientBase, file: string): Promise<Map<string, number | null>> {
  const markers = destructiveMarkers(file).filter((m) => m.direction === 'up');
  expect(markers.map((m) => m.code)).to.deep.equal(markers.map(() => 'PM106'));
  const losses = await assessDataLoss(c, markers);
  return new Map(losses.map((l) => [l.change.table, l.rows]));
}

describeNative(
  CURRENT_TSL,
  'the data-loss guard counts a dropped continuous aggregate',
  (server) => {
    let db: TestDatabase;
    before(async function () {
      this.timeout(TIMEOUT);
      db = await createNativeDatabase(server);
      await withClient(db.url, async (c) => {
        await c.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
        await c.query(
          'CREATE TABLE reading (ts timestamptz NOT NULL, device text NOT NULL, value float8)',
        );
        await c.query(`SELECT create_hypertable('reading', 'ts')`);
        await insertRows(c);
        await c.query(
          `CREATE MATERIALIZED VIEW reading_hourly
           WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
         SELECT time_bucket('1 hour', ts) AS bucket, device, count(*) AS samples
           FROM reading GROUP BY 1, 2 WITH NO DATA`,
        );
        await c.query(`CALL refresh_continuous_aggregate('reading_hourly', NULL, NULL)`);
        await c.query(
          `CREATE MATERIALIZED VIEW reading_daily
           WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
         SELECT time_bucket('1 day', bucket) AS bucket, device, sum(samples) AS samples
           FROM reading_hourly GROUP BY 1, 2 WITH NO DATA`,
        );
        await c.query(`CALL refresh_continuous_aggregate('reading_daily', NULL, NULL)`);
      });
    });
    after(async () => db?.dispose());

    it('nothing while the source has every row; then the buckets before its oldest row, level by level, and up refuses', async function () {
      this.timeout(TIMEOUT);
      const { dir, file } = migrationDroppingThem([HOURLY, DAILY]);
      let dailyBefore = 0;
      await withClient(db.url, async (c) => {
        await c.query(`SET TIME ZONE 'UTC'`);
        expect(await lossesOf(c, file)).to.deep.equal(
          new Map([
            ['reading_daily', 0],
            ['reading_hourly', 0],
          ]),
        );
        const cutoff = await deleteOldRows(c);
        const hourlyBefore = await scalar(
          c,
          'SELECT count(*) AS n FROM reading_hourly WHERE bucket < $1',
          [cutoff],
        );
        expect(hourlyBefore).to.be.greaterThan(100);
        // The migration drops the hourly aggregate too: the daily buckets come back from the
        // table's rows only, so those ending before its oldest row are lost.
        dailyBefore = await scalar(
          c,
          `SELECT count(*) AS n FROM reading_daily
            WHERE bucket + interval '1 day' <= (SELECT min(ts) FROM reading)`,
        );
        expect(dailyBefore).to.be.greaterThan(0);
        expect(await lossesOf(c, file)).to.deep.equal(
          new Map([
            ['reading_daily', dailyBefore],
            ['reading_hourly', hourlyBefore],
          ]),
        );
        // Refreshed, the hourly aggregate forgets what its source no longer has.
        await c.query(`CALL refresh_continuous_aggregate('reading_hourly', NULL, NULL)`);
        expect(await lossesOf(c, file)).to.deep.equal(
          new Map([
            ['reading_daily', dailyBefore],
            ['reading_hourly', 0],
          ]),
        );
        // Dropping the daily aggregate alone: it comes back from the hourly buckets that stay.
        const dailyOnly = migrationDroppingThem([HOURLY, DAILY], [HOURLY]).file;
        expect(await lossesOf(c, dailyOnly)).to.deep.equal(
          new Map([
            [
              'reading_daily',
              await scalar(
                c,
                `SELECT count(*) AS n FROM reading_daily
                  WHERE bucket + interval '1 day' <= (SELECT min(bucket) FROM reading_hourly)`,
              ),
            ],
          ]),
        );
      });
      let refused: unknown;
      await migrate({ url: db.url, migrationsDir: dir, direction: 'up' }).catch((e: unknown) => {
        refused = e;
      });
      expect(refused).to.be.instanceOf(DataLossError);
      const losses = (refused as DataLossError).losses;
      expect(
        losses.map((l) => [l.loss.change.code, l.loss.change.table, l.loss.rows]),
      ).to.deep.equal([['PM106', 'reading_daily', dailyBefore]]);
      await withClient(db.url, async (c) => {
        expect(
          await scalar(c, `SELECT count(*) AS n FROM pg_views WHERE viewname = 'reading_daily'`),
        ).to.equal(1);
      });
    });
  },
);

describe('the data-loss guard counts a dropped aggregate on PostgreSQL without TimescaleDB', () => {
  let db: TestDatabase;
  before(async function () {
    this.timeout(TIMEOUT);
    db = await createServerDatabase();
    await withClient(db.url, async (c) => {
      await c.query(
        'CREATE TABLE reading (ts timestamptz NOT NULL, device text NOT NULL, value float8)',
      );
      await insertRows(c);
      await c.query(
        `CREATE MATERIALIZED VIEW reading_hourly AS
         SELECT date_bin('1 hour', ts, timestamptz '2000-01-03 00:00:00+00') AS bucket, device,
                count(*) AS samples
           FROM reading GROUP BY 1, 2`,
      );
      await c.query(
        `CREATE VIEW reading_daily AS
         SELECT date_bin('1 day', bucket, timestamptz '2000-01-03 00:00:00+00') AS bucket, device,
                sum(samples) AS samples
           FROM reading_hourly GROUP BY 1, 2`,
      );
    });
  });
  after(async () => db?.dispose());

  it('counts the materialized view; a plain view loses nothing; up refuses', async function () {
    this.timeout(TIMEOUT);
    const { dir, file } = migrationDroppingThem([HOURLY, { ...DAILY, realtime: true }]);
    let lost = 0;
    await withClient(db.url, async (c) => {
      await c.query(`SET TIME ZONE 'UTC'`);
      expect(await lossesOf(c, file)).to.deep.equal(
        new Map([
          ['reading_daily', 0],
          ['reading_hourly', 0],
        ]),
      );
      const cutoff = await deleteOldRows(c);
      lost = await scalar(c, 'SELECT count(*) AS n FROM reading_hourly WHERE bucket < $1', [
        cutoff,
      ]);
      expect(lost).to.be.greaterThan(100);
      expect(await lossesOf(c, file)).to.deep.equal(
        new Map([
          ['reading_daily', 0],
          ['reading_hourly', lost],
        ]),
      );
      // An empty source gives nothing back.
      await c.query('DELETE FROM reading');
      expect((await lossesOf(c, file)).get('reading_hourly')).to.equal(
        await scalar(c, 'SELECT count(*) AS n FROM reading_hourly'),
      );
    });
    let refused: unknown;
    await migrate({ url: db.url, migrationsDir: dir, direction: 'up' }).catch((e: unknown) => {
      refused = e;
    });
    expect(refused).to.be.instanceOf(DataLossError);
    expect(
      (refused as DataLossError).losses.map((l) => [l.loss.change.table, l.loss.rows !== 0]),
    ).to.deep.equal([['reading_hourly', true]]);
  });
});
