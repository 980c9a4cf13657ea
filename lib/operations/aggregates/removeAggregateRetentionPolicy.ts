import { reversible, type TableArg } from '../common.js';
import {
  addRetention,
  removeRetention,
  required,
  RETENTION,
  type AggregateRetentionPolicyOptions,
} from './policies.js';

/** Reverse: addAggregateRetentionPolicy (with the same `dropAfter`). */
export const removeAggregateRetentionPolicy = reversible(
  removeRetention,
  (view: TableArg, o: AggregateRetentionPolicyOptions) =>
    addRetention(view, { ...o, dropAfter: required(o?.dropAfter, RETENTION) }),
);
