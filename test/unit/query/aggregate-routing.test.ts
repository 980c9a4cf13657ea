/** Which continuous aggregate may answer a time-bucket query exactly, or why none may. */
import { expect } from 'chai';
import {
  bucketsNest,
  buildAggregateQuery,
  columnMeanings,
  fixedZoneOffset,
  parseBucket,
  routeAggregateQuery,
  type RoutedRequest,
} from '../../../lib/query/index.js';
import { materializedRangeQuery, microsToTimestamp } from '../../../lib/query/aggregate-routing.js';
import { parseAggregateCall } from '../../../lib/sql/aggregate-call.js';
import { parseInterval, type Interval } from '../../../lib/sql/interval.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { AggregateColumn, ContinuousAggregate, Model } from '../../../lib/spec/types.js';

const loaded = parseSpec(
  `
models:
  - name: Reading
    fields:
      - { name: ts, type: datetime }
      - { name: sensor, type: string, max_length: 20 }
      - { name: site, type: string, max_length: 20 }
      - { name: temp, type: float, optional: true }
      - { name: level, type: int }
      - { name: ratio, type: real, optional: true }
    timeseries:
      time_column: ts
      compression: { enabled: true, after: 1 year, segment_by: [sensor], order_by: [ts DESC] }
`,
  'reading.yaml',
).spec.models[0] as Model;

function iv(text: string): Interval {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.interval;
}

function aggregate(
  name: string,
  bucket: string,
  columns: Record<string, string>,
  more: Partial<ContinuousAggregate> = {},
): ContinuousAggregate {
  return {
    name,
    bucket: { kind: 'interval', interval: iv(bucket) },
    groupBy: ['sensor'],
    columns: Object.entries(columns).map(([n, text]): AggregateColumn => {
      const call = parseAggregateCall(text);
      if (!call.ok) throw new Error(call.reason);
      return { name: n, function: call.function, argument: call.argument };
    }),
    realtime: false,
    ...more,
  };
}

const HOURLY = aggregate('reading_hourly', '1 hour', {
  avg_temp: 'avg(temp)',
  min_temp: 'min(temp)',
  max_temp: 'max(temp)',
  sum_temp: 'sum(temp)',
  samples: 'count(*)',
  first_temp: 'first(temp)',
  sum_level: 'sum(level)',
  sum_ratio: 'sum(ratio)',
  n_ratio: 'count(ratio)',
  max_ratio: 'max(ratio)',
});
const DAILY = aggregate(
  'reading_daily',
  '1 day',
  {
    max_temp: 'max(max_temp)',
    sum_temp: 'sum(sum_temp)',
    samples: 'sum(samples)',
    first_temp: 'first(first_temp)',
    sum_level: 'sum(sum_level)',
    avg_of_avg: 'avg(avg_temp)',
  },
  { from: 'reading_hourly' },
);
const MONTHLY = aggregate('reading_monthly', '1 month', { max_temp: 'max(temp)' });

function withAggregates(...aggregates: ContinuousAggregate[]): Model {
  return {
    ...loaded,
    timeseries: { ...(loaded.timeseries as NonNullable<Model['timeseries']>), aggregates },
  };
}

const model = withAggregates(HOURLY, DAILY, MONTHLY);

function route(request: Partial<RoutedRequest> & { bucket: string }, m = model) {
  const r = routeAggregateQuery(m, { aggregations: ['max'], fields: ['temp'], ...request });
  return {
    chosen: r.candidates.map((c) => c.aggregate.name),
    refused: Object.fromEntries(r.refused.map((x) => [x.aggregate ?? '*', x.reason])),
    candidates: r.candidates,
  };
}

