/**
 * The one interval grammar: `<n> <unit>` repeated (`1 day 12 hours`), units microsecond
 * to year, singular or plural. Anything else is refused, so an interval can be placed in
 * SQL as a literal without any other escaping. Durations are compared the way
 * TimescaleDB stores them: a month is 30 days, a year 360 days.
 */
import { UsageError } from '../errors.js';
import { closest } from '../util/closest.js';
import { quoteLiteral } from './quote.js';

export const INTERVAL_UNITS = Object.freeze([
  'year',
  'month',
  'week',
  'day',
  'hour',
  'minute',
  'second',
  'millisecond',
  'microsecond',
] as const);
export type IntervalUnit = (typeof INTERVAL_UNITS)[number];

const MICROS: Readonly<Record<IntervalUnit, bigint>> = Object.freeze({
  microsecond: 1n,
  millisecond: 1_000n,
  second: 1_000_000n,
  minute: 60_000_000n,
  hour: 3_600_000_000n,
  day: 86_400_000_000n,
  week: 7n * 86_400_000_000n,
  month: 30n * 86_400_000_000n,
  year: 360n * 86_400_000_000n,
});

export interface Interval {
  readonly kind: 'interval';
  /** Canonical text: units largest first, each once, singular/plural agreeing. */
  readonly text: string;
  /** Duration in microseconds (month = 30 days, year = 360 days). */
  readonly micros: bigint;
}

export type IntervalResult =
  | { readonly ok: true; readonly interval: Interval }
  | { readonly ok: false; readonly reason: string; readonly hint: string };

const EXAMPLE_HINT = "write it as '<number> <unit>', e.g. '7 days', '1 month' or '1 day 12 hours'";
const MAX_AMOUNT = 1_000_000_000n;
/** Far below PostgreSQL's interval range, far above any sensible policy. */
const MAX_MICROS = 1000n * 360n * 86_400_000_000n;

function unitOf(word: string): IntervalUnit | undefined {
  const w = word.toLowerCase();
  const singular = w.endsWith('s') ? w.slice(0, -1) : w;
  return (INTERVAL_UNITS as readonly string[]).includes(singular)
    ? (singular as IntervalUnit)
    : undefined;
}

function closestUnit(word: string): string | undefined {
  const singular = word.toLowerCase().replace(/s$/, '');
  return closest(singular, INTERVAL_UNITS);
}

export function parseInterval(input: unknown): IntervalResult {
  if (typeof input !== 'string') {
    return { ok: false, reason: 'an interval must be a string', hint: EXAMPLE_HINT };
  }
  const tokens = input.trim().split(/\s+/);
  if (input.trim() === '' || tokens.length % 2 !== 0) {
    return { ok: false, reason: `invalid interval ${JSON.stringify(input)}`, hint: EXAMPLE_HINT };
  }
  const amounts = new Map<IntervalUnit, bigint>();
  for (let i = 0; i < tokens.length; i += 2) {
    const amountText = tokens[i] as string;
    const unitText = tokens[i + 1] as string;
    if (!/^\d{1,10}$/.test(amountText)) {
      return {
        ok: false,
        reason: `invalid interval ${JSON.stringify(input)}: ${JSON.stringify(amountText)} is not a whole number`,
        hint: EXAMPLE_HINT,
      };
    }
    const unit = unitOf(unitText);
    if (unit === undefined) {
      const near = closestUnit(unitText);
      return {
        ok: false,
        reason: `invalid interval ${JSON.stringify(input)}: unknown unit ${JSON.stringify(unitText)}`,
        hint: near
          ? `did you mean '${near}'? Units: ${INTERVAL_UNITS.join(', ')} (singular or plural)`
          : `units: ${INTERVAL_UNITS.join(', ')} (singular or plural)`,
      };
    }
    const amount = BigInt(amountText);
    if (amount > MAX_AMOUNT) {
      return {
        ok: false,
        reason: `interval ${JSON.stringify(input)} is too large`,
        hint: EXAMPLE_HINT,
      };
    }
    amounts.set(unit, (amounts.get(unit) ?? 0n) + amount);
  }
  let micros = 0n;
  const parts: string[] = [];
  for (const unit of INTERVAL_UNITS) {
    const n = amounts.get(unit);
    if (n === undefined || n === 0n) continue;
    micros += n * MICROS[unit];
    parts.push(`${n} ${unit}${n === 1n ? '' : 's'}`);
  }
  if (micros > MAX_MICROS) {
    return {
      ok: false,
      reason: `interval ${JSON.stringify(input)} is longer than 1000 years`,
      hint: EXAMPLE_HINT,
    };
  }
  if (micros === 0n) {
    return {
      ok: false,
      reason: `interval ${JSON.stringify(input)} is zero`,
      hint: 'use a positive duration, e.g. 1 day',
    };
  }
  return { ok: true, interval: Object.freeze({ kind: 'interval', text: parts.join(' '), micros }) };
}

/** Compares two intervals as durations (negative, zero, positive). */
export function compareIntervals(a: Interval, b: Interval): number {
  return a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : 0;
}

/** An interval argument of an operation: interval text, or an integer for integer time columns. */
export type IntervalInput = string | number | bigint;

/**
 * SQL for an interval argument: `INTERVAL '1 day'` (validated by the grammar) or a whole
 * number for integer time columns. Throws a UsageError naming `what` for anything else.
 */
export function intervalSql(input: IntervalInput, what: string): string {
  if (typeof input === 'number' || typeof input === 'bigint') {
    if (typeof input === 'number' && !Number.isSafeInteger(input)) {
      throw new UsageError(`${what} must be a whole number of time-column units, got ${input}`);
    }
    if (BigInt(input) <= 0n) throw new UsageError(`${what} must be positive, got ${input}`);
    return BigInt(input).toString();
  }
  const parsed = parseInterval(input);
  if (!parsed.ok) throw new UsageError(`${what}: ${parsed.reason}`, { hint: parsed.hint });
  return `INTERVAL ${quoteLiteral(parsed.interval.text)}`;
}
