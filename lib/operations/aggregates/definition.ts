/**
 * The SELECT of an aggregate view, as a continuous aggregate on TimescaleDB and as the
 * plain (materialized) view that stands in for one elsewhere. Both are `format()`
 * templates run in a DO block once the server and the source's time column type are
 * known: `%1$I` is the TimescaleDB schema, `%2$s` the time column's type.
 */
import { UsageError } from '../../errors.js';
import { AGGREGATE_CALL_HINT, parseAggregateCall } from '../../sql/aggregate-call.js';
import { intervalSql, parseInterval, type IntervalInput } from '../../sql/interval.js';
import { dollarQuote, quoteIdent, quoteLiteral, quoteTable } from '../../sql/quote.js';
import {
  bucketShape,
  fallbackIntegerTimeBucket,
  fallbackNaiveTimeBucket,
  fallbackTimeBucket,
} from '../../sql/time-bucket.js';
import { displayName, type TableArg, type TimescaleOption } from '../common.js';
import { FIND_EXTENSION } from '../guard.js';

export interface AggregateDefinition {
  /** The hypertable, or the aggregate it is built on (same schema). */
  readonly source: TableArg;
  /** The source's time column; `bucket` for an aggregate. */
  readonly timeColumn: string;
  /** The bucket width; a whole number for an integer time column. */
  readonly bucket: IntervalInput;
  readonly groupBy: readonly string[];
  /** Output column → `function(column)`, e.g. `{ avg_temp: 'avg(temperature)' }`. */
  readonly columns: Readonly<Record<string, string>>;
  /** Real-time aggregation (materialized_only = false); default false. */
  readonly realtime?: boolean | undefined;
}

export interface CreateContinuousAggregateOptions extends TimescaleOption, AggregateDefinition {}

/** The name of the bucket column of every aggregate. */
export const BUCKET_COLUMN = 'bucket';

/** Types a time column may have, as pg_catalog.format_type names them. */
export const TIMESTAMPTZ = 'timestamp with time zone';
export const TIMESTAMP = 'timestamp without time zone';
export const DATE = 'date';
export const INTEGER_TYPES = Object.freeze(['smallint', 'integer', 'bigint']);

/**
 * The comment of a view standing in for a continuous aggregate: `jobs run` refreshes the
 * materialized ones it finds by it.
 */
export const STAND_IN_COMMENT =
  'prism-migrate aggregate: stands in for a continuous aggregate where TimescaleDB cannot have one';

/** A template placeholder that quoting cannot produce (quoteIdent refuses NUL). */
const TS_SCHEMA = '\u0000ts\u0000';
const TIME_TYPE = '\u0000type\u0000';

/** A `format()` template of SQL holding the placeholders above. */
function template(sql: string): string {
  return sql.replaceAll('%', '%%').replaceAll(TS_SCHEMA, '%1$I').replaceAll(TIME_TYPE, '%2$s');
}

/** plpgsql running a template of this module. */
export function execTemplate(sql: string): string {
  return `EXECUTE pg_catalog.format(${quoteLiteral(template(sql))}, ts_schema, time_type);`;
}

interface Column {
  readonly name: string;
  readonly function: string;
  readonly argument: string | undefined;
}

export interface CheckedDefinition {
  readonly source: TableArg;
  readonly timeColumn: string;
  readonly bucket: IntervalInput;
  readonly integer: boolean;
  readonly groupBy: readonly string[];
  readonly columns: readonly Column[];
  readonly realtime: boolean;
}

