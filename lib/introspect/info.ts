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
 *   aggregates: [{                             // sources before the aggregates built on them
 *     schema, name, model,                     // model: the spec model declaring it, or null
 *     form,                                    // continuous | materialized view | view (no caggs here)
 *     source: { kind: 'table' | 'aggregate', schema, name, timeColumn },
 *     bucket, groupBy, columns: [{ name, call }], realtime,
 *     refresh: { startOffset, endOffset, scheduleInterval, jobId,   // offsets null when unbounded
 *                lastRunStartedAt, lastRunStatus, lastSuccessfulFinish, nextStart,
 *                totalRuns, totalFailures } | null,
 *     materializedThrough,                     // cagg_watermark: ISO 8601 or integer text; null when none
 *     populated,                               // a materialized view: refreshed yet; else null
 *     totalBytes,                              // the materialized hypertable's or view's size; null for a view
 *     compression: { enabled, segmentBy, after },
 *     retention: { dropAfter } | null,
 *   }],
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
  readAggregateUsage,
  readTimescaleRuntime,
  readViewStorage,
  type HypertableUsage,
  type JobFacts,
  type JobHistory,
} from '../catalog/runtime.js';
import { termText } from '../schema/compile.js';
import type { Aggregate, Hypertable } from '../schema/types.js';
import { aggregateCallText } from '../sql/aggregate-call.js';
import type { TimeAmount } from '../spec/types.js';
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

/** A refresh policy with its job's history. */
export interface TimescaleInfoRefresh extends JobHistory {
  /** null: unbounded. Interval text as prism.yaml writes it, or decimal text for integer time. */
  readonly startOffset: string | null;
  readonly endOffset: string | null;
  readonly scheduleInterval: string;
  /** The policy's job, or null where it cannot be found among the jobs. */
  readonly jobId: number | null;
}

/**
 * A continuous aggregate, or a view / materialized view standing for one where the server
 * has no continuous aggregates (`form`).
 */
