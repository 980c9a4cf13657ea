/**
 * Pure SQL builders for the time-series query layer. Every builder returns a frozen
 * `{ sql, parameters }`:
 * - values are always `$n` parameters, never text in the SQL;
 * - identifiers come only from the model and go through `quoteIdent`/`quoteTable`;
 * - bucket widths pass `parseInterval` and are then sent as a parameter (`$n::interval`);
 * - aggregation names, order directions and date_trunc units come from fixed whitelists;
 * - output columns use internal aliases (`b`, `k0`, `a0`, …) so no field name can collide
 *   or overflow the 63-byte identifier limit; `columns` says what each alias means.
 *
 * Two dialects give identical results (checked by test/integration/query-differential):
 * - `timescale`: `<schema>.time_bucket($w::interval, t [, $tz])`, `<schema>.first/last(v, t)`;
 * - `postgres`: `date_bin($w::interval, t, timestamptz '2000-01-03 00:00:00+00')` for widths
 *   without months/years, `date_trunc('month'|'year', t, 'UTC')` for exactly 1 month / 1 year
 *   (other month/year widths are refused on this dialect), and
 *   `(array_agg(v ORDER BY t ASC))[1]` for first/last.
 * With `tz`, buckets are computed on local time of that zone, as `time_bucket(w, t, tz)` does.
 * Gap-filling is `generate_series` over the bounded range (finish excluded) LEFT JOINed to
 * the aggregates, on both dialects.
 */
import { UsageError } from '../errors.js';
import { parseInterval, type Interval } from '../sql/interval.js';
import { quoteIdent, quoteTable } from '../sql/quote.js';
import { bucketShape, fallbackNaiveTimeBucket, fallbackTimeBucket } from '../sql/time-bucket.js';
import type { Field, Model } from '../spec/types.js';
import { filterFieldValue, isTimestampText, naiveTimestampText } from './values.js';

export type Dialect = 'timescale' | 'postgres';
export const DIALECTS: readonly Dialect[] = Object.freeze(['timescale', 'postgres'] as const);

export const AGGREGATIONS = Object.freeze([
  'avg',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
] as const);
export type Aggregation = (typeof AGGREGATIONS)[number];

export const MAX_LIMIT = 10_000;
export const DEFAULT_LIMIT = 1_000;
/** Most buckets one aggregate query may span (estimated from the range and the width). */
export const MAX_BUCKETS = 100_000;

export interface BuiltQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** What the aliases of an aggregate query's output mean. */
export interface AggregateColumn {
  readonly alias: string;
  /** Output name: `bucket`, a segment-key field name, or `<aggregation>_<field>`. */
  readonly name: string;
  readonly aggregation?: Aggregation | undefined;
  readonly field?: string | undefined;
}

export interface BuiltAggregateQuery extends BuiltQuery {
  readonly columns: readonly AggregateColumn[];
}

export type TimeInput = Date | string;
export type FilterValue = string | number | boolean | bigint | Date | null;
export type Filters = Readonly<Record<string, FilterValue>>;

const NUMERIC_TYPES = new Set(['int', 'bigint', 'smallint', 'float', 'real', 'double', 'decimal']);

// ---------------------------------------------------------------------------------------
// Model facts

export function timeColumnOf(model: Model): Field {
  const name = model.timeseries?.timeColumn;
  if (name === undefined) {
    throw new UsageError(`model ${model.name} is not a timeseries model`, {
      hint: 'queries need a model with a timeseries: block',
    });
  }
  const field = model.fields.find((f) => f.name === name);
  if (field === undefined) throw new UsageError(`model ${model.name} has no field ${name}`);
  if (field.type !== 'datetime' && field.type !== 'timestamp') {
    throw new UsageError(
      `model ${model.name}: the query layer supports datetime and timestamp time columns only, ${name} is ${field.type}`,
    );
  }
  return field;
}

/** A `timestamp` (without time zone) time column: times are a naive clock, with no zone. */
function naiveTimeOf(model: Model): boolean {
  return timeColumnOf(model).type === 'timestamp';
}

/** The segment key: the compression `segment_by` columns (empty when not set). */
export function segmentKeyOf(model: Model): readonly string[] {
  return model.timeseries?.compression?.segmentBy ?? [];
}

