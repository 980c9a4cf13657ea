/**
 * The TimescaleDB changes as calls of our operations (lib/operations): which operation,
 * on which table, with which options. Generated migrations print the call
 * (`createHypertable(pgm, 't', { … })`, lib/generate/render.ts) and `apply-timescale` runs
 * it (lib/runner/apply-timescale.ts): one mapping, so both do the same.
 */
import {
  assertNever,
  type ByEnvironment,
  type Change,
  type CompressionSettings,
} from '../diff/changes.js';
import { DEFAULT_CHUNK_INTERVAL as TIMESCALE_DEFAULT_CHUNK } from '../schema/compile.js';
import { UsageError } from '../errors.js';
import type { TableArg } from '../operations/common.js';
import { PRISM_OPERATIONS, type PrismOperationName } from '../operations/sql.js';
import type { AggregateRefresh, TimeAmount, TimescaleMode } from '../spec/types.js';
import type { OrderByTerm } from '../sql/order-by.js';
import { amountText } from '../spec/time-amount.js';
import { aggregateCallText } from '../sql/aggregate-call.js';

/**
 * What TimescaleDB uses when a hypertable is created without a chunk interval, for a
 * timestamp or date time column. A `setChunkInterval` whose side is `undefined` means
 * "the default", and the change does not carry the column type: integer time columns
 * have no default (TimescaleDB requires an explicit interval), so an integer on the other
 * side is refused rather than guessed.
 */
export const DEFAULT_CHUNK_INTERVAL = TIMESCALE_DEFAULT_CHUNK.interval.text;

/** The kinds of change one of our operations carries out. */
export const TIMESCALE_CHANGE_KINDS = Object.freeze([
  'createHypertable',
  'revertHypertable',
  'setChunkInterval',
  'enableCompression',
  'disableCompression',
  'alterCompression',
  'addCompressionPolicy',
  'removeCompressionPolicy',
  'addRetentionPolicy',
  'removeRetentionPolicy',
  'setIntegerNow',
  'dropIntegerNow',
  'setNumberPartitions',
  'addReorderPolicy',
  'removeReorderPolicy',
  'addDefaultTimeIndex',
  'dropDefaultTimeIndex',
] as const);

export type TimescaleChange = Extract<Change, { kind: (typeof TIMESCALE_CHANGE_KINDS)[number] }>;

export function isTimescaleChange(c: Change): c is TimescaleChange {
  return (TIMESCALE_CHANGE_KINDS as readonly string[]).includes(c.kind);
}

type CallOf<N extends PrismOperationName> = {
  readonly operation: N;
  readonly table: TableArg;
  readonly options: NonNullable<Parameters<(typeof PRISM_OPERATIONS)[N]>[1]>;
};

/** `PRISM_OPERATIONS[operation](table, options)`. */
export type OperationCall = { [N in PrismOperationName]: CallOf<N> }[PrismOperationName];

/** A TimeAmount as an operation argument: interval text, or a whole number of units. */
function amount(a: TimeAmount): string | number | bigint {
  if (a.kind === 'interval') return a.interval.text;
  const n = Number(a.value);
  return Number.isSafeInteger(n) ? n : a.value;
}

type Amount = ReturnType<typeof amount>;

/**
 * `{ environments: { development: { after: '2 days' } } }`: the values an operation uses
 * instead of the ones beside them when it runs in that environment; nothing when none differ.
 */
function environmentsOption<V>(
  names: readonly string[],
  value: (environment: string) => V,
): { environments?: Record<string, V> } {
  if (names.length === 0) return {};
  return { environments: Object.fromEntries([...names].sort().map((e) => [e, value(e)])) };
}

function namesOf(...maps: (ByEnvironment | undefined)[]): string[] {
  return [...new Set(maps.flatMap((m) => Object.keys(m ?? {})))];
}

function amountsOption<K extends string>(
  key: K,
  map: ByEnvironment | undefined,
): { environments?: Record<string, Record<K, Amount>> } {
  return environmentsOption(
    namesOf(map),
    (e) => ({ [key]: amount(map?.[e] as TimeAmount) }) as Record<K, Amount>,
  );
}

