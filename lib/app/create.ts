/** `create`: a new, empty migration file from the template. */
import { createMigration as writeFromTemplate } from '../generate/create.js';
import type { MigrationLanguage } from '../generate/create.js';

export interface CreateMigrationOptions {
  /** After the timestamp in the file name, e.g. `add-metrics`. */
  readonly name: string;
  readonly migrationsDir: string;
  /** Default `ts`. */
  readonly language?: MigrationLanguage | undefined;
}

export interface CreateMigrationResult {
  readonly file: string;
}

/** Creates the directory if needed; never overwrites a file. */
export function createMigration(options: CreateMigrationOptions): CreateMigrationResult {
  const file = writeFromTemplate(options.name, {
    dir: options.migrationsDir,
    language: options.language,
  });
  return { file };
}