/** Numeric fields that are neither the time column, a key column nor the segment key. */
export function defaultAggregateFields(model: Model): readonly string[] {
  const time = model.timeseries?.timeColumn;
  const key = new Set([...model.primaryKey, ...segmentKeyOf(model)]);
  return model.fields
    .filter(
      (f) =>
        NUMERIC_TYPES.has(f.type) &&
        f.array !== true &&
        f.name !== time &&
        !key.has(f.name) &&
        !f.primaryKey,
    )
    .map((f) => f.name);
}

function fieldOf(model: Model, name: unknown, what: string): Field {
  const field = typeof name === 'string' ? model.fields.find((f) => f.name === name) : undefined;
  if (field === undefined) {
    throw new UsageError(`unknown ${what} ${JSON.stringify(name)} for model ${model.name}`, {
      hint: `fields: ${model.fields.map((f) => f.name).join(', ')}`,
    });
  }
  return field;
}

/** Tie-breaking order after the time column: primary key columns other than time. */
function tieBreak(model: Model, alias: string): string[] {
  const time = model.timeseries?.timeColumn;
  return model.primaryKey.filter((c) => c !== time).map((c) => `${alias}.${quoteIdent(c)} ASC`);
}

// ---------------------------------------------------------------------------------------
// Values

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** An RFC 3339 timestamp (a date alone is midnight UTC) or a Date, as text for `::timestamptz`. */
export function timeParameter(value: unknown, what: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new UsageError(`${what} is an invalid Date`);
    return value.toISOString();
  }
  if (typeof value !== 'string' || !isTimestampText(value)) {
    throw new UsageError(`${what} must be an RFC 3339 timestamp, got ${JSON.stringify(value)}`, {
      hint: "e.g. '2026-01-01T00:00:00Z'; a date alone means midnight UTC",
    });
  }
  return value.length === 10 ? `${value}T00:00:00Z` : value;
}

/** A naive clock (timestamp time column): a Date's clock in this process's zone, or text without a zone. */
export function naiveTimeParameter(value: unknown, what: string): string {
  const text = naiveTimestampText(value);
  if (text === undefined) {
    throw new UsageError(
      `${what} must be a Date or a timestamp without time zone, got ${value instanceof Date ? 'an invalid Date' : JSON.stringify(value)}`,
      {
        hint: "the time column is a timestamp (no time zone): write e.g. '2026-01-01T00:00:00', without Z or an offset",
      },
    );
  }
  return text;
}

/** Milliseconds of a range bound, for ordering and estimates; a naive clock reads as UTC. */
function boundMillis(text: string, naive: boolean): number {
  return Date.parse(naive ? `${text.replace(' ', 'T')}Z` : text);
}

function rangeParameters(start: unknown, end: unknown, naive = false): [string, string] {
  const s = naive ? naiveTimeParameter(start, 'start') : timeParameter(start, 'start');
  const e = naive ? naiveTimeParameter(end, 'end') : timeParameter(end, 'end');
  if (boundMillis(s, naive) >= boundMillis(e, naive)) {
    throw new UsageError(`end (${e}) must be after start (${s})`);
  }
  return [s, e];
}

const TZ_NAME = /^[A-Za-z][A-Za-z0-9_+-]{0,30}(?:\/[A-Za-z0-9_+-]{1,30}){0,2}$/;

/** A conservative IANA zone name check; the repository also checks pg_timezone_names. */
export function checkTimeZone(tz: unknown): string {
  if (typeof tz !== 'string' || !TZ_NAME.test(tz)) {
    throw new UsageError(`invalid time zone ${JSON.stringify(tz)}`, {
      hint: "use an IANA name such as 'UTC' or 'Europe/Oslo'",
    });
  }
  return tz;
}

function filterValue(field: Field, value: unknown): unknown {
  if (value === null) return null;
  try {
    return filterFieldValue(field, value);
  } catch (e) {
    throw new UsageError(`filter ${field.name}: ${(e as Error).message}`);
  }
}

/** `AND "f" = $n` for each filter; every name must be a model field. */
function filterSql(model: Model, filters: unknown, params: Params, alias: string): string {
  if (filters === undefined || filters === null) return '';
  if (typeof filters !== 'object' || Array.isArray(filters)) {
    throw new UsageError('filters must be an object of field → value');
  }
  let sql = '';
  for (const [name, value] of Object.entries(filters as Record<string, unknown>)) {
    const field = fieldOf(model, name, 'filter field');
    if (field.type === 'json')
      throw new UsageError(`filter ${name}: json fields cannot be filtered`);
    if (field.array === true || field.type === 'sql')
      throw new UsageError(
        `filter ${name}: ${field.array === true ? 'array' : 'sql_type'} fields cannot be filtered`,
      );
    const column = `${alias}.${quoteIdent(field.name)}`;
    const v = filterValue(field, value);
    sql += v === null ? ` AND ${column} IS NULL` : ` AND ${column} = ${params.add(v)}`;
  }
  return sql;
}

