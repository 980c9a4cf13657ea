import { reversible, type ReversibleOperation, type TableArg } from '../common.js';
import {
  disableAggregateCompressionSql,
  enableAggregateCompressionSql,
  type AggregateCompressionOptions,
} from './compression.js';

/** Decompresses and turns compression off. Reverse (with segmentBy): enableAggregateCompression. */
export const disableAggregateCompression: ReversibleOperation<
  [TableArg, AggregateCompressionOptions]
> = reversible(disableAggregateCompressionSql, enableAggregateCompressionSql);
