/**
 * chunk_interval, after, drop_after, aggregate buckets and refresh offsets: an interval for
 * datetime/timestamp/date time columns, a positive integer in the column's units for
 * int/bigint ones (TimescaleDB's own rule).
 */
import { parseInterval } from '../sql/interval.js';
import type { Finding, Path } from './findings.js';
import { specError } from './findings.js';
import type { RawTimeAmount } from './raw.js';
import type { FieldType, TimeAmount } from './types.js';

export type TimeUnit = 's' | 'ms' | 'us';

/** The time column an amount is measured against. */
export interface TimeColumn {
  readonly name: string;
  readonly type: FieldType;
  readonly unit?: TimeUnit | undefined;
}

export type AmountResult =
  | { readonly ok: true; readonly amount: TimeAmount }
  | { readonly ok: false; readonly finding: Finding };

const UNIT_MICROS: Readonly<Record<TimeUnit, bigint>> = Object.freeze({
  s: 1_000_000n,
  ms: 1_000n,
  us: 1n,
});
const INT4_MAX = 2_147_483_647;

/** What an integer time column needs for policies and aggregates: an integer-now function. */
export const INT_NOW_HINT =
  "set time_unit (s, ms or us: the unit the integer counts) so prism-migrate creates TimescaleDB's integer-now function";

export function isIntegerTime(type: FieldType | undefined): boolean {
  return type === 'int' || type === 'bigint';
}

function integerHint(raw: RawTimeAmount, key: string, unit: TimeUnit | undefined): string {
  const parsed = typeof raw === 'string' ? parseInterval(raw) : undefined;
  if (parsed?.ok && unit !== undefined && parsed.interval.micros % UNIT_MICROS[unit] === 0n) {
    const n = parsed.interval.micros / UNIT_MICROS[unit];
    return `with time_unit ${unit}, ${parsed.interval.text} is ${n}: write \`${key}: ${n}\``;
  }
  return `write a positive whole number without quotes, e.g. \`${key}: 86400\` (one day when the column counts seconds)`;
}

function integerAmount(
  raw: RawTimeAmount,
  key: string,
  column: TimeColumn,
  path: Path,
): AmountResult {
  if (typeof raw !== 'number') {
    const message = `${key} must be an integer number of time-column units because time_column '${column.name}' is ${column.type}`;
    return { ok: false, finding: specError(path, message, integerHint(raw, key, column.unit)) };
  }
  if (!Number.isSafeInteger(raw) || (column.type === 'int' && raw > INT4_MAX)) {
    const limit = column.type === 'int' ? `${INT4_MAX} (int)` : `${Number.MAX_SAFE_INTEGER}`;
    return {
      ok: false,
      finding: specError(path, `${key} ${raw} is too large`, `use at most ${limit}`),
    };
  }
  return { ok: true, amount: Object.freeze({ kind: 'integer', value: BigInt(raw) }) };
}

function intervalAmount(
  raw: RawTimeAmount,
  key: string,
  column: TimeColumn,
  path: Path,
): AmountResult {
  if (typeof raw === 'number') {
    const message = `${key} must be an interval such as '7 days' because time_column '${column.name}' is ${column.type}`;
    return {
      ok: false,
      finding: specError(path, message, `give the number a unit, e.g. \`${key}: ${raw} days\``),
    };
  }
  const parsed = parseInterval(raw);
  if (!parsed.ok)
    return { ok: false, finding: specError(path, `${key}: ${parsed.reason}`, parsed.hint) };
  return { ok: true, amount: Object.freeze({ kind: 'interval', interval: parsed.interval }) };
}

export function parseTimeAmount(
  raw: RawTimeAmount,
  key: string,
  column: TimeColumn,
  path: Path,
): AmountResult {
  return isIntegerTime(column.type)
    ? integerAmount(raw, key, column, path)
    : intervalAmount(raw, key, column, path);
}

/**
 * An optional amount at `path`: its value, or the finding that refuses it. Nothing when it
 * is absent or the time column is unknown (its own problem is reported there).
 */
export function amountAt(
  raw: RawTimeAmount | undefined,
  key: string,
  column: TimeColumn | undefined,
  path: Path,
): { readonly value: TimeAmount | undefined; readonly findings: readonly Finding[] } {
  if (raw === undefined || column === undefined) return { value: undefined, findings: [] };
  const result = parseTimeAmount(raw, key, column, path);
  return result.ok
    ? { value: result.amount, findings: [] }
    : { value: undefined, findings: [result.finding] };
}

/** Compares two amounts of the same kind; undefined when kinds differ. */
export function compareAmounts(a: TimeAmount, b: TimeAmount): number | undefined {
  const x = a.kind === 'interval' ? a.interval.micros : a.kind === 'integer' ? a.value : undefined;
  const y = b.kind === 'interval' ? b.interval.micros : b.kind === 'integer' ? b.value : undefined;
  if (x === undefined || y === undefined || a.kind !== b.kind) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether two amounts are the same duration as TimescaleDB counts them (month = 30 days). */
export function sameAmount(a: TimeAmount | undefined, b: TimeAmount | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return compareAmounts(a, b) === 0;
}

/** A time amount as prism.yaml and messages write it: `7 days`, or `86400` for integer time. */
export function amountText(a: TimeAmount): string {
  return a.kind === 'interval' ? a.interval.text : a.value.toString();
}
