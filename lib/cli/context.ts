/** What the commands share: global options, argument parsers, the database options and Ctrl-C. */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { UsageError } from '../errors.js';
import type { Output } from './output.js';
import type { DatabaseOptions } from '../app/database.js';
import type { MigrationRun } from '../runner/migrate.js';
import { DEFAULT_LOCK_TIMEOUT_MS } from '../runner/lock.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { TIMESCALE_MODES } from '../operations/mode.js';

export interface GlobalOptions {
  spec: string;
  migrationsDir: string;
  databaseUrl?: string;
  json?: boolean;
}

/** Work to undo if the process is interrupted (an open embedded database holds a lock). */
export const cleanups = new Set<() => Promise<void>>();

/** A command that handles Ctrl-C itself (`embedded start` stops and exits 0). */
export const interruption: { handler: (() => void) | undefined } = { handler: undefined };

/** The application layer's database options for a command: notices on stderr, closed on Ctrl-C. */
export function databaseOptions(globals: GlobalOptions, out: Output): DatabaseOptions {
  return {
    databaseUrl: globals.databaseUrl,
    log: (l) => out.info(l),
    trackClose: (close) => {
      cleanups.add(close);
      return () => cleanups.delete(close);
    },
  };
}

export function positiveCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('expected a whole number ≥ 1');
  return Number(value);
}

export function count(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return Number(value);
}

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new InvalidArgumentError('expected a port number 1-65535');
  return n;
}

function lockTimeout(value: string): number {
  try {
    return parseDuration(value, '--lock-timeout');
  } catch (error) {
    throw new InvalidArgumentError(
      `${(error as Error).message}; ${(error as UsageError).hint ?? ''}`.replace(/; $/, ''),
    );
  }
}

export const lockTimeoutOption = () =>
  new Option(
    '--lock-timeout <duration>',
    `how long to wait while another deploy holds the migration lock (0: fail at once; default ${formatDuration(DEFAULT_LOCK_TIMEOUT_MS)})`,
  ).argParser(lockTimeout);

export const timescaleOption = () =>
  new Option('--timescale <mode>', 'override the TimescaleDB mode of every operation').choices(
    TIMESCALE_MODES,
  );

export function printRuns(out: Output, runs: MigrationRun[], dryRun: boolean): void {
  if (runs.length === 0) out.line('No migrations to run.');
  for (const run of runs) {
    if (dryRun) {
      out.line(`-- ${run.name} (${run.direction}, dry run: nothing applied)`);
      out.line(run.sql ?? '');
    } else {
      out.line(`${run.direction === 'up' ? 'applied ' : 'reverted'} ${run.name}`);
    }
  }
  out.result({ dryRun, migrations: runs });
}

/** Registers one command (or group) on the program. */
export type CommandModule = (program: Command, out: Output) => void;