function chunkIntervalOrDefault(
  a: TimeAmount | undefined,
  other: TimeAmount | undefined,
  table: string,
): string | number | bigint {
  if (a !== undefined) return amount(a);
  if (other?.kind === 'integer') {
    throw new UsageError(
      `the chunk interval of ${table} cannot go back to a default: its time column is an integer`,
      {
        hint: 'TimescaleDB has no default chunk interval for integer time columns; set timeseries.chunk_interval',
      },
    );
  }
  return DEFAULT_CHUNK_INTERVAL;
}

/** `ts DESC NULLS LAST`; the object form where a column name would not survive the text grammar. */
function orderByValue(settings: CompressionSettings): (string | OrderByTerm)[] {
  return settings.orderBy.map((t) => {
    const text = `${t.column} ${t.direction}${t.nulls ? ` NULLS ${t.nulls}` : ''}`;
    return /^\S+$/.test(t.column)
      ? text
      : { column: t.column, direction: t.direction, nulls: t.nulls };
  });
}

/**
 * The settings as enableCompression's options. With `from` (a change of settings), what
 * `from` had and `settings` drops is cleared: a compression chunk interval (null) or the
 * sparse indexes (an empty list).
 */
function compressionOptions(
  settings: CompressionSettings,
  timescale: TimescaleMode,
  from?: CompressionSettings,
) {
  const chunkInterval = settings.chunkInterval
    ? amountText(settings.chunkInterval)
    : from?.chunkInterval
      ? null
      : undefined;
  const sparseIndexes = settings.sparseIndexes?.length
    ? settings.sparseIndexes.map((i) => ({ column: i.column, type: i.type }))
    : from?.sparseIndexes?.length
      ? []
      : undefined;
  return {
    segmentBy: [...settings.segmentBy],
    orderBy: orderByValue(settings),
    ...(chunkInterval !== undefined ? { chunkInterval } : {}),
    ...(sparseIndexes !== undefined ? { sparseIndexes } : {}),
    timescale,
  };
}

/** A name of the change's schema: `{ schema, name }` outside `public`. */
function inSchema(name: string, schema: string | undefined): TableArg {
  return schema === undefined ? name : { schema, name };
}

