/**
 * Reads spread over streaming replicas (hot standbys). Each replica has sessions and a
 * queue of its own (lib/api/sessions.ts), so a slow replica holds up only the reads sent
 * to it, never the primary's writes. A read goes to the least busy replica that is up;
 * when a replica cannot be reached, is shutting down, stops answering (the client-side
 * query timeout) or has no session free in time, it is marked down for a back-off and the
 * read is tried on the next replica, then on the primary: the client sees no error. A read
 * that failed for a reason of its own (a statement timeout, bad input) is not tried again.
 * A replica marked down is probed after its back-off and used again once it answers as a
 * replica. With a lag limit, a replica further behind than that (by its last probe, at
 * most a second old) is skipped too.
 */
import type pg from 'pg';
import type { Queryable } from '../query/repository.js';
import { OverloadedError } from '../errors.js';
import { ApiSessions, type UseOptions } from './sessions.js';

/** Milliseconds a replica that failed stays out of use before it is probed again. */
export const DEFAULT_REPLICA_RETRY_MS = 5_000;
/** Milliseconds a replica's known lag stays good for choosing where a read goes. */
export const LAG_REFRESH_MS = 1_000;

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
  /**
   * Seconds since the last replayed transaction; 0 when it streams from the primary and
   * has replayed all it received; null when that cannot be told (nothing replayed yet).
   */
  readonly lagSeconds: number | null;
  /** Whether its WAL receiver streams from the primary right now. */
  readonly streaming: boolean;
  /** Not streaming, or further behind than the lag limit: reads skip it. */
  readonly behind: boolean;
}

/**
 * SQLSTATEs of a server that is going away, not there yet, or out of a resource
 * (class 53: too many connections, out of memory, disk full), or that lacks the database.
 */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03', '57P04', '3D000']);
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
  // Its own queue had no session free in time: a replica that hangs holds them all.
  if (error instanceof OverloadedError) return 'down';
  if (
    code !== undefined &&
    (code.startsWith('08') || code.startsWith('53') || SERVER_GONE.has(code))
  )
    return 'down';
  if (code !== undefined && NETWORK_CODES.has(code)) return 'down';
  const message = typeof e?.message === 'string' ? e.message : '';
  // pg's own: a query that got no answer within query_timeout, a session or pool closed.
  return /Connection terminated|timeout exceeded when trying to connect|connection error|Query read timeout|Client was closed and is not queryable|Cannot use a pool after calling end/i.test(
    message,
  )
    ? 'down'
    : undefined;
}

// A received position equal to the replayed one means "caught up" only while the WAL
// receiver streams: disconnected, the replica cannot know what it misses. Without
// pg_read_all_stats the receiver's row shows but its status is hidden: taken as streaming.
const STATE_SQL = `WITH r AS (SELECT COALESCE((SELECT w.status = 'streaming' OR w.status IS NULL
    FROM pg_catalog.pg_stat_wal_receiver w LIMIT 1), false) AS streaming)
SELECT pg_catalog.pg_is_in_recovery() AS recovery,
  pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn, r.streaming,
  CASE WHEN r.streaming AND pg_catalog.pg_last_wal_receive_lsn() = pg_catalog.pg_last_wal_replay_lsn() THEN 0
       WHEN pg_catalog.pg_last_xact_replay_timestamp() IS NULL THEN NULL
       ELSE extract(epoch FROM pg_catalog.now() - pg_catalog.pg_last_xact_replay_timestamp())
  END::float8 AS lag_seconds FROM r`;

class Replica {
  readonly sessions: ApiSessions;
  /** When down: the timer of the next probe. */
  retry: NodeJS.Timeout | undefined;
  down = false;
  /** Counts marks down: a probe that began before the last one cannot clear it. */
  generation = 0;
  /** The probe in flight: one at a time, however many ask. */
  probing: Promise<ReplicaState> | undefined;
  /** The last probe's answer and when it came (ms); undefined before the first. */
  state: ReplicaState | undefined;
  probedAt = 0;

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
  /** Reads skip a replica more seconds behind than this, or whose lag is unknown. */
  readonly maxLagSeconds?: number | undefined;
}

