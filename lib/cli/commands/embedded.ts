/** `embedded start|status|reset`: the embedded TimescaleDB in ./.prism/db. */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { interruption, port, positiveCount, type GlobalOptions } from '../context.js';
import { DatabaseError, UsageError } from '../../errors.js';
import { EMBEDDED_DIR, embeddedRefused, resolveTarget } from '../../db/target.js';
import { acquireLock, inspectLock } from '../../db/embedded/lock.js';
import { DEFAULT_EMBEDDED_PORT, startEmbeddedServer } from '../../db/embedded/serve.js';
import { isLoopback } from '../../app/serve.js';

function dirSize(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, entry) => sum + dirSize(join(path, entry)), 0);
}

export function registerEmbedded(program: Command, out: Output): void {
  const embedded = program
    .command('embedded')
    .description('the embedded TimescaleDB in ./.prism/db');
  embedded
    .command('start')
    .description(
      'serve the embedded database for psql, GUI clients and other commands until Ctrl-C',
    )
    .option('--port <port>', 'port', port, DEFAULT_EMBEDDED_PORT)
    .option('--host <host>', 'host', '127.0.0.1')
    .option('--wait-timeout <ms>', 'how long a client waits for the session', positiveCount, 30000)
    .action(async (opts: { port: number; host: string; waitTimeout: number }) => {
      const globals = program.opts<GlobalOptions>();
      const target = resolveTarget({ ...globals.sources, databaseUrl: globals.databaseUrl });
      if (target.kind !== 'embedded') {
        throw new UsageError(`${target.origin} names a server: the embedded database is not used`, {
          hint: `leave out ${target.origin} to serve the embedded database`,
        });
      }
      if (target.refusal !== undefined) throw embeddedRefused(target.refusal);
      const server = await startEmbeddedServer({
        dataDir: target.dataDir,
        port: opts.port,
        host: opts.host,
        waitTimeoutMs: opts.waitTimeout,
        log: (l) => out.info(l),
      });
      if (!isLoopback(opts.host)) {
        out.info(
          `warning: ${opts.host} is not a loopback address: anyone who can reach this port gets a superuser session without a password`,
        );
      }
      out.line(`embedded TimescaleDB serving ${target.dataDir}`);
      out.line(`  psql ${server.url}`);
      out.line(
        'one client session at a time; other prism-migrate commands connect through this server. Ctrl-C stops it.',
      );
      out.result({ url: server.url, port: server.port, pid: process.pid });
      out.flush();
      const stopped = new Promise<void>((resolveStop) => {
        interruption.handler = () => {
          out.info('stopping the embedded database…');
          server.stop().then(resolveStop, resolveStop);
        };
      });
      const failed = await Promise.race([stopped.then(() => undefined), server.failure]);
      interruption.handler = undefined;
      if (failed) {
        throw new DatabaseError(`the embedded database engine stopped: ${failed.message}`, {
          hint: 'start it again; committed rows are kept',
        });
      }
      out.info('stopped; the lock is released');
    });

  embedded
    .command('status')
    .description(
      'whether the embedded database is served, by which pid on which port, and its size',
    )
    .action(() => {
      const target = { dataDir: resolve(EMBEDDED_DIR) };
      const lock = inspectLock(target.dataDir);
      const exists = existsSync(target.dataDir);
      const size = dirSize(target.dataDir);
      const state =
        lock.state === 'owned'
          ? lock.info.port !== null
            ? `running: pid ${lock.info.pid}, postgres://postgres@${lock.info.host ?? '127.0.0.1'}:${lock.info.port}/postgres, since ${lock.info.startedAt}`
            : `in use by pid ${lock.info.pid} (\`${lock.info.command}\`, since ${lock.info.startedAt})`
          : lock.state === 'stale'
            ? `not running (a stale lock from pid ${lock.info?.pid ?? '?'} will be taken over)`
            : 'not running';
      out.line(
        `${target.dataDir}: ${exists ? `${(size / 1024 / 1024).toFixed(1)} MiB` : 'not created yet'}`,
      );
      out.line(state);
      out.result({ dataDir: target.dataDir, exists, sizeBytes: size, lock });
    });

  embedded
    .command('reset')
    .description('delete the embedded database (refused while it is in use)')
    .option('--yes', 'confirm deleting every table and row in ./.prism/db')
    .action((opts: { yes?: boolean }) => {
      const target = { dataDir: resolve(EMBEDDED_DIR) };
      if (!opts.yes) {
        throw new UsageError(`this deletes ${target.dataDir} and all its data`, {
          hint: 'run `prism-migrate embedded reset --yes` to confirm',
        });
      }
      // Held while deleting, so no other process opens the directory half-deleted.
      const lock = acquireLock(target.dataDir, 'embedded reset');
      try {
        rmSync(target.dataDir, { recursive: true, force: true });
      } finally {
        lock.release();
      }
      out.line(`deleted ${target.dataDir}`);
      out.result({ deleted: target.dataDir });
    });
}
