/**
 * Field defaults: a literal that fits the field's type, or one of three SQL functions.
 * Checked here so a bad default fails at `generate`, not halfway through a migration.
 */
import { isIP } from 'node:net';
import { DEFAULT_FUNCTIONS } from './schema.js';
import type { FieldDefault, FieldType } from './types.js';

export interface DefaultTarget {
  readonly type: FieldType;
  readonly array?: boolean | undefined;
  readonly maxLength?: number | undefined;
  readonly precision?: number | undefined;
  readonly scale?: number | undefined;
  readonly values?: readonly string[] | undefined;
}

export type DefaultResult =
  | { readonly ok: true; readonly value: FieldDefault }
  | { readonly ok: false; readonly message: string; readonly hint: string };

type FunctionName = Extract<FieldDefault, { kind: 'function' }>['name'];

const FUNCTIONS: Readonly<
  Record<(typeof DEFAULT_FUNCTIONS)[number], { name: FunctionName; types: readonly FieldType[] }>
> = Object.freeze({
  // On timestamp, now() is the wall clock of the session's TimeZone setting.
  'now()': { name: 'now', types: ['datetime', 'timestamp', 'date', 'time'] },
  'gen_random_uuid()': { name: 'gen_random_uuid', types: ['uuid'] },
  current_date: { name: 'current_date', types: ['date', 'datetime', 'timestamp'] },
});

/** How prism.yaml writes a function default: `now()`, `gen_random_uuid()`, `current_date`. */
export function functionDefaultText(name: FunctionName): (typeof DEFAULT_FUNCTIONS)[number] {
  const text = (Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]).find(
    (t) => FUNCTIONS[t].name === name,
  );
  if (text === undefined) throw new TypeError(`unknown default function ${JSON.stringify(name)}`);
  return text;
}

const INT4 = { min: -2_147_483_648, max: 2_147_483_647 };
const INT2 = { min: -32_768, max: 32_767 };
/** A timestamp without a zone: the naive clock a `timestamp` column stores. */
const NAIVE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/;
/** bytea in PostgreSQL's hex output form, as the catalog prints a bytea constant. */
const BYTEA_HEX = /^\\x(?:[0-9a-f]{2})*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

function fail(message: string, hint: string): DefaultResult {
  return { ok: false, message, hint };
}

function literal(value: string | number | boolean): DefaultResult {
  return { ok: true, value: Object.freeze({ kind: 'literal', value }) };
}

/**
 * A timestamp as JavaScript's Date parses it: `T` between date and time, and a zone of
 * hours alone (`+00`, as PostgreSQL prints it) or without a colon made `+00:00`.
 */
function isoTimestamp(value: string): string {
  return value
    .replace(' ', 'T')
    .replace(/([+-]\d{2})$/, '$1:00')
    .replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}

