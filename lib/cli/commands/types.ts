/** `types`: TypeScript row types of the spec's models, on stdout or into a file. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import type { GlobalOptions } from '../context.js';
import { generateRowTypes } from '../../app/types.js';

export function registerTypes(program: Command, out: Output): void {
  program
    .command('types')
    .description('write TypeScript row types of the models, for typed repositories')
    .option('--out <file>', 'the .ts file to write (default: print them)')
    .action(async (opts: { out?: string }) => {
      const globals = program.opts<GlobalOptions>();
      const result = await generateRowTypes({
        specFile: resolve(globals.spec),
        out: opts.out === undefined ? undefined : resolve(opts.out),
      });
      if (result.file === null) out.line(result.text.trimEnd());
      else out.line(result.file);
      out.result(result);
    });
}
