import { reversible, type ReversibleOperation, type TableArg } from '../common.js';
import {
  disableAggregateCompressionSql,
  enableAggregateCompressionSql,
  type AggregateCompressionOptions,
} from './compression.js';

/** Compresses the aggregate's materialized data. Reverse: disableAggregateCompression. */
export const enableAggregateCompression: ReversibleOperation<
  [TableArg, AggregateCompressionOptions]
> = reversible(
  enableAggregateCompressionSql,
  (view: TableArg, options: AggregateCompressionOptions) =>
    disableAggregateCompressionSql(view, options),
);
