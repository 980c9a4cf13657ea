/**
 * The structural shape of prism.yaml: keys, types, enums and identifier syntax. Checks that
 * need more than one value (does the column exist? does the interval fit the time column?)
 * live in the semantic checks; this schema is also the source of spec/prism.schema.json.
 */
import Joi from 'joi';
import { AGGREGATE_FUNCTIONS } from '../sql/aggregate-call.js';
import { FIELD_TYPES, REFERENTIAL_ACTIONS, SPARSE_INDEX_TYPES } from './types.js';

/** Letters, digits and underscores, not starting with a digit: never needs SQL escaping. */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** PostgreSQL's NAMEDATALEN - 1; the pattern is ASCII-only, so characters equal bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

export const TIMESCALE_MODES = Object.freeze(['auto', 'require', 'off'] as const);
export const TIME_UNITS = Object.freeze(['s', 'ms', 'us'] as const);
export const INDEX_TYPES = Object.freeze(['btree', 'brin', 'hash', 'gin', 'gist'] as const);
export const DEFAULT_FUNCTIONS = Object.freeze([
  'now()',
  'gen_random_uuid()',
  'current_date',
] as const);

const identifier = (what: string): Joi.StringSchema =>
  Joi.string()
    .pattern(IDENTIFIER_PATTERN, 'identifier')
    .max(MAX_IDENTIFIER_BYTES)
    .description(
      `${what}: letters, digits and underscores, not starting with a digit, at most 63 bytes`,
    );

/** `Model.field`: two identifiers joined by a dot. */
export const REFERENCE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

const referentialAction = (what: string): Joi.StringSchema =>
  Joi.string()
    .valid(...REFERENTIAL_ACTIONS)
    .description(`${what} (default: no action)`);

const timescaleMode = Joi.string()
  .valid(...TIMESCALE_MODES)
  .description(
    'auto: TimescaleDB when the server has it, plain PostgreSQL otherwise; require: fail without it; off: plain tables only',
  );

/** An interval ('7 days') for datetime/timestamp/date time columns, an integer for int/bigint ones. */
const timeAmount = (what: string): Joi.AlternativesSchema =>
  Joi.alternatives()
    .try(Joi.string(), Joi.number().integer().positive())
    .description(
      `${what}: an interval such as '7 days' or '1 day 12 hours' when the time column is datetime/timestamp/date; a positive integer in the column's units when it is int/bigint`,
    );

export const fieldSchema: Joi.ObjectSchema = Joi.object({
  name: identifier('Column name').required(),
  type: Joi.string()
    .valid(...FIELD_TYPES)
    .description(
      'Column type (datetime is timestamptz, timestamp is without time zone, float and double are double precision, json is jsonb); required unless sql_type is given',
    ),
  max_length: Joi.number()
    .integer()
    .min(1)
    .max(10_485_760)
    .description('For type string: varchar length'),
  precision: Joi.number().integer().min(1).max(1000).description('For type decimal: total digits'),
  scale: Joi.number()
    .integer()
    .min(0)
    .max(1000)
    .description('For type decimal: digits after the point'),
  values: Joi.array()
    .items(Joi.string())
    .min(1)
    .description('For type enum: the allowed values, in order'),
  sql_type: Joi.string().description(
    "Instead of type: a PostgreSQL type prism.yaml does not name, e.g. 'citext', 'geometry(Point,4326)', 'vector(3)', 'ltree[]' ([schema.]name, optional (n[,n]) modifiers, optional [])",
  ),
  array: Joi.boolean()
    .default(false)
    .description(
      'A one-dimensional array of the type (not for enum, sql_type, the time column or primary keys)',
    ),
  primary_key: Joi.boolean().default(false).description('Part of the primary key'),
  index: Joi.boolean().default(false).description('Create a btree index on this column'),
  unique: Joi.boolean()
    .default(false)
    .description(
      'Unique constraint (not on timeseries models: use a timeseries index with the time column)',
    ),
  optional: Joi.boolean().default(false).description('Allow NULL (default: NOT NULL)'),
  default: Joi.alternatives()
    .try(Joi.string().allow(''), Joi.number(), Joi.boolean())
    .description("A literal of the field's type, or one of now(), gen_random_uuid(), current_date"),
  renamed_from: identifier(
    'Previous name of this field in the same model: the migration renames the column instead of dropping it and adding a new one',
  ),
  references: Joi.string()
    .pattern(REFERENCE_PATTERN, 'Model.field')
    .description(
      "Foreign key: '<Model>.<field>', the referenced model's single-column primary key or a unique field of the same type",
    ),
  on_delete: referentialAction('With references: what deleting the referenced row does'),
  on_update: referentialAction("With references: what changing the referenced row's key does"),
}).meta({ jsonSchema: { oneOf: [{ required: ['type'] }, { required: ['sql_type'] }] } });

