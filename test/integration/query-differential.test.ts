/**
 * Differential test of the query layer: the same model is created by generate + migrate on
 * the embedded TimescaleDB (dialect timescale) and on the PostgreSQL server (dialect
 * postgres), the same deterministic data is inserted with insertMany on both, and the same
 * seeded random queries (ranges, buckets, filters, aggregations, time zones, gapfill,
 * latest) must return identical results. The embedded database also runs every query in the
 * postgres dialect, so both translations are compared on one server too. On a native
 * TimescaleDB server with the Timescale License the model is migrated into a new database
 * (the first `up` creates the extension) and both dialects there must answer as the
 * embedded database does.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { generateMigration } from '../../lib/generate/generate.js';
import { migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Model } from '../../lib/spec/types.js';
import {
  buildLatestQuery,
  createRepository,
  detectDialect,
  hasSegmentKeyIndex,
  type Aggregation,
  type Repository,
  type Row,
} from '../../lib/query/index.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
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
  - name: Reading
    fields:
      - { name: id, type: uuid, primary_key: true }
      - { name: ts, type: datetime }
      - { name: source, type: string, max_length: 50 }
      - { name: value, type: float, optional: true }
      - { name: level, type: int, optional: true }
      - { name: total, type: bigint, optional: true }
      - { name: price, type: decimal, precision: 12, scale: 3, optional: true }
      - { name: flag, type: boolean, default: true }
    timeseries:
      time_column: ts
      chunk_interval: 1 week
      compression: { enabled: true, after: 1 year, segment_by: [source], order_by: [ts DESC] }
      indexes:
        - { columns: [source, ts], type: btree }
`;

const SEED = Number(process.env['PRISM_QUERY_SEED'] ?? 20260324);
const SOURCES = ['s0', 's1', 's2', 's3', 's4'];
// 20 days across the Europe/Oslo DST change of 2026-03-29.
const DATA_START = Date.UTC(2026, 2, 20);
const DATA_DAYS = 20;
const STEP_MS = 7 * 60_000;

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

function uuidOf(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

function generateRows(): Row[] {
  const rnd = mulberry32(SEED);
  const rows: Row[] = [];
  let n = 0;
  for (let t = DATA_START; t < DATA_START + DATA_DAYS * 86_400_000; t += STEP_MS) {
    SOURCES.forEach((source, i) => {
      n += 1;
      // Sources are a few seconds apart, so first/last by time never tie.
      const ts = new Date(t + i * 3_000);
      rows.push({
        // Rows leaving out a field with a default go in their own INSERT.
        ...(n % 11 === 0 ? { flag: false } : {}),
        id: uuidOf(n),
        ts,
        source,
        value:
          n % 13 === 0 ? null : Math.round((Math.sin(n / 50) * 100 + rnd() * 10) * 1000) / 1000,
        level: n % 17 === 0 ? null : Math.floor(rnd() * 1000) - 200,
        total: n % 19 === 0 ? null : String(BigInt(Math.floor(rnd() * 1e9)) * 1000n),
        price: n % 23 === 0 ? null : (rnd() * 10000).toFixed(3),
      });
    });
  }
  return rows;
}

/**
 * Dates as ISO text; numeric strings (exact on both, but avg's display scale may differ)
 * at 12 significant digits. Floats are compared by `sameResults` within 1e-9, relative
 * (absolute near zero): their sums depend on the order in which rows are added.
 */
