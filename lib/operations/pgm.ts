/**
 * Our operations as functions of node-pg-migrate's `pgm`, imported by migration files:
 *
 *   import { createHypertable } from 'prism-migrate/operations';
 *   export function up(pgm) { createHypertable(pgm, 'metrics', { timeColumn: 'time' }); }
 *
 * Each adds its SQL through `pgm.sql`, node-pg-migrate's public API, so a migration runs
 * the same under `prism-migrate up` and `node-pg-migrate up`. Each also has `.reverse`
 * with the same arguments, for the migration's `down`: node-pg-migrate cannot reverse
 * `pgm.sql` by itself, so a migration using these functions exports a `down`.
 *
 * This module is the package's `prism-migrate/operations` entry: it imports nothing but
 * the operations' SQL builders, so loading a migration stays cheap.
 */
import type { MigrationBuilder } from 'node-pg-migrate';
import type { ReversibleOperation } from './common.js';
import * as sql from './sql.js';

/** What the functions need of `pgm`: node-pg-migrate's MigrationBuilder has it. */
export type MigrationSql = Pick<MigrationBuilder, 'sql'>;

/** A function of `pgm` and its reverse, taking the same arguments. */
export interface PgmOperation<A extends unknown[]> {
  (pgm: MigrationSql, ...args: A): void;
  readonly reverse: (pgm: MigrationSql, ...args: A) => void;
}

/** Adds an operation's statements to the migration through `pgm.sql`. */
export function addStatements(pgm: MigrationSql, statements: string | string[]): void {
  for (const statement of typeof statements === 'string' ? [statements] : statements)
    pgm.sql(statement);
}

function onPgm<A extends unknown[]>(operation: ReversibleOperation<A>): PgmOperation<A> {
  return Object.assign((pgm: MigrationSql, ...args: A) => addStatements(pgm, operation(...args)), {
    reverse: (pgm: MigrationSql, ...args: A) => addStatements(pgm, operation.reverse(...args)),
  });
}

type Args<F> = F extends ReversibleOperation<infer A> ? A : never;

/** Makes a table a hypertable. Reverse: revertHypertable. */
export const createHypertable = onPgm<Args<typeof sql.createHypertable>>(sql.createHypertable);
/** Copies a hypertable back into a plain table. Reverse (with timeColumn): createHypertable. */
export const revertHypertable = onPgm<Args<typeof sql.revertHypertable>>(sql.revertHypertable);
/** Chunk size for future chunks. Reverse (with previous): the previous interval. */
export const setChunkTimeInterval = onPgm<Args<typeof sql.setChunkTimeInterval>>(
  sql.setChunkTimeInterval,
);
/** Registers a "now" in the units of an integer time column. Reverse: dropIntegerNowFunction. */
export const setIntegerNowFunction = onPgm<Args<typeof sql.setIntegerNowFunction>>(
  sql.setIntegerNowFunction,
);
/** Drops that function. Reverse: setIntegerNowFunction. */
export const dropIntegerNowFunction = onPgm<Args<typeof sql.dropIntegerNowFunction>>(
  sql.dropIntegerNowFunction,
);
/** TimescaleDB's default `(time DESC)` index of a hypertable. Reverse: dropDefaultTimeIndex. */
export const createDefaultTimeIndex = onPgm<Args<typeof sql.createDefaultTimeIndex>>(
  sql.createDefaultTimeIndex,
);
/** Drops that index. Reverse: createDefaultTimeIndex. */
export const dropDefaultTimeIndex = onPgm<Args<typeof sql.dropDefaultTimeIndex>>(
  sql.dropDefaultTimeIndex,
);
/** Turns on compression. Reverse: disableCompression. */
export const enableCompression = onPgm<Args<typeof sql.enableCompression>>(sql.enableCompression);
/** Decompresses all chunks and turns compression off. Reverse (with settings): enableCompression. */
export const disableCompression = onPgm<Args<typeof sql.disableCompression>>(
  sql.disableCompression,
);
/** Reverse: removeCompressionPolicy. */
export const addCompressionPolicy = onPgm<Args<typeof sql.addCompressionPolicy>>(
  sql.addCompressionPolicy,
);
/** Reverse (with after): addCompressionPolicy. */
export const removeCompressionPolicy = onPgm<Args<typeof sql.removeCompressionPolicy>>(
  sql.removeCompressionPolicy,
);
/** Reverse: removeRetentionPolicy. */
export const addRetentionPolicy = onPgm<Args<typeof sql.addRetentionPolicy>>(
  sql.addRetentionPolicy,
);
/** Reverse (with dropAfter): addRetentionPolicy. */
export const removeRetentionPolicy = onPgm<Args<typeof sql.removeRetentionPolicy>>(
  sql.removeRetentionPolicy,
);

