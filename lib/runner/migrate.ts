/**
 * up / down / redo / status on node-pg-migrate's programmatic runner, with its
 * migrations table, one transaction per migration.
 *
 * The migrations' advisory lock is taken here (./lock.ts), before anything is read, and
 * node-pg-migrate runs with `noLock`: a second deploy waits for the first, then sees what
 * it applied. We hand node-pg-migrate our own client and, after any failure, roll back
 * and release every advisory lock of that session, so the database is left as it was
 * before the failing migration.
 */
import pg from 'pg';
import { runner, type RunnerOption } from 'node-pg-migrate';
import {
  AggregateRefreshError,
  CheckFailedError,
  DatabaseError,
  PrismError,
  UsageError,
  type ErrorCode,
} from '../errors.js';
import { assessDataLoss, type DataLoss } from '../introspect/data-loss.js';
import { destructiveMarkers } from './markers.js';
import { inEnvironment } from '../diff/destructive.js';
import {
  describeAvailability,
  detectTimescale,
  missingForRequire,
  probeLicense,
  type TimescaleSupport,
} from '../db/detect.js';
import { connect } from '../db/connect.js';
import { isUserNotice, noticeLines, type ServerNotice } from '../db/notices.js';
import { installLegacyMethods } from './legacy-methods.js';
import { MIGRATION_LOADERS } from './loader.js';
import { ALLOW_DATA_LOSS_SETTING, DATA_LOSS_SQLSTATE } from '../operations/retention-loss-guard.js';
import { setTimescaleModeOverride, type TimescaleMode } from '../operations/mode.js';
import { setEnvironmentOverride } from '../operations/environment.js';
import {
  listMigrationFiles,
  MIGRATION_IGNORE_PATTERN,
  migrationName,
  type MigrationFile,
} from './files.js';
import {
  DEADLOCK_ATTEMPTS,
  isConcurrencyConflict,
  isDeadlock,
  readOnlyRetried,
} from './deadlock.js';
import { aggregatesToRefresh, refreshAggregates, refreshFailure } from './refresh.js';
import { acquireMigrationLock, DEFAULT_LOCK_TIMEOUT_MS, releaseMigrationLock } from './lock.js';
import {
  appliedMigrations,
  changedMigrations,
  describeHistoryTable,
  historyTable,
  recordEnvironment,
  recordMissingChecksums,
  type AppliedMigration,
  type ChangedMigration,
  type HistoryOptions,
  type MigrationsTable,
} from './history.js';

export { appliedMigrations } from './history.js';

export interface MigrateOptions extends HistoryOptions {
  readonly url: string;
  readonly migrationsDir: string;
  readonly direction: 'up' | 'down';
  /** Number of migrations; default all pending for up, 1 for down. */
  readonly count?: number | undefined;
  /**
   * Up: apply the pending migrations up to and including this one. Down: revert every
   * migration applied after it (it stays applied). Not with `count`.
   */
  readonly to?: string | undefined;
  /** Record the migrations as applied (or reverted) without running them. */
  readonly fake?: boolean | undefined;
  /** All migrations of the run in one transaction: any failure rolls back every one. */
  readonly singleTransaction?: boolean | undefined;
  readonly dryRun?: boolean | undefined;
  /** Overrides the mode of every operation for this run. */
  readonly timescale?: TimescaleMode | undefined;
  /**
   * The environment whose values (`environments:` in prism.yaml) the migrations apply;
   * default PRISM_ENV, else none (the models' own values).
   */
  readonly environment?: string | undefined;
  readonly log?: ((line: string) => void) | undefined;
  /** Use this connection instead of opening one from `url`; it is left open. */
  readonly client?: pg.Client | undefined;
  /** Apply migrations whose destructive steps would lose existing rows. */
  readonly allowDataLoss?: boolean | undefined;
  /** Called as each migration's SQL starts to run (for progress display). */
  readonly onMigrationStart?: ((name: string) => void) | undefined;
  /**
   * How long to wait for the migration lock while another deploy holds it, in ms;
   * default 10 minutes, 0 fails at once. A dry run does not take the lock.
   */
  readonly lockTimeoutMs?: number | undefined;
}

