/**
 * Fills the aggregates migrations created, once those migrations have committed: they
 * are created empty (WITH NO DATA) inside the migration's transaction, and
 * refresh_continuous_aggregate cannot run inside one. Lower levels first: in the order the
 * migrations created them. A view dropped again later in the run is skipped.
 */
import type pg from 'pg';
import { timescaleSchema } from '../catalog/read.js';
import { AggregateRefreshError } from '../errors.js';
import { findRefreshMarkers, type RefreshMarker } from '../operations/aggregates/refresh-marker.js';
import { quoteIdent, quoteLiteral, quoteTable } from '../sql/quote.js';

export interface AggregateToRefresh extends RefreshMarker {
  /** The migration that asked for it. */
  readonly migration: string;
}

/** The refreshes the SQL of each committed migration asks for, in order. */
export function aggregatesToRefresh(
  committed: readonly string[],
  sqlByMigration: ReadonlyMap<string, string>,
): AggregateToRefresh[] {
  const found = committed.flatMap((migration) =>
    findRefreshMarkers(sqlByMigration.get(migration) ?? '').map((m) => ({ ...m, migration })),
  );
  // A view created twice (dropped and created again) is refreshed where it was created last:
  // the aggregates built on it were created again after it.
  return found.filter(
    (m, i) => !found.slice(i + 1).some((later) => quoteTable(later.view) === quoteTable(m.view)),
  );
}

export interface AggregateRefresh {
  readonly migration: string;
  /** Schema-qualified, quoted. */
  readonly view: string;
  readonly form: 'continuous' | 'materialized view';
  readonly ok: boolean;
  readonly error?: string | undefined;
  /** What refreshes it by hand. */
  readonly command: string;
}

interface Found {
  readonly qualified: string;
  readonly kind: string;
  readonly continuous: boolean;
}

async function lookUp(
  client: pg.ClientBase,
  view: string,
  ts: string | undefined,
): Promise<Found | undefined> {
  const r = await client.query<{ qualified: string; kind: string; schema: string; name: string }>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS qualified, c.relkind AS kind, n.nspname AS schema, c.relname AS name
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = pg_catalog.to_regclass($1)`,
    [view],
  );
  const row = r.rows[0];
  if (row === undefined) return undefined;
  let continuous = false;
  if (ts !== undefined) {
    const c = await client.query(
      'SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1 AND view_name = $2',
      [row.schema, row.name],
    );
    continuous = (c.rowCount ?? 0) > 0;
  }
  return { qualified: row.qualified, kind: row.kind, continuous };
}

/** `CALL …refresh_continuous_aggregate(…)` over the whole range. */
export function refreshContinuousSql(ts: string, qualified: string): string {
  // CALL takes no parameters: the name is a literal of a name read from the catalog.
  return `CALL ${quoteIdent(ts)}.refresh_continuous_aggregate(${quoteLiteral(qualified)}::pg_catalog.regclass, NULL, NULL)`;
}

/** How long a refresh waits, in all, for a policy job refreshing the same aggregate. */
const CONCURRENT_REFRESH_WAIT_MS = 60_000;

/**
 * A refresh policy added by the same migration starts its job as soon as the migration
 * commits, and TimescaleDB refuses a second refresh of the aggregate meanwhile ("due to a
 * concurrent refresh"; a deadlock with the job's locks, likewise): wait for it, then refresh.
 */
async function whileRefreshedElsewhere(refresh: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  for (let pause = 100; ; pause = Math.min(pause * 2, 5_000)) {
    try {
      await refresh();
      return;
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      const elsewhere = code === '40P01' || /concurrent refresh/i.test(String(message));
      if (!elsewhere || Date.now() - started > CONCURRENT_REFRESH_WAIT_MS) throw error;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** Refreshes each; a failed one does not stop the others. Plain views need nothing. */
export async function refreshAggregates(
  client: pg.ClientBase,
  pending: readonly AggregateToRefresh[],
  log: (line: string) => void,
): Promise<AggregateRefresh[]> {
  if (pending.length === 0) return [];
  const ts = await timescaleSchema(client);
  const done: AggregateRefresh[] = [];
  for (const p of pending) {
    const found = await lookUp(client, quoteTable(p.view), ts);
    if (found === undefined) continue;
    let sql: string;
    let form: AggregateRefresh['form'];
    if (found.continuous && ts !== undefined) {
      if (p.reason !== 'created') continue;
      sql = refreshContinuousSql(ts, found.qualified);
      form = 'continuous';
    } else if (found.kind === 'm') {
      sql = `REFRESH MATERIALIZED VIEW ${found.qualified}`;
      form = 'materialized view';
    } else continue;
    try {
      await whileRefreshedElsewhere(() => client.query(sql));
      log(`refreshed ${found.qualified} (created by ${p.migration})`);
      done.push({ migration: p.migration, view: found.qualified, form, ok: true, command: sql });
    } catch (error) {
      done.push({
        migration: p.migration,
        view: found.qualified,
        form,
        ok: false,
        error: (error as Error).message,
        command: sql,
      });
    }
  }
  return done;
}

/** The error of the failed refreshes, or undefined when every one succeeded. */
export function refreshFailure(
  refreshes: readonly AggregateRefresh[],
): AggregateRefreshError | undefined {
  const failed = refreshes.filter((r) => !r.ok);
  if (failed.length === 0) return undefined;
  return new AggregateRefreshError(
    failed
      .map(
        (r) =>
          `migration ${r.migration} is applied, but filling its aggregate ${r.view} failed: ${r.error ?? 'unknown error'}\n  the aggregate exists and is empty; refresh it with \`prism-migrate jobs run\` or: ${r.command};`,
      )
      .join('\n'),
    {
      hint: 'nothing was rolled back: fix the cause (see the error), then run the refresh above; `up` has nothing left to apply',
    },
  );
}