/** A single-column foreign key, checked against the server's TimescaleDB. Reverse: dropForeignKey. */
export const addForeignKey = onPgm<Args<typeof sql.addForeignKey>>(sql.addForeignKey);
/** Reverse (with the key's definition): addForeignKey. */
export const dropForeignKey = onPgm<Args<typeof sql.dropForeignKey>>(sql.dropForeignKey);
/** Adds a hash dimension. No reverse: TimescaleDB cannot remove a dimension. */
export const addDimension = onPgm<Args<typeof sql.addDimension>>(sql.addDimension);
/** Partitions of the hash dimension for future chunks. Reverse (with previous): the previous number. */
export const setNumberPartitions = onPgm<Args<typeof sql.setNumberPartitions>>(
  sql.setNumberPartitions,
);
/** Reorders chunks by an index, in a job. Reverse: removeReorderPolicy. */
export const addReorderPolicy = onPgm<Args<typeof sql.addReorderPolicy>>(sql.addReorderPolicy);
/** Reverse (with index): addReorderPolicy. */
export const removeReorderPolicy = onPgm<Args<typeof sql.removeReorderPolicy>>(
  sql.removeReorderPolicy,
);

/**
 * Creates an aggregate view empty (WITH NO DATA); the runner refreshes it after the
 * migration commits. A continuous aggregate where TimescaleDB with the Timescale License
 * can have one, else (mode auto/off) a view or materialized view of the same name and
 * numbers. Reverse: drops it.
 */
export const createContinuousAggregate = onPgm<Args<typeof sql.createContinuousAggregate>>(
  sql.createContinuousAggregate,
);
/** Drops an aggregate view, whichever form it has. Reverse (with its definition): createContinuousAggregate. */
export const dropContinuousAggregate = onPgm<Args<typeof sql.dropContinuousAggregate>>(
  sql.dropContinuousAggregate,
);
/** Real-time aggregation on or off. Reverse: sets `previous` back. */
export const setAggregateRealtime = onPgm<Args<typeof sql.setAggregateRealtime>>(
  sql.setAggregateRealtime,
);
/** The refresh policy of a continuous aggregate. Reverse: removeContinuousAggregatePolicy. */
export const addContinuousAggregatePolicy = onPgm<Args<typeof sql.addContinuousAggregatePolicy>>(
  sql.addContinuousAggregatePolicy,
);
/** Reverse (with the policy's offsets and schedule): addContinuousAggregatePolicy. */
export const removeContinuousAggregatePolicy = onPgm<
  Args<typeof sql.removeContinuousAggregatePolicy>
>(sql.removeContinuousAggregatePolicy);
/** Compression of an aggregate's materialized data. Reverse: disableAggregateCompression. */
export const enableAggregateCompression = onPgm<Args<typeof sql.enableAggregateCompression>>(
  sql.enableAggregateCompression,
);
/** Reverse (with segmentBy): enableAggregateCompression. */
export const disableAggregateCompression = onPgm<Args<typeof sql.disableAggregateCompression>>(
  sql.disableAggregateCompression,
);
/** Reverse: removeAggregateCompressionPolicy. */
export const addAggregateCompressionPolicy = onPgm<Args<typeof sql.addAggregateCompressionPolicy>>(
  sql.addAggregateCompressionPolicy,
);
/** Reverse (with after): addAggregateCompressionPolicy. */
export const removeAggregateCompressionPolicy = onPgm<
  Args<typeof sql.removeAggregateCompressionPolicy>
>(sql.removeAggregateCompressionPolicy);
/** Reverse: removeAggregateRetentionPolicy. */
export const addAggregateRetentionPolicy = onPgm<Args<typeof sql.addAggregateRetentionPolicy>>(
  sql.addAggregateRetentionPolicy,
);
/** Reverse (with dropAfter): addAggregateRetentionPolicy. */
export const removeAggregateRetentionPolicy = onPgm<
  Args<typeof sql.removeAggregateRetentionPolicy>
>(sql.removeAggregateRetentionPolicy);

export type {
  AddCompressionPolicyOptions,
  AggregateCompressionOptions,
  AggregateCompressionPolicyOptions,
  AggregateDefinition,
  AggregateRetentionPolicyOptions,
  ContinuousAggregatePolicyOptions,
  CreateContinuousAggregateOptions,
  RemoveContinuousAggregatePolicyOptions,
  SetAggregateRealtimeOptions,
  AddDimensionOptions,
  AddReorderPolicyOptions,
  RemoveReorderPolicyOptions,
  SetNumberPartitionsOptions,
  AddRetentionPolicyOptions,
  CreateHypertableOptions,
  DisableCompressionOptions,
  EnableCompressionOptions,
  ForeignKeyAction,
  ForeignKeyOptions,
  IntegerNowOptions,
  RemoveCompressionPolicyOptions,
  RemoveRetentionPolicyOptions,
  RevertHypertableOptions,
  SetChunkTimeIntervalOptions,
} from './sql.js';
export type { TableArg } from './common.js';
export type { TimescaleMode } from './mode.js';
