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
 *       chunkInterval, sparseIndexes: [{ column, type }],  // compress_chunk_time_interval or null
 *       compressedChunks,
 *       beforeBytes, afterBytes, ratio,        // hypertable_compression_stats(); null when nothing is compressed
 *     },
 *     jobs: [{
 *       id, kind: 'compression' | 'retention' | 'reorder' | 'other', procName,
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
 * The hypertables' settings (time column and type, chunk interval, compression) come
 * from the catalog reader (lib/catalog/read.ts); chunks, sizes, jobs and the compression
 * order as TimescaleDB keeps it from its runtime facts (lib/catalog/runtime.ts).
 * TimescaleDB functions are called schema-qualified with the extension's schema.
 */
import type { ClientBase } from 'pg';
import {
  describeAvailability,
  detectTimescale,
  type TimescaleAvailability,
  type TimescaleSupport,
} from '../db/detect.js';
import { readSchema } from '../catalog/read.js';
import {
  printedIntervals,
  readTimescaleRuntime,
  type HypertableUsage,
  type JobFacts,
  type JobHistory,
} from '../catalog/runtime.js';
import { termText } from '../schema/compile.js';
import type { Hypertable } from '../schema/types.js';
import type { Spec } from '../spec/types.js';
import { amountText } from '../spec/time-amount.js';
import { deepFreeze } from '../util/freeze.js';

export interface TimescaleInfoRange {
  readonly from: string;
  readonly to: string;
}

export interface TimescaleInfoCompression {
  readonly enabled: boolean;
  readonly segmentBy: readonly string[];
  readonly orderBy: readonly string[];
  /** compress_chunk_time_interval as prism.yaml writes it, or null. */
  readonly chunkInterval: string | null;
  readonly sparseIndexes: readonly { readonly column: string; readonly type: string }[];
  readonly compressedChunks: number;
  readonly beforeBytes: number | null;
  readonly afterBytes: number | null;
  /** beforeBytes / afterBytes, rounded to two decimals. */
  readonly ratio: number | null;
}

export type TimescaleJobKind = 'compression' | 'retention' | 'reorder' | 'other';

export interface TimescaleInfoJob extends JobHistory {
  readonly id: number;
  readonly kind: TimescaleJobKind;
  readonly procName: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly interval: string | null;
  readonly schedule: string;
  readonly scheduled: boolean;
}

export interface TimescaleInfoHypertable {
  readonly schema: string;
  readonly table: string;
  readonly model: string | null;
  readonly timeColumn: string;
  readonly timeType: string;
  readonly chunkInterval: string | null;
  readonly integerChunkInterval: string | null;
  /** The hash dimension beside time, or null. */
  readonly partitioning: { readonly column: string; readonly partitions: number } | null;
  /** The index a reorder policy reorders chunks by, or null. */
  readonly reorderIndex: string | null;
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

function textOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const key = (schema: string, table: string): string => JSON.stringify([schema, table]);

const POLICY_SCHEMAS = new Set(['_timescaledb_functions', '_timescaledb_internal']);

function jobKind(procSchema: string, procName: string): TimescaleJobKind {
  if (!POLICY_SCHEMAS.has(procSchema)) return 'other';
  if (procName === 'policy_compression') return 'compression';
  if (procName === 'policy_retention') return 'retention';
  if (procName === 'policy_reorder') return 'reorder';
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
       FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]))
            WITH ORDINALITY AS t(name, schema, ord)
       LEFT JOIN LATERAL (
              SELECT n.nspname::text AS schema
                FROM pg_catalog.pg_class c
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = t.name AND c.relkind IN ('r', 'p')
                 AND (t.schema IS NULL OR n.nspname = t.schema)
                 AND n.nspname <> 'information_schema' AND n.nspname !~ '^(pg_|_timescaledb)'
               ORDER BY c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident(t.name)) DESC NULLS LAST,
                        n.nspname = 'public' DESC, n.nspname
               LIMIT 1
            ) r ON true
      ORDER BY t.ord`,
    // A model with `schema:` is in that schema; one without, where an unqualified name finds it.
    [models.map((m) => m.table), models.map((m) => m.schema ?? null)],
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

function buildJob(j: JobFacts): TimescaleInfoJob {
  const kind = jobKind(j.procSchema, j.procName);
  const intervalKey =
    kind === 'compression' ? 'compress_after' : kind === 'retention' ? 'drop_after' : null;
  return {
    id: j.id,
    kind,
    procName: j.procName,
    config: j.config,
    interval: intervalKey === null ? null : textOrNull(j.config[intervalKey]),
    schedule: j.schedule,
    scheduled: j.scheduled,
    lastRunStartedAt: j.lastRunStartedAt,
    lastRunStatus: j.lastRunStatus,
    lastSuccessfulFinish: j.lastSuccessfulFinish,
    nextStart: j.nextStart,
    totalRuns: j.totalRuns,
    totalFailures: j.totalFailures,
  };
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

  const runtime = installed
    ? await readTimescaleRuntime(client, support.schema ?? '')
    : { hypertables: [], jobs: [] };
  const usageOf = new Map(runtime.hypertables.map((u) => [key(u.schema, u.table), u]));
  // The hypertables' own settings come from the catalog reader, their schemas read whole.
  const schemas = [...new Set(runtime.hypertables.map((u) => u.schema))];
  const live = (schemas.length > 0 ? (await readSchema(client, { schemas })).tables : []).filter(
    (t) => t.hypertable !== undefined && usageOf.has(key(t.schema, t.name)),
  );
  const hypertableKeys = new Set(live.map((t) => key(t.schema, t.name)));
  const modelTables = await resolveModelTables(client, spec, hypertableKeys);

  const modelOf = new Map<string, string>();
  for (const m of modelTables) {
    if (m.isHypertable && m.schema !== null && !modelOf.has(key(m.schema, m.table))) {
      modelOf.set(key(m.schema, m.table), m.model);
    }
  }

  const chunkIntervals = await printedIntervals(
    client,
    live.map((t) => t.hypertable?.chunkInterval),
  );
  const hypertables = live.map((t, i): TimescaleInfoHypertable => {
    const k = key(t.schema, t.name);
    const h = t.hypertable as Hypertable;
    const u = usageOf.get(k) as HypertableUsage;
    const interval = h.chunkInterval;
    return {
      schema: t.schema,
      table: t.name,
      model: modelOf.get(k) ?? null,
      timeColumn: h.timeColumn,
      timeType: t.columns.find((c) => c.name === h.timeColumn)?.type ?? '',
      chunkInterval: interval?.kind === 'interval' ? (chunkIntervals[i] ?? null) : null,
      integerChunkInterval: interval?.kind === 'integer' ? interval.value.toString() : null,
      partitioning: h.partitioning ? { ...h.partitioning } : null,
      reorderIndex: h.reorderIndex ?? null,
      chunks: u.chunks,
      range: u.range,
      totalBytes: u.totalBytes,
      compression: {
        enabled: h.compression !== undefined,
        segmentBy: h.compression?.segmentBy ?? [],
        orderBy: u.storedOrderBy.map(termText),
        chunkInterval: h.compression?.chunkInterval
          ? amountText(h.compression.chunkInterval)
          : null,
        sparseIndexes: (h.compression?.sparseIndexes ?? []).map((s) => ({ ...s })),
        compressedChunks: u.compressedChunks,
        beforeBytes: u.beforeBytes,
        afterBytes: u.afterBytes,
        ratio: u.ratio,
      },
      jobs: runtime.jobs.filter((j) => key(j.schema, j.table) === k).map(buildJob),
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
