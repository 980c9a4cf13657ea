/**
 * `npm run bench`: the query layer, the HTTP API and the generated schema measured side by
 * side with raw COPY, hand-written SQL and a plain table, on the PostgreSQL server and on
 * the embedded TimescaleDB, in one run. Prints progress, then a Markdown table and the machine.
 *
 * Not part of the test suite; nothing here asserts timings. Scale with environment variables:
 *   BENCH_PG_URL          server admin URL (default postgres://root@127.0.0.1:5432/test)
 *   BENCH_SERVER_STEP     minutes between readings on the server (default 1: 5,256,000 rows)
 *   BENCH_EMBEDDED_STEP   minutes between readings on the embedded database (default 20)
 *   BENCH_SERVER_INGEST   rows per ingest method on the server (default 500,000)
 *   BENCH_EMBEDDED_INGEST rows per ingest method on the embedded database (default 100,000)
 *   BENCH_RUNS            timed runs per query variant, median reported (default 15)
 *   BENCH_INGEST_RUNS     timed runs per ingest method, median reported (default 3)
 *   BENCH_SKIP            comma list of `server`, `embedded` to leave out
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { buildApi, routeOf } from '../lib/api/server.js';
import { openDatabase } from '../lib/db/open.js';
import { generateMigration } from '../lib/generate/generate.js';
import { createRepository, detectDialect, type Repository, type Row } from '../lib/query/index.js';
import { migrate } from '../lib/runner/migrate.js';
import { parseSpec } from '../lib/spec/load.js';
import type { Model, Spec } from '../lib/spec/types.js';

// ---------------------------------------------------------------------------------------
// Configuration

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1`);
  return n;
}

const ADMIN_URL = process.env['BENCH_PG_URL'] ?? 'postgres://root@127.0.0.1:5432/test';
/** A database of this run's own, so no other database is touched. */
const BENCH_DB = `prism_bench_${process.pid}`;
const RUNS = envInt('BENCH_RUNS', 15);
const INGEST_RUNS = envInt('BENCH_INGEST_RUNS', 3);
const SKIP = new Set((process.env['BENCH_SKIP'] ?? '').split(',').map((s) => s.trim()));

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The data covers [START, END): 365 days. */
const END = Date.UTC(2026, 0, 1);
const START = END - 365 * DAY;
const SOURCES = 10;
const LATEST_SOURCES = 1_000;
const SEED = 0x5eed;

// ---------------------------------------------------------------------------------------
// Deterministic data: row i is a pure function of i (and the seed), so every method gets
// exactly the same rows without holding them all in memory.

function hash(i: number, salt: number): number {
  let x = Math.imul(i ^ SEED, 0x9e3779b1) ^ salt;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

interface DataSet {
  readonly sources: number;
  readonly stepMinutes: number;
  readonly start: number;
  readonly rows: number;
  readonly sourceName: (s: number) => string;
}

function dataSet(sources: number, stepMinutes: number, start: number, end: number): DataSet {
  const width = String(sources - 1).length;
  return {
    sources,
    stepMinutes,
    start,
    rows: Math.floor((end - start) / (stepMinutes * MINUTE)) * sources,
    sourceName: (s) => `s${String(s).padStart(width, '0')}`,
  };
}

function rowAt(d: DataSet, i: number): { time: number; source: string; value: number } {
  const s = i % d.sources;
  const step = Math.floor(i / d.sources);
  const time = d.start + step * d.stepMinutes * MINUTE;
  const daily = Math.sin((2 * Math.PI * (time % DAY)) / DAY);
  const value = Math.round((20 + s + 8 * daily + 4 * hash(i, 0x1234)) * 1000) / 1000;
  return { time, source: d.sourceName(s), value };
}

function copyText(d: DataSet, from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    const r = rowAt(d, i);
    lines.push(`${new Date(r.time).toISOString()}\t${r.source}\t${r.value}\n`);
  }
  return lines.join('');
}

// ---------------------------------------------------------------------------------------
// Helpers

