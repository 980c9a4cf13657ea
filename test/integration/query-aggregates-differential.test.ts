/**
 * Differential test of answering time-bucket aggregates from continuous aggregates: on
 * native TimescaleDB 2.28.3 and 2.12.2, embedded TimescaleDB, plain PostgreSQL and the
 * Apache-only build (no continuous aggregates: degraded views on a hypertable), a
 * hypertable with five weeks of per-minute-ish rows, an hourly continuous aggregate and a
 * daily one built on it (plain SQL in the shape the operations create; on PostgreSQL a
 * view and a materialized view, the degraded forms, which never answer). Random queries (fast-check) must
 * answer exactly as the same query forced to the table, floats' sums and averages within
 * 1e-9 relative; on TimescaleDB a good share must come from the aggregates (meta source).
 * Then rows newer than the watermark and rows inside the materialized range (pending
 * invalidations) are inserted and the answers must still equal the table's.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApi } from '../../lib/api/server.js';
import {
  createRepository,
  detectDialect,
  type AggregateOptions,
  type Aggregation,
  type Filters,
  type Repository,
  type Row,
} from '../../lib/query/index.js';
import { parseAggregateCall } from '../../lib/sql/aggregate-call.js';
import { parseInterval } from '../../lib/sql/interval.js';
import { parseSpec } from '../../lib/spec/load.js';
import type {
  AggregateColumn,
  ContinuousAggregate,
  Model,
  Spec,
  TimeAmount,
} from '../../lib/spec/types.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const BASE = parseSpec(
  `
models:
  - name: Reading
    fields:
      - { name: ts, type: datetime }
      - { name: sensor, type: string, max_length: 20 }
      - { name: temp, type: float, optional: true }
      - { name: level, type: int }
      - { name: price, type: decimal, precision: 12, scale: 3, optional: true }
    timeseries:
      time_column: ts
      compression: { enabled: true, after: 1 year, segment_by: [sensor], order_by: [ts DESC] }
`,
  'reading.yaml',
).spec;

function interval(text: string): TimeAmount {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { kind: 'interval', interval: parsed.interval };
}

function columns(list: Record<string, string>): AggregateColumn[] {
  return Object.entries(list).map(([name, text]) => {
    const call = parseAggregateCall(text);
    if (!call.ok) throw new Error(call.reason);
    return { name, function: call.function, argument: call.argument };
  });
}

const HOURLY_COLUMNS = {
  avg_temp: 'avg(temp)',
  min_temp: 'min(temp)',
  max_temp: 'max(temp)',
  sum_temp: 'sum(temp)',
  samples: 'count(*)',
  n_temp: 'count(temp)',
  first_temp: 'first(temp)',
  last_temp: 'last(temp)',
  sum_level: 'sum(level)',
  min_level: 'min(level)',
  max_level: 'max(level)',
  first_level: 'first(level)',
  last_level: 'last(level)',
  sum_price: 'sum(price)',
  n_price: 'count(price)',
  min_price: 'min(price)',
  max_price: 'max(price)',
  first_price: 'first(price)',
  last_price: 'last(price)',
};
// Fewer columns than the hourly one: min/first/last of level only come from the hourly.
const DAILY_COLUMNS = {
  min_temp: 'min(min_temp)',
  max_temp: 'max(max_temp)',
  sum_temp: 'sum(sum_temp)',
  samples: 'sum(samples)',
  n_temp: 'sum(n_temp)',
  first_temp: 'first(first_temp)',
  last_temp: 'last(last_temp)',
  sum_level: 'sum(sum_level)',
  max_level: 'max(max_level)',
  sum_price: 'sum(sum_price)',
  n_price: 'sum(n_price)',
  max_price: 'max(max_price)',
};

const HOURLY: ContinuousAggregate = {
  name: 'reading_hourly',
  bucket: interval('1 hour'),
  groupBy: ['sensor'],
  columns: columns(HOURLY_COLUMNS),
  realtime: false,
};
const DAILY: ContinuousAggregate = {
  name: 'reading_daily',
  from: 'reading_hourly',
  bucket: interval('1 day'),
  groupBy: ['sensor'],
  columns: columns(DAILY_COLUMNS),
  realtime: false,
};
const BASE_MODEL = BASE.models[0] as Model;
const MODEL: Model = {
  ...BASE_MODEL,
  timeseries: {
    ...(BASE_MODEL.timeseries as NonNullable<Model['timeseries']>),
    aggregates: [HOURLY, DAILY],
  },
};
const SPEC: Spec = { ...BASE, models: [MODEL] };

const SENSORS = ['s0', 's1', 's2'];
// A Monday, five weeks of data, long before now: refreshes materialize all of it.
const DATA_START = Date.UTC(2026, 8, 7);
const DATA_DAYS = 35;
const DATA_END = DATA_START + DATA_DAYS * 86_400_000;
const DAY = 86_400_000;

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

/** Rows every 1–8 minutes per sensor, times distinct across sensors (first/last never tie). */
function generateRows(seed: number, from: number, to: number): Row[] {
  const rnd = mulberry32(seed);
  const rows: Row[] = [];
  SENSORS.forEach((sensor, i) => {
    for (let t = from + i * 7; t < to; t += (60 + Math.floor(rnd() * 420)) * 1000 + 3) {
      rows.push({
        ts: new Date(t),
        sensor,
        temp: rnd() < 0.05 ? null : Math.round((Math.sin(t / 3.6e6) * 20 + rnd() * 5) * 1e4) / 1e4,
        level: Math.floor(rnd() * 2000) - 1000,
        price: rnd() < 0.05 ? null : (rnd() * 10000).toFixed(3),
      });
    }
  });
  return rows;
}

