/**
 * The migrations' advisory lock: node-pg-migrate's key (PG_MIGRATE_LOCK_ID), taken here
 * rather than by node-pg-migrate (which then runs with `noLock`), so that a second deploy
 * waits for the first instead of failing at once. While it waits it says once whom it
 * waits for; after the timeout it fails naming the session that holds the lock, read
 * from pg_locks and pg_stat_activity. A session-level lock, so it spans the migrations'
 * own transactions; released here, or by the end of the session.
 */
import type pg from 'pg';
import { PG_MIGRATE_LOCK_ID } from 'node-pg-migrate';
import { DatabaseError, type ErrorCode } from '../errors.js';
import { formatDuration } from '../util/duration.js';

/** Long enough for a normal deploy to finish; `--lock-timeout` changes it. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;

const KEY = BigInt(PG_MIGRATE_LOCK_ID);
/** How pg_locks shows a bigint advisory key: high and low 32 bits, objsubid 1. */
const CLASSID = String(KEY >> 32n);
const OBJID = String(KEY & 0xffff_ffffn);
/** PostgreSQL's lock_timeout is an int of milliseconds. */
const MAX_LOCK_TIMEOUT_MS = 2_147_483_647;

/** A session holding the migration lock, as pg_stat_activity shows it. */
export interface LockHolder {
  /** Null for a lock held by a prepared transaction. */
  readonly pid: number | null;
  readonly applicationName: string | null;
  readonly user: string | null;
  /** Null for a Unix-socket client (or when the role may not see it). */
  readonly clientAddr: string | null;
  readonly clientPort: number | null;
  readonly backendStart: Date | null;
  readonly state: string | null;
  readonly queryStart: Date | null;
  readonly stateChange: Date | null;
  readonly query: string | null;
}

export interface LockWaitOptions {
  /** How long to wait for the lock; 0 fails at once when it is held. */
  readonly timeoutMs: number;
  /** Told once whom it waits for. */
  readonly log?: ((line: string) => void) | undefined;
}

const SAME_KEY = `l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
   AND l.classid = $1::pg_catalog.oid AND l.objid = $2::pg_catalog.oid
   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())`;

/** Sessions other than this one that hold the migration lock of this database. */
export async function migrationLockHolders(client: pg.ClientBase): Promise<LockHolder[]> {
  const r = await client.query<{
    pid: number | null;
    application_name: string | null;
    usename: string | null;
    client_addr: string | null;
    client_port: number | null;
    backend_start: Date | null;
    state: string | null;
    query_start: Date | null;
    state_change: Date | null;
    query: string | null;
  }>(
    `SELECT l.pid, a.application_name, a.usename::text AS usename,
            pg_catalog.host(a.client_addr) AS client_addr, a.client_port, a.backend_start,
            a.state, a.query_start, a.state_change, pg_catalog.left(a.query, 500) AS query
       FROM pg_catalog.pg_locks l
       LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE ${SAME_KEY} AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid()
      ORDER BY l.pid`,
    [CLASSID, OBJID],
  );
  return r.rows.map((row) => ({
    pid: row.pid,
    applicationName: row.application_name,
    user: row.usename,
    clientAddr: row.client_addr,
    clientPort: row.client_port,
    backendStart: row.backend_start,
    state: row.state,
    queryStart: row.query_start,
    stateChange: row.state_change,
    query: row.query,
  }));
}

function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `pid 4242 (application_name "prism-migrate up", user …, client …, connected since …, …)` */
export function describeHolder(holder: LockHolder): string {
  if (holder.pid === null) return 'a prepared transaction';
  const parts: string[] = [];
  parts.push(
    holder.applicationName
      ? `application_name ${JSON.stringify(holder.applicationName)}`
      : 'no application_name',
  );
  if (holder.user) parts.push(`user ${holder.user}`);
  if (holder.clientAddr) {
    const port = holder.clientPort !== null && holder.clientPort > 0 ? `:${holder.clientPort}` : '';
    parts.push(`client ${holder.clientAddr}${port}`);
  } else if (holder.clientPort === -1) parts.push('client on a Unix socket');
  if (holder.backendStart) parts.push(`connected since ${holder.backendStart.toISOString()}`);
  if (holder.state === 'active') {
    const since = holder.queryStart ? ` since ${holder.queryStart.toISOString()}` : '';
    const query = holder.query ? `: ${oneLine(holder.query)}` : '';
    parts.push(`running a query${since}${query}`);
  } else if (holder.state) {
    const since = holder.stateChange ? ` since ${holder.stateChange.toISOString()}` : '';
    parts.push(`${holder.state}${since}`);
  } else {
    parts.push('its activity is not visible to this role');
  }
  return `pid ${holder.pid} (${parts.join(', ')})`;
}

