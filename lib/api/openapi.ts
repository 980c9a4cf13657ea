/** The OpenAPI 3.1 document of the REST API, derived from the spec. */
import type { Field, Model, Spec } from '../spec/types.js';
import { AGGREGATIONS } from '../query/sql.js';

const JSON_TYPE: Readonly<Record<Field['type'], Record<string, unknown>>> = Object.freeze({
  uuid: { type: 'string', format: 'uuid' },
  string: { type: 'string' },
  text: { type: 'string' },
  int: { type: 'integer' },
  bigint: { type: 'string', description: 'bigint, as a string' },
  smallint: { type: 'integer', minimum: -32768, maximum: 32767 },
  float: { type: 'number' },
  real: { type: 'number' },
  double: { type: 'number' },
  decimal: { type: 'string', description: 'decimal, as a string' },
  boolean: { type: 'boolean' },
  datetime: { type: 'string', format: 'date-time' },
  timestamp: { type: 'string', description: 'timestamp without time zone: YYYY-MM-DDTHH:MM:SS' },
  date: { type: 'string', format: 'date' },
  time: { type: 'string' },
  json: {},
  bytea: { type: 'string', contentEncoding: 'base64' },
  inet: { type: 'string', description: 'IP address, optionally with a /prefix' },
  enum: { type: 'string' },
  sql: { type: 'string', description: "text in the type's PostgreSQL input form" },
});

const HEALTH = Object.freeze({
  'application/json': {
    schema: {
      type: 'object',
      properties: {
        status: { enum: ['ok', 'unavailable'] },
        database: { enum: ['ok', 'timeout', 'error'] },
        replicas: {
          description:
            'with read replicas (serve --read-url) only; a replica down leaves status ok: reads fall back to the primary',
          type: 'array',
          items: {
            type: 'object',
            properties: {
              address: { type: 'string', description: 'host:port' },
              url: {
                type: 'string',
                description:
                  'without its password; only where /health requires the token (serve --health-requires-token)',
              },
              status: {
                enum: ['ok', 'behind', 'down', 'timeout'],
                description:
                  'behind: it answers but does not stream from the primary, or lags beyond serve --max-replica-lag',
              },
              streaming: {
                type: ['boolean', 'null'],
                description:
                  'whether its WAL receiver streams from the primary; null when it did not answer',
              },
              lagBytes: {
                type: ['integer', 'null'],
                description:
                  "WAL bytes between the primary's current position and the replica's replay",
              },
              lagSeconds: {
                type: ['number', 'null'],
                description:
                  'seconds since the last replayed transaction; 0 when it streams and has replayed all WAL received; null when that cannot be told',
              },
            },
            required: ['address', 'status', 'streaming', 'lagBytes', 'lagSeconds'],
          },
        },
      },
    },
  },
});

/** A field's value; an optional field's may be null (json values may be null anyway). */
function fieldSchema(f: Field): Record<string, unknown> {
  const element = f.type === 'enum' ? { type: 'string', enum: f.values } : JSON_TYPE[f.type];
  const schema = f.array === true ? { type: 'array', items: element } : element;
  if (!f.optional || schema['type'] === undefined) return schema;
  return {
    ...schema,
    type: [schema['type'], 'null'],
    ...(f.type === 'enum' ? { enum: [...(f.values ?? []), null] } : {}),
  };
}

function rowSchema(model: Model): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(model.fields.map((f) => [f.name, fieldSchema(f)])),
    required: model.fields.filter((f) => !f.optional && f.default === undefined).map((f) => f.name),
  };
}

const param = (
  name: string,
  description: string,
  required = false,
  schema: Record<string, unknown> = { type: 'string' },
) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

