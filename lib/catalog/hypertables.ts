/**
 * The TimescaleDB side of the catalog reader: for the selected tables that are
 * hypertables, the dimensions, the integer-now function, compression settings and the
 * policy jobs, from the `timescaledb_information` views (the same on 2.12 through 2.28,
 * with the Apache build too: its views are there, empty of policies).
 */
import { canonicalOrderBy, sortedSparseIndexes } from '../schema/compile.js';
import type { Hypertable, IntegerNow, Unsupported } from '../schema/types.js';
import type { SparseIndex, TimeAmount } from '../spec/types.js';
import type { OrderByTerm } from '../sql/order-by.js';
import { integerAmount, intervalFromParts, intervalPartsSql } from './amounts.js';
import type { Queryable } from './relations.js';

/** What the reader learns of one hypertable: its settings, and what prism.yaml cannot state. */
export interface HypertableFacts {
  readonly hypertable: Hypertable;
  /** The columns of extra (space) dimensions, for telling TimescaleDB's default indexes. */
  readonly spaceColumns: readonly string[];
  readonly unsupported: readonly Unsupported[];
}

const key = (schema: string, table: string): string => JSON.stringify([schema, table]);

/** `(schema, table) IN ${SELECTED}`: the pairs of parameters $1 and $2. */
const SELECTED =
  '(SELECT * FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])))';

interface DimensionRow {
  schema: string;
  table: string;
  compression_enabled: boolean;
  number: number;
  column: string;
  type: string;
  partitions: number | null;
  interval_parts: string[] | null;
  interval_text: string | null;
  integer_interval: string | null;
  now_function: string | null;
  now_source: string | null;
  /** compress_chunk_time_interval, as interval parts; the raw length beside it. */
  compress_interval_parts: string[] | null;
  compress_interval_length: string | null;
}

/** Hypertables among `tables` (schema, name pairs), one row per dimension in order. */
async function readDimensions(
  client: Queryable,
  schemas: readonly string[],
  names: readonly string[],
): Promise<DimensionRow[]> {
  const { rows } = await client.query<DimensionRow>(
    `SELECT h.hypertable_schema::text AS schema, h.hypertable_name::text AS "table",
            h.compression_enabled, d.dimension_number::int AS number, d.column_name::text AS "column",
            d.dimension_type::text AS type, d.num_partitions::int AS partitions,
            ${intervalPartsSql('d.time_interval')} AS interval_parts, d.time_interval::text AS interval_text,
            d.integer_interval::text AS integer_interval, d.integer_now_func::text AS now_function,
            f.prosrc AS now_source,
            CASE WHEN d.time_interval IS NOT NULL
                 THEN ${intervalPartsSql("pg_catalog.justify_hours(ci.length * INTERVAL '1 microsecond')")} END
              AS compress_interval_parts,
            ci.length::text AS compress_interval_length
       FROM timescaledb_information.hypertables h
       JOIN timescaledb_information.dimensions d
         ON d.hypertable_schema = h.hypertable_schema AND d.hypertable_name = h.hypertable_name
       LEFT JOIN LATERAL (
              SELECT p.prosrc
                FROM _timescaledb_catalog.hypertable ch
                JOIN _timescaledb_catalog.dimension cd ON cd.hypertable_id = ch.id
                JOIN pg_catalog.pg_namespace pn ON pn.nspname = cd.integer_now_func_schema
                JOIN pg_catalog.pg_proc p ON p.pronamespace = pn.oid AND p.proname = cd.integer_now_func
                                         AND p.pronargs = 0
               WHERE ch.schema_name = h.hypertable_schema AND ch.table_name = h.hypertable_name
                 AND cd.column_name = d.column_name
               LIMIT 1
            ) f ON d.integer_now_func IS NOT NULL
       LEFT JOIN LATERAL (
              -- The catalog column every release since 2.9 has (the settings views differ).
              SELECT cd.compress_interval_length AS length
                FROM _timescaledb_catalog.hypertable ch
                JOIN _timescaledb_catalog.dimension cd ON cd.hypertable_id = ch.id
               WHERE ch.schema_name = h.hypertable_schema AND ch.table_name = h.hypertable_name
                 AND cd.column_name = d.column_name
               LIMIT 1
            ) ci ON true
      WHERE (h.hypertable_schema, h.hypertable_name) IN ${SELECTED}
      ORDER BY 1, 2, d.dimension_number`,
    [schemas, names],
  );
  return rows;
}

interface CompressionRow {
  schema: string;
  table: string;
  column: string;
  segmentby: number | null;
  orderby: number | null;
  asc: boolean | null;
  nulls_first: boolean | null;
}