export interface MigrationRun {
  readonly name: string;
  readonly direction: 'up' | 'down';
  /** The SQL, for dry runs. */
  readonly sql?: string | undefined;
  /** What its destructive steps lose in the live data (checked before it ran). */
  readonly dataLoss?: readonly DataLoss[] | undefined;
}

/** Migrations `migrate` would run, in order, with the file of each. */
async function plannedMigrations(
  client: pg.Client,
  dir: string,
  direction: 'up' | 'down',
  count: number,
  table: MigrationsTable,
): Promise<{ name: string; path: string | undefined }[]> {
  const files = listMigrationFiles(dir);
  const applied = (await appliedMigrations(client, table)).map((r) => r.name);
  const pathOf = (name: string) => files.find((f) => f.name === name)?.path;
  if (direction === 'up') {
    return files
      .filter((f) => !applied.includes(f.name))
      .slice(0, count)
      .map((f) => ({ name: f.name, path: f.path }));
  }
  return applied
    .slice(-count)
    .reverse()
    .map((name) => ({ name, path: pathOf(name) }));
}

/** Thrown before anything runs when a migration would lose existing rows. */
export class DataLossError extends CheckFailedError {
  static override readonly code: ErrorCode = 'data-loss';
  constructor(
    readonly losses: readonly { migration: string; loss: DataLoss }[],
    hint = 'back the data up or change the migration; to proceed anyway, run again with --allow-data-loss',
  ) {
    super(
      `refusing to run: these steps would lose existing data\n${losses
        .map(
          ({ migration, loss }) =>
            `  ${migration}: ${loss.change.code} ${loss.change.message}\n    would lose: ${loss.detail}`,
        )
        .join('\n')}`,
      { hint },
    );
  }
}

async function checkDataLoss(
  client: pg.Client,
  options: MigrateOptions,
  log: (line: string) => void,
): Promise<Map<string, DataLoss[]>> {
  const count = options.count ?? (options.direction === 'up' ? Infinity : 1);
  const byMigration = new Map<string, DataLoss[]>();
  const refused: { migration: string; loss: DataLoss }[] = [];
  for (const m of await plannedMigrations(
    client,
    options.migrationsDir,
    options.direction,
    count,
    historyTable(options),
  )) {
    if (!m.path) continue;
    const markers = destructiveMarkers(m.path)
      .filter((d) => d.direction === options.direction)
      .map((d) => inEnvironment(d, runEnvironment(options)));
    if (markers.length === 0) continue;
    const losses = await readOnlyRetried(() => assessDataLoss(client, markers));
    byMigration.set(m.name, losses);
    for (const loss of losses) {
      if (loss.change.code === 'PM103') log(`retention preview for ${m.name}: ${loss.detail}`);
      if (loss.rows !== 0) refused.push({ migration: m.name, loss });
    }
  }
  if (refused.length > 0 && !options.dryRun && !options.allowDataLoss)
    throw new DataLossError(refused);
  if (refused.length > 0 && options.allowDataLoss)
    log(`--allow-data-loss: proceeding although ${refused.length} step(s) lose data`);
  return byMigration;
}

export interface FailureContext {
  /** False for a migration that called pgm.noTransaction(). */
  readonly transactional: boolean;
  /** Migrations this run applied (or reverted) before the failing one; they stay. */
  readonly completed: readonly string[];
  /** The whole run was one transaction (--single-transaction), rolled back whole. */
  readonly wholeRun?: boolean | undefined;
}

/** The line naming the migrations of this run that stay applied (or reverted), if any. */
function keptBefore(direction: 'up' | 'down', context: FailureContext): string {
  return context.completed.length > 0
    ? `\n  ${direction === 'up' ? 'applied' : 'reverted'} before it in this run, and kept: ${context.completed.join(', ')}`
    : '';
}