export function openApiDocument(spec: Spec): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const list = (rows: Record<string, unknown>, meta: Record<string, unknown>) => ({
    description: 'rows',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            data: { type: 'array', items: rows },
            meta: { type: 'object', properties: meta },
          },
        },
      },
    },
  });
  const count = { count: { type: 'integer', description: 'rows in data' } };
  const truncated = (what: string) => ({
    truncated: {
      type: 'boolean',
      description: `true when the limit (or the cap of 10,000) was reached: ${what}`,
    },
  });
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const badParameter = error('a bad parameter, named in the message');
  for (const model of spec.models.filter((m) => m.timeseries)) {
    const base = `/api/${model.table}s`;
    const filters = model.fields
      .filter((f) => f.array !== true && f.type !== 'sql') // refused as filters
      .map((f) => param(f.name, `equality filter on ${f.name}`));
    const range = [
      param('start', 'RFC 3339; a date alone means midnight UTC', true),
      param('end', 'exclusive', true),
    ];
    paths[base] = {
      get: {
        summary: `${model.name} rows in a time range`,
        parameters: [
          ...range,
          param(
            'limit',
            'default 1,000; a limit above 10,000 is capped to it, and meta.truncated says whether more rows may follow',
            false,
            { type: 'integer', minimum: 1 },
          ),
          param('order', 'asc or desc', false, { enum: ['asc', 'desc'] }),
          ...filters,
        ],
        responses: {
          200: list(rowSchema(model), {
            ...count,
            ...truncated('rows after the last one may exist; ask again from its timestamp'),
          }),
          400: badParameter,
        },
      },
      post: {
        summary: `ingest ${model.name} rows (JSON array or NDJSON)`,
        requestBody: {
          content: {
            'application/json': { schema: { type: 'array', items: rowSchema(model) } },
            'application/x-ndjson': { schema: { type: 'string' } },
          },
        },
        responses: {
          201: { description: 'inserted (all rows, or none on any error)' },
          400: error(
            'a row, field or line that cannot be stored, named in the message: not valid JSON or UTF-8, not an object, an unknown or invalid field, a lone surrogate, a key __proto__, constructor or prototype',
          ),
          409: error(
            'a row with the same key already exists: the message names the key fields (e.g. "a row with this id and timestamp already exists"), the hint their values',
          ),
          413: error('the body is larger than 16 MiB'),
          415: error('a content type other than application/json or application/x-ndjson'),
        },
      },
    };
    paths[`${base}/aggregate`] = {
      get: {
        summary: `${model.name} time-bucket aggregates`,
        parameters: [
          param('bucket', "bucket width, e.g. '1 hour'", true),
          ...range,
          param('aggs', `comma list of ${AGGREGATIONS.join(', ')}`),
          param('fields', 'comma list of numeric fields'),
          param(
            'gapfill',
            "true: one row per bucket, empty ones too; locf: empty ones carry the previous bucket's aggregates",
            false,
            { type: 'string', enum: ['true', 'false', 'locf'] },
          ),
          param('tz', 'IANA time zone for day/week/month buckets'),
          ...filters,
        ],
        responses: {
          200: list(
            { type: 'object' },
            {
              ...count,
              bucket: { type: 'string', description: 'the bucket width asked for' },
              source: {
                type: 'string',
                description:
                  "what answered: a continuous aggregate's view name when its materialized buckets give the exact answer (rows it lacks come from the table), else the model's table name",
              },
            },
          ),
          400: badParameter,
        },
      },
    };
    paths[`${base}/latest`] = {
      get: {
        summary: `latest ${model.name} row (per segment key without filters)`,
        parameters: [
          param(
            'limit',
            'per segment key: at most this many keys, one row each (default and cap 10,000)',
            false,
            {
              type: 'integer',
              minimum: 1,
            },
          ),
          ...filters,
        ],
        responses: {
          200: list(rowSchema(model), {
            ...count,
            ...truncated('without filters only, segment keys beyond the limit may exist'),
          }),
          400: badParameter,
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'prism-migrate API', version: '1' },
    paths: {
      '/health/live': {
        get: {
          summary: 'liveness: the process answers (200), whatever the database is doing',
          responses: {
            200: {
              description: 'the process is alive',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { status: { const: 'ok' } } },
                },
              },
            },
          },
        },
      },
      '/health': {
        get: {
          summary:
            'readiness: whether the database answered within the check timeout (any answer also means the process is alive)',
          responses: {
            200: { description: 'the database answered', content: HEALTH },
            503: { description: 'the database timed out or failed', content: HEALTH },
          },
        },
      },
      ...paths,
    },
    components: {
      schemas: {
        Error: {
          description:
            'every error the API answers (400, 401, 404, 405, 408, 409, 413, 415, 431, 500, 503) has this shape',
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: { message: { type: 'string' }, hint: { type: ['string', 'null'] } },
            },
          },
        },
      },
    },
  };
}
