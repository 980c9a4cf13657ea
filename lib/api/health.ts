/**
 * `/health`: any answer means the process is alive; `database` says whether the database
 * answered `SELECT 1` within the check's own short timeout. The check never waits behind
 * data queries: it uses a control session apart from theirs (servers), or goes ahead of
 * every waiting request for the next free session (the embedded database's one session).
 * Each target (the primary, each replica) has at most one probe in flight, shared by the
 * requests that ask meanwhile, and each request waits for each within its own timeout:
 * a replica that hangs never keeps the primary's status from being checked again. A
 * replica that is down leaves the status ok (reads fall back to the primary).
 */
import { OverloadedError } from '../errors.js';
import type { ReplicaState } from './replicas.js';

export type DatabaseHealth = 'ok' | 'timeout' | 'error';
/** `behind`: it answers, but does not stream from the primary or lags beyond the limit. */
export type ReplicaHealth = 'ok' | 'behind' | 'down' | 'timeout';

export interface ReplicaReport {
  /** `host:port`: the replica's address. */
  readonly address: string;
  /** The URL without its password; only where /health requires the token. */
  readonly url?: string | undefined;
  readonly status: ReplicaHealth;
  /** Whether its WAL receiver streams from the primary; null when it did not answer. */
  readonly streaming: boolean | null;
  /** WAL bytes the replica has yet to replay; null when either side did not answer. */
  readonly lagBytes: number | null;
  /**
   * Seconds since its last replayed transaction (0 when it streams and replayed all it
   * received); null when that cannot be told.
   */
  readonly lagSeconds: number | null;
}

export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  readonly database: DatabaseHealth;
  readonly replicas?: readonly ReplicaReport[];
}

export interface ReplicaProbes {
  /** The replicas' URLs without their passwords, in the order `probe` takes. */
  readonly urls: readonly string[];
  /** Whether to show the URLs (when /health requires the token); else host:port only. */
  readonly showUrls: boolean;
  probe(index: number): Promise<ReplicaState>;
}

/** `postgres://u@db2:5432/app` → `db2:5432` (the port as given, else 5432). */
export function replicaAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return '?';
  }
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

type PrimaryProbe = { health: DatabaseHealth; lsn?: string | undefined };

/** Shares the one probe in flight among those who ask while it runs. */
function single<T>(run: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= run().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

/** `promise`, or `late` when it takes longer than `ms`. */
async function within<T, L>(promise: Promise<T>, ms: number, late: L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<L>((resolve) => {
        timer = setTimeout(() => resolve(late), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
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
  const primary = single((): Promise<PrimaryProbe> =>
    probe().then(
      (result) => {
        const lsn = (result as { walLsn?: unknown } | null)?.walLsn;
        return { health: 'ok', lsn: typeof lsn === 'string' ? lsn : undefined };
      },
      (error: unknown) => ({ health: error instanceof OverloadedError ? 'timeout' : 'error' }),
    ),
  );
  const probes = (replicas?.urls ?? []).map((_, i) =>
    single(() =>
      (replicas as ReplicaProbes).probe(i).then(
        (state): ReplicaState | undefined => state,
        () => undefined,
      ),
    ),
  );
  return async () => {
    const late = 'late' as const;
    // Started together, each awaited within its own timeout.
    const replicaStates = probes.map((p) => within(p(), timeoutMs, late));
    const first = await within(primary(), timeoutMs, late);
    const database = first === late ? 'timeout' : first.health;
    const report: HealthReport = { status: database === 'ok' ? 'ok' : 'unavailable', database };
    if (replicas === undefined) return report;
    const states = await Promise.all(replicaStates);
    return {
      ...report,
      replicas: replicas.urls.map((url, i): ReplicaReport => {
        const state = states[i];
        const named = { address: replicaAddress(url), ...(replicas.showUrls ? { url } : {}) };
        if (state === late || state === undefined)
          return {
            ...named,
            status: state === late ? 'timeout' : 'down',
            streaming: null,
            lagBytes: null,
            lagSeconds: null,
          };
        return {
          ...named,
          status: state.behind ? 'behind' : 'ok',
          streaming: state.streaming,
          lagBytes: lagBytes(first === late ? undefined : first.lsn, state.replayLsn),
          lagSeconds: state.lagSeconds,
        };
      }),
    };
  };
}
