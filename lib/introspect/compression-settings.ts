/**
 * Compression settings of hypertables as lists, from `timescaledb_information.
 * compression_settings` (one row per column, in every TimescaleDB version;
 * `hypertable_compression_settings` only exists since 2.14).
 */
import type { ClientBase } from 'pg';

export interface LiveCompressionSettings {
  readonly schema: string;
  readonly table: string;
  readonly segmentBy: readonly string[];
  /** `column`, `column DESC`, with `NULLS FIRST|LAST` only where it is not the default. */
  readonly orderBy: readonly string[];
}

function orderByTerm(column: string, asc: boolean, nullsFirst: boolean): string {
  // PostgreSQL's defaults: ASC NULLS LAST, DESC NULLS FIRST; only say what differs.
  const nulls = nullsFirst === !asc ? '' : nullsFirst ? ' NULLS FIRST' : ' NULLS LAST';
  return `${column}${asc ? '' : ' DESC'}${nulls}`;
}

/** Settings of every hypertable, or of those named `table` (only those with settings appear). */
export async function readCompressionSettings(
  client: ClientBase,
  table?: string,
): Promise<LiveCompressionSettings[]> {
  const { rows } = await client.query<{
    schema: string;
    table: string;
    column: string;
    segmentby_column_index: number | null;
    orderby_column_index: number | null;
    orderby_asc: boolean | null;
    orderby_nullsfirst: boolean | null;
  }>(
    `SELECT hypertable_schema::text AS schema, hypertable_name::text AS "table", attname::text AS "column",
            segmentby_column_index::int, orderby_column_index::int, orderby_asc, orderby_nullsfirst
       FROM timescaledb_information.compression_settings
      WHERE $1::text IS NULL OR hypertable_name = $1
      ORDER BY 1, 2, segmentby_column_index NULLS LAST, orderby_column_index NULLS LAST`,
    [table ?? null],
  );
  const byTable = new Map<
    string,
    { schema: string; table: string; segmentBy: string[]; orderBy: string[] }
  >();
  for (const r of rows) {
    const key = JSON.stringify([r.schema, r.table]);
    let entry = byTable.get(key);
    if (!entry) {
      entry = { schema: r.schema, table: r.table, segmentBy: [], orderBy: [] };
      byTable.set(key, entry);
    }
    // Rows come ordered by segment-by index, then order-by index.
    if (r.segmentby_column_index !== null) entry.segmentBy.push(r.column);
    if (r.orderby_column_index !== null) {
      entry.orderBy.push(
        orderByTerm(r.column, r.orderby_asc ?? true, r.orderby_nullsfirst ?? false),
      );
    }
  }
  return [...byTable.values()];
}
