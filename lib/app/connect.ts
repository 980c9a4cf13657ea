/**
 * The database for an application's own queries, chosen as the commands choose it: the
 * URL given, else DATABASE_URL (also from `.env`), else the embedded database in
 * ./.prism/db, created on first use and served to `pg` on a private local port while open.
 */
import { openDatabase, type OpenDatabase } from '../db/open.js';
import { resolveTarget } from '../db/target.js';

export interface ConnectDatabaseOptions {
  /** Default: DATABASE_URL, else the embedded database in ./.prism/db. */
  readonly databaseUrl?: string | undefined;
  /** Notices, e.g. that the embedded database is served by `prism-migrate embedded start`. */
  readonly log?: ((line: string) => void) | undefined;
  /**
   * Names the sessions (`application_name`) and the embedded database's lock holder;
   * default `prism-migrate library`.
   */
  readonly name?: string | undefined;
}

/**
 * `url` is for `pg` (a Client or a Pool). The embedded database serves one session at a
 * time and belongs to this process until `close()`.
 */
export function connectDatabase(options: ConnectDatabaseOptions = {}): Promise<OpenDatabase> {
  return openDatabase(resolveTarget({ databaseUrl: options.databaseUrl }), {
    command: options.name ?? 'library',
    applicationName: options.name,
    log: options.log,
  });
}
