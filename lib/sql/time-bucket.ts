/**
 * time_bucket's alignment in plain PostgreSQL, for servers without TimescaleDB: the query
 * layer's fallback dialect and the views that stand in for continuous aggregates use it,
 * so both answer with TimescaleDB's buckets.
 *
 * - widths without months: `date_bin(w, t, <origin>)`, origin Monday 2000-01-03 00:00 (UTC
 *   for timestamptz), time_bucket's default origin;
 * - exactly 1 month / 1 year: `date_trunc`; other month widths count whole months from
 *   2000-01 (time_bucket's origin for months) and round down to a multiple of the width;
 * - integer time: floor division, as time_bucket(integer, integer) rounds towards minus
 *   infinity.
 */
import type { Interval } from './interval.js';

export interface BucketShape {
  /** `month`/`year` when the width is exactly one of those (date_trunc applies). */
  readonly truncUnit: 'month' | 'year' | undefined;
  readonly hasMonths: boolean;
}

/** Whether a width counts months, and whether it is exactly a month or a year. */
export function bucketShape(interval: Interval): BucketShape {
  const hasMonths = /\b(month|year)s?\b/.test(interval.text);
  // '12 months' is '1 year' (both 360 days here, and time_bucket aligns both to years).
  const days = interval.micros / 86_400_000_000n;
  const truncUnit = !hasMonths
    ? undefined
    : days === 30n
      ? 'month'
      : days === 360n
        ? 'year'
        : undefined;
  return { truncUnit, hasMonths };
}

/** Months between 2000-01 and the month of the timestamp `t`, rounded down to the width. */
function wholeMonths(t: string, w: () => string): string {
  const months = `((extract(year from ${t})::int - 2000) * 12 + extract(month from ${t})::int - 1)`;
  const per = `(extract(year from ${w()})::int * 12 + extract(month from ${w()})::int)`;
  return `(timestamp '2000-01-01 00:00:00' + make_interval(months => (floor(${months}::numeric / ${per}) * ${per})::int))`;
}

/**
 * The bucket of a timestamptz expression `t`: `w` gives the width (an interval
 * expression), `zone` a text expression of an IANA zone whose local time the buckets
 * follow (as time_bucket(w, t, zone)), or undefined for UTC.
 */
export function fallbackTimeBucket(
  shape: BucketShape,
  t: string,
  w: () => string,
  zone?: string,
): string {
  if (shape.hasMonths) {
    const z = zone ?? `'UTC'`;
    if (shape.truncUnit !== undefined) return `date_trunc('${shape.truncUnit}', ${t}, ${z})`;
    return `(${wholeMonths(`((${t}) AT TIME ZONE ${z})`, w)} AT TIME ZONE ${z})`;
  }
  return zone === undefined
    ? `date_bin(${w()}, ${t}, timestamptz '2000-01-03 00:00:00+00')`
    : `(date_bin(${w()}, (${t}) AT TIME ZONE ${zone}, timestamp '2000-01-03 00:00:00') AT TIME ZONE ${zone})`;
}

/**
 * The bucket of a timestamp (without time zone) expression `t`: buckets of the naive
 * clock, as `time_bucket(w, timestamp)` gives them, with no time zone anywhere.
 */
export function fallbackNaiveTimeBucket(shape: BucketShape, t: string, w: () => string): string {
  if (shape.hasMonths) {
    if (shape.truncUnit !== undefined) return `date_trunc('${shape.truncUnit}', ${t})`;
    return wholeMonths(t, w);
  }
  return `date_bin(${w()}, ${t}, timestamp '2000-01-03 00:00:00')`;
}

/**
 * The bucket of an integer expression `t` with the integer width `w` (both SQL of the
 * same integer type, which the result keeps): the largest multiple of `w` not above `t`.
 */
export function fallbackIntegerTimeBucket(t: string, w: string): string {
  return `((${t}) - (((${t}) % ${w}) + ${w}) % ${w})`;
}
