/**
 * A column default as `pg_get_expr` prints it, read back into the Schema's terms by a
 * strict small parser: one of the spec's functions, a constant, or else the expression's
 * text. Nothing is evaluated.
 */
import type { ColumnDefault } from '../schema/types.js';

const FUNCTIONS: Readonly<Record<string, 'now' | 'gen_random_uuid' | 'current_date'>> =
  Object.freeze({
    'now()': 'now',
    'gen_random_uuid()': 'gen_random_uuid',
    CURRENT_DATE: 'current_date',
  });

/**
 * `'…'::type` with `''` for a quote inside: how PostgreSQL prints a constant of any type
 * (text, timestamps, JSON, negative numbers). The type is a plain type name, perhaps with
 * a modifier, a time zone clause or array brackets; anything more (a second cast, an
 * operator) makes the whole text an expression.
 */
const QUOTED =
  /^'((?:[^']|'')*)'::(?:[a-z_"][a-z0-9_ ."]*?)(?:\(\d+(?:,\d+)?\))?(?: with(?:out)? time zone)?(?:\[\])*$/s;

/** Bare constants: numbers (PostgreSQL prints non-negative ones without a cast) and booleans. */
const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

const INTEGER_TYPES = new Set(['integer', 'bigint', 'smallint']);

/** The constant's text as the column's value: numbers and booleans where the type says so. */
function literalValue(text: string, columnType: string): string | number | boolean {
  if (columnType === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  if (INTEGER_TYPES.has(columnType) && /^-?\d+$/.test(text)) {
    const n = Number(text);
    // Only where the number is exact: a larger bigint stays text.
    return Number.isSafeInteger(n) ? n : text;
  }
  if (
    (columnType === 'double precision' || columnType === 'real') &&
    /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(text)
  ) {
    const n = Number(text);
    // The column stores the nearest double, which is this number.
    return Number.isFinite(n) ? n : text;
  }
  return text;
}

/** The default `expression` (`pg_get_expr` of pg_attrdef) of a column of `columnType`. */
export function parseColumnDefault(expression: string, columnType: string): ColumnDefault {
  const fn = Object.hasOwn(FUNCTIONS, expression) ? FUNCTIONS[expression] : undefined;
  if (fn !== undefined) return { kind: 'function', name: fn };
  if (expression === 'true' || expression === 'false' || BARE_NUMBER.test(expression)) {
    return { kind: 'literal', value: literalValue(expression, columnType) };
  }
  const quoted = QUOTED.exec(expression);
  if (quoted) {
    return {
      kind: 'literal',
      value: literalValue((quoted[1] as string).replaceAll("''", "'"), columnType),
    };
  }
  return { kind: 'expression', sql: expression };
}
