/**
 * The structural shape of prism.yaml: keys, types, enums and identifier syntax. Checks that
 * need more than one value (does the column exist? does the interval fit the time column?)
 * live in the semantic checks; this schema is also the source of spec/prism.schema.json.
 */
import Joi from 'joi';
import { FIELD_TYPES } from './types.js';

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

const timescaleMode = Joi.string()
  .valid(...TIMESCALE_MODES)
  .description(
    'auto: TimescaleDB when the server has it, plain PostgreSQL otherwise; require: fail without it; off: plain tables only',
  );

/** An interval ('7 days') for datetime/date time columns, an integer for int/bigint ones. */
const timeAmount = (what: string): Joi.AlternativesSchema =>
  Joi.alternatives()
    .try(Joi.string(), Joi.number().integer().positive())
    .description(
      `${what}: an interval such as '7 days' or '1 day 12 hours' when the time column is datetime/date; a positive integer in the column's units when it is int/bigint`,
    );

export const fieldSchema: Joi.ObjectSchema = Joi.object({
  name: identifier('Column name').required(),
  type: Joi.string()
    .valid(...FIELD_TYPES)
    .required()
    .description('Column type (datetime is timestamptz, json is jsonb)'),
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
});

const compressionSchema = Joi.object({
  enabled: Joi.boolean().default(true).description('Enable compression (columnstore)'),
  after: timeAmount('Compress chunks older than this'),
  segment_by: Joi.array()
    .items(identifier('Column'))
    .description('Columns to segment compressed data by'),
  order_by: Joi.array()
    .items(Joi.string())
    .description("Compressed ordering, each 'column [ASC|DESC] [NULLS FIRST|LAST]'"),
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

export const timeseriesSchema: Joi.ObjectSchema = Joi.object({
  time_column: identifier('The partitioning column (datetime, date, int or bigint)').required(),
  chunk_interval: timeAmount('Time range covered by one chunk'),
  time_unit: Joi.string()
    .valid(...TIME_UNITS)
    .description(
      'For int/bigint time columns: the unit of the integer (seconds, milliseconds, microseconds)',
    ),
  compression: compressionSchema,
  retention: retentionSchema,
  indexes: Joi.array().items(indexSchema).description('Extra indexes on the hypertable'),
  create_default_indexes: Joi.boolean()
    .default(true)
    .description(
      'false: TimescaleDB does not create its default index on (time column DESC); turning it off later drops that index, turning it on creates it',
    ),
});

export const modelSchema: Joi.ObjectSchema = Joi.object({
  name: identifier('Model name').required(),
  table: identifier('Table name (default: the model name lowercased)'),
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

export const specSchema: Joi.ObjectSchema = Joi.object({
  timescale: timescaleMode.default('auto'),
  models: Joi.array()
    .items(modelSchema)
    .required()
    .description('Data models; each becomes a table'),
})
  .required()
  .description('prism.yaml: data models for prism-migrate');
