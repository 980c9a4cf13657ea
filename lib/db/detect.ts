/** What the connected server can do with TimescaleDB. */
import type { ClientBase } from 'pg';
import { connect } from './connect.js';

/**
 * Where TimescaleDB stands for this database and this user (it is created in `public`,
 * or the current schema when there is no `public`):
 * - `installed`: the extension exists in this database.
 * - `creatable`: the server has the package, loaded through `shared_preload_libraries`,
 *   and this user may create it: the first TimescaleDB step of `up` creates it.
 * - `not-preloaded`: the package is there but not in `shared_preload_libraries`
 *   (creating it then fails and closes the session).
 * - `no-privilege`: the package is loaded, but this user may not create the extension.
 * - `unavailable`: the server has no TimescaleDB package.
 */
export type TimescaleAvailability =
  'installed' | 'creatable' | 'not-preloaded' | 'no-privilege' | 'unavailable';

export interface TimescaleSupport {
  readonly installed: boolean;
  /** Installed version, e.g. `2.23.0-dev`. */
  readonly version: string | null;
  /** Whether the server has the package (installed in this database or not). */
  readonly available: boolean;
  /** The version `CREATE EXTENSION timescaledb` would install, when the package is there. */
  readonly availableVersion: string | null;
  readonly availability: TimescaleAvailability;
  readonly schema: string | null;
  /** `timescale`, `apache`, or null when unknown (the library loads with the extension). */
  readonly license: string | null;
  readonly features: {
    readonly hypertables: boolean;
    /** Compression and every policy need the Timescale License build. */
    readonly compression: boolean;
    readonly policies: boolean;
  };
  readonly serverVersion: string;
  readonly database: string;
  readonly user: string;
}

export async function detectTimescale(client: ClientBase): Promise<TimescaleSupport> {
  // `timescaledb.disable_load` is defined by TimescaleDB's loader, which exists in a
  // session only when the library is preloaded (shared_preload_libraries itself is
  // readable by superusers only). pg_settings lists defined settings only, not a
  // placeholder someone SET. `trusted` (PostgreSQL 13+) is read through to_jsonb so that
  // older servers do not fail on the column.
  const { rows } = await client.query<{
    version: string | null;
    schema: string | null;
    license: string | null;
    available_version: string | null;
    trusted: boolean | null;
    preloaded: boolean;
    superuser: boolean;
    may_create: boolean;
    server_version: string;
    database: string;
    user: string;
  }>(`SELECT e.extversion AS version, n.nspname AS schema,
            pg_catalog.current_setting('timescaledb.license', true) AS license,
            a.default_version AS available_version,
            (SELECT (pg_catalog.to_jsonb(v) ->> 'trusted')::boolean FROM pg_catalog.pg_available_extension_versions v
              WHERE v.name = 'timescaledb' AND v.version = a.default_version) AS trusted,
            EXISTS (SELECT 1 FROM pg_catalog.pg_settings s WHERE s.name = 'timescaledb.disable_load') AS preloaded,
            (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) AS superuser,
            pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE')
              AND COALESCE(pg_catalog.has_schema_privilege(COALESCE(
                    (SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = 'public'),
                    pg_catalog.current_schema()), 'CREATE'), false) AS may_create,
            pg_catalog.current_setting('server_version') AS server_version,
            pg_catalog.current_database() AS database, current_user AS "user"
       FROM (SELECT 1) one
       LEFT JOIN pg_catalog.pg_extension e ON e.extname = 'timescaledb'
       LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
       LEFT JOIN pg_catalog.pg_available_extensions a ON a.name = 'timescaledb'`);
  const row = rows[0];
  if (!row) throw new Error('detection query returned no row');
  const installed = row.version !== null;
  const available = installed || row.available_version !== null;
  const availability: TimescaleAvailability = installed
    ? 'installed'
    : !available
      ? 'unavailable'
      : !row.preloaded
        ? 'not-preloaded'
        : row.superuser || (row.trusted === true && row.may_create)
          ? 'creatable'
          : 'no-privilege';
  const licensed = installed && row.license === 'timescale';
  return Object.freeze({
    installed,
    version: row.version,
    available,
    availableVersion: row.available_version,
    availability,
    schema: row.schema,
    license: row.license,
    features: Object.freeze({ hypertables: installed, compression: licensed, policies: licensed }),
    serverVersion: row.server_version,
    database: row.database,
    user: row.user,
  });
}

