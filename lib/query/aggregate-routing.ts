/**
 * Whether a time-bucket aggregate query can be answered from one of the model's continuous
 * aggregates with the raw query's exact numbers, and which one.
 *
 * The pure part (`routeAggregateQuery`) decides from the model alone: the requested bucket
 * must be a union of whole aggregate buckets (same alignment), the filters and grouping must
 * be on the aggregate's group-by columns, and every requested aggregation must combine from
 * its columns. The database part (`materializedRangeQuery`) then finds the span of buckets
 * that are fully inside the requested range, below the materialized watermark of every level
 * of the aggregate, and free of pending invalidations; the rest comes from the table.
 */
import type { Interval } from '../sql/interval.js';
import type { ContinuousAggregate, Field, Model } from '../spec/types.js';
import {
  defaultAggregateFields,
  parseBucket,
  partialKey,
  partialsOf,
  segmentKeyOf,
  timeColumnOf,
  timeParameter,
  type Aggregation,
  type BuiltQuery,
  type Filters,
  type Partial,
} from './sql.js';

const DAY_MICROS = 86_400_000_000n;
const HOUR_MICROS = 3_600_000_000n;
const MONTH_MICROS = 30n * DAY_MICROS;

/** What one aggregate column holds, in terms of the model's fields. */
export interface ColumnMeaning {
  readonly partial: Partial;
  /** The model field; undefined for `count(*)`. */
  readonly field: string | undefined;
}

/** A usable aggregate: its view columns per `partialKey(partial, field)`. */
export interface AggregateCandidate {
  readonly aggregate: ContinuousAggregate;
  readonly bucket: Interval;
  readonly columns: Readonly<Record<string, string>>;
}

export interface AggregateRouting {
  /** Usable aggregates, coarsest bucket first; empty: answer from the table. */
  readonly candidates: readonly AggregateCandidate[];
  /** Why each other aggregate (or all of them) cannot answer. */
  readonly refused: readonly { readonly aggregate: string | undefined; readonly reason: string }[];
}

export interface RoutedRequest {
  readonly bucket: string;
  readonly tz?: string | undefined;
  readonly filters?: Filters | undefined;
  readonly aggregations?: readonly Aggregation[] | undefined;
  readonly fields?: readonly string[] | undefined;
  readonly groupBySegment?: boolean | undefined;
}

const UTC_NAMES = new Set(
  [
    'UTC',
    'UCT',
    'Universal',
    'Zulu',
    'GMT',
    'GMT0',
    'GMT+0',
    'GMT-0',
    'Greenwich',
    'Etc/UTC',
    'Etc/UCT',
    'Etc/Universal',
    'Etc/Zulu',
    'Etc/GMT',
    'Etc/GMT0',
    'Etc/Greenwich',
  ].map((n) => n.toLowerCase()),
);

/**
 * The fixed UTC offset of a zone that has one by definition (UTC and its aliases, and the
 * `Etc/GMT±N` zones, whose sign is POSIX-inverted: Etc/GMT+5 is UTC−5), in microseconds;
 * undefined for any zone with rules (DST, historical changes), which cannot be proven aligned.
 */
export function fixedZoneOffset(tz: string | undefined): bigint | undefined {
  if (tz === undefined || UTC_NAMES.has(tz.toLowerCase())) return 0n;
  const m = /^Etc\/GMT([+-])(\d{1,2})$/i.exec(tz);
  if (m === null) return undefined;
  const hours = BigInt(m[2] as string);
  if (hours > 14n) return undefined;
  return (m[1] === '+' ? -hours : hours) * HOUR_MICROS;
}

function months(interval: Interval): bigint {
  return interval.micros / MONTH_MICROS;
}

/**
 * Whether every requested bucket is a union of whole aggregate buckets. Both use
 * time_bucket's origins (2000-01-03 for widths without months, 2000-01 for months); the
 * aggregate's buckets are UTC-aligned, the requested ones local to `offset`.
 */
