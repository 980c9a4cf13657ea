/**
 * What the destructive steps of a migration would lose in the live database: rows of a
 * dropped table, values of a dropped column, rows in the chunks a new or shorter
 * retention policy drops on its first run (counted exactly, chunk by chunk).
 */
import type { ClientBase } from 'pg';
import type { DestructiveChange } from '../diff/destructive.js';
import { parseInterval } from '../sql/interval.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';

export interface DataLoss {
  readonly change: DestructiveChange;
  /** Rows lost; null when they cannot be counted (integer time columns). */
  readonly rows: number | null;
  /** What exactly, in a sentence. */
  readonly detail: string;
}

async function tableExists(client: ClientBase, table: string): Promise<boolean> {
  const r = await client.query<{ t: string | null }>(
    'SELECT pg_catalog.to_regclass($1)::text AS t',
    [quoteIdent(table)],
  );
  return r.rows[0]?.t != null;
}

/** The single number a `SELECT count(*) …` returns. */
async function count(client: ClientBase, sql: string, params: unknown[] = []): Promise<number> {
  const r = await client.query<Record<string, string>>(sql, params);
  return Number(Object.values(r.rows[0] ?? {})[0] ?? 0);
}

async function timescaleSchema(client: ClientBase): Promise<string | undefined> {
  const r = await client.query<{ s: string }>(
    `SELECT n.nspname AS s FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb'`,
  );
  return r.rows[0]?.s;
}

async function retentionLoss(client: ClientBase, change: DestructiveChange): Promise<DataLoss> {
  const { table } = change;
  const schema = await timescaleSchema(client);
  const hypertable =
    schema !== undefined &&
    (await count(
      client,
      `SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = $1`,
      [table],
    )) > 0;
  if (!hypertable) {
    return {
      change,
      rows: 0,
      detail: `${table} is not a hypertable here: no retention policy runs on it`,
    };
  }
  const parsed = parseInterval(change.dropAfter);
  if (!parsed.ok) {
    return {
      change,
      rows: null,
      detail: `rows of ${table} older than ${change.dropAfter} (integer time): cannot be counted here`,
    };
  }
  const ts = quoteIdent(schema);
  const chunks = (
    await client.query<{ chunk: string; range_start: Date | null; range_end: Date | null }>(
      `SELECT c::text AS chunk, i.range_start, i.range_end
         FROM ${ts}.show_chunks(${quoteLiteral(quoteIdent(table))}::pg_catalog.regclass, older_than => ${quoteLiteral(parsed.interval.text)}::pg_catalog.interval) c
         JOIN timescaledb_information.chunks i ON pg_catalog.format('%I.%I', i.chunk_schema, i.chunk_name)::pg_catalog.regclass = c
        ORDER BY i.range_start`,
    )
  ).rows;
  let rows = 0;
  for (const c of chunks) rows += await count(client, `SELECT count(*) FROM ${c.chunk}`);
  const from = chunks[0]?.range_start?.toISOString();
  const to = chunks.at(-1)?.range_end?.toISOString();
  return {
    change,
    rows,
    detail:
      chunks.length === 0
        ? `no chunk of ${table} is older than ${parsed.interval.text}`
        : `${chunks.length} chunk(s) of ${table} from ${from} to ${to}, ${rows} row(s)`,
  };
}

export async function assessDataLoss(
  client: ClientBase,
  changes: readonly DestructiveChange[],
): Promise<DataLoss[]> {
  const losses: DataLoss[] = [];
  for (const change of changes) {
    const { table } = change;
    if (change.code === 'PM101') {
      const rows = (await tableExists(client, table))
        ? await count(client, `SELECT count(*) FROM ${quoteIdent(table)}`)
        : 0;
      losses.push({ change, rows, detail: `table ${table}: ${rows} row(s)` });
    } else if (change.code === 'PM102' && change.column) {
      const exists =
        (await tableExists(client, table)) &&
        (await count(
          client,
          `SELECT count(*) FROM information_schema.columns WHERE table_name = $1 AND column_name = $2`,
          [table, change.column],
        )) > 0;
      const rows = exists
        ? await count(
            client,
            `SELECT count(*) FROM ${quoteIdent(table)} WHERE ${quoteIdent(change.column)} IS NOT NULL`,
          )
        : 0;
      losses.push({ change, rows, detail: `column ${table}.${change.column}: ${rows} value(s)` });
    } else if (change.code === 'PM103' && change.dropAfter) {
      losses.push(await retentionLoss(client, change));
    }
  }
  return losses;
}
