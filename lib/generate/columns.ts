/**
 * Fields of the spec as node-pg-migrate column definitions, for generated migrations.
 *
 * Everything that becomes SQL text here goes through `quoteIdent`/`quoteLiteral`:
 * defaults become `PgLiteral`s holding an escaped SQL literal (rendered in a migration as
 * `pgm.func('…')`), and enum values become a CHECK expression with escaped literals.
 * Types are built from fixed words and validated integers only.
 */
import { PgLiteral, type ColumnDefinition } from 'node-pg-migrate';
import { assertNever } from '../diff/changes.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { enumCheckName } from '../spec/identifiers.js';
import type { Field, FieldDefault, FieldType } from '../spec/types.js';

// Derived names are part of the spec's checks (they must not collide); kept here too.
export { enumCheckName, primaryKeyName } from '../spec/identifiers.js';

/** What a generated column definition holds: a type, NOT NULL, maybe a default. */
export interface GeneratedColumn extends ColumnDefinition {
  readonly type: string;
  readonly notNull: boolean;
  readonly default?: PgLiteral;
}

function typmod(value: number | undefined, what: string, field: Field): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `${what} of field ${JSON.stringify(field.name)} must be a whole number, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Each spec type once: how generated SQL spells it, and how the catalog's format_type()
 * reports it. Both take the same modifiers (see `typeModifiers`), so the type a migration
 * creates and the type `check` expects are one text per field.
 */
const TYPE_NAMES = Object.freeze({
  uuid: { sql: 'uuid', catalog: 'uuid' },
  string: { sql: 'varchar', catalog: 'character varying' },
  text: { sql: 'text', catalog: 'text' },
  int: { sql: 'integer', catalog: 'integer' },
  bigint: { sql: 'bigint', catalog: 'bigint' },
  float: { sql: 'double precision', catalog: 'double precision' },
  decimal: { sql: 'numeric', catalog: 'numeric' },
  boolean: { sql: 'boolean', catalog: 'boolean' },
  datetime: { sql: 'timestamptz', catalog: 'timestamp with time zone' },
  date: { sql: 'date', catalog: 'date' },
  time: { sql: 'time', catalog: 'time without time zone' },
  json: { sql: 'jsonb', catalog: 'jsonb' },
  // A text column with a CHECK constraint (see enumCheck): values can be added and
  // removed by replacing the constraint, which a PostgreSQL enum type cannot do.
  enum: { sql: 'text', catalog: 'text' },
} as const satisfies Record<FieldType, { readonly sql: string; readonly catalog: string }>);

function typeNames(field: Field): (typeof TYPE_NAMES)[FieldType] {
  if (!Object.hasOwn(TYPE_NAMES, field.type)) {
    throw new TypeError(
      `field ${JSON.stringify(field.name)} has unknown type ${JSON.stringify(field.type)}`,
    );
  }
  return TYPE_NAMES[field.type];
}

/**
 * The type modifiers of a field as PostgreSQL keeps them: `(100)` for a string's
 * max_length, `(10,2)` for a decimal — and `(5,0)` for a decimal with precision but no
 * scale, since PostgreSQL stores scale 0 there and reports `numeric(5,0)`.
 */
function typeModifiers(field: Field): string {
  switch (field.type) {
    case 'string': {
      const max = typmod(field.maxLength, 'max_length', field);
      return max === undefined ? '' : `(${max})`;
    }
    case 'decimal': {
      const precision = typmod(field.precision, 'precision', field);
      const scale = typmod(field.scale, 'scale', field);
      return precision === undefined ? '' : `(${precision},${scale ?? 0})`;
    }
    default:
      return '';
  }
}

/** The PostgreSQL type of a field in generated SQL: `varchar(100)`, `numeric(10,2)`, `timestamptz`, … */
export function columnType(field: Field): string {
  return `${typeNames(field).sql}${typeModifiers(field)}`;
}

/**
 * The same type as the catalog's `format_type(atttypid, atttypmod)` reports it:
 * `character varying(100)`, `numeric(10,2)`, `timestamp with time zone`, …
 */
export function catalogType(field: Field): string {
  return `${typeNames(field).catalog}${typeModifiers(field)}`;
}

/**
 * A string as an SQL literal that survives node-pg-migrate, which puts each column
 * definition, constraint and ALTER action on one line by turning line breaks into spaces,
 * also inside quoted text. Text without line breaks is `quoteLiteral`'s `'…'`; text with
 * them becomes an escape string, `E'…\n…'`, with backslashes doubled as well.
 */
export function stringLiteralSql(value: string): string {
  const plain = quoteLiteral(value); // also refuses NUL
  if (!/[\r\n]/.test(value)) return plain;
  const body = value
    .replaceAll('\\', '\\\\')
    .replaceAll("'", "''")
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r');
  return `E'${body}'`;
}

/** A literal value as SQL text: strings (dates, times, JSON…) quoted, numbers and booleans bare. */
export function literalSql(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // `Infinity`/`NaN` are not SQL number literals; PostgreSQL reads them as quoted text.
    return Number.isFinite(value) ? String(value) : quoteLiteral(String(value));
  }
  return stringLiteralSql(value);
}

/** The SQL expression of a default: an escaped literal, or one of a few functions. */
export function defaultSql(value: FieldDefault): string {
  switch (value.kind) {
    case 'literal':
      return literalSql(value.value);
    case 'function':
      switch (value.name) {
        case 'now':
          return 'now()';
        case 'gen_random_uuid':
          return 'gen_random_uuid()';
        case 'current_date':
          return 'CURRENT_DATE';
        default:
          return assertNever(value.name);
      }
    default:
      return assertNever(value);
  }
}

/** The CHECK expression of an enum field, e.g. `"status" IN ('new', 'O''Brien')`; else undefined. */
export function enumCheckSql(field: Field): string | undefined {
  if (field.type !== 'enum') return undefined;
  const values = field.values ?? [];
  if (values.length === 0) {
    throw new TypeError(`enum field ${JSON.stringify(field.name)} has no values`);
  }
  return `${quoteIdent(field.name, 'column name')} IN (${values.map(stringLiteralSql).join(', ')})`;
}

/** The enum CHECK constraint of a field in `table`, or undefined for other types. */
export function enumCheck(
  table: string,
  field: Field,
): { readonly name: string; readonly check: string } | undefined {
  const check = enumCheckSql(field);
  return check === undefined ? undefined : { name: enumCheckName(table, field.name), check };
}

/** A field as a node-pg-migrate column definition (NOT NULL unless optional). */
export function columnDefinition(field: Field): GeneratedColumn {
  const definition: GeneratedColumn = { type: columnType(field), notNull: !field.optional };
  return field.default === undefined
    ? definition
    : { ...definition, default: PgLiteral.create(defaultSql(field.default)) };
}