/**
 * The licence the extension would run under once created: created in a transaction that
 * is rolled back, on a connection of its own (a session that loaded the library and
 * rolled the extension back cannot create it again on 2.12). Null when it cannot be
 * created here.
 */
export async function probeLicense(url: string, support: TimescaleSupport): Promise<string | null> {
  if (support.installed) return support.license;
  if (support.availability !== 'creatable') return null;
  const client = await connect(url);
  try {
    await client.query('BEGIN');
    // Older versions greet with a WARNING banner; nothing is kept of this anyway.
    await client.query('SET LOCAL client_min_messages = error');
    await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    const r = await client.query<{ license: string | null }>(
      `SELECT pg_catalog.current_setting('timescaledb.license', true) AS license`,
    );
    await client.query('ROLLBACK');
    return r.rows[0]?.license ?? null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One sentence: the state of TimescaleDB here, and what the user can do about it. */
export function describeAvailability(support: TimescaleSupport): string {
  const db = JSON.stringify(support.database);
  switch (support.availability) {
    case 'installed':
      return `TimescaleDB ${support.version ?? ''} (license: ${support.license ?? 'unknown'})`;
    case 'creatable':
      return `TimescaleDB ${support.availableVersion ?? ''} is on this server but not yet created in database ${db}: the first TimescaleDB step of \`prism-migrate up\` creates it`;
    case 'not-preloaded':
      return `TimescaleDB ${support.availableVersion ?? ''} is on this server but not loaded: add timescaledb to shared_preload_libraries in postgresql.conf and restart the server; until then timeseries models are plain tables`;
    case 'no-privilege':
      return `TimescaleDB ${support.availableVersion ?? ''} is on this server, but user ${JSON.stringify(support.user)} may not create the extension in database ${db} (it needs CREATE on the database and on schema public, or a superuser to run CREATE EXTENSION timescaledb); until then timeseries models are plain tables`;
    case 'unavailable':
      return `TimescaleDB: not on this server (PostgreSQL ${support.serverVersion}); timeseries models are plain tables`;
  }
}

export interface MissingForRequire {
  readonly message: string;
  readonly hint: string;
}

/** What is missing for `--timescale require`, with what fixes it; undefined when nothing is. */
export function missingForRequire(
  support: TimescaleSupport,
  license: string | null = support.license,
): MissingForRequire | undefined {
  const orAuto = 'or use --timescale auto to skip its features';
  switch (support.availability) {
    case 'unavailable':
      return {
        message: `the timescaledb extension is not on this server (PostgreSQL ${support.serverVersion})`,
        hint: `install TimescaleDB (the Timescale License build) on the server, ${orAuto}`,
      };
    case 'not-preloaded':
      return {
        message: 'the timescaledb package is on this server but not loaded',
        hint: `add timescaledb to shared_preload_libraries in postgresql.conf and restart the server, ${orAuto}`,
      };
    case 'no-privilege':
      return {
        message: `user ${JSON.stringify(support.user)} may not create the timescaledb extension in database ${JSON.stringify(support.database)}`,
        hint: `grant the user CREATE on the database and on schema public, or have a superuser run CREATE EXTENSION timescaledb there; ${orAuto}`,
      };
    case 'installed':
    case 'creatable':
      if (license === 'timescale') return undefined;
      return {
        message: `TimescaleDB ${support.version ?? support.availableVersion ?? ''} runs under the "${license ?? 'unknown'}" license: compression and policies need the Timescale License build`,
        hint: `install the Timescale License build of TimescaleDB, ${orAuto}`,
      };
  }
}