const compressionSchema = Joi.object({
  enabled: Joi.boolean().default(true).description('Enable compression (columnstore)'),
  after: timeAmount('Compress chunks older than this'),
  segment_by: Joi.array()
    .items(identifier('Column'))
    .description('Columns to segment compressed data by'),
  order_by: Joi.array()
    .items(Joi.string())
    .description("Compressed ordering, each 'column [ASC|DESC] [NULLS FIRST|LAST]'"),
  // A number passes here so that the check can say why it is refused (integer time).
  chunk_interval: Joi.alternatives()
    .try(Joi.string(), Joi.number().integer().positive())
    .description(
      "Roll chunks together up to this span as they are compressed (compress_chunk_time_interval): an interval such as '14 days', a whole number of chunk intervals; datetime/date time columns only",
    ),
  sparse_indexes: Joi.array()
    .items(
      Joi.object({
        column: identifier('Column').required(),
        type: Joi.string()
          .valid(...SPARSE_INDEX_TYPES)
          .required()
          .description('minmax (range filters) or bloom (equality filters)'),
      }),
    )
    .description(
      'Sparse indexes on compressed data (TimescaleDB 2.22+; refused on older servers when applied)',
    ),
});

const retentionSchema = Joi.object({
  enabled: Joi.boolean().default(true).description('Enable the retention policy'),
  drop_after: timeAmount('Drop chunks older than this (required when enabled)'),
});

export const indexSchema: Joi.ObjectSchema = Joi.object({
  columns: Joi.array()
    .items(Joi.string())
    .min(1)
    .required()
    .description(
      "Indexed columns, in order, each 'column [ASC|DESC] [NULLS FIRST|LAST]' (an order only on btree indexes)",
    ),
  type: Joi.string()
    .valid(...INDEX_TYPES)
    .default('btree')
    .description('Index method'),
  unique: Joi.boolean()
    .default(false)
    .description('Unique index (on a hypertable it must include the time column)'),
  name: identifier('Index name (default <table>_<columns>_idx)'),
  where: Joi.string()
    .max(4000)
    .description(
      "Partial index condition: comparisons of a field with a literal (number, 'string', true, false), IS [NOT] NULL, [NOT] IN (...), a boolean field, with AND, OR, NOT and parentheses",
    ),
  include: Joi.array()
    .items(identifier('Column'))
    .description(
      'Columns stored in the index without being part of its key (INCLUDE; btree and gist)',
    ),
});

/** TimescaleDB's limit on the partitions of a space dimension. */
export const MAX_PARTITIONS = 32767;

const partitioningSchema = Joi.object({
  column: identifier('The column hashed into partitions (not the time column)').required(),
  partitions: Joi.number()
    .integer()
    .min(1)
    .max(MAX_PARTITIONS)
    .required()
    .description('Number of hash partitions (1 to 32767)'),
});

const reorderSchema = Joi.object({
  index: Joi.array()
    .items(Joi.string())
    .min(1)
    .required()
    .description(
      "The columns of the index chunks are reordered by, each 'column [ASC|DESC]': an index of the model, or the time column's default index ('<time> DESC')",
    ),
});

/** `function(column)` per output column of an aggregate. */
const aggregateColumnsSchema = Joi.object()
  .pattern(
    identifier('Output column name (not bucket, not a group_by column)'),
    Joi.string().description(
      `'function(column)' with one of ${AGGREGATE_FUNCTIONS.join(', ')}: a field of the model (a column of the from aggregate), or count(*)`,
    ),
  )
  .description(
    "Output columns: name -> 'function(column)', e.g. `avg_temp: avg(temperature)`, `samples: count(*)`",
  )
  .meta({ jsonSchema: { minProperties: 1 } });

const aggregateSchema = Joi.object({
  name: identifier("The view's name (in the model's schema)").required(),
  from: identifier(
    'Build on another aggregate of this model (hierarchical) instead of the hypertable',
  ),
  bucket: timeAmount(
    'Bucket width (the output column bucket); on a from aggregate a multiple of its bucket',
  ).required(),
  group_by: Joi.array()
    .items(identifier('Column'))
    .description('Fields of the model (columns of the from aggregate) grouped besides the bucket'),
  columns: aggregateColumnsSchema,
  refresh: Joi.object({
    start_offset: timeAmount(
      'How far behind now a refresh starts (left out: from the oldest data on)',
    ),
    end_offset: timeAmount('How far behind now a refresh stops (left out: up to the newest data)'),
    schedule_interval: Joi.string()
      .required()
      .description("How often the refresh policy runs: an interval such as '30 minutes'"),
  }).description(
    'A refresh policy; the window between the offsets must cover at least two buckets',
  ),
  realtime: Joi.boolean()
    .default(false)
    .description(
      'true: rows newer than the materialized range are aggregated when read (real-time aggregation); default false, materialized only',
    ),
  compression: Joi.object({
    after: timeAmount("Compress the aggregate's buckets older than this"),
    segment_by: Joi.array()
      .items(identifier('Column'))
      .description('group_by columns to segment compressed data by (default: all of group_by)'),
  }).description("Compression of the aggregate's materialized data"),
  retention: Joi.object({
    drop_after: timeAmount("Drop the aggregate's buckets older than this").required(),
  }).description("A retention policy on the aggregate's materialized data"),
}).meta({ jsonSchema: { required: ['name', 'bucket', 'columns'] } });

