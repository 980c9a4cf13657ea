/**
 * `serve`: the REST API for every timeseries model of the spec, on a pool of database
 * sessions and, on a server, a control session apart; reads optionally on streaming
 * replicas (lib/app/read-replicas.ts).
 */
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { UsageError } from '../errors.js';
import { openDatabase, renamedSession, type OpenDatabase } from '../db/open.js';
import { isEmbeddedEngine } from '../db/engine-kind.js';
import { connect } from '../db/connect.js';
import { buildApi, routeOf, type ApiOptions } from '../api/server.js';
import { checkToken } from '../api/auth.js';
import { DEFAULT_HEALTH_TIMEOUT_MS } from '../api/health.js';
import { describeListening } from '../api/listen.js';
import { DEFAULT_MAX_QUEUED, DEFAULT_MAX_WAIT_MS } from '../api/sessions.js';
import { detectDialect } from '../query/repository.js';
import { detectTimescale } from '../db/detect.js';
import { displayUrl } from '../db/connect.js';
import { closePool, cutSessions, openPool, queryTimeoutFor } from '../db/pool.js';
import { checkReadUrls, identityOf, openReplicas } from './read-replicas.js';
import type { Dialect } from '../query/sql.js';
import { namingOrigin, targetOf, type DatabaseOptions } from './database.js';

/** Database sessions `serve` opens on a server by default. */
export const DEFAULT_API_SESSIONS = 4;

/** Default statement timeout of `serve`, in milliseconds. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/** Milliseconds close() lets running requests finish before it cuts a replica's sessions. */
const REPLICA_GRACE_MS = 1_000;

export function isLoopback(host: string): boolean {
  return /^(127\.|localhost$|::1$)/.test(host);
}

export interface ServeOptions
  extends
    DatabaseOptions,
    Pick<
      ApiOptions,
      'spec' | 'token' | 'healthRequiresToken' | 'maxQueued' | 'maxWaitMs' | 'healthTimeoutMs'
    > {
  readonly port: number;
  readonly host: string;
  /** Cancel a query after this many milliseconds (servers only). */
  readonly statementTimeoutMs?: number | undefined;
  /** Database sessions on a server (the embedded database serves one). */
  readonly sessions?: number | undefined;
  /**
   * Streaming replicas (hot standbys) of the server: range, aggregate and latest queries
   * read there, each replica with `sessions` sessions of its own; ingest stays on the
   * primary, and a replica that fails is left out while its reads go to the primary.
   */
  readonly readUrls?: readonly string[] | undefined;
  /** Milliseconds a replica that failed stays out of use before it is probed (default 5,000). */
  readonly replicaRetryMs?: number | undefined;
  /**
   * Reads skip a replica more seconds behind the primary than this, or not streaming from
   * it (its lag probed at most every second); default: no limit.
   */
  readonly maxReplicaLagSeconds?: number | undefined;
}

export interface RunningApi {
  readonly address: string;
  readonly addresses: (AddressInfo | string)[];
  /** One line per address, e.g. `listening on http://127.0.0.1:3000`. */
  readonly listening: string[];
  readonly dialect: Dialect;
  /**
   * The database gives one session at a time (the embedded database): requests take turns
   * on it, and there is no session apart for /health or for cancelling.
   */
  readonly oneSession: boolean;
  /** The routes served, e.g. `/api/datapoints`. */
  readonly routes: string[];
  /** The replicas reads go to, without their passwords. */
  readonly replicas: string[];
  /** Stops listening, then closes the sessions and the database. */
  close(): Promise<void>;
}

/** The dialect, and whether the database gives one session at a time, on a session of its own. */
async function probe(db: OpenDatabase, withReplicas: boolean) {
  const first = await connect(db.url);
  try {
    const { dialect, schema } = await detectDialect(first);
    // The embedded database reached through a URL looks like a server: ask it.
    const oneSession = db.embedded || (await isEmbeddedEngine(first));
    const timescale = (await detectTimescale(first)).version;
    // What a replica must share with this database; the embedded one has none.
    const identity =
      oneSession || !withReplicas ? undefined : { timescale, ...(await identityOf(first)) };
    return { dialect, schema, oneSession, timescale, identity };
  } finally {
    await first.end();
  }
}

function embeddedHasNoReplicas(): UsageError {
  return new UsageError('the embedded database has no replicas: --read-url needs a server', {
    hint: 'serve a PostgreSQL/TimescaleDB server (--database-url) with streaming replicas, or leave out --read-url',
  });
}

/**
 * Starts the API; it runs until `close()`. Serving on a host other than a loopback address
 * needs a `token` (see `checkToken`).
 */
