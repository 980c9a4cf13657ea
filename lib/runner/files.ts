/** Migration files in a directory, ordered as node-pg-migrate orders them. */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UsageError } from '../errors.js';

const MIGRATION_EXTENSIONS = new Set(['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts', '.sql']);

/**
 * For node-pg-migrate's `ignorePattern` (matched against whole file names): dot files and
 * anything that is not a migration, so `up` reads exactly the files `status` lists.
 */
export const MIGRATION_IGNORE_PATTERN = '(?:\\..*|.*(?<!\\.(?:js|cjs|mjs|ts|cts|mts|sql)))';

/** A migration's name as node-pg-migrate records it, given its name or its file name. */
export function migrationName(nameOrFile: string): string {
  const extension = extname(nameOrFile);
  return MIGRATION_EXTENSIONS.has(extension) ? nameOrFile.slice(0, -extension.length) : nameOrFile;
}

export interface MigrationFile {
  readonly name: string;
  readonly path: string;
}

export function listMigrationFiles(dir: string): MigrationFile[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`the migrations directory ${dir} does not exist`, {
        hint: 'write the first migration with `prism-migrate generate` (from prism.yaml) or `prism-migrate create <name>`, or point --migrations-dir at your migrations',
      });
    }
    throw error;
  }
  return entries
    .filter(
      (f) =>
        !f.startsWith('.') &&
        MIGRATION_EXTENSIONS.has(extname(f)) &&
        statSync(join(dir, f)).isFile(),
    )
    .map((f) => ({ name: f.slice(0, -extname(f).length), path: join(dir, f) }))
    .sort((a, b) => compareMigrationNames(a.name, b.name));
}

/**
 * node-pg-migrate's order: by the number the name starts with (17 digits are a UTC time,
 * `YYYYMMDDhhmmssSSS`), then by the name ignoring punctuation, numbers compared as numbers.
 */
export function compareMigrationNames(a: string, b: string): number {
  const byPrefix = numericPrefix(a) - numericPrefix(b);
  if (byPrefix !== 0 && !Number.isNaN(byPrefix)) return byPrefix;
  return a.localeCompare(b, undefined, {
    usage: 'sort',
    numeric: true,
    sensitivity: 'variant',
    ignorePunctuation: true,
  });
}

function numericPrefix(name: string): number {
  const prefix = /^\d+/.exec(name)?.[0];
  if (prefix === undefined) return Number.NaN;
  if (prefix.length !== 17) return Number(prefix);
  const [, y, mo, d, h, mi, s, ms] =
    /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/.exec(prefix) ?? [];
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`).valueOf();
}
