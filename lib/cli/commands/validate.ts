/** `validate`: validate the spec and print its models. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import type { GlobalOptions } from '../context.js';
import { loadSpec } from '../../spec/load.js';

export function registerValidate(program: Command, out: Output): void {
  program
    .command('validate')
    .description('validate the spec and print its models')
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      const loaded = await loadSpec(resolve(globals.spec));
      for (const a of loaded.adjustments)
        out.info(`${a.file}:${a.line}:${a.column}: note: ${a.message}`);
      for (const w of loaded.warnings)
        out.info(`${w.file}:${w.line}:${w.column}: warning: ${w.message}`);
      for (const m of loaded.spec.models) {
        const ts = m.timeseries ? ` hypertable on ${m.timeseries.timeColumn}` : ' plain table';
        out.line(
          `${m.name} -> ${m.table}:${ts}, ${m.fields.length} fields, primary key (${m.primaryKey.join(', ')})`,
        );
      }
      out.line(`${globals.spec}: valid (${loaded.spec.models.length} models)`);
      out.result({
        valid: true,
        spec: loaded.spec,
        warnings: loaded.warnings,
        adjustments: loaded.adjustments,
      });
    });
}
