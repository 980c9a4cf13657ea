import { reversible, type TableArg } from '../common.js';
import {
  addCompression,
  COMPRESSION,
  removeCompression,
  required,
  type AggregateCompressionPolicyOptions,
} from './policies.js';

/** Reverse: addAggregateCompressionPolicy (with the same `after`). */
export const removeAggregateCompressionPolicy = reversible(
  removeCompression,
  (view: TableArg, o: AggregateCompressionPolicyOptions) =>
    addCompression(view, { ...o, after: required(o?.after, COMPRESSION) }),
);
