/**
 * `/health`: any answer means the process is alive; `database` says whether the database
 * answered `SELECT 1` within the check's own short timeout. The check never waits behind
 * data queries: it uses a control session apart from theirs (servers), or goes ahead of
 * every waiting request for the next free session (the embedded database's one session).
 * Checks in flight are shared: however many requests ask, one probe runs at a time.
 * With read replicas, each is checked on a control session of its own, within the same
 * timeout, with its lag behind the primary; a replica that is down leaves the status ok
 * (reads fall back to the primary).
 */
import { OverloadedError } from '../errors.js';
import type { ReplicaState } from './replicas.js';

export type DatabaseHealth = 'ok' | 'timeout' | 'error';
export type ReplicaHealth = 'ok' | 'down' | 'timeout';

export interface ReplicaReport {
  /** Without its password. */
  readonly url: string;
  readonly status: ReplicaHealth;
  /** WAL bytes the replica has yet to replay; null when either side did not answer. */
  readonly lagBytes: number | null;
  /** Seconds behind (0 when it replayed all it received); null before anything replayed. */
  readonly lagSeconds: number | null;
}

export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  readonly database: DatabaseHealth;
  readonly replicas?: readonly ReplicaReport[];
}

export interface ReplicaProbes {
  readonly urls: readonly string[];
  /** One probe per replica, in the order of `urls`. */
  probeAll(): Promise<ReplicaState>[];
}

/** Milliseconds the database check may take before `/health` reports `timeout`. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 500;

/** `0/3000148` → 50331976: a WAL position as a byte offset. */
export function lsnBytes(lsn: string): bigint | undefined {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  if (!match) return undefined;
  return (BigInt(`0x${match[1] as string}`) << 32n) + BigInt(`0x${match[2] as string}`);
}

function lagBytes(primaryLsn: string | undefined, replayLsn: string | null): number | null {
  const primary = primaryLsn === undefined ? undefined : lsnBytes(primaryLsn);
  const replayed = replayLsn === null ? undefined : lsnBytes(replayLsn);
  if (primary === undefined || replayed === undefined) return null;
  // The replica may have replayed past the position the primary gave a moment earlier.
  return primary > replayed ? Number(primary - replayed) : 0;
}

interface Probed {
  readonly primary: Promise<{ health: DatabaseHealth; lsn?: string | undefined }>;
  readonly replicas: Promise<ReplicaState | undefined>[];
}

/**
 * `probe` checks the primary; when it resolves to `{ walLsn }` (its `pg_current_wal_lsn()`),
 * the replicas' `lagBytes` are counted from there.
 */
export function createHealthCheck(
  probe: () => Promise<unknown>,
  timeoutMs: number = DEFAULT_HEALTH_TIMEOUT_MS,
  replicas?: ReplicaProbes,
): () => Promise<HealthReport> {
  let pending: Probed | undefined;
  const start = (): Probed => {
    const probed: Probed = {
      primary: probe().then(
        (result) => {
          const lsn = (result as { walLsn?: unknown } | null)?.walLsn;
          return { health: 'ok', lsn: typeof lsn === 'string' ? lsn : undefined };
        },
        (error: unknown) => ({ health: error instanceof OverloadedError ? 'timeout' : 'error' }),
      ),
      replicas: (replicas?.probeAll() ?? []).map((p) => p.catch(() => undefined)),
    };
    void Promise.all([probed.primary, ...probed.replicas]).finally(() => {
      pending = undefined;
    });
    return probed;
  };
  return async () => {
    pending ??= start();
    const probed = pending;
    let timer: NodeJS.Timeout | undefined;
    const late = Symbol('late');
    const deadline = new Promise<typeof late>((resolve) => {
      timer = setTimeout(() => resolve(late), timeoutMs);
    });
    try {
      const primary = await Promise.race([probed.primary, deadline]);
      const database = primary === late ? 'timeout' : primary.health;
      const report: HealthReport = { status: database === 'ok' ? 'ok' : 'unavailable', database };
      if (replicas === undefined) return report;
      const states = await Promise.all(probed.replicas.map((p) => Promise.race([p, deadline])));
      return {
        ...report,
        replicas: replicas.urls.map((url, i): ReplicaReport => {
          const state = states[i];
          if (state === late || state === undefined)
            return {
              url,
              status: state === late ? 'timeout' : 'down',
              lagBytes: null,
              lagSeconds: null,
            };
          return {
            url,
            status: 'ok',
            lagBytes: lagBytes(primary === late ? undefined : primary.lsn, state.replayLsn),
            lagSeconds: state.lagSeconds,
          };
        }),
      };
    } finally {
      clearTimeout(timer);
    }
  };
}
