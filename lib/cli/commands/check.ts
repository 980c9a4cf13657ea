/** `check`: exit 1 when migrations are missing or pending, or the database drifts. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { databaseOptions, type GlobalOptions } from '../context.js';
import { CheckFailedError } from '../../errors.js';
import { loadSpec } from '../../spec/load.js';
import { checkDatabase, checkMigrations } from '../../app/check.js';

export function registerCheck(program: Command, out: Output): void {
  program
    .command('check')
    .description(
      'exit 1 when the spec holds changes that no migration holds; given a database, also on pending migrations or drift',
    )
    .action(async () => {
      const globals = program.opts<GlobalOptions>();
      const loaded = await loadSpec(resolve(globals.spec));
      const migrationsDir = resolve(globals.migrationsDir);
      const migrations = checkMigrations(loaded.spec, migrationsDir);
      const problems: string[] = [...migrations.lineage];
      for (const p of problems) out.line(`  ${p}`);
      for (const c of migrations.changes) out.line(`  not in any migration: ${c.description}`);
      if (migrations.changes.length > 0) {
        problems.push(
          `${migrations.changes.length} change(s) of ${globals.spec} are in no migration (run \`prism-migrate generate\`)`,
        );
      }
      const database = await checkDatabase({
        ...databaseOptions(globals, out),
        spec: loaded.spec,
        migrationsDir,
      });
      if (database) {
        for (const name of database.unapplied) out.line(`  pending migration: ${name}`);
        for (const name of database.changed)
          out.line(`  applied migration changed since it ran: ${name}`);
        if (database.changed.length > 0)
          problems.push(
            `${database.changed.length} applied migration file(s) changed since they ran (restore them, or accept with \`prism-migrate resolve --applied <name>\`)`,
          );
        for (const d of database.drift) {
          out.line(`  drift in ${d.table}: ${d.what} is ${d.actual}, expected ${d.expected}`);
          out.line(`    change: ${d.change} — ${d.fix}`);
        }
        if (database.unapplied.length > 0)
          problems.push(
            `${database.unapplied.length} migration(s) not applied (run \`prism-migrate up\`)`,
          );
        if (database.drift.length > 0)
          problems.push(
            `the live schema of ${database.description} drifts from the spec in ${database.drift.length} place(s)`,
          );
      }
      out.result({
        upToDate: problems.length === 0,
        lineage: migrations.lineage,
        changes: migrations.changes,
        destructive: migrations.destructive,
        database,
      });
      if (problems.length === 0) {
        out.line(
          database
            ? `The migrations hold every change of the spec, all are applied, and ${database.description} matches it.`
            : 'The migrations hold every change of the spec.',
        );
        return;
      }
      throw new CheckFailedError(problems.join('; '), {
        hint: 'generate and commit the missing migration, apply pending ones with `prism-migrate up`, or undo changes made by hand',
      });
    });
}