function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) {
    return Number(Number(value).toPrecision(12));
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => close(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      close(ka, kb) &&
      ka.every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

/** Deep equality with floats within 1e-9; on a difference, chai shows it. */
function sameResults(actual: unknown, expected: unknown, label: string): void {
  if (!close(actual, expected)) expect(actual, label).to.deep.equal(expected);
}

interface Case {
  readonly label: string;
  run(repo: Repository): Promise<Row[]>;
}

const BUCKETS: { bucket: string; maxSpanMs: number }[] = [
  { bucket: '1 minute', maxSpanMs: 12 * 3_600_000 },
  { bucket: '15 minutes', maxSpanMs: 3 * 86_400_000 },
  { bucket: '1 hour', maxSpanMs: 10 * 86_400_000 },
  { bucket: '1 day', maxSpanMs: 40 * 86_400_000 },
  { bucket: '1 week', maxSpanMs: 60 * 86_400_000 },
  { bucket: '1 month', maxSpanMs: 90 * 86_400_000 },
  { bucket: '3 months', maxSpanMs: 400 * 86_400_000 },
  { bucket: '2 years', maxSpanMs: 3 * 365 * 86_400_000 },
];
const AGGS: Aggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'];
const NUMERIC = ['value', 'level', 'total', 'price'];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

function subset<T>(rnd: () => number, items: readonly T[]): T[] {
  const chosen = items.filter(() => rnd() < 0.4);
  return chosen.length > 0 ? chosen : [pick(rnd, items)];
}

function randomRange(rnd: () => number, maxSpanMs: number): [Date, Date] {
  // From 5 days before the data to 5 days after it, to the second.
  const lo = DATA_START - 5 * 86_400_000;
  const hi = DATA_START + (DATA_DAYS + 5) * 86_400_000;
  const span = Math.max(60_000, Math.floor((rnd() * maxSpanMs) / 1000) * 1000);
  const start = lo + Math.floor((rnd() * (hi - lo - span)) / 1000) * 1000;
  return [new Date(start), new Date(start + span)];
}

function cases(): Case[] {
  const rnd = mulberry32(SEED + 1);
  const out: Case[] = [];
  for (const { bucket, maxSpanMs } of BUCKETS) {
    for (const tz of [undefined, 'UTC', 'Europe/Oslo']) {
      for (const gapfill of [false, true, 'locf'] as const) {
        const [start, end] = randomRange(rnd, maxSpanMs);
        const filters = rnd() < 0.3 ? { source: pick(rnd, SOURCES) } : undefined;
        const aggregations = subset(rnd, AGGS);
        const fields = rnd() < 0.5 ? undefined : subset(rnd, NUMERIC);
        const groupBySegment = rnd() < 0.5;
        const options = { filters, aggregations, fields, groupBySegment, gapfill, tz };
        out.push({
          label: `aggregate ${bucket} ${start.toISOString()}..${end.toISOString()} ${JSON.stringify(options)}`,
          run: (repo) => repo.getTimeBucketAggregates(bucket, start, end, options),
        });
      }
    }
  }
  for (let i = 0; i < 8; i += 1) {
    const [start, end] = randomRange(rnd, 2 * 86_400_000);
    const options = {
      filters: rnd() < 0.5 ? { source: pick(rnd, SOURCES) } : undefined,
      limit: pick(rnd, [1, 10, 500, 20_000]),
      order: pick(rnd, ['asc', 'desc'] as const),
    };
    out.push({
      label: `range ${start.toISOString()}..${end.toISOString()} ${JSON.stringify(options)}`,
      run: (repo) => repo.getByTimeRange(start, end, options),
    });
  }
  out.push({ label: 'latest overall', run: (repo) => repo.getLatest() });
  out.push({ label: 'latest per source', run: (repo) => repo.getLatest({ perSegment: true }) });
  out.push({
    label: 'latest of s3',
    run: (repo) => repo.getLatest({ filters: { source: 's3' } }),
  });
  out.push({
    label: 'latest per source with a level filter',
    run: (repo) => repo.getLatest({ perSegment: true, filters: { level: 100 } }),
  });
  out.push({
    label: 'latest per source of s1',
    run: (repo) => repo.getLatest({ perSegment: true, filters: { source: 's1' } }),
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
  // Different odd session zones on the two sides: no result may depend on them.
  await client.query(`SET TIME ZONE '${sessionZone}'`);
  await migrate({ url: db.url, client, migrationsDir, direction: 'up' });
  const repo = createRepository(client, model, { dialect: 'postgres' });
  expect(await repo.insertMany(rows)).to.equal(rows.length);
  return client;
}

/** With gap filling, every day of the range appears in order, empty days as count 0. */
async function checkGapfillBuckets(repo: Repository): Promise<void> {
  const out = await repo.getTimeBucketAggregates(
    '1 day',
    '2026-03-18T12:00:00Z',
    '2026-03-22T00:00:00Z',
    { gapfill: true, aggregations: ['count'], fields: ['value'], tz: 'Europe/Oslo' },
  );
  expect(out.map((r) => (r['bucket'] as Date).toISOString())).to.deep.equal([
    '2026-03-17T23:00:00.000Z',
    '2026-03-18T23:00:00.000Z',
    '2026-03-19T23:00:00.000Z',
    '2026-03-20T23:00:00.000Z',
    '2026-03-21T23:00:00.000Z', // starts before the end (00:00Z), so it is in the range
  ]);
  expect(out.slice(0, 2).map((r) => r['count_value'])).to.deep.equal([0, 0]);
  expect(out[0]?.['avg_value']).to.equal(undefined);
  expect(out[2]?.['count_value']).to.be.greaterThan(0);
  expect(out[3]?.['count_value']).to.be.greaterThan(0);
}

/** Our gap filling (timescale dialect) against time_bucket_gapfill on the same database. */
async function checkGapfillAsTimescale(client: pg.Client, model: Model): Promise<void> {
  const { schema } = await detectDialect(client);
  const repo = createRepository(client, model, { dialect: 'timescale', schema });
  const start = '2026-03-27T05:17:00Z';
  const end = '2026-04-11T03:00:00Z';
  for (const [bucket, tz] of [
    ['1 hour', undefined],
    ['1 day', 'Europe/Oslo'],
    ['1 week', 'UTC'],
  ] as const) {
    const ours = await repo.getTimeBucketAggregates(bucket, start, end, {
      gapfill: true,
      groupBySegment: true,
      aggregations: ['avg', 'max'],
      fields: ['value'],
      tz,
    });
    const s = `"${schema ?? 'public'}"`;
    const native = await client.query(
      `SELECT ${s}.time_bucket_gapfill($1::interval, ts${tz ? ', $4::text' : ''}) AS bucket, source,
              avg(value) AS avg_value, max(value) AS max_value
         FROM reading WHERE ts >= $2::timestamptz AND ts < $3::timestamptz
        GROUP BY 1, 2 ORDER BY 1, 2`,
      tz ? [bucket, start, end, tz] : [bucket, start, end],
    );
    expect(ours.length, bucket).to.be.greaterThan(0);
    sameResults(normalize(ours), normalize(native.rows), `${bucket} ${tz ?? ''}`);
  }
}

/** gapfill 'locf' in both dialects against locf over time_bucket_gapfill on the same database. */
async function checkLocfAsTimescale(client: pg.Client, model: Model): Promise<void> {
  const { schema } = await detectDialect(client);
  const s = `"${schema ?? 'public'}"`;
  const start = '2026-03-27T05:17:00Z';
  const end = '2026-04-11T03:00:00Z';
  for (const dialect of ['timescale', 'postgres'] as const) {
    const repo = createRepository(client, model, { dialect, schema });
    for (const [bucket, groupBySegment, filters] of [
      ['1 hour', true, undefined],
      ['6 hours', false, { source: 's2' }],
      ['1 day', true, undefined],
    ] as const) {
      const ours = await repo.getTimeBucketAggregates(bucket, start, end, {
        gapfill: 'locf',
        groupBySegment,
        filters,
        aggregations: ['avg', 'max', 'last'],
        fields: ['value'],
      });
      const native = await client.query(
        `SELECT ${s}.time_bucket_gapfill($1::interval, ts) AS bucket${groupBySegment ? ', source' : ''},
                ${s}.locf(avg(value)) AS avg_value, ${s}.locf(max(value)) AS max_value,
                ${s}.locf(${s}.last(value, ts)) AS last_value
           FROM reading WHERE ts >= $2::timestamptz AND ts < $3::timestamptz
                ${filters ? 'AND source = $4' : ''}
          GROUP BY ${groupBySegment ? '1, 2' : '1'} ORDER BY ${groupBySegment ? '1, 2' : '1'}`,
        filters ? [bucket, start, end, filters.source] : [bucket, start, end],
      );
      const label = `${dialect} ${bucket} ${groupBySegment ? 'per source' : JSON.stringify(filters)}`;
      // The comparison must see gaps that were filled with earlier values, or it proves nothing.
      const plain = await repo.getTimeBucketAggregates(bucket, start, end, {
        gapfill: true,
        groupBySegment,
        filters,
        aggregations: ['avg'],
        fields: ['value'],
      });
      const carried = plain.filter(
        (r, i) => r['avg_value'] === null && ours[i]?.['avg_value'] !== null,
      );
      expect(carried.length, label).to.be.greaterThan(0);
      sameResults(normalize(ours), normalize(native.rows), label);
    }
  }
}

/** The latest row per source comes from index probes, not a scan of the table. */
async function checkLatestUsesIndex(client: pg.Client, model: Model): Promise<void> {
  await client.query('ANALYZE reading');
  const q = buildLatestQuery(model, { perSegment: true });
  const plan = await client.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, q.parameters as unknown[]);
  const text = JSON.stringify(plan.rows);
  expect(text, text).to.not.include('Seq Scan');
  expect(text).to.include('Index');
}

/**
 * Without an index starting with the key, the latest rows per source come from one DISTINCT
 * ON pass with the same answers; only btree indexes that can serve the probes count.
 */
async function checkScanWithoutKeyIndex(client: pg.Client, model: Model): Promise<void> {
  await client.query('DROP TABLE IF EXISTS reading_unindexed');
  await client.query('CREATE TABLE reading_unindexed AS SELECT * FROM reading');
  const unindexed = { ...model, table: 'reading_unindexed' } as Model;
  expect(await hasSegmentKeyIndex(client, model)).to.equal(true);
  expect(await hasSegmentKeyIndex(client, unindexed)).to.equal(false);
  const q = buildLatestQuery(unindexed, { perSegment: true, strategy: 'scan' });
  const plan = JSON.stringify(
    (await client.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, q.parameters as unknown[])).rows,
  );
  expect(plan).to.not.include('Recursive Union');
  const repo = createRepository(client, model, { dialect: 'postgres' });
  const plainRepo = createRepository(client, unindexed, { dialect: 'postgres' });
  for (const options of [
    { perSegment: true },
    { perSegment: true, filters: { level: 100 } },
    { perSegment: true, limit: 2 },
  ]) {
    const expected = normalize(await repo.getLatest(options)) as unknown[];
    expect(expected.length, JSON.stringify(options)).to.be.greaterThan(0);
    sameResults(normalize(await plainRepo.getLatest(options)), expected, JSON.stringify(options));
  }
  // Indexes that cannot serve `ORDER BY source` probes do not count; a btree does.
  for (const [index, usable] of [
    ['USING hash (source)', false],
    ['(source) WHERE value < 0', false],
    ['(source COLLATE "C", ts)', false],
    ['(source, ts)', true],
  ] as const) {
    await client.query(`CREATE INDEX reading_unindexed_probe ON reading_unindexed ${index}`);
    expect(await hasSegmentKeyIndex(client, unindexed), index).to.equal(usable);
    await client.query('DROP INDEX reading_unindexed_probe');
  }
  await client.query('DROP TABLE reading_unindexed');
}

/** Every generated row is stored once, those without `flag` with its default. */
async function checkRowCounts(client: pg.Client, rows: readonly Row[]): Promise<void> {
  const count = await client.query(
    'SELECT count(*)::int AS n, count(*) FILTER (WHERE NOT flag)::int AS f FROM reading',
  );
  expect(count.rows[0]).to.deep.equal({ n: rows.length, f: Math.floor(rows.length / 11) });
}

const extensionVersion = (url: string) =>
  withClient(
    url,
    async (c) =>
      (await c.query(`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`)).rows[0]
        ?.extversion as string | undefined,
  );

describe('query layer: TimescaleDB and plain PostgreSQL give identical results', function () {
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
    const generated = generateMigration({ spec, migrationsDir, now: new Date(DATA_START) });
    expect(generated.written).to.equal(true);
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

  it('detects the dialect of each database', async () => {
    expect(await detectDialect(ec as pg.Client)).to.deep.include({ dialect: 'timescale' });
    expect(await detectDialect(sc as pg.Client)).to.deep.equal({
      dialect: 'postgres',
      schema: undefined,
    });
  });

  it('answers every seeded random query identically', async () => {
    const { schema } = await detectDialect(ec as pg.Client);
    const timescale = createRepository(ec as pg.Client, model, { dialect: 'timescale', schema });
    const fallbackOnTimescale = createRepository(ec as pg.Client, model, { dialect: 'postgres' });
    const postgres = createRepository(sc as pg.Client, model, { dialect: 'postgres' });
    const all = cases();
    let passed = 0;
    let nonEmpty = 0;
    for (const c of all) {
      const a = normalize(await c.run(timescale)) as unknown[];
      const b = normalize(await c.run(postgres));
      const f = normalize(await c.run(fallbackOnTimescale));
      sameResults(b, a, `${c.label} (server vs embedded timescale)`);
      sameResults(f, a, `${c.label} (postgres dialect on embedded)`);
      passed += 1;
      if (a.length > 0) nonEmpty += 1;
    }
    console.log(
      `      ${passed} differential query cases passed (${nonEmpty} non-empty), seed ${SEED}`,
    );
    expect(passed).to.be.at.least(30);
    expect(nonEmpty).to.be.at.least(25);
  });

  it('fills gaps: every bucket of the range appears, in order, on both', () =>
    checkGapfillBuckets(createRepository(sc as pg.Client, model, { dialect: 'postgres' })));

  it('fills gaps exactly as time_bucket_gapfill does on TimescaleDB', () =>
    checkGapfillAsTimescale(ec as pg.Client, model));

  it('carries values forward exactly as locf over time_bucket_gapfill does on TimescaleDB', () =>
    checkLocfAsTimescale(ec as pg.Client, model));

  it('finds the latest row per source with index probes, not a scan of the table', async () => {
    for (const client of [sc as pg.Client, ec as pg.Client]) {
      await checkLatestUsesIndex(client, model);
    }
  });

  it('uses one DISTINCT ON pass when no index starts with the key, with the same answers', async () => {
    for (const client of [sc as pg.Client, ec as pg.Client]) {
      await checkScanWithoutKeyIndex(client, model);
    }
  });

  it('refuses unknown rows and fields on insert, naming row and field', async () => {
    const repo = createRepository(sc as pg.Client, model, { dialect: 'postgres' });
    const good = { id: uuidOf(999_999), ts: new Date(), source: 'x' };
    await expectUsage(
      repo.insertMany([good, { ...good, bogus: 1 }]),
      /row 1: unknown field "bogus"/,
    );
    await expectUsage(
      repo.insertMany([{ ...good, level: 1.5 }]),
      /row 0: field level: expected a 32-bit whole number/,
    );
    await expectUsage(
      repo.insertMany([{ id: good.id, source: 'x' }]),
      /row 0: field ts is missing/,
    );
    for (const client of [sc as pg.Client, ec as pg.Client]) {
      await checkRowCounts(client, rows);
    }
  });

  describeNative(
    CURRENT_TSL,
    'the same model and data in a new database',
    (server: NativeServer) => {
      let native: TestDatabase | undefined;
      let nc: pg.Client | undefined;
      let extensionBeforeUp: string | undefined;

      before(async () => {
        native = await createNativeDatabase(server);
        extensionBeforeUp = await extensionVersion(native.url);
        nc = await setUp(native, migrationsDir, model, rows, 'Pacific/Chatham');
      });

      after(async () => {
        await nc?.end();
        await native?.dispose();
      });

      it('creates TimescaleDB on the first up, with the model as a compressed hypertable', async () => {
        const client = nc as pg.Client;
        expect(extensionBeforeUp).to.equal(undefined);
        expect(await extensionVersion((native as TestDatabase).url)).to.equal(server.version);
        expect(await detectDialect(client)).to.deep.include({ dialect: 'timescale' });
        const hypertables = await client.query(
          `SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables`,
        );
        expect(hypertables.rows).to.deep.equal([
          { hypertable_name: 'reading', compression_enabled: true },
        ]);
        await checkRowCounts(client, rows);
      });

      it('answers every seeded random query as the embedded database does, in both dialects', async () => {
        const embeddedSchema = (await detectDialect(ec as pg.Client)).schema;
        const expected = createRepository(ec as pg.Client, model, {
          dialect: 'timescale',
          schema: embeddedSchema,
        });
        const { schema } = await detectDialect(nc as pg.Client);
        const timescale = createRepository(nc as pg.Client, model, {
          dialect: 'timescale',
          schema,
        });
        const fallback = createRepository(nc as pg.Client, model, { dialect: 'postgres' });
        let passed = 0;
        let nonEmpty = 0;
        for (const c of cases()) {
          const a = normalize(await c.run(expected)) as unknown[];
          const t = normalize(await c.run(timescale));
          const f = normalize(await c.run(fallback));
          sameResults(t, a, `${c.label} (${server.label} vs embedded timescale)`);
          sameResults(f, a, `${c.label} (postgres dialect on ${server.label})`);
          passed += 1;
          if (a.length > 0) nonEmpty += 1;
        }
        console.log(
          `      ${passed} differential query cases passed on ${server.label} (${nonEmpty} non-empty), seed ${SEED}`,
        );
        expect(passed).to.be.at.least(30);
        expect(nonEmpty).to.be.at.least(25);
      });

      it('fills gaps: every bucket of the range appears, in order, in both dialects', async () => {
        const { schema } = await detectDialect(nc as pg.Client);
        for (const dialect of ['timescale', 'postgres'] as const) {
          await checkGapfillBuckets(createRepository(nc as pg.Client, model, { dialect, schema }));
        }
      });

      it('fills gaps exactly as time_bucket_gapfill does', () =>
        checkGapfillAsTimescale(nc as pg.Client, model));

      it('carries values forward exactly as locf over time_bucket_gapfill does', () =>
        checkLocfAsTimescale(nc as pg.Client, model));

      it('finds the latest row per source with index probes, not a scan of the table', () =>
        checkLatestUsesIndex(nc as pg.Client, model));

      it('uses one DISTINCT ON pass when no index starts with the key, with the same answers', () =>
        checkScanWithoutKeyIndex(nc as pg.Client, model));
    },
  );
});

async function expectUsage(promise: Promise<unknown>, message: RegExp): Promise<void> {
  let failure: unknown;
  await promise.catch((e: unknown) => (failure = e));
  expect(failure).to.be.instanceOf(Error);
  expect((failure as Error).name).to.equal('UsageError');
  expect((failure as Error).message).to.match(message);
}
