/** `serve`: the REST API for every timeseries model of the spec, until Ctrl-C. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import {
  count,
  databaseOptions,
  interruption,
  port,
  positiveCount,
  positiveSeconds,
  type GlobalOptions,
} from '../context.js';
import { loadSpec } from '../../spec/load.js';
import { DEFAULT_HEALTH_TIMEOUT_MS } from '../../api/health.js';
import { DEFAULT_MAX_QUEUED, DEFAULT_MAX_WAIT_MS } from '../../api/sessions.js';
import { DEFAULT_API_SESSIONS, DEFAULT_STATEMENT_TIMEOUT_MS, serve } from '../../app/serve.js';

export function registerServe(program: Command, out: Output): void {
  program
    .command('serve')
    .description('the REST API for every timeseries model of the spec, until Ctrl-C')
    .option('--port <port>', 'port', port, 3000)
    .option('--host <host>', 'host (0.0.0.0: all IPv4 interfaces)', '127.0.0.1')
    .option(
      '--statement-timeout <ms>',
      'cancel a query after this many milliseconds (503; servers only)',
      positiveCount,
      DEFAULT_STATEMENT_TIMEOUT_MS,
    )
    .option(
      '--sessions <n>',
      `database sessions on a server (default ${DEFAULT_API_SESSIONS}; the embedded database serves one)`,
      positiveCount,
    )
    .option(
      '--queue-limit <n>',
      'requests that may wait for a database session; beyond that 503 with Retry-After',
      count,
      DEFAULT_MAX_QUEUED,
    )
    .option(
      '--queue-timeout <ms>',
      'longest wait for a database session, then 503 with Retry-After',
      positiveCount,
      DEFAULT_MAX_WAIT_MS,
    )
    .option(
      '--health-timeout <ms>',
      'how long /health waits for the database before it reports "timeout"',
      positiveCount,
      DEFAULT_HEALTH_TIMEOUT_MS,
    )
    .option('--health-requires-token', '/health requires PRISM_API_TOKEN too (default: public)')
    .option(
      '--read-url <url>',
      'a streaming replica (hot standby) of the database: GET queries read there, ingest stays on the primary; repeat for several (migrations and check always use the primary)',
      (url: string, urls: string[]) => [...urls, url],
      [] as string[],
    )
    .option(
      '--max-replica-lag <seconds>',
      'reads skip a replica further behind the primary than this, or not streaming from it (checked at most every second; default: no limit)',
      positiveSeconds,
    )
    .action(
      async (opts: {
        port: number;
        host: string;
        statementTimeout: number;
        sessions?: number;
        queueLimit: number;
        queueTimeout: number;
        healthTimeout: number;
        healthRequiresToken?: boolean;
        readUrl: string[];
        maxReplicaLag?: number;
      }) => {
        const globals = program.opts<GlobalOptions>();
        const loaded = await loadSpec(resolve(globals.spec));
        const api = await serve({
          ...databaseOptions(globals, out),
          spec: loaded.spec,
          port: opts.port,
          host: opts.host,
          statementTimeoutMs: opts.statementTimeout,
          sessions: opts.sessions,
          maxQueued: opts.queueLimit,
          maxWaitMs: opts.queueTimeout,
          healthTimeoutMs: opts.healthTimeout,
          token: process.env['PRISM_API_TOKEN'],
          healthRequiresToken: opts.healthRequiresToken === true,
          readUrls: opts.readUrl,
          maxReplicaLagSeconds: opts.maxReplicaLag,
        });
        out.line(`serving ${api.routes.join(', ')} (${api.dialect})`);
        if (api.replicas.length > 0) out.line(`reading from ${api.replicas.join(', ')}`);
        for (const line of api.listening) out.line(line);
        out.result({
          address: api.address,
          addresses: api.addresses,
          listening: api.listening,
          dialect: api.dialect,
          replicas: api.replicas,
        });
        out.flush();
        await new Promise<void>((resolveStop) => {
          interruption.handler = () => {
            out.info('stopping the API…');
            api.close().then(
              () => resolveStop(),
              () => resolveStop(),
            );
          };
        });
        interruption.handler = undefined;
      },
    );
}
