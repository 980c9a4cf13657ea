/**
 * The `.env` file: settings for every variable the tool reads (DATABASE_URL, PG*, NODE_ENV,
 * PRISM_API_TOKEN, …). A variable already set in the environment always wins over it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { UsageError } from '../errors.js';

export const ENV_FILE = '.env';

export interface EnvFile {
  /** As messages name it, e.g. `.env`. */
  readonly name: string;
  readonly values: Readonly<Record<string, string>>;
}

/** The variables of the file at `path`; none when it is absent, unless `required` (given with --env-path). */
export function readEnvFile(path: string, name: string, required = false): EnvFile {
  if (!existsSync(path)) {
    if (required) {
      throw new UsageError(`the env file ${name} does not exist`, {
        hint: 'check --env-path, or leave it out to read .env when there is one',
      });
    }
    return { name, values: {} };
  }
  return { name, values: Object.freeze(parse(readFileSync(path))) };
}

/** Sets in `env` each variable of the file that it does not set already. */
export function applyEnvFile(file: EnvFile, env: NodeJS.ProcessEnv): void {
  for (const [key, value] of Object.entries(file.values)) {
    if (env[key] === undefined) env[key] = value;
  }
}

/**
 * A variable's value and whether the file gave it (the environment wins); an empty value
 * counts as unset.
 */
export function lookupSetting(
  key: string,
  env: NodeJS.ProcessEnv,
  file: EnvFile,
): { readonly value: string; readonly fromFile: boolean } | undefined {
  const set = env[key];
  if (set !== undefined) return set ? { value: set, fromFile: false } : undefined;
  const value = file.values[key];
  return value ? { value, fromFile: true } : undefined;
}
