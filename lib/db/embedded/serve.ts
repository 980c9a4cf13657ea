/** `prism-migrate embedded start`: the embedded database as a local server. */
import { DatabaseError, UsageError } from '../../errors.js';
import { embeddedUrl } from '../open.js';
import { acquireLock, type LockInfo } from './lock.js';
import { closeEngine, openEngine } from './engine.js';
import { SessionServer, type SessionServerOptions } from './server.js';

export const DEFAULT_EMBEDDED_PORT = 5433;

export interface EmbeddedServerOptions extends Omit<SessionServerOptions, 'log'> {
  readonly dataDir: string;
  readonly log?: ((line: string) => void) | undefined;
}

export interface RunningEmbeddedServer {
  readonly url: string;
  readonly port: number;
  /** Settles when the engine dies; by then the server is stopped and the lock released. */
  readonly failure: Promise<Error>;
  stop(): Promise<void>;
}

export async function startEmbeddedServer(
  options: EmbeddedServerOptions,
): Promise<RunningEmbeddedServer> {
  const log = options.log ?? (() => undefined);
  if (options.port === 5432) {
    throw new UsageError('port 5432 is reserved for a real PostgreSQL server', {
      hint: 'use --port 5433 or another port',
    });
  }
  const lock = acquireLock(options.dataDir, 'embedded start', (previous: LockInfo | undefined) =>
    log(`taking over the lock left by pid ${previous?.pid ?? '?'}, which is no longer running`),
  );
  try {
    const engine = await openEngine(options.dataDir);
    let reportFailure: (error: Error) => void = () => undefined;
    const failure = new Promise<Error>((resolve) => (reportFailure = resolve));
    const server = new SessionServer(engine, {
      ...options,
      port: options.port ?? DEFAULT_EMBEDDED_PORT,
      // A dead engine (a WebAssembly trap, a crashed thread) cannot serve anyone: stop,
      // release the lock, report it.
      onEngineFailure: (error) => {
        void running.stop().finally(() => reportFailure(error));
      },
    });
    let address;
    try {
      address = await server.start();
    } catch (error) {
      await closeEngine(engine);
      throw new DatabaseError(
        `could not listen on ${options.host ?? '127.0.0.1'}:${options.port ?? DEFAULT_EMBEDDED_PORT}: ${(error as Error).message}`,
        {
          hint: 'pick another port with --port',
        },
      );
    }
    lock.setPort(address.host, address.port);
    let stopped = false;
    // eslint-disable-next-line prefer-const -- used by onEngineFailure above, assigned below
    let running: RunningEmbeddedServer;
    running = {
      url: embeddedUrl(address.host, address.port),
      port: address.port,
      failure,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await server.stop();
          await closeEngine(engine);
        } finally {
          lock.release();
        }
      },
    };
    return running;
  } catch (error) {
    lock.release();
    throw error;
  }
}
