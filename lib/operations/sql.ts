/** The SQL of each operation (with its reverse), as node-pg-migrate's own operations build it. */
import * as hypertables from './hypertables/index.js';
import * as compression from './compression/index.js';
import * as retention from './retention/index.js';
import * as constraints from './constraints/index.js';
import * as reorder from './reorder/index.js';
import * as aggregates from './aggregates/index.js';

export * from './hypertables/index.js';
export * from './compression/index.js';
export * from './retention/index.js';
export * from './constraints/index.js';
export * from './reorder/index.js';
export * from './aggregates/index.js';
export {
  setTimescaleModeOverride,
  effectiveMode,
  TIMESCALE_MODES,
  type TimescaleMode,
} from './mode.js';
export type { TableArg } from './common.js';

/** Every operation by name, as generated migrations call them. */
export const PRISM_OPERATIONS = Object.freeze({
  createHypertable: hypertables.createHypertable,
  revertHypertable: hypertables.revertHypertable,
  setChunkTimeInterval: hypertables.setChunkTimeInterval,
  setIntegerNowFunction: hypertables.setIntegerNowFunction,
  dropIntegerNowFunction: hypertables.dropIntegerNowFunction,
  createDefaultTimeIndex: hypertables.createDefaultTimeIndex,
  dropDefaultTimeIndex: hypertables.dropDefaultTimeIndex,
  enableCompression: compression.enableCompression,
  disableCompression: compression.disableCompression,
  addCompressionPolicy: compression.addCompressionPolicy,
  removeCompressionPolicy: compression.removeCompressionPolicy,
  addRetentionPolicy: retention.addRetentionPolicy,
  removeRetentionPolicy: retention.removeRetentionPolicy,
  addForeignKey: constraints.addForeignKey,
  dropForeignKey: constraints.dropForeignKey,
  addDimension: hypertables.addDimension,
  setNumberPartitions: hypertables.setNumberPartitions,
  addReorderPolicy: reorder.addReorderPolicy,
  removeReorderPolicy: reorder.removeReorderPolicy,
  createContinuousAggregate: aggregates.createContinuousAggregate,
  dropContinuousAggregate: aggregates.dropContinuousAggregate,
  setAggregateRealtime: aggregates.setAggregateRealtime,
  addContinuousAggregatePolicy: aggregates.addContinuousAggregatePolicy,
  removeContinuousAggregatePolicy: aggregates.removeContinuousAggregatePolicy,
  enableAggregateCompression: aggregates.enableAggregateCompression,
  disableAggregateCompression: aggregates.disableAggregateCompression,
  addAggregateCompressionPolicy: aggregates.addAggregateCompressionPolicy,
  removeAggregateCompressionPolicy: aggregates.removeAggregateCompressionPolicy,
  addAggregateRetentionPolicy: aggregates.addAggregateRetentionPolicy,
  removeAggregateRetentionPolicy: aggregates.removeAggregateRetentionPolicy,
});

export type PrismOperationName = keyof typeof PRISM_OPERATIONS;
