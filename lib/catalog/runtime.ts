/**
 * Runtime facts of TimescaleDB, beside the schema `readSchema` reads: per hypertable its
 * chunks, their range, sizes and compression figures; per job its config, schedule and
 * the history `job_stats` keeps. Values come converted: sizes as numbers of bytes,
 * timestamps as ISO 8601 (UTC) or null (never and ±infinity alike), integer time as
 * decimal text. Nothing is made up: where `job_stats` has no row its figures are null.
 */
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
}

export interface JobFacts {
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
  readonly lastRunStartedAt: string | null;
  readonly lastRunStatus: string | null;
  readonly lastSuccessfulFinish: string | null;
  readonly nextStart: string | null;
  readonly totalRuns: number | null;
  readonly totalFailures: number | null;
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
}

async function readUsage(client: Queryable, extensionSchema: string): Promise<UsageRow[]> {
  const ts = quoteIdent(extensionSchema, 'schema name');
  const { rows } = await client.query<UsageRow>(
    `SELECT h.hypertable_schema::text AS schema, h.hypertable_name::text AS "table",
            coalesce(c.chunks, 0) AS chunks, coalesce(c.compressed_chunks, 0) AS compressed_chunks,
            c.range_from, c.range_to, c.range_from_integer::text, c.range_to_integer::text,
            s.total_bytes, cs.before_bytes, cs.after_bytes
       FROM timescaledb_information.hypertables h
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
