/**
 * `npm run bench`: the query layer, the HTTP API and the generated schema measured side by
 * side with raw COPY, hand-written SQL and a plain table, on the PostgreSQL server, on a
 * native TimescaleDB server and on the embedded TimescaleDB, in one run; a year of daily
 * buckets answered from continuous aggregates against the same query on the raw table; on
 * TimescaleDB the year compressed through the compression policy's own job (size before
 * and after, the ratio timescale-info shows), the range and bucket queries again on the
 * compressed chunks, and retention: drop_chunks against DELETE plus the VACUUM it needs.
 * Rows with a target (report.ts) say whether it is met. Prints progress, then a Markdown
 * table and the machine.
 *
 * Not part of the test suite; nothing here asserts timings (it does assert equal answers,
 * compressed or not, and that the aggregate variant was answered from the aggregate). Scale
 * with environment variables:
 *   BENCH_PG_URL              PostgreSQL server admin URL (default postgres://root@127.0.0.1:5432/test)
 *   BENCH_TIMESCALE_URL       TimescaleDB server admin URL; unset, the bench starts TimescaleDB 2.28.3
 *                             (Timescale License) with server.sh beside the checkout
 *                             (../shared/timescaledb/server.sh) and uses the URL it prints, or, without
 *                             that script, uses postgres://postgres@127.0.0.1:5434/postgres; skipped
 *                             with a logged line when unreachable or without TimescaleDB
 *   BENCH_TIMESCALE_SERVER_SH that script elsewhere
 *   BENCH_SERVER_STEP         minutes between readings on the PostgreSQL server (default 1: 5,256,000 rows)
 *   BENCH_TIMESCALE_STEP      minutes between readings on the TimescaleDB server (default 1)
 *   BENCH_EMBEDDED_STEP       minutes between readings on the embedded database (default 20)
 *   BENCH_SERVER_INGEST       rows per ingest method on the PostgreSQL server (default 500,000)
 *   BENCH_TIMESCALE_INGEST    rows per ingest method on the TimescaleDB server (default 500,000)
 *   BENCH_EMBEDDED_INGEST     rows per ingest method on the embedded database (default 100,000)
 *   BENCH_RUNS                timed runs per query variant, median reported (default 15)
 *   BENCH_INGEST_RUNS         timed runs per ingest method, median reported (default 3)
 *   BENCH_SKIP                comma list of `server`, `timescale`, `embedded` to leave out, and of
 *                             `load` (the HTTP API under load) and `tool` (generate and up at
 *                             scale), both run on the TimescaleDB server
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildApi, routeOf } from '../lib/api/server.js';
import { readTimescaleRuntime } from '../lib/catalog/runtime.js';
import { openDatabase } from '../lib/db/open.js';
import { generateMigration } from '../lib/generate/generate.js';
import {
  createRepository,
  detectDialect,
  type Aggregation,
  type Repository,
  type Row,
} from '../lib/query/index.js';
import { migrate } from '../lib/runner/migrate.js';
import { refreshAggregates, refreshFailure } from '../lib/runner/refresh.js';
import { parseSpec } from '../lib/spec/load.js';
import { benchApiLoad } from './api-load.js';
import { benchToolScale } from './tool-scale.js';
import type { Model, Spec } from '../lib/spec/types.js';
import {
  copyBuffers,
  copyIn,
  copyText,
  count,
  dataSet,
  DAY,
  END,
  LATEST_SOURCES,
  MINUTE,
  rowAt,
  SEED,
  SOURCES,
  START,
  modelOf,
} from './data.js';
import {
  fmtBytes,
  fmtInt,
  fmtMs,
  fmtRatio,
  log,
  median,
  record,
  results,
  resultTable,
  t0,
  timed,
  type Goal,
  type Result,
} from './report.js';

// ---------------------------------------------------------------------------------------
// Configuration

const execFileAsync = promisify(execFile);

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1`);
  return n;
}

const ADMIN_URL = process.env['BENCH_PG_URL'] ?? 'postgres://root@127.0.0.1:5432/test';
const TIMESCALE_DEFAULT_URL = 'postgres://postgres@127.0.0.1:5434/postgres';
/** The native TimescaleDB the bench starts when no URL is given: version and licence. */
const TIMESCALE_SERVER = ['2.28.3', 'tsl'] as const;
/** A database of this run's own, so no other database is touched. */
const BENCH_DB = `prism_bench_${process.pid}`;
const RUNS = envInt('BENCH_RUNS', 15);
const INGEST_RUNS = envInt('BENCH_INGEST_RUNS', 3);
const SKIP = new Set((process.env['BENCH_SKIP'] ?? '').split(',').map((s) => s.trim()));

/** How a data set of one reading every `step` minutes compares with the full year per minute. */
function scaleOf(step: number): string {
  const rows = fmtInt(dataSet(SOURCES, step, START, END).rows);
  return step === 1
    ? `${rows} rows (full scale)`
    : `${rows} rows (one reading every ${step} minutes: 1/${step} scale)`;
}

/** Relative difference allowed between two floats of equal answers (see compareAnswers). */
const FLOAT_TOLERANCE = 1e-12;

function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(v)) return Number(v);
  return undefined;
}

/**
 * Whether two answers are equal, cell by cell in order: times and text exactly, numbers
 * within FLOAT_TOLERANCE of each other, since a sum (and so an average) added up in another
 * order — from materialized partial sums, say — may differ in the last bits. Returns the
 * largest relative difference seen, or throws naming the first cell that differs.
 */
function compareAnswers(expected: readonly Row[], actual: readonly Row[], what: string): number {
  if (expected.length !== actual.length) {
    throw new Error(`${what}: ${actual.length} rows, expected ${expected.length}`);
  }
  let largest = 0;
  expected.forEach((row, i) => {
    const a = Object.values(row);
    const b = Object.values(actual[i] as Row);
    if (a.length !== b.length) throw new Error(`${what}: row ${i} has ${b.length} columns`);
    a.forEach((x, k) => {
      const y = b[k];
      const [nx, ny] = [numeric(x), numeric(y)];
      if (nx !== undefined && ny !== undefined) {
        const relative = nx === ny ? 0 : Math.abs(nx - ny) / Math.max(Math.abs(nx), Math.abs(ny));
        if (!(relative <= FLOAT_TOLERANCE)) {
          throw new Error(
            `${what}: row ${i} column ${k + 1} is ${String(y)}, expected ${String(x)}`,
          );
        }
        largest = Math.max(largest, relative);
      } else {
        const text = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
        if (text(x) !== text(y)) {
          throw new Error(`${what}: row ${i} column ${k + 1} is ${text(y)}, expected ${text(x)}`);
        }
      }
    });
  });
  return largest;
}

