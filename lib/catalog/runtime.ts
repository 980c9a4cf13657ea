/**
 * Runtime facts of TimescaleDB, beside the schema `readSchema` reads: per hypertable its
 * chunks, their range, sizes and compression figures; per job its config, schedule and
 * the history `job_stats` keeps. Values come converted: sizes as numbers of bytes,
 * timestamps as ISO 8601 (UTC) or null (never and ±infinity alike), integer time as
 * decimal text. Nothing is made up: where `job_stats` has no row its figures are null.
 */
import { canonicalTerm } from '../schema/compile.js';
import type { TimeAmount } from '../spec/types.js';
import type { OrderByTerm } from '../sql/order-by.js';
import { quoteIdent } from '../sql/quote.js';
import { deepFreeze } from '../util/freeze.js';
import type { Queryable } from './relations.js';

export interface ChunkRange {
  readonly from: string;
  readonly to: string;
}

export interface HypertableUsage {
  readonly schema: string;
  readonly table: string;
  readonly chunks: number;
  readonly compressedChunks: number;
  /** min range_start / max range_end of the chunks; null without chunks. */
  readonly range: ChunkRange | null;
  /** hypertable_detailed_size().total_bytes. */
  readonly totalBytes: number;
  /** hypertable_compression_stats(); null while nothing is compressed. */
  readonly beforeBytes: number | null;
  readonly afterBytes: number | null;
  /** beforeBytes / afterBytes, rounded to two decimals. */
  readonly ratio: number | null;
  /**
   * The compression order as TimescaleDB keeps it, for showing: 2.12 keeps its default
   * (the time column descending), later versions what was set. The schema's
   * `compression.orderBy` is the canonical one, the default left out.
   */
  readonly storedOrderBy: readonly OrderByTerm[];
}

/** What `job_stats` keeps of a job's runs (null where it has nothing). */
export interface JobHistory {
  readonly lastRunStartedAt: string | null;
  readonly lastRunStatus: string | null;
  readonly lastSuccessfulFinish: string | null;
  readonly nextStart: string | null;
  readonly totalRuns: number | null;
  readonly totalFailures: number | null;
}

export interface JobFacts extends JobHistory {
  readonly id: number;
  readonly schema: string;
  readonly table: string;
  readonly procSchema: string;
  readonly procName: string;
  /** The job's config without hypertable_id. */
  readonly config: Readonly<Record<string, unknown>>;
  /** schedule_interval as PostgreSQL prints it. */
  readonly schedule: string;
  /** False when paused. */
  readonly scheduled: boolean;
}

export interface TimescaleRuntime {
  /** Every hypertable of the database, by schema and name. */
  readonly hypertables: readonly HypertableUsage[];
  /** The jobs that belong to a hypertable, by id. */
  readonly jobs: readonly JobFacts[];
}

/** A bigint/numeric value as a JS number (pg hands them over as strings). */
function toNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n))
    throw new Error(`expected a number from the catalog, got ${String(value)}`);
  return n;
}

function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/** ISO 8601 in UTC, or null for NULL and ±infinity. */
function toIso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'number') return null; // pg-types parses ±infinity to ±Infinity
  const text = String(value);
  if (/^-?infinity$/i.test(text)) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

interface UsageRow {
  schema: string;
  table: string;
  chunks: string;
  compressed_chunks: string;
  range_from: Date | string | null;
  range_to: Date | string | null;
  range_from_integer: string | null;
  range_to_integer: string | null;
  total_bytes: string | null;
  before_bytes: string | null;
  after_bytes: string | null;
  order_columns: string[];
  order_asc: boolean[];
  order_nulls_first: boolean[];
}

