/** `create`: a new migration file from the template. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { Output } from '../output.js';
import type { GlobalOptions } from '../context.js';
import type { MigrationLanguage } from '../../generate/create.js';
import { createMigration } from '../../app/create.js';

export function registerCreate(program: Command, out: Output): void {
  program
    .command('create')
    .description('write a new migration file from the template')
    .argument('<name>', 'e.g. add-metrics')
    .addOption(new Option('--language <lang>', 'ts or js').choices(['ts', 'js']).default('ts'))
    .action((name: string, opts: { language: MigrationLanguage }) => {
      const globals = program.opts<GlobalOptions>();
      const { file } = createMigration({
        name,
        migrationsDir: resolve(globals.migrationsDir),
        language: opts.language,
      });
      out.line(file);
      out.result({ file });
    });
}