export class MigrationFailedError extends DatabaseError {
  static override readonly code: ErrorCode = 'migration-failed';
  constructor(
    readonly migration: string | undefined,
    readonly direction: 'up' | 'down',
    cause: unknown,
    readonly context: FailureContext = { transactional: true, completed: [] },
  ) {
    const e = cause as { message?: string; detail?: string; hint?: string; code?: string };
    const where = migration ? `migration ${migration} (${direction})` : `${direction} migration`;
    const detail = e.detail ? `\n  detail: ${e.detail}` : '';
    const outcome = context.wholeRun
      ? '\n  the run was one transaction (--single-transaction) and was rolled back whole: nothing from it was applied'
      : context.transactional
        ? '\n  it was rolled back: nothing from this migration was applied'
        : '\n  it ran outside a transaction (pgm.noTransaction()): its statements before the failing one stay applied';
    const completed = keptBefore(direction, context);
    super(
      `${where} failed: ${withoutStack(e.message ?? String(cause))}${e.code ? ` [${e.code}]` : ''}${detail}${outcome}${completed}`,
      { hint: e.hint, cause },
    );
  }
}

/** node-pg-migrate puts `error.stack` into some messages; users get the sentence only. */
function withoutStack(message: string): string {
  return message
    .split('\n')
    .filter((line) => !/^\s+at /.test(line))
    .join('\n')
    .trimEnd();
}

/**
 * Ends a failed run: no aborted transaction and no migration lock stay behind. A session
 * of our own loses every advisory lock (node-pg-migrate's unlock fails after a failed
 * statement); a caller's client keeps the locks it took itself.
 */
async function cleanUp(session: Session): Promise<void> {
  await session.client.query('ROLLBACK').catch(() => undefined);
  await (
    session.own
      ? session.client.query('SELECT pg_catalog.pg_advisory_unlock_all()')
      : releaseMigrationLock(session.client)
  ).catch(() => undefined);
}

/**
 * Before anything runs: under `require`, fail when TimescaleDB cannot be had here (the
 * licence of an extension not yet created is read by creating it in a transaction that
 * is rolled back); otherwise say when the extension is not created in this database yet,
 * or cannot be.
 */
async function preflight(
  client: pg.Client,
  options: MigrateOptions,
  log: (line: string) => void,
): Promise<TimescaleSupport> {
  const support = await detectTimescale(client);
  if (options.timescale === 'off') return support;
  if (options.timescale === 'require') {
    const missing = missingForRequire(support, await probeLicense(options.url, support));
    if (missing) {
      throw new DatabaseError(`--timescale require: ${missing.message}; nothing was changed`, {
        hint: missing.hint,
      });
    }
  }
  if (!support.installed && support.available && options.direction === 'up') {
    log(describeAvailability(support));
  }
  return support;
}

function classify(
  error: unknown,
  migration: string | undefined,
  direction: 'up' | 'down',
  context: FailureContext,
  table: MigrationsTable,
): Error {
  const message = withoutStack((error as Error)?.message ?? String(error));
  if (error instanceof UsageError) {
    return migration
      ? new UsageError(`migration ${migration} (${direction}): ${error.message}`, {
          hint: error.hint,
          cause: error,
        })
      : error;
  }
  if (error instanceof PrismError) return error;
  if (message.startsWith('Error loading migration files')) {
    return new UsageError(message, { hint: 'fix the migration file named above', cause: error });
  }
  if (message.startsWith('Unable to ensure migrations table')) {
    return new DatabaseError(message, {
      hint: `the database user must be able to create and write the migrations table (${describeHistoryTable(table)}), and its schema`,
      cause: error,
    });
  }
  if (message.startsWith('Not run migration')) {
    return new DatabaseError(message, {
      hint: 'a migration file older than the last applied one was added (e.g. from a merged branch): rename it with a newer timestamp, or revert the newer ones first',
      cause: error,
    });
  }
  if (migration !== undefined && (error as { code?: unknown }).code === DATA_LOSS_SQLSTATE) {
    const e = error as { message: string; hint?: string };
    const completed = keptBefore(direction, context);
    return new CheckFailedError(
      `migration ${migration} (${direction}) refused: ${e.message.replace(/^prism: /, '')}\n  it was rolled back: nothing from this migration was applied${completed}`,
      { hint: e.hint, cause: error, code: 'data-loss' },
    );
  }
  if (migration !== undefined)
    return new MigrationFailedError(migration, direction, error, context);
  return new DatabaseError(message, { cause: error });
}