async function readUsage(client: Queryable, extensionSchema: string): Promise<UsageRow[]> {
  const ts = quoteIdent(extensionSchema, 'schema name');
  const { rows } = await client.query<UsageRow>(
    `SELECT h.hypertable_schema::text AS schema, h.hypertable_name::text AS "table",
            coalesce(c.chunks, 0) AS chunks, coalesce(c.compressed_chunks, 0) AS compressed_chunks,
            c.range_from, c.range_to, c.range_from_integer::text, c.range_to_integer::text,
            s.total_bytes, cs.before_bytes, cs.after_bytes,
            coalesce(o.columns, '{}') AS order_columns, coalesce(o.asc, '{}') AS order_asc,
            coalesce(o.nulls_first, '{}') AS order_nulls_first
       FROM timescaledb_information.hypertables h
       LEFT JOIN LATERAL (
              SELECT pg_catalog.array_agg(cs.attname::text ORDER BY cs.orderby_column_index) AS columns,
                     pg_catalog.array_agg(cs.orderby_asc ORDER BY cs.orderby_column_index) AS asc,
                     pg_catalog.array_agg(cs.orderby_nullsfirst ORDER BY cs.orderby_column_index) AS nulls_first
                FROM timescaledb_information.compression_settings cs
               WHERE cs.hypertable_schema = h.hypertable_schema AND cs.hypertable_name = h.hypertable_name
                 AND cs.orderby_column_index IS NOT NULL
            ) o ON true
       LEFT JOIN LATERAL (
              SELECT pg_catalog.count(*) AS chunks,
                     pg_catalog.count(*) FILTER (WHERE ch.is_compressed) AS compressed_chunks,
                     pg_catalog.min(ch.range_start) AS range_from, pg_catalog.max(ch.range_end) AS range_to,
                     pg_catalog.min(ch.range_start_integer) AS range_from_integer,
                     pg_catalog.max(ch.range_end_integer) AS range_to_integer
                FROM timescaledb_information.chunks ch
               WHERE ch.hypertable_schema = h.hypertable_schema AND ch.hypertable_name = h.hypertable_name
            ) c ON true
       LEFT JOIN LATERAL ${ts}.hypertable_detailed_size(
              pg_catalog.format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) s ON true
       LEFT JOIN LATERAL (
              SELECT st.before_compression_total_bytes AS before_bytes,
                     st.after_compression_total_bytes AS after_bytes
                FROM ${ts}.hypertable_compression_stats(
                       pg_catalog.format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) st
               WHERE coalesce(c.compressed_chunks, 0) > 0
            ) cs ON true
      ORDER BY 1, 2`,
  );
  return rows;
}

function rangeOf(r: UsageRow): ChunkRange | null {
  if (r.range_from_integer !== null && r.range_to_integer !== null) {
    return { from: r.range_from_integer, to: r.range_to_integer };
  }
  const from = toIso(r.range_from);
  const to = toIso(r.range_to);
  return from === null || to === null ? null : { from, to };
}

function usage(r: UsageRow): HypertableUsage {
  const compressedChunks = toNumber(r.compressed_chunks);
  const beforeBytes = compressedChunks > 0 ? toNumberOrNull(r.before_bytes) : null;
  const afterBytes = compressedChunks > 0 ? toNumberOrNull(r.after_bytes) : null;
  return {
    schema: r.schema,
    table: r.table,
    chunks: toNumber(r.chunks),
    compressedChunks,
    range: rangeOf(r),
    totalBytes: toNumberOrNull(r.total_bytes) ?? 0,
    beforeBytes,
    afterBytes,
    ratio:
      beforeBytes !== null && afterBytes !== null && afterBytes > 0
        ? Math.round((beforeBytes / afterBytes) * 100) / 100
        : null,
    storedOrderBy: r.order_columns.map((column, i) =>
      canonicalTerm({
        column,
        direction: r.order_asc[i] === false ? 'DESC' : 'ASC',
        nulls: r.order_nulls_first[i] === true ? 'FIRST' : 'LAST',
      }),
    ),
  };
}

interface JobRow {
  id: number;
  proc_schema: string;
  proc_name: string;
  schema: string;
  table: string;
  config: Record<string, unknown> | null;
  schedule: string;
  scheduled: boolean;
  last_run_started_at: unknown;
  last_run_status: string | null;
  last_successful_finish: unknown;
  next_start: unknown;
  total_runs: string | null;
  total_failures: string | null;
}

