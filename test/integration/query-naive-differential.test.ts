/**
 * Differential test of buckets on a `timestamp` (without time zone) time column:
 * TimescaleDB's `time_bucket(w, timestamp)` and the plain-PostgreSQL fallback
 * (`date_bin` from 2000-01-03, `date_trunc`, whole months from 2000-01) must give the same
 * buckets — in the naive clock, whatever the session's TimeZone — for the same data and
 * the same seeded random queries (widths from a minute to years, gapfill and locf
 * included). Compared on the embedded TimescaleDB (both dialects), the PostgreSQL server
 * (fallback only) and a native TimescaleDB 2.28.3 server (both dialects). A direct check
 * also compares the two bucket expressions on random timestamps of the server itself.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { generateMigration } from '../../lib/generate/generate.js';
import {
  createRepository,
  detectDialect,
  type Repository,
  type Row,
} from '../../lib/query/index.js';
import { buildAggregateQuery } from '../../lib/query/sql.js';
import { migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Model } from '../../lib/spec/types.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SPEC = `
models:
  - name: Meter
    fields:
      - { name: at, type: timestamp }
      - { name: meter, type: smallint }
      - { name: kwh, type: real, optional: true }
      - { name: volts, type: double }
    timeseries:
      time_column: at
      chunk_interval: 1 week
      compression: { segment_by: [meter], order_by: [at DESC] }
`;

const SEED = Number(process.env['PRISM_QUERY_SEED'] ?? 20261126);
// Across the night Europe/Oslo moves its clocks (2026-03-29): a naive clock ignores it.
const DATA_START = Date.UTC(2026, 2, 20);
const DATA_DAYS = 20;
const STEP_MS = 11 * 60_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Milliseconds as a naive clock: the UTC fields, without a zone. */
const naive = (ms: number) => new Date(ms).toISOString().slice(0, 19);

function generateRows(): Row[] {
  const rnd = mulberry32(SEED);
  const rows: Row[] = [];
  let n = 0;
  for (let t = DATA_START; t < DATA_START + DATA_DAYS * 86_400_000; t += STEP_MS) {
    for (const meter of [1, 2, 3]) {
      n += 1;
      rows.push({
        at: naive(t + meter * 7_000),
        meter,
        kwh: n % 13 === 0 ? null : Math.round(rnd() * 1000) / 8,
        volts: Math.round((220 + rnd() * 20) * 64) / 64,
      });
    }
  }
  return rows;
}

