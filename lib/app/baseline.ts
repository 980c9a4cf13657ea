/**
 * The baseline of a pulled database: prism.yaml, one migration that creates everything
 * in it and the snapshot, written beside each other, then recorded as applied in the
 * database that already holds it — all of it or nothing. A migrations folder or a
 * database that has migrations already is refused: pull adopts a database once.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type pg from 'pg';
import { DatabaseError, UsageError } from '../errors.js';
import { snapshotPath } from '../diff/snapshot.js';
import type { SchemaDifference } from '../schema/compare.js';
import { adoptedPath, serializeAdopted } from './adopted.js';
import { generateMigration } from '../generate/generate.js';
import { listMigrationFiles } from '../runner/files.js';
import { DEFAULT_LOCK_TIMEOUT_MS, withMigrationLock } from '../runner/lock.js';
import {
  appliedMigrations,
  describeHistoryTable,
  historyTable,
  markApplied,
  type HistoryOptions,
} from '../runner/history.js';
import type { Spec } from '../spec/types.js';

export const BASELINE_NAME = 'baseline';

/** Refuses a spec file that exists (unless `force`) and a migrations folder in use. */
export function refuseExistingFiles(specFile: string, migrationsDir: string, force: boolean): void {
  if (existsSync(specFile) && !force) {
    throw new UsageError(`${specFile} exists already; pull writes a new spec`, {
      hint: 'move it away, pass another file with --spec, or overwrite it with --force',
    });
  }
  const snapshot = existsSync(snapshotPath(migrationsDir));
  const migrations = existsSync(migrationsDir) ? listMigrationFiles(migrationsDir) : [];
  if (snapshot || migrations.length > 0) {
    const held = [
      ...(migrations.length > 0 ? [`${migrations.length} migration(s)`] : []),
      ...(snapshot ? ['a snapshot'] : []),
    ].join(' and ');
    throw new UsageError(
      `the migrations folder ${migrationsDir} holds ${held} already; pull adopts a database once, into an empty folder`,
      {
        hint: 'pull into a new folder with --migrations-dir; to change an adopted schema, edit prism.yaml and run `prism-migrate generate`',
      },
    );
  }
}

export function refuseAppliedMigrations(applied: readonly string[], description: string): void {
  if (applied.length === 0) return;
  throw new UsageError(
    `${description} has ${applied.length} applied migration(s) already (the last is ${applied.at(-1)}); pull adopts a database that no migration made`,
    {
      hint: 'this database is managed by migrations already: check out their folder and prism.yaml instead',
    },
  );
}

export interface BaselineOptions extends HistoryOptions {
  readonly client: pg.ClientBase;
  /** Says where the database is in messages. */
  readonly description: string;
  readonly spec: Spec;
  readonly specFile: string;
  readonly specText: string;
  readonly migrationsDir: string;
  readonly force?: boolean | undefined;
  readonly now?: Date | undefined;
  readonly lockTimeoutMs?: number | undefined;
  readonly log?: ((line: string) => void) | undefined;
  /** Differences between the database and the spec, accepted by adopting it. */
  readonly accepted: readonly SchemaDifference[];
}

export interface Baseline {
  /** The migration's name as node-pg-migrate records it, e.g. `1700000000000_baseline`. */
  readonly migration: string;
  readonly file: string;
  readonly snapshot: string;
  /** `.prism/adopted.json`, when there were differences to accept. */
  readonly adopted?: string | undefined;
}

/** Files written so far, to take back when a later step fails. */
class Written {
  private readonly files: string[] = [];
  private readonly dirs: string[] = [];
  private restoreSpec: (() => void) | undefined;

  /** Creates `dir` and its missing parents, remembering the ones it created. */
  mkdir(dir: string): void {
    const missing: string[] = [];
    for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
    mkdirSync(dir, { recursive: true });
    this.dirs.push(...missing);
  }

  /** Writes the spec by renaming a staged copy; the previous file comes back on undo. */
  writeSpec(file: string, text: string): void {
    this.mkdir(dirname(file));
    const previous = existsSync(file) ? readFileSync(file) : undefined;
    const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(temp, text, { flag: 'wx' });
    try {
      renameSync(temp, file);
    } catch (error) {
      unlinkSync(temp);
      throw error;
    }
    this.restoreSpec = () =>
      previous === undefined ? unlinkSync(file) : writeFileSync(file, previous);
  }

  add(...files: string[]): void {
    this.files.push(...files);
  }

  undo(): void {
    for (const step of [this.restoreSpec, ...this.files.map((f) => () => unlinkSync(f))]) {
      try {
        step?.();
      } catch {
        // already gone
      }
    }
    for (const dir of [...this.dirs].reverse()) {
      try {
        rmdirSync(dir); // only when empty: never anything the user had there
      } catch {
        // not empty, or gone
      }
    }
  }
}

/**
 * Records `migration` as applied, in one transaction under the migrations' lock: the
 * table as node-pg-migrate creates it, when missing, and the row as it writes it.
 */
async function record(options: BaselineOptions, migration: string, path: string): Promise<void> {
  const { client } = options;
  const table = historyTable(options);
  const wait = { timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, log: options.log };
  await withMigrationLock(client, wait, async () => {
    await client.query('BEGIN');
    try {
      // Under the lock: a deploy that ran since pull looked is seen here.
      refuseAppliedMigrations(
        (await appliedMigrations(client, table)).map((m) => m.name),
        options.description,
      );
      // The table as node-pg-migrate creates it (an empty one may be there already).
      await markApplied(client, table, { name: migration, path });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/**
 * Writes prism.yaml, the baseline migration and the snapshot, then records the migration
 * as applied. When recording fails the files are taken back (a spec overwritten with
 * `force` gets its old text back); when writing fails nothing is recorded.
 */
export async function writeBaseline(options: BaselineOptions): Promise<Baseline> {
  refuseExistingFiles(options.specFile, options.migrationsDir, options.force === true);
  const written = new Written();
  let baseline: Baseline;
  try {
    written.mkdir(options.migrationsDir);
    written.mkdir(dirname(snapshotPath(options.migrationsDir)));
    written.writeSpec(options.specFile, options.specText);
    const result = generateMigration({
      spec: options.spec,
      migrationsDir: options.migrationsDir,
      name: BASELINE_NAME,
      now: options.now,
    });
    if (!result.written) throw new Error('the baseline migration has no changes');
    written.add(result.file, result.snapshot);
    const migration = basename(result.file, extname(result.file));
    let adopted: string | undefined;
    if (options.accepted.length > 0) {
      adopted = adoptedPath(options.migrationsDir);
      writeFileSync(adopted, serializeAdopted(migration, options.accepted), { flag: 'wx' });
      written.add(adopted);
    }
    baseline = { migration, file: result.file, snapshot: result.snapshot, adopted };
  } catch (error) {
    written.undo();
    throw error;
  }
  try {
    await record(options, baseline.migration, baseline.file);
  } catch (error) {
    written.undo();
    if (error instanceof UsageError || error instanceof DatabaseError) throw error;
    const e = error as { message?: string; code?: string };
    throw new DatabaseError(
      `could not record ${baseline.migration} as applied in ${options.description}: ${e.message ?? String(error)}${e.code ? ` [${e.code}]` : ''}; the files pull wrote were removed again`,
      {
        hint: `the database user must be able to create and write the table ${describeHistoryTable(historyTable(options))}`,
        cause: error,
      },
    );
  }
  return baseline;
}
