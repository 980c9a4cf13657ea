/**
 * The session pools of `serve` (its database's and each read replica's), made so that
 * closing never waits on a server that stopped answering without closing its connections
 * (a hung host, a network partition): every session is known from its creation on, a
 * connecting one too, and closing cuts those still open after a grace. A query may also be
 * given up on this side after a time (`queryTimeoutMs`): the server's statement timeout
 * cannot end a query whose server, or network, no longer answers.
 */
import pg from 'pg';

/** Milliseconds `closePool` lets sessions end on their own before cutting them. */
export const CLOSE_GRACE_MS = 1_000;
/**
 * Milliseconds a session waits for an answer beyond the statement timeout before it gives
 * up on this side: the server ends a query at its statement timeout, unless it, or the
 * network, stopped answering.
 */
export const QUERY_TIMEOUT_MARGIN_MS = 2_000;

/** The client-side limit for a statement timeout; none where the statement has none (0). */
export function queryTimeoutFor(statementTimeoutMs: number): number | undefined {
  return statementTimeoutMs > 0 ? statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS : undefined;
}

export interface SessionPoolOptions {
  readonly connectionString: string;
  readonly max: number;
  /** Milliseconds to wait for a session: a connect, or a free session of a full pool. */
  readonly connectionTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** Milliseconds a query waits for its answer on this side; default: as long as it takes. */
  readonly queryTimeoutMs?: number | undefined;
  /** TCP keep-alive: a host that vanished is noticed without a query running. */
  readonly keepAlive?: boolean | undefined;
}

const sessionsOf = new WeakMap<pg.Pool, Set<pg.Client>>();

/** A pool whose sessions closing can cut; a session's failure is its queries', never the process's. */
export function openPool(options: SessionPoolOptions): pg.Pool {
  const open = new Set<pg.Client>();
  class TrackedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      open.add(this);
      this.once('end', () => open.delete(this));
    }
  }
  const pool = new pg.Pool({
    Client: TrackedClient as unknown as new () => pg.ClientBase,
    connectionString: options.connectionString,
    max: options.max,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: options.connectionTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
    ...(options.keepAlive === true ? { keepAlive: true } : {}),
  });
  pool.on('error', () => undefined);
  sessionsOf.set(pool, open);
  return pool;
}

/** Closes a pool's sessions at once: their queries fail as if the server went away. */
export function cutSessions(pool: pg.Pool): void {
  for (const client of sessionsOf.get(pool) ?? []) {
    (
      client as unknown as { connection: { stream: { destroy(): void } } }
    ).connection.stream.destroy();
  }
}

/**
 * Ends a pool. Sessions that did not end within the grace (one still running a query, or a
 * server that never acknowledges the goodbye) are cut, so that closing never waits on them.
 */
export async function closePool(pool: pg.Pool): Promise<void> {
  const open = sessionsOf.get(pool);
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_GRACE_MS);
  });
  const ended = pool.end();
  const settled = (async () => {
    await ended;
    while (open !== undefined && open.size > 0) {
      await new Promise<void>((resolve) => pool.once('remove', () => resolve()));
    }
  })();
  await Promise.race([settled, grace]);
  clearTimeout(timer);
  cutSessions(pool);
  await ended;
}
