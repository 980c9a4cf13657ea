/** Public API. Importing it has no side effects. */
export * from './operations/pgm.js';
/** The SQL each operation runs, for tools that build migrations themselves. */
export * as operationSql from './operations/sql.js';
export { setTimescaleModeOverride, effectiveMode, TIMESCALE_MODES } from './operations/mode.js';
export { loadSpec, parseSpec } from './spec/load.js';
export type { Spec, Model, Field, Timeseries, LoadedSpec } from './spec/types.js';
export { compileSpec } from './schema/compile.js';
export {
  compareAggregates,
  compareSchemas,
  compareTables,
  type SchemaDifference,
  type DifferenceKind,
} from './schema/compare.js';
export type * from './schema/types.js';
export { readSchema, type CatalogSelection } from './catalog/read.js';
export { schemaToSpec, type PulledSpec } from './pull/to-spec.js';
export {
  migrate,
  migrationStatus,
  redo,
  MigrationFailedError,
  DataLossError,
  type MigrateOptions,
  type MigrationRun,
} from './runner/migrate.js';
export {
  DEFAULT_LOCK_TIMEOUT_MS,
  MigrationLockTimeoutError,
  type LockHolder,
} from './runner/lock.js';
export { openDatabase, type OpenDatabase } from './db/open.js';
export { resolveTarget, type DatabaseTarget, type TargetSources } from './db/target.js';
export { loadConfig } from './config/load.js';
export type { PrismConfig } from './config/file.js';
export { detectTimescale, type TimescaleSupport } from './db/detect.js';
export { startEmbeddedServer } from './db/embedded/serve.js';
export * from './errors.js';
export * from './query/index.js';
export { buildApi, routeOf, type ApiOptions } from './api/server.js';
export * from './app/index.js';
