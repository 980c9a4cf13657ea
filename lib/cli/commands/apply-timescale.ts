/** `apply-timescale`: the TimescaleDB steps that applied migrations skipped. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { databaseOptions, lockTimeoutOption, type GlobalOptions } from '../context.js';
import { loadSpec } from '../../spec/load.js';
import { applyTimescale } from '../../app/apply-timescale.js';

export function registerApplyTimescale(program: Command, out: Output): void {
  program
    .command('apply-timescale')
    .description(
      'apply the TimescaleDB steps that applied migrations skipped while TimescaleDB was missing: create the extension, make timeseries tables hypertables with their rows, add compression and policies',
    )
    .option('--dry-run', 'do it in a transaction that is rolled back, and say what it would do')
    .option(
      '--allow-data-loss',
      'add retention policies although their first run drops existing rows',
    )
    .addOption(lockTimeoutOption())
    .action(async (opts: { dryRun?: boolean; allowDataLoss?: boolean; lockTimeout?: number }) => {
      const globals = program.opts<GlobalOptions>();
      // The migrations' snapshot says what to reach; the spec only stands in without one.
      const specFile = resolve(globals.spec);
      const spec = existsSync(specFile) ? (await loadSpec(specFile)).spec : undefined;
      const result = await applyTimescale({
        ...databaseOptions(globals, out),
        onDatabase: (description) => out.info(`database: ${description}`),
        migrationsDir: resolve(globals.migrationsDir),
        spec,
        dryRun: opts.dryRun,
        allowDataLoss: opts.allowDataLoss,
        lockTimeoutMs: opts.lockTimeout,
      });
      for (const loss of result.dataLoss)
        out.info(`retention preview: ${loss.change.table}: ${loss.detail}`);
      const verb = result.dryRun ? 'would apply' : 'applied';
      if (result.createdExtension !== null)
        out.line(`${verb}: create TimescaleDB ${result.createdExtension} in this database`);
      for (const step of result.steps) out.line(`${verb}: ${step.description}`);
      // Every line listed counts, the extension's creation too.
      const listed = result.steps.length + (result.createdExtension === null ? 0 : 1);
      out.line(
        listed === 0
          ? 'Nothing to apply: every timeseries model has the TimescaleDB objects this server allows.'
          : result.dryRun
            ? `dry run: ${listed} step(s) rolled back, nothing changed`
            : `${listed} step(s) applied`,
      );
      out.result({
        dryRun: result.dryRun,
        createdExtension: result.createdExtension,
        timescale: result.after,
        steps: result.steps,
        dataLoss: result.dataLoss,
      });
    });
}
