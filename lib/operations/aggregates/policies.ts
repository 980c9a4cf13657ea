/**
 * Compression and retention policies of a continuous aggregate: the hypertable policies'
 * SQL (policy.ts) on the aggregate's view. TimescaleDB 2.12 wants the refresh policy first.
 */
import type { IntervalInput } from '../../sql/interval.js';
import { type TableArg } from '../common.js';
import {
  addPolicySql,
  cannotReverseRemove,
  COMPRESSION_POLICY,
  removePolicySql,
  RETENTION_POLICY,
  type PolicyKind,
} from '../policy.js';
import type { TimescaleOption } from '../common.js';
import { AGGREGATE_TARGET } from './target.js';

export interface AggregateCompressionPolicyOptions extends TimescaleOption {
  /** Compress materialized chunks whose buckets are older than this. */
  readonly after: IntervalInput;
}

export interface AggregateRetentionPolicyOptions extends TimescaleOption {
  /** Drop materialized chunks whose buckets are older than this. */
  readonly dropAfter: IntervalInput;
}

const ON_AGGREGATE = (kind: PolicyKind, add: string, remove: string): PolicyKind =>
  Object.freeze({ ...kind, addOperation: add, removeOperation: remove });

export const COMPRESSION = ON_AGGREGATE(
  COMPRESSION_POLICY,
  'addAggregateCompressionPolicy',
  'removeAggregateCompressionPolicy',
);
export const RETENTION = ON_AGGREGATE(
  RETENTION_POLICY,
  'addAggregateRetentionPolicy',
  'removeAggregateRetentionPolicy',
);

export function required(value: unknown, kind: PolicyKind): IntervalInput {
  if (value === undefined) cannotReverseRemove(kind);
  return value as IntervalInput;
}

export const addCompression = (view: TableArg, o: AggregateCompressionPolicyOptions) =>
  addPolicySql(COMPRESSION, view, o?.after, { timescale: o?.timescale }, AGGREGATE_TARGET);
export const removeCompression = (view: TableArg, o: AggregateCompressionPolicyOptions) =>
  removePolicySql(COMPRESSION, view, { timescale: o?.timescale }, AGGREGATE_TARGET);
export const addRetention = (view: TableArg, o: AggregateRetentionPolicyOptions) =>
  addPolicySql(RETENTION, view, o?.dropAfter, { timescale: o?.timescale }, AGGREGATE_TARGET);
export const removeRetention = (view: TableArg, o: AggregateRetentionPolicyOptions) =>
  removePolicySql(RETENTION, view, { timescale: o?.timescale }, AGGREGATE_TARGET);
