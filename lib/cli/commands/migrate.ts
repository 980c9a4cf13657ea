/** `up`, `down` and `redo`: run migrations. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import {
  lockTimeoutOption,
  positiveCount,
  printRuns,
  timescaleOption,
  withDatabase,
  type GlobalOptions,
} from '../context.js';
import { startProgress } from '../progress.js';
import { migrate, redo } from '../../runner/migrate.js';
import type { TimescaleMode } from '../../operations/mode.js';

function runCommand(program: Command, direction: 'up' | 'down', out: Output) {
  return async (
    count: number | undefined,
    opts: {
      dryRun?: boolean;
      timescale?: TimescaleMode;
      allowDataLoss?: boolean;
      lockTimeout?: number;
    },
  ) => {
    const globals = program.opts<GlobalOptions>();
    // A dry run changes nothing, so it does not create the embedded database either.
    await withDatabase(
      globals,
      direction,
      out,
      async (db) => {
        out.info(`database: ${db.description}`);
        const progress = startProgress(process.stderr, !out.json);
        let runs;
        try {
          runs = await migrate({
            onMigrationStart: (name) =>
              progress.update(`${direction === 'up' ? 'applying' : 'reverting'} ${name}`),
            url: db.url,
            migrationsDir: resolve(globals.migrationsDir),
            direction,
            count,
            dryRun: opts.dryRun,
            timescale: opts.timescale,
            allowDataLoss: opts.allowDataLoss,
            lockTimeoutMs: opts.lockTimeout,
            // Log lines would be drawn over by the spinner: clear it first.
            log: (l) => {
              progress.clear();
              out.info(l);
            },
          });
        } finally {
          progress.stop();
        }
        printRuns(out, runs, opts.dryRun === true);
      },
      opts.dryRun === true,
    );
  };
}

export function registerUpDown(program: Command, out: Output): void {
  const directions = [
    ['up', 'apply pending migrations (all, or N)'],
    ['down', 'revert the last N applied migrations (default 1)'],
  ] as const;
  for (const [direction, description] of directions) {
    program
      .command(direction)
      .description(description)
      .argument('[N]', 'how many', positiveCount)
      .option('--dry-run', 'print the SQL and apply nothing')
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
    .action(
      async (
        count: number | undefined,
        opts: { timescale?: TimescaleMode; allowDataLoss?: boolean; lockTimeout?: number },
      ) => {
        const globals = program.opts<GlobalOptions>();
        await withDatabase(globals, 'redo', out, async (db) => {
          const runs = await redo({
            url: db.url,
            migrationsDir: resolve(globals.migrationsDir),
            count: count ?? 1,
            timescale: opts.timescale,
            allowDataLoss: opts.allowDataLoss,
            lockTimeoutMs: opts.lockTimeout,
            log: (l: string) => out.info(l),
          });
          printRuns(out, runs, false);
        });
      },
    );
}
