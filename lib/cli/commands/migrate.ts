/** `up`, `down` and `redo`: run migrations. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import {
  databaseOptions,
  lockTimeoutOption,
  positiveCount,
  printRuns,
  timescaleOption,
  type GlobalOptions,
} from '../context.js';
import { startProgress, type Progress } from '../progress.js';
import { applyMigrations, redoMigrations, revertMigrations } from '../../app/migrate.js';
import type { TimescaleMode } from '../../operations/mode.js';

interface RunFlags {
  to?: string;
  fake?: boolean;
  singleTransaction?: boolean;
  timescale?: TimescaleMode;
  allowDataLoss?: boolean;
  lockTimeout?: number;
}

function runCommand(program: Command, direction: 'up' | 'down', out: Output) {
  return async (count: number | undefined, opts: RunFlags & { dryRun?: boolean }) => {
    const globals = program.opts<GlobalOptions>();
    const run = direction === 'up' ? applyMigrations : revertMigrations;
    // Drawn once the database is open, as each migration starts.
    let progress: Progress | undefined;
    let result;
    try {
      result = await run({
        ...databaseOptions(globals, out),
        onDatabase: (description) => {
          out.info(`database: ${description}`);
          progress = startProgress(process.stderr, !out.json);
        },
        onMigrationStart: (name) =>
          progress?.update(`${direction === 'up' ? 'applying' : 'reverting'} ${name}`),
        migrationsDir: resolve(globals.migrationsDir),
        count,
        to: opts.to,
        fake: opts.fake,
        singleTransaction: opts.singleTransaction,
        dryRun: opts.dryRun,
        timescale: opts.timescale,
        allowDataLoss: opts.allowDataLoss,
        lockTimeoutMs: opts.lockTimeout,
        // Log lines would be drawn over by the spinner: clear it first.
        log: (l) => {
          progress?.clear();
          out.info(l);
        },
      });
    } finally {
      progress?.stop();
    }
    printRuns(out, result.migrations, result.dryRun, opts.fake === true);
  };
}

export function registerUpDown(program: Command, out: Output): void {
  const directions = [
    [
      'up',
      'apply pending migrations (all, or N)',
      'apply the pending migrations up to and including this one',
    ],
    [
      'down',
      'revert the last N applied migrations (default 1)',
      'revert every migration applied after this one (it stays applied)',
    ],
  ] as const;
  for (const [direction, description, to] of directions) {
    program
      .command(direction)
      .description(description)
      .argument('[N]', 'how many', positiveCount)
      .option('--to <name>', to)
      .option('--dry-run', 'print the SQL and apply nothing')
      .option(
        '--fake',
        `record the migrations as ${direction === 'up' ? 'applied' : 'reverted'} without running them (after applying them by hand)`,
      )
      .option(
        '--single-transaction',
        'run all of them in one transaction: a failure rolls back every one',
      )
      .option(
        '--allow-data-loss',
        'apply steps that drop existing rows (dropped tables or columns, shorter retention)',
      )
      .addOption(timescaleOption())
      .addOption(lockTimeoutOption())
      .action(runCommand(program, direction, out));
  }
}

export function registerRedo(program: Command, out: Output): void {
  program
    .command('redo')
    .description('revert the last N migrations and apply them again (default 1)')
    .argument('[N]', 'how many', positiveCount)
    .option('--allow-data-loss', 'apply steps that drop existing rows')
    .addOption(timescaleOption())
    .addOption(lockTimeoutOption())
    .action(async (count: number | undefined, opts: RunFlags) => {
      const globals = program.opts<GlobalOptions>();
      const result = await redoMigrations({
        ...databaseOptions(globals, out),
        migrationsDir: resolve(globals.migrationsDir),
        count,
        timescale: opts.timescale,
        allowDataLoss: opts.allowDataLoss,
        lockTimeoutMs: opts.lockTimeout,
      });
      printRuns(out, result.migrations, false);
    });
}
