/**
 * Time amounts from the catalog (chunk intervals, policy ages) as the Schema's
 * TimeAmount. An interval is taken apart by PostgreSQL (`extract`), put together again as
 * the one interval grammar's text and parsed by it, so its duration counts a month as 30
 * days and a year as 360, as TimescaleDB does.
 */
import type { TimeAmount } from '../spec/types.js';
import { parseInterval } from '../sql/interval.js';

const PARTS = ['year', 'month', 'day', 'hour', 'minute', 'microseconds'] as const;

/**
 * SQL for the parts of the interval expression `expr` as a bigint[]: years, months, days,
 * hours, minutes and microseconds (seconds included); NULL when `expr` is NULL.
 */
export function intervalPartsSql(expr: string): string {
  return `ARRAY[${PARTS.map((p) => `EXTRACT(${p} FROM ${expr})`).join(', ')}]::pg_catalog.int8[]`;
}

const UNITS = ['year', 'month', 'day', 'hour', 'minute'] as const;
const MICROS_PER_SECOND = 1_000_000n;

/**
 * The interval whose parts `intervalPartsSql` gave (pg hands bigints over as text), or
 * undefined when the grammar cannot state it (negative, zero, longer than it allows).
 */
export function intervalFromParts(parts: readonly (string | number)[]): TimeAmount | undefined {
  if (parts.length !== PARTS.length || parts.some((p) => !/^-?\d+$/.test(String(p)))) {
    return undefined;
  }
  const n = parts.map((p) => BigInt(p));
  if (n.some((p) => p < 0n)) return undefined;
  const micros = n[5] as bigint;
  const words = [
    ...UNITS.map((unit, i) => `${n[i] as bigint} ${unit}`),
    `${micros / MICROS_PER_SECOND} second`,
    `${micros % MICROS_PER_SECOND} microsecond`,
  ].filter((w) => !w.startsWith('0 '));
  const parsed = parseInterval(words.join(' '));
  return parsed.ok ? { kind: 'interval', interval: parsed.interval } : undefined;
}

/** An integer amount as the catalog prints it (`86400000`), or undefined for anything else. */
export function integerAmount(text: string | null | undefined): TimeAmount | undefined {
  if (text == null || !/^\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value > 0n ? { kind: 'integer', value } : undefined;
}
