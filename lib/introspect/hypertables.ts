/**
 * Hypertables with their chunk interval, chunk count, compression and policies, for
 * `status`: the catalog reader's settings beside its runtime facts.
 */
import type { ClientBase } from 'pg';
import { readSchema, timescaleSchema } from '../catalog/read.js';
import { printedIntervals, readTimescaleRuntime } from '../catalog/runtime.js';

export interface HypertableSummary {
  /** `"schema"."table"` as PostgreSQL quotes it: `public.readings`. */
  readonly table: string;
  readonly timeColumn: string;
  /** As PostgreSQL prints it (`7 days`), or the integer amount for integer time. */
  readonly chunkInterval: string | null;
  readonly chunks: number;
  readonly compressionEnabled: boolean;
  /** The policies' compress_after / drop_after as their config holds them. */
  readonly compressionPolicy: string | null;
  readonly retentionPolicy: string | null;
}

const key = (schema: string, table: string): string => JSON.stringify([schema, table]);

function configText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Every hypertable of the database (TimescaleDB must be installed), by schema and name. */
export async function listHypertables(client: ClientBase): Promise<HypertableSummary[]> {
  const extensionSchema = await timescaleSchema(client);
  if (extensionSchema === undefined) return [];
  const runtime = await readTimescaleRuntime(client, extensionSchema);
  const schemas = [...new Set(runtime.hypertables.map((h) => h.schema))];
  if (schemas.length === 0) return [];
  const tables = (await readSchema(client, { schemas })).tables.filter((t) => t.hypertable);
  const intervals = await printedIntervals(
    client,
    tables.map((t) => t.hypertable?.chunkInterval),
  );
  // As format('%I.%I') writes them: quotes only where a name needs them.
  const quoted = (
    await client.query<{ name: string }>(
      `SELECT pg_catalog.format('%I.%I', t.s, t.n) AS name
         FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]))
              WITH ORDINALITY AS t(s, n, ord)
        ORDER BY t.ord`,
      [tables.map((t) => t.schema), tables.map((t) => t.name)],
    )
  ).rows;
  return tables.map((t, i) => {
    const k = key(t.schema, t.name);
    const jobs = runtime.jobs.filter((j) => key(j.schema, j.table) === k);
    const policy = (proc: string, age: string) =>
      configText(jobs.find((j) => j.procName === proc)?.config[age]);
    return {
      table: quoted[i]?.name ?? `${t.schema}.${t.name}`,
      timeColumn: t.hypertable?.timeColumn ?? '',
      chunkInterval: intervals[i] ?? null,
      chunks: runtime.hypertables.find((h) => key(h.schema, h.table) === k)?.chunks ?? 0,
      compressionEnabled: t.hypertable?.compression !== undefined,
      compressionPolicy: policy('policy_compression', 'compress_after'),
      retentionPolicy: policy('policy_retention', 'drop_after'),
    };
  });
}
