/**
 * The migration history: node-pg-migrate's table (`public.pgmigrations` unless configured),
 * which records each applied migration's name and time, plus a `checksum` column of our
 * own. node-pg-migrate writes its rows (its INSERT names its columns) and deletes them on
 * `down`, so a checksum lives and goes with its row; rows written by node-pg-migrate
 * itself get theirs at the next `prism-migrate up`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { quoteIdent } from '../sql/quote.js';
import type { MigrationFile } from './files.js';

export interface MigrationsTable {
  readonly schema: string;
  readonly name: string;
}

export const DEFAULT_MIGRATIONS_TABLE: MigrationsTable = Object.freeze({
  schema: 'public',
  name: 'pgmigrations',
});

/** Where an application's options say the history is. */
export interface HistoryOptions {
  /** node-pg-migrate's migrations table; default `public.pgmigrations`. */
  readonly migrationsTable?: MigrationsTable | undefined;
}

export function historyTable(options: HistoryOptions = {}): MigrationsTable {
  return options.migrationsTable ?? DEFAULT_MIGRATIONS_TABLE;
}

export function historyTableSql(table: MigrationsTable): string {
  return `${quoteIdent(table.schema, 'schema name')}.${quoteIdent(table.name, 'table name')}`;
}

/** `schema.table`, for messages. */
export function describeHistoryTable(table: MigrationsTable): string {
  return `${table.schema}.${table.name}`;
}

export interface AppliedMigration {
  readonly name: string;
  readonly run_on: Date;
  /** The file's checksum when it was applied (or first seen applied); null when unknown. */
  readonly checksum: string | null;
  /** The environment (`--env` / PRISM_ENV) it was applied in; null for none or unknown. */
  readonly environment: string | null;
}

async function tableState(
  client: pg.ClientBase,
  table: MigrationsTable,
): Promise<{ exists: boolean; hasChecksum: boolean; hasEnvironment: boolean }> {
  const column = (name: string) =>
    `EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
              WHERE attrelid = pg_catalog.to_regclass($1) AND attname = '${name}'
                AND NOT attisdropped)`;
  const r = await client.query<{ t: string | null; c: boolean; e: boolean }>(
    `SELECT pg_catalog.to_regclass($1)::text AS t, ${column('checksum')} AS c,
            ${column('environment')} AS e`,
    [historyTableSql(table)],
  );
  return {
    exists: Boolean(r.rows[0]?.t),
    hasChecksum: r.rows[0]?.c === true,
    hasEnvironment: r.rows[0]?.e === true,
  };
}

/** Migrations recorded as applied, in the order they ran; none before the table exists. */
export async function appliedMigrations(
  client: pg.ClientBase,
  table: MigrationsTable = DEFAULT_MIGRATIONS_TABLE,
): Promise<AppliedMigration[]> {
  const state = await tableState(client, table);
  if (!state.exists) return [];
  const rows = await client.query<AppliedMigration>(
    `SELECT name, run_on, ${state.hasChecksum ? 'checksum' : 'NULL::text AS checksum'},
            ${state.hasEnvironment ? 'environment' : 'NULL::text AS environment'}
       FROM ${historyTableSql(table)} ORDER BY run_on, id`,
  );
  return rows.rows;
}

