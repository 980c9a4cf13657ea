/** `up`, `down` and `redo`: run the migrations on the database. */
import {
  migrate,
  redo,
  refuseBadCount,
  runEnvironment,
  type MigrateOptions,
  type MigrationRun,
} from '../runner/migrate.js';
import { listMigrationFiles } from '../runner/files.js';
import { readSnapshot } from '../diff/snapshot.js';
import { environmentNames } from '../spec/environments.js';
import { closest } from '../util/closest.js';
import { withDatabase, type DatabaseOptions } from './database.js';

/** What `redoMigrations` takes: how many (`count`, default 1), the mode, data loss, the lock wait. */
export type RunMigrationsOptions = DatabaseOptions &
  Omit<MigrateOptions, 'url' | 'client' | 'direction' | 'dryRun' | 'log'>;

/** What `applyMigrations` and `revertMigrations` take. */
export type MigrateAppOptions = RunMigrationsOptions & {
  /** Report the SQL and apply nothing; never creates the embedded database. */
  readonly dryRun?: boolean | undefined;
};

export interface MigrationsResult {
  /** Which database, e.g. the server's address or the embedded database's directory. */
  readonly database: string;
  readonly dryRun: boolean;
  /** In the order they ran; a dry run's carry their SQL. */
  readonly migrations: MigrationRun[];
}

/**
 * An environment the migrations have no values for applies the models' own values; a name
 * close to one they have is most likely a typo, said before anything runs.
 */
function warnLikelyTypo(options: MigrateAppOptions): void {
  const chosen = runEnvironment(options);
  if (chosen === undefined) return;
  const spec = readSnapshot(options.migrationsDir)?.spec;
  const names = spec ? environmentNames(spec) : [];
  if (names.includes(chosen)) return;
  const near = closest(chosen, names);
  if (near !== undefined)
    options.log?.(
      `warning: the migrations have no values for environment '${chosen}' (did you mean '${near}'?); the models' own values apply`,
    );
}

function run(
  command: 'up' | 'down' | 'redo',
  options: MigrateAppOptions,
  work: (url: string) => Promise<MigrationRun[]>,
): Promise<MigrationsResult> {
  const dryRun = options.dryRun === true;
  // A missing migrations folder, or a count beside --to, is refused before any database
  // is opened (or created).
  listMigrationFiles(options.migrationsDir);
  refuseBadCount(options.count, options.to);
  warnLikelyTypo(options);
  return withDatabase(
    options,
    command,
    async (db) => ({ database: db.description, dryRun, migrations: await work(db.url) }),
    dryRun,
  );
}

/** `up`: applies the pending migrations (all, or `count`). */
export function applyMigrations(options: MigrateAppOptions): Promise<MigrationsResult> {
  return run('up', options, (url) => migrate({ ...options, url, direction: 'up' }));
}

/** `down`: reverts the last `count` (default 1) applied migrations. */
export function revertMigrations(options: MigrateAppOptions): Promise<MigrationsResult> {
  return run('down', options, (url) => migrate({ ...options, url, direction: 'down' }));
}

/**
 * `redo`: reverts the last `count` (default 1) migrations and applies them again, under
 * one hold of the migration lock.
 */
export function redoMigrations(options: RunMigrationsOptions): Promise<MigrationsResult> {
  return run('redo', { ...options, dryRun: false }, (url) =>
    redo({ ...options, url, count: options.count ?? 1 }),
  );
}
