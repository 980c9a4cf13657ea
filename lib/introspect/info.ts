/**
 * `timescale-info`: what TimescaleDB is doing to the tables of a database, as one frozen,
 * JSON-serializable object (the `--json` output; `spec/timescale-info.schema.json` is its
 * schema and a test keeps the two equal).
 *
 * Shape (version 1, **stable**: fields are only ever added in a new version):
 *
 * ```
 * {
 *   version: 1,
 *   server: { version },                       // `server_version`, e.g. "17.5"
 *   timescale: {
 *     installed, version, license,             // version/license null when not installed
 *     availability,                            // installed | creatable | not-preloaded | no-privilege | unavailable
 *     availableVersion,                        // what CREATE EXTENSION would install, or null
 *     compression, policies,                   // what the build allows (the licence)
 *     note,                                    // what the state means for the user, or null
 *   },
 *   embedded,                                  // the embedded database (options.embedded)
 *   jobsRunAutomatically,                      // false on the embedded database and without policies
 *   hypertables: [{
 *     schema, table,
 *     model,                                   // spec model with this table, or null
 *     timeColumn, timeType,                    // e.g. "timestamp with time zone", "bigint"
 *     chunkInterval,                           // interval text as PostgreSQL returns it ("7 days"), or null
 *     integerChunkInterval,                    // integer time: the interval as decimal text ("1000"), or null
 *     chunks,
 *     range: { from, to } | null,              // min range_start / max range_end of the chunks;
 *                                              // ISO 8601 (UTC) for time, decimal text for integer time
 *     totalBytes,                              // hypertable_detailed_size().total_bytes
 *     compression: {
 *       enabled, segmentBy: string[], orderBy: string[],   // orderBy like "ts DESC"
 *       compressedChunks,
 *       beforeBytes, afterBytes, ratio,        // hypertable_compression_stats(); null when nothing is compressed
 *     },
 *     jobs: [{
 *       id, kind: 'compression' | 'retention' | 'other', procName,
 *       config,                                // the job's config without hypertable_id
 *       interval,                              // compress_after / drop_after as text, or null
 *       schedule, scheduled,                   // schedule_interval text; false when paused
 *       lastRunStartedAt, lastRunStatus, lastSuccessfulFinish, nextStart,
 *       totalRuns, totalFailures,              // from job_stats; null when it has nothing
 *     }],
 *   }],
 *   plainTables: [{ model, table, wouldBeHypertable: true, timeColumn }],
 * }
 * ```
 *
 * Sizes are numbers of bytes, timestamps ISO strings or null (never and unknown alike:
 * `-infinity`/`infinity` become null), intervals the text PostgreSQL returns (normalised:
 * `1 week` reads `7 days`, `12 hours` reads `12:00:00`; job configs keep what was given,
 * e.g. `1 mon`). No history is invented: the embedded build never fills `job_stats`, so
 * there its figures are null.
 *
 * `plainTables` lists the spec's timeseries models (not `timescale: off`) whose tables
 * exist but are not hypertables — on PostgreSQL without TimescaleDB, all of them.
 * A model's table is matched by name: the one the search_path resolves (migrations create
 * tables unqualified), else the one in `public`; a hypertable belongs to a model when it
 * is that table.
 *
 * TimescaleDB functions are called schema-qualified with the extension's schema.
 */
import type { ClientBase } from 'pg';
import {
  describeAvailability,
  detectTimescale,
  type TimescaleAvailability,
  type TimescaleSupport,
} from '../db/detect.js';
import { quoteIdent } from '../sql/quote.js';
import { readCompressionSettings } from './compression-settings.js';
import type { Spec } from '../spec/types.js';

export interface TimescaleInfoRange {
  readonly from: string;
  readonly to: string;
}

export interface TimescaleInfoCompression {
  readonly enabled: boolean;
  readonly segmentBy: readonly string[];
  readonly orderBy: readonly string[];
  readonly compressedChunks: number;
  readonly beforeBytes: number | null;
  readonly afterBytes: number | null;
  /** beforeBytes / afterBytes, rounded to two decimals. */
  readonly ratio: number | null;
}

export type TimescaleJobKind = 'compression' | 'retention' | 'other';

export interface TimescaleInfoJob {
  readonly id: number;
  readonly kind: TimescaleJobKind;
  readonly procName: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly interval: string | null;
  readonly schedule: string;
  readonly scheduled: boolean;
  readonly lastRunStartedAt: string | null;
  readonly lastRunStatus: string | null;
  readonly lastSuccessfulFinish: string | null;
  readonly nextStart: string | null;
  readonly totalRuns: number | null;
  readonly totalFailures: number | null;
}

export interface TimescaleInfoHypertable {
  readonly schema: string;
  readonly table: string;
  readonly model: string | null;
  readonly timeColumn: string;
  readonly timeType: string;
  readonly chunkInterval: string | null;
  readonly integerChunkInterval: string | null;
  readonly chunks: number;
  readonly range: TimescaleInfoRange | null;
  readonly totalBytes: number;
  readonly compression: TimescaleInfoCompression;
  readonly jobs: readonly TimescaleInfoJob[];
}

