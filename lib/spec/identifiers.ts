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
  const full = `${table}_${columns.join('_')}_idx`;
  if (full.length <= MAX_IDENTIFIER_BYTES) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const suffix = `_${hash}_idx`;
  return `${full.slice(0, MAX_IDENTIFIER_BYTES - suffix.length)}${suffix}`;
}
