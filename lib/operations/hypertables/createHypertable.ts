import { intervalSql, type IntervalInput } from '../../sql/interval.js';
import { quoteLiteral } from '../../sql/quote.js';
import {
  reversible,
  type ReversibleOperation,
  regclass,
  displayName,
  lookupHypertable,
  LOOKUP_DECLARE,
  type TableArg,
  type TimescaleOption,
} from '../common.js';
import { execTs, guarded, tsFormat, TS } from '../guard.js';
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import { effectiveMode } from '../mode.js';
import { noteNewHypertable } from '../retention-loss-guard.js';
import { revertHypertable } from './revertHypertable.js';
import {
  ADD_DIMENSION_DECLARE,
  addDimensionLines,
  checkPartitioning,
  type SpacePartitioningOptions,
} from './addDimension.js';

export interface CreateHypertableOptions
  extends TimescaleOption, EnvironmentOptions<{ chunkInterval: IntervalInput }> {
  readonly timeColumn: string;
  /** Interval text (`1 day`) or, for integer time columns, a whole number of units. */
  readonly chunkInterval?: IntervalInput | undefined;
  /** Skip (with a NOTICE) when the table already is a hypertable. Default false. */
  readonly ifNotExists?: boolean | undefined;
  /** Move existing rows into chunks (rewrites every row, under lock). Default true. */
  readonly migrateData?: boolean | undefined;
  /** A hash dimension added with it (rows already there stay in their chunks). */
  readonly partitioning?: SpacePartitioningOptions | undefined;
  /** false: no default `(time DESC)` index (`create_default_indexes => false`). Default true. */
  readonly createDefaultIndexes?: boolean | undefined;
}

function forward(table: TableArg, options: CreateHypertableOptions): string {
  if (!options || typeof options.timeColumn !== 'string') {
    throw new TypeError('createHypertable(table, { timeColumn }) needs the time column name');
  }
  const column = quoteLiteral(options.timeColumn);
  const interval =
    options.chunkInterval === undefined
      ? undefined
      : intervalSql(options.chunkInterval, 'chunkInterval');
  const defaults =
    options.createDefaultIndexes === false ? ', create_default_indexes => false' : '';
  const flags = `if_not_exists => ${options.ifNotExists === true}, migrate_data => ${options.migrateData !== false}${defaults}`;
  if (options.partitioning !== undefined)
    checkPartitioning(options.partitioning, 'createHypertable');
  const rel = regclass(table);
  const generic = interval
    ? tsFormat`SELECT ${TS}.create_hypertable(${rel}, ${TS}.by_range(${column}, ${interval}), ${flags})`
    : tsFormat`SELECT ${TS}.create_hypertable(${rel}, ${TS}.by_range(${column}), ${flags})`;
  const legacy = interval
    ? tsFormat`SELECT ${TS}.create_hypertable(${rel}, ${column}, chunk_time_interval => ${interval}, ${flags})`
    : tsFormat`SELECT ${TS}.create_hypertable(${rel}, ${column}, ${flags})`;
  return guarded({
    mode: effectiveMode(options.timescale),
    feature: 'hypertable',
    what: `hypertable ${displayName(table)}`,
    ensureExtension: true,
    ...(options.partitioning ? { declare: [...LOOKUP_DECLARE, ...ADD_DIMENSION_DECLARE] } : {}),
    body: [
      // by_range and the generic create_hypertable exist since 2.13.
      'IF ts_version >= ARRAY[2, 13] THEN',
      `  ${execTs(generic)}`,
      'ELSE',
      `  ${execTs(legacy)}`,
      'END IF;',
      ...(options.partitioning
        ? [
            ...lookupHypertable(
              table,
              `RAISE EXCEPTION ${quoteLiteral(`prism: ${displayName(table).replaceAll('%', '%%')} did not become a hypertable`)};`,
            ),
            ...addDimensionLines(table, options.partitioning),
          ]
        : []),
      noteNewHypertable(table),
    ],
  });
}

/**
 * Makes a table a hypertable. Its reverse turns the hypertable back into a plain table
 * (there is no TimescaleDB function for that; see revertHypertable).
 */
export const createHypertable: ReversibleOperation<[TableArg, CreateHypertableOptions]> =
  byEnvironment(
    reversible(forward, (table: TableArg, options: CreateHypertableOptions): string | string[] =>
      revertHypertable(table, { timescale: options?.timescale }),
    ),
  );
