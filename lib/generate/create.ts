/** `prism-migrate create <name>`: a new migration file from migrations-templates/. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

export type MigrationLanguage = 'ts' | 'js';

const TEMPLATES_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'migrations-templates',
);

export function createMigration(
  name: string,
  options: { dir: string; language?: MigrationLanguage; now?: Date },
): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$/.test(name)) {
    throw new UsageError(`invalid migration name ${JSON.stringify(name)}`, {
      hint: 'use letters, digits, - and _ (e.g. add-metrics-retention)',
    });
  }
  const language = options.language ?? 'ts';
  if (language !== 'ts' && language !== 'js') {
    throw new UsageError(`unknown language ${JSON.stringify(language)}`, {
      hint: 'use --language ts or --language js',
    });
  }
  const template = readFileSync(join(TEMPLATES_DIR, `migration.${language}`), 'utf8');
  mkdirSync(options.dir, { recursive: true });
  const file = join(options.dir, `${(options.now ?? new Date()).getTime()}_${name}.${language}`);
  if (existsSync(file))
    throw new UsageError(`${file} already exists`, { hint: 'wait a millisecond and try again' });
  writeFileSync(file, template, { flag: 'wx' });
  return file;
}
