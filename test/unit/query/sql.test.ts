/** The query layer's SQL builders: exact SQL and parameters, and hostile input refused. */
import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import {
  MAX_LIMIT,
  buildAggregateQuery,
  buildLatestQuery,
  buildRangeQuery,
  defaultAggregateFields,
  parseBucket,
  validateRows,
  type AggregateQueryInput,
} from '../../../lib/query/index.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { Model } from '../../../lib/spec/types.js';

const SPEC = `
models:
  - name: Reading
    fields:
      - { name: id, type: uuid, primary_key: true }
      - { name: ts, type: datetime }
      - { name: source, type: string, max_length: 50 }
      - { name: value, type: float, optional: true }
      - { name: level, type: int, optional: true }
      - { name: note, type: text, optional: true }
      - { name: big, type: bigint, optional: true }
      - { name: created, type: datetime, default: now() }
    timeseries:
      time_column: ts
      compression: { enabled: true, after: 1 year, segment_by: [source], order_by: [ts DESC] }
  - name: Plain
    fields:
      - { name: id, type: int, primary_key: true }
`;

const spec = parseSpec(SPEC, 'query.yaml').spec;
const loaded = spec.models[0] as Model;
// The spec only allows plain names; a hand-built model may hold any name, quoted always.
const model: Model = {
  ...loaded,
  fields: loaded.fields.map((f) => (f.name === 'big' ? { ...f, name: 'we"ird' } : f)),
};
const plain = spec.models[1] as Model;
const COLS = `t."id", t."ts", t."source", t."value", t."level", t."note", t."we""ird", t."created"`;
const RANGE = `t."ts" >= $1::timestamptz AND t."ts" < $2::timestamptz`;
const BASE = { start: '2026-01-01', end: '2026-01-02T00:00:00Z' } as const;

function refused(fn: () => unknown, message: RegExp): void {
  let failure: unknown;
  try {
    fn();
  } catch (e) {
    failure = e;
  }
  expect(failure, String(message)).to.be.instanceOf(UsageError);
  expect((failure as Error).message).to.match(message);
}

function agg(input: Partial<AggregateQueryInput>) {
  return buildAggregateQuery(model, {
    dialect: 'postgres',
    bucket: '1 hour',
    ...BASE,
    ...input,
  } as AggregateQueryInput);
}