export function bucketsNest(
  requested: { readonly interval: Interval; readonly hasMonths: boolean },
  aggregate: Interval,
  offset: bigint,
): string | undefined {
  const aggregateHasMonths = /\b(month|year)s?\b/.test(aggregate.text);
  if (aggregateHasMonths) {
    if (!requested.hasMonths) return 'its buckets are months, the requested ones are not';
    if (offset !== 0n) return 'its month buckets are UTC months, the requested ones local';
    return months(requested.interval) % months(aggregate) === 0n
      ? undefined
      : `${requested.interval.text} is not a whole number of ${aggregate.text}`;
  }
  if (offset % aggregate.micros !== 0n) {
    return `the time zone's offset is not a multiple of ${aggregate.text}`;
  }
  if (requested.hasMonths) {
    return DAY_MICROS % aggregate.micros === 0n
      ? undefined
      : `month buckets start at midnight, which ${aggregate.text} buckets do not all`;
  }
  return requested.interval.micros % aggregate.micros === 0n
    ? undefined
    : `${requested.interval.text} is not a whole number of ${aggregate.text}`;
}

/**
 * What each column of an aggregate holds, following `from` down to the table: min of mins
 * is a min, max of maxes a max, sum of sums a sum, sum of counts a count, first of firsts a
 * first, last of lasts a last. Columns that do not combine (avg, stddev, other nestings) are
 * left out.
 */
export function columnMeanings(
  model: Model,
  aggregate: ContinuousAggregate,
): ReadonlyMap<string, ColumnMeaning> {
  const all = model.timeseries?.aggregates ?? [];
  const resolve = (a: ContinuousAggregate, seen: Set<string>): Map<string, ColumnMeaning> => {
    const out = new Map<string, ColumnMeaning>();
    const parent =
      a.from === undefined || seen.has(a.from) ? undefined : all.find((p) => p.name === a.from);
    if (a.from !== undefined && parent === undefined) return out;
    const below = parent === undefined ? undefined : resolve(parent, new Set([...seen, a.name]));
    for (const column of a.columns) {
      const fn = column.function;
      if (below === undefined) {
        if (fn === 'count') out.set(column.name, { partial: 'count', field: column.argument });
        else if (fn !== 'avg' && fn !== 'stddev' && column.argument !== undefined)
          out.set(column.name, { partial: fn, field: column.argument });
        continue;
      }
      const inner = column.argument === undefined ? undefined : below.get(column.argument);
      if (inner === undefined) continue;
      const combines =
        (fn === 'sum' && (inner.partial === 'sum' || inner.partial === 'count')) ||
        (fn === inner.partial && fn !== 'sum' && fn !== 'count');
      if (combines) out.set(column.name, inner);
    }
    return out;
  };
  return resolve(aggregate, new Set());
}

/** The view column that gives `partial` of `field`, if any. */
function columnFor(
  meanings: ReadonlyMap<string, ColumnMeaning>,
  partial: Partial,
  field: Field,
): string | undefined {
  const find = (f: string | undefined): string | undefined => {
    for (const [name, m] of meanings) if (m.partial === partial && m.field === f) return name;
    return undefined;
  };
  const exact = find(field.name);
  if (exact !== undefined || partial !== 'count') return exact;
  // count(*) counts the rows, which is count(field) when the field cannot be NULL.
  return field.optional ? undefined : find(undefined);
}

function chain(model: Model, aggregate: ContinuousAggregate): ContinuousAggregate[] {
  const all = model.timeseries?.aggregates ?? [];
  const out: ContinuousAggregate[] = [];
  for (let a: ContinuousAggregate | undefined = aggregate; a !== undefined;) {
    if (out.includes(a)) break;
    out.push(a);
    const from: string | undefined = a.from;
    a = from === undefined ? undefined : all.find((p) => p.name === from);
  }
  return out;
}

/**
 * Which of the model's aggregates can answer the request exactly (coarsest first), and why
 * the others cannot. Pure: the materialized range is checked against the database later.
 */
