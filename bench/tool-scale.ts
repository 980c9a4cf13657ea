/**
 * The scale of the tool itself: what `generate` costs as the spec grows, and what `up` of
 * the generated migration costs against bare node-pg-migrate running the same SQL.
 *
 *   benchToolScale({ adminUrl, temp, databaseLabel }) records, through report.ts `record()`:
 *   - generate from an empty state: 200 models (baseline) and 2,000 models, the whole path a
 *     user pays (parse and validate the YAML text, compile, diff, render, write); and the
 *     incremental generate after one field is added to one model of the 2,000;
 *   - up of the 200-model migration by the app's migrate against node-pg-migrate's own
 *     `runner` on a migration that runs the very statements the app's migration ran (recorded
 *     from its session), each in a fresh database; the 2,000-model migration too when the
 *     200-model one suggests it takes under three minutes (one run each: the server's work
 *     grows faster than the models, about 25× for 10×). Both databases must end with the
 *     same tables, hypertables, indexes, policies and aggregates, or it throws.
 *
 * `adminUrl`: a TimescaleDB server's admin URL (databases of its own are created on it and
 * dropped); `temp`: a directory for the migrations; `databaseLabel`: the Database column.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { stringify } from 'yaml';
import { generateMigration } from '../lib/generate/generate.js';
import { migrate } from '../lib/runner/migrate.js';
import { parseSpec } from '../lib/spec/load.js';
import { fmtInt, fmtMs, log, median, record, timed, type Result } from './report.js';

export interface ToolScaleOptions {
  readonly adminUrl: string;
  readonly temp: string;
  readonly databaseLabel: string;
}

/** Timed runs per generate variant, median reported. */
const GENERATE_RUNS = 5;
/** Timed runs per up variant (a fresh database each), median reported. */
const UP_RUNS = 3;
/** The larger `up` runs (once per variant) only when it is expected to take less than this. */
const UP_LARGE_LIMIT_MS = 180_000;
/** How much longer `up` of 2,000 models took than of 200 (measured, both variants alike). */
const UP_LARGE_GROWTH = 25;

// ---------------------------------------------------------------------------------------
// The spec: a realistic mix, model i a pure function of i

type Plain = Record<string, unknown>;

/**
 * One model in ten a plain table, one in twenty a hypertable with an hourly aggregate,
 * the rest hypertables with compression, retention and an index.
 */
function modelAt(i: number, extraField: boolean): Plain {
  const name = `Metric${String(i).padStart(4, '0')}`;
  if (i % 10 === 0) {
    return {
      name: `Registry${String(i).padStart(4, '0')}`,
      fields: [
        { name: 'id', type: 'int', primary_key: true },
        { name: 'code', type: 'string', max_length: 64, unique: true },
        { name: 'kind', type: 'enum', values: ['a', 'b', 'c'], default: 'a' },
        { name: 'created_at', type: 'datetime', default: 'now()' },
        ...(extraField ? [{ name: 'note', type: 'text', optional: true }] : []),
      ],
    };
  }
  const fields = [
    { name: 'time', type: 'datetime' },
    { name: 'device', type: 'string', max_length: 32 },
    { name: 'value', type: 'float' },
    { name: 'quality', type: 'int', optional: true },
    ...(extraField ? [{ name: 'note', type: 'text', optional: true }] : []),
  ];
  const timeseries: Plain = {
    time_column: 'time',
    chunk_interval: '7 days',
    compression: { after: '1 month', segment_by: ['device'], order_by: ['time DESC'] },
    retention: { drop_after: '1 year' },
    indexes: [{ columns: ['device', 'time'] }],
  };
  if (i % 20 === 5) {
    timeseries['aggregates'] = [
      {
        name: `metric${String(i).padStart(4, '0')}_hourly`,
        bucket: '1 hour',
        group_by: ['device'],
        columns: { sum_value: 'sum(value)', samples: 'count(*)' },
        refresh: { start_offset: '30 days', end_offset: '1 hour', schedule_interval: '1 hour' },
      },
    ];
  }
  return { name, fields, timeseries };
}

/** The YAML text of a spec of `models` models; `changed`: the model given one more field. */
function specText(models: number, changed?: number): string {
  const list = Array.from({ length: models }, (_, i) => modelAt(i, i === changed));
  return stringify({ timescale: 'auto', models: list });
}

// ---------------------------------------------------------------------------------------
// generate