/**
 * `compression_settings`, one row per column: the view every version has
 * (`hypertable_compression_settings` only exists since 2.14).
 */
async function readCompressionRows(
  client: Queryable,
  schemas: readonly string[],
  names: readonly string[],
): Promise<CompressionRow[]> {
  const { rows } = await client.query<CompressionRow>(
    `SELECT s.hypertable_schema::text AS schema, s.hypertable_name::text AS "table", s.attname::text AS "column",
            s.segmentby_column_index::int AS segmentby, s.orderby_column_index::int AS orderby,
            s.orderby_asc AS asc, s.orderby_nullsfirst AS nulls_first
       FROM timescaledb_information.compression_settings s
      WHERE (s.hypertable_schema, s.hypertable_name) IN ${SELECTED}
      ORDER BY 1, 2, s.segmentby_column_index NULLS LAST, s.orderby_column_index NULLS LAST`,
    [schemas, names],
  );
  return rows;
}

interface SparseIndexRow {
  schema: string;
  table: string;
  /** The jsonb array TimescaleDB keeps (2.22+), as text. */
  index: string | null;
}

/**
 * The sparse index configuration of the hypertables, where the server has one (the
 * `index` column of `_timescaledb_catalog.compression_settings`, 2.22+); none before.
 */
async function readSparseIndexRows(
  client: Queryable,
  schemas: readonly string[],
  names: readonly string[],
): Promise<SparseIndexRow[]> {
  const { rows: has } = await client.query(
    `SELECT 1 FROM pg_catalog.pg_attribute
      WHERE attrelid = pg_catalog.to_regclass('_timescaledb_catalog.compression_settings')
        AND attname = 'index' AND NOT attisdropped`,
  );
  if (has.length === 0) return [];
  const { rows } = await client.query<SparseIndexRow>(
    `SELECT n.nspname::text AS schema, c.relname::text AS "table", s.index::text AS index
       FROM _timescaledb_catalog.compression_settings s
       JOIN pg_catalog.pg_class c ON c.oid = s.relid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE (n.nspname::text, c.relname::text) IN ${SELECTED}`,
    [schemas, names],
  );
  return rows;
}

/**
 * The sparse indexes the table was configured with (`source: config`); TimescaleDB's own
 * (from order_by, or chosen when compressing) are not prism.yaml's. A configured index
 * prism.yaml cannot state (several columns, another kind) is `unsupported`.
 */
function sparseIndexesOf(rows: readonly SparseIndexRow[]): {
  sparseIndexes: SparseIndex[];
  unsupported: Unsupported[];
} {
  const sparseIndexes: SparseIndex[] = [];
  const unsupported: Unsupported[] = [];
  for (const row of rows) {
    let entries: unknown;
    try {
      entries = JSON.parse(row.index ?? 'null');
    } catch {
      entries = null;
    }
    if (!Array.isArray(entries)) continue;
    for (const e of entries as Record<string, unknown>[]) {
      if (e === null || typeof e !== 'object' || e['source'] !== 'config') continue;
      if (e['type'] === undefined && e['column'] === undefined) continue;
      const type = e['type'];
      const column = e['column'];
      if ((type === 'minmax' || type === 'bloom') && typeof column === 'string') {
        sparseIndexes.push({ column, type });
      } else {
        unsupported.push({
          what: `sparse index ${JSON.stringify(column)}`,
          detail: `a ${String(type)} sparse index on ${JSON.stringify(column)}, which prism.yaml cannot state`,
        });
      }
    }
  }
  return { sparseIndexes: sortedSparseIndexes(sparseIndexes), unsupported };
}

/** compress_chunk_time_interval, when set and stateable; what it is otherwise, for `unsupported`. */
function compressChunkIntervalOf(row: DimensionRow): {
  chunkInterval?: TimeAmount;
  unsupported?: Unsupported;
} {
  if (row.compress_interval_length === null) return {};
  const amount =
    row.compress_interval_parts === null
      ? undefined
      : intervalFromParts(row.compress_interval_parts);
  return amount
    ? { chunkInterval: amount }
    : {
        unsupported: {
          what: 'compression chunk_interval',
          detail: `compress_chunk_time_interval of length ${row.compress_interval_length}, which prism.yaml cannot state`,
        },
      };
}

interface JobRow {
  schema: string;
  table: string;
  proc_schema: string;
  proc_name: string;
  scheduled: boolean;
  config: string | null;
  /** The config key holding the policy's age, its jsonb type, text and interval parts. */
  age_key: string | null;
  age_type: string | null;
  age_text: string | null;
  age_parts: string[] | null;
}

const AGE_KEYS = ['compress_after', 'drop_after', 'compress_created_before', 'drop_created_before'];