/** The table as node-pg-migrate creates it (and its schema), with our checksum column. */
export async function ensureHistoryTable(
  client: pg.ClientBase,
  table: MigrationsTable,
): Promise<void> {
  if (table.schema !== 'public')
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(table.schema, 'schema name')}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${historyTableSql(table)} (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)`,
  );
  await addChecksumColumn(client, table);
}

async function addChecksumColumn(client: pg.ClientBase, table: MigrationsTable): Promise<void> {
  if (!(await tableState(client, table)).hasChecksum)
    await client.query(
      `ALTER TABLE ${historyTableSql(table)} ADD COLUMN IF NOT EXISTS checksum text`,
    );
}

/**
 * SHA-256 of a migration file, line endings normalised (a checkout that turns LF into
 * CRLF is not a change).
 */
export function fileChecksum(path: string): string {
  const text = readFileSync(path, 'utf8').replace(/\r\n/g, '\n');
  return createHash('sha256').update(text).digest('hex');
}

/** An applied migration whose file is no longer what was applied. */
export interface ChangedMigration {
  readonly name: string;
  readonly path: string;
  readonly recorded: string;
  readonly current: string;
}

export function changedMigrations(
  applied: readonly AppliedMigration[],
  files: readonly MigrationFile[],
): ChangedMigration[] {
  const pathOf = new Map(files.map((f) => [f.name, f.path]));
  const changed: ChangedMigration[] = [];
  for (const m of applied) {
    const path = pathOf.get(m.name);
    if (m.checksum === null || path === undefined) continue;
    const current = fileChecksum(path);
    if (current !== m.checksum) changed.push({ name: m.name, path, recorded: m.checksum, current });
  }
  return changed;
}

/**
 * Records the checksum of every applied migration that has none yet (just applied, or
 * applied by node-pg-migrate itself) and whose file is there.
 */
export async function recordMissingChecksums(
  client: pg.ClientBase,
  table: MigrationsTable,
  files: readonly MigrationFile[],
): Promise<void> {
  const applied = await appliedMigrations(client, table);
  const missing = applied.filter((m) => m.checksum === null);
  if (missing.length === 0) return;
  await addChecksumColumn(client, table);
  const pathOf = new Map(files.map((f) => [f.name, f.path]));
  for (const m of missing) {
    const path = pathOf.get(m.name);
    if (path === undefined) continue;
    await client.query(
      `UPDATE ${historyTableSql(table)} SET checksum = $2 WHERE name = $1 AND checksum IS NULL`,
      [m.name, fileChecksum(path)],
    );
  }
}

/**
 * Records the environment the migrations `names` were just applied in (null: none), adding
 * the column the first time.
 */
export async function recordEnvironment(
  client: pg.ClientBase,
  table: MigrationsTable,
  names: readonly string[],
  environment: string | undefined,
): Promise<void> {
  if (names.length === 0) return;
  const state = await tableState(client, table);
  // Nothing to say of none until an environment is used: the table is left as it is.
  if (!state.exists || (!state.hasEnvironment && environment === undefined)) return;
  if (!state.hasEnvironment)
    await client.query(
      `ALTER TABLE ${historyTableSql(table)} ADD COLUMN IF NOT EXISTS environment text`,
    );
  await client.query(
    `UPDATE ${historyTableSql(table)} SET environment = $2 WHERE name = ANY($1::text[])`,
    [names, environment ?? null],
  );
}

/** Records `name` as applied now (or, when it is, its file's current checksum). */
export async function markApplied(
  client: pg.ClientBase,
  table: MigrationsTable,
  file: MigrationFile,
): Promise<'recorded' | 'checksum-updated'> {
  await ensureHistoryTable(client, table);
  const checksum = fileChecksum(file.path);
  const updated = await client.query(
    `UPDATE ${historyTableSql(table)} SET checksum = $2 WHERE name = $1`,
    [file.name, checksum],
  );
  if ((updated.rowCount ?? 0) > 0) return 'checksum-updated';
  await client.query(
    `INSERT INTO ${historyTableSql(table)} (name, run_on, checksum) VALUES ($1, NOW(), $2)`,
    [file.name, checksum],
  );
  return 'recorded';
}

/** Removes `name` from the history; false when it was not recorded. */
export async function markRolledBack(
  client: pg.ClientBase,
  table: MigrationsTable,
  name: string,
): Promise<boolean> {
  if (!(await tableState(client, table)).exists) return false;
  const r = await client.query(`DELETE FROM ${historyTableSql(table)} WHERE name = $1`, [name]);
  return (r.rowCount ?? 0) > 0;
}
