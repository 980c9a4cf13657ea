/**
 * The aggregates side of the catalog reader: TimescaleDB continuous aggregates (their
 * source hypertable or parent aggregate from `_timescaledb_catalog.continuous_agg`, their
 * refresh, compression and retention policies by the materialized hypertable's jobs, its
 * compression settings; realtime = NOT materialized_only) and the degraded forms, a view
 * or materialized view whose definition is one the operations create. Each definition is
 * read by the strict parser of aggregate-definition.ts; what it refuses is named with why.
 * Works on 2.12 through 2.28 (the jobs are matched by the materialized hypertable's id:
 * 2.12 names the materialized hypertable in `jobs`, later versions the view) and on
 * PostgreSQL without TimescaleDB.
 */
import type { Aggregate } from '../schema/types.js';
import type { AggregateRefresh, TimeAmount } from '../spec/types.js';
import { parseInterval } from '../sql/interval.js';
import {
  parseAggregateDefinition,
  type AggregateDefinition,
  type DefinitionBucket,
} from './aggregate-definition.js';
import { integerAmount, intervalFromParts, intervalPartsSql } from './amounts.js';
import type { Queryable } from './relations.js';

/** An aggregate as read, with what identifies it in the catalog. */
export interface LiveAggregate {
  readonly oid: string;
  /** The relation it reads, by oid. */
  readonly sourceOid: string;
  /** The materialized hypertable's id (continuous aggregates only). */
  readonly materializedId?: number | undefined;
  readonly aggregate: Aggregate;
}

export interface AggregateReading {
  readonly aggregates: readonly LiveAggregate[];
  /**
   * Views that are not aggregates prism.yaml can state, by `schema.name`: why. A
   * continuous aggregate there is always named; a plain view only when it looks like one
   * (a GROUP BY over one relation), else it stays a plain view.
   */
  readonly refused: ReadonlyMap<string, { readonly kind: string; readonly detail: string }>;
}

interface ViewRow {
  oid: string;
  schema: string;
  name: string;
  /** `continuous`, `materialized view` or `view`. */
  form: Aggregate['form'];
  definition: string | null;
  materialized_only: boolean | null;
  materialized_id: number | null;
  compression_enabled: boolean | null;
  /** The relations the view's rule reads (the source hypertable, for a continuous aggregate). */
  source_oids: string[];
  source_schemas: string[];
  source_names: string[];
  /** pg_class.relkind of each: `r` a table, `v`/`m` a view. */
  source_kinds: string[];
  /** A continuous aggregate built on another: the parent's view. */
  parent_oid: string | null;
}

async function hasContinuousAggregates(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>(
    `SELECT pg_catalog.to_regclass('_timescaledb_catalog.continuous_agg') IS NOT NULL
            AND pg_catalog.to_regclass('timescaledb_information.continuous_aggregates') IS NOT NULL AS present`,
  );
  return rows[0]?.present === true;
}

