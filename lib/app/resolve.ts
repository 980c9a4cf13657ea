/**
 * `resolve`: repairs the migration history after a migration was finished or undone by
 * hand, as Prisma's `migrate resolve` does. `--applied <name>` records the migration as
 * applied (or, when it is, accepts its file's current checksum); `--rolled-back <name>`
 * removes it from the history. Nothing runs; the migrations' lock is held meanwhile.
 */
import { UsageError } from '../errors.js';
import { compareMigrationNames, listMigrationFiles, migrationName } from '../runner/files.js';
import {
  appliedMigrations,
  describeHistoryTable,
  historyTable,
  markApplied,
  markRolledBack,
  type HistoryOptions,
} from '../runner/history.js';
import { DEFAULT_LOCK_TIMEOUT_MS, withMigrationLock } from '../runner/lock.js';
import { connect } from '../db/connect.js';
import { withDatabase, type DatabaseOptions } from './database.js';

export interface ResolveOptions extends DatabaseOptions, HistoryOptions {
  readonly migrationsDir: string;
  /** Record this migration as applied. */
  readonly applied?: string | undefined;
  /** Remove this migration from the history. */
  readonly rolledBack?: string | undefined;
  readonly lockTimeoutMs?: number | undefined;
}

export interface ResolveResult {
  readonly database: string;
  readonly migration: string;
  /** `recorded`: now applied; `checksum-updated`: was applied, its edited file accepted; `removed`: no longer applied. */
  readonly action: 'recorded' | 'checksum-updated' | 'removed';
}

/**
 * node-pg-migrate requires the history to follow the files' order: a migration recorded
 * now, after later ones, would stop every `up` and `down` ("Not run migration … is
 * preceding already run migration …").
 */
function refuseOutOfOrder(
  name: string,
  applied: readonly { name: string }[],
  migrationsDir: string,
): void {
  const names = applied.map((m) => m.name);
  if (names.includes(name)) return;
  const later = names.filter((n) => compareMigrationNames(n, name) > 0);
  if (later.length === 0) return;
  throw new UsageError(`${name} cannot be recorded as applied after migrations that follow it`, {
    hint: `${later.join(', ')} ${later.length === 1 ? 'is' : 'are'} applied already; revert ${later.length === 1 ? 'it' : 'them'} first (\`prism-migrate down --to <the one before ${name}>\`), or record ${later.length === 1 ? 'it' : 'them'} as rolled back with \`prism-migrate resolve --rolled-back\` if undone by hand (migrations in ${migrationsDir})`,
  });
}

export function resolveMigration(options: ResolveOptions): Promise<ResolveResult> {
  if ((options.applied === undefined) === (options.rolledBack === undefined)) {
    throw new UsageError('resolve needs exactly one of --applied <name> and --rolled-back <name>', {
      hint: '--applied records a migration you completed by hand; --rolled-back forgets one you undid by hand',
    });
  }
  const name = migrationName((options.applied ?? options.rolledBack) as string);
  const file = listMigrationFiles(options.migrationsDir).find((f) => f.name === name);
  if (options.applied !== undefined && file === undefined) {
    throw new UsageError(`there is no migration ${name} in ${options.migrationsDir}`, {
      hint: 'name a migration as `prism-migrate status` lists it (its file name without the extension)',
    });
  }
  const table = historyTable(options);
  return withDatabase(
    options,
    'resolve',
    async (db) => {
      const client = await connect(db.url);
      const wait = {
        timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
        log: options.log,
      };
      try {
        return await withMigrationLock(client, wait, async (): Promise<ResolveResult> => {
          if (file !== undefined && options.applied !== undefined) {
            refuseOutOfOrder(name, await appliedMigrations(client, table), options.migrationsDir);
            const action = await markApplied(client, table, file);
            return { database: db.description, migration: name, action };
          }
          if (!(await markRolledBack(client, table, name))) {
            const applied = (await appliedMigrations(client, table)).map((m) => m.name);
            throw new UsageError(
              `${name} is not recorded as applied in ${describeHistoryTable(table)}`,
              {
                hint:
                  applied.length === 0
                    ? 'no migration is recorded as applied there'
                    : `applied: ${applied.join(', ')}`,
              },
            );
          }
          return { database: db.description, migration: name, action: 'removed' as const };
        });
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    true,
  );
}