/** What a user pays for `generate`: parse and validate the text, then generate and write. */
function generateFrom(text: string, migrationsDir: string): void {
  const { spec } = parseSpec(text, 'prism.yaml');
  const generated = generateMigration({ spec, migrationsDir, name: 'bench' });
  if (!generated.written) throw new Error('the spec produced no migration');
}

async function benchGenerate(o: ToolScaleOptions, sizes: readonly number[]) {
  const benchmark = `generate from an empty state (median of ${GENERATE_RUNS})`;
  log(`${o.databaseLabel}: ${benchmark}: ${sizes.map(fmtInt).join(' and ')} models`);
  const group: Result[] = [];
  for (const models of sizes) {
    const text = specText(models);
    const times: number[] = [];
    for (let run = 0; run <= GENERATE_RUNS; run++) {
      const dir = join(o.temp, `generate-${models}-${run}`);
      const { ms } = await timed(async () => generateFrom(text, dir));
      if (run > 0) times.push(ms); // the first is a warm-up
      rmSync(dir, { recursive: true, force: true });
    }
    const ms = median(times);
    group.push({
      database: o.databaseLabel,
      benchmark,
      variant: `${fmtInt(models)} models`,
      ms,
      rows: models,
      ratio: 0,
      baseline: false,
      note: `${fmtMs(ms / models)} per model; ${fmtInt(text.length)} characters of YAML`,
      // n× the models for at most n× the time: no worse than linear.
      target:
        models === sizes[0]
          ? undefined
          : {
              kind: 'time',
              bound: models / (sizes[0] as number),
              of: `${fmtInt(sizes[0] as number)} models`,
            },
    });
  }
  // One field added to one model of the largest spec, generated onto its applied state.
  const largest = sizes[sizes.length - 1] as number;
  const base = join(o.temp, `generate-${largest}-base`);
  generateFrom(specText(largest), base);
  const changed = specText(largest, Math.floor(largest / 2) + 1);
  const times: number[] = [];
  for (let run = 0; run <= GENERATE_RUNS; run++) {
    const dir = join(o.temp, `generate-${largest}-incremental-${run}`);
    cpSync(base, dir, { recursive: true });
    const { ms } = await timed(async () => generateFrom(changed, dir));
    if (run > 0) times.push(ms);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(base, { recursive: true, force: true });
  group.push({
    database: o.databaseLabel,
    benchmark,
    variant: `${fmtInt(largest)} models, one field added to one (incremental)`,
    ms: median(times),
    rows: largest,
    ratio: 0,
    baseline: false,
  });
  record(group, `${fmtInt(sizes[0] as number)} models`);
}

// ---------------------------------------------------------------------------------------
// up

/** Fresh databases of this run on the server, each dropped by `dropAll`. */
function databases(adminUrl: string) {
  const made: string[] = [];
  const admin = new pg.Client({ connectionString: adminUrl });
  let connected: Promise<void> | undefined;
  return {
    async create(): Promise<string> {
      connected ??= admin.connect().then(() => undefined);
      await connected;
      const name = `prism_bench_tool_${process.pid}_${made.length}`;
      made.push(name);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(adminUrl);
      u.pathname = `/${name}`;
      const url = u.toString();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      } finally {
        await client.end();
      }
      return url;
    },
    async drop(url: string): Promise<void> {
      const name = new URL(url).pathname.slice(1);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    async dropAll(): Promise<void> {
      if (connected === undefined) return;
      for (const name of made) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * Applies the migrations with the app's migrate on `url`, recording every statement its
 * session was sent; returns those of the migration itself (between node-pg-migrate's BEGIN
 * and its insert into the history table), the statements bare node-pg-migrate must run.
 */
async function recordedMigrationSql(url: string, migrationsDir: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const sent: string[] = [];
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (
    ...args: unknown[]
  ) => {
    const first = args[0];
    const text =
      typeof first === 'string' ? first : (first as { text?: unknown } | undefined)?.text;
    if (typeof text === 'string') sent.push(text);
    return query(...args);
  };
  try {
    await migrate({ url, client, migrationsDir, direction: 'up' });
  } finally {
    await client.end();
  }
  const mark = sent.findIndex((s) =>
    /^INSERT INTO "[^"]+"\."pgmigrations" \(name, run_on\)/.test(s),
  );
  const begin = sent.lastIndexOf('BEGIN;', mark);
  if (mark < 0 || begin < 0) throw new Error('the migration statements were not found');
  return sent.slice(begin + 1, mark);
}

/** Tables, hypertables, indexes, policy jobs and aggregates of `public`: both runs must agree. */
async function catalogCounts(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(`
      SELECT
        (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations') AS tables,
        (SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = 'public') AS hypertables,
        (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'pgmigrations') AS indexes,
        (SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_schema IS NOT NULL AND proc_schema <> 'public') AS policies,
        (SELECT count(*) FROM timescaledb_information.continuous_aggregates WHERE view_schema = 'public') AS aggregates`);
    const r = rows[0] ?? {};
    return Object.entries(r)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
  } finally {
    await client.end();
  }
}

/** A node-pg-migrate migration that runs `statements` one by one, as the app's did. */
function bareMigration(dir: string, statements: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, '1700000000000_bench.cjs'),
    `const statements = ${JSON.stringify(statements)};\n` +
      'exports.up = (pgm) => {\n  for (const s of statements) pgm.sql(s);\n};\n',
  );
}

