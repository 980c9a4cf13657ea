/** Hypertables with their chunk interval, chunk count, compression and policies. */
import type { ClientBase } from 'pg';

export interface HypertableSummary {
  readonly table: string;
  readonly timeColumn: string;
  readonly chunkInterval: string | null;
  readonly chunks: number;
  readonly compressionEnabled: boolean;
  readonly compressionPolicy: string | null;
  readonly retentionPolicy: string | null;
}

export async function listHypertables(client: ClientBase): Promise<HypertableSummary[]> {
  const { rows } = await client.query<{
    table: string;
    time_column: string;
    chunk_interval: string | null;
    chunks: number;
    compression_enabled: boolean;
    compress_after: string | null;
    drop_after: string | null;
  }>(`SELECT pg_catalog.format('%I.%I', h.hypertable_schema, h.hypertable_name) AS "table",
            d.column_name AS time_column,
            coalesce(d.time_interval::text, d.integer_interval::text) AS chunk_interval,
            h.num_chunks::int AS chunks,
            h.compression_enabled,
            (SELECT j.config ->> 'compress_after' FROM timescaledb_information.jobs j
              WHERE j.proc_name = 'policy_compression' AND j.hypertable_schema = h.hypertable_schema
                AND j.hypertable_name = h.hypertable_name LIMIT 1) AS compress_after,
            (SELECT j.config ->> 'drop_after' FROM timescaledb_information.jobs j
              WHERE j.proc_name = 'policy_retention' AND j.hypertable_schema = h.hypertable_schema
                AND j.hypertable_name = h.hypertable_name LIMIT 1) AS drop_after
       FROM timescaledb_information.hypertables h
       JOIN timescaledb_information.dimensions d
         ON d.hypertable_schema = h.hypertable_schema AND d.hypertable_name = h.hypertable_name
        AND d.dimension_number = 1
      ORDER BY 1`);
  return rows.map((r) => ({
    table: r.table,
    timeColumn: r.time_column,
    chunkInterval: r.chunk_interval,
    chunks: r.chunks,
    compressionEnabled: r.compression_enabled,
    compressionPolicy: r.compress_after,
    retentionPolicy: r.drop_after,
  }));
}