function selectList(model: Model, alias: string): string {
  return model.fields.map((f) => `${alias}.${quoteIdent(f.name)}`).join(', ');
}

// ---------------------------------------------------------------------------------------
// Range

export interface RangeQueryInput {
  readonly start: TimeInput;
  readonly end: TimeInput;
  readonly filters?: Filters | undefined;
  /** Default 1,000; values above MAX_LIMIT are capped to it. */
  readonly limit?: number | undefined;
  readonly order?: 'asc' | 'desc' | undefined;
}

function limitOf(limit: unknown): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw new UsageError(`limit must be a whole number of at least 1, got ${String(limit)}`);
  }
  return Math.min(limit, MAX_LIMIT);
}

function orderOf(order: unknown): 'ASC' | 'DESC' {
  if (order === undefined || order === 'asc') return 'ASC';
  if (order === 'desc') return 'DESC';
  throw new UsageError(`order must be 'asc' or 'desc', got ${JSON.stringify(order)}`);
}

/** Rows with start <= time < end, equality filters, ordered by time (then primary key). */
export function buildRangeQuery(model: Model, input: RangeQueryInput): BuiltQuery {
  const time = quoteIdent(timeColumnOf(model).name);
  const params = new Params();
  const naive = naiveTimeOf(model);
  const cast = naive ? 'timestamp' : 'timestamptz';
  const [s, e] = rangeParameters(input.start, input.end, naive);
  const direction = orderOf(input.order);
  const limit = limitOf(input.limit);
  let sql = `SELECT ${selectList(model, 't')} FROM ${quoteTable({ schema: model.schema, name: model.table })} t WHERE t.${time} >= ${params.add(s)}::${cast} AND t.${time} < ${params.add(e)}::${cast}`;
  sql += filterSql(model, input.filters, params, 't');
  sql += ` ORDER BY ${[`t.${time} ${direction}`, ...tieBreak(model, 't')].join(', ')}`;
  sql += ` LIMIT ${params.add(limit)}`;
  return Object.freeze({ sql, parameters: Object.freeze(params.values) });
}

// ---------------------------------------------------------------------------------------
// Buckets and aggregates

export type Gapfill = boolean | 'locf';

export interface AggregateQueryInput {
  readonly dialect: Dialect;
  /** The TimescaleDB extension schema (timescale dialect); default `public`. */
  readonly schema?: string | undefined;
  readonly bucket: string;
  readonly start: TimeInput;
  readonly end: TimeInput;
  readonly filters?: Filters | undefined;
  /** Default `['avg']`. */
  readonly aggregations?: readonly Aggregation[] | undefined;
  /** Numeric fields to aggregate; default every numeric non-key field. */
  readonly fields?: readonly string[] | undefined;
  /** One row per bucket and segment key value. */
  readonly groupBySegment?: boolean | undefined;
  /**
   * Every bucket in [start, end) appears; empty ones have NULL aggregates (count 0), or with
   * `'locf'` the previous bucket's aggregates carried forward (count still 0), as TimescaleDB's
   * `locf()` over `time_bucket_gapfill` does.
   */
  readonly gapfill?: Gapfill | undefined;
  /** IANA zone: buckets follow local time there (days, weeks, months start at local midnight). */
  readonly tz?: string | undefined;
  /**
   * Answer the buckets of `[from, to)` from a continuous aggregate's rows and the rest of
   * the range from the table, combining the parts per output bucket (lib/query/aggregate-routing.ts
   * decides when that is exact). Timescale dialect only.
   */
  readonly materialized?: MaterializedPart | undefined;
}

/** What a request aggregates per bucket, as parts that combine across buckets. */
export const PARTIALS = Object.freeze(['min', 'max', 'sum', 'count', 'first', 'last'] as const);
export type Partial = (typeof PARTIALS)[number];

