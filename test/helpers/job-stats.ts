/**
 * Policy jobs on native servers, where TimescaleDB's scheduler runs them: their history
 * as `timescaledb_information.job_stats` has it, and waiting (with a deadline) for a run
 * of the scheduler. Times are the server's: its clock decides when a job is due.
 */
import type pg from 'pg';
import { withClient } from './databases.js';

export interface JobStats {
  readonly jobId: number;
  readonly lastRunStartedAt: Date | null;
  readonly lastSuccessfulFinish: Date | null;
  readonly lastRunStatus: string | null;
  readonly jobStatus: string | null;
  readonly nextStart: Date | null;
  readonly totalRuns: number | null;
  readonly totalFailures: number | null;
}

/** The server's clock, as text with microseconds, for comparisons made by the server. */
export async function serverNow(c: pg.ClientBase): Promise<string> {
  const { rows } = await c.query<{ now: string }>(
    `SELECT pg_catalog.clock_timestamp()::text AS now`,
  );
  return rows[0]?.now as string;
}

/** The id of the job running `proc` (e.g. `policy_compression`) for a hypertable. */
export async function policyJobId(c: pg.ClientBase, table: string, proc: string): Promise<number> {
  const { rows } = await c.query<{ id: number }>(
    `SELECT job_id AS id FROM timescaledb_information.jobs
      WHERE hypertable_name = $1 AND proc_name = $2`,
    [table, proc],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`no ${proc} job on ${table}`);
  return id;
}

export async function jobStats(c: pg.ClientBase, jobId: number): Promise<JobStats | undefined> {
  const { rows } = await c.query<{
    last_run_started_at: Date | null;
    last_successful_finish: Date | null;
    last_run_status: string | null;
    job_status: string | null;
    next_start: Date | null;
    total_runs: string | null;
    total_failures: string | null;
  }>(
    `SELECT last_run_started_at, last_successful_finish, last_run_status::text,
            job_status::text, next_start, total_runs::text, total_failures::text
       FROM timescaledb_information.job_stats WHERE job_id = $1`,
    [jobId],
  );
  const r = rows[0];
  if (!r) return undefined;
  const count = (v: string | null) => (v === null ? null : Number(v));
  return {
    jobId,
    lastRunStartedAt: r.last_run_started_at,
    lastSuccessfulFinish: r.last_successful_finish,
    lastRunStatus: r.last_run_status,
    jobStatus: r.job_status,
    nextStart: r.next_start,
    totalRuns: count(r.total_runs),
    totalFailures: count(r.total_failures),
  };
}

/** ISO text of a job_stats time as timescale-info reports it (null for none or ±infinity). */
export function isoOrNull(value: Date | null): string | null {
  return value === null || Number.isNaN(value.getTime()) ? null : value.toISOString();
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Why a run failed: the job's last error (timescaledb_information.job_errors) and, when
 * the scheduler could not start a worker for it, how many the server has and uses.
 */
async function describeFailedRun(c: pg.ClientBase, jobId: number): Promise<string> {
  const view = await c.query<{ t: string | null }>(
    `SELECT pg_catalog.to_regclass('timescaledb_information.job_errors')::text AS t`,
  );
  if (view.rows[0]?.t === null) return 'no job_errors view here';
  const { rows } = await c.query<{ message: string | null }>(
    `SELECT err_message AS message FROM timescaledb_information.job_errors
      WHERE job_id = $1 ORDER BY start_time DESC LIMIT 1`,
    [jobId],
  );
  const message = rows[0]?.message ?? 'no error recorded';
  if (!/failed to start/.test(message)) return message;
  const workers = await c.query<{ max: string; used: string }>(
    `SELECT pg_catalog.current_setting('max_worker_processes') AS max,
            (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity
              WHERE backend_type NOT IN ('client backend', 'autovacuum launcher', 'autovacuum worker',
                                         'background writer', 'checkpointer', 'walwriter', 'startup',
                                         'archiver', 'walsender', 'walreceiver'))::text AS used`,
  );
  const w = workers.rows[0];
  return `${message} (the server has no background worker free for it: ${w?.used ?? '?'} of max_worker_processes = ${w?.max ?? '?'} in use, one TimescaleDB scheduler per database with the extension)`;
}

/**
 * Waits until the scheduler has finished a run of the job that started at or after
 * `since` (server time, from `serverNow`), checking every half second for up to
 * `timeoutMs`, and returns the job's stats then. A run that did not succeed fails the
 * wait with the job's error, as does the deadline, with the last stats seen.
 */
export async function waitForScheduledRun(
  url: string,
  jobId: number,
  since: string,
  timeoutMs = 60_000,
): Promise<JobStats> {
  const deadline = Date.now() + timeoutMs;
  return withClient(url, async (c) => {
    for (;;) {
      const { rows } = await c.query<{ done: boolean }>(
        // last_run_duration is set once the run that started last has finished.
        `SELECT last_run_started_at >= $2::timestamptz AND last_run_duration IS NOT NULL AS done
           FROM timescaledb_information.job_stats WHERE job_id = $1`,
        [jobId, since],
      );
      if (rows[0]?.done === true) {
        const stats = (await jobStats(c, jobId)) as JobStats;
        if (stats.lastRunStatus !== 'Success') {
          throw new Error(
            `the scheduler's run of job ${jobId} since ${since} ended ${String(stats.lastRunStatus)}: ${await describeFailedRun(c, jobId)}`,
          );
        }
        return stats;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `job ${jobId} was not run by the scheduler since ${since} within ${timeoutMs / 1000} s; job_stats: ${JSON.stringify(await jobStats(c, jobId))}`,
        );
      }
      await sleep(500);
    }
  });
}

export interface ChunkState {
  readonly name: string;
  readonly rangeStart: Date;
  readonly rangeEnd: Date;
  readonly compressed: boolean;
}

/** The chunks of a hypertable in time order. */
export async function chunkStates(c: pg.ClientBase, table: string): Promise<ChunkState[]> {
  const { rows } = await c.query<{
    name: string;
    range_start: Date;
    range_end: Date;
    is_compressed: boolean;
  }>(
    `SELECT chunk_name::text AS name, range_start, range_end, is_compressed
       FROM timescaledb_information.chunks WHERE hypertable_name = $1 ORDER BY range_start`,
    [table],
  );
  return rows.map((r) => ({
    name: r.name,
    rangeStart: r.range_start,
    rangeEnd: r.range_end,
    compressed: r.is_compressed,
  }));
}
