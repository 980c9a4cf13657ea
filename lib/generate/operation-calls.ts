/**
 * The TimescaleDB changes as calls of our operations (lib/operations): which operation,
 * on which table, with which options. Generated migrations print the call
 * (`createHypertable(pgm, 't', { … })`, lib/generate/render.ts) and `apply-timescale` runs
 * it (lib/runner/apply-timescale.ts): one mapping, so both do the same.
 */
import { assertNever, type Change, type CompressionSettings } from '../diff/changes.js';
import { DEFAULT_CHUNK_INTERVAL as TIMESCALE_DEFAULT_CHUNK } from '../schema/compile.js';
import { UsageError } from '../errors.js';
import { PRISM_OPERATIONS, type PrismOperationName } from '../operations/sql.js';
import type { TimeAmount, TimescaleMode } from '../spec/types.js';
import type { OrderByTerm } from '../sql/order-by.js';

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
  'addDefaultTimeIndex',
  'dropDefaultTimeIndex',
] as const);

export type TimescaleChange = Extract<Change, { kind: (typeof TIMESCALE_CHANGE_KINDS)[number] }>;

export function isTimescaleChange(c: Change): c is TimescaleChange {
  return (TIMESCALE_CHANGE_KINDS as readonly string[]).includes(c.kind);
}

type CallOf<N extends PrismOperationName> = {
  readonly operation: N;
  readonly table: string;
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

function compressionOptions(settings: CompressionSettings, timescale: TimescaleMode) {
  return { segmentBy: [...settings.segmentBy], orderBy: orderByValue(settings), timescale };
}

/** The call of our operations that carries out `c`. */
export function operationCall(c: TimescaleChange): OperationCall {
  const { table, timescale } = c;
  switch (c.kind) {
    case 'createHypertable':
    case 'revertHypertable': {
      const { timeColumn, chunkInterval, createDefaultIndexes } = c.hypertable;
      const interval = chunkInterval === undefined ? undefined : amount(chunkInterval);
      return c.kind === 'createHypertable'
        ? {
            operation: 'createHypertable',
            table,
            options: {
              timeColumn,
              chunkInterval: interval,
              migrateData: true,
              ...(createDefaultIndexes === false ? { createDefaultIndexes } : {}),
              timescale,
            },
          }
        : {
            operation: 'revertHypertable',
            table,
            options: { timeColumn, chunkInterval: interval, timescale },
          };
    }
    case 'setChunkInterval':
      return {
        operation: 'setChunkTimeInterval',
        table,
        options: {
          chunkInterval: chunkIntervalOrDefault(c.to, c.from, table),
          previous: chunkIntervalOrDefault(c.from, c.to, table),
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
        options: compressionOptions(c.to, timescale),
      };
    case 'addCompressionPolicy':
      return {
        operation: 'addCompressionPolicy',
        table,
        options: { after: amount(c.after), ifNotExists: true, timescale },
      };
    case 'removeCompressionPolicy':
      return {
        operation: 'removeCompressionPolicy',
        table,
        options: { ifExists: true, after: amount(c.after), timescale },
      };
    case 'addRetentionPolicy':
      return {
        operation: 'addRetentionPolicy',
        table,
        options: { dropAfter: amount(c.dropAfter), ifNotExists: true, timescale },
      };
    case 'removeRetentionPolicy':
      return {
        operation: 'removeRetentionPolicy',
        table,
        options: { ifExists: true, dropAfter: amount(c.dropAfter), timescale },
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

/** The SQL the call runs (what a migration holding it would run), statements joined. */
export function operationSql(call: OperationCall): string {
  // Each member of the union pairs an operation with its own options.
  const operation = PRISM_OPERATIONS[call.operation] as (
    table: string,
    options: OperationCall['options'],
  ) => string | string[];
  const sql = operation(call.table, call.options);
  return Array.isArray(sql) ? sql.join(';\n') : sql;
}