function columnSql(text: string, time: string, degraded: boolean): string {
  const call = parseAggregateCall(text);
  if (!call.ok) throw new Error(call.reason);
  const arg = call.argument ?? '*';
  if (call.function === 'first' || call.function === 'last') {
    return degraded
      ? `(array_agg(${arg} ORDER BY ${time} ${call.function === 'first' ? 'ASC' : 'DESC'}))[1]`
      : `${call.function}(${arg}, ${time})`;
  }
  return `${call.function}(${arg})`;
}

function viewSql(
  name: string,
  cols: Record<string, string>,
  source: string,
  time: string,
  bucket: string,
  kind: 'continuous' | 'view' | 'materialized view',
): string {
  const degraded = kind !== 'continuous';
  const bucketSql = degraded
    ? `date_bin('${bucket}', ${time}, timestamptz '2000-01-03 00:00:00+00')`
    : `time_bucket('${bucket}', ${time})`;
  const select =
    `SELECT ${bucketSql} AS bucket, sensor, ` +
    Object.entries(cols)
      .map(([c, text]) => `${columnSql(text, time, degraded)} AS ${c}`)
      .join(', ') +
    ` FROM ${source} GROUP BY 1, 2`;
  if (kind === 'continuous') {
    return `CREATE MATERIALIZED VIEW ${name} WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS ${select} WITH NO DATA`;
  }
  return kind === 'view'
    ? `CREATE VIEW ${name} AS ${select}`
    : `CREATE MATERIALIZED VIEW ${name} AS ${select}`;
}

const FLOAT_TOLERANT = /^(avg|sum)_temp$/;

/** Exact equality, except sums and averages of the float field within 1e-9 relative. */
function expectSameRows(actual: Row[], expected: Row[], label: string): void {
  const same =
    actual.length === expected.length &&
    actual.every((row, i) => {
      const other = expected[i] as Row;
      const keys = Object.keys(row);
      if (keys.join() !== Object.keys(other).join()) return false;
      return keys.every((k) => {
        const a = row[k];
        const b = other[k];
        if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
        if (FLOAT_TOLERANT.test(k) && typeof a === 'number' && typeof b === 'number') {
          return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
        }
        return a === b;
      });
    });
  if (!same) expect(actual, label).to.deep.equal(expected);
}

const AGGS: Aggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'];
const BUCKETS = [
  '1 hour',
  '2 hours',
  '3 hours',
  '1 day',
  '2 days',
  '1 week',
  '1 month',
  '30 minutes',
  '90 minutes',
];

interface Query {
  readonly bucket: string;
  readonly start: Date;
  readonly end: Date;
  readonly options: AggregateOptions;
}

