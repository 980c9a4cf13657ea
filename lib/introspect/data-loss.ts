/**
 * What the destructive steps of a migration would lose in the live database: rows of a
 * dropped table, values of a dropped column, rows in the chunks a new or shorter
 * retention policy drops on its first run (counted exactly, chunk by chunk).
 */
import type { ClientBase } from 'pg';
import type { DestructiveChange } from '../diff/destructive.js';
import { parseInterval } from '../sql/interval.js';
import { quoteIdent, quoteLiteral, quoteTable } from '../sql/quote.js';
import { readSchema, timescaleSchema } from '../catalog/read.js';
import type { Table } from '../schema/types.js';

export interface DataLoss {
  readonly change: DestructiveChange;
  /** Rows lost; null when they cannot be counted (integer time columns). */
  readonly rows: number | null;
  /** What exactly, in a sentence. */
  readonly detail: string;
}

/**
 * The live table `table` resolves to, if any: `schema.table` in its schema, a name alone
 * as migrations name a table of `public` (unqualified). Spec identifiers have no dots.
 */
async function liveTable(client: ClientBase, table: string): Promise<Table | undefined> {
  const dot = table.indexOf('.');
  const name = dot < 0 ? table : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
  return (await readSchema(client, { tables: [name] })).tables[0];
}

/** The table found, schema-qualified. */
function liveName(live: Table): string {
  return quoteTable({ schema: live.schema, name: live.name });
}

/** The single number a `SELECT count(*) …` returns. */
async function count(client: ClientBase, sql: string, params: unknown[] = []): Promise<number> {
  const r = await client.query<Record<string, string>>(sql, params);
  return Number(Object.values(r.rows[0] ?? {})[0] ?? 0);
}

async function functionExists(client: ClientBase, fn: string): Promise<boolean> {
  const r = await client.query<{ f: string | null }>(
    'SELECT pg_catalog.to_regprocedure($1)::text AS f',
    [`${fn}()`],
  );
  return r.rows[0]?.f != null;
}

async function retentionLoss(client: ClientBase, change: DestructiveChange): Promise<DataLoss> {
  const { table } = change;
  const live = await liveTable(client, table);
  const hypertable = live?.hypertable;
  const schema = hypertable === undefined ? undefined : await timescaleSchema(client);
  if (live === undefined || hypertable === undefined || schema === undefined) {
    return {
      change,
      rows: 0,
      detail: `${table} is not a hypertable yet: if the migration makes it one, what the retention drops is counted after the conversion, inside the migration`,
    };
  }
  const dropAfter = change.dropAfter ?? '';
  const parsed = parseInterval(dropAfter);
  const ts = quoteIdent(schema);
  const rel = `${quoteLiteral(quoteTable({ schema: live.schema, name: live.name }))}::pg_catalog.regclass`;
  let olderThan: string;
  let amountText: string;
  if (parsed.ok) {
    olderThan = `${quoteLiteral(parsed.interval.text)}::pg_catalog.interval`;
    amountText = parsed.interval.text;
  } else {
    // Integer time: show_chunks takes a point in time, the integer-now function's value
    // minus the amount. prism-migrate creates that function beside its table.
    const fn =
      hypertable.integerNow === undefined
        ? undefined
        : quoteTable({ schema: live.schema, name: hypertable.integerNow.function });
    if (fn === undefined || !(await functionExists(client, fn)) || !/^-?\d+$/.test(dropAfter)) {
      return {
        change,
        rows: null,
        detail: `rows of ${table} older than ${change.dropAfter} (integer time, in the column's units): cannot be counted without an integer-now function (timeseries.time_unit)`,
      };
    }
    const columnType = live.columns.find((c) => c.name === hypertable.timeColumn)?.type;
    const type = columnType === 'integer' || columnType === 'smallint' ? columnType : 'bigint';
    olderThan = `(${fn}() - ${quoteLiteral(dropAfter)}::bigint)::${type}`;
    amountText = `${change.dropAfter} (in the time column's units)`;
  }
  const chunks = (
    await client.query<{
      chunk: string;
      range_start: Date | null;
      range_end: Date | null;
      range_start_integer: string | null;
      range_end_integer: string | null;
    }>(
      `SELECT c::text AS chunk, i.range_start, i.range_end,
              i.range_start_integer::text, i.range_end_integer::text
         FROM ${ts}.show_chunks(${rel}, older_than => ${olderThan}) c
         JOIN timescaledb_information.chunks i ON pg_catalog.format('%I.%I', i.chunk_schema, i.chunk_name)::pg_catalog.regclass = c
        ORDER BY i.range_start, i.range_start_integer`,
    )
  ).rows;
  let rows = 0;
  for (const c of chunks) rows += await count(client, `SELECT count(*) FROM ${c.chunk}`);
  const first = chunks[0];
  const last = chunks.at(-1);
  const from = first?.range_start?.toISOString() ?? first?.range_start_integer;
  const to = last?.range_end?.toISOString() ?? last?.range_end_integer;
  return {
    change,
    rows,
    detail:
      chunks.length === 0
        ? `no chunk of ${table} is older than ${amountText}`
        : `${chunks.length} chunk(s) of ${table} from ${from} to ${to}, ${rows} row(s)`,
  };
}