/** Views and materialized views of `schemas` (not an extension's), continuous aggregates marked. */
async function readViews(
  client: Queryable,
  schemas: readonly string[],
  timescale: boolean,
): Promise<ViewRow[]> {
  const continuous = timescale
    ? `LEFT JOIN _timescaledb_catalog.continuous_agg ca
              ON ca.user_view_schema = n.nspname AND ca.user_view_name = c.relname
       LEFT JOIN timescaledb_information.continuous_aggregates ci
              ON ci.view_schema = n.nspname AND ci.view_name = c.relname
       LEFT JOIN _timescaledb_catalog.hypertable raw ON raw.id = ca.raw_hypertable_id
       LEFT JOIN _timescaledb_catalog.continuous_agg parent ON parent.mat_hypertable_id = ca.parent_mat_hypertable_id`
    : '';
  const caggColumns = timescale
    ? `ca.mat_hypertable_id AS materialized_id, ci.materialized_only, ci.compression_enabled, ci.view_definition,
       pg_catalog.to_regclass(pg_catalog.quote_ident(raw.schema_name) || '.' || pg_catalog.quote_ident(raw.table_name))::oid::text AS raw_oid,
       pg_catalog.to_regclass(pg_catalog.quote_ident(parent.user_view_schema) || '.' || pg_catalog.quote_ident(parent.user_view_name))::oid::text AS parent_oid`
    : `NULL::int AS materialized_id, NULL::boolean AS materialized_only, NULL::boolean AS compression_enabled,
       NULL::text AS view_definition, NULL::text AS raw_oid, NULL::text AS parent_oid`;
  const { rows } = await client.query<ViewRow & { view_definition: string | null }>(
    `WITH views AS (
       SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS relkind,
              ${caggColumns}
         FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         ${continuous}
        WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY ($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                           WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND d.objid = c.oid AND d.deptype = 'e')
     )
     SELECT v.oid::text AS oid, v.schema, v.name,
            CASE WHEN v.materialized_id IS NOT NULL THEN 'continuous'
                 WHEN v.relkind = 'm' THEN 'materialized view' ELSE 'view' END AS form,
            coalesce(v.view_definition, pg_catalog.pg_get_viewdef(v.oid)) AS definition,
            v.materialized_only, v.materialized_id, v.compression_enabled, v.parent_oid,
            coalesce(src.oids, '{}') AS source_oids, coalesce(src.schemas, '{}') AS source_schemas,
            coalesce(src.names, '{}') AS source_names, coalesce(src.kinds, '{}') AS source_kinds
       FROM views v
       LEFT JOIN LATERAL (
              -- A continuous aggregate reads its raw hypertable (a parent's materialized
              -- one when hierarchical); a view, the relations its rule depends on.
              SELECT pg_catalog.array_agg(r.oid::text ORDER BY r.oid) AS oids,
                     pg_catalog.array_agg(rn.nspname::text ORDER BY r.oid) AS schemas,
                     pg_catalog.array_agg(r.relname::text ORDER BY r.oid) AS names,
                     pg_catalog.array_agg(r.relkind::text ORDER BY r.oid) AS kinds
                FROM pg_catalog.pg_class r
                JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
               WHERE CASE WHEN v.materialized_id IS NOT NULL
                          THEN r.oid = coalesce(v.parent_oid, v.raw_oid)::oid
                          ELSE r.oid IN (SELECT d.refobjid FROM pg_catalog.pg_depend d
                                           JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid
                                          WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                                            AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                            AND rw.ev_class = v.oid AND d.refobjid <> v.oid) END
            ) src ON true
      ORDER BY v.schema, v.name`,
    [[...schemas]],
  );
  return rows;
}

interface JobRow {
  materialized_id: number;
  proc_schema: string;
  proc_name: string;
  scheduled: boolean;
  config: string;
  schedule_parts: string[];
  /** Per key of AMOUNT_KEYS: the jsonb type, the text and the interval parts. */
  types: (string | null)[];
  texts: (string | null)[];
  parts: (string[] | null)[];
}

const AMOUNT_KEYS = ['start_offset', 'end_offset', 'compress_after', 'drop_after'] as const;

async function readJobs(client: Queryable, ids: readonly number[]): Promise<JobRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await client.query<Omit<JobRow, 'parts'> & { parts: (string | null)[] }>(
    `SELECT b.hypertable_id AS materialized_id, j.proc_schema::text, j.proc_name::text, j.scheduled,
            j.config::text AS config, ${intervalPartsSql('j.schedule_interval')} AS schedule_parts,
            ARRAY(SELECT pg_catalog.jsonb_typeof(j.config -> k) FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(k, o) ORDER BY o) AS types,
            ARRAY(SELECT j.config ->> k FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(k, o) ORDER BY o) AS texts,
            ARRAY(SELECT CASE WHEN pg_catalog.jsonb_typeof(j.config -> k) = 'string'
                              THEN pg_catalog.array_to_string(${intervalPartsSql('(j.config ->> k)::pg_catalog.interval')}, ',') END
                    FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(k, o) ORDER BY o) AS parts
       FROM timescaledb_information.jobs j
       JOIN _timescaledb_config.bgw_job b ON b.id = j.job_id
      WHERE b.hypertable_id = ANY ($1::int[])
      ORDER BY b.hypertable_id, j.proc_name, j.job_id`,
    [[...ids], [...AMOUNT_KEYS]],
  );
  return rows.map((r) => ({ ...r, parts: r.parts.map((p) => (p === null ? null : p.split(','))) }));
}