/** The call of our operations that carries out `c`. */
export function operationCall(c: TimescaleChange): OperationCall {
  const { timescale } = c;
  // Outside `public`, `{ schema, name }`: the operations qualify every statement with it.
  const table = inSchema(c.table, c.schema);
  switch (c.kind) {
    case 'createHypertable':
    case 'revertHypertable': {
      const {
        timeColumn,
        chunkInterval,
        chunkIntervalByEnvironment,
        partitioning,
        createDefaultIndexes,
      } = c.hypertable;
      const interval = chunkInterval === undefined ? undefined : amount(chunkInterval);
      const environments = amountsOption('chunkInterval', chunkIntervalByEnvironment);
      const space = partitioning
        ? { partitioning: { column: partitioning.column, partitions: partitioning.partitions } }
        : {};
      return c.kind === 'createHypertable'
        ? {
            operation: 'createHypertable',
            table,
            options: {
              timeColumn,
              chunkInterval: interval,
              ...environments,
              ...space,
              migrateData: true,
              ...(createDefaultIndexes === false ? { createDefaultIndexes } : {}),
              timescale,
            },
          }
        : {
            operation: 'revertHypertable',
            table,
            options: { timeColumn, chunkInterval: interval, ...space, ...environments, timescale },
          };
    }
    case 'setChunkInterval':
      return {
        operation: 'setChunkTimeInterval',
        table,
        options: {
          chunkInterval: chunkIntervalOrDefault(c.to, c.from, c.table),
          previous: chunkIntervalOrDefault(c.from, c.to, c.table),
          ...environmentsOption(namesOf(c.fromByEnvironment, c.toByEnvironment), (e) => {
            const to = c.toByEnvironment?.[e] ?? c.to;
            const from = c.fromByEnvironment?.[e] ?? c.from;
            return {
              chunkInterval: chunkIntervalOrDefault(to, from, c.table),
              previous: chunkIntervalOrDefault(from, to, c.table),
            };
          }),
          timescale,
        },
      };
    case 'enableCompression':
      return {
        operation: 'enableCompression',
        table,
        options: compressionOptions(c.settings, timescale),
      };
    case 'disableCompression':
      return {
        operation: 'disableCompression',
        table,
        options: compressionOptions(c.settings, timescale),
      };
    case 'alterCompression':
      return {
        operation: 'enableCompression',
        table,
        options: compressionOptions(c.to, timescale, c.from),
      };
    case 'addCompressionPolicy':
      return {
        operation: 'addCompressionPolicy',
        table,
        options: {
          after: amount(c.after),
          ...amountsOption('after', c.afterByEnvironment),
          ifNotExists: true,
          timescale,
        },
      };
    case 'removeCompressionPolicy':
      return {
        operation: 'removeCompressionPolicy',
        table,
        options: {
          ifExists: true,
          after: amount(c.after),
          ...amountsOption('after', c.afterByEnvironment),
          timescale,
        },
      };
    case 'addRetentionPolicy':
      return {
        operation: 'addRetentionPolicy',
        table,
        options: {
          dropAfter: amount(c.dropAfter),
          ...amountsOption('dropAfter', c.dropAfterByEnvironment),
          ifNotExists: true,
          timescale,
        },
      };
    case 'removeRetentionPolicy':
      return {
        operation: 'removeRetentionPolicy',
        table,
        options: {
          ifExists: true,
          dropAfter: amount(c.dropAfter),
          ...amountsOption('dropAfter', c.dropAfterByEnvironment),
          timescale,
        },
      };
    case 'setNumberPartitions':
      return {
        operation: 'setNumberPartitions',
        table,
        options: { column: c.column, partitions: c.to, previous: c.from, timescale },
      };
    case 'addReorderPolicy':
      return { operation: 'addReorderPolicy', table, options: { index: c.index, timescale } };
    case 'removeReorderPolicy':
      return {
        operation: 'removeReorderPolicy',
        table,
        options: { ifExists: true, index: c.index, timescale },
      };
    case 'setIntegerNow':
    case 'dropIntegerNow': {
      const { timeColumn, columnType, unit } = c;
      return {
        operation: c.kind === 'setIntegerNow' ? 'setIntegerNowFunction' : 'dropIntegerNowFunction',
        table,
        options: { timeColumn, columnType, unit, timescale },
      };
    }
    case 'addDefaultTimeIndex':
    case 'dropDefaultTimeIndex':
      return {
        operation:
          c.kind === 'addDefaultTimeIndex' ? 'createDefaultTimeIndex' : 'dropDefaultTimeIndex',
        table,
        options: { timeColumn: c.timeColumn, timescale },
      };
    default:
      return assertNever(c);
  }
}

// ---------------------------------------------------------------------------------------
// Continuous aggregates

/** The kinds of change one of the aggregate operations carries out. */
export const AGGREGATE_CHANGE_KINDS = Object.freeze([
  'createContinuousAggregate',
  'dropContinuousAggregate',
  'setAggregateRealtime',
  'addContinuousAggregatePolicy',
  'removeContinuousAggregatePolicy',
  'enableAggregateCompression',
  'disableAggregateCompression',
  'addAggregateCompressionPolicy',
  'removeAggregateCompressionPolicy',
  'addAggregateRetentionPolicy',
  'removeAggregateRetentionPolicy',
] as const);

export type AggregateChange = Extract<Change, { kind: (typeof AGGREGATE_CHANGE_KINDS)[number] }>;

export function isAggregateChange(c: Change): c is AggregateChange {
  return (AGGREGATE_CHANGE_KINDS as readonly string[]).includes(c.kind);
}

