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
import { columnType } from '../schema/column-types.js';
import { functionDefaultSql } from '../schema/defaults.js';

export { columnType };
import type { Field, FieldDefault } from '../spec/types.js';

// Derived names are part of the spec's checks (they must not collide); kept here too.
export { enumCheckName, primaryKeyName } from '../spec/identifiers.js';

/** What a generated column definition holds: a type, NOT NULL, maybe a default. */
export interface GeneratedColumn extends ColumnDefinition {
  readonly type: string;
  readonly notNull: boolean;
  readonly default?: PgLiteral;
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
      return functionDefaultSql(value.name);
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
