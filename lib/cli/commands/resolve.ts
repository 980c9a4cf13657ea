/** `resolve`: repair the migration history (a migration finished or undone by hand). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { databaseOptions, lockTimeoutOption, type GlobalOptions } from '../context.js';
import { resolveMigration } from '../../app/resolve.js';

const SAID = {
  recorded: 'recorded as applied',
  'checksum-updated': 'already applied: its current file is accepted (checksum recorded)',
  removed: 'removed from the history: no longer applied',
} as const;

export function registerResolve(program: Command, out: Output): void {
  program
    .command('resolve')
    .description(
      'repair the migration history without running anything: a migration finished or undone by hand',
    )
    .option('--applied <name>', 'record it as applied (or accept its edited file)')
    .option('--rolled-back <name>', 'remove it from the history')
    .addOption(lockTimeoutOption())
    .action(async (opts: { applied?: string; rolledBack?: string; lockTimeout?: number }) => {
      const globals = program.opts<GlobalOptions>();
      const result = await resolveMigration({
        ...databaseOptions(globals, out),
        migrationsDir: resolve(globals.migrationsDir),
        applied: opts.applied,
        rolledBack: opts.rolledBack,
        lockTimeoutMs: opts.lockTimeout,
      });
      out.line(`${result.migration}: ${SAID[result.action]}`);
      out.result(result);
    });
}
