/**
 * The HTTP API under load: the app's `serve()` on loopback, driven by autocannon for a fixed
 * time per endpoint, with one database session, the default four, and eight.
 *
 *   benchApiLoad({ url, spec, databaseLabel, durationSeconds?, connections? }) records,
 *   through report.ts `record()`, one group per endpoint — a range of 7 days of one source
 *   (limit 1,000), 1-hour buckets over 7 days of one source, the latest row per source —
 *   with one row per session count, 1 session the baseline. `ms` is the median latency
 *   (p50); the variant names requests/s and p99 too. Any connection error, timeout or
 *   non-2xx answer throws.
 *
 * `url`: a database already migrated with bench/bench.yaml (`spec`) holding its data: a
 * year of readings of the sources `s0`…`s9` in Reading up to data.ts END, and the 1,000
 * sources of Latest. `durationSeconds`: per endpoint and session count (default 10);
 * `connections`: concurrent HTTP connections (default 16).
 */
import autocannon from 'autocannon';
import { routeOf } from '../lib/api/server.js';
import { DEFAULT_API_SESSIONS, serve } from '../lib/app/serve.js';
import type { Spec } from '../lib/spec/types.js';
import { DAY, END, modelOf } from './data.js';
import { fmtInt, fmtMs, log, record, type Result } from './report.js';

export interface ApiLoadOptions {
  /** The database holding bench.yaml's schema and data. */
  readonly url: string;
  /** bench.yaml, parsed: the API serves its models. */
  readonly spec: Spec;
  /** The Database column of the rows. */
  readonly databaseLabel: string;
  /** Per endpoint and session count; default 10. */
  readonly durationSeconds?: number | undefined;
  /** Concurrent HTTP connections; default 16. */
  readonly connections?: number | undefined;
}

/** Session counts compared; the first is the baseline. */
const SESSIONS: readonly (number | undefined)[] = [1, undefined, 8];

function sessionsLabel(sessions: number | undefined): string {
  return sessions === undefined
    ? `${DEFAULT_API_SESSIONS} sessions (default)`
    : `${sessions} session${sessions === 1 ? '' : 's'}`;
}

interface Endpoint {
  readonly benchmark: string;
  readonly path: string;
}

function endpoints(spec: Spec): Endpoint[] {
  const reading = routeOf(modelOf(spec, 'Reading'));
  const latest = routeOf(modelOf(spec, 'Latest'));
  const week = new URLSearchParams({
    source: 's3',
    start: new Date(END - 7 * DAY).toISOString(),
    end: new Date(END).toISOString(),
  });
  return [
    {
      benchmark: `GET ${reading}: last 7 days of s3, limit 1,000`,
      path: `${reading}?${week.toString()}&limit=1000`,
    },
    {
      benchmark: `GET ${reading}/aggregate: 1-hour buckets over 7 days of s3 (avg/min/max)`,
      path: `${reading}/aggregate?${week.toString()}&bucket=${encodeURIComponent('1 hour')}&aggs=avg,min,max&fields=value`,
    },
    {
      benchmark: `GET ${latest}/latest: the latest row per source`,
      path: `${latest}/latest`,
    },
  ];
}

/** One request, checked: 200 with rows; returns what the answer's meta says. */
async function probe(base: string, path: string): Promise<string> {
  const res = await fetch(base + path);
  const body = (await res.json()) as { data?: unknown[]; meta?: Record<string, unknown> };
  if (res.status !== 200 || !Array.isArray(body.data) || body.data.length === 0)
    throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  const source = body.meta?.['source'];
  return `${fmtInt(body.data.length)} rows${typeof source === 'string' ? ` from ${source}` : ''}`;
}

export async function benchApiLoad(options: ApiLoadOptions): Promise<void> {
  const duration = options.durationSeconds ?? 10;
  const connections = options.connections ?? 16;
  const list = endpoints(options.spec);
  const measured = new Map<string, Result[]>(list.map((e) => [e.benchmark, []]));
  log(
    `${options.databaseLabel}: API load, ${connections} connections for ${duration} s per endpoint, sessions ${SESSIONS.map(sessionsLabel).join(' / ')}`,
  );
  for (const sessions of SESSIONS) {
    const api = await serve({
      databaseUrl: options.url,
      spec: options.spec,
      host: '127.0.0.1',
      port: 0,
      sessions,
    });
    try {
      for (const endpoint of list) {
        const answer = await probe(api.address, endpoint.path);
        const url = api.address + endpoint.path;
        // A short warm-up opens every session and fills the plan caches.
        // The load runs in a worker thread: the server keeps this thread to itself.
        await autocannon({ url, connections, duration: 1, workers: 1 });
        const r = await autocannon({ url, connections, duration, workers: 1 });
        const failed = r.errors + r.timeouts + r.non2xx;
        if (failed > 0)
          throw new Error(
            `${endpoint.benchmark} (${sessionsLabel(sessions)}): ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`,
          );
        const perSecond = r.requests.total / r.duration;
        measured.get(endpoint.benchmark)?.push({
          database: options.databaseLabel,
          benchmark: `API load, ${connections} connections, ${duration} s: ${endpoint.benchmark}`,
          variant: `${sessionsLabel(sessions)}: ${fmtInt(perSecond)} req/s, p99 ${fmtMs(r.latency.p99)}`,
          ms: r.latency.p50,
          ratio: 0,
          baseline: false,
          note: `${fmtInt(r.requests.total)} requests, all 2xx (${answer} each); p50 ${fmtMs(r.latency.p50)}, p99 ${fmtMs(r.latency.p99)}`,
        });
      }
    } finally {
      await api.close();
    }
  }
  for (const group of measured.values()) record(group, group[0]?.variant ?? '');
}
