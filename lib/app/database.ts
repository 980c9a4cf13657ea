/**
 * Opening the database a use case works on: the server of `databaseUrl`, else the first
 * the environment names (DATABASE_URL, the PG* variables, the settings file; see
 * lib/db/target.ts), else the embedded database.
 */
import { existsSync } from 'node:fs';
import {
  embeddedRefused,
  resolveTarget,
  type DatabaseTarget,
  type TargetSources,
} from '../db/target.js';
import { ConnectionError } from '../db/connect.js';
import { openDatabase, type OpenDatabase } from '../db/open.js';

export interface DatabaseOptions {
  /**
   * Default: DATABASE_URL (the environment, then .env), else the PG* variables, else
   * `databaseUrl` of `sources.config`, else the embedded database in ./.prism/db.
   */
  readonly databaseUrl?: string | undefined;
  /** Where to look when `databaseUrl` is not given; default process.env and ./.env. */
  readonly sources?: TargetSources | undefined;
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

/** The database the options name (checked, not opened). */
export function targetOf(options: Pick<DatabaseOptions, 'databaseUrl' | 'sources'>) {
  return resolveTarget({ ...options.sources, databaseUrl: options.databaseUrl });
}

/** A connection failure that says where its URL came from (e.g. `DATABASE_URL from .env`). */
export function namingOrigin(error: unknown, target: DatabaseTarget): unknown {
  return error instanceof ConnectionError && target.kind === 'server'
    ? error.from(target.origin)
    : error;
}

/** Opens the database, runs `work` on it and closes it. */
export async function withDatabase<T>(
  options: DatabaseOptions,
  command: string,
  work: (db: OpenDatabase) => Promise<T>,
  mustExist = false,
): Promise<T> {
  const target = targetOf(options);
  const db = await openDatabase(target, { command, log: options.log, mustExist });
  const close = () => db.close();
  const forget = options.trackClose?.(close);
  try {
    options.onDatabase?.(db.description);
    return await work(db);
  } catch (error) {
    throw namingOrigin(error, target);
  } finally {
    forget?.();
    await db.close();
  }
}

/**
 * Whether there is a database to read without creating one (a server, or an existing
 * embedded one that may be used here).
 */
export function databaseExists(
  options: string | undefined | Pick<DatabaseOptions, 'databaseUrl' | 'sources'>,
): boolean {
  const target = targetOf(typeof options === 'object' ? options : { databaseUrl: options });
  if (target.kind === 'server') return true;
  if (!existsSync(target.dataDir)) return false;
  if (target.refusal !== undefined) throw embeddedRefused(target.refusal);
  return true;
}
