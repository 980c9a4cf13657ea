/**
 * `prism-migrate jobs run`: policy jobs on demand. On the embedded database no scheduler
 * runs them; on a server this runs them now instead of at their next start.
 */
import { timescaleSchema } from '../catalog/read.js';
import type { ClientBase } from 'pg';
import { DatabaseError } from '../errors.js';
import { quoteIdent } from '../sql/quote.js';

export interface JobRun {
  readonly jobId: number;
  readonly kind: 'compression' | 'retention' | 'reorder';
  readonly table: string;
  readonly ok: boolean;
  readonly error?: string | undefined;
  readonly ms: number;
}

export async function runPolicyJobs(
  client: ClientBase,
  options: {
    table?: string | undefined;
    /** Called as each job starts (for progress display). */
    onJobStart?: ((job: { jobId: number; kind: string; table: string }) => void) | undefined;
  } = {},
): Promise<JobRun[]> {
  const schema = await timescaleSchema(client);
  if (!schema)
    throw new DatabaseError('TimescaleDB is not installed here: there are no policy jobs to run');
  const jobs = await client.query<{ job_id: number; proc_name: string; table: string }>(
    `SELECT job_id, proc_name, pg_catalog.format('%I.%I', hypertable_schema, hypertable_name) AS "table"
       FROM timescaledb_information.jobs
      WHERE proc_name IN ('policy_compression', 'policy_reorder', 'policy_retention')
        AND ($1::text IS NULL OR hypertable_name = $1)
      ORDER BY proc_name, job_id`,
    [options.table ?? null],
  );
  if (options.table && jobs.rows.length === 0) {
    throw new DatabaseError(`no compression, reorder or retention policy on ${options.table}`, {
      hint: '`prism-migrate timescale-info` lists the policy jobs',
    });
  }
  const runs: JobRun[] = [];
  // Compression, reorder, then retention, as a scheduler would interleave them over time.
  for (const job of jobs.rows) {
    if (!Number.isInteger(job.job_id)) continue;
    const started = Date.now();
    const kind =
      job.proc_name === 'policy_compression'
        ? 'compression'
        : job.proc_name === 'policy_reorder'
          ? 'reorder'
          : 'retention';
    options.onJobStart?.({ jobId: job.job_id, kind, table: job.table });
    try {
      // CALL takes no parameters or subqueries here: the id is an integer from the catalog.
      await client.query(`CALL ${quoteIdent(schema)}.run_job(${job.job_id})`);
      runs.push({ jobId: job.job_id, kind, table: job.table, ok: true, ms: Date.now() - started });
    } catch (error) {
      runs.push({
        jobId: job.job_id,
        kind,
        table: job.table,
        ok: false,
        error: (error as Error).message,
        ms: Date.now() - started,
      });
    }
  }
  return runs;
}
