/** Deadlocks with TimescaleDB's policy jobs, and what is safe to run again after one. */

/** How often a migration, or a read, that deadlocked is tried in all. */
export const DEADLOCK_ATTEMPTS = 4;

export function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '40P01';
}

/**
 * A deadlock, or a catalog row a policy job of TimescaleDB's scheduler changed under the
 * statement (removing a policy, or dropping an aggregate, while its job runs): the
 * statement's transaction is rolled back whole and may run again.
 */
export function isConcurrencyConflict(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    isDeadlock(error) ||
    (code === 'XX000' && /^tuple concurrently (deleted|updated)$/.test(String(message)))
  );
}

/**
 * Runs a read that changes nothing again when it deadlocked: counting a hypertable's rows
 * locks its chunks one by one, in another order than a policy job of TimescaleDB's
 * scheduler (reorder, retention) working on the same chunks.
 */
export async function readOnlyRetried<T>(
  read: () => Promise<T>,
  pauseMs = (attempt: number) => 250 * 2 ** (attempt - 1),
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (!isDeadlock(error) || attempt >= DEADLOCK_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, pauseMs(attempt)));
    }
  }
}
