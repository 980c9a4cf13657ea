/**
 * Makes our operations callable as `pgm.<op>(…)` in migration files.
 *
 * node-pg-migrate 9 has no plugin hook: its runner builds `new MigrationBuilder(…)` for
 * every migration, and the constructor installs the built-in operations through a
 * private `wrap` that appends SQL to `_steps`, or the operation's `reverse` when
 * `_REVERSE_MODE` is on (a migration without `down`). Methods on the prototype are
 * reachable the same way; they must do what `wrap` does. test/unit/operations/register
 * fails if those internals change.
 */
import { MigrationBuilder } from 'node-pg-migrate';
import type { ReversibleOperation } from './common.js';
import {
  addCompressionPolicy,
  disableCompression,
  enableCompression,
  removeCompressionPolicy,
  type AddCompressionPolicyOptions,
  type DisableCompressionOptions,
  type EnableCompressionOptions,
  type RemoveCompressionPolicyOptions,
} from './compression/index.js';
import {
  createHypertable,
  revertHypertable,
  setChunkTimeInterval,
  setIntegerNowFunction,
  dropIntegerNowFunction,
  type IntegerNowOptions,
  type CreateHypertableOptions,
  type RevertHypertableOptions,
  type SetChunkTimeIntervalOptions,
} from './hypertables/index.js';
import {
  addRetentionPolicy,
  removeRetentionPolicy,
  type AddRetentionPolicyOptions,
  type RemoveRetentionPolicyOptions,
} from './retention/index.js';
import type { TableArg } from './common.js';

/** The internals of MigrationBuilder that `wrap` uses; checked by a test. */
interface BuilderInternals {
  _steps: string[];
  _REVERSE_MODE: boolean;
}

export const PRISM_OPERATIONS = Object.freeze({
  createHypertable,
  revertHypertable,
  setChunkTimeInterval,
  setIntegerNowFunction,
  dropIntegerNowFunction,
  enableCompression,
  disableCompression,
  addCompressionPolicy,
  removeCompressionPolicy,
  addRetentionPolicy,
  removeRetentionPolicy,
});

export type PrismOperationName = keyof typeof PRISM_OPERATIONS;

function asStepMethod(operation: ReversibleOperation<never[]>) {
  return function (this: BuilderInternals, ...args: never[]): void {
    const sql = this._REVERSE_MODE ? operation.reverse(...args) : operation(...args);
    this._steps = this._steps.concat(sql);
  };
}

let registered = false;

/** Idempotent; called by the runner and by `import 'prism-migrate'`. */
export function registerOperations(): void {
  if (registered) return;
  const proto = MigrationBuilder.prototype as unknown as Record<string, unknown>;
  for (const [name, operation] of Object.entries(PRISM_OPERATIONS)) {
    Object.defineProperty(proto, name, {
      value: asStepMethod(operation as unknown as ReversibleOperation<never[]>),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  registered = true;
}

declare module 'node-pg-migrate' {
  interface MigrationBuilder {
    /** Makes a table a hypertable. Reverse: revertHypertable. */
    createHypertable(table: TableArg, options: CreateHypertableOptions): void;
    /** Copies a hypertable back into a plain table. Reverse (with timeColumn): createHypertable. */
    revertHypertable(table: TableArg, options?: RevertHypertableOptions): void;
    /** Chunk size for future chunks. Reverse (with previous): the previous interval. */
    setChunkTimeInterval(table: TableArg, options: SetChunkTimeIntervalOptions): void;
    /** Registers a "now" in the units of an integer time column. Reverse: dropIntegerNowFunction. */
    setIntegerNowFunction(table: TableArg, options: IntegerNowOptions): void;
    /** Drops that function. Reverse: setIntegerNowFunction. */
    dropIntegerNowFunction(table: TableArg, options: IntegerNowOptions): void;
    /** Turns on compression. Reverse: disableCompression. */
    enableCompression(table: TableArg, options?: EnableCompressionOptions): void;
    /** Decompresses all chunks and turns compression off. Reverse (with settings): enableCompression. */
    disableCompression(table: TableArg, options?: DisableCompressionOptions): void;
    /** Reverse: removeCompressionPolicy. */
    addCompressionPolicy(table: TableArg, options: AddCompressionPolicyOptions): void;
    /** Reverse (with after): addCompressionPolicy. */
    removeCompressionPolicy(table: TableArg, options?: RemoveCompressionPolicyOptions): void;
    /** Reverse: removeRetentionPolicy. */
    addRetentionPolicy(table: TableArg, options: AddRetentionPolicyOptions): void;
    /** Reverse (with dropAfter): addRetentionPolicy. */
    removeRetentionPolicy(table: TableArg, options?: RemoveRetentionPolicyOptions): void;
  }
}
