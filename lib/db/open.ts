/**
 * Opens the database a command uses and returns a connection string for `pg`: a server
 * URL as given, or the embedded database — through the port of a running `embedded
 * start`, or opened by this process (holding the lock) and served on a private port.
 * Every connection made from it says which command it is (`application_name`
 * `prism-migrate up`), unless the URL or PGAPPNAME names it already, so that another
 * deploy waiting for the migration lock, psql waiting for the embedded session, and
 * pg_stat_activity can tell who it is.
 */
import { existsSync } from 'node:fs';
import { DatabaseError } from '../errors.js';
import { acquireLock, inspectLock, type LockInfo } from './embedded/lock.js';
import { closeEngine, openEngine } from './embedded/engine.js';
import { SessionServer } from './embedded/server.js';
import { embeddedRefused, redactUrl, type DatabaseTarget } from './target.js';

export interface OpenDatabase {
  readonly url: string;
  readonly description: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Recorded in the lock file, e.g. `up`. */
  readonly command: string;
  /** Progress lines (stderr in the CLI). */
  readonly log?: ((line: string) => void) | undefined;
  /** Read-only commands never create the embedded database. */
  readonly mustExist?: boolean | undefined;
  /** Default `prism-migrate <command>`. */
  readonly applicationName?: string | undefined;
  /** For PGAPPNAME; default process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export function embeddedUrl(host: string, port: number): string {
  return `postgres://postgres@${host}:${port}/postgres`;
}

/** PostgreSQL keeps the first 63 bytes of application_name, printable ASCII only. */
function cleanApplicationName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, 63);
}

/** `url` parsed, when it is a `postgres://` URL whose parameters pg reads. */
function postgresUrl(url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    return /^postgres(ql)?:$/.test(parsed.protocol) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `url` with `application_name=<name>` added, unless it names one already (or is not a
 * URL pg reads parameters from, such as a bare socket path).
 */
export function withApplicationName(url: string, name: string): string {
  const parsed = postgresUrl(url);
  if (parsed === undefined || parsed.searchParams.has('application_name')) return url;
  const [base = url, fragment] = url.split('#', 2);
  const param = `application_name=${encodeURIComponent(cleanApplicationName(name))}`;
  const joined = `${base}${base.includes('?') ? (/[?&]$/.test(base) ? '' : '&') : '?'}${param}`;
  return fragment === undefined ? joined : `${joined}#${fragment}`;
}

/**
 * `url` whose session is named `name` instead of the name this tool gave it (a second
 * session of one command, e.g. `prism-migrate serve (health)`); a name the user chose is
 * kept.
 */
export function renamedSession(url: string, name: string): string {
  const parsed = postgresUrl(url);
  if (parsed === undefined) return url;
  const current = parsed.searchParams.get('application_name');
  if (current === null || !current.startsWith('prism-migrate')) return url;
  parsed.searchParams.set('application_name', cleanApplicationName(name));
  return parsed.toString();
}

function describeOwner(info: LockInfo): string {
  return `pid ${info.pid} at ${info.host ?? '127.0.0.1'}:${info.port}`;
}

export async function openDatabase(
  target: DatabaseTarget,
  options: OpenOptions,
): Promise<OpenDatabase> {
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const name = options.applicationName ?? `prism-migrate ${options.command}`;
  const named = (url: string) => (env['PGAPPNAME'] ? url : withApplicationName(url, name));
  if (target.kind === 'server') {
    return {
      url: named(target.url),
      description: redactUrl(target.url),
      embedded: false,
      close: async () => undefined,
    };
  }
  const { dataDir } = target;
  if (target.refusal !== undefined) throw embeddedRefused(target.refusal);
  const lock = inspectLock(dataDir);
  if (lock.state === 'owned' && lock.info.port !== null) {
    log(
      `using the embedded database served by \`prism-migrate embedded start\` (${describeOwner(lock.info)})`,
    );
    return {
      url: named(embeddedUrl(lock.info.host ?? '127.0.0.1', lock.info.port)),
      description: `embedded database ${dataDir} via ${describeOwner(lock.info)}`,
      embedded: true,
      close: async () => undefined,
    };
  }
  if (options.mustExist && !existsSync(dataDir)) {
    throw new DatabaseError(`there is no embedded database at ${dataDir} yet`, {
      hint: 'run `prism-migrate up` to create it, or pass --database-url',
    });
  }
  const handle = acquireLock(dataDir, options.command, (previous) =>
    log(
      `taking over the lock of the embedded database left by pid ${previous?.pid ?? '?'}, which is no longer running`,
    ),
  );
  try {
    const engine = await openEngine(dataDir);
    const server = new SessionServer(engine, { host: '127.0.0.1', port: 0 });
    const { host, port } = await server.start().catch(async (error: unknown) => {
      await closeEngine(engine);
      throw error;
    });
    let closed = false;
    return {
      url: named(embeddedUrl(host, port)),
      description: `embedded database ${dataDir}`,
      embedded: true,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await server.stop();
          await closeEngine(engine);
        } finally {
          handle.release();
        }
      },
    };
  } catch (error) {
    handle.release();
    throw new DatabaseError(
      `could not open the embedded database ${dataDir}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
