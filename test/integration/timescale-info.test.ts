/**
 * `timescaleInfo` on real databases: the embedded TimescaleDB (a hypertable with 59 daily
 * chunks, 20 of them compressed by hand, compression and retention policies, jobs run
 * with CALL run_job), native TimescaleDB servers with the Timescale License (the same
 * tables built by a migration in a new database, where the scheduler runs the policies
 * and job_stats holds their history) and the PostgreSQL server without TimescaleDB (the
 * spec's timeseries models are plain tables). Every output is checked against
 * spec/timescale-info.schema.json.
 */
import { resolve } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { formatTimescaleInfo, formatTimestamp } from '../../lib/introspect/format-info.js';
import { EMBEDDED_JOBS_NOTE, timescaleInfo } from '../../lib/introspect/info.js';
import { migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { checkTimescaleInfoSchema } from '../helpers/json-schema.js';
import {
  isoOrNull,
  jobStats,
  policyJobId,
  serverNow,
  waitForScheduledRun,
} from '../helpers/job-stats.js';
import {
  createNativeDatabase,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SPEC = parseSpec(
  `timescale: auto
models:
  - name: DataPoint
    fields:
      - { name: timestamp, type: datetime }
      - { name: source, type: string, max_length: 100 }
      - { name: value, type: float }
    timeseries:
      time_column: timestamp
      chunk_interval: 1 day
  - name: Reading # a plain table, also on TimescaleDB
    fields: [{ name: at, type: datetime }, { name: v, type: float }]
    timeseries: { time_column: at }
  - name: Pending # no table yet: not listed
    fields: [{ name: at, type: datetime }]
    timeseries: { time_column: at }
  - name: Legacy # timescale off: never a hypertable, not listed
    timescale: off
    fields: [{ name: at, type: datetime }]
    timeseries: { time_column: at }
  - name: Lookup # not a timeseries model
    fields: [{ name: code, type: string, primary_key: true }]
`,
  'prism.yaml',
).spec;

/** Rows every 5 minutes over 2025-01-01 .. 2025-03-01 (59 days), 4 sources. */
const ROWS = 59 * 288;

async function createPlainTables(c: pg.ClientBase): Promise<void> {
  await c.query(
    `CREATE TABLE datapoint ("timestamp" timestamptz NOT NULL, source varchar(100), value float8)`,
  );
  await c.query(`CREATE TABLE reading (at timestamptz NOT NULL, v float8)`);
  await c.query(`CREATE TABLE legacy (at timestamptz NOT NULL)`);
  await c.query(`CREATE TABLE lookup (code text PRIMARY KEY)`);
  await c.query(
    `INSERT INTO datapoint
     SELECT timestamptz '2025-01-01 00:00:00+00' + i * interval '5 minutes', 'src-' || (i % 4), (i % 100)::float8
       FROM generate_series(0, ${ROWS - 1}) i`,
  );
}

const jobId = (c: pg.ClientBase, proc: string) => policyJobId(c, 'datapoint', proc);

const COMPRESS_20_CHUNKS = `SELECT compress_chunk(ch) FROM (SELECT ch FROM show_chunks('datapoint') ch ORDER BY 1 LIMIT 20) x`;

/** Builds the tables of createPlainTables and the two hypertables, as a migration. */
const INFO_MIGRATIONS = resolve('test/fixtures/migrations/timescale-info');

/**
 * With `search_path` empty, to show that no TimescaleDB call depends on it. The previous
 * value is restored explicitly: the embedded build's RESET gives `pg_catalog`.
 */
async function infoWithoutSearchPath(c: pg.ClientBase, embedded: boolean) {
  const { rows } = await c.query<{ path: string }>(
    `SELECT pg_catalog.current_setting('search_path') AS path`,
  );
  await c.query(`SET search_path TO ''`);
  try {
    return await timescaleInfo(c, SPEC, { embedded });
  } finally {
    await c.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [rows[0]?.path]);
  }
}

/** Where the suite runs, and what differs there. */
interface InfoTarget {
  readonly title: string;
  /** The embedded database: no scheduler runs the jobs and job_stats stays empty. */
  readonly embedded: boolean;
  readonly serverVersion: RegExp;
  readonly timescaleVersion: RegExp;
  /**
   * A database holding datapoint (59 daily chunks, 20 compressed by hand, a compression
   * and a retention policy), counters (integer time) and the plain tables.
   */
  open(): Promise<TestDatabase>;
}

/** What timescale-info must report as a job's history. */
interface JobHistory {
  readonly lastRunStartedAt: string | null;
  readonly lastRunStatus: string | null;
  readonly lastSuccessfulFinish: string | null;
  readonly nextStart: string | null;
  readonly totalRuns: number | null;
  readonly totalFailures: number | null;
}

const NO_HISTORY: JobHistory = {
  lastRunStartedAt: null,
  lastRunStatus: null,
  lastSuccessfulFinish: null,
  nextStart: null,
  totalRuns: null,
  totalFailures: null,
};

/** The history job_stats has for a job, as timescale-info reports it. */
async function recordedHistory(c: pg.ClientBase, id: number): Promise<JobHistory> {
  const stats = await jobStats(c, id);
  if (!stats) throw new Error(`job ${id} has no job_stats row`);
  return {
    lastRunStartedAt: isoOrNull(stats.lastRunStartedAt),
    lastRunStatus: stats.lastRunStatus,
    lastSuccessfulFinish: isoOrNull(stats.lastSuccessfulFinish),
    nextStart: isoOrNull(stats.nextStart),
    totalRuns: stats.totalRuns,
    totalFailures: stats.totalFailures,
  };
}

/** A history the scheduler wrote: at least one run, the last one successful. */
function expectSuccessfulRuns(history: JobHistory): void {
  expect(history.lastRunStatus).to.equal('Success');
  expect(history.totalRuns).to.be.a('number').at.least(1);
  expect(history.totalFailures).to.equal(0);
  const started = Date.parse(history.lastRunStartedAt ?? '');
  expect(Number.isFinite(started), 'lastRunStartedAt').to.equal(true);
  expect(Date.parse(history.lastSuccessfulFinish ?? '')).to.be.at.least(started);
  expect(Date.parse(history.nextStart ?? '')).to.be.greaterThan(started);
}

/** Sizes before and after compression as hypertable_compression_stats has them. */
async function expectCompressionStats(
  c: pg.ClientBase,
  beforeBytes: number | null | undefined,
  afterBytes: number | null | undefined,
): Promise<void> {
  const { rows } = await c.query<{ before: string; after: string }>(
    `SELECT before_compression_total_bytes AS before, after_compression_total_bytes AS after
       FROM public.hypertable_compression_stats('public.datapoint')`,
  );
  expect([beforeBytes, afterBytes]).to.deep.equal([
    Number(rows[0]?.before),
    Number(rows[0]?.after),
  ]);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function describeInfo(target: InfoTarget): void {
  describe(target.title, function () {
    this.timeout(180_000);
    let db: TestDatabase;

    before(async () => {
      db = await target.open();
    });
    after(() => db?.dispose());

    /** Embedded: no history. Native: what job_stats has, a successful scheduled run. */
    async function expectedHistory(c: pg.ClientBase, id: number): Promise<JobHistory> {
      if (target.embedded) return NO_HISTORY;
      const history = await recordedHistory(c, id);
      expectSuccessfulRuns(history);
      return history;
    }

    it('reports chunks, range, sizes, compression and jobs as the catalog has them', async () => {
      await withClient(db.url, async (c) => {
        const info = await infoWithoutSearchPath(c, target.embedded);
        expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
        expect(JSON.parse(JSON.stringify(info))).to.deep.equal(info);

        expect(info.version).to.equal(1);
        const server = await c.query<{ v: string }>(
          `SELECT pg_catalog.current_setting('server_version') AS v`,
        );
        expect(info.server.version).to.equal(server.rows[0]?.v);
        expect(info.server.version).to.match(target.serverVersion);
        expect(info.timescale).to.deep.include({
          installed: true,
          license: 'timescale',
          availability: 'installed',
          compression: true,
          policies: true,
          note: target.embedded ? EMBEDDED_JOBS_NOTE : null,
        });
        expect(info.timescale.version).to.match(target.timescaleVersion);
        expect(info.embedded).to.equal(target.embedded);
        // On a server TimescaleDB's scheduler runs the policies; embedded, nothing does.
        expect(info.jobsRunAutomatically).to.equal(!target.embedded);
        expect(info.hypertables.map((h) => h.table)).to.deep.equal(['counters', 'datapoint']);

        const [counters, dp] = info.hypertables;
        expect(counters).to.deep.include({
          schema: 'public',
          model: null,
          timeColumn: 'tick',
          timeType: 'bigint',
          chunkInterval: null,
          integerChunkInterval: '1000',
          chunks: 5,
          range: { from: '0', to: '5000' },
          jobs: [],
        });
        expect(counters?.compression).to.deep.equal({
          enabled: false,
          segmentBy: [],
          orderBy: [],
          chunkInterval: null,
          sparseIndexes: [],
          compressedChunks: 0,
          beforeBytes: null,
          afterBytes: null,
          ratio: null,
        });

        if (!dp) throw new Error('no datapoint hypertable');
        expect(dp).to.deep.include({
          schema: 'public',
          table: 'datapoint',
          model: 'DataPoint',
          timeColumn: 'timestamp',
          timeType: 'timestamp with time zone',
          chunkInterval: '1 day',
          integerChunkInterval: null,
          chunks: 59,
          range: { from: '2025-01-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z' },
        });
        const size = await c.query<{ total: string }>(
          `SELECT total_bytes AS total FROM public.hypertable_detailed_size('public.datapoint')`,
        );
        expect(dp.totalBytes).to.equal(Number(size.rows[0]?.total));
        // Embedded: the 20 chunks compressed by hand. On a server the scheduler ran the
        // compression policy as it was added: all 59 days are older than a month.
        const compressed = target.embedded ? 20 : 59;
        const counted = await c.query<{ n: string }>(
          `SELECT count(*) AS n FROM timescaledb_information.chunks
            WHERE hypertable_name = 'datapoint' AND is_compressed`,
        );
        expect(Number(counted.rows[0]?.n)).to.equal(compressed);
        expect(dp.compression).to.deep.include({
          enabled: true,
          segmentBy: ['source'],
          orderBy: ['timestamp DESC', 'value NULLS FIRST'],
          compressedChunks: compressed,
        });
        const { beforeBytes, afterBytes, ratio } = dp.compression;
        await expectCompressionStats(c, beforeBytes, afterBytes);
        expect(beforeBytes).to.be.a('number').greaterThan(0);
        expect(afterBytes).to.be.a('number').greaterThan(0);
        // On a server, a compressed day of 288 rows takes more pages than the rows did.
        if (target.embedded) expect(ratio).to.be.a('number').greaterThan(1);
        expect(ratio).to.equal(Math.round(((beforeBytes ?? 0) / (afterBytes ?? 1)) * 100) / 100);

        // Embedded: the retention job ran (100 years: nothing dropped), but this build
        // records no history: every job_stats figure is null, nothing is made up. On a
        // server both jobs have the history of the scheduler's runs.
        const compressionId = await jobId(c, 'policy_compression');
        const retentionId = await jobId(c, 'policy_retention');
        const retentionHistory = await expectedHistory(c, retentionId);
        expect(dp.jobs).to.deep.equal([
          {
            id: compressionId,
            kind: 'compression',
            procName: 'policy_compression',
            config: { compress_after: '1 mon' },
            interval: '1 mon',
            schedule: '12:00:00',
            scheduled: true,
            ...(await expectedHistory(c, compressionId)),
          },
          {
            id: retentionId,
            kind: 'retention',
            procName: 'policy_retention',
            config: { drop_after: '100 years' },
            interval: '100 years',
            schedule: '1 day',
            scheduled: true,
            ...retentionHistory,
          },
        ]);
        const rows = await c.query<{ n: string }>('SELECT count(*) AS n FROM datapoint');
        expect(Number(rows.rows[0]?.n)).to.equal(ROWS);

        expect(info.plainTables).to.deep.equal([
          { model: 'Reading', table: 'reading', wouldBeHypertable: true, timeColumn: 'at' },
        ]);

        expect(Object.isFrozen(info)).to.equal(true);
        expect(Object.isFrozen(dp.jobs[0]?.config)).to.equal(true);
        expect(Object.isFrozen(dp.compression.segmentBy)).to.equal(true);

        const text = formatTimescaleInfo(info);
        if (process.env['PRISM_SHOW_OUTPUT']) console.log(text);
        expect(text).to.include(
          `server: PostgreSQL ${info.server.version}${target.embedded ? ' (embedded)' : ''}\n`,
        );
        expect(text).to.include(
          target.embedded
            ? '\npolicy jobs: do not run automatically\n'
            : '\npolicy jobs: run automatically\n',
        );
        expect(text).to.include('\nhypertable public.datapoint (model DataPoint)\n');
        expect(text).to.include(
          '\n  compression:  on, segment by source, order by timestamp DESC, value NULLS FIRST\n',
        );
        expect(text).to.include(
          '  chunks:       59, 2025-01-01 00:00:00Z .. 2025-03-01 00:00:00Z\n',
        );
        expect(text).to.match(
          new RegExp(
            `\\n {16}${compressed} of 59 chunks compressed, [\\d.]+ [KM]iB -> [\\d.]+ [KM]iB \\(\\d+\\.\\dx\\)\\n`,
          ),
        );
        const shown = (iso: string | null) =>
          escapeRegExp(iso === null ? '-' : formatTimestamp(iso));
        const h = retentionHistory;
        expect(text).to.match(
          new RegExp(
            `\\n {4}${retentionId} +retention +100 years +1 day +${shown(h.lastRunStartedAt)} +${h.lastRunStatus ?? '-'} +${shown(h.nextStart)} +${h.totalRuns ?? '-'} +${h.totalFailures ?? '-'}\\n`,
          ),
        );
        expect(text).to.include('\n  reading  model Reading  time column at\n');
      });
    });

    it('sees the chunks the compression job compressed when run with CALL run_job', async () => {
      await withClient(db.url, async (c) => {
        const compressionId = await jobId(c, 'policy_compression');
        await c.query(`CALL run_job(${compressionId})`);
        const info = await timescaleInfo(c, SPEC, { embedded: target.embedded });
        expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
        const dp = info.hypertables.find((h) => h.table === 'datapoint');
        // All 59 days are older than a month.
        expect(dp?.chunks).to.equal(59);
        expect(dp?.compression.compressedChunks).to.equal(59);
        await expectCompressionStats(c, dp?.compression.beforeBytes, dp?.compression.afterBytes);
        if (target.embedded) expect(dp?.compression.ratio).to.be.a('number').greaterThan(1);
        const retentionId = await jobId(c, 'policy_retention');
        expect(dp?.jobs.map((j) => j.totalRuns)).to.deep.equal([
          (await expectedHistory(c, compressionId)).totalRuns,
          (await expectedHistory(c, retentionId)).totalRuns,
        ]);
      });
    });

    it('without a spec or options names no models, lists no plain tables and adds no note', async () => {
      await withClient(db.url, async (c) => {
        const info = await timescaleInfo(c);
        expect(info.embedded).to.equal(false);
        expect(info.jobsRunAutomatically).to.equal(true);
        expect(info.timescale.note).to.equal(null);
        expect(info.hypertables.map((h) => h.model)).to.deep.equal([null, null]);
        expect(info.plainTables).to.deep.equal([]);
        expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
      });
    });
  });
}

describeInfo({
  title: 'timescale-info on the embedded TimescaleDB',
  embedded: true,
  serverVersion: /^17\./,
  timescaleVersion: /^2\.23\./,
  async open() {
    const db = await createEmbeddedDatabase();
    await withClient(db.url, async (c) => {
      await createPlainTables(c);
      await c.query(
        `SELECT create_hypertable('datapoint', by_range('timestamp', interval '1 day'), migrate_data => true)`,
      );
      await c.query(
        `ALTER TABLE datapoint SET (timescaledb.compress, timescaledb.compress_segmentby = 'source',
                                    timescaledb.compress_orderby = '"timestamp" DESC, value NULLS FIRST')`,
      );
      await c.query(COMPRESS_20_CHUNKS);
      await c.query(`SELECT add_compression_policy('datapoint', interval '1 month')`);
      await c.query(`SELECT add_retention_policy('datapoint', interval '100 years')`);
      await c.query(`CALL run_job(${await jobId(c, 'policy_retention')})`);
      await c.query(`CREATE TABLE counters (tick bigint NOT NULL, n int)`);
      await c.query(`SELECT create_hypertable('counters', by_range('tick', 1000))`);
      await c.query(`INSERT INTO counters SELECT i, i FROM generate_series(0, 4999) i`);
    });
    return db;
  },
});

/**
 * On a native server, in a new database: the fixture migration builds the tables (its
 * first hypertable creates TimescaleDB), then the same chunks are compressed and the same
 * policies added by hand, and the scheduler's first run of each is awaited.
 */
for (const before213 of [false, true]) {
  describeNative(
    { license: 'timescale', before213 },
    'timescale-info, in a new database',
    (server: NativeServer) => {
      describeInfo({
        title: 'with the scheduler running the policies',
        embedded: false,
        serverVersion: /^\d+(\.\d+)?/,
        timescaleVersion: new RegExp(`^${escapeRegExp(server.version)}$`),
        async open() {
          const db = await createNativeDatabase(server);
          try {
            await withClient(db.url, async (c) => {
              const ext = await c.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`);
              expect(ext.rows, 'TimescaleDB before the first up').to.deep.equal([]);
            });
            await migrate({
              url: db.url,
              migrationsDir: INFO_MIGRATIONS,
              direction: 'up',
              timescale: 'require',
            });
            const since = await withClient(db.url, async (c) => {
              await c.query(COMPRESS_20_CHUNKS);
              const now = await serverNow(c);
              await c.query(`SELECT add_compression_policy('datapoint', interval '1 month')`);
              await c.query(`SELECT add_retention_policy('datapoint', interval '100 years')`);
              return now;
            });
            for (const proc of ['policy_compression', 'policy_retention']) {
              const id = await withClient(db.url, (c) => jobId(c, proc));
              await waitForScheduledRun(db.url, id, since);
            }
            return db;
          } catch (error) {
            await db.dispose();
            throw error;
          }
        },
      });
    },
  );
}

describe('timescale-info on the PostgreSQL server without TimescaleDB', function () {
  this.timeout(60_000);
  let db: TestDatabase;

  before(async () => {
    db = await createServerDatabase('prism_info');
    await withClient(db.url, createPlainTables);
  });
  after(() => db?.dispose());

  it('says TimescaleDB is not installed and lists the would-be hypertables', async () => {
    await withClient(db.url, async (c) => {
      const info = await infoWithoutSearchPath(c, false);
      expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
      expect(JSON.parse(JSON.stringify(info))).to.deep.equal(info);
      expect(info.timescale).to.deep.include({
        installed: false,
        version: null,
        license: null,
        availability: 'unavailable',
        availableVersion: null,
        compression: false,
        policies: false,
      });
      expect(info.timescale.note).to.be.a('string');
      expect(info.timescale.note).to.include('not on this server');
      expect(info.timescale.note).to.include('timeseries models are plain tables');
      expect(info.timescale.note).to.include('skipped under `timescale: auto`');
      expect(info.embedded).to.equal(false);
      expect(info.jobsRunAutomatically).to.equal(false);
      expect(info.hypertables).to.deep.equal([]);
      expect(info.plainTables).to.deep.equal([
        {
          model: 'DataPoint',
          table: 'datapoint',
          wouldBeHypertable: true,
          timeColumn: 'timestamp',
        },
        { model: 'Reading', table: 'reading', wouldBeHypertable: true, timeColumn: 'at' },
      ]);

      const text = formatTimescaleInfo(info);
      expect(text).to.equal(
        [
          `server: PostgreSQL ${info.server.version}`,
          'TimescaleDB: not installed in this database (not on the server)',
          `note: ${info.timescale.note ?? ''}`,
          '',
          'timeseries models that are plain tables here (hypertables with TimescaleDB):',
          '  datapoint  model DataPoint  time column timestamp',
          '  reading    model Reading    time column at',
          '',
        ].join('\n'),
      );
    });
  });
});