export class ReadRouter {
  readonly #primary: ApiSessions;
  readonly #replicas: Replica[];
  readonly #retryMs: number;
  readonly #maxLagSeconds: number | undefined;
  /** Where the search for the least busy replica starts: ties go round-robin. */
  #next = 0;
  #closed = false;

  constructor(options: ReadRouterOptions) {
    this.#primary = options.primary;
    this.#replicas = options.replicas.map((r) => new Replica(r, options));
    this.#retryMs = options.retryMs ?? DEFAULT_REPLICA_RETRY_MS;
    this.#maxLagSeconds = options.maxLagSeconds;
  }

  get replicaCount(): number {
    return this.#replicas.length;
  }

  /** Runs a read on a replica that is up, else on the primary. */
  async use<T>(work: (session: pg.ClientBase) => Promise<T>, options: UseOptions = {}): Promise<T> {
    const tried = new Set<Replica>();
    if (this.#maxLagSeconds !== undefined) this.#refreshLag();
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
   * The state of replica `index`, probed on its control session (the probe in flight, if
   * any); a replica that cannot be reached is marked down, one that answers as a replica
   * is marked up unless a read marked it down meanwhile.
   */
  probe(index: number): Promise<ReplicaState> {
    const replica = this.#replicas[index];
    if (replica === undefined) return Promise.reject(new RangeError(`no replica ${index}`));
    return this.#probe(replica);
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
      if (replica.down || tried.has(replica) || this.#tooFarBehind(replica)) continue;
      if (best === undefined || replica.load < best.load) best = replica;
    }
    this.#next = (this.#next + 1) % Math.max(count, 1);
    return best;
  }

  #tooFarBehind(replica: Replica): boolean {
    if (this.#maxLagSeconds === undefined) return false;
    return replica.state === undefined || replica.state.behind;
  }

  /** Probes, without waiting, the replicas whose known lag is older than LAG_REFRESH_MS. */
  #refreshLag(): void {
    const now = Date.now();
    for (const replica of this.#replicas) {
      if (replica.down || replica.probing || now - replica.probedAt < LAG_REFRESH_MS) continue;
      void this.#probe(replica).catch(() => undefined);
    }
  }

  #markDown(replica: Replica): void {
    replica.down = true;
    replica.generation += 1;
    if (replica.retry !== undefined || this.#closed) return;
    replica.retry = setTimeout(() => {
      replica.retry = undefined;
      void this.#probe(replica).catch(() => undefined);
    }, this.#retryMs);
    replica.retry.unref();
  }

  #probe(replica: Replica): Promise<ReplicaState> {
    if (replica.probing) return replica.probing;
    const probing = this.#query(replica).finally(() => {
      replica.probing = undefined;
    });
    replica.probing = probing;
    return probing;
  }

  async #query(replica: Replica): Promise<ReplicaState> {
    const generation = replica.generation;
    try {
      const { rows } = await replica.source.control.query<{
        recovery: boolean;
        replay_lsn: string | null;
        streaming: boolean;
        lag_seconds: number | null;
      }>(STATE_SQL);
      const row = rows[0];
      // A replica promoted to a primary is no copy of this primary any more.
      if (row?.recovery !== true) throw new Error(`${replica.source.url} is no longer a replica`);
      const max = this.#maxLagSeconds;
      const state: ReplicaState = {
        url: replica.source.url,
        replayLsn: row.replay_lsn,
        lagSeconds: row.lag_seconds,
        streaming: row.streaming,
        behind:
          !row.streaming ||
          (max !== undefined && (row.lag_seconds === null || row.lag_seconds > max)),
      };
      replica.state = state;
      replica.probedAt = Date.now();
      if (replica.generation === generation) replica.down = false;
      return state;
    } catch (error) {
      replica.probedAt = Date.now();
      this.#markDown(replica);
      throw error;
    }
  }
}