/** The connection of a run; a migration run again in a new session replaces `client`. */
interface Session {
  client: pg.Client;
  /** Opened for this run (so it may be replaced, and is ended by it). */
  readonly own: boolean;
}

export function refuseBadCount(count: number | undefined, to?: string): void {
  if (count !== undefined && to !== undefined)
    throw new UsageError('give either a number of migrations or --to <name>, not both');
  if (count !== undefined && !(count >= 1)) {
    // node-pg-migrate would read 0 (or NaN) as "all": refuse rather than revert everything.
    throw new UsageError(`the number of migrations must be 1 or more, got ${count}`);
  }
}

function lockWait(options: Pick<MigrateOptions, 'lockTimeoutMs' | 'log'>) {
  return {
    timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    log: options.log,
  };
}

export async function migrate(options: MigrateOptions): Promise<MigrationRun[]> {
  refuseBadCount(options.count, options.to);
  listMigrationFiles(options.migrationsDir); // a clear error when the directory is missing
  const session: Session = options.client
    ? { client: options.client, own: false }
    : { client: await connect(options.url), own: true };
  try {
    return await migrateIn(session, options, false);
  } finally {
    if (session.own) await session.client.end().catch(() => undefined);
  }
}

/**
 * Reverts the last `count` (default 1) applied migrations and applies them again, holding
 * the migration lock from before the first down to after the last up.
 */
export async function redo(
  options: Omit<MigrateOptions, 'direction' | 'dryRun' | 'to' | 'fake' | 'singleTransaction'>,
): Promise<MigrationRun[]> {
  refuseBadCount(options.count);
  listMigrationFiles(options.migrationsDir);
  const session: Session = options.client
    ? { client: options.client, own: false }
    : { client: await connect(options.url), own: true };
  try {
    try {
      await acquireMigrationLock(session.client, lockWait(options));
      // Its up would refuse an edited applied file: refuse before the down, not halfway.
      const table = historyTable(options);
      const changed = changedMigrations(
        await appliedMigrations(session.client, table),
        listMigrationFiles(options.migrationsDir),
      );
      if (changed.length > 0) throw new ChangedMigrationsError(changed, table);
    } catch (error) {
      await cleanUp(session);
      throw classify(
        error,
        undefined,
        'down',
        { transactional: true, completed: [] },
        historyTable(options),
      );
    }
    const down = await migrateIn(
      session,
      { ...options, direction: 'down', count: options.count ?? 1 },
      true,
    );
    const up =
      down.length === 0
        ? []
        : await migrateIn(session, { ...options, direction: 'up', count: down.length }, true);
    return [...down, ...up];
  } finally {
    await releaseMigrationLock(session.client).catch(() => undefined);
    if (session.own) await session.client.end().catch(() => undefined);
  }
}

/** Applied migrations whose files changed: `up` refuses to run, `down` says so. */
export class ChangedMigrationsError extends CheckFailedError {
  constructor(
    readonly changed: readonly ChangedMigration[],
    table: MigrationsTable,
  ) {
    super(
      `applied migration file(s) changed since they ran:\n${changed.map((c) => `  ${c.name} (${c.path})`).join('\n')}`,
      {
        hint: `restore the file(s) as they were applied (see git log); if the change is intended and the database already matches it, accept it with \`prism-migrate resolve --applied <name>\` (it records the new checksum in ${describeHistoryTable(table)})`,
      },
    );
  }
}

function refuseChangedFiles(
  changed: readonly ChangedMigration[],
  direction: 'up' | 'down',
  log: (line: string) => void,
  table: MigrationsTable,
): void {
  if (changed.length === 0) return;
  if (direction === 'up') throw new ChangedMigrationsError(changed, table);
  for (const c of changed) log(`warning: ${c.name} changed since it was applied (${c.path})`);
}

/**
 * `to` as a number of migrations, read under the lock. Up: the pending ones up to and
 * including `to` (0 when it is applied already). Down: those applied after it.
 */