export interface TimescaleInfoAggregate {
  readonly schema: string;
  readonly name: string;
  /** The spec model declaring it, or null. */
  readonly model: string | null;
  readonly form: 'continuous' | 'materialized view' | 'view';
  readonly source: {
    readonly kind: 'table' | 'aggregate';
    readonly schema: string;
    readonly name: string;
    readonly timeColumn: string;
  };
  /** As prism.yaml writes it: `1 hour`, or decimal text for integer time. */
  readonly bucket: string;
  readonly groupBy: readonly string[];
  /** `{ name: 'avg_temp', call: 'avg(temperature)' }`. */
  readonly columns: readonly { readonly name: string; readonly call: string }[];
  readonly realtime: boolean;
  readonly refresh: TimescaleInfoRefresh | null;
  /** The end of the materialized range (continuous aggregates); null while nothing is. */
  readonly materializedThrough: string | null;
  /** A materialized view: whether it was ever refreshed; null for the other forms. */
  readonly populated: boolean | null;
  /** The materialized hypertable's (or materialized view's) size; null for a view. */
  readonly totalBytes: number | null;
  readonly compression: {
    readonly enabled: boolean;
    readonly segmentBy: readonly string[];
    readonly after: string | null;
  };
  readonly retention: { readonly dropAfter: string } | null;
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
  /** Sources before the aggregates built on them. */
  readonly aggregates: readonly TimescaleInfoAggregate[];
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

const NO_HISTORY: JobHistory = Object.freeze({
  lastRunStartedAt: null,
  lastRunStatus: null,
  lastSuccessfulFinish: null,
  nextStart: null,
  totalRuns: null,
  totalFailures: null,
});

function historyOf(j: JobFacts | undefined): JobHistory {
  if (j === undefined) return NO_HISTORY;
  return {
    lastRunStartedAt: j.lastRunStartedAt,
    lastRunStatus: j.lastRunStatus,
    lastSuccessfulFinish: j.lastSuccessfulFinish,
    nextStart: j.nextStart,
    totalRuns: j.totalRuns,
    totalFailures: j.totalFailures,
  };
}

const offsetText = (a: TimeAmount | null): string | null => (a === null ? null : amountText(a));

/** The spec model whose `timeseries.aggregates` declares the aggregate, or null. */
function aggregateModel(spec: Spec | undefined, a: Aggregate): string | null {
  const models = (spec?.models ?? []).filter((m) =>
    (m.timeseries?.aggregates ?? []).some((x) => x.name === a.name),
  );
  const model =
    models.find((m) => (m.schema ?? 'public') === a.schema) ??
    models.find((m) => m.schema === undefined);
  return model?.name ?? null;
}

/** The aggregates with their refresh job, materialized range and size. */
async function aggregateInfo(
  client: ClientBase,
  aggregates: readonly Aggregate[],
  jobs: readonly JobFacts[],
  extensionSchema: string | null,
  spec: Spec | undefined,
): Promise<TimescaleInfoAggregate[]> {
  const continuous = aggregates.filter((a) => a.form === 'continuous');
  const usage =
    extensionSchema === null ? [] : await readAggregateUsage(client, extensionSchema, continuous);
  const storage = await readViewStorage(
    client,
    aggregates.filter((a) => a.form === 'materialized view'),
  );
  return aggregates.map((a): TimescaleInfoAggregate => {
    const u = usage.find((x) => x.schema === a.schema && x.name === a.name);
    const st = storage.find((x) => x.schema === a.schema && x.name === a.name);
    // 2.12 names the materialized hypertable in `jobs`, later versions the view.
    const owners = new Set([key(a.schema, a.name)]);
    if (u !== undefined) {
      const [matSchema, ...rest] = u.materializedHypertable.split('.');
      owners.add(key(matSchema ?? '', rest.join('.')));
    }
    const refreshJob = jobs.find(
      (j) =>
        owners.has(key(j.schema, j.table)) && j.procName === 'policy_refresh_continuous_aggregate',
    );
    return {
      schema: a.schema,
      name: a.name,
      model: aggregateModel(spec, a),
      form: a.form ?? 'continuous',
      source: { ...a.source },
      bucket: amountText(a.bucket),
      groupBy: [...a.groupBy],
      columns: a.columns.map((c) => ({ name: c.name, call: aggregateCallText(c) })),
      realtime: a.realtime,
      refresh:
        a.refresh === undefined
          ? null
          : {
              startOffset: offsetText(a.refresh.startOffset),
              endOffset: offsetText(a.refresh.endOffset),
              scheduleInterval: a.refresh.scheduleInterval.text,
              jobId: refreshJob?.id ?? null,
              ...historyOf(refreshJob),
            },
      materializedThrough: u?.materializedThrough ?? null,
      populated: st?.populated ?? null,
      totalBytes: u?.totalBytes ?? st?.totalBytes ?? null,
      compression: {
        enabled: a.compression !== undefined,
        segmentBy: [...(a.compression?.segmentBy ?? [])],
        after: a.compressAfter ? amountText(a.compressAfter) : null,
      },
      retention: a.dropAfter ? { dropAfter: amountText(a.dropAfter) } : null,
    };
  });
}

async function currentSchema(client: ClientBase): Promise<string | null> {
  const { rows } = await client.query<{ schema: string | null }>(
    'SELECT pg_catalog.current_schema()::text AS schema',
  );
  return rows[0]?.schema ?? null;
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
  // The hypertables' own settings and the aggregates come from the catalog reader, their
  // schemas (and those of the spec's models and the current one, for degraded aggregates)
  // read whole.
  const current = await currentSchema(client);
  const schemas = [
    ...new Set([
      ...runtime.hypertables.map((u) => u.schema),
      ...(spec?.models ?? []).map((m) => m.schema ?? 'public'),
      ...(current === null ? [] : [current]),
    ]),
  ];
  const read = await readSchema(client, { schemas });
  const live = read.tables.filter(
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

  const aggregates = await aggregateInfo(
    client,
    read.aggregates ?? [],
    runtime.jobs,
    installed ? support.schema : null,
    spec,
  );

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
    aggregates,
  });
}
