/** `prism-migrate create <name>`: a new migration file from migrations-templates/. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { checkMigrationName, readTemplate, type MigrationLanguage } from './templates.js';

export type { MigrationLanguage } from './templates.js';

export function createMigration(
  name: string,
  options: { dir: string; language?: MigrationLanguage; now?: Date },
): string {
  checkMigrationName(name);
  const template = readTemplate('migration', options.language ?? 'ts');
  mkdirSync(options.dir, { recursive: true });
  const file = join(
    options.dir,
    `${(options.now ?? new Date()).getTime()}_${name}.${options.language ?? 'ts'}`,
  );
  if (existsSync(file)) {
    throw new UsageError(`${file} already exists`, { hint: 'wait a millisecond and try again' });
  }
  writeFileSync(file, template, { flag: 'wx' });
  return file;
}
