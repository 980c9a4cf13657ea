/**
 * The PostgreSQL type of each field type: as generated SQL spells it, and as the catalog's
 * `format_type()` prints it — one text per field, so the type a migration creates and the
 * type `check` and `pull` read back agree.
 */
import { sqlTypeCatalog, sqlTypeSql } from '../spec/sql-type.js';
import type { Field, FieldType } from '../spec/types.js';

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
  smallint: { sql: 'smallint', catalog: 'smallint' },
  // float predates `double`; both are double precision.
  float: { sql: 'double precision', catalog: 'double precision' },
  real: { sql: 'real', catalog: 'real' },
  double: { sql: 'double precision', catalog: 'double precision' },
  decimal: { sql: 'numeric', catalog: 'numeric' },
  boolean: { sql: 'boolean', catalog: 'boolean' },
  datetime: { sql: 'timestamptz', catalog: 'timestamp with time zone' },
  timestamp: { sql: 'timestamp', catalog: 'timestamp without time zone' },
  date: { sql: 'date', catalog: 'date' },
  time: { sql: 'time', catalog: 'time without time zone' },
  json: { sql: 'jsonb', catalog: 'jsonb' },
  bytea: { sql: 'bytea', catalog: 'bytea' },
  inet: { sql: 'inet', catalog: 'inet' },
  // A text column with a CHECK constraint (see enumCheck): values can be added and
  // removed by replacing the constraint, which a PostgreSQL enum type cannot do.
  enum: { sql: 'text', catalog: 'text' },
} as const satisfies Record<
  Exclude<FieldType, 'sql'>,
  { readonly sql: string; readonly catalog: string }
>);

function typeNames(field: Field): (typeof TYPE_NAMES)[Exclude<FieldType, 'sql'>] {
  if (field.type === 'sql' || !Object.hasOwn(TYPE_NAMES, field.type)) {
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
  if (field.type === 'sql') return sqlTypeSql(sqlTypeOf(field));
  return `${typeNames(field).sql}${typeModifiers(field)}${field.array === true ? '[]' : ''}`;
}

function sqlTypeOf(field: Field): NonNullable<Field['sqlType']> {
  if (field.sqlType === undefined) {
    throw new TypeError(`field ${JSON.stringify(field.name)} of type sql has no sql_type`);
  }
  return field.sqlType;
}

/**
 * The same type as the catalog's `format_type(atttypid, atttypmod)` reports it:
 * `character varying(100)`, `numeric(10,2)`, `timestamp with time zone`, …
 */
export function catalogType(field: Field): string {
  if (field.type === 'sql') return sqlTypeCatalog(sqlTypeOf(field));
  return `${typeNames(field).catalog}${typeModifiers(field)}${field.array === true ? '[]' : ''}`;
}