/** A continuous aggregate's part of an aggregate query. */
export interface MaterializedPart {
  readonly view: { readonly schema?: string | undefined; readonly name: string };
  /** The view's bucket width (interval text). */
  readonly bucket: string;
  /** The view's buckets starting in `[from, to)` answer that span (RFC 3339, bucket-aligned). */
  readonly from: string;
  readonly to: string;
  /** The view's column holding each partial of each field, keyed `partialKey(partial, field)`. */
  readonly columns: Readonly<Record<string, string>>;
}

export function partialKey(partial: Partial, field: string): string {
  return `${partial}(${field})`;
}

/** The partials an aggregation of a field combines from: avg from sum and count. */
export function partialsOf(aggregation: Aggregation): readonly Partial[] {
  return aggregation === 'avg' ? ['sum', 'count'] : [aggregation];
}

export interface BucketWidth {
  readonly interval: Interval;
  /** `month`/`year` when the width is exactly one of those (date_trunc on PostgreSQL). */
  readonly truncUnit: 'month' | 'year' | undefined;
  readonly hasMonths: boolean;
}

export function parseBucket(bucket: unknown): BucketWidth {
  const parsed = parseInterval(bucket);
  if (!parsed.ok) throw new UsageError(`bucket: ${parsed.reason}`, { hint: parsed.hint });
  const text = parsed.interval.text;
  const hasMonths = /\b(month|year)s?\b/.test(text);
  if (hasMonths && /\b(week|day|hour|minute|second|millisecond|microsecond)s?\b/.test(text)) {
    throw new UsageError(
      `bucket ${JSON.stringify(bucket)}: a width with months or years cannot also have days or smaller units`,
    );
  }
  const { truncUnit } = bucketShape(parsed.interval);
  return Object.freeze({ interval: parsed.interval, truncUnit, hasMonths });
}

function schemaOf(input: { schema?: string | undefined }): string {
  return quoteIdent(input.schema ?? 'public', 'TimescaleDB schema');
}

/**
 * The bucket expression of a timestamptz expression `t`, given the width parameter `w`
 * (already `$n::interval`) and the time-zone parameter `z` (`$n::text`) or undefined.
 */
function bucketExpr(
  dialect: Dialect,
  schema: string,
  width: BucketWidth,
  t: string,
  widthParam: () => string,
  z: string | undefined,
  naive = false,
): string {
  const w = (): string => widthParam();
  if (naive) return naiveBucketExpr(dialect, schema, width, t, w);
  if (dialect === 'timescale') {
    return z === undefined
      ? `${schema}.time_bucket(${w()}, ${t})`
      : `${schema}.time_bucket(${w()}, ${t}, ${z})`;
  }
  return fallbackTimeBucket(width, t, w, z);
}

/**
 * The bucket of a timestamp (without time zone) expression `t`: buckets of the naive
 * clock, as `time_bucket(w, timestamp)` gives them — origin 2000-01-03 00:00 for widths
 * without months, 2000-01-01 for months — with no time zone anywhere.
 */
function naiveBucketExpr(
  dialect: Dialect,
  schema: string,
  width: BucketWidth,
  t: string,
  w: () => string,
): string {
  if (dialect === 'timescale') return `${schema}.time_bucket(${w()}, ${t})`;
  return fallbackNaiveTimeBucket(width, t, w);
}

function aggregateExpr(
  dialect: Dialect,
  schema: string,
  aggregation: Aggregation,
  column: string,
  time: string,
): string {
  switch (aggregation) {
    case 'avg':
    case 'min':
    case 'max':
    case 'sum':
    case 'count':
      return `${aggregation}(${column})`;
    case 'first':
    case 'last':
      return dialect === 'timescale'
        ? `${schema}.${aggregation}(${column}, ${time})`
        : `(array_agg(${column} ORDER BY ${time} ${aggregation === 'first' ? 'ASC' : 'DESC'}) FILTER (WHERE ${time} IS NOT NULL))[1]`;
    default:
      throw new UsageError(`unknown aggregation ${JSON.stringify(aggregation)}`);
  }
}

const ONE_MONTH_MICROS = 28n * 86_400_000_000n;