function isCalendarDate(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function functionDefault(text: keyof typeof FUNCTIONS, field: DefaultTarget): DefaultResult {
  const fn = FUNCTIONS[text];
  if (fn.types.includes(field.type)) {
    return { ok: true, value: Object.freeze({ kind: 'function', name: fn.name }) };
  }
  const fitting = Object.entries(FUNCTIONS)
    .filter(([, f]) => f.types.includes(field.type))
    .map(([t]) => t);
  return fail(
    `default ${text} does not fit type ${field.type}`,
    fitting.length > 0
      ? `use ${fitting.join(' or ')}, or a literal`
      : `use a literal ${field.type} value`,
  );
}

function decimalFits(text: string, field: DefaultTarget): boolean {
  if (field.precision === undefined) return true;
  const [whole = '', fraction = ''] = text.replace(/^-/, '').split('.');
  const scale = field.scale ?? 0;
  return whole.replace(/^0+/, '').length <= field.precision - scale && fraction.length <= scale;
}

function checkString(value: string, field: DefaultTarget): DefaultResult {
  if (field.maxLength !== undefined && [...value].length > field.maxLength) {
    return fail(
      `default is longer than max_length ${field.maxLength}`,
      'shorten the default or raise max_length',
    );
  }
  return literal(value);
}

/** One checker per type: the literal's JS type and its text form. */
function checkLiteral(value: string | number | boolean, field: DefaultTarget): DefaultResult {
  const isString = typeof value === 'string';
  switch (field.type) {
    case 'string':
    case 'text':
      return isString
        ? checkString(value, field)
        : fail(`default for type ${field.type} must be text`, `quote it: default: '${value}'`);
    case 'uuid':
      return isString && UUID.test(value)
        ? literal(value)
        : fail(
            'default is not a UUID',
            "write e.g. '00000000-0000-0000-0000-000000000000', or use gen_random_uuid()",
          );
    case 'int':
      return Number.isInteger(value) &&
        (value as number) >= INT4.min &&
        (value as number) <= INT4.max
        ? literal(value)
        : fail(
            'default for type int must be a whole number between -2147483648 and 2147483647',
            'write e.g. default: 0, or use type bigint',
          );
    case 'bigint':
      return Number.isSafeInteger(value)
        ? literal(value)
        : fail(
            'default for type bigint must be a whole number',
            'write e.g. default: 0 (at most 2^53 - 1)',
          );
    case 'smallint':
      return Number.isInteger(value) &&
        (value as number) >= INT2.min &&
        (value as number) <= INT2.max
        ? literal(value)
        : fail(
            'default for type smallint must be a whole number between -32768 and 32767',
            'write e.g. default: 0, or use type int',
          );
    case 'float':
    case 'real':
    case 'double':
      return typeof value === 'number' && Number.isFinite(value)
        ? literal(value)
        : fail(`default for type ${field.type} must be a number`, 'write e.g. default: 0.5');
    case 'timestamp':
      return isString &&
        NAIVE_TIMESTAMP.test(value) &&
        isCalendarDate(value.slice(0, 10)) &&
        !Number.isNaN(Date.parse(`${value.replace(' ', 'T')}Z`))
        ? literal(value)
        : fail(
            'default for type timestamp must be a date and time without a time zone',
            "write e.g. '2024-01-01 00:00:00', or use now()",
          );
    case 'bytea':
      return isString && BYTEA_HEX.test(value)
        ? literal(value)
        : fail(
            'default for type bytea must be hex bytes as PostgreSQL prints them',
            "write e.g. '\\x00ff' (lowercase hex after \\x)",
          );
    case 'inet':
      return isString && isInetText(value)
        ? literal(value)
        : fail(
            'default for type inet must be an IP address, optionally with a /prefix',
            "write e.g. '10.0.0.1' or '2001:db8::/32'",
          );
    case 'sql':
      return fail(
        'a field with sql_type takes no default',
        'prism.yaml cannot check a value of a type it does not know',
      );
    case 'decimal':
      return (typeof value === 'number' && Number.isFinite(value)) ||
        (isString && DECIMAL.test(value))
        ? decimalFits(String(value), field)
          ? literal(value)
          : fail(
              `default ${value} does not fit decimal(${field.precision}, ${field.scale ?? 0})`,
              'use fewer digits or raise precision/scale',
            )
        : fail(
            'default for type decimal must be a number',
            "write e.g. default: '12.50' (quoted keeps every digit)",
          );
    case 'boolean':
      return typeof value === 'boolean'
        ? literal(value)
        : fail(
            'default for type boolean must be true or false',
            'write default: true or default: false',
          );
    case 'datetime':
      return isString && DATETIME.test(value) && !Number.isNaN(Date.parse(isoTimestamp(value)))
        ? literal(value)
        : fail(
            'default for type datetime must be a timestamp with a time zone',
            "write e.g. '2024-01-01T00:00:00Z', or use now()",
          );
    case 'date':
      return isString && /^\d{4}-\d{2}-\d{2}$/.test(value) && isCalendarDate(value)
        ? literal(value)
        : fail(
            'default for type date must be a date',
            "write e.g. '2024-01-31', or use current_date",
          );
    case 'time':
      return isString && TIME.test(value)
        ? literal(value)
        : fail(
            'default for type time must be a time of day',
            "write e.g. '08:30:00', or use now()",
          );
    case 'json':
      return isString && isJson(value)
        ? literal(value)
        : fail(
            'default for type json must be JSON text',
            `write it as a quoted string, e.g. default: '{}'`,
          );
    case 'enum':
      return isString && (field.values ?? []).includes(value)
        ? literal(value)
        : fail(
            `default ${JSON.stringify(value)} is not one of the enum values`,
            `use one of: ${(field.values ?? []).join(', ')}`,
          );
  }
}

/**
 * An inet value as PostgreSQL takes it: an IPv4 or IPv6 address with an optional prefix
 * length (0–32 / 0–128).
 */
export function isInetText(text: string): boolean {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
  if (m === null) return false;
  const kind = isIP(m[1] as string);
  if (kind === 0) return false;
  return m[2] === undefined || Number(m[2]) <= (kind === 4 ? 32 : 128);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function parseDefault(
  value: string | number | boolean,
  field: DefaultTarget,
): DefaultResult {
  if (typeof value === 'string' && value.includes('\0')) {
    return fail('default contains a NUL character', 'PostgreSQL text cannot hold NUL; remove it');
  }
  if (field.array === true) {
    return value === '{}'
      ? literal(value)
      : fail(
          'an array field takes only the empty array as its default',
          "write default: '{}', or remove the default",
        );
  }
  if (typeof value === 'string' && Object.hasOwn(FUNCTIONS, value)) {
    return functionDefault(value as keyof typeof FUNCTIONS, field);
  }
  return checkLiteral(value, field);
}