export type AggregateOperationName = (typeof AGGREGATE_CHANGE_KINDS)[number];

/** The options of each aggregate operation (`operation(pgm, view, options)`). */
export type AggregateOperationOptions = {
  [N in AggregateOperationName]: NonNullable<Parameters<(typeof PRISM_OPERATIONS)[N]>[1]>;
};

/** `operation(pgm, table, options)` for a change of a continuous aggregate. */
export type AggregateOperationCall = {
  [N in AggregateOperationName]: {
    readonly operation: N;
    readonly table: TableArg;
    readonly options: AggregateOperationOptions[N];
  };
}[AggregateOperationName];

/** The call of the aggregate operations that carries out `c`. */
export function aggregateOperationCall(c: AggregateChange): AggregateOperationCall {
  const { timescale } = c;
  switch (c.kind) {
    case 'createContinuousAggregate':
    case 'dropContinuousAggregate': {
      const a = c.aggregate;
      const options: AggregateOperationOptions['createContinuousAggregate'] = {
        source: inSchema(a.source.name, c.schema),
        timeColumn: a.source.kind === 'table' ? a.source.timeColumn : 'bucket',
        bucket: amount(a.bucket),
        groupBy: [...a.groupBy],
        columns: Object.fromEntries(a.columns.map((col) => [col.name, aggregateCallText(col)])),
        realtime: a.realtime,
        timescale,
      };
      const table = inSchema(a.name, c.schema);
      return c.kind === 'createContinuousAggregate'
        ? { operation: 'createContinuousAggregate', table, options }
        : { operation: 'dropContinuousAggregate', table, options };
    }
    case 'setAggregateRealtime':
      return {
        operation: 'setAggregateRealtime',
        table: inSchema(c.view, c.schema),
        options: { realtime: c.to, previous: c.from, timescale },
      };
    case 'addContinuousAggregatePolicy':
    case 'removeContinuousAggregatePolicy': {
      const offset = (a: TimeAmount | null) => (a === null ? null : amount(a));
      const values = (r: AggregateRefresh) => ({
        startOffset: offset(r.startOffset),
        endOffset: offset(r.endOffset),
        scheduleInterval: r.scheduleInterval.text,
      });
      const byEnvironment = c.refreshByEnvironment;
      const options: AggregateOperationOptions['addContinuousAggregatePolicy'] = {
        ...values(c.refresh),
        ...environmentsOption(Object.keys(byEnvironment ?? {}), (e) =>
          values(byEnvironment?.[e] as AggregateRefresh),
        ),
        timescale,
      };
      const table = inSchema(c.view, c.schema);
      return c.kind === 'addContinuousAggregatePolicy'
        ? { operation: 'addContinuousAggregatePolicy', table, options }
        : { operation: 'removeContinuousAggregatePolicy', table, options };
    }
    case 'enableAggregateCompression':
    case 'disableAggregateCompression':
      return {
        operation: c.kind,
        table: inSchema(c.view, c.schema),
        options: { segmentBy: [...c.segmentBy], timescale },
      };
    case 'addAggregateCompressionPolicy':
    case 'removeAggregateCompressionPolicy':
      return {
        operation: c.kind,
        table: inSchema(c.view, c.schema),
        options: { after: amount(c.after), timescale },
      };
    case 'addAggregateRetentionPolicy':
    case 'removeAggregateRetentionPolicy':
      return {
        operation: c.kind,
        table: inSchema(c.view, c.schema),
        options: { dropAfter: amount(c.dropAfter), timescale },
      };
    default:
      return assertNever(c);
  }
}

/** The SQL the call runs (what a migration holding it would run), statements joined. */
export function operationSql(call: OperationCall): string {
  // Each member of the union pairs an operation with its own options.
  const operation = PRISM_OPERATIONS[call.operation] as (
    table: TableArg,
    options: OperationCall['options'],
  ) => string | string[];
  const sql = operation(call.table, call.options);
  return Array.isArray(sql) ? sql.join(';\n') : sql;
}
