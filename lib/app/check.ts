/**
 * `check`: whether the migrations hold every change of the spec and, given a database,
 * whether all are applied and the live schema matches the spec.
 */
import { specForEnvironment } from '../spec/environments.js';
import type { Spec } from '../spec/types.js';
import type { DestructiveChange } from '../diff/destructive.js';
import { structureChanges, type StructuredChange } from '../diff/structured.js';
import { pendingChanges } from '../generate/generate.js';
import { diffSpecs } from '../diff/diff.js';
import { readSnapshot } from '../diff/snapshot.js';
import { lineageProblems } from '../generate/lineage.js';
import { connect } from '../db/connect.js';
import { migrationStatus } from '../runner/migrate.js';
import { appliedMigrations, historyTable, type HistoryOptions } from '../runner/history.js';
import { detectTimescale, probeLicense } from '../db/detect.js';
import { detectDrift, type Drift } from '../introspect/drift.js';
import { readAdopted } from './adopted.js';
import { databaseExists, withDatabase, type DatabaseOptions } from './database.js';

export interface MigrationsCheck {
  /** Problems with the migration files themselves (their order and lineage). */
  readonly lineage: readonly string[];
  /** The spec's changes that no migration holds, each with its description. */
  readonly changes: readonly StructuredChange[];
  readonly destructive: readonly DestructiveChange[];
}

export interface DatabaseCheck {
  readonly description: string;
  /** Migrations not applied there. */
  readonly unapplied: string[];
  /** Applied migrations whose files changed since (by their recorded checksums). */
  readonly changed: string[];
  readonly drift: Drift[];
}

export interface CheckResult extends MigrationsCheck {
  /** Null without a database to read (the embedded database is never created by `check`). */
  readonly database: DatabaseCheck | null;
  readonly upToDate: boolean;
}

export interface CheckOptions extends DatabaseOptions, HistoryOptions {
  readonly spec: Spec;
  readonly migrationsDir: string;
  /** The database's environment: its values of `environments:` are the ones compared. */
  readonly environment?: string | undefined;
}

/** The part of `check` that needs no database. */
export function checkMigrations(spec: Spec, migrationsDir: string): MigrationsCheck {
  const pending = pendingChanges(spec, migrationsDir);
  return {
    lineage: lineageProblems(migrationsDir),
    changes: structureChanges(pending.changes),
    destructive: pending.destructive,
  };
}

/**
 * What the database should hold: the spec, or — once every migration is applied while the
 * spec holds changes that no migration holds — the spec as of the last generated migration.
 * So a change not generated yet is reported once, as missing from the migrations, and not
 * again as drift made by hand. With migrations pending, the spec given is compared as is
 * (it may be an earlier one, matching what is applied).
 */
function migratedSpec(spec: Spec, migrationsDir: string, allApplied: boolean): Spec {
  if (!allApplied) return spec;
  const snapshot = readSnapshot(migrationsDir);
  if (snapshot === undefined || diffSpecs(snapshot.spec, spec).length === 0) return spec;
  return snapshot.spec;
}

/** The part of `check` that reads the database; null when there is none to read. */
export async function checkDatabase(options: CheckOptions): Promise<DatabaseCheck | null> {
  // Read-only: never creates the embedded database.
  if (!databaseExists(options)) return null;
  return withDatabase(
    options,
    'check',
    async (db) => {
      const states = await migrationStatus(db.url, options.migrationsDir, historyTable(options));
      const unapplied = states.filter((m) => !m.applied).map((m) => m.name);
      const changed = states.filter((m) => m.changed).map((m) => m.name);
      const client = await connect(db.url);
      try {
        const support = await detectTimescale(client);
        const spec = specForEnvironment(
          migratedSpec(options.spec, options.migrationsDir, unapplied.length === 0),
          options.environment,
        );
        const other = (await appliedMigrations(client, historyTable(options))).find(
          (m) => m.environment !== null && m.environment !== (options.environment ?? null),
        );
        if (other)
          options.log?.(
            `warning: ${other.name} was applied in environment '${other.environment}', and this check compares with the values of ${options.environment === undefined ? 'no environment' : `environment '${options.environment}'`}: run it with --env ${other.environment} (or PRISM_ENV=${other.environment})`,
          );
        const drift = await detectDrift(client, spec, support, {
          pendingMigrations: unapplied.length,
          license: await probeLicense(db.url, support),
          accepted: readAdopted(options.migrationsDir),
        });
        return { description: db.description, unapplied, changed, drift };
      } finally {
        await client.end();
      }
    },
    true,
  );
}

/** The whole check. */
export async function check(options: CheckOptions): Promise<CheckResult> {
  const migrations = checkMigrations(options.spec, options.migrationsDir);
  const database = await checkDatabase(options);
  const upToDate =
    migrations.lineage.length === 0 &&
    migrations.changes.length === 0 &&
    (database === null ||
      (database.unapplied.length === 0 &&
        database.changed.length === 0 &&
        database.drift.length === 0));
  return { ...migrations, database, upToDate };
}
