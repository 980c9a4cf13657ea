/** The OpenAPI 3.1 document of the REST API, derived from the spec. */
import type { Field, Model, Spec } from '../spec/types.js';
import { AGGREGATIONS } from '../query/sql.js';

const JSON_TYPE: Readonly<Record<Field['type'], Record<string, unknown>>> = Object.freeze({
  uuid: { type: 'string', format: 'uuid' },
  string: { type: 'string' },
  text: { type: 'string' },
  int: { type: 'integer' },
  bigint: { type: 'string', description: 'bigint, as a string' },
  float: { type: 'number' },
  decimal: { type: 'string', description: 'decimal, as a string' },
  boolean: { type: 'boolean' },
  datetime: { type: 'string', format: 'date-time' },
  date: { type: 'string', format: 'date' },
  time: { type: 'string' },
  json: {},
  enum: { type: 'string' },
});

const HEALTH = Object.freeze({
  'application/json': {
    schema: {
      type: 'object',
      properties: {
        status: { enum: ['ok', 'unavailable'] },
        database: { enum: ['ok', 'timeout', 'error'] },
      },
    },
  },
});

function rowSchema(model: Model): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(
      model.fields.map((f) => [
        f.name,
        f.type === 'enum' ? { type: 'string', enum: f.values } : JSON_TYPE[f.type],
      ]),
    ),
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
  const list = (rows: Record<string, unknown>) => ({
    description: 'rows',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: { data: { type: 'array', items: rows }, meta: { type: 'object' } },
        },
      },
    },
  });
  const error = {
    description: 'a bad parameter, named in the message',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  for (const model of spec.models.filter((m) => m.timeseries)) {
    const base = `/api/${model.table}s`;
    const filters = model.fields.map((f) => param(f.name, `equality filter on ${f.name}`));
    const range = [
      param('start', 'RFC 3339; a date alone means midnight UTC', true),
      param('end', 'exclusive', true),
    ];
    paths[base] = {
      get: {
        summary: `${model.name} rows in a time range`,
        parameters: [
          ...range,
          param('limit', 'at most 10000', false, { type: 'integer', minimum: 1 }),
          param('order', 'asc or desc', false, { enum: ['asc', 'desc'] }),
          ...filters,
        ],
        responses: { 200: list(rowSchema(model)), 400: error },
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
          400: error,
          409: error,
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
        responses: { 200: list({ type: 'object' }), 400: error },
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
        responses: { 200: list(rowSchema(model)), 400: error },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'prism-migrate API', version: '1' },
    paths: {
      '/health': {
        get: {
          summary:
            'liveness (any answer) and whether the database answered within the check timeout',
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
