/**
 * How a migration tells the runner which aggregates to fill once it has committed: an
 * aggregate is created empty (WITH NO DATA) in the migration's transaction, and refreshing
 * it cannot run inside one. The operation puts a comment line before its statement; the
 * runner reads it from the SQL each migration ran.
 */
import { toTableName, type TableName } from '../../sql/quote.js';
import type { TableArg } from '../common.js';

/**
 * `created`: a new aggregate, of whichever form the server gave it. `materialized`: a view
 * that became a materialized view (a stand-in for a continuous aggregate), empty.
 */
export type RefreshReason = 'created' | 'materialized';

export interface RefreshMarker {
  readonly view: TableName;
  readonly reason: RefreshReason;
}

const PREFIX = '-- prism-migrate: refresh after commit ';

/** The marker line. The name is JSON, so no character of it can end the comment. */
export function refreshMarker(view: TableArg, reason: RefreshReason): string {
  const t = toTableName(view);
  const name = t.schema === undefined ? { name: t.name } : { schema: t.schema, name: t.name };
  return `${PREFIX}${JSON.stringify({ ...name, reason })}`;
}

/** The markers in some SQL text, in order. Lines that are not well-formed markers are ignored. */
export function findRefreshMarkers(sql: string): RefreshMarker[] {
  const markers: RefreshMarker[] = [];
  for (const line of sql.split('\n')) {
    if (!line.startsWith(PREFIX)) continue;
    try {
      const value = JSON.parse(line.slice(PREFIX.length)) as Record<string, unknown>;
      const { schema, name, reason } = value;
      if (typeof name !== 'string' || (schema !== undefined && typeof schema !== 'string'))
        continue;
      if (reason !== 'created' && reason !== 'materialized') continue;
      markers.push({ view: schema === undefined ? { name } : { schema, name }, reason });
    } catch {
      continue;
    }
  }
  return markers;
}
