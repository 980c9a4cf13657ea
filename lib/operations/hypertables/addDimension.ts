import { UsageError } from '../../errors.js';
import { quoteLiteral } from '../../sql/quote.js';
import {
  displayName,
  lookupHypertable,
  LOOKUP_DECLARE,
  regclass,
  reversible,
  type ReversibleOperation,
  type TableArg,
  type TimescaleOption,
  whenNotHypertable,
} from '../common.js';
import { execTs, guarded, tsFormat, TS } from '../guard.js';
import { effectiveMode } from '../mode.js';

/** A hash (space) dimension: rows are spread over `partitions` by a hash of `column`. */
export interface SpacePartitioningOptions {
  readonly column: string;
  readonly partitions: number;
}

export interface AddDimensionOptions extends TimescaleOption, SpacePartitioningOptions {}

/** TimescaleDB's bounds on the number of partitions of a space dimension. */
export const MAX_PARTITIONS = 32767;

export function checkPartitioning(p: SpacePartitioningOptions | undefined, what: string): void {
  if (
    !p ||
    typeof p.column !== 'string' ||
    p.column === '' ||
    !Number.isInteger(p.partitions) ||
    p.partitions < 1 ||
    p.partitions > MAX_PARTITIONS
  ) {
    throw new UsageError(
      `${what} needs { column, partitions }: a column name and an integer from 1 to ${MAX_PARTITIONS}`,
    );
  }
}

/**
 * plpgsql lines adding the hash dimension: `by_hash` from 2.13, the named-argument form
 * before. An existing dimension on the column is kept when its partitions agree and
 * refused otherwise (setNumberPartitions changes them).
 */
export function addDimensionLines(table: TableArg, p: SpacePartitioningOptions): string[] {
  const column = quoteLiteral(p.column);
  const rel = regclass(table);
  const n = String(p.partitions);
  const name = displayName(table);
  return [
    'SELECT d.num_partitions INTO existing_partitions FROM timescaledb_information.dimensions d',
    `  WHERE d.hypertable_schema = rel_schema AND d.hypertable_name = rel_name AND d.column_name = ${column};`,
    'IF FOUND THEN',
    `  IF existing_partitions IS DISTINCT FROM ${n} THEN`,
    `    RAISE EXCEPTION USING MESSAGE = pg_catalog.format(${quoteLiteral(`prism: ${name.replaceAll('%', '%%')} already has a dimension on ${p.column.replaceAll('%', '%%')} with %s partitions, not ${n}`)}, COALESCE(existing_partitions::text, 'no')),`,
    `      HINT = 'change the number of partitions with setNumberPartitions';`,
    '  END IF;',
    `  RAISE NOTICE '%', ${quoteLiteral(`prism: ${name} is already partitioned by ${p.column} into ${n} partitions, skipping`)};`,
    'ELSE',
    // by_hash and the generic add_dimension exist since 2.13.
    '  IF ts_version >= ARRAY[2, 13] THEN',
    `    ${execTs(tsFormat`SELECT ${TS}.add_dimension(${rel}, ${TS}.by_hash(${column}, ${n}))`)}`,
    '  ELSE',
    `    ${execTs(tsFormat`SELECT ${TS}.add_dimension(${rel}, ${column}, number_partitions => ${n})`)}`,
    '  END IF;',
    'END IF;',
  ];
}

export const ADD_DIMENSION_DECLARE = Object.freeze(['existing_partitions int;']);

function forward(table: TableArg, options: AddDimensionOptions): string {
  checkPartitioning(options, 'addDimension');
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'hypertable',
    what: `space partitioning of ${displayName(table)}`,
    declare: [...LOOKUP_DECLARE, ...ADD_DIMENSION_DECLARE],
    // Chunks already there keep covering every hash value; new chunks are split.
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'add space partitioning', table)),
      ...addDimensionLines(table, options),
    ],
  });
}

/**
 * Adds a hash dimension to a hypertable. TimescaleDB cannot remove a dimension, so there
 * is no reverse: revertHypertable and createHypertable without it rebuild the table.
 */
export const addDimension: ReversibleOperation<[TableArg, AddDimensionOptions]> = reversible(
  forward,
  () => {
    throw new Error(
      'Impossible to reverse addDimension(): TimescaleDB cannot remove a dimension; rebuild the table instead (revertHypertable, then createHypertable without it)',
    );
  },
);