async function countTo(
  client: pg.ClientBase,
  to: string,
  options: Pick<MigrateOptions, 'direction' | 'migrationsDir'>,
  table: MigrationsTable,
): Promise<number> {
  const name = migrationName(to);
  const applied = (await appliedMigrations(client, table)).map((m) => m.name);
  const known = listMigrationFiles(options.migrationsDir).map((f) => f.name);
  if (options.direction === 'up') {
    const pending = known.filter((n) => !applied.includes(n));
    const index = pending.indexOf(name);
    if (index >= 0) return index + 1;
    if (applied.includes(name)) return 0;
    throw new UsageError(`--to ${to}: there is no migration ${name} in ${options.migrationsDir}`, {
      hint: 'name a migration as `prism-migrate status` lists it (its file name without the extension)',
    });
  }
  const index = applied.lastIndexOf(name);
  if (index < 0 && !known.includes(name)) {
    throw new UsageError(`--to ${to}: there is no migration ${name} in ${options.migrationsDir}`, {
      hint: 'name an applied migration as `prism-migrate status` lists it (its file name without the extension)',
    });
  }
  if (index < 0) {
    throw new UsageError(`--to ${to}: ${name} is not applied, so down cannot stop at it`, {
      hint: 'name an applied migration as `prism-migrate status` lists it; down --to <name> reverts every migration applied after it',
    });
  }
  return applied.length - 1 - index;
}