async function readJobs(
  client: Queryable,
  schemas: readonly string[],
  names: readonly string[],
): Promise<JobRow[]> {
  const age = `(j.config -> a.key)`;
  const { rows } = await client.query<JobRow>(
    `SELECT j.hypertable_schema::text AS schema, j.hypertable_name::text AS "table",
            j.proc_schema::text AS proc_schema, j.proc_name::text AS proc_name, j.scheduled,
            (j.config OPERATOR(pg_catalog.-) 'hypertable_id'::text)::text AS config,
            a.key AS age_key, pg_catalog.jsonb_typeof(${age}) AS age_type, j.config ->> a.key AS age_text,
            CASE WHEN pg_catalog.jsonb_typeof(${age}) = 'string'
                 THEN ${intervalPartsSql('(j.config ->> a.key)::pg_catalog.interval')} END AS age_parts
       FROM timescaledb_information.jobs j
       LEFT JOIN LATERAL (
              SELECT k.key FROM pg_catalog.unnest($3::text[]) WITH ORDINALITY AS k(key, ord)
               WHERE j.config ? k.key ORDER BY k.ord LIMIT 1
            ) a ON true
      WHERE (j.hypertable_schema, j.hypertable_name) IN ${SELECTED}
      ORDER BY 1, 2, j.proc_name, j.job_id`,
    [schemas, names, AGE_KEYS],
  );
  return rows;
}

/** The function `setIntegerNowFunction` creates: now in seconds, milliseconds or microseconds. */
const PRISM_NOW =
  /^SELECT \(extract\(epoch FROM now\(\)\) \* (1|1000|1000000)\)::(?:integer|bigint)$/;
const UNIT_OF_FACTOR = Object.freeze({ '1': 's', '1000': 'ms', '1000000': 'us' } as const);

function integerNowOf(row: DimensionRow): IntegerNow | undefined {
  if (row.now_function === null) return undefined;
  const m = PRISM_NOW.exec(row.now_source ?? '');
  const unit = m ? UNIT_OF_FACTOR[m[1] as keyof typeof UNIT_OF_FACTOR] : undefined;
  return unit === undefined ? { function: row.now_function } : { function: row.now_function, unit };
}

function chunkIntervalOf(row: DimensionRow): TimeAmount | undefined {
  return row.integer_interval !== null
    ? integerAmount(row.integer_interval)
    : row.interval_parts === null
      ? undefined
      : intervalFromParts(row.interval_parts);
}

/** A policy's age: a jsonb number for integer time, else interval text. */
function ageOf(job: JobRow): TimeAmount | undefined {
  if (job.age_type === 'number') return integerAmount(job.age_text);
  if (job.age_type === 'string' && job.age_parts !== null) return intervalFromParts(job.age_parts);
  return undefined;
}

const POLICY_SCHEMA = /^_timescaledb_/;
const POLICY_AGE: Readonly<Record<string, string>> = Object.freeze({
  policy_compression: 'compress_after',
  policy_retention: 'drop_after',
});

interface Policies {
  compressAfter?: TimeAmount;
  dropAfter?: TimeAmount;
  reorderIndex?: string;
  unsupported: Unsupported[];
}