/** Dates as their clock in this process's zone (how pg reads a timestamp), floats rounded. */
function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.toString();
  if (typeof value === 'number' && !Number.isInteger(value)) return Number(value.toPrecision(9));
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) {
    return Number(Number(value).toPrecision(9));
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

const BUCKETS: { bucket: string; maxSpanMs: number }[] = [
  { bucket: '1 minute', maxSpanMs: 12 * 3_600_000 },
  { bucket: '7 minutes', maxSpanMs: 2 * 86_400_000 },
  { bucket: '1 hour', maxSpanMs: 10 * 86_400_000 },
  { bucket: '90 minutes', maxSpanMs: 10 * 86_400_000 },
  { bucket: '1 day', maxSpanMs: 40 * 86_400_000 },
  { bucket: '1 week', maxSpanMs: 60 * 86_400_000 },
  { bucket: '1 month', maxSpanMs: 90 * 86_400_000 },
  { bucket: '3 months', maxSpanMs: 400 * 86_400_000 },
  { bucket: '1 year', maxSpanMs: 3 * 365 * 86_400_000 },
  { bucket: '2 years', maxSpanMs: 3 * 365 * 86_400_000 },
];

interface Case {
  readonly label: string;
  run(repo: Repository): Promise<Row[]>;
}

function cases(): Case[] {
  const rnd = mulberry32(SEED + 1);
  const out: Case[] = [];
  const lo = DATA_START - 5 * 86_400_000;
  const hi = DATA_START + (DATA_DAYS + 5) * 86_400_000;
  for (const { bucket, maxSpanMs } of BUCKETS) {
    for (const gapfill of [false, true, 'locf'] as const) {
      for (let k = 0; k < 2; k += 1) {
        const span = Math.max(60_000, Math.floor((rnd() * maxSpanMs) / 1000) * 1000);
        const start = lo + Math.floor((rnd() * Math.max(0, hi - lo - span)) / 1000) * 1000;
        const [s, e] = [naive(start), naive(start + span)];
        const options = {
          aggregations: ['count', 'avg', 'max', 'first', 'last'] as const,
          fields: ['kwh', 'volts'],
          groupBySegment: rnd() < 0.5,
          gapfill,
          filters: rnd() < 0.3 ? { meter: 2 } : undefined,
        };
        out.push({
          label: `aggregate ${bucket} ${s}..${e} ${JSON.stringify(options)}`,
          run: (repo) =>
            repo.getTimeBucketAggregates(bucket, s, e, {
              ...options,
              aggregations: [...options.aggregations],
            }),
        });
      }
    }
  }
  out.push({
    label: 'range',
    run: (repo) => repo.getByTimeRange('2026-03-29T00:00:00', '2026-03-29T04:00:00'),
  });
  return out;
}

async function setUp(
  db: TestDatabase,
  migrationsDir: string,
  model: Model,
  rows: readonly Row[],
  sessionZone: string,
): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  // Odd, different session zones: naive buckets may not depend on them.
  await client.query(`SET TIME ZONE '${sessionZone}'`);
  await migrate({ url: db.url, client, migrationsDir, direction: 'up' });
  const repo = createRepository(client, model, { dialect: 'postgres' });
  expect(await repo.insertMany(rows)).to.equal(rows.length);
  return client;
}

/**
 * The two bucket expressions side by side on random timestamps, in SQL: time_bucket
 * against the fallback the postgres dialect builds, read from its generated query.
 */
async function directBuckets(
  client: pg.Client,
  schema: string | undefined,
  model: Model,
): Promise<number> {
  const rnd = mulberry32(SEED + 2);
  let compared = 0;
  for (const { bucket } of BUCKETS) {
    const times: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      // Any time from 1990 to 2040, to the microsecond.
      const ms = Date.UTC(1990, 0, 1) + Math.floor(rnd() * 50 * 365.25 * 86_400_000);
      times.push(`${naive(ms)}.${String(Math.floor(rnd() * 1e6)).padStart(6, '0')}`);
    }
    const s = schema ?? 'public';
    const { rows } = await client.query(
      `WITH t(v) AS (SELECT unnest($1::timestamp[]))
       SELECT v::text AS v, "${s}".time_bucket($2::interval, v)::text AS tb, (${fallbackSql(model, bucket)})::text AS fb FROM t`,
      [times, bucket],
    );
    for (const r of rows as { v: string; tb: string; fb: string }[]) {
      expect(r.fb, `${bucket} of ${r.v}`).to.equal(r.tb);
      compared += 1;
    }
  }
  return compared;
}

/** The fallback bucket of column v for a width, taken from the query the library builds. */
function fallbackSql(model: Model, bucket: string): string {
  const built = buildAggregateQuery(model, {
    dialect: 'postgres',
    bucket,
    start: '2000-01-01',
    end: '2000-01-02',
    aggregations: ['count'],
    fields: ['volts'],
  });
  // `SELECT <bucket> AS b, …`: the expression over t."at"; the width becomes $2 here.
  const expr = /^SELECT (.*?) AS b, /.exec(built.sql)?.[1] as string;
  return expr.replaceAll('t."at"', 'v').replace(/\$\d+::interval/g, '$2::interval');
}