const queryArbitrary = (from: number, to: number): fc.Arbitrary<Query> =>
  fc
    .record({
      bucket: fc.constantFrom(...BUCKETS),
      // Seconds from two days before `from`; spans from a minute to the whole data.
      startSeconds: fc.integer({ min: 0, max: Math.floor((to - from) / 1000) + 2 * 86_400 }),
      spanSeconds: fc.oneof(
        fc.integer({ min: 60, max: 3 * 86_400 }),
        fc.integer({ min: 86_400, max: Math.floor((to - from) / 1000) + 4 * 86_400 }),
      ),
      aligned: fc.boolean(),
      filter: fc.constantFrom('none', 'none', 'sensor', 'sensor', 'level'),
      sensor: fc.constantFrom(...SENSORS),
      aggregations: fc.subarray(AGGS, { minLength: 1 }),
      fields: fc.subarray(['temp', 'level', 'price'], { minLength: 1 }),
      groupBySegment: fc.boolean(),
      tz: fc.constantFrom(undefined, undefined, undefined, 'UTC', 'Etc/GMT-2', 'Europe/Oslo'),
      gapfill: fc.constantFrom(false, false, false, true, 'locf' as const),
    })
    .map((r): Query => {
      let start = from - 2 * DAY + r.startSeconds * 1000;
      // Some ranges start on a day boundary, most anywhere.
      if (r.aligned) start = Math.floor(start / DAY) * DAY;
      const end = start + r.spanSeconds * 1000;
      const filters: Filters | undefined =
        r.filter === 'sensor'
          ? { sensor: r.sensor }
          : r.filter === 'level'
            ? { level: (r.startSeconds % 2000) - 1000 }
            : undefined;
      return {
        bucket: r.bucket,
        start: new Date(start),
        end: new Date(end),
        options: {
          filters,
          aggregations: r.aggregations,
          fields: r.fields,
          groupBySegment: r.groupBySegment,
          tz: r.tz,
          gapfill: r.gapfill,
        },
      };
    });

function describeQuery(q: Query): string {
  return `${q.bucket} ${q.start.toISOString()}..${q.end.toISOString()} ${JSON.stringify(q.options)}`;
}

interface Tally {
  aggregate: number;
  total: number;
}

