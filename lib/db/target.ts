/**
 * Which database a command uses: `--database-url`, else DATABASE_URL (also read from
 * `.env`), else the embedded database in `./.prism/db`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { readFileSync } from 'node:fs';

export type DatabaseTarget =
  | { readonly kind: 'server'; readonly url: string; readonly source: 'flag' | 'env' | '.env' }
  | { readonly kind: 'embedded'; readonly dataDir: string };

export const EMBEDDED_DIR = join('.prism', 'db');

export interface TargetInput {
  readonly databaseUrl?: string | undefined;
  readonly cwd?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export function resolveTarget(input: TargetInput = {}): DatabaseTarget {
  const cwd = input.cwd ?? process.cwd();
  const env = input.env ?? process.env;
  if (input.databaseUrl) return { kind: 'server', url: input.databaseUrl, source: 'flag' };
  if (env['DATABASE_URL']) return { kind: 'server', url: env['DATABASE_URL'], source: 'env' };
  const dotenvPath = join(cwd, '.env');
  if (existsSync(dotenvPath)) {
    const url = parseDotenv(readFileSync(dotenvPath))['DATABASE_URL'];
    if (url) return { kind: 'server', url, source: '.env' };
  }
  return { kind: 'embedded', dataDir: resolve(cwd, EMBEDDED_DIR) };
}

/** Connection string with any password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable database URL)';
  }
}