async function bareUp(url: string, dir: string): Promise<void> {
  await runner({
    databaseUrl: url,
    dir,
    migrationsTable: 'pgmigrations',
    direction: 'up',
    count: Infinity,
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

async function benchUp(
  o: ToolScaleOptions,
  dbs: ReturnType<typeof databases>,
  models: number,
  runs: number,
): Promise<number> {
  const migrationsDir = join(o.temp, `up-${models}`);
  rmSync(migrationsDir, { recursive: true, force: true });
  generateFrom(specText(models), migrationsDir);
  // An untimed first run records the statements; its database is the reference catalog.
  const reference = await dbs.create();
  const statements = await recordedMigrationSql(reference, migrationsDir);
  const expected = await catalogCounts(reference);
  await dbs.drop(reference);
  const bareDir = join(o.temp, `up-${models}-bare`);
  bareMigration(bareDir, statements);
  const runsText = runs > 1 ? `median of ${runs}` : 'one run';
  log(
    `${o.databaseLabel}: up of ${fmtInt(models)} models (${fmtInt(statements.length)} statements: ${expected}), ${runsText}, a fresh database each, order alternated`,
  );
  const variants: [string, (url: string) => Promise<unknown>][] = [
    ['bare node-pg-migrate runner, the same statements', (url) => bareUp(url, bareDir)],
    [
      'prism migrate (the generated migration)',
      (url) => migrate({ url, migrationsDir, direction: 'up' }),
    ],
  ];
  const times = new Map<string, number[]>(variants.map(([v]) => [v, []]));
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < variants.length; k++) {
      const [name, work] = variants[(run + k) % variants.length] as (typeof variants)[number];
      const url = await dbs.create();
      const { ms } = await timed(() => work(url));
      const got = await catalogCounts(url);
      if (got !== expected) throw new Error(`up: ${name} ended with ${got}, expected ${expected}`);
      times.get(name)?.push(ms);
      await dbs.drop(url);
    }
  }
  rmSync(migrationsDir, { recursive: true, force: true });
  rmSync(bareDir, { recursive: true, force: true });
  const benchmark = `up of ${fmtInt(models)} models from an empty database (${runsText})`;
  const group = variants.map(([name]): Result => ({
    database: o.databaseLabel,
    benchmark,
    variant: name,
    ms: median(times.get(name) ?? []),
    rows: models,
    ratio: 0,
    baseline: false,
    note: `runs ${(times.get(name) ?? []).map(fmtMs).join(', ')}; ${fmtInt(statements.length)} statements; both end with ${expected}`,
    target:
      name === variants[0]?.[0] ? undefined : { kind: 'time', bound: 1.3, of: 'node-pg-migrate' },
  }));
  record(group, variants[0]?.[0] ?? '');
  return Math.max(...group.map((r) => r.ms));
}

// ---------------------------------------------------------------------------------------

export async function benchToolScale(options: ToolScaleOptions): Promise<void> {
  mkdirSync(options.temp, { recursive: true });
  await benchGenerate(options, [200, 2_000]);
  const dbs = databases(options.adminUrl);
  try {
    const small = await benchUp(options, dbs, 200, UP_RUNS);
    // The server's work grows faster than the models (about 25× the time for 10× the
    // models on TimescaleDB 2.28): one run each at 2,000, when that stays reasonable.
    const expected = small * UP_LARGE_GROWTH;
    if (expected < UP_LARGE_LIMIT_MS) await benchUp(options, dbs, 2_000, 1);
    else
      log(
        `${options.databaseLabel}: up of 2,000 models skipped: about ${fmtMs(expected)} per run expected`,
      );
  } finally {
    await dbs.dropAll();
  }
}
