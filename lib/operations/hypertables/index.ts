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
  createDefaultTimeIndex,
  dropDefaultTimeIndex,
  type DefaultTimeIndexOptions,
} from './defaultTimeIndex.js';
