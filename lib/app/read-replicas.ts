/**
 * The read replicas `serve` reads from: each URL checked, connected once to prove it is a
 * streaming replica (in recovery) with the primary's TimescaleDB version, then given a pool
 * of sessions for reads and a control session apart. Only reads go there: writes, and the
 * migrations and checks of other commands, stay on the primary.
 */
import pg from 'pg';
import { UsageError } from '../errors.js';
import { connect, displayUrl, ConnectionError } from '../db/connect.js';
import { detectTimescale } from '../db/detect.js';
import { renamedSession, withApplicationName } from '../db/open.js';
import { checkDatabaseUrl } from '../db/url.js';
import type { ReadReplica } from '../api/replicas.js';

const ORIGIN = '--read-url';

export interface ReplicaPoolOptions {
  /** Sessions for reads on each replica (as on the primary). */
  readonly sessions: number;
  readonly connectionTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** For PGAPPNAME; default process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/** Throws a UsageError for a URL that cannot name a replica, before anything connects. */
export function checkReadUrls(urls: readonly string[]): void {
  for (const url of urls) checkDatabaseUrl(url, ORIGIN);
  const seen = new Set<string>();
  for (const url of urls) {
    if (seen.has(url)) throw new UsageError(`${ORIGIN} ${displayUrl(url)} is given twice`);
    seen.add(url);
  }
}

/** Refuses a server that is not a replica, or whose TimescaleDB differs from the primary's. */
async function checkReplica(url: string, primaryTimescale: string | null): Promise<void> {
  let client: pg.Client;
  try {
    client = await connect(url);
  } catch (error) {
    throw error instanceof ConnectionError ? error.from(ORIGIN) : error;
  }
  try {
    const { rows } = await client.query<{ recovery: boolean }>(
      'SELECT pg_catalog.pg_is_in_recovery() AS recovery',
    );
    if (rows[0]?.recovery !== true) {
      throw new UsageError(
        `${ORIGIN} ${displayUrl(url)} is not a replica: the server is not in recovery (pg_is_in_recovery() is false)`,
        {
          hint: 'give --read-url the URL of a streaming replica (hot standby) of the primary; writes go to the primary',
        },
      );
    }
    const timescale = (await detectTimescale(client)).version;
    if (timescale !== primaryTimescale) {
      const named = (v: string | null) => (v === null ? 'no TimescaleDB' : `TimescaleDB ${v}`);
      throw new UsageError(
        `${ORIGIN} ${displayUrl(url)} has ${named(timescale)} where the primary has ${named(primaryTimescale)}`,
        {
          hint: 'a replica of the primary replays its extension: check that the URL names the same database, and that the replica runs the same TimescaleDB package',
        },
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Checks every replica, then opens its pools. `onPool` is told of each pool as it is made,
 * so that a failure half-way still closes those.
 */
export async function openReplicas(
  urls: readonly string[],
  primaryTimescale: string | null,
  options: ReplicaPoolOptions,
  onPool: (pool: pg.Pool) => void,
): Promise<ReadReplica[]> {
  const env = options.env ?? process.env;
  const named = (url: string) =>
    env['PGAPPNAME'] ? url : withApplicationName(url, 'prism-migrate serve');
  for (const url of urls) await checkReplica(named(url), primaryTimescale);
  return urls.map((url) => {
    const pool = (
      max: number,
      connectionString: string,
      timeoutMs: number,
      statementMs: number,
    ) => {
      const made = new pg.Pool({
        connectionString,
        max,
        idleTimeoutMillis: 0,
        connectionTimeoutMillis: timeoutMs,
        statement_timeout: statementMs,
      });
      made.on('error', () => undefined);
      onPool(made);
      return made;
    };
    return {
      url: displayUrl(url),
      client: pool(
        options.sessions,
        named(url),
        options.connectionTimeoutMs,
        options.statementTimeoutMs,
      ),
      // As the primary's control session: /health, probes and cancels.
      control: pool(1, renamedSession(named(url), 'prism-migrate serve (health)'), 10_000, 10_000),
    };
  });
}
