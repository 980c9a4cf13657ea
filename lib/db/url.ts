/**
 * Database URLs: checked before any connection is tried (a PostgreSQL scheme, a host, a
 * database), composed from the libpq variables (PGHOST, PGPORT, …) the way psql and
 * node-pg-migrate read them, and shown without their password.
 */
import { userInfo } from 'node:os';
import { UsageError } from '../errors.js';

export const EXAMPLE_URL = 'postgres://user:password@host:5432/database';

/** Connection string with any password replaced, for messages. */
export function redactUrl(url: string): string {
  // A password holding # or @ unencoded makes a URL that parses, wrongly: hide all of
  // what stands before the last @.
  if (ambiguousLogin(url)) return url.replace(/^([^:/?#]*:\/\/).*@/, '$1***@');
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    // Up to the last @: a password that breaks the URL may hold any character.
    return url
      .replace(/^([^:/?#]*:\/\/[^:/?#@]*:).*@/, '$1***@')
      .replace(/([?&]password=)[^&#]*/, '$1***');
  }
}

/** Several @, or a # before the last @: user or password characters not percent-encoded. */
function ambiguousLogin(url: string): boolean {
  const at = url.lastIndexOf('@');
  return at >= 0 && (url.indexOf('@') !== at || url.slice(0, at).includes('#'));
}

/** Throws a UsageError saying what is missing when `url` cannot name a PostgreSQL database. */
export function checkDatabaseUrl(url: string, origin: string): void {
  const shown = redactUrl(url);
  if (url !== url.trim()) {
    throw new UsageError(
      `${origin} starts or ends with spaces: ${JSON.stringify(url.replace(url.trim(), shown))}`,
      {
        hint: 'remove the spaces around the URL (check how the variable or secret is set)',
      },
    );
  }
  if (ambiguousLogin(url)) {
    throw new UsageError(`${origin} holds an @ or # in its user or password: ${shown}`, {
      hint: 'percent-encode them in the URL (@ as %40, # as %23, : as %3A, / as %2F)',
    });
  }
  const parsed = parseUrl(url);
  if (parsed === undefined) {
    throw new UsageError(`${origin} is not a valid URL: ${shown}`, {
      hint: `write it as ${EXAMPLE_URL}; characters such as @ : / # ? in the user or password must be percent-encoded (@ as %40)`,
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(
      `${origin} must start with postgres:// or postgresql://, not ${parsed.protocol}//: ${shown}`,
      { hint: `prism-migrate works with PostgreSQL (and TimescaleDB): ${EXAMPLE_URL}` },
    );
  }
  if (parsed.hostname === '' && !parsed.searchParams.get('host')) {
    throw new UsageError(`${origin} names no host: ${shown}`, {
      hint: `put the server's host after //, as in ${EXAMPLE_URL}, or a socket folder as ?host=/var/run/postgresql`,
    });
  }
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    throw new UsageError(`${origin} has an unknown sslmode ${JSON.stringify(sslmode)}: ${shown}`, {
      hint: `use one of ${SSL_MODES.join(', ')}`,
    });
  }
  if (parsed.pathname.replace(/^\//, '') === '') {
    throw new UsageError(`${origin} names no database: ${shown}`, {
      hint: `add /<database> after the host and port, as in ${EXAMPLE_URL}`,
    });
  }
}

/** The variables that, any one of them set, make the libpq variables the target. */
export const LIBPQ_TARGET_VARIABLES = [
  'PGHOST',
  'PGHOSTADDR',
  'PGDATABASE',
  'PGPORT',
  'PGUSER',
] as const;

/** Connection parameters pg reads from a URL, and the variable that sets each. */
const LIBPQ_PARAMETERS = [
  ['sslmode', 'PGSSLMODE'],
  ['sslrootcert', 'PGSSLROOTCERT'],
  ['sslcert', 'PGSSLCERT'],
  ['sslkey', 'PGSSLKEY'],
] as const;

/**
 * A URL for pg from the libpq variables, with libpq's defaults: host localhost, port
 * 5432, the database named after the user. A PGHOST starting with `/` is a socket folder.
 * `read` gives a variable's value, undefined when unset.
 */
export function libpqUrl(read: (name: string) => string | undefined): string {
  const host = read('PGHOSTADDR') ?? read('PGHOST') ?? 'localhost';
  if (host.includes(',')) {
    throw new UsageError(`PGHOST lists several hosts (${host})`, {
      hint: 'prism-migrate connects to one server: set PGHOST to one of them',
    });
  }
  const port = read('PGPORT') ?? '5432';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new UsageError(`PGPORT must be a port number 1-65535, not ${JSON.stringify(port)}`);
  }
  // libpq's default user is the operating system's, whatever USER says.
  const user = read('PGUSER') ?? read('USER') ?? read('USERNAME') ?? systemUser();
  const database = read('PGDATABASE') ?? user;
  if (database === undefined) {
    throw new UsageError('the libpq variables name no database and no user', {
      hint: 'set PGDATABASE (and PGUSER)',
    });
  }
  const password = read('PGPASSWORD');
  const login =
    user === undefined
      ? ''
      : `${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@`;
  const address = host.startsWith('/')
    ? encodeURIComponent(host)
    : host.includes(':')
      ? `[${host}]`
      : host;
  const params = new URLSearchParams();
  for (const [param, variable] of LIBPQ_PARAMETERS) {
    const value = read(variable);
    if (value !== undefined) params.set(param, value);
  }
  const query = params.size > 0 ? `?${params.toString()}` : '';
  return `postgres://${login}${address}:${port}/${encodeURIComponent(database)}${query}`;
}

function systemUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** The sslmode values pg takes (libpq's, and its own no-verify). */
const SSL_MODES = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
  'no-verify',
];

/**
 * The URL as pg reads it. libpq's form for a socket, a login and no host before the path
 * with the folder as `?host=` (`postgres://user@/db?host=/var/run/postgresql`), is not a
 * URL to WHATWG's parser: it is read with a stand-in host, which `?host=` overrides.
 */
function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    const filled = url.replace(/^([^:/?#]*:\/\/[^/?#]*@)(?=\/)/, '$1localhost');
    if (filled === url) return undefined;
    try {
      const u = new URL(filled);
      return u.searchParams.get('host') ? u : undefined;
    } catch {
      return undefined;
    }
  }
}