/** Refuses what the view cannot be built from, naming the operation and the view. */
export function checkDefinition(
  operation: string,
  view: TableArg,
  options: AggregateDefinition | undefined,
): CheckedDefinition {
  const where = `${operation}(${displayName(view)})`;
  quoteTable(view);
  if (options === null || typeof options !== 'object') {
    throw new UsageError(`${where} needs { source, timeColumn, bucket, groupBy, columns }`);
  }
  const { source, timeColumn, bucket, groupBy, columns } = options;
  if (source === undefined || source === null) throw new UsageError(`${where} needs { source }`);
  quoteTable(source);
  if (typeof timeColumn !== 'string') throw new UsageError(`${where} needs { timeColumn }`);
  quoteIdent(timeColumn, 'timeColumn');
  if (typeof bucket === 'string') intervalSql(bucket, `${where}: bucket`);
  else if (typeof bucket === 'number' || typeof bucket === 'bigint')
    intervalSql(bucket, `${where}: bucket`);
  else
    throw new UsageError(
      `${where} needs { bucket }: an interval such as '1 hour', or a whole number for an integer time column`,
    );
  if (!Array.isArray(groupBy) || groupBy.some((c) => typeof c !== 'string')) {
    throw new UsageError(`${where}: groupBy must be a list of column names`);
  }
  for (const c of groupBy) quoteIdent(c, 'groupBy column');
  if (columns === null || typeof columns !== 'object' || Array.isArray(columns)) {
    throw new UsageError(`${where} needs { columns }: output column → 'function(column)'`, {
      hint: AGGREGATE_CALL_HINT,
    });
  }
  const parsed: Column[] = [];
  for (const [name, call] of Object.entries(columns)) {
    quoteIdent(name, 'aggregate column name');
    if (name === BUCKET_COLUMN || groupBy.includes(name)) {
      throw new UsageError(
        `${where}: column ${JSON.stringify(name)} is also the ${name === BUCKET_COLUMN ? 'bucket' : 'a groupBy'} column`,
      );
    }
    const p = typeof call === 'string' ? parseAggregateCall(call) : undefined;
    if (p === undefined || !p.ok) {
      throw new UsageError(
        `${where}: column ${JSON.stringify(name)}: ${p === undefined ? 'must be a string' : p.reason}`,
        { hint: AGGREGATE_CALL_HINT },
      );
    }
    if (p.argument !== undefined) quoteIdent(p.argument, 'aggregate argument');
    parsed.push({ name, function: p.function, argument: p.argument });
  }
  if (parsed.length === 0) {
    throw new UsageError(`${where} needs at least one column`, { hint: AGGREGATE_CALL_HINT });
  }
  const realtime = options.realtime ?? false;
  if (typeof realtime !== 'boolean')
    throw new UsageError(`${where}: realtime must be true or false`);
  return {
    source,
    timeColumn,
    bucket,
    integer: typeof bucket !== 'string',
    groupBy: [...groupBy],
    columns: parsed,
    realtime,
  };
}

/** How the SELECT is built: on TimescaleDB, or in plain SQL for one time column type. */
export type Dialect =
  { readonly kind: 'timescale' } | { readonly kind: 'plain'; readonly timeType: string };

function widthSql(def: CheckedDefinition): string {
  return def.integer
    ? `CAST(${intervalSql(def.bucket, 'bucket')} AS ${TIME_TYPE})`
    : intervalSql(def.bucket, 'bucket');
}

function bucketSql(def: CheckedDefinition, dialect: Dialect): string {
  const t = quoteIdent(def.timeColumn);
  const w = widthSql(def);
  if (dialect.kind === 'timescale') return `${TS_SCHEMA}.time_bucket(${w}, ${t})`;
  if (def.integer) return fallbackIntegerTimeBucket(t, w);
  const parsed = parseInterval(def.bucket);
  if (!parsed.ok) throw new UsageError(`bucket: ${parsed.reason}`, { hint: parsed.hint });
  const shape = bucketShape(parsed.interval);
  if (dialect.timeType === TIMESTAMPTZ) return fallbackTimeBucket(shape, t, () => w);
  if (dialect.timeType === DATE)
    return `(${fallbackNaiveTimeBucket(shape, `(${t})::timestamp`, () => w)})::date`;
  return fallbackNaiveTimeBucket(shape, t, () => w);
}

function columnSql(def: CheckedDefinition, column: Column, dialect: Dialect): string {
  const t = quoteIdent(def.timeColumn);
  const argument = column.argument === undefined ? '*' : quoteIdent(column.argument);
  if (column.function === 'first' || column.function === 'last') {
    if (dialect.kind === 'timescale') return `${TS_SCHEMA}.${column.function}(${argument}, ${t})`;
    // TimescaleDB's first/last ignore rows without a time.
    return `(array_agg(${argument} ORDER BY ${t} ${column.function === 'first' ? 'ASC' : 'DESC'}) FILTER (WHERE ${t} IS NOT NULL))[1]`;
  }
  return `${column.function}(${argument})`;
}

