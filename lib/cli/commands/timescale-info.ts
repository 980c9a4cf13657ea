/** `timescale-info`: TimescaleDB version and licence, hypertables, chunks, compression, jobs. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { databaseOptions, type GlobalOptions } from '../context.js';
import { loadSpec } from '../../spec/load.js';
import { formatTimescaleInfo } from '../../introspect/format-info.js';
import { describeTimescale } from '../../app/timescale-info.js';

export function registerTimescaleInfo(program: Command, out: Output): void {
  program
    .command('timescale-info')
    .description(
      'TimescaleDB version and licence, hypertables, chunks, compression and policy jobs',
    )
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      const specFile = resolve(globals.spec);
      // The spec only names models; without one the database is described alone.
      const spec = existsSync(specFile) ? (await loadSpec(specFile)).spec : undefined;
      const info = await describeTimescale({ ...databaseOptions(globals, out), spec });
      out.line(formatTimescaleInfo(info));
      out.result(info);
    });
}