const t0 = Date.now();
function log(line: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${s}s] ${line}\n`);
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** How a data set of one reading every `step` minutes compares with the full year per minute. */
function scaleOf(step: number): string {
  const rows = fmtInt(dataSet(SOURCES, step, START, END).rows);
  return step === 1
    ? `${rows} rows (full scale)`
    : `${rows} rows (one reading every ${step} minutes: 1/${step} scale)`;
}

function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/** A stable text digest of result rows (times as ISO, floats rounded) for equality checks. */
function digest(rows: readonly Row[]): string {
  return rows
    .map((r) =>
      Object.values(r)
        .map((v) =>
          v instanceof Date
            ? v.toISOString()
            : typeof v === 'number'
              ? v.toPrecision(12)
              : typeof v === 'string' && /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(v)
                ? Number(v).toPrecision(12)
                : String(v),
        )
        .join('|'),
    )
    .join('\n');
}

interface Result {
  readonly database: string;
  readonly benchmark: string;
  readonly variant: string;
  readonly ms: number;
  readonly rows?: number | undefined;
  /** Throughput (rows/s) for ingest. */
  readonly rate?: number | undefined;
  /** Time relative to the group's baseline: above 1 is slower than the baseline. */
  ratio: number;
  baseline: boolean;
  readonly note?: string | undefined;
}

const results: Result[] = [];

function record(group: Result[], baselineVariant: string): void {
  const base = group.find((r) => r.variant === baselineVariant);
  if (!base) throw new Error(`no baseline ${baselineVariant}`);
  for (const r of group) {
    r.ratio = r.ms / base.ms;
    r.baseline = r === base;
    results.push(r);
    const extra = r.rate !== undefined ? `, ${fmtInt(r.rate)} rows/s` : '';
    log(`  ${r.variant.padEnd(40)} ${fmtMs(r.ms).padStart(10)}${extra}  (${fmtRatio(r.ratio)})`);
  }
}

async function count(client: pg.ClientBase, table: string, where = 'true'): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${table} WHERE ${where}`,
  );
  return Number(rows[0]?.n);
}

async function copyIn(client: pg.ClientBase, table: string, d: DataSet, from: number, to: number) {
  const CHUNK = 20_000;
  let at = from;
  const source = new Readable({
    read() {
      if (at >= to) {
        this.push(null);
        return;
      }
      const next = Math.min(to, at + CHUNK);
      this.push(copyText(d, at, next));
      at = next;
    },
  });
  const sink = client.query(copyFrom(`COPY ${table} ("time", "source", "value") FROM STDIN`));
  await pipeline(source, sink);
}

/** COPY of rows already rendered as text (the timed ingest: no generation inside). */
async function copyBuffers(client: pg.ClientBase, table: string, chunks: readonly string[]) {
  const sink = client.query(copyFrom(`COPY ${table} ("time", "source", "value") FROM STDIN`));
  await pipeline(Readable.from(chunks), sink);
}

// ---------------------------------------------------------------------------------------
// One database

interface Target {
  readonly name: string;
  readonly client: pg.Client;
  readonly spec: Spec;
  readonly stepMinutes: number;
  readonly ingestRows: number;
  readonly latestPerSource: number;
}

function modelOf(spec: Spec, name: string): Model {
  const m = spec.models.find((x) => x.name === name);
  if (!m) throw new Error(`bench.yaml has no model ${name}`);
  return m;
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
  const methods: [string, () => Promise<unknown>][] = [
    ['COPY FROM STDIN (pg-copy-streams)', () => copyBuffers(client, model.table, chunks)],
    ['repository.insertMany (unnest, 5,000/batch)', () => repo.insertMany(objects)],
    [
      `HTTP API POST ${routeOf(model)} (NDJSON, 50,000/request)`,
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
      };
    }),
    'COPY FROM STDIN (pg-copy-streams)',
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
  log(
    `  loaded in ${fmtMs(load.ms)}; copying them into ${table}_plain (no indexes${dialect === 'timescale' ? ', not a hypertable' : ''})`,
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
        [
          'layer: getTimeBucketAggregates (generated schema)',
          () =>
            repo.getTimeBucketAggregates('1 hour', monthStart, end, {
              filters: { source },
              aggregations: ['avg', 'min', 'max', 'count'],
              fields: ['value'],
            }),
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
  for (const suite of suites)
    await runSuite(t, suite.benchmark, suite.variants, 'hand-written SQL (generated schema)');
}

/** Runs the variants round-robin (one warm-up each, then RUNS timed), checks equal answers. */
async function runSuite(
  t: Target,
  benchmark: string,
  variants: [string, () => Promise<Row[]>][],
  baseline: string,
) {
  log(`${t.name}: ${benchmark} — median of ${RUNS} runs each`);
  const times = new Map<string, number[]>(variants.map(([v]) => [v, []]));
  let expected: string | undefined;
  let rowCount = 0;
  for (const [name, work] of variants) {
    const rows = await work();
    const dg = digest(rows);
    if (expected === undefined) {
      expected = dg;
      rowCount = rows.length;
    } else if (dg !== expected) {
      throw new Error(`${benchmark}: ${name} answers differently from ${variants[0]?.[0]}`);
    }
  }
  for (let i = 0; i < RUNS; i++) {
    for (const [name, work] of variants) {
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
    })),
    baseline,
  );
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
  const drop = await timed(() =>
    client.query(`SELECT ${schema}.drop_chunks('${table}', older_than => $1::timestamptz)`, [
      boundary,
    ]),
  );
  const del = await timed(() => client.query(`DELETE FROM ${copy} WHERE ${where}`));
  if (del.value.rowCount !== a)
    throw new Error(`retention: DELETE removed ${del.value.rowCount}, expected ${a}`);
  const [ra, rb] = [await count(client, table), await count(client, copy)];
  if (ra !== rb || ra !== ta - a)
    throw new Error(`retention: remaining rows differ (${ra} vs ${rb})`);
  record(
    [
      {
        database: t.name,
        benchmark: `retention: remove ${fmtInt(a)} rows older than ${boundary.toISOString().slice(0, 10)}`,
        variant: `drop_chunks (${chunks} chunks)`,
        ms: drop.ms,
        rows: a,
        ratio: 0,
        baseline: false,
      },
      {
        database: t.name,
        benchmark: `retention: remove ${fmtInt(a)} rows older than ${boundary.toISOString().slice(0, 10)}`,
        variant: 'DELETE of the same rows',
        ms: del.ms,
        rows: a,
        ratio: 0,
        baseline: false,
      },
    ],
    'DELETE of the same rows',
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
  if (dialect === 'timescale' && schema) await benchRetention(t, reading, schema);
}

