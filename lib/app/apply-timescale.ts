/**
 * `apply-timescale`: the TimescaleDB steps that applied migrations skipped while
 * TimescaleDB was missing, applied now (see lib/runner/apply-timescale.ts).
 */
import {
  applyTimescale as applyMissingSteps,
  type ApplyTimescaleOptions as RunnerOptions,
  type ApplyTimescaleResult as RunnerResult,
} from '../runner/apply-timescale.js';
import { withDatabase, type DatabaseOptions } from './database.js';

export type ApplyTimescaleOptions = DatabaseOptions & Omit<RunnerOptions, 'url' | 'log'>;

export interface ApplyTimescaleResult extends RunnerResult {
  /** Which database, e.g. the server's address or the embedded database's directory. */
  readonly database: string;
}

/**
 * Read-only until there is something to apply: never creates the embedded database. The
 * state to reach is the migrations' snapshot; `spec` stands in only without one.
 */
export function applyTimescale(options: ApplyTimescaleOptions): Promise<ApplyTimescaleResult> {
  return withDatabase(
    options,
    'apply-timescale',
    async (db) => ({
      database: db.description,
      ...(await applyMissingSteps({ ...options, url: db.url })),
    }),
    true,
  );
}