interface CompressionRow {
  materialized_id: number;
  column: string;
}

async function readSegmentBy(client: Queryable, ids: readonly number[]): Promise<CompressionRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await client.query<CompressionRow>(
    `SELECT h.id AS materialized_id, s.attname::text AS "column"
       FROM timescaledb_information.compression_settings s
       JOIN _timescaledb_catalog.hypertable h
         ON h.schema_name = s.hypertable_schema AND h.table_name = s.hypertable_name
      WHERE h.id = ANY ($1::int[]) AND s.segmentby_column_index IS NOT NULL
      ORDER BY h.id, s.segmentby_column_index`,
    [[...ids]],
  );
  return rows;
}

/** Interval texts as PostgreSQL prints them → their parts, in one query. */
async function intervalParts(
  client: Queryable,
  texts: readonly string[],
): Promise<Map<string, TimeAmount | undefined>> {
  const unique = [...new Set(texts)];
  const result = new Map<string, TimeAmount | undefined>();
  if (unique.length === 0) return result;
  const { rows } = await client.query<{ text: string; parts: string[] | null }>(
    `SELECT t.v AS text, CASE WHEN t.v ~ '^[0-9A-Za-z :.+-]+$'
                              THEN ${intervalPartsSql('t.v::pg_catalog.interval')} END AS parts
       FROM pg_catalog.unnest($1::text[]) AS t(v)`,
    [unique],
  );
  for (const r of rows)
    result.set(r.text, r.parts === null ? undefined : intervalFromParts(r.parts));
  return result;
}

function monthsAmount(months: number): TimeAmount | undefined {
  const years = Math.floor(months / 12);
  const rest = months % 12;
  const words = [years > 0 ? `${years} year` : '', rest > 0 ? `${rest} month` : '']
    .filter((w) => w !== '')
    .join(' ');
  const parsed = parseInterval(words);
  return parsed.ok ? { kind: 'interval', interval: parsed.interval } : undefined;
}

function bucketAmount(
  bucket: DefinitionBucket,
  intervals: ReadonlyMap<string, TimeAmount | undefined>,
): TimeAmount | undefined {
  switch (bucket.kind) {
    case 'integer':
      return { kind: 'integer', value: bucket.value };
    case 'months':
      return monthsAmount(bucket.months);
    default:
      return intervals.get(bucket.text);
  }
}

/** One amount of a job's config: a jsonb number for integer time, else interval text. */
function amountOf(job: JobRow, key: (typeof AMOUNT_KEYS)[number]): TimeAmount | null | undefined {
  const i = AMOUNT_KEYS.indexOf(key);
  const type = job.types[i];
  if (type === 'null' || type === null || type === undefined) return null;
  if (type === 'number') return integerAmount(job.texts[i]) ?? undefined;
  const parts = job.parts[i];
  return parts === null || parts === undefined ? undefined : intervalFromParts(parts);
}

interface Policies {
  refresh?: AggregateRefresh;
  compressAfter?: TimeAmount;
  dropAfter?: TimeAmount;
  /** Jobs prism.yaml cannot state: paused, custom, or with amounts it cannot write. */
  unstated: string[];
}

const POLICY_SCHEMA = /^_timescaledb_/;