// ---------------------------------------------------------------------------------------
// Main

async function applySchema(spec: Spec, client: pg.Client, url: string, dir: string) {
  const migrationsDir = join(dir, 'migrations');
  const generated = generateMigration({ spec, migrationsDir, name: 'bench' });
  if (!generated.written) throw new Error('bench.yaml produced no migration');
  await migrate({ url, client, migrationsDir, direction: 'up' });
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const specFile = [join(here, 'bench.yaml'), join(here, '..', '..', 'bench', 'bench.yaml')].find(
    (f) => {
      try {
        readFileSync(f);
        return true;
      } catch {
        return false;
      }
    },
  ) as string;
  const { spec } = parseSpec(readFileSync(specFile, 'utf8'), specFile);
  const serverStep = envInt('BENCH_SERVER_STEP', 1);
  const embeddedStep = envInt('BENCH_EMBEDDED_STEP', 20);
  const full = dataSet(SOURCES, 1, START, END).rows;
  const serverIngest = envInt('BENCH_SERVER_INGEST', 500_000);
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
    if (!SKIP.has('server')) {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      cleanups.push(async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
        await admin.end();
      });
      const v = await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
      versions.push(`PostgreSQL server ${v.rows[0]?.v}`);
      await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${BENCH_DB}`);
      const u = new URL(ADMIN_URL);
      u.pathname = `/${BENCH_DB}`;
      const url = u.toString();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      cleanups.push(() => client.end());
      await applySchema(spec, client, url, join(temp, 'server'));
      await benchTarget({
        name: 'PostgreSQL server',
        client,
        spec,
        stepMinutes: serverStep,
        ingestRows: serverIngest,
        latestPerSource: serverLatest,
      });
      await client.end();
      cleanups.pop();
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
    `Scale: one year of readings every minute from ${SOURCES} sources is ${fmtInt(full)} rows. Server: ${scaleOf(serverStep)}, ingest ${fmtInt(serverIngest)} rows per method, latest ${fmtInt(LATEST_SOURCES)} sources × ${fmtInt(serverLatest)} rows. Embedded: ${scaleOf(embeddedStep)}, ingest ${fmtInt(embeddedIngest)} rows per method, latest ${fmtInt(LATEST_SOURCES)} sources × ${embeddedLatest} rows (1/${serverLatest / embeddedLatest} of the server's). Query times are medians of ${RUNS} runs.`,
    '',
    '| Database | Benchmark | Variant | Time | Rows/s | Time vs baseline |',
    '| --- | --- | --- | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.database} | ${r.benchmark} | ${r.variant} | ${fmtMs(r.ms)} | ${r.rate !== undefined ? fmtInt(r.rate) : ''} | ${r.baseline ? 'baseline' : fmtRatio(r.ratio)} |`,
    ),
    '',
    "Time vs baseline: the variant's time over the baseline's (below 1× is faster). Baselines: ingest — COPY of the same rows; range and buckets — hand-written SQL on the generated schema (so the layer's row is its overhead, the plain table's row what the schema buys); latest — DISTINCT ON; retention — DELETE of the same rows. Retention is measured on TimescaleDB only: plain PostgreSQL has no chunks, and the tool adds no retention there.",
    '',
    `Machine: ${machine}; total ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  process.exitCode = failed ? 1 : 0;
}

await main();
