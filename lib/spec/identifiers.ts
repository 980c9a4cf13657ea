/** Identifier rules shared by the checks, and the names the loader derives. */
import { createHash } from 'node:crypto';
import { IDENTIFIER_PATTERN, MAX_IDENTIFIER_BYTES } from './schema.js';

const RULE =
  'use letters, digits and underscores only, not starting with a digit, at most 63 bytes';

export function isIdentifier(value: string): boolean {
  return IDENTIFIER_PATTERN.test(value) && value.length <= MAX_IDENTIFIER_BYTES;
}

/** A plausible identifier made from `value`, e.g. `user-id` -> `user_id`. */
export function suggestIdentifier(value: string): string | undefined {
  const cleaned = value.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (cleaned === '') return undefined;
  const prefixed = /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
  return prefixed.slice(0, MAX_IDENTIFIER_BYTES);
}

export function identifierHint(value: string): string {
  const suggestion = suggestIdentifier(value);
  return suggestion === undefined || suggestion === value ? RULE : `${RULE}, e.g. '${suggestion}'`;
}

/** `DataPoint` -> `datapoint`. */
export function defaultTableName(modelName: string): string {
  return modelName.toLowerCase();
}

/**
 * `<table>_<col1>_<col2>_idx`. Past 63 bytes PostgreSQL would truncate silently and two
 * long names could collide, so a long name keeps a prefix plus a hash of the full name.
 */
export function defaultIndexName(table: string, columns: readonly string[]): string {
  return boundedName(`${table}_${columns.join('_')}`, '_idx');
}

/**
 * `<prefix><suffix>`, at most 63 bytes: a longer name keeps a prefix plus a hash of the
 * full name (PostgreSQL would truncate silently, and a later drop by name would miss).
 */
export function boundedName(prefix: string, suffix: string): string {
  const full = `${prefix}${suffix}`;
  if (Buffer.byteLength(full, 'utf8') <= MAX_IDENTIFIER_BYTES) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const tail = `_${hash}${suffix}`;
  let head = prefix;
  while (Buffer.byteLength(head + tail, 'utf8') > MAX_IDENTIFIER_BYTES) head = head.slice(0, -1);
  return `${head}${tail}`;
}

/** `<table>_pkey`, the name of the primary-key constraint (and of its index). */
export function primaryKeyName(table: string): string {
  return boundedName(table, '_pkey');
}

/** `<table>_<column>_check`, the CHECK constraint that holds an enum's values. */
export function enumCheckName(table: string, column: string): string {
  return boundedName(`${table}_${column}`, '_check');
}

/** `<table>_<column>_fkey`, a foreign key's name (PostgreSQL's own default, kept within 63 bytes). */
export function foreignKeyName(table: string, column: string): string {
  return boundedName(`${table}_${column}`, '_fkey');
}

/**
 * The name (without schema) of the integer-now function of a table with an integer time
 * column: `<first 48 characters of the table>_prism_now`, as setIntegerNowFunction
 * creates it. Two tables that agree in their first 48 characters would share it.
 */
export function integerNowFunctionBaseName(table: string): string {
  return `${table.slice(0, 48)}_prism_now`;
}

/** What PostgreSQL keeps of a name: its first 63 bytes (NAMEDATALEN - 1). */
export function truncatedName(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length <= MAX_IDENTIFIER_BYTES) return name;
  let end = MAX_IDENTIFIER_BYTES;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--; // not inside a character
  return bytes.subarray(0, end).toString('utf8');
}
