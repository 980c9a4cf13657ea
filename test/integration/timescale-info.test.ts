/**
 * `timescaleInfo` on real databases: the embedded TimescaleDB (a hypertable with 59 daily
 * chunks, 20 of them compressed by hand, compression and retention policies, jobs run
 * with CALL run_job) and the PostgreSQL server without TimescaleDB (the spec's timeseries
 * models are plain tables). Both outputs are checked against
 * spec/timescale-info.schema.json.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { formatTimescaleInfo } from '../../lib/introspect/format-info.js';
import { EMBEDDED_JOBS_NOTE, timescaleInfo } from '../../lib/introspect/info.js';
import { parseSpec } from '../../lib/spec/load.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { checkTimescaleInfoSchema } from '../helpers/info-schema.js';

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

async function jobId(c: pg.ClientBase, proc: string): Promise<number> {
  const { rows } = await c.query<{ id: number }>(
    `SELECT job_id AS id FROM timescaledb_information.jobs
      WHERE hypertable_name = 'datapoint' AND proc_name = $1`,
    [proc],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`no ${proc} job`);
  return id;
}

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

describe('timescale-info on the embedded TimescaleDB', function () {
  this.timeout(180_000);
  let db: TestDatabase;

  before(async () => {
    db = await createEmbeddedDatabase();
    await withClient(db.url, async (c) => {
      await createPlainTables(c);
      await c.query(
        `SELECT create_hypertable('datapoint', by_range('timestamp', interval '1 day'), migrate_data => true)`,
      );
      await c.query(
        `ALTER TABLE datapoint SET (timescaledb.compress, timescaledb.compress_segmentby = 'source',
                                    timescaledb.compress_orderby = '"timestamp" DESC, value NULLS FIRST')`,
      );
      await c.query(
        `SELECT compress_chunk(ch) FROM (SELECT ch FROM show_chunks('datapoint') ch ORDER BY 1 LIMIT 20) x`,
      );
      await c.query(`SELECT add_compression_policy('datapoint', interval '1 month')`);
      await c.query(`SELECT add_retention_policy('datapoint', interval '100 years')`);
      await c.query(`CALL run_job(${await jobId(c, 'policy_retention')})`);
      await c.query(`CREATE TABLE counters (tick bigint NOT NULL, n int)`);
      await c.query(`SELECT create_hypertable('counters', by_range('tick', 1000))`);
      await c.query(`INSERT INTO counters SELECT i, i FROM generate_series(0, 4999) i`);
    });
  });
  after(() => db?.dispose());

  it('reports chunks, range, sizes, compression and jobs as the catalog has them', async () => {
    await withClient(db.url, async (c) => {
      const info = await infoWithoutSearchPath(c, true);
      expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
      expect(JSON.parse(JSON.stringify(info))).to.deep.equal(info);

      expect(info.version).to.equal(1);
      expect(info.server.version).to.match(/^17\./);
      expect(info.timescale).to.deep.include({
        installed: true,
        license: 'timescale',
        compression: true,
        policies: true,
        note: EMBEDDED_JOBS_NOTE,
      });
      expect(info.timescale.version).to.match(/^2\.23\./);
      expect(info.embedded).to.equal(true);
      expect(info.jobsRunAutomatically).to.equal(false);
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
      expect(dp.compression).to.deep.include({
        enabled: true,
        segmentBy: ['source'],
        orderBy: ['timestamp DESC', 'value NULLS FIRST'],
        compressedChunks: 20,
      });
      const { beforeBytes, afterBytes, ratio } = dp.compression;
      expect(beforeBytes).to.be.a('number').greaterThan(0);
      expect(afterBytes).to.be.a('number').greaterThan(0);
      expect(ratio).to.be.a('number').greaterThan(1);
      expect(ratio).to.equal(Math.round(((beforeBytes ?? 0) / (afterBytes ?? 1)) * 100) / 100);

      // The retention job ran (100 years: nothing dropped), but this build records no
      // history: every job_stats figure is null, nothing is made up.
      const noHistory = {
        lastRunStartedAt: null,
        lastRunStatus: null,
        lastSuccessfulFinish: null,
        nextStart: null,
        totalRuns: null,
        totalFailures: null,
      };
      expect(dp.jobs).to.deep.equal([
        {
          id: await jobId(c, 'policy_compression'),
          kind: 'compression',
          procName: 'policy_compression',
          config: { compress_after: '1 mon' },
          interval: '1 mon',
          schedule: '12:00:00',
          scheduled: true,
          ...noHistory,
        },
        {
          id: await jobId(c, 'policy_retention'),
          kind: 'retention',
          procName: 'policy_retention',
          config: { drop_after: '100 years' },
          interval: '100 years',
          schedule: '1 day',
          scheduled: true,
          ...noHistory,
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
      expect(text).to.include('server: PostgreSQL 17.5 (embedded)\n');
      expect(text).to.include('\nhypertable public.datapoint (model DataPoint)\n');
      expect(text).to.include(
        '\n  compression:  on, segment by source, order by timestamp DESC, value NULLS FIRST\n',
      );
      expect(text).to.include('  chunks:       59, 2025-01-01 00:00:00Z .. 2025-03-01 00:00:00Z\n');
      expect(text).to.match(
        /\n {16}20 of 59 chunks compressed, [\d.]+ [KM]iB -> [\d.]+ [KM]iB \(\d+\.\dx\)\n/,
      );
      expect(text).to.match(/\n {4}\d+ +retention +100 years +1 day +- +- +- +- +-\n/);
      expect(text).to.include('\n  reading  model Reading  time column at\n');
    });
  });

  it('sees the chunks the compression job compressed when run with CALL run_job', async () => {
    await withClient(db.url, async (c) => {
      await c.query(`CALL run_job(${await jobId(c, 'policy_compression')})`);
      const info = await timescaleInfo(c, SPEC, { embedded: true });
      expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
      const dp = info.hypertables.find((h) => h.table === 'datapoint');
      // All 59 days are older than a month.
      expect(dp?.chunks).to.equal(59);
      expect(dp?.compression.compressedChunks).to.equal(59);
      expect(dp?.compression.ratio).to.be.a('number').greaterThan(1);
      expect(dp?.jobs.map((j) => j.totalRuns)).to.deep.equal([null, null]);
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
