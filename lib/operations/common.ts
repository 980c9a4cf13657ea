/** Argument types shared by the custom operations. */
import { quoteLiteral, quoteTable, toTableName, type TableName } from '../sql/quote.js';
import type { TimescaleMode } from './mode.js';

export type TableArg = string | TableName;

export interface TimescaleOption {
  /** Overrides the migration's default (`auto`); `--timescale` on the command line overrides both. */
  readonly timescale?: TimescaleMode | undefined;
}

/** `'"schema"."table"'::regclass`: a quoted identifier inside a literal, as TimescaleDB expects. */
export function regclass(table: TableArg): string {
  return `${quoteLiteral(quoteTable(table))}::pg_catalog.regclass`;
}

/** Readable name for messages: `metrics` or `app.metrics`. */
export function displayName(table: TableArg): string {
  const t = toTableName(table);
  return t.schema === undefined ? t.name : `${t.schema}.${t.name}`;
}

/** An SQL operation with its reverse, as node-pg-migrate's own operations are shaped. */
export interface ReversibleOperation<A extends unknown[]> {
  (...args: A): string | string[];
  reverse: (...args: A) => string | string[];
}

export function reversible<A extends unknown[]>(
  forward: (...args: A) => string | string[],
  reverse: (...args: A) => string | string[],
): ReversibleOperation<A> {
  return Object.assign(forward, { reverse });
}

/**
 * plpgsql lines that resolve `target` (regclass) into `rel_schema`/`rel_name` and return
 * from the block with `action` when the table is not a hypertable.
 */
export function lookupHypertable(table: TableArg, ifNot: string): string[] {
  return [
    `target := ${regclass(table)};`,
    'SELECT n.nspname, c.relname INTO rel_schema, rel_name FROM pg_catalog.pg_class c',
    '  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target;',
    'IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables h',
    '  WHERE h.hypertable_schema = rel_schema AND h.hypertable_name = rel_name) THEN',
    `  ${ifNot}`,
    'END IF;',
  ];
}

export const LOOKUP_DECLARE = Object.freeze([
  'target pg_catalog.regclass;',
  'rel_schema text;',
  'rel_name text;',
]);

/**
 * What a step that needs a hypertable does when the table is not one. Under `require`
 * it is an error. Under `auto` it is skipped with a NOTICE: generated migrations only
 * tune tables they made hypertables, so the table is plain because TimescaleDB was
 * missing when that happened, and `apply-timescale` completes it once `up` is done.
 */
export function whenNotHypertable(mode: TimescaleMode, what: string, table: TableArg): string {
  const name = displayName(table);
  return mode === 'require'
    ? `RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot ${what}: ${name} is not a hypertable`)}, HINT = 'create it with createHypertable first';`
    : `RAISE NOTICE '%', ${quoteLiteral(`prism: ${what} skipped: ${name} is not a hypertable (TimescaleDB was missing when it was created?); once every migration is applied, \`prism-migrate apply-timescale\` makes it one`)}; RETURN;`;
}
