/** `validate`: validate the spec and print its models. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import type { GlobalOptions } from '../context.js';
import { validateSpec } from '../../app/validate.js';

export function registerValidate(program: Command, out: Output): void {
  program
    .command('validate')
    .description('validate the spec and print its models')
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      const { spec, warnings, adjustments, models } = await validateSpec(resolve(globals.spec));
      for (const a of adjustments) out.info(`${a.file}:${a.line}:${a.column}: note: ${a.message}`);
      for (const w of warnings) out.info(`${w.file}:${w.line}:${w.column}: warning: ${w.message}`);
      for (const m of models) {
        const ts = m.timeColumn !== null ? ` hypertable on ${m.timeColumn}` : ' plain table';
        const aggregates = m.aggregates.length > 0 ? `, aggregates ${m.aggregates.join(', ')}` : '';
        out.line(
          `${m.name} -> ${m.table}:${ts}, ${m.fields} fields, primary key (${m.primaryKey.join(', ')})${aggregates}`,
        );
      }
      out.line(`${globals.spec}: valid (${models.length} models)`);
      out.result({ valid: true, spec, warnings, adjustments });
    });
}
