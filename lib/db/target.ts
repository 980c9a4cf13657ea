/**
 * Which database a command uses, from the first place that names one: `--database-url`,
 * DATABASE_URL (the environment, then `.env`), the libpq variables (PGHOST, PGDATABASE,
 * …), `databaseUrl` in the settings file; else the embedded database in `./.prism/db` —
 * unless the environment is production or the settings turn it off, where falling back
 * to it is refused rather than deploying to a database nobody else sees.
 */
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { ENV_FILE, lookupSetting, readEnvFile, type EnvFile } from '../config/env-file.js';
import type { PrismConfig } from '../config/file.js';
import { checkDatabaseUrl, libpqUrl, LIBPQ_TARGET_VARIABLES } from './url.js';

export { redactUrl } from './url.js';

/** Where the URL of a server came from. */
export type TargetSource = 'flag' | 'env' | '.env' | 'libpq' | 'config';

export type DatabaseTarget =
  | {
      readonly kind: 'server';
      readonly url: string;
      readonly source: TargetSource;
      /** For messages: `--database-url`, `DATABASE_URL from .env`, `PGHOST, PGUSER`, … */
      readonly origin: string;
    }
  | {
      readonly kind: 'embedded';
      readonly dataDir: string;
      /** Why it may not be used here (e.g. `NODE_ENV is production`); unset: it may. */
      readonly refusal?: string | undefined;
    };

export const EMBEDDED_DIR = join('.prism', 'db');

/** Where to look besides `--database-url`. */
export interface TargetSources {
  /** Default: the working directory. */
  readonly cwd?: string | undefined;
  /** Default: process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Variables of the `.env` file (those set in `env` win); default: `<cwd>/.env` if there is one. */
  readonly envFile?: EnvFile | undefined;
  /** The settings file, if any (none is read by default). */
  readonly config?: PrismConfig | undefined;
}

export interface TargetInput extends TargetSources {
  /** `--database-url`. */
  readonly databaseUrl?: string | undefined;
}

/**
 * Why the embedded database may not be used: NODE_ENV is `production`, or the environment
 * (PRISM_ENV, else the settings' `environment`) is, or the settings say `"embedded":
 * false`. `"embedded": true` allows it anywhere.
 */
export function embeddedRefusal(
  read: (name: string) => string | undefined,
  config: PrismConfig | undefined,
): string | undefined {
  if (config?.embedded !== undefined) {
    return config.embedded ? undefined : `"embedded" is false in ${config.file}`;
  }
  if (read('NODE_ENV') === 'production') return 'NODE_ENV is production';
  const prismEnv = read('PRISM_ENV');
  if (prismEnv !== undefined)
    return prismEnv === 'production' ? 'PRISM_ENV is production' : undefined;
  return config?.environment === 'production'
    ? `"environment" is production in ${config.file}`
    : undefined;
}

/**
 * A DATABASE_URL set but empty is a secret that did not arrive: refused, rather than
 * falling through to a database nobody named.
 */
function refuseEmpty(name: string, env: NodeJS.ProcessEnv, envFile: EnvFile): void {
  const inEnv = env[name];
  const value = inEnv ?? envFile.values[name];
  if (value === undefined || value.trim() !== '') return;
  throw new UsageError(
    `${name} is set but empty${inEnv === undefined ? ` in ${envFile.name}` : ''}`,
    {
      hint: `give it the server's URL, or unset it${inEnv === undefined ? ` (remove the line from ${envFile.name})` : ''} to use the next place the database is looked for: the PG* variables, the settings file, else the embedded database`,
    },
  );
}

function server(url: string, source: TargetSource, origin: string): DatabaseTarget {
  checkDatabaseUrl(url, origin);
  return { kind: 'server', url, source, origin };
}

export function resolveTarget(input: TargetInput = {}): DatabaseTarget {
  const cwd = input.cwd ?? process.cwd();
  const env = input.env ?? process.env;
  const envFile = input.envFile ?? readEnvFile(join(cwd, ENV_FILE), ENV_FILE);
  const setting = (name: string) => lookupSetting(name, env, envFile);
  const read = (name: string) => setting(name)?.value;

  if (input.databaseUrl) return server(input.databaseUrl, 'flag', '--database-url');
  refuseEmpty('DATABASE_URL', env, envFile);
  const fromUrl = setting('DATABASE_URL');
  if (fromUrl) {
    return fromUrl.fromFile
      ? server(fromUrl.value, '.env', `DATABASE_URL from ${envFile.name}`)
      : server(fromUrl.value, 'env', 'DATABASE_URL');
  }
  const libpq = LIBPQ_TARGET_VARIABLES.filter((name) => setting(name) !== undefined);
  if (libpq.length > 0) {
    const fromFile = libpq.some((name) => setting(name)?.fromFile);
    const origin = `${libpq.join(', ')}${fromFile ? ` (from ${envFile.name})` : ''}`;
    return { kind: 'server', url: libpqUrl(read), source: 'libpq', origin };
  }
  if (input.config?.databaseUrl) {
    return server(input.config.databaseUrl, 'config', `"databaseUrl" in ${input.config.file}`);
  }
  return {
    kind: 'embedded',
    dataDir: resolve(cwd, EMBEDDED_DIR),
    refusal: embeddedRefusal(read, input.config),
  };
}

/** The error of a command that would fall back to the embedded database where it may not. */
export function embeddedRefused(refusal: string): UsageError {
  return new UsageError(
    `no database given, and the embedded database is not used here: ${refusal}`,
    {
      hint: 'set DATABASE_URL to the server to use (or pass --database-url, set PGHOST/PGDATABASE/PGUSER, or "databaseUrl" in prism.config.json)',
    },
  );
}
