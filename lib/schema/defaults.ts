/**
 * Column defaults compared as values of their type: a spec's `2024-01-01T00:00:00Z` and
 * the catalog's `2024-01-01 00:00:00+00` are one timestamp, `12.50` and `12.5` one number,
 * `{"a":1}` and `{"a": 1}` one JSON document.
 */
import type { ColumnDefault } from './types.js';

const FUNCTION_SQL = Object.freeze({
  now: 'now()',
  gen_random_uuid: 'gen_random_uuid()',
  current_date: 'CURRENT_DATE',
} as const);

/** The SQL of a function default, as migrations write it and the catalog prints it. */
export function functionDefaultSql(name: keyof typeof FUNCTION_SQL): string {
  return FUNCTION_SQL[name];
}

/** A string as SQL writes it in messages: `'it''s'`. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** How a default reads in messages: `now()`, `'draft'`, `42`, or the expression's SQL. */
export function describeDefault(value: ColumnDefault): string {
  switch (value.kind) {
    case 'function':
      return FUNCTION_SQL[value.name];
    case 'expression':
      return value.sql;
    case 'literal':
      return typeof value.value === 'string' ? sqlString(value.value) : String(value.value);
  }
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A timestamp with a zone as microseconds since the epoch; undefined if it is not one. */
function timestampMicros(text: string): bigint | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
  const millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
  }
  return BigInt(millis - offsetMinutes * 60_000) * 1000n + BigInt(frac.padEnd(6, '0') || '0');
}

/** `08:30` and `08:30:00.000` alike: `08:30:00`, fraction without trailing zeros. */
function timeText(text: string): string {
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(text.trim());
  if (!m) return text;
  const frac = (m[4] ?? '').replace(/0+$/, '');
  return `${m[1]}:${m[2]}:${m[3] ?? '00'}${frac ? `.${frac}` : ''}`;
}

/** `12.50`, `+12.5`, `12.500` alike: `12.5`. */
function decimalText(text: string): string {
  const m = /^([+-]?)0*(\d*)(?:\.(\d*?)0*)?$/.exec(text.trim());
  if (!m) return text;
  const whole = m[2] === '' ? '0' : (m[2] as string);
  const frac = m[3] ?? '';
  const sign = m[1] === '-' && (whole !== '0' || frac !== '') ? '-' : '';
  return `${sign}${whole}${frac ? `.${frac}` : ''}`;
}

function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, canonicalJson(record[k])]),
    );
  }
  return value;
}

function jsonText(text: string): string {
  try {
    return JSON.stringify(canonicalJson(JSON.parse(text)));
  } catch {
    return text;
  }
}

/** A literal as one text per value of the column's catalog type. */
function literalKey(type: string, value: string | number | boolean): string {
  const text = String(value);
  if (type === 'timestamp with time zone') return String(timestampMicros(text) ?? text);
  // A naive clock reads as if at UTC: equal clocks, equal keys.
  if (type === 'timestamp without time zone') return String(timestampMicros(text) ?? text);
  // PostgreSQL prints a host address without its full-length prefix.
  if (type === 'inet') return text.replace(text.includes(':') ? /\/128$/ : /\/32$/, '');
  if (type.startsWith('time without time zone') || type === 'time') return timeText(text);
  if (type === 'jsonb' || type === 'json') return jsonText(text);
  if (type === 'uuid') return text.toLowerCase();
  if (
    type.startsWith('numeric') ||
    type === 'integer' ||
    type === 'bigint' ||
    type === 'smallint' ||
    type === 'double precision' ||
    type === 'real'
  ) {
    return typeof value === 'number' ? decimalText(String(value)) : decimalText(text);
  }
  return text;
}

/** Whether two defaults of a column of catalog type `type` are the same value. */
export function sameDefault(
  type: string,
  a: ColumnDefault | undefined,
  b: ColumnDefault | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind === 'function' && b.kind === 'function') return a.name === b.name;
  if (a.kind === 'expression' && b.kind === 'expression') return a.sql === b.sql;
  if (a.kind === 'literal' && b.kind === 'literal') {
    return literalKey(type, a.value) === literalKey(type, b.value);
  }
  return false;
}