async function readJobRows(client: Queryable): Promise<JobRow[]> {
  const { rows } = await client.query<JobRow>(
    `SELECT j.job_id::int AS id, j.proc_schema::text, j.proc_name::text,
            j.hypertable_schema::text AS schema, j.hypertable_name::text AS "table",
            j.config OPERATOR(pg_catalog.-) 'hypertable_id'::text AS config,
            j.schedule_interval::text AS schedule, j.scheduled,
            s.last_run_started_at, s.last_run_status::text, s.last_successful_finish,
            coalesce(s.next_start, j.next_start) AS next_start,
            s.total_runs::text, s.total_failures::text
       FROM timescaledb_information.jobs j
       LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
      WHERE j.hypertable_name IS NOT NULL
      ORDER BY j.job_id`,
  );
  return rows;
}

function job(r: JobRow): JobFacts {
  return {
    id: r.id,
    schema: r.schema,
    table: r.table,
    procSchema: r.proc_schema,
    procName: r.proc_name,
    config: r.config ?? {},
    schedule: r.schedule,
    scheduled: r.scheduled,
    lastRunStartedAt: toIso(r.last_run_started_at),
    lastRunStatus: r.last_run_status,
    lastSuccessfulFinish: toIso(r.last_successful_finish),
    nextStart: toIso(r.next_start),
    totalRuns: toNumberOrNull(r.total_runs),
    totalFailures: toNumberOrNull(r.total_failures),
  };
}

/**
 * The runtime facts of every hypertable and its jobs. Only where TimescaleDB is installed;
 * its functions are called qualified with `extensionSchema`, the extension's schema.
 */
export async function readTimescaleRuntime(
  client: Queryable,
  extensionSchema: string,
): Promise<TimescaleRuntime> {
  const hypertables = (await readUsage(client, extensionSchema)).map(usage);
  const jobs = (await readJobRows(client)).map(job);
  return deepFreeze({ hypertables, jobs });
}

/**
 * Each amount as PostgreSQL prints an interval (`7 days`, `1 day 12:00:00`), as the
 * catalog views print chunk intervals; integer amounts as their decimal text.
 */
export async function printedIntervals(
  client: Queryable,
  amounts: readonly (TimeAmount | undefined)[],
): Promise<(string | null)[]> {
  const texts = amounts.map((a) => (a?.kind === 'interval' ? a.interval.text : null));
  const printed = texts.every((t) => t === null)
    ? texts
    : (
        await client.query<{ text: string | null }>(
          `SELECT t.v::pg_catalog.interval::text AS text
             FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS t(v, ord) ORDER BY t.ord`,
          [texts],
        )
      ).rows.map((r) => r.text);
  return amounts.map((a, i) => (a?.kind === 'integer' ? a.value.toString() : (printed[i] ?? null)));
}

/** What TimescaleDB holds for one continuous aggregate, beside its definition. */
export interface AggregateUsage {
  readonly schema: string;
  readonly name: string;
  /** `_timescaledb_internal._materialized_hypertable_2`. */
  readonly materializedHypertable: string;
  /**
   * The end of the materialized range (cagg_watermark): ISO 8601 for time, decimal text
   * for integer time; null while nothing is materialized.
   */
  readonly materializedThrough: string | null;
  /** hypertable_size() of the materialized hypertable. */
  readonly totalBytes: number;
}

interface AggregateUsageRow {
  schema: string;
  name: string;
  mat_schema: string;
  mat_table: string;
  time_type: string;
  watermark: string | null;
  total_bytes: string | null;
}

/** The watermark before anything is materialized: TimescaleDB's minimum internal time. */
const NOTHING_MATERIALIZED = -210866803200000000n;
const INTEGER_MINIMUMS = new Set(['-32768', '-2147483648', '-9223372036854775808']);

