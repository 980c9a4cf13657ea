/**
 * The API's database sessions: every request's work waits in one bounded queue
 * (lib/api/queue.ts) for a session of its own — one for a plain client or the embedded
 * database, up to the pool's size on a server. Work whose client has gone is dropped
 * while it waits; when it already runs and a control session is given, its statement is
 * cancelled there (`pg_cancel_backend`), and the session is released only after that, so
 * a late cancel can never hit the next request's statement. A session whose query got no
 * answer in time (pg's client-side `query_timeout`) or whose connection failed is closed,
 * never handed to the next request.
 */
import type pg from 'pg';
import { DatabaseError } from '../errors.js';
import type { Queryable } from '../query/repository.js';
import { WorkQueue, type QueueStats } from './queue.js';

/** Requests that may wait for a session, beyond those running. */
export const DEFAULT_MAX_QUEUED = 100;
/** Milliseconds a request may wait for a session. */
export const DEFAULT_MAX_WAIT_MS = 5_000;

export interface SessionOptions {
  /** A client (one session) or a pool (as many sessions as its `max`). */
  readonly client: Queryable;
  readonly maxQueued?: number | undefined;
  readonly maxWaitMs?: number | undefined;
  /**
   * A session apart from `client`, used to cancel the running statement of a request
   * whose client disconnected. Without it such a statement runs to its end.
   */
  readonly control?: Queryable | undefined;
}

export interface UseOptions {
  /** Aborted when the request's client is gone. */
  readonly signal?: AbortSignal | undefined;
  /** Ahead of every waiting request (the health check), waiting at most `maxWaitMs`. */
  readonly priority?: boolean | undefined;
  readonly maxWaitMs?: number | undefined;
  /**
   * Runs `work` in one `REPEATABLE READ READ ONLY` transaction, so that all its statements
   * see one snapshot (a standby allows it too).
   */
  readonly snapshot?: boolean | undefined;
}

const BEGIN = { write: 'BEGIN', snapshot: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' };
type Begin = keyof typeof BEGIN;

/** pg's errors of a session that can no longer be trusted to answer its next query. */
function sessionLost(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return (
    typeof message === 'string' &&
    /Query read timeout|Connection terminated|not queryable|connection error/i.test(message)
  );
}

/** A pool by its shape, so a pool from another copy of pg counts too. */
function asPool(client: Queryable): pg.Pool | undefined {
  return typeof (client as { totalCount?: unknown }).totalCount === 'number'
    ? (client as pg.Pool)
    : undefined;
}

export class ApiSessions {
  readonly queue: WorkQueue;
  readonly #client: Queryable;
  readonly #pool: pg.Pool | undefined;
  readonly #control: Queryable | undefined;
  /** Set when a plain client's rollback failed: it may sit in a transaction, so no more work. */
  #broken = false;

  constructor(options: SessionOptions) {
    this.#client = options.client;
    this.#pool = asPool(options.client);
    this.#control = options.control;
    const max = this.#pool?.options.max;
    this.queue = new WorkQueue({
      concurrency: this.#pool ? (typeof max === 'number' && max > 0 ? max : 10) : 1,
      maxQueued: options.maxQueued ?? DEFAULT_MAX_QUEUED,
      maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    });
  }

  get stats(): QueueStats {
    return this.queue.stats;
  }

  /** Runs `work` on a session of its own once the queue lets it. */
  use<T>(work: (session: pg.ClientBase) => Promise<T>, options: UseOptions = {}): Promise<T> {
    return this.queue.run(
      () => this.#onSession(work, options.signal, options.snapshot === true ? 'snapshot' : false),
      options,
    );
  }

  /** `work` inside BEGIN … COMMIT on one session, rolled back on any error. */
  transaction<T>(
    work: (session: pg.ClientBase) => Promise<T>,
    options: UseOptions = {},
  ): Promise<T> {
    return this.queue.run(() => this.#onSession(work, options.signal, 'write'), options);
  }

  async #onSession<T>(
    work: (session: pg.ClientBase) => Promise<T>,
    signal: AbortSignal | undefined,
    inTransaction: Begin | false,
  ): Promise<T> {
    if (signal?.aborted) throw signal.reason as Error;
    if (!this.#pool) {
      if (this.#broken) {
        throw new DatabaseError('the database session failed to roll back a transaction', {
          hint: 'restart the server',
        });
      }
      const session = this.#client as pg.ClientBase;
      return this.#watched(session, signal, () =>
        inTransaction
          ? this.#inTransaction(session, inTransaction, work, () => {
              this.#broken = true;
            })
          : work(session),
      );
    }
    const session = await this.#pool.connect();
    let broken: Error | undefined;
    // A session that loses its connection while checked out (the server ended it, or close()
    // cut it) emits 'error'; the pool listens only to idle ones, and an 'error' nobody
    // listens to ends the process. Its statement fails too, and it is released broken.
    const onLost = (error: Error) => {
      broken ??= error;
    };
    session.on('error', onLost);
    try {
      if (signal?.aborted) throw signal.reason as Error;
      return await this.#watched(session, signal, () =>
        inTransaction
          ? this.#inTransaction(session, inTransaction, work, (e) => {
              broken = e;
            })
          : work(session),
      );
    } catch (error) {
      // Its query may still be outstanding on the connection: the next one would queue behind.
      if (sessionLost(error)) broken ??= error as Error;
      throw error;
    } finally {
      session.off('error', onLost);
      session.release(broken);
    }
  }

  /** Runs `work`; if `signal` aborts meanwhile, cancels its statement and waits for that. */
  async #watched<T>(
    session: pg.ClientBase,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    const control = this.#control;
    const pid = (session as { processID?: unknown }).processID;
    if (!signal || !control || typeof pid !== 'number') return work();
    let cancelling: Promise<unknown> | undefined;
    const onAbort = () => {
      cancelling = control.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await work();
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (cancelling) await cancelling;
    }
  }

  async #inTransaction<T>(
    session: pg.ClientBase,
    begin: Begin,
    work: (session: pg.ClientBase) => Promise<T>,
    onBroken: (e: Error) => void,
  ): Promise<T> {
    await session.query(BEGIN[begin]);
    try {
      const result = await work(session);
      await session.query('COMMIT');
      return result;
    } catch (error) {
      // A lost session is closed, not rolled back (the rollback would wait behind its query);
      // one whose rollback failed may still be inside the transaction: never reuse either.
      if (sessionLost(error)) onBroken(error as Error);
      else await session.query('ROLLBACK').catch((rollbackError: Error) => onBroken(rollbackError));
      throw error;
    }
  }
}