describe('query builders', () => {
  describe('range query', () => {
    it('bounds the range, filters by parameters, orders by time then key, caps the limit', () => {
      const q = buildRangeQuery(model, {
        ...BASE,
        filters: { source: 's1', note: null, level: 3 },
        limit: 50_000,
        order: 'desc',
      });
      expect(q.sql).to.equal(
        `SELECT ${COLS} FROM "reading" t WHERE ${RANGE} AND t."source" = $3 AND t."note" IS NULL AND t."level" = $4 ORDER BY t."ts" DESC, t."id" ASC LIMIT $5`,
      );
      expect(q.parameters).to.deep.equal([
        '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z',
        's1',
        3,
        MAX_LIMIT,
      ]);
      expect(Object.isFrozen(q)).to.equal(true);
      expect(Object.isFrozen(q.parameters)).to.equal(true);
    });

    it('defaults to ascending order and 1,000 rows; Dates become ISO text', () => {
      const q = buildRangeQuery(model, {
        start: new Date(Date.UTC(2026, 0, 1)),
        end: new Date(Date.UTC(2026, 0, 2)),
      });
      expect(q.sql).to.equal(
        `SELECT ${COLS} FROM "reading" t WHERE ${RANGE} ORDER BY t."ts" ASC, t."id" ASC LIMIT $3`,
      );
      expect(q.parameters).to.deep.equal([
        '2026-01-01T00:00:00.000Z',
        '2026-01-02T00:00:00.000Z',
        1000,
      ]);
    });

    it('keeps hostile values as parameters and quotes odd field names', () => {
      const evil = "x'; DROP TABLE reading; --";
      const q = buildRangeQuery(model, { ...BASE, filters: { source: evil, 'we"ird': 5n } });
      expect(q.sql).to.not.include('DROP');
      expect(q.sql).to.include(`t."we""ird" = $4`);
      expect(q.parameters).to.deep.equal([
        '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z',
        evil,
        '5',
        1000,
      ]);
    });

    it('refuses unknown filter fields, bad values, limits, orders and times', () => {
      refused(
        () => buildRangeQuery(model, { ...BASE, filters: { 'source" OR 1=1 --': 'x' } }),
        /unknown filter field "source\\" OR 1=1 --"/,
      );
      refused(
        () => buildRangeQuery(model, { ...BASE, filters: { source: { $ne: 1 } as never } }),
        /filter source: expected a string, got object/,
      );
      refused(
        () => buildRangeQuery(model, { ...BASE, filters: { level: Number.NaN } }),
        /filter level: expected a 32-bit whole number, got NaN/,
      );
      refused(
        () => buildRangeQuery(model, { ...BASE, filters: { id: "1' OR '1'='1" } }),
        /filter id: expected a UUID string/,
      );
      refused(
        () => buildRangeQuery(model, { ...BASE, filters: { level: '1; DROP' } }),
        /filter level: expected a 32-bit whole number, got "1; DROP"/,
      );
      for (const limit of [0, -1, 1.5, Number.NaN, '10' as never]) {
        refused(() => buildRangeQuery(model, { ...BASE, limit }), /limit must be/);
      }
      refused(
        () => buildRangeQuery(model, { ...BASE, order: 'asc; DROP' as never }),
        /order must be 'asc' or 'desc'/,
      );
      refused(
        () => buildRangeQuery(model, { ...BASE, start: "now()'" }),
        /start must be an RFC 3339/,
      );
      refused(
        () => buildRangeQuery(model, { ...BASE, end: '2025-12-31' }),
        /end .* must be after start/,
      );
      refused(
        () => buildRangeQuery(model, { ...BASE, end: new Date(Number.NaN) }),
        /end is an invalid Date/,
      );
      refused(() => buildRangeQuery(plain, BASE), /not a timeseries model/);
    });
  });

  describe('time-bucket aggregates', () => {
    it('timescale: schema-qualified time_bucket, first/last by time, default avg of numeric non-key fields', () => {
      const q = buildAggregateQuery(model, {
        dialect: 'timescale',
        schema: 'tsdb',
        bucket: '60 minutes',
        ...BASE,
        aggregations: ['avg', 'first', 'last'],
        fields: ['value'],
      });
      expect(q.sql).to.equal(
        `SELECT "tsdb".time_bucket($3::interval, t."ts") AS b, avg(t."value") AS a0, "tsdb".first(t."value", t."ts") AS a1, "tsdb".last(t."value", t."ts") AS a2 FROM "reading" t WHERE ${RANGE} GROUP BY 1 ORDER BY 1`,
      );
      expect(q.parameters).to.deep.equal([
        '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z',
        '60 minutes',
      ]);
      expect(q.columns.map((c) => c.name)).to.deep.equal([
        'bucket',
        'avg_value',
        'first_value',
        'last_value',
      ]);
      expect(defaultAggregateFields(model)).to.deep.equal(['value', 'level', 'we"ird']);
      const d = buildAggregateQuery(model, { dialect: 'timescale', bucket: '1 day', ...BASE });
      expect(d.sql).to.include(`"public".time_bucket($3::interval, t."ts") AS b`);
      expect(d.columns.map((c) => c.name)).to.deep.equal([
        'bucket',
        'avg_value',
        'avg_level',
        'avg_we"ird',
      ]);
    });

    it('timescale with tz passes the zone as a parameter', () => {
      const q = buildAggregateQuery(model, {
        dialect: 'timescale',
        bucket: '1 day',
        ...BASE,
        tz: 'Europe/Oslo',
        fields: ['level'],
        aggregations: ['count'],
      });
      expect(q.sql).to.equal(
        `SELECT "public".time_bucket($4::interval, t."ts", $3::text) AS b, count(t."level") AS a0 FROM "reading" t WHERE ${RANGE} GROUP BY 1 ORDER BY 1`,
      );
      expect(q.parameters).to.deep.equal([
        '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z',
        'Europe/Oslo',
        '1 day',
      ]);
    });

    it('postgres: date_bin with the time_bucket origin in UTC, or in local time with tz; array_agg for last', () => {
      const q = agg({
        bucket: '15 minutes',
        aggregations: ['last', 'count'],
        fields: ['level'],
        groupBySegment: true,
        filters: { source: 's1' },
      });
      expect(q.sql).to.equal(
        `SELECT date_bin($4::interval, t."ts", timestamptz '2000-01-03 00:00:00+00') AS b, t."source" AS k0, (array_agg(t."level" ORDER BY t."ts" DESC) FILTER (WHERE t."ts" IS NOT NULL))[1] AS a0, count(t."level") AS a1 FROM "reading" t WHERE ${RANGE} AND t."source" = $3 GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      expect(q.parameters).to.deep.equal([
        '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z',
        's1',
        '15 minutes',
      ]);
      expect(q.columns.map((c) => c.name)).to.deep.equal([
        'bucket',
        'source',
        'last_level',
        'count_level',
      ]);
      const tz = agg({ bucket: '1 week', tz: 'Europe/Oslo', fields: ['value'] });
      expect(tz.sql).to.equal(
        `SELECT (date_bin($4::interval, (t."ts") AT TIME ZONE $3::text, timestamp '2000-01-03 00:00:00') AT TIME ZONE $3::text) AS b, avg(t."value") AS a0 FROM "reading" t WHERE ${RANGE} GROUP BY 1 ORDER BY 1`,
      );
    });

    it('postgres: date_trunc in UTC (or tz) for 1 month and 1 year; other month widths refused', () => {
      const month = agg({ bucket: '1 month', fields: ['value'], aggregations: ['first'] });
      expect(month.sql).to.equal(
        `SELECT date_trunc('month', t."ts", 'UTC') AS b, (array_agg(t."value" ORDER BY t."ts" ASC) FILTER (WHERE t."ts" IS NOT NULL))[1] AS a0 FROM "reading" t WHERE ${RANGE} GROUP BY 1 ORDER BY 1`,
      );
      expect(month.parameters).to.deep.equal(['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z']);
      const year = agg({ bucket: '12 months', fields: ['value'], tz: 'Asia/Kolkata' });
      expect(year.sql).to.include(`date_trunc('year', t."ts", $3::text) AS b`);
      expect(year.parameters).to.deep.equal([
        '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z',
        'Asia/Kolkata',
      ]);
      const quarter = agg({ bucket: '3 months', fields: ['value'] });
      expect(quarter.sql).to.include(
        `((timestamp '2000-01-01 00:00:00' + make_interval(months => (floor(((extract(year from ((t."ts") AT TIME ZONE 'UTC'))::int - 2000) * 12 + extract(month from ((t."ts") AT TIME ZONE 'UTC'))::int - 1)::numeric / (extract(year from $3::interval)::int * 12 + extract(month from $3::interval)::int)) * (extract(year from $3::interval)::int * 12 + extract(month from $3::interval)::int))::int)) AT TIME ZONE 'UTC') AS b`,
      );
      expect(quarter.parameters).to.deep.equal([
        '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z',
        '3 months',
      ]);
      refused(() => agg({ bucket: '1 month 2 days' }), /cannot also have days/);
      expect(() =>
        buildAggregateQuery(model, { dialect: 'timescale', bucket: '3 months', ...BASE }),
      ).to.not.throw();
    });

    /** The aggregates, bucket series and keys both gap-filling forms start with. */
    const DAILY_BY_SOURCE =
      `WITH a AS (SELECT date_bin($3::interval, t."ts", timestamptz '2000-01-03 00:00:00+00') AS b, t."source" AS k0, count(t."level") AS a0, max(t."level") AS a1 FROM "reading" t WHERE ${RANGE} GROUP BY 1, 2),` +
      ` s AS (SELECT DISTINCT (g AT TIME ZONE 'UTC') AS b FROM generate_series((date_bin($3::interval, $1::timestamptz, timestamptz '2000-01-03 00:00:00+00')) AT TIME ZONE 'UTC', $2::timestamptz AT TIME ZONE 'UTC', $3::interval) g WHERE (g AT TIME ZONE 'UTC') < $2::timestamptz),` +
      ` k AS (SELECT DISTINCT t."source" AS k0 FROM "reading" t WHERE ${RANGE})`;

    it('gapfill: generate_series over the bounded range, finish excluded, LEFT JOIN, count 0', () => {
      const q = agg({
        bucket: '1 day',
        gapfill: true,
        groupBySegment: true,
        aggregations: ['count', 'max'],
        fields: ['level'],
      });
      expect(q.sql).to.equal(
        `${DAILY_BY_SOURCE}` +
          ` SELECT s.b, k.k0, COALESCE(a.a0, 0) AS a0, a.a1 FROM s CROSS JOIN k LEFT JOIN a ON a.b = s.b AND a.k0 = k.k0 ORDER BY 1, 2`,
      );
      expect(q.parameters).to.deep.equal(['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '1 day']);
    });

    it('gapfill locf: buckets with rows numbered per key, first_value of that number carries forward', () => {
      const q = agg({
        bucket: '1 day',
        gapfill: 'locf',
        groupBySegment: true,
        aggregations: ['count', 'max'],
        fields: ['level'],
      });
      expect(q.sql).to.equal(
        `${DAILY_BY_SOURCE},` +
          ` f AS (SELECT s.b, k.k0, a.a0, a.a1, count(a.b) OVER (PARTITION BY k.k0 ORDER BY s.b) AS g FROM s CROSS JOIN k LEFT JOIN a ON a.b = s.b AND a.k0 = k.k0)` +
          ` SELECT f.b, f.k0, COALESCE(f.a0, 0) AS a0, first_value(f.a1) OVER w AS a1 FROM f WINDOW w AS (PARTITION BY f.k0, f.g ORDER BY f.b) ORDER BY 1, 2`,
      );
      const single = agg({
        bucket: '1 day',
        gapfill: 'locf',
        aggregations: ['avg'],
        fields: ['level'],
      });
      expect(single.sql).to.include(
        'f AS (SELECT s.b, a.a0, count(a.b) OVER (ORDER BY s.b) AS g FROM s LEFT JOIN a ON a.b = s.b)',
      );
      expect(single.sql).to.include('WINDOW w AS (PARTITION BY f.g ORDER BY f.b)');
      refused(
        () => agg({ gapfill: 'interpolate' as never }),
        /gapfill must be true, false or 'locf', got "interpolate"/,
      );
    });

    it('refuses hostile buckets, aggregations, fields, zones and too many buckets', () => {
      for (const bucket of ["1 hour'; DROP TABLE x; --", '1 fortnight', '0 days', '', 'hour', 5]) {
        refused(() => agg({ bucket: bucket as string }), /^bucket: /);
      }
      refused(() => agg({ aggregations: ['median' as never] }), /unknown aggregation "median"/);
      refused(() => agg({ aggregations: ['avg); DROP' as never] }), /unknown aggregation/);
      refused(() => agg({ aggregations: [] }), /non-empty list/);
      refused(() => agg({ fields: ['nope'] }), /unknown aggregate field "nope"/);
      refused(() => agg({ fields: ['note'] }), /note is text, not a numeric field/);
      for (const tz of ["UTC'; --", 'Europe/../../etc', '', 'a b']) {
        refused(() => agg({ tz }), /invalid time zone/);
      }
      refused(() => agg({ dialect: 'mysql' as never }), /dialect must be/);
      refused(
        () => agg({ bucket: '1 second', start: '2026-01-01', end: '2026-02-01' }),
        /more than 100000/,
      );
      refused(
        () => buildAggregateQuery(plain, { dialect: 'postgres', bucket: '1 day', ...BASE }),
        /not a timeseries model/,
      );
      refused(() => agg({ schema: '' }), /TimescaleDB schema must be a non-empty string/);
    });

    it('parses bucket widths with the interval grammar', () => {
      expect(parseBucket('2 HOURS').interval.text).to.equal('2 hours');
      expect(parseBucket('1 year').truncUnit).to.equal('year');
      expect(parseBucket('1 month').truncUnit).to.equal('month');
      expect(parseBucket('2 months').truncUnit).to.equal(undefined);
      expect(parseBucket('12 months').truncUnit).to.equal('year');
      expect(parseBucket('4 weeks').truncUnit).to.equal(undefined);
    });
  });

  it('takes numbers and booleans as text in filters (query strings carry text)', () => {
    const q = buildRangeQuery(model, { ...BASE, filters: { level: '42', value: '-1.5e2' } });
    expect(q.parameters.slice(2, 4)).to.deep.equal([42, -150]);
  });

  describe('latest', () => {
    it('the latest row, by time then key', () => {
      const q = buildLatestQuery(model, { filters: { source: 's1' } });
      expect(q.sql).to.equal(
        `SELECT ${COLS} FROM "reading" t WHERE true AND t."source" = $1 ORDER BY t."ts" DESC, t."id" ASC LIMIT 1`,
      );
      expect(q.parameters).to.deep.equal(['s1']);
    });

    it('per segment key: a recursive loose index scan and a LATERAL lookup, not DISTINCT ON', () => {
      const q = buildLatestQuery(model, { perSegment: true, filters: { level: 3 } });
      expect(q.sql).to.equal(
        `WITH RECURSIVE d(k0) AS ((SELECT t."source" FROM "reading" t WHERE t."source" IS NOT NULL AND t."level" = $1 ORDER BY t."source" LIMIT 1)` +
          ` UNION ALL SELECT (SELECT u."source" FROM "reading" u WHERE u."source" > d.k0 AND u."level" = $2 ORDER BY u."source" LIMIT 1) FROM d WHERE d.k0 IS NOT NULL)` +
          ` SELECT l.* FROM d CROSS JOIN LATERAL (SELECT ${COLS} FROM "reading" t WHERE t."source" = d.k0 AND t."level" = $1 ORDER BY t."ts" DESC, t."id" ASC LIMIT 1) l ORDER BY d.k0 LIMIT $3`,
      );
      expect(q.parameters).to.deep.equal([3, 3, 10_000]);
      expect(q.sql).to.not.include('DISTINCT ON');
    });

    it('per segment key without an index on the key: one DISTINCT ON pass, same order and ties', () => {
      const q = buildLatestQuery(model, {
        perSegment: true,
        filters: { level: 3 },
        strategy: 'scan',
        limit: 50,
      });
      expect(q.sql).to.equal(
        `SELECT DISTINCT ON (t."source") ${COLS} FROM "reading" t WHERE t."source" IS NOT NULL AND t."level" = $1` +
          ` ORDER BY t."source", t."ts" DESC, t."id" ASC LIMIT $2`,
      );
      expect(q.parameters).to.deep.equal([3, 50]);
      const capped = buildLatestQuery(model, { perSegment: true, limit: 99_999 });
      expect(capped.parameters).to.deep.equal([10_000]);
      refused(() => buildLatestQuery(model, { perSegment: true, limit: 0 }), /limit must be/);
    });

    it('refuses unknown filters and per-segment without a segment key', () => {
      refused(
        () => buildLatestQuery(model, { filters: { bogus: 1 } }),
        /unknown filter field "bogus"/,
      );
      const noKey = {
        ...model,
        timeseries: { ...model.timeseries, compression: undefined },
      } as Model;
      refused(() => buildLatestQuery(noKey, { perSegment: true }), /has no segment key/);
    });
  });

  describe('row validation for insertMany', () => {
    const row = {
      id: '0b6d2f0e-8a43-4a5e-9a8e-1f0c2b3d4e5f',
      ts: '2026-01-01T00:00:00Z',
      source: 's',
    };

    it('accepts valid rows and converts values for parameters', () => {
      const [v] = validateRows(model, [{ ...row, value: 1.5, 'we"ird': 2n ** 40n, note: null }]);
      expect(Object.fromEntries(v as Map<string, unknown>)).to.deep.equal({
        ...row,
        value: 1.5,
        'we"ird': String(2n ** 40n),
        note: null,
      });
    });

    it('names the row and field of every problem', () => {
      const cases: [unknown, RegExp][] = [
        [{ ...row, bogus: 1 }, /^row 1: unknown field "bogus"/],
        [{ ...row, level: 1.5 }, /^row 1: field level: expected a 32-bit whole number, got 1.5/],
        [{ ...row, level: 2 ** 31 }, /^row 1: field level: expected a 32-bit/],
        [{ ...row, value: 'NaN' }, /^row 1: field value: expected a finite number/],
        [{ ...row, id: "x'; --" }, /^row 1: field id: expected a UUID/],
        [{ ...row, ts: 'yesterday' }, /^row 1: field ts: expected a Date or an RFC 3339/],
        [
          { ...row, source: 'x'.repeat(51) },
          /^row 1: field source: expected at most 50 characters/,
        ],
        [{ ...row, 'we"ird': '1e3' }, /^row 1: field we"ird: expected a 64-bit whole number/],
        [{ ...row, 'we"ird': (2n ** 63n).toString() }, /^row 1: field we"ird: expected a 64-bit/],
        [{ ...row, source: null }, /^row 1: field source is not optional, got null/],
        [{ id: row.id, ts: row.ts }, /^row 1: field source is missing/],
        ['a row', /^row 1: expected an object/],
      ];
      for (const [bad, message] of cases) {
        refused(() => validateRows(model, [row, bad]), message);
      }
    });

    it('lets fields with defaults and optional fields be left out', () => {
      const [v] = validateRows(model, [row]);
      expect([...(v as Map<string, unknown>).keys()]).to.deep.equal(['id', 'ts', 'source']);
    });
  });
});
