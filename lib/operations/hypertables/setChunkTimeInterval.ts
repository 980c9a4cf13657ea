import { intervalSql, type IntervalInput } from '../../sql/interval.js';
import {
  displayName,
  lookupHypertable,
  LOOKUP_DECLARE,
  regclass,
  reversible,
  type TableArg,
  type TimescaleOption,
  whenNotHypertable,
} from '../common.js';
import { execTs, guarded, tsFormat, TS } from '../guard.js';
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import { effectiveMode } from '../mode.js';

export interface SetChunkTimeIntervalOptions
  extends
    TimescaleOption,
    EnvironmentOptions<{ chunkInterval: IntervalInput; previous: IntervalInput }> {
  readonly chunkInterval: IntervalInput;
  /** The interval before this change; needed to reverse it. */
  readonly previous?: IntervalInput | undefined;
}

function forward(table: TableArg, options: SetChunkTimeIntervalOptions): string {
  const interval = intervalSql(options.chunkInterval, 'chunkInterval');
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'hypertable',
    what: `chunk interval of ${displayName(table)}`,
    declare: LOOKUP_DECLARE,
    // Changes only chunks created from now on; existing chunks keep their size.
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'set the chunk interval', table)),
      execTs(tsFormat`SELECT ${TS}.set_chunk_time_interval(${regclass(table)}, ${interval})`),
    ],
  });
}

export const setChunkTimeInterval = byEnvironment(
  reversible(forward, (table: TableArg, options: SetChunkTimeIntervalOptions) => {
    if (options.previous === undefined) {
      throw new Error(
        'Impossible to reverse setChunkTimeInterval() without { previous }: pass the interval it replaces or write an explicit down',
      );
    }
    return forward(table, {
      chunkInterval: options.previous,
      previous: options.chunkInterval,
      timescale: options.timescale,
    });
  }),
);
