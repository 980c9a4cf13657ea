/**
 * The only places where text becomes SQL. Identifiers are always double-quoted with
 * embedded quotes doubled; literals are single-quoted with embedded quotes doubled
 * (standard_conforming_strings is on in every supported server).
 */
import { UsageError } from '../errors.js';

const MAX_IDENTIFIER_BYTES = 63;

function checkIdentifier(name: string, what: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new UsageError(`${what} must be a non-empty string`);
  }
  if (name.includes('\0')) {
    throw new UsageError(`${what} ${JSON.stringify(name)} contains a NUL character`);
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new UsageError(
      `${what} ${JSON.stringify(name)} is longer than ${MAX_IDENTIFIER_BYTES} bytes`,
      { hint: 'PostgreSQL would silently truncate it; choose a shorter name' },
    );
  }
}

/** `"name"`, with `"` doubled. */
export function quoteIdent(name: string, what = 'identifier'): string {
  checkIdentifier(name, what);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A table reference: `"schema"."table"` or `"table"`. */
export interface TableName {
  readonly schema?: string | undefined;
  readonly name: string;
}

export function toTableName(table: string | TableName): TableName {
  return typeof table === 'string' ? { name: table } : table;
}

export function quoteTable(table: string | TableName): string {
  const t = toTableName(table);
  const name = quoteIdent(t.name, 'table name');
  return t.schema === undefined ? name : `${quoteIdent(t.schema, 'schema name')}.${name}`;
}

/** `'text'`, with `'` doubled. Only for DDL, where parameters are not allowed. */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) {
    throw new UsageError(`literal ${JSON.stringify(value)} contains a NUL character`);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Wraps a body in dollar quotes whose tag does not occur in the body, so no text inside
 * (identifiers may contain `$`) can end the quoted block early.
 */
export function dollarQuote(body: string, base = 'prism'): string {
  let tag = `$${base}$`;
  for (let n = 1; body.includes(tag); n += 1) tag = `$${base}_${n}$`;
  return `${tag}${body}${tag}`;
}
