/**
 * Reads spread over streaming replicas (hot standbys). Each replica has sessions and a
 * queue of its own (lib/api/sessions.ts), so a slow replica holds up only the reads sent
 * to it, never the primary's writes. A read goes to the least busy replica that is up;
 * when a replica cannot be reached or is shutting down, it is marked down for a back-off
 * and the read is tried on the next replica, then on the primary: the client sees no
 * error. A read that failed for a reason of its own (a statement timeout, bad input) is
 * not tried again. A replica marked down is probed after its back-off and used again once
 * it answers as a replica.
 */
import type pg from 'pg';
import type { Queryable } from '../query/repository.js';
import { ApiSessions, type UseOptions } from './sessions.js';

/** Milliseconds a replica that failed stays out of use before it is probed again. */
export const DEFAULT_REPLICA_RETRY_MS = 5_000;

export interface ReadReplica {
  /** The URL without its password, for /health and messages. */
  readonly url: string;
  /** The replica's sessions for reads (a pool). */
  readonly client: Queryable;
  /** A session apart: /health, recovery probes, cancelling the reads of clients that left. */
  readonly control: Queryable;
}

export interface ReplicaState {
  readonly url: string;
  /** `pg_last_wal_replay_lsn()`, e.g. `0/3000148`; null before anything was replayed. */
  readonly replayLsn: string | null;
  /** Seconds since the last replayed transaction; 0 when all WAL received is replayed. */
  readonly lagSeconds: number | null;
}

/** SQLSTATEs of a server that is going away or not there yet, whatever the statement. */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03']);
/** A standby cancelled the read to apply WAL that conflicted with it (a recovery conflict). */
const RECOVERY_CONFLICT = '40001';
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Why a read failed on a replica, when trying it elsewhere may succeed: `down` (the replica
 * is unreachable, stopping or starting), `conflict` (the replica cancelled it to replay WAL;
 * it stays in use). Undefined for failures of the read itself.
 */
export function replicaFailure(error: unknown): 'down' | 'conflict' | undefined {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code === RECOVERY_CONFLICT) return 'conflict';
  if (code !== undefined && (code.startsWith('08') || SERVER_GONE.has(code))) return 'down';
  if (code !== undefined && NETWORK_CODES.has(code)) return 'down';
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connection error/i.test(
    message,
  )
    ? 'down'
    : undefined;
}

const STATE_SQL = `SELECT pg_catalog.pg_is_in_recovery() AS recovery,
  pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn,
  CASE WHEN pg_catalog.pg_last_xact_replay_timestamp() IS NULL THEN NULL
       WHEN pg_catalog.pg_last_wal_receive_lsn() = pg_catalog.pg_last_wal_replay_lsn() THEN 0
       ELSE extract(epoch FROM pg_catalog.now() - pg_catalog.pg_last_xact_replay_timestamp())
  END::float8 AS lag_seconds`;

class Replica {
  readonly sessions: ApiSessions;
  /** When down: the timer of the next probe. */
  retry: NodeJS.Timeout | undefined;
  down = false;

  constructor(
    readonly source: ReadReplica,
    options: { maxQueued?: number | undefined; maxWaitMs?: number | undefined },
  ) {
    this.sessions = new ApiSessions({
      client: source.client,
      control: source.control,
      maxQueued: options.maxQueued,
      maxWaitMs: options.maxWaitMs,
    });
  }

  get load(): number {
    const { running, queued } = this.sessions.stats;
    return running + queued;
  }
}

export interface ReadRouterOptions {
  readonly primary: ApiSessions;
  readonly replicas: readonly ReadReplica[];
  readonly maxQueued?: number | undefined;
  readonly maxWaitMs?: number | undefined;
  /** Back-off of a replica that failed (default 5,000 ms). */
  readonly retryMs?: number | undefined;
}

export class ReadRouter {
  readonly #primary: ApiSessions;
  readonly #replicas: Replica[];
  readonly #retryMs: number;
  /** Where the search for the least busy replica starts: ties go round-robin. */
  #next = 0;
  #closed = false;

  constructor(options: ReadRouterOptions) {
    this.#primary = options.primary;
    this.#replicas = options.replicas.map((r) => new Replica(r, options));
    this.#retryMs = options.retryMs ?? DEFAULT_REPLICA_RETRY_MS;
  }

  get replicaCount(): number {
    return this.#replicas.length;
  }

  /** Runs a read on a replica that is up, else on the primary. */
  async use<T>(work: (session: pg.ClientBase) => Promise<T>, options: UseOptions = {}): Promise<T> {
    const tried = new Set<Replica>();
    for (;;) {
      const replica = this.#pick(tried);
      if (replica === undefined) return this.#primary.use(work, options);
      tried.add(replica);
      try {
        return await replica.sessions.use(work, options);
      } catch (error) {
        if (options.signal?.aborted === true) throw error;
        const failure = replicaFailure(error);
        if (failure === undefined) throw error;
        if (failure === 'down') this.#markDown(replica);
      }
    }
  }

  /**
   * The state of every replica, probed on its control session; a replica that cannot be
   * reached is marked down, one that answers as a replica is marked up.
   */
  probeAll(): Promise<ReplicaState>[] {
    return this.#replicas.map((replica) => this.#probe(replica));
  }

  close(): void {
    this.#closed = true;
    for (const replica of this.#replicas) clearTimeout(replica.retry);
  }

  #pick(tried: ReadonlySet<Replica>): Replica | undefined {
    const count = this.#replicas.length;
    let best: Replica | undefined;
    for (let i = 0; i < count; i += 1) {
      const replica = this.#replicas[(this.#next + i) % count] as Replica;
      if (replica.down || tried.has(replica)) continue;
      if (best === undefined || replica.load < best.load) best = replica;
    }
    this.#next = (this.#next + 1) % Math.max(count, 1);
    return best;
  }

  #markDown(replica: Replica): void {
    replica.down = true;
    if (replica.retry !== undefined || this.#closed) return;
    replica.retry = setTimeout(() => {
      replica.retry = undefined;
      void this.#probe(replica).catch(() => undefined);
    }, this.#retryMs);
    replica.retry.unref();
  }

  async #probe(replica: Replica): Promise<ReplicaState> {
    try {
      const { rows } = await replica.source.control.query<{
        recovery: boolean;
        replay_lsn: string | null;
        lag_seconds: number | null;
      }>(STATE_SQL);
      const row = rows[0];
      // A replica promoted to a primary is no copy of this primary any more.
      if (row?.recovery !== true) throw new Error(`${replica.source.url} is no longer a replica`);
      replica.down = false;
      return { url: replica.source.url, replayLsn: row.replay_lsn, lagSeconds: row.lag_seconds };
    } catch (error) {
      this.#markDown(replica);
      throw error;
    }
  }
}