export function buildAggregateQuery(model: Model, input: AggregateQueryInput): BuiltAggregateQuery {
  if (!DIALECTS.includes(input.dialect)) {
    throw new UsageError(
      `dialect must be 'timescale' or 'postgres', got ${JSON.stringify(input.dialect)}`,
    );
  }
  const timeName = timeColumnOf(model).name;
  const time = `t.${quoteIdent(timeName)}`;
  const schema = schemaOf(input);
  const width = parseBucket(input.bucket);
  const naive = naiveTimeOf(model);
  if (naive && input.tz !== undefined) {
    throw new UsageError(
      `tz does not apply to model ${model.name}: its time column ${timeName} is a timestamp without time zone`,
      { hint: 'buckets follow the stored clock; leave out tz' },
    );
  }
  const [s, e] = rangeParameters(input.start, input.end, naive);
  // Months are counted as 28 days here so the estimate never undercounts.
  const perBucket = width.hasMonths
    ? (width.interval.micros / (30n * 86_400_000_000n)) * ONE_MONTH_MICROS
    : width.interval.micros;
  const buckets = (BigInt(boundMillis(e, naive) - boundMillis(s, naive)) * 1000n) / perBucket;
  if (buckets > BigInt(MAX_BUCKETS)) {
    throw new UsageError(
      `bucket ${width.interval.text} over this range gives about ${buckets} buckets, more than ${MAX_BUCKETS}`,
      { hint: 'use a wider bucket or a shorter range' },
    );
  }
  const aggregations = input.aggregations ?? ['avg'];
  if (!Array.isArray(aggregations) || aggregations.length === 0) {
    throw new UsageError(`aggregations must be a non-empty list of ${AGGREGATIONS.join(', ')}`);
  }
  for (const a of aggregations) {
    if (!(AGGREGATIONS as readonly unknown[]).includes(a)) {
      throw new UsageError(`unknown aggregation ${JSON.stringify(a)}`, {
        hint: `aggregations: ${AGGREGATIONS.join(', ')}`,
      });
    }
  }
  const fieldNames = input.fields ?? defaultAggregateFields(model);
  if (!Array.isArray(fieldNames) || fieldNames.length === 0) {
    throw new UsageError(`model ${model.name} has no numeric fields to aggregate`);
  }
  const fields = fieldNames.map((n) => {
    const f = fieldOf(model, n, 'aggregate field');
    if (!NUMERIC_TYPES.has(f.type) || f.array === true) {
      throw new UsageError(
        `aggregate field ${f.name} is ${f.array === true ? `an array of ${f.type}` : f.type}, not a numeric field`,
      );
    }
    return f;
  });
  if (
    input.gapfill !== undefined &&
    typeof input.gapfill !== 'boolean' &&
    input.gapfill !== 'locf'
  ) {
    throw new UsageError(
      `gapfill must be true, false or 'locf', got ${JSON.stringify(input.gapfill)}`,
    );
  }
  const keys = input.groupBySegment ? segmentKeyOf(model) : [];
  if (input.groupBySegment && keys.length === 0) {
    throw new UsageError(`model ${model.name} has no segment key (compression segment_by)`);
  }

  const params = new Params();
  const cast = naive ? 'timestamp' : 'timestamptz';
  const sp = `${params.add(s)}::${cast}`;
  const ep = `${params.add(e)}::${cast}`;
  // Added on first use: a date_trunc bucket does not take the width as a parameter.
  let widthRef: string | undefined;
  const wp = (): string => (widthRef ??= `${params.add(width.interval.text)}::interval`);
  const zp = input.tz === undefined ? undefined : `${params.add(checkTimeZone(input.tz))}::text`;
  const where =
    `${time} >= ${sp} AND ${time} < ${ep}` + filterSql(model, input.filters, params, 't');

  const columns: AggregateColumn[] = [{ alias: 'b', name: 'bucket' }];
  const keySelect = keys.map((k, i) => {
    columns.push({ alias: `k${i}`, name: k });
    return `t.${quoteIdent(k)} AS k${i}`;
  });
  const aggSelect: string[] = [];
  for (const f of fields) {
    for (const a of aggregations) {
      const alias = `a${aggSelect.length}`;
      columns.push({ alias, name: `${a}_${f.name}`, aggregation: a, field: f.name });
      aggSelect.push(
        `${aggregateExpr(input.dialect, schema, a, `t.${quoteIdent(f.name)}`, time)} AS ${alias}`,
      );
    }
  }
  const groupBy = ['1', ...keys.map((_, i) => String(i + 2))].join(', ');
  const inner =
    input.materialized === undefined
      ? `SELECT ${[`${bucketExpr(input.dialect, schema, width, time, wp, zp, naive)} AS b`, ...keySelect, ...aggSelect].join(', ')}` +
        ` FROM ${quoteTable({ schema: model.schema, name: model.table })} t WHERE ${where} GROUP BY ${groupBy}`
      : combinedInner({
          model,
          input,
          part: input.materialized,
          schema,
          keys,
          columns,
          params,
          bucketOf: (t) => bucketExpr(input.dialect, schema, width, t, wp, zp, naive),
          where,
          time,
        });

  let sql: string;
  if (!input.gapfill) {
    sql = `${inner} ORDER BY ${groupBy}`;
  } else {
    // Buckets are stepped in the zone's local time (UTC without tz), so months and days
    // follow the calendar there; DISTINCT folds a local time that DST maps twice.
    const zone = zp ?? `'UTC'`;
    const first = bucketExpr(input.dialect, schema, width, sp, wp, zp, naive);
    const series = naive
      ? `SELECT g AS b FROM generate_series(${first}, ${ep}, ${wp()}) g WHERE g < ${ep}`
      : `SELECT DISTINCT (g AT TIME ZONE ${zone}) AS b FROM generate_series((${first}) AT TIME ZONE ${zone}, ${ep} AT TIME ZONE ${zone}, ${wp()}) g` +
        ` WHERE (g AT TIME ZONE ${zone}) < ${ep}`;
    const keySql =
      keys.length === 0
        ? ''
        : `, k AS (SELECT DISTINCT ${keys.map((k, i) => `t.${quoteIdent(k)} AS k${i}`).join(', ')} FROM ${quoteTable({ schema: model.schema, name: model.table })} t WHERE ${where})`;
    const aggregates = columns.filter((c) => c.aggregation !== undefined);
    const keyCols = keys.map((_, i) => `k.k${i}`);
    const on = ['a.b = s.b', ...keys.map((_, i) => `a.k${i} = k.k${i}`)].join(' AND ');
    const joined = `FROM s${keys.length === 0 ? '' : ' CROSS JOIN k'} LEFT JOIN a ON ${on}`;
    const countOr0 = (c: AggregateColumn, from: string): string =>
      `COALESCE(${from}.${c.alias}, 0) AS ${c.alias}`;
    if (input.gapfill === 'locf') {
      // g numbers the buckets that had rows, so a gap shares its g with the last bucket
      // before it; first_value over (key, g) carries that bucket's aggregates into the gap.
      const byKey = keys.map((_, i) => `f.k${i}`);
      const filled =
        `SELECT s.b, ${[...keyCols, ...aggregates.map((c) => `a.${c.alias}`)].join(', ')}` +
        `, count(a.b) OVER (${keys.length === 0 ? '' : `PARTITION BY ${keyCols.join(', ')} `}ORDER BY s.b) AS g ${joined}`;
      const outer = [
        'f.b',
        ...byKey,
        ...aggregates.map((c) =>
          c.aggregation === 'count'
            ? countOr0(c, 'f')
            : `first_value(f.${c.alias}) OVER w AS ${c.alias}`,
        ),
      ];
      sql =
        `WITH a AS (${inner}), s AS (${series})${keySql}, f AS (${filled})` +
        ` SELECT ${outer.join(', ')} FROM f WINDOW w AS (PARTITION BY ${[...byKey, 'f.g'].join(', ')} ORDER BY f.b)` +
        ` ORDER BY ${groupBy}`;
    } else {
      const outer = [
        's.b',
        ...keyCols,
        ...aggregates.map((c) => (c.aggregation === 'count' ? countOr0(c, 'a') : `a.${c.alias}`)),
      ];
      sql =
        `WITH a AS (${inner}), s AS (${series})${keySql}` +
        ` SELECT ${outer.join(', ')} ${joined} ORDER BY ${groupBy}`;
    }
  }
  return Object.freeze({
    sql,
    parameters: Object.freeze(params.values),
    columns: Object.freeze(columns.map((c) => Object.freeze(c))),
  });
}

