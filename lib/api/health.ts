/**
 * `/health`: any answer means the process is alive; `database` says whether the database
 * answered `SELECT 1` within the check's own short timeout. The check never waits behind
 * data queries: it uses a control session apart from theirs (servers), or goes ahead of
 * every waiting request for the next free session (the embedded database's one session).
 * Checks in flight are shared: however many requests ask, one probe runs at a time.
 */
import { OverloadedError } from '../errors.js';

export type DatabaseHealth = 'ok' | 'timeout' | 'error';

export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  readonly database: DatabaseHealth;
}

/** Milliseconds the database check may take before `/health` reports `timeout`. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 500;

export function createHealthCheck(
  probe: () => Promise<unknown>,
  timeoutMs: number = DEFAULT_HEALTH_TIMEOUT_MS,
): () => Promise<HealthReport> {
  let pending: Promise<DatabaseHealth> | undefined;
  return async () => {
    pending ??= probe()
      .then(
        (): DatabaseHealth => 'ok',
        (error: unknown): DatabaseHealth =>
          error instanceof OverloadedError ? 'timeout' : 'error',
      )
      .finally(() => {
        pending = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const database = await Promise.race([
      pending,
      new Promise<DatabaseHealth>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return { status: database === 'ok' ? 'ok' : 'unavailable', database };
  };
}
