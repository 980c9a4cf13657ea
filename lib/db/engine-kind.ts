/** Which kind of PostgreSQL a connection reached, where that changes how it can be used. */
import type { ClientBase } from 'pg';

/**
 * Whether the server is the embedded database (PostgreSQL built for WebAssembly, with one
 * backend), however it was reached: the port of `prism-migrate embedded start` given as
 * DATABASE_URL looks like any server. It gives one session at a time (another waits until
 * that one ends) and has no second backend that could cancel a running statement.
 */
export async function isEmbeddedEngine(client: ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ embedded: boolean }>(
    "SELECT pg_catalog.strpos(pg_catalog.version(), 'Emscripten') > 0 AS embedded",
  );
  return rows[0]?.embedded === true;
}