/** The type `sum` returns for a field's type, so a sum of partial sums has the raw sum's type. */
function sumType(field: Field): string {
  switch (field.type) {
    case 'int':
    case 'smallint':
      return 'bigint';
    case 'bigint':
    case 'decimal':
      return 'numeric';
    case 'real':
      return 'real';
    default:
      return 'double precision';
  }
}

/**
 * One row per output bucket and key from two kinds of parts: the continuous aggregate's
 * buckets starting in `[from, to)` (each inside one output bucket) and the table's rows
 * outside that span, aggregated per output bucket. Sums and counts add up, min/max take
 * the extreme, first/last pick by the part's time (a view bucket's start, or the first or
 * last row time of a table part: the parts cover disjoint spans, so that orders them as
 * their rows), avg is the summed sum over the summed count, divided as PostgreSQL's avg
 * divides (numeric for integer and decimal fields, double precision for floats).
 */
function combinedInner(c: {
  model: Model;
  input: AggregateQueryInput;
  part: MaterializedPart;
  schema: string;
  keys: readonly string[];
  columns: readonly AggregateColumn[];
  params: Params;
  bucketOf: (t: string) => string;
  where: string;
  time: string;
}): string {
  const { model, input, part, schema, keys, params } = c;
  if (input.dialect !== 'timescale') {
    throw new UsageError('answering from a continuous aggregate needs the timescale dialect');
  }
  const slots = new Map<string, { alias: string; partial: Partial; field: string }>();
  const slotOf = (partial: Partial, field: string): string => {
    const key = partialKey(partial, field);
    let slot = slots.get(key);
    if (slot === undefined) {
      if (part.columns[key] === undefined) {
        throw new UsageError(`continuous aggregate ${part.view.name} has no column for ${key}`);
      }
      slot = { alias: `p${slots.size}`, partial, field };
      slots.set(key, slot);
    }
    return slot.alias;
  };
  const combined: string[] = [];
  for (const column of c.columns) {
    if (column.aggregation === undefined || column.field === undefined) continue;
    const field = fieldOf(model, column.field, 'aggregate field');
    const [first, second] = partialsOf(column.aggregation).map((p) => slotOf(p, field.name));
    let sql: string;
    switch (column.aggregation) {
      case 'min':
      case 'max':
        sql = `${column.aggregation}(p.${first})`;
        break;
      case 'sum':
        sql = `sum(p.${first})::${sumType(field)}`;
        break;
      case 'count':
        sql = `sum(p.${first})::bigint`;
        break;
      case 'avg': {
        const as = sumType(field) === 'double precision' ? 'double precision' : 'numeric';
        sql = `(sum(p.${first})::${as} / NULLIF(sum(p.${second}), 0)::${as})`;
        break;
      }
      case 'first':
        sql = aggregateExpr('timescale', schema, 'first', `p.${first}`, 'p.of');
        break;
      case 'last':
        sql = aggregateExpr('timescale', schema, 'last', `p.${first}`, 'p.ol');
        break;
    }
    combined.push(`${sql} AS ${column.alias}`);
  }
  const from = `${params.add(part.from)}::timestamptz`;
  const to = `${params.add(part.to)}::timestamptz`;
  const list = [...slots.values()];
  const keyCols = (alias: string): string[] =>
    keys.map((k, i) => `${alias}.${quoteIdent(k)} AS k${i}`);
  const fromView =
    `SELECT ${[
      `${c.bucketOf('v.bucket')} AS b`,
      ...keyCols('v'),
      ...list.map((s) => {
        const column = part.columns[partialKey(s.partial, s.field)] as string;
        return `v.${quoteIdent(column)} AS ${s.alias}`;
      }),
      'v.bucket AS of',
      'v.bucket AS ol',
    ].join(', ')}` +
    ` FROM ${quoteTable({ schema: part.view.schema, name: part.view.name })} v` +
    ` WHERE v.bucket >= ${from} AND v.bucket < ${to}` +
    filterSql(model, input.filters, params, 'v');
  const groupBy = ['1', ...keys.map((_, i) => String(i + 2))].join(', ');
  const fromTable =
    `SELECT ${[
      `${c.bucketOf(c.time)} AS b`,
      ...keyCols('t'),
      ...list.map(
        (s) =>
          `${aggregateExpr('timescale', schema, s.partial, `t.${quoteIdent(s.field)}`, c.time)} AS ${s.alias}`,
      ),
      `min(${c.time}) AS of`,
      `max(${c.time}) AS ol`,
    ].join(', ')}` +
    ` FROM ${quoteTable({ schema: model.schema, name: model.table })} t` +
    ` WHERE ${c.where} AND (${c.time} < ${from} OR ${c.time} >= ${to}) GROUP BY ${groupBy}`;
  return (
    `SELECT ${['p.b', ...keys.map((_, i) => `p.k${i}`), ...combined].join(', ')}` +
    ` FROM (${fromView} UNION ALL ${fromTable}) p GROUP BY ${groupBy}`
  );
}

