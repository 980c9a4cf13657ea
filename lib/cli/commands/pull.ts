/**
 * `pull`: adopt an existing database — prism.yaml and a baseline migration recorded as
 * applied. What prism.yaml cannot state is listed on stderr (and commented in the file).
 * Exit 0 pulled; 2 a spec file or migrations that exist already, a schema that is not
 * the current one, no tables; 3 the database refused or could not be reached.
 */
import { relative, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Output } from '../output.js';
import { databaseOptions, lockTimeoutOption, type GlobalOptions } from '../context.js';
import { pull } from '../../app/pull.js';

function tableList(value: string): string[] {
  const names = value.split(',').map((n) => n.trim());
  if (names.some((n) => n === ''))
    throw new InvalidArgumentError('expected table names separated by commas, e.g. users,orders');
  return [...new Set(names)];
}

/** A path as the user would type it: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

export function registerPull(program: Command, out: Output): void {
  program
    .command('pull')
    .description(
      'adopt an existing database: write prism.yaml and a baseline migration, recorded as applied there',
    )
    .option(
      '--schema <schema>',
      "the schema to read (default: the connection's current schema); models outside public get `schema:`",
    )
    .option('--tables <names>', 'only these tables, separated by commas', tableList)
    .option('--force', 'overwrite an existing spec file')
    .addOption(lockTimeoutOption())
    .action(
      async (opts: {
        schema?: string;
        tables?: string[];
        force?: boolean;
        lockTimeout?: number;
      }) => {
        const globals = program.opts<GlobalOptions>();
        const result = await pull({
          ...databaseOptions(globals, out),
          specFile: resolve(globals.spec),
          migrationsDir: resolve(globals.migrationsDir),
          schema: opts.schema,
          tables: opts.tables,
          force: opts.force,
          lockTimeoutMs: opts.lockTimeout,
        });
        for (const n of result.notes) out.info(`note: ${n.table}: ${n.what}: ${n.detail}`);
        out.line(
          `Pulled ${result.tables.length} table(s) of schema ${result.schema} from ${result.database}:`,
        );
        for (const t of result.tables) out.line(`  ${t.model} (table ${t.table})`);
        out.line(`wrote ${shown(result.specFile)}`);
        out.line(`wrote ${shown(result.migrationFile)}, recorded as applied`);
        out.line(`wrote ${shown(result.snapshot)}`);
        if (result.adopted !== undefined) {
          out.line(
            `wrote ${shown(result.adopted)}: ${result.accepted} difference(s) from the spec that \`check\` leaves alone while they stay as they are`,
          );
        }
        if (result.notes.length > 0) {
          out.line(
            `${result.notes.length} thing(s) prism.yaml cannot state yet are listed above and commented in ${shown(result.specFile)}; they stay in the database as they are`,
          );
        }
        out.result({ ...result, adopted: result.adopted ?? null });
      },
    );
}