export async function serve(options: ServeOptions): Promise<RunningApi> {
  const token = options.token;
  if (token !== undefined) checkToken(token);
  if (!isLoopback(options.host) && token === undefined) {
    throw new UsageError(`serving on ${options.host} needs a token`, {
      hint: 'set PRISM_API_TOKEN; clients then send Authorization: Bearer <token>',
    });
  }
  if (options.healthRequiresToken && token === undefined) {
    throw new UsageError('--health-requires-token needs PRISM_API_TOKEN');
  }
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const readUrls = options.readUrls ?? [];
  checkReadUrls(readUrls);
  const target = targetOf(options);
  if (readUrls.length > 0 && target.kind === 'embedded') throw embeddedHasNoReplicas();
  const db = await openDatabase(target, { command: 'serve', log: options.log });
  const forget = options.trackClose?.(() => db.close());
  const pools: pg.Pool[] = [];
  const replicaPools: pg.Pool[] = [];
  const closeAll = async () => {
    // Sessions still busy serve no request by now (those answered, or their clients left):
    // each pool cuts them after a grace, a database that stopped answering included.
    await Promise.all([...pools, ...replicaPools].map(closePool));
    forget?.();
    await db.close();
  };
  try {
    options.onDatabase?.(db.description);
    const { dialect, schema, oneSession, identity } = await probe(db, readUrls.length > 0);
    if (readUrls.length > 0 && oneSession) throw embeddedHasNoReplicas();
    if (oneSession && options.sessions !== undefined && options.sessions > 1)
      options.log?.('the embedded database serves one session: --sessions is ignored');
    const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    // A server that stops answering (a hung host, a network partition) never ends a query
    // at its statement timeout: the session gives up on this side a little later. The
    // embedded database runs in this process and has no statement timeout.
    const queryTimeoutMs = (statementMs: number) =>
      oneSession ? undefined : queryTimeoutFor(statementMs);
    // Requests wait in the API's bounded queue for one of these sessions; the pool
    // replaces a session the database dropped.
    const pool = openPool({
      connectionString: db.url,
      max: oneSession ? 1 : (options.sessions ?? DEFAULT_API_SESSIONS),
      // A database that stops answering must not hold a queue slot for the OS's TCP
      // timeout: a connect fails like a wait in the queue would.
      connectionTimeoutMs: maxWaitMs,
      statementTimeoutMs,
      queryTimeoutMs: queryTimeoutMs(statementTimeoutMs),
    });
    pools.push(pool);
    // On a server, a session apart for /health and for cancelling the statements of
    // clients that left; the embedded database has no second session to give.
    let control: pg.Pool | undefined;
    if (!oneSession) {
      control = openPool({
        connectionString: renamedSession(db.url, 'prism-migrate serve (health)'),
        max: 1,
        connectionTimeoutMs: 10_000,
        statementTimeoutMs: 10_000,
        queryTimeoutMs: queryTimeoutMs(10_000),
      });
      pools.push(control);
    }
    const replicas =
      identity === undefined
        ? []
        : await openReplicas(
            readUrls,
            identity,
            {
              sessions: options.sessions ?? DEFAULT_API_SESSIONS,
              connectionTimeoutMs: maxWaitMs,
              statementTimeoutMs,
            },
            (made) => replicaPools.push(made),
          );
    const app = buildApi({
      spec: options.spec,
      client: pool,
      control,
      dialect,
      schema,
      token,
      healthRequiresToken: options.healthRequiresToken === true,
      maxQueued: options.maxQueued ?? DEFAULT_MAX_QUEUED,
      maxWaitMs,
      healthTimeoutMs: options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
      replicas,
      replicaRetryMs: options.replicaRetryMs,
      maxReplicaLagSeconds: options.maxReplicaLagSeconds,
    });
    const address = await app.listen({ port: options.port, host: options.host });
    const addresses = app.addresses();
    return {
      address,
      addresses,
      listening: describeListening(addresses),
      dialect,
      oneSession,
      routes: options.spec.models.filter((m) => m.timeseries).map(routeOf),
      replicas: readUrls.map(displayUrl),
      close: async () => {
        // A read held by a replica that stopped answering would keep the API open until its
        // query timeout: after a grace its connection is cut, and it ends on the primary.
        const cut = setTimeout(() => replicaPools.forEach(cutSessions), REPLICA_GRACE_MS);
        try {
          await app.close().catch(() => undefined);
        } finally {
          clearTimeout(cut);
        }
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw namingOrigin(error, target);
  }
}
