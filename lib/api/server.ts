/**
 * The REST API over the query layer: for each timeseries model, `/api/<table>s` with
 * range, aggregate, latest and ingest endpoints, plus `/openapi.json` and `/health`.
 * Every parameter is checked by name; values reach SQL only as parameters (the query
 * layer's builders). All database work goes through one queue, because the embedded
 * database serves one session and batches must not interleave.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pg from 'pg';
import { DatabaseError, UsageError } from '../errors.js';
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
   * database dropped; `serve` uses a pool of one, as the embedded database serves one session.
   */
  readonly client: Queryable;
  readonly dialect: Dialect;
  readonly schema?: string | undefined;
  /** When set, every request must send `Authorization: Bearer <token>` (but /health). */
  readonly token?: string | undefined;
}

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

/** JSON for rows: timestamps as RFC 3339; pg already returns bigint and numeric as strings. */
function serialize(rows: readonly Row[]): Row[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
    ),
  );
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, ...errorShapeOptions });
  installBodyParsers(app);
  // A pool by its shape, so a pool from another copy of pg counts too.
  const pool =
    typeof (options.client as { totalCount?: unknown }).totalCount === 'number'
      ? (options.client as pg.Pool)
      : undefined;
  /** Set when a plain client's rollback failed: it may sit in a transaction, so no more work. */
  let brokenClient = false;
  let queue: Promise<unknown> = Promise.resolve();
  // A pool queues by itself; one client must not see two requests' statements interleaved.
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    if (pool) return work();
    if (brokenClient) {
      return Promise.reject(
        new DatabaseError('the database session failed to roll back a transaction', {
          hint: 'restart the server',
        }),
      );
    }
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  /** `work` inside BEGIN … COMMIT on one session, rolled back on any error. */
  const transaction = async <T>(work: (session: pg.ClientBase) => Promise<T>): Promise<T> => {
    /** Runs `work`; on its failure rolls back and rethrows its error, reporting a failed rollback. */
    const inSession = async (session: pg.ClientBase, onBroken: (e: Error) => void): Promise<T> => {
      await session.query('BEGIN');
      try {
        const result = await work(session);
        await session.query('COMMIT');
        return result;
      } catch (error) {
        // A session whose rollback failed may still be inside the transaction: never reuse it.
        await session.query('ROLLBACK').catch((rollbackError: Error) => onBroken(rollbackError));
        throw error;
      }
    };
    if (!pool) {
      return serial(() =>
        inSession(options.client as pg.ClientBase, () => {
          brokenClient = true;
        }),
      );
    }
    const session = await pool.connect();
    let broken: Error | undefined;
    try {
      return await inSession(session, (e) => {
        broken = e;
      });
    } finally {
      session.release(broken);
    }
  };

  const timeseries = options.spec.models.filter((m) => m.timeseries);
  installErrorShape(
    app,
    new Map(
      timeseries.flatMap((m) => ['', '/aggregate', '/latest'].map((p) => [routeOf(m) + p, m])),
    ),
    MAX_BODY_BYTES,
  );

  if (options.token) {
    const expected = `Bearer ${options.token}`;
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.url === '/health') return;
      if (req.headers.authorization !== expected) {
        await reply.status(401).send({
          error: {
            message: 'missing or wrong bearer token',
            hint: 'send Authorization: Bearer $PRISM_API_TOKEN',
          },
        });
      }
    });
  }

  app.get('/health', async (_req, reply) => {
    try {
      await serial(() => options.client.query('SELECT 1'));
      return { status: 'ok' };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: 'not answering' });
    }
  });
  app.get('/openapi.json', async () => openApiDocument(options.spec));

  for (const model of timeseries) {
    const repo: Repository = createRepository(options.client, model, {
      dialect: options.dialect,
      schema: options.schema,
    });
    const base = routeOf(model);

    app.get(base, async (req) => {
      const q = req.query as Query;
      const filters = filtersOf(model, q, ['start', 'end', 'limit', 'order']);
      const order = single(q, 'order');
      if (order !== undefined && order !== 'asc' && order !== 'desc')
        throw new UsageError(`parameter order must be asc or desc, got ${JSON.stringify(order)}`);
      const limit = positiveInt(single(q, 'limit'), 'limit');
      const rows = await serial(() =>
        repo.getByTimeRange(required(q, 'start'), required(q, 'end'), { filters, limit, order }),
      );
      // Whether rows beyond the limit may exist (the limit, or the cap, was reached).
      const truncated = rows.length === Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT);
      return { data: serialize(rows), meta: { count: rows.length, truncated } };
    });

    app.get(`${base}/aggregate`, async (req) => {
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
      const rows = await serial(() =>
        repo.getTimeBucketAggregates(bucket, required(q, 'start'), required(q, 'end'), {
          filters,
          aggregations: aggs as Aggregation[] | undefined,
          fields: list(single(q, 'fields')),
          gapfill: gapfillOf(single(q, 'gapfill')),
          tz: single(q, 'tz'),
        }),
      );
      return { data: serialize(rows), meta: { count: rows.length, bucket } };
    });

    app.get(`${base}/latest`, async (req) => {
      const q = req.query as Query;
      const filters = filtersOf(model, q, ['limit']);
      // Without filters: one row per segment key (or the single latest row without one).
      const perSegment = Object.keys(filters).length === 0 && segmentKeyOf(model).length > 0;
      const limit = positiveInt(single(q, 'limit'), 'limit');
      if (limit !== undefined && !perSegment)
        throw new UsageError('parameter limit applies to the latest row per segment key only', {
          hint: 'leave out the field filters to get one row per segment key',
        });
      const rows = await serial(() => repo.getLatest({ filters, perSegment, limit }));
      if (perSegment) {
        // Whether keys beyond the limit may exist (the limit was reached).
        const truncated =
          rows.length === (limit === undefined ? MAX_LIMIT : Math.min(limit, MAX_LIMIT));
        return { data: serialize(rows), meta: { count: rows.length, truncated } };
      }
      return { data: serialize(rows), meta: { count: rows.length } };
    });

    app.post(base, async (req, reply) => {
      const body = ingestBody(req.body);
      // All rows or none: a batch that fails half-way must not leave its first part behind.
      const inserted = await transaction((session) =>
        insertMany(session, model, body.rows as Row[]),
      ).catch((error: unknown) => {
        throw body.locate(error);
      });
      return reply.status(201).send({ data: { inserted }, meta: {} });
    });
  }
  return app;
}
