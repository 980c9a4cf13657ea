export { createHypertable, type CreateHypertableOptions } from './createHypertable.js';
export { revertHypertable, type RevertHypertableOptions } from './revertHypertable.js';
export { setChunkTimeInterval, type SetChunkTimeIntervalOptions } from './setChunkTimeInterval.js';
export {
  setIntegerNowFunction,
  dropIntegerNowFunction,
  integerNowFunctionName,
  type IntegerNowOptions,
} from './setIntegerNowFunction.js';
export {
  addDimension,
  MAX_PARTITIONS,
  type AddDimensionOptions,
  type SpacePartitioningOptions,
} from './addDimension.js';
export { setNumberPartitions, type SetNumberPartitionsOptions } from './setNumberPartitions.js';
export {
  createDefaultTimeIndex,
  dropDefaultTimeIndex,
  type DefaultTimeIndexOptions,
} from './defaultTimeIndex.js';