describe('query: routing to continuous aggregates', () => {
  it('prefers the coarsest aggregate whose buckets nest in the requested ones', () => {
    expect(route({ bucket: '1 week' }).chosen).to.deep.equal(['reading_daily', 'reading_hourly']);
    expect(route({ bucket: '2 hours' }).chosen).to.deep.equal(['reading_hourly']);
    expect(route({ bucket: '2 hours' }).refused['reading_daily']).to.equal(
      '2 hours is not a whole number of 1 day',
    );
    expect(route({ bucket: '3 months' }).chosen).to.deep.equal([
      'reading_monthly',
      'reading_daily',
      'reading_hourly',
    ]);
    expect(route({ bucket: '90 minutes' }).chosen).to.deep.equal([]);
    expect(route({ bucket: '1 day' }).refused['reading_monthly']).to.equal(
      'its buckets are months, the requested ones are not',
    );
  });

  it('takes a time zone only when its offset is fixed and a multiple of the bucket', () => {
    expect(route({ bucket: '1 day', tz: 'UTC' }).chosen).to.deep.equal([
      'reading_daily',
      'reading_hourly',
    ]);
    const plus2 = route({ bucket: '1 day', tz: 'Etc/GMT-2' });
    expect(plus2.chosen).to.deep.equal(['reading_hourly']);
    expect(plus2.refused['reading_daily']).to.equal(
      "the time zone's offset is not a multiple of 1 day",
    );
    expect(route({ bucket: '1 month', tz: 'Etc/GMT+5' }).refused['reading_monthly']).to.equal(
      'its month buckets are UTC months, the requested ones local',
    );
    const oslo = route({ bucket: '1 day', tz: 'Europe/Oslo' });
    expect(oslo.chosen).to.deep.equal([]);
    expect(oslo.refused['*']).to.match(/Europe\/Oslo has rules/);
    expect(fixedZoneOffset('Etc/GMT+5')).to.equal(-5n * 3_600_000_000n);
    expect(fixedZoneOffset('Etc/GMT-14')).to.equal(14n * 3_600_000_000n);
    expect(fixedZoneOffset('etc/utc')).to.equal(0n);
    expect(fixedZoneOffset('Asia/Kolkata')).to.equal(undefined);
  });

  it('nests month buckets over buckets that divide a day only', () => {
    const month = parseBucket('1 month');
    expect(bucketsNest(month, iv('1 day'), 0n)).to.equal(undefined);
    expect(bucketsNest(month, iv('7 hours'), 0n)).to.match(/midnight/);
    expect(bucketsNest(month, iv('1 week'), 0n)).to.match(/midnight/);
    expect(bucketsNest(parseBucket('1 year'), iv('3 months'), 0n)).to.equal(undefined);
    expect(bucketsNest(parseBucket('2 months'), iv('3 months'), 0n)).to.match(/not a whole/);
  });

  it('needs filters and grouping on group-by columns', () => {
    expect(route({ bucket: '1 day', filters: { sensor: 's1' } }).chosen).to.have.length(2);
    expect(route({ bucket: '1 day', groupBySegment: true }).chosen).to.have.length(2);
    const bySite = route({ bucket: '1 day', filters: { site: 'x' } });
    expect(bySite.chosen).to.deep.equal([]);
    expect(bySite.refused['reading_hourly']).to.equal('site is not one of its group-by columns');
    const groupedBySite = withAggregates({ ...HOURLY, groupBy: ['site'] });
    expect(route({ bucket: '1 day', groupBySegment: true }, groupedBySite).refused).to.deep.equal({
      reading_hourly: 'sensor is not one of its group-by columns',
    });
  });

  it('orders first/last only when every group-by column is fixed', () => {
    const loose = route({ bucket: '1 day', aggregations: ['first'] });
    expect(loose.chosen).to.deep.equal([]);
    expect(loose.refused['reading_daily']).to.match(/first\/last across its sensor groups/);
    expect(
      route({ bucket: '1 day', aggregations: ['first'], groupBySegment: true }).chosen,
    ).to.deep.equal(['reading_daily', 'reading_hourly']);
    expect(
      route({ bucket: '1 day', aggregations: ['first'], filters: { sensor: 's' } }).chosen,
    ).to.deep.equal(['reading_daily', 'reading_hourly']);
  });

  it('refuses first/last from a level that groups less than its source', () => {
    const coarse = withAggregates({ ...HOURLY, groupBy: ['sensor', 'site'] }, DAILY);
    const r = route({ bucket: '1 day', aggregations: ['first'], filters: { sensor: 's' } }, coarse);
    expect(r.chosen).to.deep.equal([]);
    expect(r.refused['reading_daily']).to.match(/first\/last across its site groups/);
    expect(
      route({ bucket: '1 day', aggregations: ['max'], filters: { sensor: 's' } }, coarse).chosen,
    ).to.deep.equal(['reading_daily', 'reading_hourly']);
  });

  it('derives each aggregation from the columns that combine exactly', () => {
    const avg = route({ bucket: '1 day', aggregations: ['avg'], fields: ['temp'] });
    // temp is optional: count(*) is not count(temp), so avg(temp) has no count anywhere.
    expect(avg.chosen).to.deep.equal([]);
    expect(avg.refused['reading_hourly']).to.equal('it has no columns that give avg(temp)');
    // level is NOT NULL: count(*) counts its values, sum(count) too on the daily level.
    const level = route({
      bucket: '1 day',
      aggregations: ['avg', 'sum', 'count'],
      fields: ['level'],
    });
    expect(level.chosen).to.deep.equal(['reading_daily', 'reading_hourly']);
    expect(level.candidates[0]?.columns).to.deep.equal({
      'sum(level)': 'sum_level',
      'count(level)': 'samples',
    });
    // A real sum rounds to single precision per bucket: never from an aggregate.
    const ratio = route({ bucket: '1 day', aggregations: ['sum'], fields: ['ratio'] });
    expect(ratio.refused['reading_hourly']).to.equal('it has no columns that give sum(ratio)');
    expect(
      route({ bucket: '1 day', aggregations: ['max', 'count'], fields: ['ratio'] }).chosen,
    ).to.deep.equal(['reading_hourly']);
    expect(
      route({ bucket: '1 day', aggregations: ['min'], fields: ['temp'] }).refused['reading_daily'],
    ).to.equal('it has no columns that give min(temp)');
  });

  it('follows a hierarchy down to the fields, leaving out what does not combine', () => {
    const meanings = Object.fromEntries(columnMeanings(model, DAILY));
    expect(meanings).to.deep.equal({
      max_temp: { partial: 'max', field: 'temp' },
      sum_temp: { partial: 'sum', field: 'temp' },
      samples: { partial: 'count', field: undefined },
      first_temp: { partial: 'first', field: 'temp' },
      sum_level: { partial: 'sum', field: 'level' },
    });
    const orphan = withAggregates({ ...DAILY, from: 'missing' });
    expect(route({ bucket: '1 day' }, orphan).refused['reading_daily']).to.match(
      /not an aggregate/,
    );
  });

  it('answers from the table without aggregates, or for a timestamp time column', () => {
    expect(route({ bucket: '1 day' }, loaded).refused).to.deep.equal({
      '*': 'the model has no continuous aggregates',
    });
    const naive = withAggregates(HOURLY);
    const naiveModel: Model = {
      ...naive,
      fields: naive.fields.map((f) => (f.name === 'ts' ? { ...f, type: 'timestamp' } : f)),
    };
    expect(route({ bucket: '1 day' }, naiveModel).refused['*']).to.match(/without time zone/);
  });

  it('builds one query combining the view buckets of a span with the table rows outside it', () => {
    const q = buildAggregateQuery(model, {
      dialect: 'timescale',
      bucket: '1 day',
      start: '2026-01-01T03:00:00Z',
      end: '2026-01-09',
      aggregations: ['avg', 'count', 'first'],
      fields: ['level'],
      groupBySegment: true,
      filters: { sensor: 's1' },
      materialized: {
        view: { name: 'reading_daily' },
        bucket: '1 day',
        from: '2026-01-02T00:00:00.000000Z',
        to: '2026-01-08T00:00:00.000000Z',
        columns: {
          'sum(level)': 'sum_level',
          'count(level)': 'samples',
          'first(level)': 'first_level',
        },
      },
    });
    expect(q.sql).to.equal(
      `SELECT p.b, p.k0, (sum(p.p0)::numeric / NULLIF(sum(p.p1), 0)::numeric) AS a0, sum(p.p1)::bigint AS a1, "public".first(p.p2, p.of) AS a2` +
        ` FROM (SELECT "public".time_bucket($6::interval, v.bucket) AS b, v."sensor" AS k0, v."sum_level" AS p0, v."samples" AS p1, v."first_level" AS p2, v.bucket AS of, v.bucket AS ol` +
        ` FROM "reading_daily" v WHERE v.bucket >= $4::timestamptz AND v.bucket < $5::timestamptz AND v."sensor" = $7` +
        ` UNION ALL SELECT "public".time_bucket($6::interval, t."ts") AS b, t."sensor" AS k0, sum(t."level") AS p0, count(t."level") AS p1, "public".first(t."level", t."ts") AS p2, min(t."ts") AS of, max(t."ts") AS ol` +
        ` FROM "reading" t WHERE t."ts" >= $1::timestamptz AND t."ts" < $2::timestamptz AND t."sensor" = $3 AND (t."ts" < $4::timestamptz OR t."ts" >= $5::timestamptz) GROUP BY 1, 2) p GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(q.parameters).to.deep.equal([
      '2026-01-01T03:00:00Z',
      '2026-01-09T00:00:00Z',
      's1',
      '2026-01-02T00:00:00.000000Z',
      '2026-01-08T00:00:00.000000Z',
      '1 day',
      's1',
    ]);
  });

  it('reads the materialized span with the watermark of every level and the invalidation logs', () => {
    const q = materializedRangeQuery(
      model,
      { name: 'reading_daily' },
      iv('1 day'),
      '2026-01-01T03:00:00Z',
      '2026-01-09',
      '"public"',
      false,
    );
    expect(q.parameters).to.deep.equal([
      'public',
      'reading_daily',
      '1 day',
      '2026-01-01T03:00:00Z',
      '2026-01-09T00:00:00Z',
      'public',
      'reading',
    ]);
    expect(q.sql).to.include(
      'min(_timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(chain.mat_hypertable_id)))',
    );
    expect(q.sql).to.include('continuous_aggs_hypertable_invalidation_log');
    expect(q.sql).to.include('continuous_aggs_materialization_invalidation_log');
    expect(q.sql).not.to.include('continuous_aggs_materialization_ranges');
    expect(
      materializedRangeQuery(
        model,
        { name: 'v' },
        iv('1 day'),
        '2026-01-01',
        '2026-01-02',
        '"public"',
        true,
      ).sql,
    ).to.include('continuous_aggs_materialization_ranges');
  });

  it('writes Unix microseconds as RFC 3339 with six fraction digits', () => {
    expect(microsToTimestamp('1767574800000000')).to.equal('2026-01-05T01:00:00.000000Z');
    expect(microsToTimestamp(1767574800123456n)).to.equal('2026-01-05T01:00:00.123456Z');
    expect(microsToTimestamp(-1n)).to.equal('1969-12-31T23:59:59.999999Z');
  });
});
