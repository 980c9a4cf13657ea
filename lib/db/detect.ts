/** What the connected server can do with TimescaleDB. */
import type { ClientBase } from 'pg';

export interface TimescaleSupport {
  readonly installed: boolean;
  /** Installed version, e.g. `2.23.0-dev`. */
  readonly version: string | null;
  /** Whether the package is available to CREATE EXTENSION (when not installed). */
  readonly available: boolean;
  readonly schema: string | null;
  /** `timescale`, `apache`, or null when unknown. */
  readonly license: string | null;
  readonly features: {
    readonly hypertables: boolean;
    /** Compression and every policy need the Timescale License build. */
    readonly compression: boolean;
    readonly policies: boolean;
  };
  readonly serverVersion: string;
}

export async function detectTimescale(client: ClientBase): Promise<TimescaleSupport> {
  const { rows } = await client.query<{
    version: string | null;
    schema: string | null;
    license: string | null;
    available: boolean;
    server_version: string;
  }>(`SELECT e.extversion AS version, n.nspname AS schema,
            pg_catalog.current_setting('timescaledb.license', true) AS license,
            EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions a WHERE a.name = 'timescaledb') AS available,
            pg_catalog.current_setting('server_version') AS server_version
       FROM (SELECT 1) one
       LEFT JOIN pg_catalog.pg_extension e ON e.extname = 'timescaledb'
       LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace`);
  const row = rows[0];
  if (!row) throw new Error('detection query returned no row');
  const installed = row.version !== null;
  const licensed = installed && row.license === 'timescale';
  return Object.freeze({
    installed,
    version: row.version,
    available: row.available,
    schema: row.schema,
    license: row.license,
    features: Object.freeze({ hypertables: installed, compression: licensed, policies: licensed }),
    serverVersion: row.server_version,
  });
}

/** What is missing for `--timescale require`, or undefined when nothing is. */
export function missingForRequire(support: TimescaleSupport): string | undefined {
  if (!support.installed) {
    return support.available
      ? 'the timescaledb extension is available but not installed in this database (CREATE EXTENSION timescaledb)'
      : `the timescaledb extension is not installed on this server (PostgreSQL ${support.serverVersion})`;
  }
  if (!support.features.compression) {
    return `TimescaleDB ${support.version} runs under the "${support.license ?? 'unknown'}" license: compression and policies need the Timescale License build`;
  }
  return undefined;
}