function describeHolders(holders: readonly LockHolder[]): string {
  return holders.length > 0
    ? holders.map(describeHolder).join('; ')
    : 'a session that has just released it';
}

/** The migration lock stayed held for the whole timeout (or the timeout was 0). */
export class MigrationLockTimeoutError extends DatabaseError {
  static override readonly code: ErrorCode = 'lock-timeout';
  constructor(
    readonly holders: readonly LockHolder[],
    readonly timeoutMs: number,
  ) {
    const pids = holders.flatMap((h) => (h.pid === null ? [] : [h.pid]));
    const waited =
      timeoutMs === 0
        ? 'the lock timeout is 0, so it did not wait'
        : `it waited ${formatDuration(timeoutMs)}`;
    super(
      `another migration is running on this database: its lock is held by ${describeHolders(holders)}; ${waited}`,
      {
        hint: `run again when that deploy has finished, or wait longer with --lock-timeout (default ${formatDuration(DEFAULT_LOCK_TIMEOUT_MS)})${
          pids.length > 0
            ? `; if that session is stuck or its client is gone, end it with SELECT pg_terminate_backend(${pids.join(', ')})`
            : ''
        }`,
      },
    );
  }
}

async function tryLock(client: pg.ClientBase): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>(
    'SELECT pg_catalog.pg_try_advisory_lock($1::bigint) AS ok',
    [KEY.toString()],
  );
  return r.rows[0]?.ok === true;
}

/**
 * Takes the migration lock for this session, waiting up to `timeoutMs` while another
 * session holds it. Must be called outside a transaction.
 */
export async function acquireMigrationLock(
  client: pg.ClientBase,
  options: LockWaitOptions,
): Promise<void> {
  if (await tryLock(client)) return;
  const holders = await migrationLockHolders(client);
  if (options.timeoutMs <= 0) throw new MigrationLockTimeoutError(holders, 0);
  options.log?.(
    `waiting up to ${formatDuration(options.timeoutMs)} (--lock-timeout) for the migration lock, held by ${describeHolders(holders)}`,
  );
  try {
    // lock_timeout bounds the wait; a statement_timeout of the URL must not cut it shorter.
    // A session-level lock taken in a transaction stays after its commit.
    await client.query('BEGIN');
    await client.query(
      `SELECT pg_catalog.set_config('lock_timeout', $1, true),
              pg_catalog.set_config('statement_timeout', '0', true)`,
      [String(Math.min(Math.ceil(options.timeoutMs), MAX_LOCK_TIMEOUT_MS))],
    );
    await client.query('SELECT pg_catalog.pg_advisory_lock($1::bigint)', [KEY.toString()]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((error as { code?: unknown }).code !== '55P03') throw error;
    const still = await migrationLockHolders(client);
    // Released in the instant between the timeout and this look.
    if (still.length === 0 && (await tryLock(client))) return;
    throw new MigrationLockTimeoutError(still.length > 0 ? still : holders, options.timeoutMs);
  }
}

/**
 * Releases the migration lock if this session holds it, without PostgreSQL's "you don't
 * own a lock" warning when it does not. The warning is silenced for this one statement
 * rather than the lock looked up in pg_locks first: the embedded database keeps advisory
 * locks but does not list them there.
 */
export async function releaseMigrationLock(client: pg.ClientBase): Promise<void> {
  await client.query(
    `DO $prism$ BEGIN
       PERFORM pg_catalog.set_config('client_min_messages', 'error', true);
       PERFORM pg_catalog.pg_advisory_unlock(${KEY.toString()}::bigint);
     END $prism$`,
  );
}

/** Runs `work` holding the migration lock (waiting for it as `wait` says), then releases it. */
export async function withMigrationLock<T>(
  client: pg.ClientBase,
  wait: LockWaitOptions,
  work: () => Promise<T>,
): Promise<T> {
  await acquireMigrationLock(client, wait);
  try {
    return await work();
  } finally {
    await releaseMigrationLock(client).catch(() => undefined);
  }
}
