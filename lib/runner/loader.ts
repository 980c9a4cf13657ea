/**
 * How `prism-migrate` loads JavaScript and TypeScript migration files: as node-pg-migrate
 * does (jiti, which compiles TypeScript), except that `prism-migrate` and
 * `prism-migrate/operations` always resolve to the running copy of this package. A
 * migrations directory outside the project (or a prism-migrate installed globally) finds
 * the operations all the same, and they share the runner's TimescaleDB mode override.
 * `.sql` files keep node-pg-migrate's own loader.
 */
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import type { RunnerOption } from 'node-pg-migrate';

type Strategies = NonNullable<RunnerOption['migrationLoaderStrategies']>;

const CODE_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

const packageFile = (path: string) => fileURLToPath(new URL(path, import.meta.url));

let jiti: ReturnType<typeof createJiti> | undefined;

function loaderJiti(): ReturnType<typeof createJiti> {
  jiti ??= createJiti(import.meta.url, {
    alias: {
      'prism-migrate/operations': packageFile('../operations/pgm.js'),
      'prism-migrate': packageFile('../index.js'),
    },
  });
  return jiti;
}

/** A migration file's exports (`up`, `down`, …), loaded as `prism-migrate up` loads it. */
export function importMigration(filePath: string): Promise<unknown> {
  const loader = loaderJiti();
  // Read anew each run: a process that runs migrations again (a test, a dev server) after
  // the file changed runs what the file says now, as its checksum does.
  delete loader.cache[filePath];
  return loader.import(filePath);
}

export const MIGRATION_LOADERS: Strategies = [
  { extensions: ['.sql'], loader: 'legacySql' },
  {
    extensions: CODE_EXTENSIONS,
    loader: async (filePaths) => {
      const units = [];
      for (const filePath of filePaths) {
        const actions = await importMigration(filePath);
        units.push({ id: filePath, filePaths: [filePath], actions: actions as never });
      }
      return units;
    },
  },
];