describe('query layer on a timestamp time column: time_bucket and the fallback agree', function () {
  this.timeout(600_000);
  let embedded: Awaited<ReturnType<typeof createEmbeddedDatabase>> | undefined;
  let server: TestDatabase | undefined;
  let ec: pg.Client | undefined;
  let sc: pg.Client | undefined;
  let model: Model;
  let migrationsDir: string;
  const rows = generateRows();

  before(async () => {
    const { spec } = parseSpec(SPEC, 'query.yaml');
    model = spec.models[0] as Model;
    migrationsDir = join(tempDir(), 'migrations');
    generateMigration({ spec, migrationsDir, now: new Date(DATA_START) });
    embedded = await createEmbeddedDatabase();
    server = await createServerDatabase();
    ec = await setUp(embedded, migrationsDir, model, rows, 'Asia/Kolkata');
    sc = await setUp(server, migrationsDir, model, rows, 'America/St_Johns');
  });

  after(async () => {
    await ec?.end();
    await sc?.end();
    await embedded?.dispose();
    await server?.dispose();
  });

  it('the bucket expressions agree on random timestamps from 1990 to 2040', async () => {
    const { schema } = await detectDialect(ec as pg.Client);
    const compared = await directBuckets(ec as pg.Client, schema, model);
    expect(compared).to.equal(BUCKETS.length * 200);
  });

  it('answers every seeded random query identically on both dialects and servers', async () => {
    const { schema } = await detectDialect(ec as pg.Client);
    const timescale = createRepository(ec as pg.Client, model, { dialect: 'timescale', schema });
    const fallback = createRepository(ec as pg.Client, model, { dialect: 'postgres' });
    const postgres = createRepository(sc as pg.Client, model, { dialect: 'postgres' });
    let nonEmpty = 0;
    for (const c of cases()) {
      const a = normalize(await c.run(timescale)) as unknown[];
      expect(
        normalize(await c.run(fallback)),
        `${c.label} (postgres dialect on embedded)`,
      ).to.deep.equal(a);
      expect(normalize(await c.run(postgres)), `${c.label} (PostgreSQL server)`).to.deep.equal(a);
      if (a.length > 0) nonEmpty += 1;
    }
    expect(nonEmpty).to.be.at.least(40);
  });

  describeNative(CURRENT_TSL, 'the same model in a new database', (server: NativeServer) => {
    let native: TestDatabase | undefined;
    let nc: pg.Client | undefined;

    before(async () => {
      native = await createNativeDatabase(server);
      nc = await setUp(native, migrationsDir, model, rows, 'Pacific/Chatham');
    });

    after(async () => {
      await nc?.end();
      await native?.dispose();
    });

    it('is a hypertable on the timestamp column, and the expressions agree there too', async () => {
      const { rows: dims } = await (nc as pg.Client).query(
        `SELECT column_name, column_type::text AS type FROM timescaledb_information.dimensions WHERE hypertable_name = 'meter'`,
      );
      expect(dims).to.deep.equal([{ column_name: 'at', type: 'timestamp without time zone' }]);
      const { schema } = await detectDialect(nc as pg.Client);
      expect(await directBuckets(nc as pg.Client, schema, model)).to.equal(BUCKETS.length * 200);
    });

    it('answers every query as the embedded database does, in both dialects', async () => {
      const embeddedSchema = (await detectDialect(ec as pg.Client)).schema;
      const expected = createRepository(ec as pg.Client, model, {
        dialect: 'timescale',
        schema: embeddedSchema,
      });
      const { schema } = await detectDialect(nc as pg.Client);
      const timescale = createRepository(nc as pg.Client, model, { dialect: 'timescale', schema });
      const fallback = createRepository(nc as pg.Client, model, { dialect: 'postgres' });
      for (const c of cases()) {
        const a = normalize(await c.run(expected));
        expect(normalize(await c.run(timescale)), `${c.label} (timescale)`).to.deep.equal(a);
        expect(normalize(await c.run(fallback)), `${c.label} (postgres dialect)`).to.deep.equal(a);
      }
    });
  });
});