/** The index a reorder job names, from its config (`{"index_name": …}`). */
function reorderIndexOf(job: JobRow): string | undefined {
  if (job.config === null) return undefined;
  try {
    const config = JSON.parse(job.config) as { index_name?: unknown };
    return typeof config.index_name === 'string' ? config.index_name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The compression and retention policies by age; any other job of the table, a policy by
 * creation time or one whose age prism.yaml cannot state is `job <proc name>`.
 */
function policiesOf(jobs: readonly JobRow[]): Policies {
  const result: Policies = { unsupported: [] };
  for (const job of jobs) {
    const own = POLICY_SCHEMA.test(job.proc_schema);
    const wanted = own ? POLICY_AGE[job.proc_name] : undefined;
    // A paused policy is not one prism.yaml states: a baseline would make it run.
    const age =
      wanted !== undefined && job.age_key === wanted && job.scheduled ? ageOf(job) : undefined;
    if (age !== undefined && job.proc_name === 'policy_compression' && !result.compressAfter) {
      result.compressAfter = age;
    } else if (age !== undefined && job.proc_name === 'policy_retention' && !result.dropAfter) {
      result.dropAfter = age;
    } else if (
      own &&
      job.proc_name === 'policy_reorder' &&
      job.scheduled &&
      !result.reorderIndex &&
      reorderIndexOf(job) !== undefined
    ) {
      result.reorderIndex = reorderIndexOf(job);
    } else {
      result.unsupported.push({
        what: `job ${job.proc_name}`,
        detail: !job.scheduled
          ? `paused (scheduled => false): ${job.proc_schema}.${job.proc_name} with config ${job.config ?? '{}'}`
          : wanted !== undefined && job.age_key !== null && job.age_key !== wanted
            ? `a policy by ${job.age_key} (prism.yaml states policies by ${wanted}); config ${job.config ?? '{}'}`
            : `${job.proc_schema}.${job.proc_name} with config ${job.config ?? '{}'}`,
      });
    }
  }
  return result;
}

function compressionOf(
  rows: readonly CompressionRow[],
  timeColumn: string,
): { segmentBy: string[]; orderBy: OrderByTerm[] } {
  const segmentBy = rows.filter((r) => r.segmentby !== null).map((r) => r.column);
  const orderBy = rows
    .filter((r) => r.orderby !== null)
    .map((r): OrderByTerm => ({
      column: r.column,
      direction: r.asc === false ? 'DESC' : 'ASC',
      nulls: r.nulls_first === true ? 'FIRST' : 'LAST',
    }));
  return { segmentBy, orderBy: canonicalOrderBy(orderBy, timeColumn) };
}

function groupBy<T extends { schema: string; table: string }>(
  rows: readonly T[],
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r.schema, r.table);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return groups;
}

function extraDimension(row: DimensionRow): Unsupported {
  return {
    what: `dimension ${row.column}`,
    detail:
      row.partitions !== null
        ? `space partitioning on ${row.column} into ${row.partitions} partitions`
        : `a further ${row.type.toLowerCase()} dimension on ${row.column}${
            row.interval_text !== null || row.integer_interval !== null
              ? ` with interval ${row.interval_text ?? row.integer_interval}`
              : ''
          }`,
  };
}

/** The hypertables among the tables (schema, name), by `JSON.stringify([schema, name])`. */
export async function readHypertables(
  client: Queryable,
  tables: readonly { readonly schema: string; readonly name: string }[],
): Promise<Map<string, HypertableFacts>> {
  const schemas = tables.map((t) => t.schema);
  const names = tables.map((t) => t.name);
  const dimensions = groupBy(await readDimensions(client, schemas, names));
  const result = new Map<string, HypertableFacts>();
  if (dimensions.size === 0) return result;
  const compression = groupBy(await readCompressionRows(client, schemas, names));
  const sparse = groupBy(await readSparseIndexRows(client, schemas, names));
  const jobs = groupBy(await readJobs(client, schemas, names));
  for (const [k, dims] of dimensions) {
    const [time, ...extra] = dims;
    if (time === undefined) continue;
    // One hash dimension is what timeseries.partitioning states; any other is not.
    const space = extra.length === 1 && extra[0]?.partitions != null ? extra[0] : undefined;
    const unsupported: Unsupported[] = space ? [] : extra.map(extraDimension);
    const chunkInterval = chunkIntervalOf(time);
    if (chunkInterval === undefined && (time.interval_text ?? time.integer_interval) !== null) {
      unsupported.push({
        what: `dimension ${time.column}`,
        detail: `chunk interval ${time.interval_text ?? time.integer_interval}, which prism.yaml cannot state`,
      });
    }
    const policies = policiesOf(jobs.get(k) ?? []);
    unsupported.push(...policies.unsupported);
    const integerNow = integerNowOf(time);
    const compressInterval = compressChunkIntervalOf(time);
    const sparseIndexes = sparseIndexesOf(sparse.get(k) ?? []);
    if (time.compression_enabled) {
      if (compressInterval.unsupported) unsupported.push(compressInterval.unsupported);
      unsupported.push(...sparseIndexes.unsupported);
    }
    result.set(k, {
      hypertable: {
        timeColumn: time.column,
        ...(chunkInterval ? { chunkInterval } : {}),
        ...(integerNow ? { integerNow } : {}),
        ...(time.compression_enabled
          ? {
              compression: {
                ...compressionOf(compression.get(k) ?? [], time.column),
                ...(compressInterval.chunkInterval
                  ? { chunkInterval: compressInterval.chunkInterval }
                  : {}),
                ...(sparseIndexes.sparseIndexes.length > 0
                  ? { sparseIndexes: sparseIndexes.sparseIndexes }
                  : {}),
              },
            }
          : {}),
        ...(policies.compressAfter ? { compressAfter: policies.compressAfter } : {}),
        ...(policies.dropAfter ? { dropAfter: policies.dropAfter } : {}),
        ...(space?.partitions != null
          ? { partitioning: { column: space.column, partitions: space.partitions } }
          : {}),
        ...(policies.reorderIndex ? { reorderIndex: policies.reorderIndex } : {}),
      },
      spaceColumns: extra.filter((d) => d.partitions !== null).map((d) => d.column),
      unsupported,
    });
  }
  return result;
}
