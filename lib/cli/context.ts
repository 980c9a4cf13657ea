/** What the commands share: global options, argument parsers, the database options and Ctrl-C. */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { ENVIRONMENT_NAME_PATTERN } from '../spec/schema.js';
import { applyEnvFile, readEnvFile } from '../config/env-file.js';
import { loadConfig } from '../config/load.js';
import { resolveSettings } from '../config/settings.js';
import type { TargetSources } from '../db/target.js';
import { identifierHint, isIdentifier } from '../spec/identifiers.js';
import type { Output } from './output.js';
import type { DatabaseOptions } from '../app/database.js';
import type { MigrationRun } from '../runner/migrate.js';
import { DEFAULT_LOCK_TIMEOUT_MS } from '../runner/lock.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { TIMESCALE_MODES } from '../operations/mode.js';
import { DEFAULT_MIGRATIONS_TABLE, type HistoryOptions } from '../runner/history.js';

export interface GlobalOptions {
  spec: string;
  migrationsDir: string;
  databaseUrl?: string;
  json?: boolean;
  /** `--config`: the settings file, instead of ./prism.config.json or package.json's "prism". */
  config?: string;
  /** `--env-path`: the variables file (named so: Node 20 reads `--env-file` itself). */
  envPath: string;
  /** The runner's migrations table and its schema; unset: pgmigrations in public. */
  migrationsTable?: string;
  migrationsSchema?: string;
  /** Where the database is looked for besides --database-url; set before a command runs. */
  sources?: TargetSources;
  /** `--env`: whose values of prism.yaml's `environments:` migrations apply and check compares. */
  env?: string;
}

/**
 * The environment of a command: `--env`, else PRISM_ENV (the .env file's included), else
 * `"environment"` of the settings file, else none (the models' own values).
 */
export function environmentOf(globals: GlobalOptions): string | undefined {
  const fromEnv = process.env['PRISM_ENV'];
  const chosen =
    globals.env ?? (fromEnv === '' ? undefined : fromEnv) ?? globals.sources?.config?.environment;
  if (chosen === undefined) return undefined;
  if (!ENVIRONMENT_NAME_PATTERN.test(chosen)) {
    throw new UsageError(`environment name ${JSON.stringify(chosen)} is not valid`, {
      hint: 'an environment name starts with a letter, then letters, digits, _ or -: e.g. development',
    });
  }
  return chosen;
}

/**
 * Before a command runs: the variables of the .env file join the environment (those
 * already set win), so that everything reading one (PG*, NODE_ENV, PRISM_API_TOKEN, …)
 * sees them; then the settings file fills in what the command line left out.
 */
export function loadProjectSettings(
  program: Command,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): void {
  const globals = program.opts<GlobalOptions>();
  const given = (key: 'spec' | 'migrationsDir' | 'envPath') =>
    program.getOptionValueSource(key) === 'cli' ? globals[key] : undefined;
  const environment = { ...env };
  const envFile = readEnvFile(
    resolve(cwd, globals.envPath),
    globals.envPath,
    given('envPath') !== undefined,
  );
  applyEnvFile(envFile, env);
  const config = loadConfig({ cwd, file: globals.config });
  const settings = resolveSettings(
    {
      spec: given('spec'),
      migrationsDir: given('migrationsDir'),
      migrationsTable: globals.migrationsTable,
      migrationsSchema: globals.migrationsSchema,
    },
    config,
    cwd,
  );
  for (const [key, value] of Object.entries(settings)) program.setOptionValue(key, value);
  const sources: TargetSources = { cwd, env: environment, envFile, config };
  program.setOptionValue('sources', sources);
}

/** Work to undo if the process is interrupted (an open embedded database holds a lock). */
export const cleanups = new Set<() => Promise<void>>();

/** A command that handles Ctrl-C itself (`embedded start` stops and exits 0). */
export const interruption: { handler: (() => void) | undefined } = { handler: undefined };

/** The migrations table of `--migrations-table` / `--migrations-schema` (or the settings file). */
export function historyOptions(globals: GlobalOptions): HistoryOptions {
  if (globals.migrationsTable === undefined && globals.migrationsSchema === undefined) return {};
  return {
    migrationsTable: {
      schema: globals.migrationsSchema ?? DEFAULT_MIGRATIONS_TABLE.schema,
      name: globals.migrationsTable ?? DEFAULT_MIGRATIONS_TABLE.name,
    },
  };
}

/**
 * The application layer's database options for a command: notices on stderr, closed on
 * Ctrl-C, and the migrations table where the history is kept.
 */
export function databaseOptions(
  globals: GlobalOptions,
  out: Output,
): DatabaseOptions & HistoryOptions & { environment?: string | undefined } {
  return {
    ...historyOptions(globals),
    environment: environmentOf(globals),
    databaseUrl: globals.databaseUrl,
    sources: globals.sources,
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

/** Seconds, e.g. `5` or `0.5`. */
export function positiveSeconds(value: string): number {
  if (!/^\d{1,9}(\.\d+)?$/.test(value) || Number(value) <= 0)
    throw new InvalidArgumentError('expected a number of seconds > 0, e.g. 5 or 0.5');
  return Number(value);
}

/** A table or schema name (`--migrations-table`, `--migrations-schema`). */
export function identifier(value: string): string {
  if (!isIdentifier(value)) throw new InvalidArgumentError(identifierHint(value));
  return value;
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

/** `fake`: recorded as applied (or reverted) without running. */
export function printRuns(out: Output, runs: MigrationRun[], dryRun: boolean, fake = false): void {
  if (runs.length === 0) out.line('No migrations to run.');
  for (const run of runs) {
    if (dryRun) {
      out.line(`-- ${run.name} (${run.direction}, dry run: nothing applied)`);
      out.line(run.sql ?? '');
    } else {
      const done = `${run.direction === 'up' ? 'applied ' : 'reverted'} ${run.name}`;
      out.line(fake ? `${done} (--fake: recorded, not run)` : done);
    }
  }
  out.result({ dryRun, migrations: runs });
}

/** Registers one command (or group) on the program. */
export type CommandModule = (program: Command, out: Output) => void;