async function schemaExists(client: pg.ClientBase, schema: string): Promise<boolean> {
  const r = await client.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [
    schema,
  ]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Checksums of applied migrations that have none yet. Not part of any migration: a user
 * that may write the table but not alter it (the column is added once) gets a warning,
 * and the migrations stay applied.
 */
async function recordChecksums(
  client: pg.ClientBase,
  table: MigrationsTable,
  files: readonly MigrationFile[],
  log: (line: string) => void,
): Promise<void> {
  try {
    await recordMissingChecksums(client, table, files);
  } catch (error) {
    log(
      `warning: could not record the checksums of applied migrations in ${describeHistoryTable(table)} (${(error as Error).message}); edits of applied files go unnoticed until the table's owner runs ALTER TABLE ${describeHistoryTable(table)} ADD COLUMN checksum text`,
    );
  }
}

/** The environment of a run: the option, else PRISM_ENV, else none. */
export function runEnvironment(options: Pick<MigrateOptions, 'environment'>): string | undefined {
  const chosen = options.environment ?? process.env['PRISM_ENV'];
  return chosen === undefined || chosen === '' ? undefined : chosen;
}

function environmentText(environment: string | null | undefined): string {
  return environment ? `environment '${environment}'` : 'no environment';
}

/**
 * Down restores the values a migration replaced in the environment it was applied in: run
 * in another, it would restore that one's. Up in another environment would leave a
 * database with two environments' values. Both are refused before anything runs.
 */
function refuseOtherEnvironment(
  applied: readonly AppliedMigration[],
  count: number,
  environment: string | undefined,
  direction: 'up' | 'down',
): void {
  const concerned = applied.slice(applied.length - count);
  const other = concerned.find(
    (m) => m.environment !== null && m.environment !== (environment ?? null),
  );
  if (other === undefined) return;
  const why =
    direction === 'down'
      ? `reverting it in ${environmentText(environment)} would restore that environment's values`
      : `applying more in ${environmentText(environment)} would mix its values with that environment's`;
  throw new UsageError(
    `${other.name} was applied in ${environmentText(other.environment)}; ${why}`,
    {
      hint: `run ${direction} with --env ${other.environment} (or PRISM_ENV=${other.environment})`,
    },
  );
}

/** Best-effort, as checksums are: a user that may not alter the table gets a warning. */
async function recordEnvironments(
  client: pg.ClientBase,
  table: MigrationsTable,
  ran: readonly MigrationRun[],
  environment: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  const names = ran.filter((r) => r.direction === 'up').map((r) => r.name);
  try {
    await recordEnvironment(client, table, names, environment);
  } catch (error) {
    log(
      `warning: could not record the environment of the applied migrations in ${describeHistoryTable(table)} (${(error as Error).message}); down cannot check that it runs in the same one until the table's owner runs ALTER TABLE ${describeHistoryTable(table)} ADD COLUMN environment text`,
    );
  }
}

/** One run on `session`; `lockHeld`: the caller holds the migration lock on it. */
async function migrateIn(
  session: Session,
  options: MigrateOptions,
  lockHeld: boolean,
): Promise<MigrationRun[]> {
  installLegacyMethods();
  const log = options.log ?? (() => undefined);
  /** A dry run changes nothing and reads without the lock, as before. */
  const needsLock = options.dryRun !== true;
  let client = session.client;
  /** The migration whose SQL is running (node-pg-migrate logs it after calling `up`/`down`). */
  let current: string | undefined;
  const toRun: string[] = [];
  const outsideTransaction = new Set<string>();
  /** The last pgm.noTransaction() migration of a --single-transaction run. */
  let singleBrokenAt: string | undefined;
  // node-pg-migrate's BEGIN/COMMIT around a single transaction would end a dry run's.
  const single = options.singleTransaction === true && options.dryRun !== true;
  let files: MigrationFile[] = [];
  let quiet = false;
  /** The SQL each migration ran: dry runs show it, and it names the aggregates to refresh. */
  const sqlByMigration = new Map<string, string>();
  const logger = {
    debug: (msg: string) => {
      if (current !== undefined) sqlByMigration.set(current, String(msg).trimEnd());
    },
    info: (msg: string) => {
      const m = /^### MIGRATION (.+) \((UP|DOWN)\) ###$/.exec(String(msg));
      const listed = /^> - (.+)$/.exec(String(msg));
      if (m) {
        current = m[1];
        if (current && !options.dryRun) options.onMigrationStart?.(current);
      } else if (listed) toRun.push(listed[1] as string);
      // "No migrations to run!": the caller says so, once.
      else if (!String(msg).startsWith('>') && !String(msg).startsWith('No migrations to run'))
        log(String(msg));
    },
    warn: (msg: string) => {
      if (String(msg).includes('not wrapped in a transaction') && current)
        outsideTransaction.add(current);
      // A pgm.noTransaction() migration commits what the single transaction held so far.
      if (String(msg).includes('Need to break single transaction') && current) {
        outsideTransaction.add(current);
        singleBrokenAt = current;
      }
      if (!String(msg).includes('current transaction is aborted')) log(String(msg));
    },
    error: () => undefined, // the thrown error says it, once
  };
  const onNotice = (notice: ServerNotice) => {
    if (!quiet && isUserNotice(notice)) for (const line of noticeLines(notice)) log(line);
  };
  client.on('notice', onNotice);
  /**
   * A PostgreSQL error comes from running `current`'s SQL; any other error from building
   * the next migration's steps (its up/down function threw).
   */
  const failedMigration = (error: unknown): string | undefined =>
    error instanceof pg.DatabaseError
      ? current
      : toRun[current === undefined ? 0 : toRun.indexOf(current) + 1];
  setTimescaleModeOverride(options.timescale);
  const environment = runEnvironment(options);
  // null: none, even where PRISM_ENV says otherwise (an option given to the library wins).
  setEnvironmentOverride(environment ?? null);
  const table = historyTable(options);
  const ran: MigrationRun[] = [];
  try {
    // Before anything is read: a deploy that waited sees what the one before it applied.
    if (needsLock && !lockHeld) await acquireMigrationLock(client, lockWait(options));
    const support = await preflight(client, options, log);
    files = listMigrationFiles(options.migrationsDir);
    refuseChangedFiles(
      changedMigrations(await appliedMigrations(client, table), files),
      options.direction,
      log,
      table,
    );
    if (options.to !== undefined) {
      options = { ...options, count: await countTo(client, options.to, options, table) };
      if (options.count === 0) return [];
    }
    if (!options.fake) {
      const applied = await appliedMigrations(client, table);
      if (options.direction === 'down')
        refuseOtherEnvironment(applied, options.count ?? 1, environment, 'down');
      // Up with nothing pending changes nothing, whatever the environment.
      else if (files.some((f) => !applied.some((m) => m.name === f.name)))
        refuseOtherEnvironment(applied, applied.length, environment, 'up');
    }
    // Read by the retention step of a table converted in the same migration.
    if (options.allowDataLoss) await client.query(`SET ${ALLOW_DATA_LOSS_SETTING} = on`);
    // A fake run changes no data: there is nothing to lose.
    const losses = options.fake
      ? new Map<string, DataLoss[]>()
      : await checkDataLoss(client, options, log);
    if (options.dryRun) await client.query('BEGIN');
    let remaining = options.count ?? (options.direction === 'up' ? Infinity : 1);
    // Asked only when missing: CREATE SCHEMA IF NOT EXISTS says "already exists" every run.
    const createSchema = !(await schemaExists(client, table.schema));
    for (let attempt = 1; ; attempt += 1) {
      const runnerOptions: RunnerOption = {
        dbClient: client,
        dir: options.migrationsDir,
        migrationsTable: table.name,
        migrationsSchema: table.schema,
        createMigrationsSchema: createSchema,
        direction: options.direction,
        count: remaining,
        checkOrder: true,
        singleTransaction: single,
        fake: options.fake === true,
        dryRun: options.dryRun === true,
        // The lock is ours (above); node-pg-migrate's would fail at once instead of waiting.
        noLock: true,
        // Hands the logger each migration's SQL (`debug`), which is kept, never printed.
        verbose: true,
        ignorePattern: MIGRATION_IGNORE_PATTERN,
        migrationLoaderStrategies: MIGRATION_LOADERS,
        logger,
      };
      try {
        const done = await runner(runnerOptions);
        ran.push(
          ...done.map((m) => ({
            name: m.name,
            direction: options.direction,
            sql: options.dryRun ? sqlByMigration.get(m.name) : undefined,
            dataLoss: losses.get(m.name),
          })),
        );
        break;
      } catch (error) {
        const failed = failedMigration(error);
        if (!isConcurrencyConflict(error) || attempt >= DEADLOCK_ATTEMPTS || failed === undefined)
          throw error;
        // One transaction for the whole run: all of it was rolled back, and is reported so.
        if (single) throw error;
        if (outsideTransaction.has(failed)) throw error;
        // The rolled-back migration may have created TimescaleDB; 2.12 cannot create it
        // again in a session that loaded its library: run it again in a new session.
        const freshSession = !support.installed;
        if (freshSession && !session.own) throw error;
        // A policy job of TimescaleDB's scheduler that runs on the same table takes its job
        // lock and then the table's; a migration changing that policy takes them the other
        // way round. The migration was rolled back whole: run it again (the migration lock
        // stays held).
        await client.query('ROLLBACK').catch(() => undefined);
        const completed = toRun.slice(0, Math.max(toRun.indexOf(failed), 0));
        ran.push(
          ...completed.map((name) => ({
            name,
            direction: options.direction,
            dataLoss: losses.get(name),
          })),
        );
        remaining -= completed.length;
        log(
          `${failed} (${options.direction}) ${isDeadlock(error) ? 'deadlocked' : 'conflicted'} with another session (such as a TimescaleDB policy job on the same table) and was rolled back; running it again (attempt ${attempt + 1} of ${DEADLOCK_ATTEMPTS})`,
        );
        await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
        if (freshSession) {
          client.off('notice', onNotice);
          await client.end().catch(() => undefined);
          client = await connect(options.url);
          session.client = client;
          client.on('notice', onNotice);
          // The lock ended with the old session.
          if (needsLock) await acquireMigrationLock(client, lockWait(options));
          if (options.allowDataLoss) await client.query(`SET ${ALLOW_DATA_LOSS_SETTING} = on`);
        }
        current = undefined;
        toRun.length = 0;
      }
    }
    if (options.dryRun) await client.query('ROLLBACK');
    else {
      await recordChecksums(client, table, files, log);
      await recordEnvironments(client, table, ran, environment, log);
      if (!options.fake) {
        const pending = aggregatesToRefresh(
          ran.map((r) => r.name),
          sqlByMigration,
        );
        const failure = refreshFailure(await refreshAggregates(client, pending, log));
        if (failure) throw failure;
      }
    }
    return ran;
  } catch (error) {
    quiet = true;
    // The migrations are applied; only the refresh after them failed.
    if (error instanceof AggregateRefreshError) throw error;
    // What did commit (earlier migrations of the run) gets its checksum all the same.
    await client.query('ROLLBACK').catch(() => undefined);
    if (!options.dryRun) await recordChecksums(client, table, files, log);
    const failed = failedMigration(error);
    const index = failed === undefined ? 0 : toRun.indexOf(failed);
    const committedBefore = (upTo: number) => [
      ...ran.map((r) => r.name),
      ...toRun.slice(0, Math.max(upTo, 0)),
    ];
    const broken = singleBrokenAt === undefined ? -1 : toRun.indexOf(singleBrokenAt);
    const context: FailureContext = {
      transactional: failed === undefined || !outsideTransaction.has(failed),
      completed: options.dryRun
        ? []
        : !single
          ? committedBefore(index)
          : // A single transaction keeps only what a noTransaction migration committed.
            committedBefore(broken < 0 ? 0 : singleBrokenAt === failed ? broken : broken + 1),
      wholeRun: single && singleBrokenAt === undefined,
    };
    // What committed was applied in this environment all the same.
    if (!options.dryRun && options.direction === 'up') {
      const committed = context.completed.map((name) => ({ name, direction: 'up' as const }));
      await recordEnvironments(client, table, committed, environment, log);
    }
    // Aggregates the committed migrations created are filled all the same.
    if (!options.dryRun && !options.fake && context.completed.length > 0) {
      await client.query('ROLLBACK').catch(() => undefined);
      const pending = aggregatesToRefresh(context.completed, sqlByMigration);
      const refreshed = await refreshAggregates(client, pending, log).catch((e: unknown) => {
        log(
          `warning: could not refresh the aggregates of the applied migrations: ${(e as Error).message}`,
        );
        return [];
      });
      const failure = refreshFailure(refreshed);
      if (failure) log(`warning: ${failure.message}`);
    }
    await cleanUp(session);
    throw classify(error, failed, options.direction, context, table);
  } finally {
    if (options.allowDataLoss)
      await client.query(`RESET ${ALLOW_DATA_LOSS_SETTING}`).catch(() => undefined);
    if (needsLock && !lockHeld) await releaseMigrationLock(client).catch(() => undefined);
    setTimescaleModeOverride(undefined);
    setEnvironmentOverride(undefined);
    client.off('notice', onNotice);
  }
}

export interface MigrationState {
  readonly name: string;
  readonly applied: boolean;
  readonly runOn: Date | null;
  /** Applied, but its file is gone. */
  readonly missingFile: boolean;
  /** Applied, and its file changed since (by the recorded checksum). */
  readonly changed: boolean;
}

export async function migrationStatus(
  url: string,
  migrationsDir: string,
  table?: MigrationsTable,
): Promise<MigrationState[]> {
  listMigrationFiles(migrationsDir); // a clear error before connecting
  const client = await connect(url);
  try {
    return await migrationStatusOn(client, migrationsDir, table);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `migrationStatus` on an open connection. */
export async function migrationStatusOn(
  client: pg.ClientBase,
  migrationsDir: string,
  table?: MigrationsTable,
): Promise<MigrationState[]> {
  const files = listMigrationFiles(migrationsDir);
  const applied = await appliedMigrations(client, table);
  const appliedByName = new Map(applied.map((r) => [r.name, r.run_on]));
  const changed = new Set(changedMigrations(applied, files).map((c) => c.name));
  const fileNames = new Set(files.map((f) => f.name));
  return [
    ...applied
      .filter((r) => !fileNames.has(r.name))
      .map((r) => ({
        name: r.name,
        applied: true,
        runOn: r.run_on,
        missingFile: true,
        changed: false,
      })),
    ...files.map((f) => ({
      name: f.name,
      applied: appliedByName.has(f.name),
      runOn: appliedByName.get(f.name) ?? null,
      missingFile: false,
      changed: changed.has(f.name),
    })),
  ];
}
