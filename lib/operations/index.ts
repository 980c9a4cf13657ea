export * from './hypertables/index.js';
export * from './compression/index.js';
export * from './retention/index.js';
export {
  setTimescaleModeOverride,
  effectiveMode,
  TIMESCALE_MODES,
  type TimescaleMode,
} from './mode.js';
export type { TableArg } from './common.js';