// ---------------------------------------------------------------------------------------
// One database

/** The 1-hour buckets through the layer, from the table: the row held to the layer's target. */
const BUCKETS_FROM_TABLE =
  'layer: getTimeBucketAggregates, useAggregates: false (generated schema)';

interface Target {
  readonly name: string;
  readonly client: pg.Client;
  readonly spec: Spec;
  readonly stepMinutes: number;
  readonly ingestRows: number;
  readonly latestPerSource: number;
  /** The embedded database: insertMany uses unnest there, and ingest is held to no target. */
  readonly embedded?: boolean | undefined;
  /** The database's URL, for the HTTP API under load (servers only: see benchApiLoad). */
  readonly apiLoadUrl?: string | undefined;
}

async function benchIngest(
  t: Target,
  repo: Repository,
  model: Model,
  dialectSchema: string | undefined,
) {
  const { client } = t;
  const d = dataSet(SOURCES, t.stepMinutes, START, END);
  const n = Math.min(t.ingestRows, d.rows);
  log(
    `${t.name}: ingest of ${fmtInt(n)} rows per method into ${model.table} (emptied before each run), median of ${INGEST_RUNS} runs, order rotated`,
  );

  // Every method's input is rendered once, before any timing: COPY text, row objects, NDJSON.
  const chunks: string[] = [];
  for (let at = 0; at < n; at += 20_000) chunks.push(copyText(d, at, Math.min(n, at + 20_000)));
  const objects: Row[] = [];
  for (let i = 0; i < n; i++) {
    const r = rowAt(d, i);
    objects.push({ time: new Date(r.time), source: r.source, value: r.value });
  }
  const BATCH = 50_000;
  const bodies: string[] = [];
  for (let at = 0; at < n; at += BATCH) {
    const lines: string[] = [];
    for (let i = at; i < Math.min(n, at + BATCH); i++) {
      const r = rowAt(d, i);
      lines.push(
        JSON.stringify({ time: new Date(r.time).toISOString(), source: r.source, value: r.value }),
      );
    }
    bodies.push(lines.join('\n'));
  }

  const spec: Spec = { ...t.spec, models: [model] };
  const app = buildApi({ spec, client, dialect: repo.dialect, schema: dialectSchema });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `${address}${routeOf(model)}`;
  const copy = 'COPY FROM STDIN (pg-copy-streams)';
  const insertMany = t.embedded
    ? 'repository.insertMany (unnest on the embedded database)'
    : 'repository.insertMany';
  const http = `HTTP API POST ${routeOf(model)} (NDJSON, 50,000/request)`;
  // The targets are a server's: the embedded database takes rows through unnest by design.
  const targets = new Map<string, Goal>(
    t.embedded
      ? []
      : [
          [insertMany, { kind: 'throughput', bound: 0.9, of: 'COPY' }],
          [http, { kind: 'throughput', bound: 0.6, of: 'COPY' }],
        ],
  );
  const methods: [string, () => Promise<unknown>][] = [
    [copy, () => copyBuffers(client, model.table, chunks)],
    [insertMany, () => repo.insertMany(objects)],
    [
      http,
      async () => {
        for (const body of bodies) {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-ndjson' },
            body,
          });
          const json = (await res.json()) as unknown;
          if (res.status !== 201)
            throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(json)}`);
        }
      },
    ],
  ];
  const times = new Map<string, number[]>(methods.map(([name]) => [name, []]));
  try {
    for (let run = 0; run < INGEST_RUNS; run++) {
      for (let k = 0; k < methods.length; k++) {
        const [name, work] = methods[(run + k) % methods.length] as (typeof methods)[number];
        await client.query(`TRUNCATE ${model.table}`);
        const { ms } = await timed(work);
        if ((await count(client, model.table)) !== n) throw new Error(`${name}: wrong row count`);
        times.get(name)?.push(ms);
      }
    }
  } finally {
    await app.close();
  }
  await client.query(`TRUNCATE ${model.table}`);
  record(
    methods.map(([name]) => {
      const ms = median(times.get(name) ?? []);
      return {
        database: t.name,
        benchmark: `ingest of ${fmtInt(n)} rows`,
        variant: name,
        ms,
        rows: n,
        rate: (n / ms) * 1000,
        ratio: 0,
        baseline: false,
        target: targets.get(name),
      };
    }),
    copy,
  );
}

async function benchQueries(
  t: Target,
  repo: Repository,
  model: Model,
  dialect: string,
  schema: string | undefined,
) {
  const { client } = t;
  const d = dataSet(SOURCES, t.stepMinutes, START, END);
  const table = model.table;
  log(
    `${t.name}: loading ${fmtInt(d.rows)} rows (one year, ${SOURCES} sources, every ${t.stepMinutes} min) with COPY`,
  );
  await client.query(`TRUNCATE ${table}`);
  const load = await timed(() => copyIn(client, table, d, 0, d.rows));
  log(`  loaded in ${fmtMs(load.ms)}`);
  await refreshAfterLoad(t, model, d.rows, load.ms);
  log(
    `  copying them into ${table}_plain (no indexes${dialect === 'timescale' ? ', not a hypertable' : ''})`,
  );
  await client.query(`DROP TABLE IF EXISTS ${table}_plain`);
  await client.query(`CREATE TABLE ${table}_plain (LIKE ${table})`);
  await client.query(`INSERT INTO ${table}_plain SELECT * FROM ${table}`);
  await client.query(`ANALYZE ${table}`);
  await client.query(`ANALYZE ${table}_plain`);
  if ((await count(client, `${table}_plain`)) !== d.rows || (await count(client, table)) !== d.rows)
    throw new Error('query data: wrong row count');

  const source = d.sourceName(3);
  const weekStart = new Date(END - 7 * DAY);
  const monthStart = new Date(END - 30 * DAY);
  const end = new Date(END);
  const bucketExpr =
    dialect === 'timescale'
      ? `${schema}.time_bucket('1 hour', "time")`
      : `date_bin('1 hour', "time", timestamptz '2000-01-03 00:00:00+00')`;
  const rangeSql = (tbl: string) =>
    `SELECT "time", source, value FROM ${tbl} WHERE source = $1 AND "time" >= $2 AND "time" < $3 ORDER BY "time" LIMIT 10000`;
  const aggSql = (tbl: string) =>
    `SELECT ${bucketExpr} AS bucket, avg(value) AS avg_value, min(value) AS min_value, max(value) AS max_value, count(value)::int AS count_value FROM ${tbl} WHERE source = $1 AND "time" >= $2 AND "time" < $3 GROUP BY 1 ORDER BY 1`;
  const sql = async (text: string, params: unknown[]) =>
    (await client.query<Row>(text, params)).rows;

  const hourly = {
    filters: { source },
    aggregations: ['avg', 'min', 'max', 'count'] as Aggregation[],
    fields: ['value'],
  };
  const hourlySource = (await repo.answerTimeBucketAggregates('1 hour', monthStart, end, hourly))
    .source;
  const suites: { benchmark: string; variants: [string, () => Promise<Row[]>][] }[] = [
    {
      benchmark: `range: last 7 days of ${source}, LIMIT 10,000`,
      variants: [
        [
          'layer: getByTimeRange (generated schema)',
          () =>
            repo.getByTimeRange(weekStart, end, {
              filters: { source },
              limit: 10_000,
              order: 'asc',
            }),
        ],
        [
          'hand-written SQL (generated schema)',
          () => sql(rangeSql(table), [source, weekStart, end]),
        ],
        [
          'hand-written SQL (plain table)',
          () => sql(rangeSql(`${table}_plain`), [source, weekStart, end]),
        ],
      ],
    },
    {
      benchmark: `1-hour buckets over 30 days of ${source} (avg/min/max/count)`,
      variants: [
        // The layer's own cost: the same table, no continuous aggregate (held to the target).
        [
          BUCKETS_FROM_TABLE,
          () =>
            repo.getTimeBucketAggregates('1 hour', monthStart, end, {
              ...hourly,
              useAggregates: false,
            }),
        ],
        // What the layer answers by default: from reading_hourly where that is exact.
        [
          `layer, aggregates allowed: answered from ${hourlySource.kind === 'aggregate' ? `the aggregate ${hourlySource.name}` : `the table ${hourlySource.name}`}`,
          async () => {
            const answer = await repo.answerTimeBucketAggregates('1 hour', monthStart, end, hourly);
            if (answer.source.name !== hourlySource.name)
              throw new Error(
                `1-hour buckets: answered from ${answer.source.name}, expected ${hourlySource.name}`,
              );
            return answer.rows;
          },
        ],
        [
          'hand-written SQL (generated schema)',
          () => sql(aggSql(table), [source, monthStart, end]),
        ],
        [
          'hand-written SQL (plain table)',
          () => sql(aggSql(`${table}_plain`), [source, monthStart, end]),
        ],
      ],
    },
  ];
  const LAYER_TARGET: Goal = { kind: 'time', bound: 1.1, of: 'SQL' };
  const targets = new Map([
    ['layer: getByTimeRange (generated schema)', LAYER_TARGET],
    [BUCKETS_FROM_TABLE, LAYER_TARGET],
  ]);
  const baseline = 'hand-written SQL (generated schema)';
  const answers = new Map<string, Row[]>();
  for (const suite of suites)
    answers.set(
      suite.benchmark,
      await runSuite(t, suite.benchmark, suite.variants, baseline, { targets }),
    );
  await benchAggregates(t, repo, model, dialect, schema);
  if (dialect !== 'timescale' || !schema) {
    log(`${t.name}: compression not available (plain PostgreSQL)`);
    return;
  }
  if (!(await compressThroughPolicy(t, model, schema, d.rows, load.ms))) return;
  // The same suites on the compressed chunks, held to the uncompressed answers.
  for (const suite of suites)
    await runSuite(t, `${suite.benchmark} (compressed)`, suite.variants, baseline, {
      targets,
      expected: answers.get(suite.benchmark),
    });
}

/**
 * Compresses the loaded year through the compression policy's own job (`run_job`), as its
 * schedule would: `after: 1 month` counts back from now and the data is the year 2025, so
 * every chunk qualifies. Records the job's time against the load, with the sizes before
 * and after; the ratio held to the target is the one `timescale-info` shows. False (logged)
 * where the database has no compression policy job (Apache-only TimescaleDB).
 */
async function compressThroughPolicy(
  t: Target,
  model: Model,
  schema: string,
  rows: number,
  loadMs: number,
): Promise<boolean> {
  const { client } = t;
  const table = model.table;
  const tableSchema = model.schema ?? 'public';
  const jobs = await client.query<{ id: number; proc: string }>(
    `SELECT job_id::int AS id, proc_name::text AS proc FROM timescaledb_information.jobs
      WHERE hypertable_schema = $1 AND hypertable_name = $2
        AND proc_name IN ('policy_compression', 'policy_columnstore')`,
    [tableSchema, table],
  );
  const job = jobs.rows[0];
  if (job === undefined) {
    log(
      `${t.name}: compression not available (no compression policy job on ${table}: this TimescaleDB has no compression, e.g. the Apache-only build)`,
    );
    return false;
  }
  const chunkCounts = async () => {
    const r = await client.query<{ n: string; of: string }>(
      `SELECT count(*) FILTER (WHERE is_compressed) AS n, count(*) AS of FROM timescaledb_information.chunks
        WHERE hypertable_schema = $1 AND hypertable_name = $2`,
      [tableSchema, table],
    );
    return { compressed: Number(r.rows[0]?.n), chunks: Number(r.rows[0]?.of) };
  };
  const before = await hypertableBytes(client, schema, table);
  const already = await chunkCounts();
  if (already.compressed > 0)
    throw new Error(`compression: ${already.compressed} chunks were compressed before run_job`);
  log(
    `${t.name}: compressing ${table} (${already.chunks} chunks, ${fmtBytes(before)}) through its ${job.proc} job ${job.id}: CALL run_job(${job.id})`,
  );
  // job.id is an integer read from the catalog; CALL takes no bind parameters everywhere.
  const run = await timed(() => client.query(`CALL ${schema}.run_job(${Number(job.id)})`));
  const done = await chunkCounts();
  if (done.compressed !== done.chunks)
    throw new Error(`compression: ${done.compressed} of ${done.chunks} chunks compressed`);
  await client.query(`ANALYZE ${table}`);
  const after = await hypertableBytes(client, schema, table);
  const usage = (await readTimescaleRuntime(client, schema)).hypertables.find(
    (h) => h.schema === tableSchema && h.table === table,
  );
  if (usage?.ratio == null || usage.beforeBytes === null || usage.afterBytes === null)
    throw new Error(`compression: timescale-info shows no compression figures for ${table}`);
  const info = `timescale-info: ${fmtBytes(usage.beforeBytes)} → ${fmtBytes(usage.afterBytes)}`;
  const total = `hypertable total ${fmtBytes(before)} → ${fmtBytes(after)}, ${fmtRatio(before / after)}`;
  log(`  ${done.chunks} chunks compressed; ${info}, ${fmtRatio(usage.ratio)}; ${total}`);
  const benchmark = `compression of the year through the policy job (segment_by source, order_by time DESC)`;
  const loadVariant = `load: COPY of the year (${fmtInt(rows)} rows)`;
  record(
    [
      loadRow(t, benchmark, loadVariant, rows, loadMs),
      {
        database: t.name,
        benchmark,
        variant: `CALL run_job(${job.id}): ${job.proc}, ${done.chunks} chunks`,
        ms: run.ms,
        rows,
        ratio: 0,
        baseline: false,
        note: `${info}; ${total}`,
        target: { kind: 'figure', bound: 10, value: usage.ratio, of: 'compression' },
      },
    ],
    loadVariant,
  );
  return true;
}

/** The COPY load of the year as a row: the baseline of what is paid once after it. */
function loadRow(t: Target, benchmark: string, variant: string, rows: number, ms: number): Result {
  const rate = (rows / ms) * 1000;
  return { database: t.name, benchmark, variant, ms, rows, rate, ratio: 0, baseline: false };
}

/** hypertable_detailed_size().total_bytes: heap, indexes and TOAST of every chunk. */
async function hypertableBytes(client: pg.ClientBase, schema: string, table: string) {
  const { rows } = await client.query<{ b: string }>(
    `SELECT total_bytes AS b FROM ${schema}.hypertable_detailed_size($1::regclass)`,
    [table],
  );
  return Number(rows[0]?.b);
}

/**
 * Fills the model's aggregates after the year was loaded, lower level first, through the
 * runner's refresh (a continuous aggregate's full-range refresh, or REFRESH MATERIALIZED VIEW
 * of a stand-in), each timed: the price paid once. Recorded against the load itself.
 */
async function refreshAfterLoad(t: Target, model: Model, rows: number, loadMs: number) {
  const aggregates = model.timeseries?.aggregates ?? [];
  if (aggregates.length === 0) return;
  const loadVariant = `load: COPY of the year (${fmtInt(rows)} rows, rendered while streaming)`;
  const group: Result[] = [
    loadRow(t, `aggregates: refresh of the loaded year (paid once)`, loadVariant, rows, loadMs),
  ];
  for (const aggregate of aggregates) {
    const view = { schema: model.schema, name: aggregate.name };
    const { ms, value: done } = await timed(() =>
      refreshAggregates(t.client, [{ migration: 'bench', view, reason: 'created' }], () => {}),
    );
    const failure = refreshFailure(done);
    if (failure !== undefined) throw failure;
    const refreshed = done[0];
    if (refreshed === undefined) throw new Error(`${aggregate.name}: nothing to refresh`);
    const from = aggregate.from ?? model.table;
    group.push({
      database: t.name,
      benchmark: group[0]?.benchmark ?? '',
      variant:
        refreshed.form === 'continuous'
          ? `refresh_continuous_aggregate ${aggregate.name} (from ${from})`
          : `REFRESH MATERIALIZED VIEW ${aggregate.name} (stand-in, from ${from})`,
      ms,
      ratio: 0,
      baseline: false,
    });
  }
  log(`${t.name}: aggregates refreshed over the loaded year`);
  record(group, loadVariant);
}

/** The continuous aggregates of the model on this database (none: stand-ins or none at all). */
async function continuousAggregates(client: pg.ClientBase, model: Model): Promise<string[]> {
  const names = (model.timeseries?.aggregates ?? []).map((a) => a.name);
  if (names.length === 0) return [];
  const { rows } = await client.query<{ name: string }>(
    `SELECT view_name AS name FROM timescaledb_information.continuous_aggregates
      WHERE view_schema = $1 AND view_name = ANY($2::text[])`,
    [model.schema ?? 'public', names],
  );
  return rows.map((r) => r.name);
}

/**
 * Daily buckets over the whole year per source through the layer: answered from the daily
 * aggregate where it is a continuous aggregate, against the same call on the table
 * (`useAggregates: false`) and hand-written SQL on the table. The source the layer names
 * is asserted on every call: the aggregate where one exists, the table elsewhere.
 */
async function benchAggregates(
  t: Target,
  repo: Repository,
  model: Model,
  dialect: string,
  schema: string | undefined,
) {
  const { client } = t;
  const table = model.table;
  if ((model.timeseries?.aggregates ?? []).length === 0) return;
  const continuous = dialect === 'timescale' ? await continuousAggregates(client, model) : [];
  if (continuous.length > 0) {
    // The materialized hypertables get statistics, as the table did.
    const { rows } = await client.query<{ qualified: string }>(
      `SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS qualified
         FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1 AND view_name = ANY($2::text[])`,
      [model.schema ?? 'public', continuous],
    );
    for (const r of rows) await client.query(`ANALYZE ${r.qualified}`);
    const compressed = await client.query<{ n: string; of: string }>(
      `SELECT count(*) FILTER (WHERE is_compressed) AS n, count(*) AS of FROM timescaledb_information.chunks WHERE hypertable_name = $1`,
      [table],
    );
    log(
      `  ${table}: ${compressed.rows[0]?.n ?? '?'} of ${compressed.rows[0]?.of ?? '?'} chunks compressed`,
    );
  }
  const yearStart = new Date(START);
  const end = new Date(END);
  const request = (useAggregates: boolean) =>
    repo.answerTimeBucketAggregates('1 day', yearStart, end, {
      aggregations: ['avg', 'min', 'max', 'count'],
      fields: ['value'],
      groupBySegment: true,
      useAggregates,
    });
  const probe = await request(true);
  const expectAggregate = continuous.length > 0;
  if (expectAggregate !== (probe.source.kind === 'aggregate')) {
    throw new Error(
      `aggregates: expected the layer to answer from ${expectAggregate ? 'a continuous aggregate' : 'the table'}, it answered from ${probe.source.kind} ${probe.source.name}${probe.source.reason ? `: ${probe.source.reason}` : ''}`,
    );
  }
  if (probe.source.kind === 'table') {
    log(`${t.name}: the layer answers from the table ${table}: ${probe.source.reason ?? ''}`);
  }
  const answeredBy = async (useAggregates: boolean, kind: string, name: string) => {
    const { rows, source } = await request(useAggregates);
    if (source.kind !== kind || source.name !== name) {
      throw new Error(
        `aggregates: answered from ${source.kind} ${source.name}, expected ${kind} ${name}${source.reason ? ` (${source.reason})` : ''}`,
      );
    }
    return rows;
  };
  const bucketExpr =
    dialect === 'timescale'
      ? `${schema}.time_bucket('1 day', "time")`
      : `date_bin('1 day', "time", timestamptz '2000-01-03 00:00:00+00')`;
  const rawSql = `SELECT ${bucketExpr} AS bucket, source, avg(value) AS avg_value, min(value) AS min_value, max(value) AS max_value, count(value)::int AS count_value FROM ${table} WHERE "time" >= $1 AND "time" < $2 GROUP BY 1, 2 ORDER BY 1, 2`;
  const sql = async (text: string) => (await client.query<Row>(text, [yearStart, end])).rows;
  const daily = probe.source.name;
  const variants: [string, () => Promise<Row[]>][] = [
    [
      probe.source.kind === 'aggregate'
        ? `layer: answered from the aggregate ${daily}`
        : `layer, aggregates allowed: answered from the table ${table}`,
      () => answeredBy(true, probe.source.kind, daily),
    ],
  ];
  if (probe.source.kind === 'aggregate') {
    variants.push(
      [`layer, useAggregates: false (table ${table})`, () => answeredBy(false, 'table', table)],
      [
        `hand-written SQL on ${daily}`,
        () =>
          sql(
            `SELECT bucket, source, sum_value / samples::float8 AS avg_value, min_value, max_value, samples::int AS count_value FROM ${daily} WHERE bucket >= $1 AND bucket < $2 ORDER BY 1, 2`,
          ),
      ],
    );
  }
  variants.push(['hand-written SQL (generated schema)', () => sql(rawSql)]);
  await runSuite(
    t,
    `1-day buckets over the year, per source (${SOURCES} sources; avg/min/max/count)`,
    variants,
    'hand-written SQL (generated schema)',
  );
}

/**
 * Runs the variants round-robin (one warm-up each, then RUNS timed), checks equal answers:
 * every variant's against the first's, or against `expected` when given. Returns the answer.
 */
async function runSuite(
  t: Target,
  benchmark: string,
  variants: [string, () => Promise<Row[]>][],
  baseline: string,
  options: { targets?: ReadonlyMap<string, Goal>; expected?: Row[] | undefined } = {},
): Promise<Row[]> {
  log(`${t.name}: ${benchmark} — median of ${RUNS} runs each`);
  const times = new Map<string, number[]>(variants.map(([v]) => [v, []]));
  let expected = options.expected;
  const against = options.expected ? 'the answer on uncompressed chunks' : variants[0]?.[0];
  let largest = 0;
  for (const [name, work] of variants) {
    const rows = await work();
    if (expected === undefined) expected = rows;
    else {
      const what = `${benchmark}: ${name} against ${against ?? ''}`;
      largest = Math.max(largest, compareAnswers(expected, rows, what));
    }
  }
  const rowCount = expected?.length ?? 0;
  log(
    `  equal answers${options.expected ? ' to the uncompressed ones' : ''} (${fmtInt(rowCount)} rows${largest > 0 ? `; floats differ by at most ${largest.toExponential(1)} relative` : ''})`,
  );
  // The order turns each run: a variant right after a slow one (the plain table's scan
  // pushes the generated schema's pages out of shared buffers) pays for it, so each takes
  // every place in turn.
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < variants.length; k++) {
      const [name, work] = variants[(i + k) % variants.length] as (typeof variants)[number];
      const { ms } = await timed(work);
      times.get(name)?.push(ms);
    }
  }
  record(
    variants.map(([name]) => ({
      database: t.name,
      benchmark,
      variant: name,
      ms: median(times.get(name) ?? []),
      rows: rowCount,
      ratio: 0,
      baseline: false,
      target: options.targets?.get(name),
    })),
    baseline,
  );
  return expected ?? [];
}

async function benchLatest(t: Target, repo: Repository, model: Model) {
  const { client } = t;
  const table = model.table;
  // 1,000 sources, one reading each per 10 minutes, ending at END.
  const step = 10;
  const d = dataSet(LATEST_SOURCES, step, END - t.latestPerSource * step * MINUTE, END);
  log(
    `${t.name}: latest per source — ${fmtInt(d.rows)} rows in ${table} (${fmtInt(LATEST_SOURCES)} sources × ${t.latestPerSource} readings)`,
  );
  await client.query(`TRUNCATE ${table}`);
  await copyIn(client, table, d, 0, d.rows);
  await client.query(`ANALYZE ${table}`);
  const distinctOn = `SELECT DISTINCT ON (source) "time", source, value FROM ${table} ORDER BY source, "time" DESC`;
  await runSuite(
    t,
    `latest row per source (${fmtInt(LATEST_SOURCES)} sources)`,
    [
      ['layer: getLatest({ perSegment: true })', () => repo.getLatest({ perSegment: true })],
      [
        'SELECT DISTINCT ON (source) … ORDER BY source, time DESC',
        async () => (await client.query<Row>(distinctOn)).rows,
      ],
    ],
    'SELECT DISTINCT ON (source) … ORDER BY source, time DESC',
  );
}

async function benchRetention(t: Target, model: Model, schema: string) {
  const { client } = t;
  const table = model.table;
  const copy = `${table}_copy`;
  const d = dataSet(SOURCES, t.stepMinutes, START, END);
  log(`${t.name}: retention — ${table} (drop_chunks) and an identical hypertable ${copy} (DELETE)`);
  await client.query(`DROP TABLE IF EXISTS ${copy}`);
  await client.query(`CREATE TABLE ${copy} (LIKE ${table} INCLUDING DEFAULTS)`);
  await client.query(`CREATE INDEX ${copy}_source_time_idx ON ${copy} (source, "time")`);
  await client.query(
    `SELECT ${schema}.create_hypertable('${copy}', ${schema}.by_range('time', interval '7 days'))`,
  );
  await client.query(`TRUNCATE ${table}`);
  await copyIn(client, table, d, 0, d.rows);
  await copyIn(client, copy, d, 0, d.rows);
  // X: 180 days before the end, moved back to a chunk boundary so both remove the same rows.
  const x = new Date(END - 180 * DAY);
  const { rows } = await client.query<{ b: Date | null; n: string }>(
    `SELECT max(range_end) AS b, count(*) AS n FROM timescaledb_information.chunks
      WHERE hypertable_name = $1 AND range_end <= $2`,
    [table, x],
  );
  const boundary = rows[0]?.b;
  if (!boundary) throw new Error('retention: no chunk ends before the cut-off');
  const chunks = Number(rows[0]?.n);
  const where = `"time" < '${boundary.toISOString()}'`;
  const [a, b] = [await count(client, table, where), await count(client, copy, where)];
  const [ta, tb] = [await count(client, table), await count(client, copy)];
  if (a !== b || ta !== tb || a === 0) throw new Error(`retention: copies differ (${a} vs ${b})`);
  log(
    `  both hold ${fmtInt(ta)} rows; ${fmtInt(a)} of them (${chunks} chunks) are older than ${boundary.toISOString()}`,
  );
  const sizes = async () => ({
    dropped: await hypertableBytes(client, schema, table),
    deleted: await hypertableBytes(client, schema, copy),
  });
  const loaded = await sizes();
  const drop = await timed(() =>
    client.query(`SELECT ${schema}.drop_chunks('${table}', older_than => $1::timestamptz)`, [
      boundary,
    ]),
  );
  const afterDrop = await hypertableBytes(client, schema, table);
  const del = await timed(() => client.query(`DELETE FROM ${copy} WHERE ${where}`));
  if (del.value.rowCount !== a)
    throw new Error(`retention: DELETE removed ${del.value.rowCount}, expected ${a}`);
  const afterDelete = await hypertableBytes(client, schema, copy);
  // The space of deleted rows is reusable only after VACUUM; plain VACUUM returns to the
  // file system only empty pages at a table's end, never index pages.
  const vacuum = await timed(() => client.query(`VACUUM ${copy}`));
  const afterVacuum = await hypertableBytes(client, schema, copy);
  const [ra, rb] = [await count(client, table), await count(client, copy)];
  if (ra !== rb || ra !== ta - a)
    throw new Error(`retention: remaining rows differ (${ra} vs ${rb})`);
  const size = (from: number, to: number) => `total ${fmtBytes(from)} → ${fmtBytes(to)}`;
  log(
    `  sizes (hypertable_detailed_size): drop_chunks ${size(loaded.dropped, afterDrop)}; DELETE ${size(loaded.deleted, afterDelete)}; VACUUM ${size(afterDelete, afterVacuum)}`,
  );
  const benchmark = `retention: remove ${fmtInt(a)} rows older than ${boundary.toISOString().slice(0, 10)}`;
  const row = (variant: string, ms: number, note: string): Result => ({
    database: t.name,
    benchmark,
    variant,
    ms,
    rows: a,
    ratio: 0,
    baseline: false,
    note,
  });
  const sum = 'DELETE + VACUUM';
  record(
    [
      row(`drop_chunks (${chunks} chunks)`, drop.ms, size(loaded.dropped, afterDrop)),
      row('DELETE of the same rows', del.ms, size(loaded.deleted, afterDelete)),
      row(`VACUUM ${copy} after the DELETE`, vacuum.ms, size(afterDelete, afterVacuum)),
      row(sum, del.ms + vacuum.ms, size(loaded.deleted, afterVacuum)),
    ],
    sum,
  );
}

async function benchTarget(t: Target): Promise<void> {
  const { dialect, schema } = await detectDialect(t.client);
  log(`${t.name}: dialect ${dialect}${schema ? ` (TimescaleDB in schema ${schema})` : ''}`);
  const reading = modelOf(t.spec, 'Reading');
  const latest = modelOf(t.spec, 'Latest');
  const repo = createRepository(t.client, reading, { dialect, schema });
  const latestRepo = createRepository(t.client, latest, { dialect, schema });
  await benchIngest(t, repo, reading, schema);
  await benchQueries(t, repo, reading, dialect, schema);
  await benchLatest(t, latestRepo, latest);
  if (t.apiLoadUrl !== undefined) {
    log(`${t.name}: the HTTP API under load, on the data above`);
    await benchApiLoad({ url: t.apiLoadUrl, spec: t.spec, databaseLabel: t.name });
  }
  if (dialect === 'timescale' && schema) await benchRetention(t, reading, schema);
  else log(`${t.name}: retention not measured (plain PostgreSQL has no chunks to drop)`);
}

// ---------------------------------------------------------------------------------------
// Main

async function applySchema(spec: Spec, client: pg.Client, url: string, dir: string) {
  const migrationsDir = join(dir, 'migrations');
  const generated = generateMigration({ spec, migrationsDir, name: 'bench' });
  if (!generated.written) throw new Error('bench.yaml produced no migration');
  await migrate({ url, client, migrationsDir, direction: 'up' });
}

/** The checkout's root: the folder with package.json above bench/ (or dist/bench/). */
function repoRoot(here: string): string {
  const root = [join(here, '..'), join(here, '..', '..')].find((d) =>
    existsSync(join(d, 'package.json')),
  );
  if (root === undefined) throw new Error(`no package.json above ${here}`);
  return root;
}

/**
 * The TimescaleDB server's admin URL: BENCH_TIMESCALE_URL, else the native server that
 * `server.sh` beside the checkout (../shared/timescaledb/server.sh, or
 * BENCH_TIMESCALE_SERVER_SH) starts and prints, else the default URL.
 */
async function timescaleAdminUrl(root: string): Promise<string | undefined> {
  const given = process.env['BENCH_TIMESCALE_URL'];
  if (given !== undefined && given !== '') return given;
  const script =
    process.env['BENCH_TIMESCALE_SERVER_SH'] ??
    resolve(root, '..', 'shared', 'timescaledb', 'server.sh');
  if (!existsSync(script)) return TIMESCALE_DEFAULT_URL;
  const [version, flavor] = TIMESCALE_SERVER;
  log(`TimescaleDB server: bash ${script} start ${version} ${flavor} (the first start builds it)`);
  try {
    const { stdout } = await execFileAsync('bash', [script, 'start', version, flavor], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const url = stdout.trim().split('\n').pop() ?? '';
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`it printed ${JSON.stringify(url)}`);
    return url;
  } catch (error) {
    log(`TimescaleDB server: skipped, ${script} could not start it (${(error as Error).message})`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = repoRoot(here);
  const specFile = join(root, 'bench', 'bench.yaml');
  const { spec } = parseSpec(readFileSync(specFile, 'utf8'), specFile);
  const serverStep = envInt('BENCH_SERVER_STEP', 1);
  const timescaleStep = envInt('BENCH_TIMESCALE_STEP', 1);
  const embeddedStep = envInt('BENCH_EMBEDDED_STEP', 20);
  const full = dataSet(SOURCES, 1, START, END).rows;
  const serverIngest = envInt('BENCH_SERVER_INGEST', 500_000);
  const timescaleIngest = envInt('BENCH_TIMESCALE_INGEST', 500_000);
  const embeddedIngest = envInt('BENCH_EMBEDDED_INGEST', 100_000);
  const serverLatest = 1_000;
  const embeddedLatest = 50;
  log(
    `data: ${SOURCES} sources, one year ${new Date(START).toISOString().slice(0, 10)} … ${new Date(END).toISOString().slice(0, 10)}, seed ${SEED}`,
  );
  log(
    `scale — server: every ${serverStep} min = ${fmtInt(full / serverStep)} rows (factor 1/${serverStep}); ingest ${fmtInt(serverIngest)} rows per method; latest ${fmtInt(LATEST_SOURCES)} × ${serverLatest}`,
  );
  log(
    `scale — TimescaleDB server: every ${timescaleStep} min = ${fmtInt(full / timescaleStep)} rows (factor 1/${timescaleStep}); ingest ${fmtInt(timescaleIngest)} rows per method; latest ${fmtInt(LATEST_SOURCES)} × ${serverLatest}`,
  );
  log(
    `scale — embedded: every ${embeddedStep} min = ${fmtInt(full / embeddedStep)} rows (factor 1/${embeddedStep}); ingest ${fmtInt(embeddedIngest)} rows per method; latest ${fmtInt(LATEST_SOURCES)} × ${embeddedLatest} (factor 1/${serverLatest / embeddedLatest})`,
  );

  const temp = mkdtempSync(join(os.tmpdir(), 'prism-bench-'));
  const versions: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let failed = false;
  const onSignal = () => {
    failed = true;
    void runCleanups().finally(() => process.exit(130));
  };
  let cleaned = false;
  async function runCleanups() {
    if (cleaned) return;
    cleaned = true;
    for (const c of cleanups.reverse()) await c().catch((e: Error) => log(`cleanup: ${e.message}`));
    rmSync(temp, { recursive: true, force: true });
  }
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    /**
     * A database of the run's own on the server at `adminUrl`, dropped at the end; undefined
     * (logged) when `optional` and the server cannot be reached or has no TimescaleDB.
     */
    const serverDatabase = async (
      label: string,
      adminUrl: string,
      optional: boolean,
    ): Promise<{ client: pg.Client; url: string; version: string } | undefined> => {
      const admin = new pg.Client({ connectionString: adminUrl });
      try {
        await admin.connect();
      } catch (error) {
        if (!optional) throw error;
        log(`${label}: skipped, ${adminUrl} is unreachable (${(error as Error).message})`);
        return undefined;
      }
      const v = await admin.query<{ v: string; ts: string | null }>(
        `SELECT current_setting('server_version') AS v, (SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb') AS ts`,
      );
      if (optional && !v.rows[0]?.ts) {
        log(`${label}: skipped, ${adminUrl} has no TimescaleDB`);
        await admin.end();
        return undefined;
      }
      cleanups.push(async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
        await admin.end();
      });
      await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${BENCH_DB}`);
      const u = new URL(adminUrl);
      u.pathname = `/${BENCH_DB}`;
      const url = u.toString();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      cleanups.push(() => client.end());
      return { client, url, version: v.rows[0]?.v ?? 'unknown' };
    };
    for (const name of SKIP) if (name) log(`${name}: skipped (BENCH_SKIP)`);
    if (!SKIP.has('server')) {
      const db = await serverDatabase('PostgreSQL server', ADMIN_URL, false);
      if (db === undefined) throw new Error('unreachable');
      versions.push(`PostgreSQL server ${db.version}`);
      await applySchema(spec, db.client, db.url, join(temp, 'server'));
      await benchTarget({
        name: 'PostgreSQL server',
        client: db.client,
        spec,
        stepMinutes: serverStep,
        ingestRows: serverIngest,
        latestPerSource: serverLatest,
      });
      await db.client.end();
      cleanups.pop();
    }
    const timescaleUrl = SKIP.has('timescale') ? undefined : await timescaleAdminUrl(root);
    if (timescaleUrl !== undefined) {
      const db = await serverDatabase('TimescaleDB server', timescaleUrl, true);
      if (db !== undefined) {
        // The database is the bench's own: it creates the extension, as an owner would.
        await db.client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
        await applySchema(spec, db.client, db.url, join(temp, 'timescale'));
        const ts = await db.client.query<{ v: string | null }>(
          `SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'`,
        );
        const tsVersion = ts.rows[0]?.v ?? 'none';
        versions.push(`TimescaleDB server: PostgreSQL ${db.version} with TimescaleDB ${tsVersion}`);
        await benchTarget({
          name: `TimescaleDB ${tsVersion} server`,
          client: db.client,
          spec,
          stepMinutes: timescaleStep,
          ingestRows: timescaleIngest,
          latestPerSource: serverLatest,
          apiLoadUrl: SKIP.has('load') ? undefined : db.url,
        });
        await db.client.end();
        cleanups.pop();
        if (!SKIP.has('tool')) {
          await benchToolScale({
            adminUrl: timescaleUrl,
            temp: join(temp, 'tool'),
            databaseLabel: `TimescaleDB ${tsVersion} server`,
          });
        }
      }
    }
    if (!SKIP.has('embedded')) {
      log('embedded: opening a new TimescaleDB (PGlite) in a temp dir');
      const db = await openDatabase(
        { kind: 'embedded', dataDir: join(temp, 'db') },
        { command: 'bench' },
      );
      cleanups.push(() => db.close());
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      cleanups.push(() => client.end());
      const v = await client.query<{ pg: string; ts: string | null }>(
        `SELECT current_setting('server_version') AS pg, (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS ts`,
      );
      versions.push(`embedded PGlite ${v.rows[0]?.pg} with TimescaleDB ${v.rows[0]?.ts ?? 'none'}`);
      await applySchema(spec, client, db.url, join(temp, 'embedded'));
      await benchTarget({
        name: 'embedded TimescaleDB',
        client,
        spec,
        stepMinutes: embeddedStep,
        ingestRows: embeddedIngest,
        latestPerSource: embeddedLatest,
        embedded: true,
      });
    }
  } catch (error) {
    failed = true;
    log(`FAILED: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await runCleanups();
  }

  // The table
  const cpus = os.cpus();
  const machine = `${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}; ${versions.join('; ')}`;
  const lines = [
    '',
    `Scale: one year of readings every minute from ${SOURCES} sources is ${fmtInt(full)} rows. PostgreSQL server: ${scaleOf(serverStep)}, ingest ${fmtInt(serverIngest)} rows per method, latest ${fmtInt(LATEST_SOURCES)} sources × ${fmtInt(serverLatest)} rows. TimescaleDB server: ${scaleOf(timescaleStep)}, ingest ${fmtInt(timescaleIngest)} rows per method, latest ${fmtInt(LATEST_SOURCES)} sources × ${fmtInt(serverLatest)} rows. Embedded: ${scaleOf(embeddedStep)}, ingest ${fmtInt(embeddedIngest)} rows per method, latest ${fmtInt(LATEST_SOURCES)} sources × ${embeddedLatest} rows (1/${serverLatest / embeddedLatest} of the server's). Query times are medians of ${RUNS} runs.`,
    '',
    ...resultTable(results),
    '',
    "Time vs baseline: the variant's time over the baseline's (below 1× is faster). Baselines: ingest — COPY of the same rows; range and buckets — hand-written SQL on the generated schema (so the layer's row is its overhead, the plain table's row what the schema buys; for the 1-hour buckets the row held to the target is the layer with useAggregates: false, reading the same table as the SQL, and the row after it the default call, answered from the hourly aggregate where that is exact); API load — one database session (the time is the median latency); compression — the COPY load of the year; latest — DISTINCT ON; retention — DELETE followed by the VACUUM it needs. Target: what the row is held to, and whether it is met or by how much it falls short — repository.insertMany at least 0.90× COPY's rows/s, the HTTP API's NDJSON POST at least 0.60× (on servers: the embedded database takes rows through unnest); the layer's range and bucket queries at most 1.10× the time of hand-written SQL; compression at least 10×; generate for 10× the models at most 10× the time; up at most 1.30× bare node-pg-migrate's time.",
    '',
    `Compression (TimescaleDB with the Timescale License: the TimescaleDB server and the embedded one; not on plain PostgreSQL or an Apache-only build): after the query suites ran on uncompressed chunks, the whole year is compressed through Reading's own compression policy job (CALL run_job: \`after: 1 month\` counts back from now, so every chunk of 2025 qualifies; segment_by source, order_by time DESC), timed against the load. Its ratio is the figure timescale-info shows (hypertable_compression_stats: heap, indexes and TOAST of the compressed chunks before compression over the same after it; every chunk is compressed, so it covers the whole table). Beside it, the hypertable's total (hypertable_detailed_size) before and after, which after compression also counts the emptied chunks' remaining index pages. The "(compressed)" suites then ask the same questions of the compressed chunks, and every variant had to return the uncompressed answer; the plain table stays uncompressed.`,
    '',
    `Retention (TimescaleDB only: plain PostgreSQL has no chunks, and the tool adds no retention there): the year is loaded into Reading and into an identical hypertable, then drop_chunks removes the chunks older than a chunk boundary from the one and DELETE the same rows from the other. drop_chunks frees the space at once; after DELETE the table keeps its size until VACUUM makes the space reusable, and plain VACUUM gives back to the file system only empty pages at a table's end (here whole chunks are emptied, so their heaps shrink) and never index pages. The sizes beside each step are hypertable_detailed_size totals (heap, indexes, TOAST), before → after.`,
    '',
    `Aggregates: bench.yaml gives Reading an hourly continuous aggregate (sum, min, max and count per source) and a daily one built on it. The 1-day buckets benchmark asks the layer for the whole year per source; its ratio is that answer's time over hand-written SQL aggregating the raw table: 0.01× means a hundred times faster. On TimescaleDB the layer's row answered from the daily aggregate (checked on every call through the source it names), the useAggregates: false row is the same call answered from the table, and every variant returned the table's answer (floats within a relative ${FLOAT_TOLERANCE}: averages from materialized partial sums add the rows in another order). On the PostgreSQL server the aggregates are stand-in materialized views, which the layer never reads (no watermark proves them current): it answers from the table. The refresh rows are the price paid once after loading, compared with the load itself; ingest into Reading includes recording the aggregates' invalidations where they are continuous aggregates.`,
    '',
    `Machine: ${machine}; total ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  process.exitCode = failed ? 1 : 0;
}

await main();
