/**
 * The REST API over the query layer: for each timeseries model, `/api/<table>s` with
 * range, aggregate, latest and ingest endpoints, plus `/openapi.json` and `/health`.
 * Every parameter is checked by name; values reach SQL only as parameters (the query
 * layer's builders). All database work waits in one bounded queue for a session of its
 * own (lib/api/sessions.ts); `/health` does not wait behind it (lib/api/health.ts). Given
 * read replicas, the GET endpoints read there (lib/api/replicas.ts); ingest stays on the
 * primary.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type pg from 'pg';
import { UsageError } from '../errors.js';
import type { Model, Spec } from '../spec/types.js';
import {
  createRepository,
  insertMany,
  type Queryable,
  type Repository,
  type Row,
} from '../query/repository.js';
import {
  AGGREGATIONS,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  segmentKeyOf,
  type Aggregation,
  type Dialect,
  type Filters,
  type Gapfill,
} from '../query/sql.js';
import { MAX_INGEST_ROWS, ingestBody, installBodyParsers } from './body.js';
import { errorShapeOptions, installErrorShape } from './errors.js';
import { openApiDocument } from './openapi.js';
import { bearerMatcher } from './auth.js';
import { createHealthCheck, DEFAULT_HEALTH_TIMEOUT_MS } from './health.js';
import { ApiSessions } from './sessions.js';
import { ReadRouter, type ReadReplica } from './replicas.js';
import { sendRows } from './respond.js';
import { naiveTimestampText } from '../query/values.js';

export const RESERVED_PARAMETERS = Object.freeze([
  'start',
  'end',
  'limit',
  'order',
  'bucket',
  'aggs',
  'fields',
  'gapfill',
  'tz',
]);
export { MAX_INGEST_ROWS };
/** Bytes one request body may carry: 50,000 rows of about 300 bytes. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface ApiOptions {
  readonly spec: Spec;
  /**
   * A client (requests then take turns on it) or a pool, which also replaces a session the
   * database dropped; as many requests run at once as the pool has sessions (`serve`: one on
   * the embedded database, which serves one session).
   */
  readonly client: Queryable;
  readonly dialect: Dialect;
  readonly schema?: string | undefined;
  /**
   * When set (16 characters or more), every request must send `Authorization: Bearer
   * <token>`; /health too when `healthRequiresToken`.
   */
  readonly token?: string | undefined;
  readonly healthRequiresToken?: boolean | undefined;
  /** Requests that may wait for a database session (default 100); beyond that 503. */
  readonly maxQueued?: number | undefined;
  /** Milliseconds a request may wait for a database session (default 5,000), then 503. */
  readonly maxWaitMs?: number | undefined;
  /**
   * A session apart from `client` (a server's): /health checks the database there, and the
   * running statement of a request whose client disconnected is cancelled through it.
   * Without it /health goes ahead of waiting requests for the next free session.
   */
  readonly control?: Queryable | undefined;
  /** Milliseconds /health waits for the database (default 500) before reporting `timeout`. */
  readonly healthTimeoutMs?: number | undefined;
  /**
   * Streaming replicas of the database (needs `control`): range, aggregate and latest
   * queries run there, each replica with sessions and a queue of its own; a replica that
   * fails is left out for `replicaRetryMs` (default 5,000) and its reads go elsewhere.
   */
  readonly replicas?: readonly ReadReplica[] | undefined;
  readonly replicaRetryMs?: number | undefined;
  /** Reads skip a replica more seconds behind than this (by a probe at most a second old). */
  readonly maxReplicaLagSeconds?: number | undefined;
}

/** Paths answered without the token unless `healthRequiresToken`. */
const HEALTH_PATHS: readonly string[] = Object.freeze(['/health', '/health/live']);

/** `DataPoint` (table `datapoint`) → `/api/datapoints`. */
export function routeOf(model: Model): string {
  return `/api/${model.table}s`;
}

type Query = Record<string, string | string[] | undefined>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new UsageError(`parameter ${name} is given more than once`);
  return value;
}

