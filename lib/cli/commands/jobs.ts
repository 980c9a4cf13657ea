/** `jobs run`: aggregate refreshes and the compression, reorder and retention jobs, now. */
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { databaseOptions, type GlobalOptions } from '../context.js';
import { startProgress } from '../progress.js';
import { DatabaseError } from '../../errors.js';
import { runJobs } from '../../app/jobs.js';

export function registerJobs(program: Command, out: Output): void {
  program
    .command('jobs')
    .description('policy jobs')
    .command('run')
    .description(
      'refresh the aggregates and run the compression, reorder and retention jobs now (all, or those of --table)',
    )
    .option('--table <table>', 'only this hypertable or aggregate')
    .action(async (opts: { table?: string }) => {
      const globals = program.opts<GlobalOptions>();
      // Draws nothing before the first job starts.
      const progress = startProgress(process.stderr, !out.json);
      let runs;
      try {
        runs = await runJobs({
          ...databaseOptions(globals, out),
          table: opts.table,
          onJobStart: (job) => progress.update(`${jobLabel(job.jobId)}${job.kind} of ${job.table}`),
        });
      } finally {
        progress.stop();
      }
      if (runs.length === 0)
        out.line('No aggregates to refresh and no compression, reorder or retention jobs.');
      for (const r of runs) {
        out.line(
          `${r.ok ? 'ran   ' : 'FAILED'} ${r.jobId === null ? '' : `job ${r.jobId} `}(${r.kind} of ${r.table}) in ${r.ms} ms${r.error ? `: ${r.error}` : ''}`,
        );
      }
      out.result({ runs });
      const failed = runs.filter((r) => !r.ok).length;
      if (failed > 0) throw new DatabaseError(`${failed} job(s) failed`);
    });
}

function jobLabel(jobId: number | null): string {
  return jobId === null ? '' : `job ${jobId}: `;
}