function watermarkText(row: AggregateUsageRow): string | null {
  if (row.watermark === null) return null;
  if (/^(smallint|integer|bigint)$/.test(row.time_type)) {
    return INTEGER_MINIMUMS.has(row.watermark) ? null : row.watermark;
  }
  // Internal time: microseconds since the Unix epoch.
  const micros = BigInt(row.watermark);
  if (micros <= NOTHING_MATERIALIZED) return null;
  return toIso(new Date(Number(micros / 1000n)));
}

/**
 * The materialized hypertable, watermark and size of the continuous aggregates named
 * (schema, name). The watermark function is `_timescaledb_functions.cagg_watermark`
 * (2.12 and later), else the older `_timescaledb_internal` one.
 */
export async function readAggregateUsage(
  client: Queryable,
  extensionSchema: string,
  aggregates: readonly { readonly schema: string; readonly name: string }[],
): Promise<AggregateUsage[]> {
  if (aggregates.length === 0) return [];
  const ts = quoteIdent(extensionSchema, 'schema name');
  const { rows: found } = await client.query<{ schema: string }>(
    `SELECT s AS schema FROM pg_catalog.unnest(ARRAY['_timescaledb_functions', '_timescaledb_internal']) WITH ORDINALITY AS u(s, o)
      WHERE pg_catalog.to_regprocedure(s || '.cagg_watermark(integer)') IS NOT NULL ORDER BY o LIMIT 1`,
  );
  const watermark =
    found[0] === undefined
      ? 'NULL::bigint'
      : `${quoteIdent(found[0].schema, 'schema name')}.cagg_watermark(ca.mat_hypertable_id)`;
  const { rows } = await client.query<AggregateUsageRow>(
    `SELECT ca.user_view_schema::text AS schema, ca.user_view_name::text AS name,
            h.schema_name::text AS mat_schema, h.table_name::text AS mat_table,
            pg_catalog.format_type(a.atttypid, a.atttypmod) AS time_type,
            ${watermark}::text AS watermark,
            ${ts}.hypertable_size(m.oid)::text AS total_bytes
       FROM _timescaledb_catalog.continuous_agg ca
       JOIN _timescaledb_catalog.hypertable h ON h.id = ca.mat_hypertable_id
       JOIN pg_catalog.pg_namespace n ON n.nspname = h.schema_name
       JOIN pg_catalog.pg_class m ON m.relnamespace = n.oid AND m.relname = h.table_name
       JOIN _timescaledb_catalog.dimension d ON d.hypertable_id = h.id
       JOIN pg_catalog.pg_attribute a ON a.attrelid = m.oid AND a.attname = d.column_name
      WHERE (ca.user_view_schema::text, ca.user_view_name::text) IN
            (SELECT * FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])))
      ORDER BY 1, 2`,
    [aggregates.map((a) => a.schema), aggregates.map((a) => a.name)],
  );
  return deepFreeze(
    rows.map((r) => ({
      schema: r.schema,
      name: r.name,
      materializedHypertable: `${r.mat_schema}.${r.mat_table}`,
      materializedThrough: watermarkText(r),
      totalBytes: toNumberOrNull(r.total_bytes) ?? 0,
    })),
  );
}

/** A degraded aggregate's storage: a materialized view's size and whether it was refreshed. */
export async function readViewStorage(
  client: Queryable,
  views: readonly { readonly schema: string; readonly name: string }[],
): Promise<{ schema: string; name: string; totalBytes: number; populated: boolean }[]> {
  if (views.length === 0) return [];
  const { rows } = await client.query<{
    schema: string;
    name: string;
    total_bytes: string;
    populated: boolean;
  }>(
    `SELECT n.nspname::text AS schema, c.relname::text AS name,
            pg_catalog.pg_total_relation_size(c.oid)::text AS total_bytes, c.relispopulated AS populated
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE (n.nspname::text, c.relname::text) IN
            (SELECT * FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])))`,
    [views.map((v) => v.schema), views.map((v) => v.name)],
  );
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    totalBytes: toNumber(r.total_bytes),
    populated: r.populated,
  }));
}
