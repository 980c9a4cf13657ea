/**
 * Values of model fields, checked by type before they become parameters: for insertMany
 * (strict JavaScript types) and for equality filters (also the text forms a query string
 * carries, e.g. '42' for an int field).
 */
import { isInetText } from '../spec/defaults.js';
import type { Field } from '../spec/types.js';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:[Zz]|[+-](\d{2}):?(\d{2})))?$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?$/;

/** Days of each month in a leap year; February 29 is checked against the year. */
const MONTH_DAYS: readonly number[] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function realDate(y: number, m: number, d: number): boolean {
  // Date.UTC would roll 2026-02-30 over to March; PostgreSQL refuses it.
  const days = MONTH_DAYS[m - 1] ?? 0;
  const leap = m === 2 && d === 29 ? (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 : true;
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days && leap;
}

function realClock(h: number, min: number, s: number): boolean {
  return h <= 23 && min <= 59 && s <= 59;
}

/**
 * Whether a Date's year (NaN for an invalid Date) is one the text forms take: four digits
 * from year 1. Before it toISOString writes `-000001` and a padded clock `00-1`, neither
 * of which PostgreSQL reads as meant; text is held to the same years.
 */
const inYears = (year: number): boolean => year >= 1 && year <= 9999;

/** A part a pattern may leave out, as a number (0 when left out). */
const numberOr0 = (part: string | undefined): number => (part === undefined ? 0 : Number(part));

/** The number written by `length` ASCII digits at `at`, or -1. */
function digitsAt(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * For `YYYY-MM-DDTHH:MM:SS.sssZ` (how toISOString and JSON write a Date, the usual form by
 * far), whether it names a real date and clock, read without the pattern's captures;
 * undefined for any other text, which the pattern reads. Both give the same answer.
 */
function canonicalTimestamp(value: string): boolean | undefined {
  if (
    value.length !== 24 ||
    value[4] !== '-' ||
    value[7] !== '-' ||
    value[10] !== 'T' ||
    value[13] !== ':' ||
    value[16] !== ':' ||
    value[19] !== '.' ||
    value[23] !== 'Z' ||
    digitsAt(value, 20, 3) < 0
  ) {
    return undefined;
  }
  const [y, mo, d, h, mi, s] = [0, 5, 8, 11, 14, 17].map((at) =>
    digitsAt(value, at, at === 0 ? 4 : 2),
  ) as [number, number, number, number, number, number];
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  return realDate(y, mo, d) && realClock(h, mi, s);
}

/**
 * An RFC 3339 timestamp or a date alone (midnight UTC) that names a real moment from year 1
 * on, the way PostgreSQL reads it: `2026-02-30` and `24:00` are refused rather than rolled over.
 */
export function isTimestampText(value: string): boolean {
  const canonical = canonicalTimestamp(value);
  if (canonical !== undefined) return canonical && !Number.isNaN(Date.parse(value));
  const m = RFC3339.exec(value);
  if (!m) return false;
  return (
    realDate(Number(m[1]), Number(m[2]), Number(m[3])) &&
    realClock(numberOr0(m[4]), numberOr0(m[5]), numberOr0(m[6])) &&
    numberOr0(m[7]) <= 15 &&
    numberOr0(m[8]) <= 59 &&
    !Number.isNaN(Date.parse(value))
  );
}

function isDateText(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m !== null && realDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** A time of day as PostgreSQL's `time` takes it: also `24:00[:00]` and a leap second. */
function isTimeText(value: string): boolean {
  const m = TIME.exec(value);
  if (m === null) return false;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h === 24) return min === 0 && s === 0 && !value.includes('.');
  return h <= 23 && min <= 59 && s <= 60;
}

/** Half of a UTF-16 surrogate pair without its other half: not text, and not storable. */
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text PostgreSQL cannot store as given: a NUL character (text and jsonb refuse it) or a
 * lone surrogate (the driver would send U+FFFD in its place, silently).
 */
function unstorable(text: string): boolean {
  // Most text has no surrogate at all; the exact test runs only on text that has one.
  return text.includes('\0') || (SURROGATE.test(text) && LONE_SURROGATE.test(text));
}

/** True when a JSON value holds unstorable text in a string or key. */
function holdsUnstorable(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return unstorable(value);
  if (value === null || typeof value !== 'object' || depth > 100) return false;
  return Object.entries(value).some(([k, v]) => unstorable(k) || holdsUnstorable(v, depth + 1));
}
const INTEGER = /^-?\d{1,19}$/;
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const INT16_MIN = -32768;
const INT16_MAX = 32767;
const NAIVE_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A timestamp without time zone, as `pg` reads one: a naive clock. Text without a zone
 * (`2026-01-01T08:00:00`, a date alone is midnight) is taken as written; a Date gives its
 * clock in this process's time zone, as `pg` returns timestamp values as Dates in it.
 */
export function naiveTimestampText(value: unknown): string | undefined {
  if (value instanceof Date) {
    if (!inYears(value.getFullYear())) return undefined;
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return (
      `${p(value.getFullYear(), 4)}-${p(value.getMonth() + 1)}-${p(value.getDate())}` +
      `T${p(value.getHours())}:${p(value.getMinutes())}:${p(value.getSeconds())}.${p(value.getMilliseconds(), 3)}`
    );
  }
  if (typeof value !== 'string') return undefined;
  const m = NAIVE_TIMESTAMP.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, sec] = m.map((x) => (x === undefined ? 0 : Number(x)));
  if (!realDate(y as number, mo as number, d as number)) return undefined;
  if (!realClock(h as number, mi as number, sec as number)) return undefined;
  return value.length === 10 ? `${value}T00:00:00` : value;
}

/** One element of a PostgreSQL array literal: NULL, or double-quoted with `\` and `"` escaped. */
function arrayElement(value: unknown): string {
  if (value === null) return 'NULL';
  return `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * An array field's value: a JavaScript array of element values (null allowed), as the text
 * of a PostgreSQL array literal, cast to the column's type in the statement.
 */
function arrayValue(field: Field, value: unknown): string {
  if (!Array.isArray(value)) {
    throw new Error(`expected an array of ${field.type} values, got ${describeValue(value)}`);
  }
  const element: Field = { ...field, array: false };
  const parts = value.map((v, i) => {
    if (v === null) return 'NULL';
    try {
      return arrayElement(fieldValue(element, v));
    } catch (e) {
      throw new Error(`element ${i}: ${(e as Error).message}`, { cause: e });
    }
  });
  return `{${parts.join(',')}}`;
}

/**
 * Whether the field's values travel as text and are cast in the statement: arrays (an
 * array of arrays would be flattened by unnest) and sql_type fields (no client-side type).
 */
export function passedAsText(field: Field): boolean {
  return field.array === true || field.type === 'sql';
}

/** The value of one field as a parameter array element; throws a message when invalid. */
export function fieldValue(field: Field, value: unknown): unknown {
  const bad = (what: string): never => {
    throw new Error(`expected ${what}, got ${describeValue(value)}`);
  };
  if (field.array === true) return arrayValue(field, value);
  switch (field.type) {
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? value : bad('a UUID string');
    case 'string':
    case 'text':
      if (typeof value !== 'string') return bad('a string');
      if (unstorable(value))
        return bad('a string without NUL characters or lone surrogates (half of a pair)');
      // Characters (code points) are never more than UTF-16 units: count only if it may matter.
      if (
        field.maxLength !== undefined &&
        value.length > field.maxLength &&
        [...value].length > field.maxLength
      ) {
        return bad(`at most ${field.maxLength} characters`);
      }
      return value;
    case 'enum':
      return typeof value === 'string' && (field.values ?? []).includes(value)
        ? value
        : bad(`one of ${(field.values ?? []).join(', ')}`);
    case 'int':
      return typeof value === 'number' &&
        Number.isSafeInteger(value) &&
        value >= INT32_MIN &&
        value <= INT32_MAX
        ? value
        : bad('a 32-bit whole number');
    case 'bigint': {
      let n: bigint | undefined;
      if (typeof value === 'bigint') n = value;
      else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
      else if (typeof value === 'string' && INTEGER.test(value)) n = BigInt(value);
      return n !== undefined && n >= INT64_MIN && n <= INT64_MAX
        ? n.toString()
        : bad('a 64-bit whole number (number, bigint or digit string)');
    }
    case 'smallint':
      return typeof value === 'number' &&
        Number.isSafeInteger(value) &&
        value >= INT16_MIN &&
        value <= INT16_MAX
        ? value
        : bad('a 16-bit whole number (-32768 to 32767)');
    case 'float':
    case 'real':
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? value : bad('a finite number');
    case 'timestamp':
      return (
        naiveTimestampText(value) ??
        bad(
          'a Date from year 1 to 9999 or a timestamp without time zone (YYYY-MM-DD[THH:MM[:SS[.ffffff]]])',
        )
      );
    case 'bytea':
      // Sent in PostgreSQL's hex form; base64 is how JSON carries bytes.
      if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
      return typeof value === 'string' && BASE64.test(value)
        ? `\\x${Buffer.from(value, 'base64').toString('hex')}`
        : bad('a Buffer, a Uint8Array or base64 text');
    case 'inet':
      return typeof value === 'string' && isInetText(value)
        ? value
        : bad('an IP address, optionally with a /prefix');
    case 'sql':
      // PostgreSQL's own input function checks it when the statement casts it.
      return typeof value === 'string' && !unstorable(value)
        ? value
        : bad(`text in the input form of ${field.sqlType?.name ?? 'the type'}`);
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'bigint') return value.toString();
      return typeof value === 'string' && DECIMAL.test(value) ? value : bad('a decimal number');
    case 'boolean':
      return typeof value === 'boolean' ? value : bad('a boolean');
    case 'datetime':
      if (value instanceof Date) {
        return inYears(value.getUTCFullYear())
          ? value.toISOString()
          : bad('a valid Date from year 1 to 9999');
      }
      return typeof value === 'string' && isTimestampText(value)
        ? value.length === 10
          ? `${value}T00:00:00Z`
          : value
        : bad('a Date or an RFC 3339 timestamp');
    case 'date':
      if (value instanceof Date) {
        return inYears(value.getUTCFullYear())
          ? value.toISOString().slice(0, 10)
          : bad('a valid Date from year 1 to 9999');
      }
      return typeof value === 'string' && isDateText(value) ? value : bad('a date YYYY-MM-DD');
    case 'time':
      return typeof value === 'string' && isTimeText(value) ? value : bad('a time HH:MM[:SS]');
    case 'json': {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        text = undefined;
      }
      if (text !== undefined && holdsUnstorable(value))
        return bad('JSON without NUL characters or lone surrogates (half of a pair)');
      return text === undefined ? bad('a JSON value') : text;
    }
    default:
      return bad('a supported type');
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) {
    return Number.isNaN(value.getTime())
      ? 'an invalid Date'
      : `a Date in year ${value.getUTCFullYear()}`;
  }
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return typeof value;
}

const NUMBER_TEXT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * A filter value as a parameter: like fieldValue, but numbers and booleans may also be
 * given as text. Throws a message when invalid.
 */
export function filterFieldValue(field: Field, value: unknown): unknown {
  if (typeof value === 'string') {
    const numeric = ['int', 'smallint', 'float', 'real', 'double'].includes(field.type);
    if (numeric && field.array !== true && NUMBER_TEXT.test(value)) {
      return fieldValue(field, Number(value));
    }
    if (field.type === 'boolean' && (value === 'true' || value === 'false'))
      return value === 'true';
  }
  return fieldValue(field, value);
}
