/**
 * The project settings a command works with, each from the first place that gives it:
 * the command line, then the settings file, then the built-in default. (The database has
 * more places to look: lib/db/target.ts.)
 */
import { resolve } from 'node:path';
import type { PrismConfig } from './file.js';

export const DEFAULT_SPEC = 'prism.yaml';
export const DEFAULT_MIGRATIONS_DIR = 'migrations';

export interface ProjectSettings {
  readonly spec: string;
  readonly migrationsDir: string;
  /** Unset: the runner's default (pgmigrations). */
  readonly migrationsTable?: string | undefined;
  /** Unset: the runner's default (public). */
  readonly migrationsSchema?: string | undefined;
}

/** What the command line gave; an option left out is undefined. */
export type SettingFlags = Partial<ProjectSettings>;

/**
 * A path from the settings file: as written when the file is in the working directory,
 * else relative to the file's folder.
 */
function configPath(config: PrismConfig, path: string, cwd: string): string {
  return resolve(config.dir) === resolve(cwd) ? path : resolve(config.dir, path);
}

export function resolveSettings(
  flags: SettingFlags,
  config: PrismConfig | undefined,
  cwd: string,
): ProjectSettings {
  const path = (key: 'spec' | 'migrationsDir', fallback: string) => {
    const flag = flags[key];
    if (flag !== undefined) return flag;
    const fromFile = config?.[key];
    return config && fromFile !== undefined ? configPath(config, fromFile, cwd) : fallback;
  };
  return {
    spec: path('spec', DEFAULT_SPEC),
    migrationsDir: path('migrationsDir', DEFAULT_MIGRATIONS_DIR),
    migrationsTable: flags.migrationsTable ?? config?.migrationsTable,
    migrationsSchema: flags.migrationsSchema ?? config?.migrationsSchema,
  };
}