export interface TimescaleInfoPlainTable {
  readonly model: string;
  readonly table: string;
  readonly wouldBeHypertable: true;
  readonly timeColumn: string;
}

export interface TimescaleInfo {
  readonly version: 1;
  readonly server: { readonly version: string };
  readonly timescale: {
    readonly installed: boolean;
    readonly version: string | null;
    readonly license: string | null;
    readonly availability: TimescaleAvailability;
    readonly availableVersion: string | null;
    readonly compression: boolean;
    readonly policies: boolean;
    readonly note: string | null;
  };
  readonly embedded: boolean;
  readonly jobsRunAutomatically: boolean;
  readonly hypertables: readonly TimescaleInfoHypertable[];
  readonly plainTables: readonly TimescaleInfoPlainTable[];
}

export interface TimescaleInfoOptions {
  /** The database is the embedded one: its policy jobs never run by themselves. */
  readonly embedded?: boolean | undefined;
}

export const EMBEDDED_JOBS_NOTE =
  'embedded database: policy jobs never run by themselves; run the due ones with `prism-migrate jobs run` (or CALL run_job(<id>)). job_stats stays empty here, so last runs, statuses and failure counts are unknown.';

function notInstalledNote(support: TimescaleSupport): string {
  const state = describeAvailability(support);
  return support.availability === 'creatable'
    ? `${state}.`
    : `${state}. Compression and retention policies are skipped under \`timescale: auto\` (\`timescale: require\` refuses to migrate).`;
}

function unlicensedNote(support: TimescaleSupport): string {
  return (
    `TimescaleDB ${support.version ?? ''} runs under the "${support.license ?? 'unknown'}" license: ` +
    'hypertables work, but compression, policies and jobs need the Timescale License build; they are skipped under `timescale: auto`.'
  );
}

/** `timescale.note`: what the TimescaleDB state means for the user, or null when all is usual. */
export function timescaleNote(support: TimescaleSupport, embedded: boolean): string | null {
  const notes: string[] = [];
  if (!support.installed) notes.push(notInstalledNote(support));
  else if (!support.features.policies) notes.push(unlicensedNote(support));
  if (embedded) notes.push(EMBEDDED_JOBS_NOTE);
  return notes.length === 0 ? null : notes.join(' ');
}

/** A bigint/numeric column as a JS number (pg hands them over as strings). */
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

function textOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const key = (schema: string, table: string): string => JSON.stringify([schema, table]);

const POLICY_SCHEMAS = new Set(['_timescaledb_functions', '_timescaledb_internal']);

function jobKind(procSchema: string, procName: string): TimescaleJobKind {
  if (!POLICY_SCHEMAS.has(procSchema)) return 'other';
  if (procName === 'policy_compression') return 'compression';
  if (procName === 'policy_retention') return 'retention';
  return 'other';
}

interface ModelTable {
  readonly model: string;
  readonly table: string;
  readonly timeColumn: string;
  readonly schema: string | null;
  readonly isHypertable: boolean;
}

/**
 * The spec's timeseries tables: the relation of that name the search_path resolves (as
 * migrations create them, unqualified), else the one in `public`, else the first found.
 * Null schema: no such table.
 */
async function resolveModelTables(
  client: ClientBase,
  spec: Spec | undefined,
  hypertableKeys: ReadonlySet<string>,
): Promise<ModelTable[]> {
  const models = (spec?.models ?? []).filter(
    (m) => m.timeseries !== undefined && m.timescale !== 'off',
  );
  if (models.length === 0) return [];
  const { rows } = await client.query<{ ord: number; schema: string | null }>(
    `SELECT t.ord::int AS ord, r.schema
       FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS t(name, ord)
       LEFT JOIN LATERAL (
              SELECT n.nspname::text AS schema
                FROM pg_catalog.pg_class c
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = t.name AND c.relkind IN ('r', 'p')
                 AND n.nspname <> 'information_schema' AND n.nspname !~ '^(pg_|_timescaledb)'
               ORDER BY c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident(t.name)) DESC NULLS LAST,
                        n.nspname = 'public' DESC, n.nspname
               LIMIT 1
            ) r ON true
      ORDER BY t.ord`,
    [models.map((m) => m.table)],
  );
  return models.map((m, i) => {
    const schema = rows.find((r) => r.ord === i + 1)?.schema ?? null;
    return {
      model: m.name,
      table: m.table,
      timeColumn: m.timeseries?.timeColumn ?? '',
      schema,
      isHypertable: schema !== null && hypertableKeys.has(key(schema, m.table)),
    };
  });
}

