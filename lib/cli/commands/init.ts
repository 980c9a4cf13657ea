/** `init`: a commented prism.yaml, .gitignore lines and a .env.example for a new project. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import type { GlobalOptions } from '../context.js';
import { init, type InitFile } from '../../app/init.js';

function describe(file: InitFile): string {
  if (file.path === '.gitignore' && file.lines !== undefined && file.lines.length > 0)
    return `${file.action} ${file.path}: ${file.lines.join(', ')}`;
  if (file.action === 'unchanged')
    return `unchanged ${file.path}${file.path === '.gitignore' ? '' : ' (exists; --force replaces it)'}`;
  return `${file.action} ${file.path}`;
}

export function registerInit(program: Command, out: Output): void {
  program
    .command('init')
    .description('start a project: a commented prism.yaml, .gitignore lines and .env.example')
    .option('--force', 'replace an existing prism.yaml and .env.example')
    .action((opts: { force?: boolean }) => {
      const globals = program.opts<GlobalOptions>();
      const result = init({
        dir: process.cwd(),
        specFile: resolve(globals.spec),
        force: opts.force,
      });
      for (const file of result.files) out.line(describe(file));
      out.line('next: prism-migrate validate, then prism-migrate generate and prism-migrate up');
      out.result(result);
    });
}