export function routeAggregateQuery(model: Model, request: RoutedRequest): AggregateRouting {
  const aggregates = model.timeseries?.aggregates ?? [];
  const refused: { aggregate: string | undefined; reason: string }[] = [];
  const refuseAll = (reason: string): AggregateRouting =>
    Object.freeze({ candidates: [], refused: [{ aggregate: undefined, reason }] });
  if (aggregates.length === 0) return refuseAll('the model has no continuous aggregates');
  const time = timeColumnOf(model);
  if (time.type !== 'datetime') {
    return refuseAll('the time column is a timestamp without time zone');
  }
  const offset = fixedZoneOffset(request.tz);
  if (offset === undefined) {
    return refuseAll(
      `the time zone ${request.tz ?? ''} has rules (DST or changes), so its buckets cannot be proven aligned`,
    );
  }
  const width = parseBucket(request.bucket);
  const aggregations = request.aggregations ?? ['avg'];
  const fields = (request.fields ?? defaultAggregateFields(model)).map((name) =>
    model.fields.find((f) => f.name === name),
  );
  if (fields.some((f) => f === undefined)) return refuseAll('an unknown field was asked for');
  const filterNames = Object.keys(request.filters ?? {});
  const keys = request.groupBySegment ? segmentKeyOf(model) : [];

  const candidates: AggregateCandidate[] = [];
  for (const aggregate of aggregates) {
    const refuse = (reason: string): void => {
      refused.push({ aggregate: aggregate.name, reason });
    };
    const levels = chain(model, aggregate);
    if (levels[levels.length - 1]?.from !== undefined) {
      refuse(
        `its source ${levels[levels.length - 1]?.from ?? ''} is not an aggregate of the model`,
      );
      continue;
    }
    if (levels.some((a) => a.bucket.kind !== 'interval')) {
      refuse('its bucket is an integer');
      continue;
    }
    const bucket = (aggregate.bucket as { interval: Interval }).interval;
    const misaligned = bucketsNest(width, bucket, offset);
    if (misaligned !== undefined) {
      refuse(misaligned);
      continue;
    }
    const notGrouped = [...filterNames, ...keys].find((n) => !aggregate.groupBy.includes(n));
    if (notGrouped !== undefined) {
      refuse(`${notGrouped} is not one of its group-by columns`);
      continue;
    }
    // Within one output bucket, first/last pick among the groups by bucket start, which ties
    // across groups: every group-by column of every level must be fixed by the grouping or a
    // filter (a level grouping less than its source already picked among ties).
    const loose = aggregations.some((a) => a === 'first' || a === 'last')
      ? levels.flatMap((a) => a.groupBy).find((g) => !filterNames.includes(g) && !keys.includes(g))
      : undefined;
    if (loose !== undefined) {
      refuse(
        `first/last across its ${loose} groups cannot be ordered; group by or filter on ${loose}`,
      );
      continue;
    }
    const meanings = columnMeanings(model, aggregate);
    const columns: Record<string, string> = {};
    let missing: string | undefined;
    for (const field of fields as Field[]) {
      for (const aggregation of aggregations) {
        for (const partial of partialsOf(aggregation)) {
          // A real (float4) sum rounds to single precision at each level: not the raw sum.
          const column =
            partial === 'sum' && field.type === 'real'
              ? undefined
              : columnFor(meanings, partial, field);
          if (column === undefined) missing ??= `${aggregation}(${field.name})`;
          else columns[partialKey(partial, field.name)] = column;
        }
      }
    }
    if (missing !== undefined) {
      refuse(`it has no columns that give ${missing}`);
      continue;
    }
    candidates.push(Object.freeze({ aggregate, bucket, columns: Object.freeze(columns) }));
  }
  candidates.sort((a, b) =>
    a.bucket.micros === b.bucket.micros ? 0 : a.bucket.micros > b.bucket.micros ? -1 : 1,
  );
  return Object.freeze({ candidates: Object.freeze(candidates), refused: Object.freeze(refused) });
}

// ---------------------------------------------------------------------------------------
// The materialized span, read from TimescaleDB's catalog

/** What `materializedRangeQuery` returns per row (one row). */
export interface MaterializedRange {
  /** Levels of continuous aggregates found (0: the view is not a continuous aggregate). */
  readonly levels: number;
  /** Whether the lowest level reads the model's table. */
  readonly onTable: boolean;
  /** The span `[from, to)` in Unix microseconds (text); empty when from >= to. */
  readonly from: string;
  readonly to: string;
  /**
   * Whether an invalidation (or a refresh in progress) overlaps the span, or changes are
   * collected from the WAL, where pending ones cannot be seen.
   */
  readonly pending: boolean;
  /** Whether the session is on a standby, where WAL-collected changes cannot be seen. */
  readonly standby: boolean;
}

const F = '_timescaledb_functions';
const CATALOG = '_timescaledb_catalog';

/**
 * The span of the view's buckets that lie fully inside `[start, end)` and below the
 * watermark of every level of the aggregate (a level above its source's watermark holds
 * buckets built from incomplete data, which no invalidation records), and whether any
 * pending invalidation of the table or of a level overlaps it. `extensionSchema` holds
 * time_bucket; `withRanges`: the server has `continuous_aggs_materialization_ranges`.
 */