interface HypertableRow {
  schema: string;
  table: string;
  time_column: string;
  time_type: string;
  chunk_interval: string | null;
  integer_chunk_interval: string | null;
  compression_enabled: boolean;
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

async function readHypertables(client: ClientBase, extSchema: string): Promise<HypertableRow[]> {
  const ts = quoteIdent(extSchema, 'schema name');
  const { rows } = await client.query<HypertableRow>(
    `SELECT h.hypertable_schema::text AS schema, h.hypertable_name::text AS "table",
            d.column_name::text AS time_column, d.column_type::text AS time_type,
            d.time_interval::text AS chunk_interval, d.integer_interval::text AS integer_chunk_interval,
            h.compression_enabled,
            coalesce(c.chunks, 0) AS chunks, coalesce(c.compressed_chunks, 0) AS compressed_chunks,
            c.range_from, c.range_to, c.range_from_integer::text, c.range_to_integer::text,
            s.total_bytes, cs.before_bytes, cs.after_bytes
       FROM timescaledb_information.hypertables h
       JOIN timescaledb_information.dimensions d
         ON d.hypertable_schema = h.hypertable_schema AND d.hypertable_name = h.hypertable_name
        AND d.dimension_number = 1
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

async function readJobs(client: ClientBase): Promise<JobRow[]> {
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

function buildJob(r: JobRow): TimescaleInfoJob {
  const kind = jobKind(r.proc_schema, r.proc_name);
  const config = r.config ?? {};
  const intervalKey =
    kind === 'compression' ? 'compress_after' : kind === 'retention' ? 'drop_after' : null;
  return {
    id: r.id,
    kind,
    procName: r.proc_name,
    config,
    interval: intervalKey === null ? null : textOrNull(config[intervalKey]),
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

function buildRange(r: HypertableRow): TimescaleInfoRange | null {
  if (r.range_from_integer !== null && r.range_to_integer !== null) {
    return { from: r.range_from_integer, to: r.range_to_integer };
  }
  const from = toIso(r.range_from);
  const to = toIso(r.range_to);
  return from === null || to === null ? null : { from, to };
}

/**
 * Introspects the connected database. `spec` names the models of hypertables and lists
 * the timeseries models that are plain tables; `options.embedded` marks the embedded
 * database, whose policy jobs never run by themselves.
 */
export async function timescaleInfo(
  client: ClientBase,
  spec?: Spec,
  options: TimescaleInfoOptions = {},
): Promise<TimescaleInfo> {
  const support = await detectTimescale(client);
  const embedded = options.embedded ?? false;
  const installed = support.installed && support.schema !== null;

  const hypertableRows = installed ? await readHypertables(client, support.schema ?? '') : [];
  const settings = installed ? await readCompressionSettings(client) : [];
  const jobRows = installed ? await readJobs(client) : [];
  const hypertableKeys = new Set(hypertableRows.map((h) => key(h.schema, h.table)));
  const modelTables = await resolveModelTables(client, spec, hypertableKeys);

  const modelOf = new Map<string, string>();
  for (const m of modelTables) {
    if (m.isHypertable && m.schema !== null && !modelOf.has(key(m.schema, m.table))) {
      modelOf.set(key(m.schema, m.table), m.model);
    }
  }

  const hypertables = hypertableRows.map((h): TimescaleInfoHypertable => {
    const k = key(h.schema, h.table);
    const mine = settings.find((s) => key(s.schema, s.table) === k);
    const segmentBy = mine?.segmentBy ?? [];
    const orderBy = mine?.orderBy ?? [];
    const compressedChunks = toNumber(h.compressed_chunks);
    const beforeBytes = compressedChunks > 0 ? toNumberOrNull(h.before_bytes) : null;
    const afterBytes = compressedChunks > 0 ? toNumberOrNull(h.after_bytes) : null;
    const ratio =
      beforeBytes !== null && afterBytes !== null && afterBytes > 0
        ? Math.round((beforeBytes / afterBytes) * 100) / 100
        : null;
    return {
      schema: h.schema,
      table: h.table,
      model: modelOf.get(k) ?? null,
      timeColumn: h.time_column,
      timeType: h.time_type,
      chunkInterval: h.chunk_interval,
      integerChunkInterval: h.integer_chunk_interval,
      chunks: toNumber(h.chunks),
      range: buildRange(h),
      totalBytes: toNumberOrNull(h.total_bytes) ?? 0,
      compression: {
        enabled: h.compression_enabled,
        segmentBy,
        orderBy,
        compressedChunks,
        beforeBytes,
        afterBytes,
        ratio,
      },
      jobs: jobRows.filter((j) => key(j.schema, j.table) === k).map(buildJob),
    };
  });

  const plainTables = modelTables
    .filter((m) => m.schema !== null && !m.isHypertable)
    .map((m): TimescaleInfoPlainTable => ({
      model: m.model,
      table: m.table,
      wouldBeHypertable: true,
      timeColumn: m.timeColumn,
    }));

  return deepFreeze<TimescaleInfo>({
    version: 1,
    server: { version: support.serverVersion },
    timescale: {
      installed,
      version: support.version,
      license: support.license,
      availability: support.availability,
      availableVersion: support.availableVersion,
      compression: support.features.compression,
      policies: support.features.policies,
      note: timescaleNote(support, embedded),
    },
    embedded,
    jobsRunAutomatically: installed && support.features.policies && !embedded,
    hypertables,
    plainTables,
  });
}
