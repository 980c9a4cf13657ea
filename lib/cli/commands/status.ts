/** `status`: applied and pending migrations, and the TimescaleDB objects in the database. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { databaseOptions, type GlobalOptions } from '../context.js';
import { describeAvailability } from '../../db/detect.js';
import { status } from '../../app/status.js';

export function registerStatus(program: Command, out: Output): void {
  program
    .command('status')
    .description('applied and pending migrations, and the TimescaleDB objects in the database')
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      const { database, timescale, migrations, hypertables, aggregates } = await status({
        ...databaseOptions(globals, out),
        migrationsDir: resolve(globals.migrationsDir),
      });
      out.line(`database: ${database}`);
      out.line(describeAvailability(timescale));
      out.line('migrations:');
      for (const m of migrations) {
        const state = m.missingFile
          ? 'applied, FILE MISSING'
          : m.changed
            ? 'applied, FILE CHANGED'
            : m.applied
              ? 'applied'
              : 'pending';
        out.line(`  ${state.padEnd(8)} ${m.name}`);
      }
      if (hypertables.length > 0) out.line('hypertables:');
      for (const h of hypertables) {
        out.line(
          `  ${h.table} on ${h.timeColumn}: chunks of ${h.chunkInterval}, ${h.chunks} chunks, compression ${h.compressionEnabled ? 'on' : 'off'}` +
            `${h.compressionPolicy ? `, compress after ${h.compressionPolicy}` : ''}${h.retentionPolicy ? `, drop after ${h.retentionPolicy}` : ''}`,
        );
      }
      if (aggregates.length > 0) out.line('aggregates:');
      for (const a of aggregates) {
        const form = a.form === 'continuous' ? 'continuous aggregate' : `${a.form} standing in`;
        out.line(`  ${a.aggregate}: ${form}, ${a.bucket} buckets of ${a.source}`);
      }
      out.result({ database, timescale, migrations, hypertables, aggregates });
    });
}