// ---------------------------------------------------------------------------------------
// Latest

export interface LatestQueryInput {
  readonly filters?: Filters | undefined;
  /** One row per segment key value (the latest of each), ordered by the key. */
  readonly perSegment?: boolean | undefined;
  /**
   * Per key: `index` (default) probes an index that starts with the key; `scan` is one
   * `DISTINCT ON` pass, for tables without such an index, where probing would scan per value.
   */
  readonly strategy?: 'index' | 'scan' | undefined;
  /** Per key: at most this many keys (default and cap MAX_LIMIT), the first by key order. */
  readonly limit?: number | undefined;
}

/**
 * The latest row matching the filters, or the latest row per segment key value. Per key,
 * the distinct values are found with a recursive loose index scan (one index probe per
 * value) for a single-column key, or `SELECT DISTINCT` for a composite key; each value's
 * latest row is then a LATERAL `ORDER BY time DESC LIMIT 1` lookup. Rows whose key is
 * NULL are not returned per key.
 */
export function buildLatestQuery(model: Model, input: LatestQueryInput = {}): BuiltQuery {
  const time = quoteIdent(timeColumnOf(model).name);
  const table = quoteTable({ schema: model.schema, name: model.table });
  const params = new Params();
  const order = [`t.${time} DESC`, ...tieBreak(model, 't')].join(', ');
  if (!input.perSegment) {
    const where = filterSql(model, input.filters, params, 't');
    const sql = `SELECT ${selectList(model, 't')} FROM ${table} t WHERE true${where} ORDER BY ${order} LIMIT 1`;
    return Object.freeze({ sql, parameters: Object.freeze(params.values) });
  }
  const keys = segmentKeyOf(model);
  if (keys.length === 0) {
    throw new UsageError(`model ${model.name} has no segment key (compression segment_by)`);
  }
  const where = filterSql(model, input.filters, params, 't');
  if (input.strategy === 'scan') {
    const columns = keys.map((k) => `t.${quoteIdent(k)}`);
    const sql =
      `SELECT DISTINCT ON (${columns.join(', ')}) ${selectList(model, 't')} FROM ${table} t` +
      ` WHERE ${columns.map((c) => `${c} IS NOT NULL`).join(' AND ')}${where}` +
      ` ORDER BY ${[...columns, order].join(', ')} LIMIT ${params.add(limitOf(input.limit ?? MAX_LIMIT))}`;
    return Object.freeze({ sql, parameters: Object.freeze(params.values) });
  }
  const match = keys.map((k, i) => `t.${quoteIdent(k)} = d.k${i}`).join(' AND ');
  const lateral = `CROSS JOIN LATERAL (SELECT ${selectList(model, 't')} FROM ${table} t WHERE ${match}${where} ORDER BY ${order} LIMIT 1) l`;
  const keyOrder = keys.map((_, i) => `d.k${i}`).join(', ');
  let sql: string;
  if (keys.length === 1) {
    const k = quoteIdent(keys[0] as string);
    sql =
      `WITH RECURSIVE d(k0) AS (` +
      `(SELECT t.${k} FROM ${table} t WHERE t.${k} IS NOT NULL${where} ORDER BY t.${k} LIMIT 1)` +
      ` UNION ALL SELECT (SELECT u.${k} FROM ${table} u WHERE u.${k} > d.k0${filterSql(model, input.filters, params, 'u')} ORDER BY u.${k} LIMIT 1) FROM d WHERE d.k0 IS NOT NULL)` +
      ` SELECT l.* FROM d ${lateral} ORDER BY ${keyOrder} LIMIT ${params.add(limitOf(input.limit ?? MAX_LIMIT))}`;
  } else {
    const distinct = keys.map((c, i) => `t.${quoteIdent(c)} AS k${i}`).join(', ');
    sql =
      `SELECT l.* FROM (SELECT DISTINCT ${distinct} FROM ${table} t WHERE true${where}) d ` +
      `${lateral} ORDER BY ${keyOrder} LIMIT ${params.add(limitOf(input.limit ?? MAX_LIMIT))}`;
  }
  return Object.freeze({ sql, parameters: Object.freeze(params.values) });
}
