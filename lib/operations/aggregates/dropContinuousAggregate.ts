import { reversible, type ReversibleOperation, type TableArg } from '../common.js';
import { createContinuousAggregateSql, dropAggregateSql } from './createContinuousAggregate.js';
import type { CreateContinuousAggregateOptions } from './definition.js';

/**
 * Drops an aggregate view, whichever form it has. The definition (as createContinuousAggregate
 * takes it) lets the reverse create it again; without it there is no reverse.
 */
export const dropContinuousAggregate: ReversibleOperation<
  [TableArg, CreateContinuousAggregateOptions?]
> = reversible(
  (view: TableArg) => dropAggregateSql(view),
  (view: TableArg, options?: CreateContinuousAggregateOptions) => {
    if (options === undefined) {
      throw new Error(
        'Impossible to reverse dropContinuousAggregate() without its definition: pass { source, timeColumn, bucket, groupBy, columns, realtime }, or write an explicit down',
      );
    }
    return createContinuousAggregateSql(view, options);
  },
);
