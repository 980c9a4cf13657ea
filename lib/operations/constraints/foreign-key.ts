/**
 * A single-column foreign key: `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY`, preceded by a
 * check of what the server's TimescaleDB allows, decided when the migration runs: a key to
 * a hypertable needs TimescaleDB 2.16, a key on a hypertable with compression enabled 2.20.
 * Without TimescaleDB (or on plain tables) the check does nothing.
 */
import { UsageError } from '../../errors.js';
import { dollarQuote, quoteIdent, quoteLiteral, quoteTable } from '../../sql/quote.js';
import { displayName, regclass, type TableArg } from '../common.js';

export const FOREIGN_KEY_ACTIONS = Object.freeze([
  'no action',
  'restrict',
  'cascade',
  'set null',
  'set default',
] as const);
export type ForeignKeyAction = (typeof FOREIGN_KEY_ACTIONS)[number];

export interface ForeignKeyOptions {
  /** The constraint's name. */
  readonly name: string;
  /** The referencing column of the table. */
  readonly column: string;
  /** The referenced table and its primary-key or unique column. */
  readonly references: { readonly table: TableArg; readonly column: string };
  /** Default: no action. */
  readonly onDelete?: ForeignKeyAction | undefined;
  /** Default: no action. */
  readonly onUpdate?: ForeignKeyAction | undefined;
}

function actionSql(action: ForeignKeyAction | undefined, what: string): string {
  const a = action ?? 'no action';
  if (!(FOREIGN_KEY_ACTIONS as readonly string[]).includes(a)) {
    throw new UsageError(`unknown ${what} action ${JSON.stringify(a)} for a foreign key`, {
      hint: `use one of: ${FOREIGN_KEY_ACTIONS.join(', ')}`,
    });
  }
  return a.toUpperCase();
}

/** The plpgsql check that the server's TimescaleDB can hold the key; a no-op without it. */
export function foreignKeySupportCheck(table: TableArg, options: ForeignKeyOptions): string {
  const key = `foreign key ${options.name} of ${displayName(table)}`;
  const target = displayName(options.references.table);
  const lines = [
    'DECLARE',
    '  ts_version int[];',
    '  ts_version_text text;',
    'BEGIN',
    "  SELECT pg_catalog.string_to_array(pg_catalog.split_part(e.extversion, '-', 1), '.')::int[], e.extversion",
    "    INTO ts_version, ts_version_text FROM pg_catalog.pg_extension e WHERE e.extname = 'timescaledb';",
    '  IF ts_version IS NULL THEN RETURN; END IF;',
    '  IF ts_version < ARRAY[2, 16] AND EXISTS (SELECT 1 FROM timescaledb_information.hypertables h',
    '      JOIN pg_catalog.pg_class c ON c.relname = h.hypertable_name',
    '      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = h.hypertable_schema',
    `      WHERE c.oid = ${regclass(options.references.table)}) THEN`,
    `    RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: ${key} references ${target}, a hypertable: TimescaleDB `)} || ts_version_text || ' supports foreign keys to hypertables from 2.16 on',`,
    `      HINT = ${quoteLiteral('upgrade TimescaleDB to 2.16 or later, or reference a plain table')};`,
    '  END IF;',
    '  IF ts_version < ARRAY[2, 20] AND EXISTS (SELECT 1 FROM timescaledb_information.hypertables h',
    '      JOIN pg_catalog.pg_class c ON c.relname = h.hypertable_name',
    '      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = h.hypertable_schema',
    `      WHERE c.oid = ${regclass(table)} AND h.compression_enabled) THEN`,
    `    RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot add ${key}: it is a hypertable with compression enabled, and TimescaleDB `)} || ts_version_text || ' adds foreign keys there from 2.20 on',`,
    `      HINT = ${quoteLiteral('upgrade TimescaleDB to 2.20 or later, or disable compression, add the key and enable compression again')};`,
    '  END IF;',
    'END',
  ];
  return `DO ${dollarQuote(`\n${lines.join('\n')}\n`)};`;
}

export function addForeignKeySql(table: TableArg, options: ForeignKeyOptions): string[] {
  const onDelete = actionSql(options.onDelete, 'on delete');
  const onUpdate = actionSql(options.onUpdate, 'on update');
  return [
    foreignKeySupportCheck(table, options),
    `ALTER TABLE ${quoteTable(table)} ADD CONSTRAINT ${quoteIdent(options.name, 'constraint name')} FOREIGN KEY (${quoteIdent(options.column, 'column name')}) REFERENCES ${quoteTable(options.references.table)} (${quoteIdent(options.references.column, 'column name')}) ON DELETE ${onDelete} ON UPDATE ${onUpdate};`,
  ];
}

export function dropForeignKeySql(table: TableArg, options: ForeignKeyOptions): string {
  return `ALTER TABLE ${quoteTable(table)} DROP CONSTRAINT ${quoteIdent(options.name, 'constraint name')};`;
}