function policiesOf(jobs: readonly JobRow[]): Policies {
  const result: Policies = { unstated: [] };
  for (const job of jobs) {
    const own = POLICY_SCHEMA.test(job.proc_schema) && job.scheduled;
    const schedule = intervalFromParts(job.schedule_parts);
    if (own && job.proc_name === 'policy_refresh_continuous_aggregate' && !result.refresh) {
      const startOffset = amountOf(job, 'start_offset');
      const endOffset = amountOf(job, 'end_offset');
      if (startOffset !== undefined && endOffset !== undefined && schedule?.kind === 'interval') {
        result.refresh = { startOffset, endOffset, scheduleInterval: schedule.interval };
        continue;
      }
    } else if (own && job.proc_name === 'policy_compression' && !result.compressAfter) {
      const after = amountOf(job, 'compress_after');
      if (after) {
        result.compressAfter = after;
        continue;
      }
    } else if (own && job.proc_name === 'policy_retention' && !result.dropAfter) {
      const after = amountOf(job, 'drop_after');
      if (after) {
        result.dropAfter = after;
        continue;
      }
    }
    result.unstated.push(
      `${job.scheduled ? '' : 'paused '}${job.proc_schema}.${job.proc_name} with config ${job.config}`,
    );
  }
  return result;
}

const viewKey = (schema: string, name: string): string => `${schema}.${name}`;

/** Whether a view that is not an aggregate should be said to be refused as one. */
function looksLikeAggregate(row: ViewRow): boolean {
  return row.form === 'continuous' || /\bGROUP BY\b/i.test(row.definition ?? '');
}

/**
 * The aggregates of `schemas`: continuous aggregates where TimescaleDB is installed, and
 * views and materialized views in an aggregate's shape everywhere.
 */
export async function readAggregates(
  client: Queryable,
  schemas: readonly string[],
  timescale: boolean,
): Promise<AggregateReading> {
  const continuous = timescale && (await hasContinuousAggregates(client));
  const views = await readViews(client, schemas, continuous);
  const refused = new Map<string, { kind: string; detail: string }>();
  const parsed: { row: ViewRow; definition: AggregateDefinition }[] = [];
  for (const row of views) {
    const kind = row.form === 'continuous' ? 'continuous aggregate' : (row.form ?? 'view');
    const refuse = (detail: string): void => {
      if (looksLikeAggregate(row)) refused.set(viewKey(row.schema, row.name), { kind, detail });
    };
    const result = parseAggregateDefinition(row.definition ?? '');
    if (!result.ok) {
      refuse(
        `${kind === 'view' ? 'a view' : `a ${kind}`} prism.yaml cannot state: ${result.reason}`,
      );
      continue;
    }
    const source = row.source_oids.length === 1 ? 0 : -1;
    const name = row.source_names[source];
    const schema = row.source_schemas[source];
    // The relation the definition names must be the one the view depends on.
    const printed = result.definition.source;
    if (
      name === undefined ||
      schema === undefined ||
      (row.form !== 'continuous' && printed.name !== name) ||
      (printed.schema !== undefined && printed.schema !== schema)
    ) {
      refuse(`${kind === 'view' ? 'a view' : `a ${kind}`} over a relation prism.yaml cannot state`);
      continue;
    }
    parsed.push({ row, definition: result.definition });
  }

  const intervals = await intervalParts(
    client,
    parsed.flatMap((p) =>
      p.definition.bucket.kind === 'interval' ? [p.definition.bucket.text] : [],
    ),
  );
  const ids = parsed.flatMap((p) =>
    p.row.materialized_id === null ? [] : [p.row.materialized_id],
  );
  const jobs = await readJobs(client, ids);
  const segmentBy = await readSegmentBy(client, ids);
  const aggregateOids = new Set(parsed.map((p) => p.row.oid));

  const aggregates: LiveAggregate[] = [];
  for (const { row, definition } of parsed) {
    const kind = row.form === 'continuous' ? 'continuous aggregate' : (row.form ?? 'view');
    const bucket = bucketAmount(definition.bucket, intervals);
    const sourceOid = row.parent_oid ?? (row.source_oids[0] as string);
    const onAggregate = aggregateOids.has(sourceOid);
    const overView =
      !onAggregate && row.parent_oid === null && /^[vm]$/.test(row.source_kinds[0] ?? '');
    const problem =
      bucket === undefined
        ? 'whose bucket prism.yaml cannot write'
        : onAggregate && definition.timeColumn !== 'bucket'
          ? 'over an aggregate, not by its bucket'
          : overView
            ? 'over a view that is not an aggregate'
            : undefined;
    if (bucket === undefined || problem !== undefined) {
      refused.set(viewKey(row.schema, row.name), { kind, detail: `a ${kind} ${problem ?? ''}` });
      continue;
    }
    const id = row.materialized_id ?? undefined;
    const policies = policiesOf(jobs.filter((j) => j.materialized_id === id));
    if (policies.unstated.length > 0) {
      refused.set(viewKey(row.schema, row.name), {
        kind,
        detail: `a ${kind} with jobs prism.yaml cannot state: ${policies.unstated.join('; ')}`,
      });
      continue;
    }
    const segments = segmentBy.filter((s) => s.materialized_id === id).map((s) => s.column);
    const index = row.source_oids.indexOf(sourceOid);
    const sourceSchema = onAggregate
      ? (parsed.find((p) => p.row.oid === sourceOid)?.row.schema ?? '')
      : (row.source_schemas[index] ?? '');
    const sourceName = onAggregate
      ? (parsed.find((p) => p.row.oid === sourceOid)?.row.name ?? '')
      : (row.source_names[index] ?? '');
    aggregates.push({
      oid: row.oid,
      sourceOid,
      ...(id !== undefined ? { materializedId: id } : {}),
      aggregate: {
        schema: row.schema,
        name: row.name,
        source: {
          kind: onAggregate ? 'aggregate' : 'table',
          schema: sourceSchema,
          name: sourceName,
          timeColumn: definition.timeColumn,
        },
        bucket,
        groupBy: definition.groupBy,
        columns: definition.columns,
        realtime: row.form === 'continuous' ? row.materialized_only === false : row.form === 'view',
        ...(policies.refresh ? { refresh: policies.refresh } : {}),
        ...(row.compression_enabled ? { compression: { segmentBy: segments } } : {}),
        ...(policies.compressAfter ? { compressAfter: policies.compressAfter } : {}),
        ...(policies.dropAfter ? { dropAfter: policies.dropAfter } : {}),
        form: row.form,
      },
    });
  }
  return { aggregates: sourcesFirst(dropOrphans(aggregates, refused)), refused };
}

