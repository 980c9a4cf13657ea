/**
 * Opening the database a use case works on: the server of `databaseUrl` (or DATABASE_URL),
 * else the embedded database.
 */
import { existsSync } from 'node:fs';
import { resolveTarget } from '../db/target.js';
import { openDatabase, type OpenDatabase } from '../db/open.js';

export interface DatabaseOptions {
  /** Default: DATABASE_URL, else the embedded database in ./.prism/db. */
  readonly databaseUrl?: string | undefined;
  /** Notices (opening the embedded database, warnings, previews). */
  readonly log?: ((line: string) => void) | undefined;
  /**
   * Told how to close a database while it is open (e.g. to close it on Ctrl-C); returns a
   * function that forgets it again.
   */
  readonly trackClose?: ((close: () => Promise<void>) => () => void) | undefined;
  /** Told which database it is (e.g. its address) once it is open, before any work on it. */
  readonly onDatabase?: ((description: string) => void) | undefined;
}

/** Opens the database, runs `work` on it and closes it. */
export async function withDatabase<T>(
  options: DatabaseOptions,
  command: string,
  work: (db: OpenDatabase) => Promise<T>,
  mustExist = false,
): Promise<T> {
  const target = resolveTarget({ databaseUrl: options.databaseUrl });
  const db = await openDatabase(target, { command, log: options.log, mustExist });
  const close = () => db.close();
  const forget = options.trackClose?.(close);
  try {
    options.onDatabase?.(db.description);
    return await work(db);
  } finally {
    forget?.();
    await db.close();
  }
}

/** Whether there is a database to read without creating one (a server, or an existing embedded one). */
export function databaseExists(databaseUrl: string | undefined): boolean {
  const target = resolveTarget({ databaseUrl });
  return target.kind === 'server' || existsSync(target.dataDir);
}
