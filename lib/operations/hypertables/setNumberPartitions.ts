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
import { checkPartitioning } from './addDimension.js';

export interface SetNumberPartitionsOptions extends TimescaleOption {
  /** The column of the hash dimension. */
  readonly column: string;
  readonly partitions: number;
  /** The number before this change; needed to reverse it. */
  readonly previous?: number | undefined;
}

function forward(table: TableArg, options: SetNumberPartitionsOptions): string {
  checkPartitioning(options, 'setNumberPartitions');
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'hypertable',
    what: `partitions of ${displayName(table)}`,
    declare: LOOKUP_DECLARE,
    // Changes only chunks created from now on.
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'set the number of partitions', table)),
      execTs(
        tsFormat`SELECT ${TS}.set_number_partitions(${regclass(table)}, ${String(options.partitions)}, ${quoteLiteral(options.column)})`,
      ),
    ],
  });
}

export const setNumberPartitions: ReversibleOperation<[TableArg, SetNumberPartitionsOptions]> =
  reversible(forward, (table: TableArg, options: SetNumberPartitionsOptions) => {
    if (options?.previous === undefined) {
      throw new Error(
        'Impossible to reverse setNumberPartitions() without { previous }: pass the number it replaces or write an explicit down',
      );
    }
    return forward(table, {
      column: options.column,
      partitions: options.previous,
      previous: options.partitions,
      timescale: options.timescale,
    });
  });
