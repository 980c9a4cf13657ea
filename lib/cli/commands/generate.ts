/** `generate`: one migration with the spec's changes since the last one. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { Output } from '../output.js';
import { databaseOptions, type GlobalOptions } from '../context.js';
import { loadSpec } from '../../spec/load.js';
import type { MigrationLanguage } from '../../generate/create.js';
import { generate } from '../../app/generate.js';

export function registerGenerate(program: Command, out: Output): void {
  program
    .command('generate')
    .description(
      'write one migration with the changes of the spec since the last one (and the new snapshot)',
    )
    .option('--name <name>', 'file name after the timestamp (default: from the changes)')
    .addOption(new Option('--language <lang>', 'ts or js').choices(['ts', 'js']).default('ts'))
    .action(async (opts: { name?: string; language: MigrationLanguage }) => {
      const globals = program.opts<GlobalOptions>();
      const loaded = await loadSpec(resolve(globals.spec));
      const {
        migration: result,
        changes,
        dataLoss,
      } = await generate({
        ...databaseOptions(globals, out),
        spec: loaded.spec,
        migrationsDir: resolve(globals.migrationsDir),
        name: opts.name,
        language: opts.language,
      });
      if (!result.written) {
        out.line('No changes: the spec matches the last generated migration.');
      } else {
        for (const d of result.descriptions) out.line(`  ${d}`);
        out.line(result.file);
      }
      out.result({
        file: result.written ? result.file : null,
        changes,
        destructive: result.written ? result.destructive : [],
        dataLoss,
      });
    });
}