/** `SELECT <bucket> AS bucket, <groups>, <columns> FROM <source> GROUP BY 1, 2, …`. */
export function selectSql(def: CheckedDefinition, dialect: Dialect): string {
  const outputs = [
    `${bucketSql(def, dialect)} AS ${quoteIdent(BUCKET_COLUMN)}`,
    ...def.groupBy.map((c) => quoteIdent(c)),
    ...def.columns.map((c) => `${columnSql(def, c, dialect)} AS ${quoteIdent(c.name)}`),
  ];
  const groups = Array.from({ length: def.groupBy.length + 1 }, (_, i) => String(i + 1));
  return `SELECT ${outputs.join(', ')} FROM ${quoteTable(def.source)} GROUP BY ${groups.join(', ')}`;
}

/** The continuous aggregate, empty; `refresh_continuous_aggregate` fills it after commit. */
export function createContinuousSql(view: TableArg, def: CheckedDefinition): string {
  return `CREATE MATERIALIZED VIEW ${quoteTable(view)} WITH (timescaledb.continuous, timescaledb.materialized_only = ${String(!def.realtime)}) AS ${selectSql(def, { kind: 'timescale' })} WITH NO DATA`;
}

/** plpgsql: the stand-in view (realtime) or materialized view, with its comment. */
export function createStandInSql(
  view: TableArg,
  def: CheckedDefinition,
  timeType: string,
): string[] {
  const select = selectSql(def, { kind: 'plain', timeType });
  return standInStatements(view, def.realtime, select);
}

/** plpgsql creating the stand-in for `select` (SQL; `%` in it is kept as is). */
export function standInStatements(view: TableArg, realtime: boolean, select: string): string[] {
  const create = realtime
    ? `CREATE VIEW ${quoteTable(view)} AS ${select}`
    : `CREATE MATERIALIZED VIEW ${quoteTable(view)} AS ${select} WITH NO DATA`;
  const comment = `COMMENT ON ${realtime ? 'VIEW' : 'MATERIALIZED VIEW'} ${quoteTable(view)} IS ${quoteLiteral(STAND_IN_COMMENT)}`;
  return [execTemplate(create), execTemplate(comment)];
}

/** DECLARE lines every aggregate block has. */
const BLOCK_DECLARE = Object.freeze([
  'ts_schema text;',
  'ts_version int[];',
  'ts_version_text text;',
  'ts_license text;',
  'time_type text;',
  'agg_reg pg_catalog.regclass;',
  'agg_schema text;',
  'agg_name text;',
  'agg_kind "char";',
  'is_continuous boolean := false;',
]);

/**
 * A DO block that knows the server: `ts_schema` (NULL without TimescaleDB), `ts_version`,
 * `ts_license`. The extension is only looked up, never created: an aggregate reads a
 * hypertable that made it.
 */
export function aggregateBlock(declare: readonly string[], body: readonly string[]): string {
  const lines = [
    'DECLARE',
    ...[...BLOCK_DECLARE, ...declare].map((d) => `  ${d}`),
    'BEGIN',
    ...FIND_EXTENSION,
    "  ts_license := pg_catalog.current_setting('timescaledb.license', true);",
    ...body.map((b) => `  ${b}`),
    'END',
  ];
  return `DO ${dollarQuote(`\n${lines.join('\n')}\n`)};`;
}

/**
 * plpgsql: `agg_reg`, `agg_schema`, `agg_name`, `agg_kind` of the view (NULL when it
 * does not exist) and `is_continuous` when it is a continuous aggregate.
 */
export function lookupView(view: TableArg): string[] {
  return [
    `agg_reg := pg_catalog.to_regclass(${quoteLiteral(quoteTable(view))});`,
    'SELECT n.nspname, c.relname, c.relkind INTO agg_schema, agg_name, agg_kind FROM pg_catalog.pg_class c',
    '  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = agg_reg;',
    'IF ts_schema IS NOT NULL AND agg_reg IS NOT NULL THEN',
    '  SELECT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates a',
    '    WHERE a.view_schema = agg_schema AND a.view_name = agg_name) INTO is_continuous;',
    'END IF;',
  ];
}

/** Why a continuous aggregate cannot be had here (a text expression), for messages. */
export const LICENSE_REASON =
  'the TimescaleDB build here is Apache-only (timescaledb.license is not "timescale"); continuous aggregates need the Timescale License build';