function filtersOf(model: Model, query: Query, allowed: readonly string[]): Filters {
  const filters: Record<string, string> = {};
  for (const name of Object.keys(query)) {
    if (allowed.includes(name)) continue;
    if (RESERVED_PARAMETERS.includes(name)) {
      throw new UsageError(`parameter ${name} does not apply to this endpoint`, {
        hint: `it takes: ${allowed.join(', ')}, and field filters`,
      });
    }
    if (!model.fields.some((f) => f.name === name)) {
      throw new UsageError(`unknown parameter ${name}`, {
        hint: `use one of ${allowed.join(', ')} or a field of ${model.name}: ${model.fields.map((f) => f.name).join(', ')}`,
      });
    }
    filters[name] = single(query, name) as string;
  }
  return filters;
}

function required(query: Query, name: string): string {
  const value = single(query, name);
  if (value === undefined || value === '') throw new UsageError(`parameter ${name} is required`);
  return value;
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
    throw new UsageError(
      `parameter ${name} must be a whole number ≥ 1, got ${JSON.stringify(value)}`,
    );
  return Number(value);
}

function gapfillOf(value: string | undefined): Gapfill {
  if (value === 'locf') return 'locf';
  if (value === undefined || value === 'false') return false;
  if (value === 'true' || value === '') return true;
  throw new UsageError(
    `parameter gapfill must be true, false or locf, got ${JSON.stringify(value)}`,
  );
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

/**
 * JSON for rows: timestamps as RFC 3339, timestamps without time zone (and the buckets of
 * such a time column) as their naive clock, bytea as base64; pg already returns bigint and
 * numeric as strings.
 */
export function serializer(model: Model): (rows: readonly Row[]) => Row[] {
  const naive = new Set(model.fields.filter((f) => f.type === 'timestamp').map((f) => f.name));
  if (model.timeseries !== undefined && naive.has(model.timeseries.timeColumn)) naive.add('bucket');
  const value = (v: unknown, clock: boolean): unknown => {
    if (v instanceof Date) return clock ? naiveTimestampText(v) : v.toISOString();
    if (Buffer.isBuffer(v)) return v.toString('base64');
    if (Array.isArray(v)) return v.map((x) => value(x, clock));
    return v;
  };
  return (rows) =>
    rows.map((row) => {
      const out: Row = {};
      for (const [k, v] of Object.entries(row)) out[k] = value(v, naive.has(k));
      return out;
    });
}

/** Milliseconds a connection whose request has not arrived whole may stay once closing began. */
const CLOSE_GRACE_MS = 1_000;

/**
 * `close()` waits for every connection to end, and Node closes only the idle ones: the
 * connection of a request still being answered would stay open after its answer for the
 * keep-alive timeout (72 s), and one whose request never arrives whole (a client that
 * stalled while sending its headers) for ever, as Node stops timing requests out once
 * closing began. So the answers under way when closing begins end their connections
 * (`Connection: close` where the headers are still to be sent, else the connection is
 * ended once the answer is out), and a connection with no request under way is cut after
 * a grace in which a request arriving whole is answered 503.
 */
function closeConnectionsOnClose(app: FastifyInstance): void {
  const underway = new Set<ServerResponse>();
  const connections = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  app.addHook('onRequest', (_req, reply, done) => {
    const res = reply.raw;
    underway.add(res);
    res.once('close', () => underway.delete(res));
    done();
  });
  const answering = (socket: Socket) => [...underway].some((res) => res.socket === socket);
  app.addHook('preClose', (done) => {
    for (const res of underway) {
      if (!res.headersSent) {
        res.setHeader('Connection', 'close');
      } else if (!res.writableFinished) {
        const socket = res.socket;
        res.once('finish', () => socket?.end());
      }
    }
    const waiting = [...connections].filter((socket) => !answering(socket));
    if (waiting.length > 0) {
      setTimeout(() => {
        for (const socket of waiting) if (!answering(socket)) socket.destroy();
      }, CLOSE_GRACE_MS).unref();
    }
    done();
  });
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, ...errorShapeOptions });
  closeConnectionsOnClose(app);
  installBodyParsers(app);
  const sessions = new ApiSessions({
    client: options.client,
    maxQueued: options.maxQueued,
    maxWaitMs: options.maxWaitMs,
    control: options.control,
  });
  const healthTimeoutMs = options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const { control } = options;
  const replicas = options.replicas ?? [];
  if (replicas.length > 0 && !control)
    throw new UsageError('read replicas need a control session on the primary');
  const reads = new ReadRouter({
    primary: sessions,
    replicas,
    maxQueued: options.maxQueued,
    maxWaitMs: options.maxWaitMs,
    retryMs: options.replicaRetryMs,
    maxLagSeconds: options.maxReplicaLagSeconds,
  });
  app.addHook('onClose', async () => reads.close());
  const health = createHealthCheck(
    control
      ? replicas.length > 0
        ? // The primary's WAL position, from which the replicas' lag is counted.
          () =>
            control
              .query<{ lsn: string }>('SELECT pg_catalog.pg_current_wal_lsn()::text AS lsn')
              .then((r) => ({ walLsn: r.rows[0]?.lsn }))
        : () => control.query('SELECT 1')
      : () =>
          sessions.use((session) => session.query('SELECT 1'), {
            priority: true,
            maxWaitMs: healthTimeoutMs,
          }),
    healthTimeoutMs,
    replicas.length > 0
      ? {
          urls: replicas.map((r) => r.url),
          // Public /health shows host:port only: no user or database name.
          showUrls: options.token !== undefined && options.healthRequiresToken === true,
          probe: (i) => reads.probe(i),
        }
      : undefined,
  );
  /** One repository per session and model (each caches what it learnt of its session). */
  const repositories = new WeakMap<object, Map<Model, Repository>>();
  const repositoryOn = (session: pg.ClientBase, model: Model): Repository => {
    let bySession = repositories.get(session);
    if (!bySession) repositories.set(session, (bySession = new Map()));
    let repo = bySession.get(model);
    if (!repo) {
      repo = createRepository(session, model, { dialect: options.dialect, schema: options.schema });
      bySession.set(model, repo);
    }
    return repo;
  };
  /** Aborted when the request's client disconnects before its answer is sent. */
  const clientGone = (reply: FastifyReply): AbortSignal => {
    const controller = new AbortController();
    const gone = () => controller.abort(new Error('the client disconnected before the answer'));
    // A client may have left before the handler got here (an aborted upload).
    if (reply.raw.destroyed || reply.request.raw.socket?.destroyed === true) gone();
    else
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone();
      });
    return controller.signal;
  };

  const timeseries = options.spec.models.filter((m) => m.timeseries);
  installErrorShape(
    app,
    new Map(
      timeseries.flatMap((m) => ['', '/aggregate', '/latest'].map((p) => [routeOf(m) + p, m])),
    ),
    MAX_BODY_BYTES,
  );

  if (options.token !== undefined) {
    const authorized = bearerMatcher(options.token);
    const healthIsPublic = options.healthRequiresToken !== true;
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (healthIsPublic && HEALTH_PATHS.includes(req.routeOptions.url ?? '')) return;
      if (!authorized(req.headers.authorization)) {
        await reply.status(401).send({
          error: {
            message: 'missing or wrong bearer token',
            hint: 'send Authorization: Bearer $PRISM_API_TOKEN',
          },
        });
      }
    });
  }

  // Liveness alone: the process answers, whatever the database is doing (a probe that
  // restarts the process must not take a busy database for a dead API).
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health', async (_req, reply) => {
    const report = await health();
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });
  app.get('/openapi.json', async () => openApiDocument(options.spec));

  for (const model of timeseries) {
    // Checks the model once, before any request (createRepository throws on a bad one).
    createRepository(options.client, model, { dialect: options.dialect, schema: options.schema });
    const base = routeOf(model);
    const serialize = serializer(model);

    app.get(base, async (req, reply) => {
      const q = req.query as Query;
      const filters = filtersOf(model, q, ['start', 'end', 'limit', 'order']);
      const order = single(q, 'order');
      if (order !== undefined && order !== 'asc' && order !== 'desc')
        throw new UsageError(`parameter order must be asc or desc, got ${JSON.stringify(order)}`);
      const start = required(q, 'start');
      const end = required(q, 'end');
      const limit = positiveInt(single(q, 'limit'), 'limit');
      const rows = await reads.use(
        (session) =>
          repositoryOn(session, model).getByTimeRange(start, end, { filters, limit, order }),
        { signal: clientGone(reply) },
      );
      // Whether rows beyond the limit may exist (the limit, or the cap, was reached).
      const truncated = rows.length === Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT);
      return sendRows(reply, rows, { count: rows.length, truncated }, serialize);
    });

    app.get(`${base}/aggregate`, async (req, reply) => {
      const q = req.query as Query;
      const filters = filtersOf(model, q, [
        'start',
        'end',
        'bucket',
        'aggs',
        'fields',
        'gapfill',
        'tz',
      ]);
      const aggs = list(single(q, 'aggs'));
      for (const a of aggs ?? []) {
        if (!(AGGREGATIONS as readonly string[]).includes(a))
          throw new UsageError(`parameter aggs: unknown aggregation ${JSON.stringify(a)}`, {
            hint: `use ${AGGREGATIONS.join(', ')}`,
          });
      }
      const bucket = required(q, 'bucket');
      const start = required(q, 'start');
      const end = required(q, 'end');
      const aggregateOptions = {
        filters,
        aggregations: aggs as Aggregation[] | undefined,
        fields: list(single(q, 'fields')),
        gapfill: gapfillOf(single(q, 'gapfill')),
        tz: single(q, 'tz'),
      };
      const { rows, source } = await reads.use(
        (session) =>
          repositoryOn(session, model).answerTimeBucketAggregates(
            bucket,
            start,
            end,
            aggregateOptions,
          ),
        // The watermark check and the data query see one snapshot: a refresh committed
        // between them cannot move the watermark past what the data query reads.
        { signal: clientGone(reply), snapshot: true },
      );
      return sendRows(reply, rows, { count: rows.length, bucket, source: source.name }, serialize);
    });

    app.get(`${base}/latest`, async (req, reply) => {
      const q = req.query as Query;
      const filters = filtersOf(model, q, ['limit']);
      // Without filters: one row per segment key (or the single latest row without one).
      const perSegment = Object.keys(filters).length === 0 && segmentKeyOf(model).length > 0;
      const limit = positiveInt(single(q, 'limit'), 'limit');
      if (limit !== undefined && !perSegment)
        throw new UsageError('parameter limit applies to the latest row per segment key only', {
          hint: 'leave out the field filters to get one row per segment key',
        });
      const rows = await reads.use(
        (session) => repositoryOn(session, model).getLatest({ filters, perSegment, limit }),
        { signal: clientGone(reply) },
      );
      if (perSegment) {
        // Whether keys beyond the limit may exist (the limit was reached).
        const truncated =
          rows.length === (limit === undefined ? MAX_LIMIT : Math.min(limit, MAX_LIMIT));
        return sendRows(reply, rows, { count: rows.length, truncated }, serialize);
      }
      return sendRows(reply, rows, { count: rows.length }, serialize);
    });

    app.post(base, async (req, reply) => {
      const body = ingestBody(req.body);
      // All rows or none: a batch that fails half-way must not leave its first part behind.
      const inserted = await sessions
        .transaction((session) => insertMany(session, model, body.rows), {
          signal: clientGone(reply),
        })
        .catch((error: unknown) => {
          throw body.locate(error);
        });
      return reply.status(201).send({ data: { inserted }, meta: {} });
    });
  }
  return app;
}
