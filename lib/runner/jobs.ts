/**
 * `prism-migrate jobs run`: policy jobs on demand. On the embedded database no scheduler
 * runs them; on a server this runs them now instead of at their next start. Aggregates
 * are refreshed first, lower levels first: a continuous aggregate by its refresh policy's
 * job (over the whole range without one), a materialized view standing in for one by
 * REFRESH MATERIALIZED VIEW.
 */
import { timescaleSchema } from '../catalog/read.js';
import type { ClientBase } from 'pg';
import { UsageError } from '../errors.js';
import { STAND_IN_COMMENT } from '../operations/aggregates/definition.js';
import { quoteIdent } from '../sql/quote.js';
import { refreshContinuousSql } from './refresh.js';

export interface JobRun {
  /** The TimescaleDB job; null for a refresh that is no job (no policy, or no TimescaleDB). */
  readonly jobId: number | null;
  readonly kind: 'refresh' | 'compression' | 'retention' | 'reorder';
  readonly table: string;
  readonly ok: boolean;
  readonly error?: string | undefined;
  readonly ms: number;
}

interface Step {
  readonly jobId: number | null;
  readonly kind: JobRun['kind'];
  readonly table: string;
  readonly sql: string;
}

/** Continuous aggregates in creation order (a hierarchical one after its source). */
async function continuousRefreshes(
  client: ClientBase,
  schema: string,
  table: string | undefined,
): Promise<Step[]> {
  const r = await client.query<{ view: string; job_id: number | null }>(
    `SELECT pg_catalog.format('%I.%I', a.view_schema, a.view_name) AS view,
            (SELECT j.job_id FROM timescaledb_information.jobs j
              WHERE j.proc_name = 'policy_refresh_continuous_aggregate'
                AND ((j.hypertable_schema = a.view_schema AND j.hypertable_name = a.view_name)
                  OR (j.hypertable_schema = a.materialization_hypertable_schema
                      AND j.hypertable_name = a.materialization_hypertable_name))
              ORDER BY j.job_id LIMIT 1) AS job_id
       FROM timescaledb_information.continuous_aggregates a
      WHERE ($1::text IS NULL OR a.view_name = $1)
      ORDER BY pg_catalog.to_regclass(pg_catalog.format('%I.%I', a.materialization_hypertable_schema, a.materialization_hypertable_name))::pg_catalog.oid`,
    [table ?? null],
  );
  return r.rows.map((row) => ({
    jobId: row.job_id,
    kind: 'refresh' as const,
    table: row.view,
    // CALL takes no parameters or subqueries here: the id is an integer from the catalog.
    sql:
      row.job_id !== null && Number.isInteger(row.job_id)
        ? `CALL ${quoteIdent(schema)}.run_job(${row.job_id})`
        : refreshContinuousSql(schema, row.view),
  }));
}

/** Materialized views standing in for continuous aggregates, in creation order. */
async function standInRefreshes(client: ClientBase, table: string | undefined): Promise<Step[]> {
  const r = await client.query<{ view: string }>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS view
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'm' AND pg_catalog.obj_description(c.oid, 'pg_class') = $1
        AND ($2::text IS NULL OR c.relname = $2)
      ORDER BY c.oid`,
    [STAND_IN_COMMENT, table ?? null],
  );
  return r.rows.map((row) => ({
    jobId: null,
    kind: 'refresh' as const,
    table: row.view,
    sql: `REFRESH MATERIALIZED VIEW ${row.view}`,
  }));
}

async function policyJobs(
  client: ClientBase,
  schema: string,
  table: string | undefined,
): Promise<Step[]> {
  const jobs = await client.query<{ job_id: number; proc_name: string; table: string }>(
    `SELECT job_id, proc_name, pg_catalog.format('%I.%I', hypertable_schema, hypertable_name) AS "table"
       FROM timescaledb_information.jobs
      WHERE proc_name IN ('policy_compression', 'policy_reorder', 'policy_retention')
        AND ($1::text IS NULL OR hypertable_name = $1)
      ORDER BY proc_name, job_id`,
    [table ?? null],
  );
  // Compression, reorder, then retention, as a scheduler would interleave them over time.
  return jobs.rows
    .filter((job) => Number.isInteger(job.job_id))
    .map((job) => ({
      jobId: job.job_id,
      kind:
        job.proc_name === 'policy_compression'
          ? 'compression'
          : job.proc_name === 'policy_reorder'
            ? 'reorder'
            : 'retention',
      table: job.table,
      sql: `CALL ${quoteIdent(schema)}.run_job(${job.job_id})`,
    }));
}

export async function runPolicyJobs(
  client: ClientBase,
  options: {
    table?: string | undefined;
    /** Called as each job starts (for progress display). */
    onJobStart?: ((job: { jobId: number | null; kind: string; table: string }) => void) | undefined;
  } = {},
): Promise<JobRun[]> {
  const schema = await timescaleSchema(client);
  const standIns = await standInRefreshes(client, options.table);
  // Without TimescaleDB there is nothing to run but stand-ins: none is no failure, so that
  // `up && jobs run` holds on plain PostgreSQL too.
  const steps = schema
    ? [
        ...(await continuousRefreshes(client, schema, options.table)),
        ...standIns,
        ...(await policyJobs(client, schema, options.table)),
      ]
    : standIns;
  if (options.table && steps.length === 0) {
    throw new UsageError(
      `no aggregate to refresh and no compression, reorder or retention policy on ${options.table}`,
      {
        hint: schema
          ? '`prism-migrate timescale-info` lists the policy jobs'
          : 'TimescaleDB is not installed here: only materialized views standing in for aggregates are refreshed',
      },
    );
  }
  const runs: JobRun[] = [];
  for (const step of steps) {
    const started = Date.now();
    options.onJobStart?.({ jobId: step.jobId, kind: step.kind, table: step.table });
    const run = { jobId: step.jobId, kind: step.kind, table: step.table };
    try {
      await client.query(step.sql);
      runs.push({ ...run, ok: true, ms: Date.now() - started });
    } catch (error) {
      runs.push({ ...run, ok: false, error: (error as Error).message, ms: Date.now() - started });
    }
  }
  return runs;
}
