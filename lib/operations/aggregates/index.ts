export { createContinuousAggregate } from './createContinuousAggregate.js';
export { dropContinuousAggregate } from './dropContinuousAggregate.js';
export type { AggregateDefinition, CreateContinuousAggregateOptions } from './definition.js';
export { setAggregateRealtime, type SetAggregateRealtimeOptions } from './setAggregateRealtime.js';
export {
  addContinuousAggregatePolicy,
  type ContinuousAggregatePolicyOptions,
  type RefreshPolicyValues,
} from './addContinuousAggregatePolicy.js';
export {
  removeContinuousAggregatePolicy,
  type RemoveContinuousAggregatePolicyOptions,
} from './removeContinuousAggregatePolicy.js';
export { enableAggregateCompression } from './enableAggregateCompression.js';
export { disableAggregateCompression } from './disableAggregateCompression.js';
export type { AggregateCompressionOptions } from './compression.js';
export { addAggregateCompressionPolicy } from './addAggregateCompressionPolicy.js';
export { removeAggregateCompressionPolicy } from './removeAggregateCompressionPolicy.js';
export { addAggregateRetentionPolicy } from './addAggregateRetentionPolicy.js';
export { removeAggregateRetentionPolicy } from './removeAggregateRetentionPolicy.js';
export type {
  AggregateCompressionPolicyOptions,
  AggregateRetentionPolicyOptions,
} from './policies.js';