/** By schema and name, each aggregate after the one it is built on. */
function sourcesFirst(aggregates: readonly LiveAggregate[]): LiveAggregate[] {
  const byOid = new Map(aggregates.map((a) => [a.oid, a]));
  const done = new Set<string>();
  const result: LiveAggregate[] = [];
  const visit = (a: LiveAggregate): void => {
    if (done.has(a.oid)) return;
    done.add(a.oid);
    const source = byOid.get(a.sourceOid);
    if (source !== undefined) visit(source);
    result.push(a);
  };
  aggregates.forEach(visit);
  return result;
}

/**
 * An aggregate over a view that is not one (refused) cannot be stated either: it and
 * what is built on it are refused too, so every aggregate read has its source read.
 */
function dropOrphans(
  aggregates: LiveAggregate[],
  refused: Map<string, { kind: string; detail: string }>,
): LiveAggregate[] {
  let kept = aggregates;
  for (;;) {
    const oids = new Set(kept.map((a) => a.oid));
    const orphans = kept.filter(
      (a) => a.aggregate.source.kind === 'aggregate' && !oids.has(a.sourceOid),
    );
    if (orphans.length === 0) return kept;
    for (const o of orphans) {
      refused.set(viewKey(o.aggregate.schema, o.aggregate.name), {
        kind:
          o.aggregate.form === 'continuous' ? 'continuous aggregate' : (o.aggregate.form ?? 'view'),
        detail: 'an aggregate over a view prism.yaml cannot state',
      });
    }
    kept = kept.filter((a) => !orphans.includes(a));
  }
}