export function materializedRangeQuery(
  model: Model,
  view: { readonly schema?: string | undefined; readonly name: string },
  bucket: Interval,
  start: unknown,
  end: unknown,
  extensionSchema: string,
  withRanges: boolean,
): BuiltQuery {
  const s = timeParameter(start, 'start');
  const e = timeParameter(end, 'end');
  const tb = `${extensionSchema}.time_bucket`;
  const overlaps = (alias: string): string =>
    `${alias}.lowest_modified_value < ${F}.to_unix_microseconds(b.hi) AND ${alias}.greatest_modified_value >= ${F}.to_unix_microseconds(b.lo)`;
  const pending = [
    `EXISTS (SELECT 1 FROM ${CATALOG}.continuous_aggs_hypertable_invalidation_log l WHERE l.hypertable_id IN (SELECT raw_hypertable_id FROM chain) AND ${overlaps('l')})`,
    `EXISTS (SELECT 1 FROM ${CATALOG}.continuous_aggs_materialization_invalidation_log l WHERE l.materialization_id IN (SELECT mat_hypertable_id FROM chain) AND ${overlaps('l')})`,
    ...(withRanges
      ? [
          `EXISTS (SELECT 1 FROM ${CATALOG}.continuous_aggs_materialization_ranges l WHERE l.materialization_id IN (SELECT mat_hypertable_id FROM chain) AND ${overlaps('l')})`,
        ]
      : []),
    // Hypertables whose changes are read from the WAL (2.22+ `invalidate_using = 'wal'`) log
    // them only when a refresh collects them: nothing proves the materialized rows current.
    `EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots s WHERE s.database = current_database() AND s.plugin LIKE 'timescaledb-invalidations%')`,
  ].join(' OR ');
  const sql =
    `WITH RECURSIVE chain AS (` +
    `SELECT c.mat_hypertable_id, c.raw_hypertable_id, c.parent_mat_hypertable_id FROM ${CATALOG}.continuous_agg c WHERE c.user_view_schema = $1 AND c.user_view_name = $2` +
    ` UNION ALL SELECT c.mat_hypertable_id, c.raw_hypertable_id, c.parent_mat_hypertable_id FROM ${CATALOG}.continuous_agg c JOIN chain ON c.mat_hypertable_id = chain.parent_mat_hypertable_id)` +
    `, w AS (SELECT min(${F}.to_timestamp(${F}.cagg_watermark(chain.mat_hypertable_id))) AS watermark FROM chain)` +
    `, e AS (SELECT ${tb}($3::interval, $4::timestamptz) AS first_start, ${tb}($3::interval, LEAST($5::timestamptz, GREATEST(w.watermark, $4::timestamptz))) AS hi FROM w)` +
    `, b AS (SELECT CASE WHEN e.first_start = $4::timestamptz THEN e.first_start ELSE ((e.first_start AT TIME ZONE 'UTC') + $3::interval) AT TIME ZONE 'UTC' END AS lo, e.hi FROM e)` +
    ` SELECT (SELECT count(*) FROM chain)::int AS levels` +
    `, EXISTS (SELECT 1 FROM chain JOIN ${CATALOG}.hypertable h ON h.id = chain.raw_hypertable_id WHERE chain.parent_mat_hypertable_id IS NULL AND h.schema_name = $6 AND h.table_name = $7) AS "onTable"` +
    `, ${F}.to_unix_microseconds(b.lo)::text AS "from", ${F}.to_unix_microseconds(b.hi)::text AS "to"` +
    `, (b.lo < b.hi AND (${pending})) AS pending` +
    // A standby's pg_replication_slots lists its own slots, not the primary's: there the
    // slot of `invalidate_using = 'wal'` never shows, and nothing on the standby tells
    // which hypertables use it. So on a standby the materialized rows are never taken as
    // current; its reads answer from the table.
    `, pg_catalog.pg_is_in_recovery() AS standby FROM b`;
  return Object.freeze({
    sql,
    parameters: Object.freeze([
      view.schema ?? 'public',
      view.name,
      bucket.text,
      s,
      e,
      model.schema ?? 'public',
      model.table,
    ]),
  });
}

/** Unix microseconds as RFC 3339 text with all six fraction digits. */
export function microsToTimestamp(micros: string | bigint): string {
  const value = BigInt(micros);
  const ms = value / 1000n - (value % 1000n < 0n ? 1n : 0n);
  const rest = value - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${rest.toString().padStart(3, '0')}Z`;
}
