/**
 * The read replicas `serve` reads from: each URL checked, connected once to prove it is a
 * streaming replica (in recovery) of the primary's cluster (its system identifier), on the
 * primary's database, with the primary's TimescaleDB version, then given a pool of sessions
 * for reads and a control session apart. Only reads go there: writes, and the migrations
 * and checks of other commands, stay on the primary. A replica may stop answering without
 * closing its connections: its sessions then give up on a query on this side
 * (`query_timeout`), and closing cuts the connections still busy (lib/db/pool.ts).
 */
import type pg from 'pg';
import { UsageError } from '../errors.js';
import { connect, displayUrl, ConnectionError } from '../db/connect.js';
import { detectTimescale } from '../db/detect.js';
import { renamedSession, withApplicationName } from '../db/open.js';
import { checkDatabaseUrl } from '../db/url.js';
import { openPool, queryTimeoutFor } from '../db/pool.js';
import type { ReadReplica } from '../api/replicas.js';

const ORIGIN = '--read-url';
/** Milliseconds `serve` waits for a replica to answer at start. */
export const REPLICA_CONNECT_TIMEOUT_MS = 10_000;

/** What a replica must share with the primary. */
export interface PrimaryIdentity {
  readonly timescale: string | null;
  /** `pg_control_system().system_identifier`; null where the role may not read it. */
  readonly systemIdentifier: string | null;
  readonly database: string;
}

const IDENTITY_SQL = 'SELECT current_database() AS database';
const SYSTEM_SQL = 'SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()';

/** The cluster's identifier and the database of `client`'s session. */
export async function identityOf(
  client: pg.ClientBase,
): Promise<Omit<PrimaryIdentity, 'timescale'>> {
  const { rows } = await client.query<{ database: string }>(IDENTITY_SQL);
  const systemIdentifier = await client.query<{ id: string }>(SYSTEM_SQL).then(
    (r) => r.rows[0]?.id ?? null,
    // pg_control_system() needs superuser or pg_monitor-like rights on some servers.
    (error: { code?: unknown }) => {
      if (error.code === '42501') return null;
      throw error;
    },
  );
  return { database: rows[0]?.database ?? '', systemIdentifier };
}

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

/**
 * Refuses a server that is not a replica of the primary's cluster, a database other than
 * the primary's, or TimescaleDB other than the primary's.
 */
async function checkReplica(url: string, primary: PrimaryIdentity): Promise<void> {
  const primaryTimescale = primary.timescale;
  let client: pg.Client;
  try {
    client = await connect(url, { connectionTimeoutMs: REPLICA_CONNECT_TIMEOUT_MS });
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
    const identity = await identityOf(client);
    if (
      identity.systemIdentifier !== null &&
      primary.systemIdentifier !== null &&
      identity.systemIdentifier !== primary.systemIdentifier
    ) {
      throw new UsageError(
        `${ORIGIN} ${displayUrl(url)} is a replica of another cluster: its system identifier is ${identity.systemIdentifier}, the primary's ${primary.systemIdentifier}`,
        { hint: 'give --read-url the URL of a streaming replica of the primary itself' },
      );
    }
    if (identity.database !== primary.database) {
      throw new UsageError(
        `${ORIGIN} ${displayUrl(url)} names database ${identity.database} where the primary's is ${primary.database}`,
        { hint: 'the replica URL must name the same database as the primary URL' },
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
  primary: PrimaryIdentity,
  options: ReplicaPoolOptions,
  onPool: (pool: pg.Pool) => void,
): Promise<ReadReplica[]> {
  const env = options.env ?? process.env;
  const named = (url: string) =>
    env['PGAPPNAME'] ? url : withApplicationName(url, 'prism-migrate serve');
  for (const url of urls) await checkReplica(named(url), primary);
  return urls.map((url) => {
    const pool = (
      max: number,
      connectionString: string,
      connectionTimeoutMs: number,
      statementTimeoutMs: number,
    ) => {
      const made = openPool({
        connectionString,
        max,
        connectionTimeoutMs,
        statementTimeoutMs,
        queryTimeoutMs: queryTimeoutFor(statementTimeoutMs),
        // A replica host that vanished is noticed by the OS without a query running.
        keepAlive: true,
      });
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