/** `schema.name` as migrations and markers name a relation, split (no dot: unqualified). */
function relationName(name: string): { schema?: string; name: string } {
  const dot = name.indexOf('.');
  return dot < 0 ? { name } : { schema: name.slice(0, dot), name: name.slice(dot + 1) };
}

/** The relation's kind (`r`, `v`, `m`, ...) and whether it is a continuous aggregate's view. */
async function relationKind(
  client: ClientBase,
  name: string,
): Promise<{ kind: string; continuous: boolean } | undefined> {
  const r = await client.query<{ kind: string; schema: string; name: string; catalog: boolean }>(
    `SELECT c.relkind::text AS kind, n.nspname AS schema, c.relname AS name,
            pg_catalog.to_regclass('_timescaledb_catalog.continuous_agg') IS NOT NULL AS catalog
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = pg_catalog.to_regclass($1)`,
    [quoteTable(relationName(name))],
  );
  const found = r.rows[0];
  if (found === undefined) return undefined;
  const continuous =
    found.kind === 'v' &&
    found.catalog &&
    (await count(
      client,
      `SELECT count(*) FROM _timescaledb_catalog.continuous_agg
        WHERE user_view_schema = $1 AND user_view_name = $2`,
      [found.schema, found.name],
    )) > 0;
  return { kind: found.kind, continuous };
}

/**
 * PM106: the aggregate's rows in buckets that end before the oldest row of its source — a
 * create from the source cannot compute them again. All of them when the source is empty
 * or gone; none for a plain view, which keeps no rows.
 */
async function aggregateLoss(client: ClientBase, change: DestructiveChange): Promise<DataLoss> {
  const view = change.table;
  const relation = await relationKind(client, view);
  if (relation === undefined) return { change, rows: 0, detail: `${view} does not exist` };
  if (relation.kind === 'v' && !relation.continuous)
    return { change, rows: 0, detail: `${view} is a plain view: it keeps no rows` };
  const source = change.source ?? '';
  const bucket = change.bucket ?? '';
  const width = parseInterval(bucket);
  const widthSql = width.ok
    ? `${quoteLiteral(width.interval.text)}::pg_catalog.interval`
    : /^\d+$/.test(bucket)
      ? bucket
      : undefined;
  const viewSql = quoteTable(relationName(view));
  const sourceExists = (await relationKind(client, source)) !== undefined;
  if (widthSql === undefined || !sourceExists) {
    const rows = await count(client, `SELECT count(*) FROM ${viewSql}`);
    return {
      change,
      rows,
      detail: `${view}: ${rows} row(s)${sourceExists ? '' : `; ${source} does not exist`}`,
    };
  }
  const oldest = `SELECT min(${quoteIdent(change.timeColumn ?? 'bucket')}) AS t FROM ${quoteTable(relationName(source))}`;
  const rows = await count(
    client,
    `WITH oldest AS (${oldest})
     SELECT count(*) FROM ${viewSql} a, oldest
      WHERE oldest.t IS NULL OR a.${quoteIdent('bucket')} + ${widthSql} <= oldest.t`,
  );
  return {
    change,
    rows,
    detail: `${view}: ${rows} row(s) in buckets that end before the oldest row of ${source}`,
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
      const live = await liveTable(client, table);
      const rows = live ? await count(client, `SELECT count(*) FROM ${liveName(live)}`) : 0;
      losses.push({ change, rows, detail: `table ${table}: ${rows} row(s)` });
    } else if (change.code === 'PM102' && change.column) {
      const live = await liveTable(client, table);
      const rows = live?.columns.some((c) => c.name === change.column)
        ? await count(
            client,
            `SELECT count(*) FROM ${liveName(live)} WHERE ${quoteIdent(change.column)} IS NOT NULL`,
          )
        : 0;
      losses.push({ change, rows, detail: `column ${table}.${change.column}: ${rows} value(s)` });
    } else if (change.code === 'PM103' && change.dropAfter) {
      losses.push(await retentionLoss(client, change));
    } else if (change.code === 'PM106') {
      losses.push(await aggregateLoss(client, change));
    }
  }
  return losses;
}
