/**
 * How an operation treats TimescaleDB. A migration may pass `timescale` per call; the
 * runner's `--timescale` flag overrides every call for one run.
 */
import { UsageError } from '../errors.js';

export type TimescaleMode = 'auto' | 'require' | 'off';
export const TIMESCALE_MODES: readonly TimescaleMode[] = Object.freeze(['auto', 'require', 'off']);

/**
 * Kept on the global object: a migration file may load its own copy of this module (its
 * loader compiles `prism-migrate/operations` anew), and the runner's override must reach it.
 */
const OVERRIDE = Symbol.for('prism-migrate.timescale-mode-override');
const shared = globalThis as { [OVERRIDE]?: TimescaleMode | undefined };

/** Set by the runner for the duration of one run; `undefined` clears it. */
export function setTimescaleModeOverride(mode: TimescaleMode | undefined): void {
  shared[OVERRIDE] = mode;
}

export function effectiveMode(requested: TimescaleMode | undefined): TimescaleMode {
  const mode = shared[OVERRIDE] ?? requested ?? 'auto';
  if (!TIMESCALE_MODES.includes(mode)) {
    throw new UsageError(`unknown timescale mode ${JSON.stringify(mode)}`, {
      hint: `use one of: ${TIMESCALE_MODES.join(', ')}`,
    });
  }
  return mode;
}
