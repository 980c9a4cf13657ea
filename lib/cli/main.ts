/**
 * The command line: assembles the commands (one module each in ./commands, which parse
 * arguments, call the library and print) and maps failures to exit codes. No SQL here.
 * Exit codes: 0 ok, 1 check failed, 2 bad input, 3 database error.
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from './version.js';
import { ExitCode, fileSystemFailure, PrismError, UsageError } from '../errors.js';
import { createOutput, type Output } from './output.js';
import { cleanups, identifier, interruption, loadProjectSettings } from './context.js';
import { registerInit } from './commands/init.js';
import { registerValidate } from './commands/validate.js';
import { registerGenerate } from './commands/generate.js';
import { registerCheck } from './commands/check.js';
import { registerRedo, registerUpDown } from './commands/migrate.js';
import { registerApplyTimescale } from './commands/apply-timescale.js';
import { registerStatus } from './commands/status.js';
import { registerCreate } from './commands/create.js';
import { registerTimescaleInfo } from './commands/timescale-info.js';
import { registerJobs } from './commands/jobs.js';
import { registerServe } from './commands/serve.js';
import { registerEmbedded } from './commands/embedded.js';
import { registerPull } from './commands/pull.js';
import { registerResolve } from './commands/resolve.js';
import { registerTypes } from './commands/types.js';

/** In the order `--help` lists them. */
const COMMANDS = [
  registerInit,
  registerValidate,
  registerGenerate,
  registerCheck,
  registerPull,
  registerUpDown,
  registerApplyTimescale,
  registerRedo,
  registerResolve,
  registerStatus,
  registerCreate,
  registerTypes,
  registerTimescaleInfo,
  registerJobs,
  registerServe,
  registerEmbedded,
];

export function buildProgram(out: Output): Command {
  const program = new Command('prism-migrate')
    .description('TimescaleDB schemas from prism.yaml, applied with node-pg-migrate')
    .option('--spec <file>', 'the spec file', 'prism.yaml')
    .option('--migrations-dir <dir>', 'migrations directory', 'migrations')
    .option(
      '--database-url <url>',
      'database URL (default: DATABASE_URL, else the PG* variables, else "databaseUrl" of the settings file, else the embedded database in ./.prism/db)',
    )
    .option(
      '--config <file>',
      'settings file (default: ./prism.config.json, else the "prism" key of package.json)',
    )
    .option('--env-path <file>', 'variables to use where the environment sets none', '.env')
    .option(
      '--migrations-table <name>',
      'table recording applied migrations (default: pgmigrations)',
      identifier,
    )
    .option(
      '--migrations-schema <name>',
      'schema of the migrations table (default: public)',
      identifier,
    )
    .option(
      '--env <name>',
      'environment whose values of `environments:` in prism.yaml apply (default: PRISM_ENV, else "environment" of the settings file, else none)',
    )
    .option('--json', 'machine-readable output on stdout')
    .hook('preAction', (command) => loadProjectSettings(command))
    .version(packageVersion(), '--version', 'the version of prism-migrate')
    .exitOverride()
    // Every subcommand's --help lists the global options too (inherited by .command()).
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
    });

  for (const register of COMMANDS) register(program, out);
  return program;
}

let pipesGuarded = false;

/**
 * A reader that went away (`prism-migrate status | head -1`) must not crash the command
 * halfway with a stack trace: what it would have printed is dropped. For the process's
 * lifetime: the error can arrive after the command returned.
 */
function ignoreClosedPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  const ignore = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  };
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const out = createOutput(json);
  const program = buildProgram(out);
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    // A second Ctrl-C does not wait for a clean close.
    if (interrupted) process.exit(130);
    interrupted = true;
    if (interruption.handler) {
      interruption.handler();
      return;
    }
    if (cleanups.size === 0) process.exit(130);
    out.info(`${signal}: closing the database…`);
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  ignoreClosedPipes();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    out.finish();
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help shown because no command (or subcommand) was given: a pipeline that ran
      // `prism-migrate $COMMAND` with an empty variable must not pass.
      if (error.code === 'commander.help' && error.exitCode !== 0) {
        out.finish(
          new UsageError('no command given', {
            hint: 'the commands are listed above; `prism-migrate <command> --help` shows one',
          }),
        );
        return ExitCode.badInput;
      }
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return ExitCode.ok;
      out.finish(error);
      return ExitCode.badInput;
    }
    const failure = fileSystemFailure(error) ?? error;
    out.finish(failure);
    return failure instanceof PrismError ? failure.exitCode : ExitCode.database;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