export const timeseriesSchema: Joi.ObjectSchema = Joi.object({
  time_column: identifier(
    'The partitioning column (datetime, timestamp, date, int or bigint)',
  ).required(),
  chunk_interval: timeAmount('Time range covered by one chunk'),
  time_unit: Joi.string()
    .valid(...TIME_UNITS)
    .description(
      'For int/bigint time columns: the unit of the integer (seconds, milliseconds, microseconds)',
    ),
  compression: compressionSchema,
  retention: retentionSchema,
  indexes: Joi.array().items(indexSchema).description('Extra indexes on the hypertable'),
  partitioning: partitioningSchema.description(
    'Space partitioning: a hash dimension on a column beside the time dimension',
  ),
  reorder: reorderSchema.description(
    'A reorder policy: TimescaleDB rewrites older chunks in the order of this index',
  ),
  aggregates: Joi.array()
    .items(aggregateSchema)
    .description(
      'Continuous aggregates over the hypertable (a view or materialized view without TimescaleDB)',
    ),
  create_default_indexes: Joi.boolean()
    .default(true)
    .description(
      'false: TimescaleDB does not create its default index on (time column DESC); turning it off later drops that index, turning it on creates it',
    ),
});

export const modelSchema: Joi.ObjectSchema = Joi.object({
  name: identifier('Model name').required(),
  table: identifier('Table name (default: the model name lowercased)'),
  schema: identifier(
    'PostgreSQL schema of the table (default public); the migration creates it when missing',
  ),
  timescale: timescaleMode,
  fields: Joi.array().items(fieldSchema).min(1).required().description('Columns of the table'),
  timeseries: timeseriesSchema.description('Makes the model a TimescaleDB hypertable'),
  indexes: Joi.array()
    .items(indexSchema)
    .description('Indexes of the table (on any model; same keys as timeseries.indexes)'),
  renamed_from: identifier(
    "Previous name of this model: the migration renames the old model's table instead of dropping it and creating a new one",
  ),
});

/** An environment's name: what `--env` / PRISM_ENV select. */
export const ENVIRONMENT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

const environmentValuesSchema = Joi.object({
  chunk_interval: timeAmount('Chunk interval in this environment'),
  compression: Joi.object({
    after: timeAmount('Compress chunks older than this, in this environment'),
  }),
  retention: Joi.object({
    drop_after: timeAmount('Drop chunks older than this, in this environment'),
  }),
  aggregates: Joi.object()
    .pattern(
      identifier(
        'Name of an aggregate of this model (timeseries.aggregates) with a refresh policy',
      ),
      Joi.object({
        refresh: Joi.object({
          start_offset: timeAmount('How far behind now a refresh starts, in this environment'),
          end_offset: timeAmount('How far behind now a refresh stops, in this environment'),
          schedule_interval: Joi.string().description(
            "How often the refresh policy runs in this environment: an interval such as '5 minutes'",
          ),
        }).description(
          "The aggregate's refresh values in this environment; the rest stays the model's",
        ),
      }),
    )
    .description(
      'Refresh policies of the aggregates of this model that differ in this environment',
    ),
}).description('Time amounts of one timeseries model that differ in this environment');

const environmentsSchema = Joi.object()
  .pattern(
    Joi.string()
      .pattern(ENVIRONMENT_NAME_PATTERN, 'environment name')
      .max(MAX_IDENTIFIER_BYTES)
      .description(
        'Environment name: a letter, then letters, digits, _ or -, at most 63 characters (e.g. development)',
      ),
    Joi.object()
      .pattern(identifier('Model name'), environmentValuesSchema)
      .description('Models whose time amounts differ in this environment, by model name'),
  )
  .description(
    "Per-environment time amounts (chunk_interval, compression.after, retention.drop_after, aggregates.<name>.refresh), selected by --env or PRISM_ENV when a migration is applied; no environment: the models' own values",
  );

export const specSchema: Joi.ObjectSchema = Joi.object({
  timescale: timescaleMode.default('auto'),
  models: Joi.array()
    .items(modelSchema)
    .required()
    .description('Data models; each becomes a table'),
  environments: environmentsSchema,
})
  .required()
  .description('prism.yaml: data models for prism-migrate');
