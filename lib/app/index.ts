/** The application layer: each command of the CLI as a library function with a typed result. */
export { withDatabase, databaseExists, type DatabaseOptions } from './database.js';
export {
  check,
  checkMigrations,
  checkDatabase,
  type CheckOptions,
  type CheckResult,
  type MigrationsCheck,
  type DatabaseCheck,
} from './check.js';
export type { StructuredChange } from '../diff/structured.js';
export { generate, type GenerateAppOptions, type GenerateAppResult } from './generate.js';
export { pull, type PullOptions, type PullResult } from './pull.js';
export type { PullNote, PulledModel } from '../pull/to-spec.js';
export { status, type StatusOptions, type StatusResult } from './status.js';
export { describeTimescale, type TimescaleInfoAppOptions } from './timescale-info.js';
export { runJobs, type RunJobsOptions } from './jobs.js';
export {
  serve,
  isLoopback,
  DEFAULT_API_SESSIONS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type ServeOptions,
  type RunningApi,
} from './serve.js';
export {
  applyMigrations,
  revertMigrations,
  redoMigrations,
  type MigrateAppOptions,
  type RunMigrationsOptions,
  type MigrationsResult,
} from './migrate.js';
export {
  applyTimescale,
  type ApplyTimescaleOptions,
  type ApplyTimescaleResult,
} from './apply-timescale.js';
export { validateSpec, type ValidateResult, type ModelSummary } from './validate.js';
export {
  createMigration,
  type CreateMigrationOptions,
  type CreateMigrationResult,
} from './create.js';
export { resolveMigration, type ResolveOptions, type ResolveResult } from './resolve.js';
export { generateRowTypes, type RowTypesAppOptions, type RowTypesResult } from './types.js';
export { connectDatabase, type ConnectDatabaseOptions } from './connect.js';
export { init as initProject, type InitOptions, type InitResult } from './init.js';
