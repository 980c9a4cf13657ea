/** `jobs run`: aggregate refreshes and the compression, reorder and retention policy jobs, now. */
import { connect } from '../db/connect.js';
import { runPolicyJobs, type JobRun } from '../runner/jobs.js';
import { withDatabase, type DatabaseOptions } from './database.js';

export interface RunJobsOptions extends DatabaseOptions {
  /** Only the jobs of this hypertable, or the refresh of this aggregate. */
  readonly table?: string | undefined;
  /** Called as each job starts (for progress display). */
  readonly onJobStart?:
    ((job: { jobId: number | null; kind: string; table: string }) => void) | undefined;
}

/** Runs every job (a failed one does not stop the others); see each run's `ok`. */
export async function runJobs(options: RunJobsOptions): Promise<JobRun[]> {
  return withDatabase(options, 'jobs run', async (db) => {
    const client = await connect(db.url);
    try {
      return await runPolicyJobs(client, { table: options.table, onJobStart: options.onJobStart });
    } finally {
      await client.end();
    }
  });
}
