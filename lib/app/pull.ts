/**
 * `pull`: adopt a database that no migration made. Its tables become prism.yaml, and a
 * baseline migration that creates them is written with its snapshot and recorded as
 * applied there, so that `check` passes at once and the next `generate` holds only what
 * changes after.
 */
import { isAbsolute, resolve } from 'node:path';
import type pg from 'pg';
import { readSchema } from '../catalog/read.js';
import { SpecError, UsageError } from '../errors.js';
import { refuseAppliedMigrations, refuseExistingFiles, writeBaseline } from './baseline.js';
import { schemaToSpec, type PulledModel, type PullNote } from '../pull/to-spec.js';
import { connect } from '../db/connect.js';
import {
  appliedMigrations,
  historyTable,
  type HistoryOptions,
  type MigrationsTable,
} from '../runner/history.js';
import { parseSpec } from '../spec/load.js';
import type { Schema } from '../schema/types.js';
import { compileSpec } from '../schema/compile.js';
import { compareSchemas } from '../schema/compare.js';
import { withDatabase, type DatabaseOptions } from './database.js';

export interface PullOptions extends DatabaseOptions, HistoryOptions {
  /** Where prism.yaml is written. */
  readonly specFile: string;
  /** An empty (or missing) folder for the baseline migration and its snapshot. */
  readonly migrationsDir: string;
  /** The schema to read; default: the connection's current_schema(). */
  readonly schema?: string | undefined;
  /** Only these tables of it; default: all. */
  readonly tables?: readonly string[] | undefined;
  /** Overwrite an existing spec file. */
  readonly force?: boolean | undefined;
  /** How long to wait for the migrations' lock while recording; default 10 minutes. */
  readonly lockTimeoutMs?: number | undefined;
  /** The baseline's timestamp; default now. */
  readonly now?: Date | undefined;
}

export interface PullResult {
  readonly specFile: string;
  /** The baseline as node-pg-migrate records it, e.g. `1700000000000_baseline`. */
  readonly migration: string;
  readonly migrationFile: string;
  readonly snapshot: string;
  /** `.prism/adopted.json`: the differences `check` leaves alone; undefined when none. */
  readonly adopted: string | undefined;
  /** How many differences it holds. */
  readonly accepted: number;
  readonly schema: string;
  /** The models written, each with its table. */
  readonly tables: readonly PulledModel[];
  /** What prism.yaml cannot state yet; each is also a comment in the spec file. */
  readonly notes: readonly PullNote[];
  /** The database, as messages name it. */
  readonly database: string;
}

/** A URL parameter that makes `schema` the connection's current schema (pg reads `options`). */
function searchPathParameter(schema: string): string {
  return `?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

const SEARCH_PATH_HINT = (schema: string) =>
  `migrations create tables in the connection's current schema: put ${schema} first in the search_path, e.g. add ${searchPathParameter(schema)} to the database URL (or ALTER ROLE … SET search_path)`;

async function schemaToRead(client: pg.ClientBase, wanted: string | undefined): Promise<string> {
  const r = await client.query<{ current: string | null; exists: boolean }>(
    `SELECT pg_catalog.current_schema() AS current,
            EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS exists`,
    [wanted ?? ''],
  );
  const current = r.rows[0]?.current ?? null;
  if (wanted === undefined) {
    if (current === null) {
      throw new UsageError('the connection has no current schema: its search_path names none', {
        hint: SEARCH_PATH_HINT('public'),
      });
    }
    return current;
  }
  if (wanted === current || r.rows[0]?.exists === true) return wanted;
  throw new UsageError(`schema ${JSON.stringify(wanted)} does not exist in this database`, {
    hint: `current_schema() is ${current ?? 'none'}; pull reads it when --schema is left out`,
  });
}

const isHistoryTable = (t: { schema: string; name: string }, history: MigrationsTable) =>
  t.schema === history.schema && t.name === history.name;

/** The selected tables of `schema`, refusing names it does not hold. */
async function selectedTables(
  client: pg.ClientBase,
  schema: string,
  names: readonly string[] | undefined,
  history: MigrationsTable,
): Promise<Schema> {
  const read = await readSchema(
    client,
    names ? { tables: names.map((name) => ({ schema, name })) } : { schemas: [schema] },
  );
  const tables = read.tables.filter((t) => t.schema === schema && !isHistoryTable(t, history));
  if (names !== undefined) {
    const migrations = names.filter((n) => isHistoryTable({ schema, name: n }, history));
    if (migrations.length > 0) {
      throw new UsageError(`--tables: ${history.name} is node-pg-migrate's own table`, {
        hint: 'leave it out of --tables',
      });
    }
    const missing = names.filter((n) => !tables.some((t) => t.name === n));
    if (missing.length > 0) {
      throw new UsageError(
        `--tables: no table ${missing.map((n) => JSON.stringify(n)).join(', ')} in schema ${schema}`,
        { hint: 'name tables as they are in the database (case matters), separated by commas' },
      );
    }
  }
  if (tables.length === 0) {
    throw new UsageError(`schema ${schema} has no tables to pull; nothing was written`, {
      hint: `pull reads the connection's current schema (${schema}) unless --schema names another`,
    });
  }
  const aggregates = (read.aggregates ?? []).filter((a) => a.schema === schema);
  return {
    tables,
    ...(aggregates.length > 0 ? { aggregates } : {}),
    ...(read.unsupported ? { unsupported: read.unsupported } : {}),
  };
}

export async function pull(options: PullOptions): Promise<PullResult> {
  const specFile = isAbsolute(options.specFile) ? options.specFile : resolve(options.specFile);
  const migrationsDir = resolve(options.migrationsDir);
  // Before connecting: a folder in use is refused without touching the database.
  refuseExistingFiles(specFile, migrationsDir, options.force === true);
  return withDatabase(
    options,
    'pull',
    async (db) => {
      const client = await connect(db.url);
      try {
        const schema = await schemaToRead(client, options.schema);
        refuseAppliedMigrations(
          (await appliedMigrations(client, historyTable(options))).map((m) => m.name),
          db.description,
        );
        const selected = await selectedTables(
          client,
          schema,
          options.tables,
          historyTable(options),
        );
        const { tables, aggregates } = selected;
        const pulled = schemaToSpec(selected, {
          header: `Written by prism-migrate pull from schema ${schema}.`,
        });
        let spec;
        try {
          spec = parseSpec(pulled.text, specFile).spec;
        } catch (error) {
          // A bug here, not the user's input: say what it wrote.
          const issues = error instanceof SpecError ? error.message : String(error);
          throw new Error(`pull made a spec that does not load:\n${issues}\n---\n${pulled.text}`, {
            cause: error,
          });
        }
        // What the spec could not state, as check would see it right after: check also
        // reports the live aggregates of these tables that the spec leaves out.
        const accepted = compareSchemas({ tables, aggregates }, compileSpec(spec), {
          extraAggregates: true,
        });
        const baseline = await writeBaseline({
          client,
          description: db.description,
          spec,
          specFile,
          specText: pulled.text,
          migrationsDir,
          force: options.force,
          now: options.now,
          lockTimeoutMs: options.lockTimeoutMs,
          log: options.log,
          migrationsTable: options.migrationsTable,
          accepted,
        });
        return {
          specFile,
          migration: baseline.migration,
          migrationFile: baseline.file,
          snapshot: baseline.snapshot,
          adopted: baseline.adopted,
          accepted: accepted.length,
          schema,
          tables: pulled.models,
          notes: pulled.notes,
          database: db.description,
        };
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    true,
  );
}
