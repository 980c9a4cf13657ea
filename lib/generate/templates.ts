/** Migration files: their templates, languages and names, shared by `create` and `generate`. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
const cache = new Map<string, string>();

/** `migrations-templates/<kind>.<language>`: `migration` for create, `generated` for generate. */
export function readTemplate(kind: 'migration' | 'generated', language: MigrationLanguage): string {
  checkLanguage(language);
  const file = `${kind}.${language}`;
  let text = cache.get(file);
  if (text === undefined) {
    text = readFileSync(resolve(TEMPLATES_DIR, file), 'utf8');
    cache.set(file, text);
  }
  return text;
}

export function checkLanguage(language: string): asserts language is MigrationLanguage {
  if (language !== 'ts' && language !== 'js') {
    throw new UsageError(`unknown language ${JSON.stringify(language)}`, {
      hint: 'use --language ts or --language js',
    });
  }
}

/** The part of a migration file name after the timestamp. */
export function checkMigrationName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$/.test(name)) {
    throw new UsageError(`invalid migration name ${JSON.stringify(name)}`, {
      hint: 'use letters, digits, - and _ (e.g. add-metrics-retention)',
    });
  }
}