/** Runs random queries, each against the same query forced to the table; counts the sources. */
async function differential(
  repo: Repository,
  runs: number,
  seed: number,
  from: number,
  to: number,
): Promise<Tally> {
  const tally: Tally = { aggregate: 0, total: 0 };
  await fc.assert(
    fc.asyncProperty(queryArbitrary(from, to), async (q) => {
      const answer = await repo.answerTimeBucketAggregates(q.bucket, q.start, q.end, q.options);
      const raw = await repo.answerTimeBucketAggregates(q.bucket, q.start, q.end, {
        ...q.options,
        useAggregates: false,
      });
      expect(raw.source).to.deep.include({ kind: 'table', name: 'reading' });
      expectSameRows(answer.rows, raw.rows, `${describeQuery(q)} from ${answer.source.name}`);
      tally.total += 1;
      if (answer.source.kind === 'aggregate') tally.aggregate += 1;
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  return tally;
}

/**
 * `timescale`: continuous aggregates; `apache`: TimescaleDB without the licence for them (a
 * hypertable, degraded views); `postgres`: no TimescaleDB (degraded views).
 */
type Kind = 'timescale' | 'apache' | 'postgres';

function describeDifferential(
  create: () => Promise<TestDatabase>,
  kind: Kind,
  withApi = false,
): void {
  let db: TestDatabase;
  let client: pg.Client;
  let repo: Repository;
  let schema: string | undefined;

  const refresh = async (view: string): Promise<void> => {
    await client.query(`CALL refresh_continuous_aggregate('${view}', NULL, NULL)`);
  };

  before(async function () {
    this.timeout(600_000);
    db = await create();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const withTimescale = kind !== 'postgres';
    if (withTimescale) await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    await client.query(
      `CREATE TABLE reading (ts timestamptz NOT NULL, sensor varchar(20) NOT NULL, temp double precision,
         level integer NOT NULL, price numeric(12,3))`,
    );
    if (withTimescale) {
      await client.query(
        `SELECT create_hypertable('reading', 'ts', chunk_time_interval => interval '7 days')`,
      );
    }
    let dialect;
    ({ dialect, schema } = await detectDialect(client));
    expect(dialect).to.equal(withTimescale ? 'timescale' : 'postgres');
    repo = createRepository(client, MODEL, { dialect, schema });
    await repo.insertMany(generateRows(1, DATA_START, DATA_END));
    if (kind === 'timescale') {
      await client.query(
        viewSql('reading_hourly', HOURLY_COLUMNS, 'reading', 'ts', '1 hour', 'continuous'),
      );
      await client.query(
        viewSql('reading_daily', DAILY_COLUMNS, 'reading_hourly', 'bucket', '1 day', 'continuous'),
      );
      await refresh('reading_hourly');
      await refresh('reading_daily');
    } else {
      await client.query(
        viewSql('reading_hourly', HOURLY_COLUMNS, 'reading', 'ts', '1 hour', 'view'),
      );
      await client.query(
        viewSql(
          'reading_daily',
          DAILY_COLUMNS,
          'reading_hourly',
          'bucket',
          '1 day',
          'materialized view',
        ),
      );
    }
  });
  after(async () => {
    await client?.end();
    await db?.dispose();
  });

  const wholeRange: Query = {
    bucket: '1 day',
    start: new Date(DATA_START - DAY + 1234),
    end: new Date(DATA_END + 3 * DAY),
    // What the daily aggregate gives for every field.
    options: {
      aggregations: ['avg', 'max', 'sum', 'count'],
      fields: ['temp', 'level', 'price'],
      groupBySegment: true,
    },
  };
  const caggs = kind === 'timescale';
  const ask = (q: Query, useAggregates = true) =>
    repo.answerTimeBucketAggregates(q.bucket, q.start, q.end, { ...q.options, useAggregates });

  it('answers random queries as the table does', async function () {
    this.timeout(900_000);
    const tally = await differential(repo, 150, 20261126, DATA_START, DATA_END);
    console.log(`      ${tally.aggregate} of ${tally.total} answered from an aggregate`);
    expect(tally.total).to.equal(150);
    if (kind === 'timescale') {
      // Queries the aggregates cannot answer (other buckets, zones, filters) are about half.
      expect(tally.aggregate, 'queries answered from an aggregate').to.be.greaterThan(40);
    } else {
      expect(tally.aggregate, 'degraded views never answer').to.equal(0);
    }
  });

  it(
    caggs
      ? 'takes the buckets of a whole-range query from the daily aggregate'
      : 'answers a whole-range query from the table',
    async () => {
      const answer = await ask(wholeRange);
      const raw = await ask(wholeRange, false);
      expectSameRows(answer.rows, raw.rows, describeQuery(wholeRange));
      expect(answer.rows.length).to.equal(DATA_DAYS * SENSORS.length);
      if (kind === 'timescale') {
        expect(answer.source).to.deep.equal({ kind: 'aggregate', name: 'reading_daily' });
      } else {
        expect(answer.source.kind).to.equal('table');
        expect(answer.source.reason).to.include(
          kind === 'postgres' ? 'without TimescaleDB' : 'not a continuous aggregate on this server',
        );
      }
    },
  );

  it(
    caggs
      ? 'answers min/first/last of level from the hourly aggregate, which alone has them'
      : 'answers min/first/last of level from the table',
    async () => {
      const q: Query = {
        ...wholeRange,
        options: {
          aggregations: ['min', 'first', 'last'],
          fields: ['level', 'price'],
          groupBySegment: true,
        },
      };
      const answer = await ask(q);
      expectSameRows(answer.rows, (await ask(q, false)).rows, describeQuery(q));
      expect(answer.source.name).to.equal(kind === 'timescale' ? 'reading_hourly' : 'reading');
    },
  );

  it('adds rows newer than the watermark from the table', async function () {
    this.timeout(600_000);
    await repo.insertMany(generateRows(2, DATA_END, DATA_END + 2 * DAY));
    const answer = await ask(wholeRange);
    const raw = await ask(wholeRange, false);
    expectSameRows(answer.rows, raw.rows, describeQuery(wholeRange));
    expect(answer.rows.length).to.equal((DATA_DAYS + 2) * SENSORS.length);
    if (kind === 'timescale') {
      expect(answer.source.name).to.equal('reading_daily');
      // The hourly level refreshed to the middle of a new day, then the daily level: its
      // bucket of that day is built from half of it, and only the hourly level's lower
      // watermark says so.
      await client.query(
        `CALL refresh_continuous_aggregate('reading_hourly', NULL, '${new Date(DATA_END + DAY / 2).toISOString()}')`,
      );
      await refresh('reading_daily');
      const after = await ask(wholeRange);
      expectSameRows(after.rows, (await ask(wholeRange, false)).rows, describeQuery(wholeRange));
      expect(after.source.name).to.equal('reading_daily');
    }
    const tally = await differential(repo, 60, 20261127, DATA_START, DATA_END + 2 * DAY);
    if (kind === 'timescale') expect(tally.aggregate).to.be.greaterThan(10);
  });

  it('answers from the table while changes inside the materialized range are pending', async function () {
    this.timeout(600_000);
    // Rows inside the tenth day, long materialized: its buckets are invalid until a refresh.
    await repo.insertMany(
      generateRows(3, DATA_START + 10 * DAY, DATA_START + 10 * DAY + 3_600_000),
    );
    const answer = await ask(wholeRange);
    expectSameRows(answer.rows, (await ask(wholeRange, false)).rows, describeQuery(wholeRange));
    expect(answer.source.kind).to.equal('table');
    if (kind === 'timescale') expect(answer.source.reason).to.include('pending invalidations');
    await differential(repo, 40, 20261128, DATA_START, DATA_END + 2 * DAY);
    if (kind !== 'timescale') return;
    // The hourly level refreshed: its changed buckets now invalidate the daily level.
    await refresh('reading_hourly');
    const hourly = await ask(wholeRange);
    expectSameRows(hourly.rows, (await ask(wholeRange, false)).rows, describeQuery(wholeRange));
    expect(hourly.source.name).to.equal('reading_hourly');
    await refresh('reading_daily');
    const daily = await ask(wholeRange);
    expectSameRows(daily.rows, (await ask(wholeRange, false)).rows, describeQuery(wholeRange));
    expect(daily.source.name).to.equal('reading_daily');
  });

  if (withApi) {
    describe('GET /api/readings/aggregate', () => {
      let app: FastifyInstance;
      let base: string;
      before(async () => {
        app = buildApi({ spec: SPEC, client, dialect: 'timescale', schema });
        base = await app.listen({ port: 0, host: '127.0.0.1' });
      });
      after(async () => {
        await app?.close();
      });

      it('names the continuous aggregate that answered in meta.source', async () => {
        const start = new Date(DATA_START + 3 * DAY + 5000).toISOString();
        const end = new Date(DATA_START + 20 * DAY).toISOString();
        const r = await fetch(
          `${base}/api/readings/aggregate?bucket=1%20day&start=${start}&end=${end}&aggs=max,count&fields=temp&sensor=s1`,
        );
        expect(r.status).to.equal(200);
        const body = (await r.json()) as { data: Row[]; meta: Record<string, unknown> };
        expect(body.meta).to.deep.equal({ count: 17, bucket: '1 day', source: 'reading_daily' });
        const raw = await repo.getTimeBucketAggregates('1 day', start, end, {
          aggregations: ['max', 'count'],
          fields: ['temp'],
          filters: { sensor: 's1' },
          useAggregates: false,
        });
        expect(body.data).to.deep.equal(
          raw.map((row) => ({ ...row, bucket: (row['bucket'] as Date).toISOString() })),
        );
        const other = await fetch(
          `${base}/api/readings/aggregate?bucket=1%20day&start=${start}&end=${end}&aggs=max&fields=temp&level=3`,
        );
        const otherBody = (await other.json()) as { meta: Record<string, unknown> };
        expect(otherBody.meta['source']).to.equal('reading');
      });
    });
  }
}

const onNative = (server: NativeServer) => () => createNativeDatabase(server);

describeNative(CURRENT_TSL, 'continuous aggregates answer queries exactly', (server) => {
  describeDifferential(onNative(server), 'timescale', true);
});
describeNative(
  { license: 'timescale', before213: true },
  'continuous aggregates answer queries exactly',
  (server) => {
    describeDifferential(onNative(server), 'timescale');
  },
);
describeNative(
  { license: 'apache' },
  'continuous aggregates (degraded views) leave queries to the table',
  (server) => {
    describeDifferential(onNative(server), 'apache');
  },
);
describe('continuous aggregates answer queries exactly on embedded TimescaleDB', () => {
  describeDifferential(createEmbeddedDatabase, 'timescale');
});
describe('continuous aggregates answer queries exactly on PostgreSQL (degraded views)', () => {
  describeDifferential(() => createServerDatabase('prism_cagg_query'), 'postgres');
});
