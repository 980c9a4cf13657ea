/**
 * Policy jobs on native TimescaleDB servers with the Timescale License, in a new database
 * built through the CLI (`generate`, then `up`, which creates TimescaleDB): the server's
 * own scheduler runs the compression and retention policies when they are due,
 * `prism-migrate jobs run` runs them now, and `timescale-info` (the library and the CLI)
 * reports the history `timescaledb_information.job_stats` holds. Everything is checked
 * against the server's catalog, never against fixtures.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { timescaleInfo, type TimescaleInfo } from '../../lib/introspect/info.js';
import { parseSpec } from '../../lib/spec/load.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, withClient, type TestDatabase } from '../helpers/databases.js';
import { checkCliOutput, checkTimescaleInfoSchema } from '../helpers/json-schema.js';
import {
  chunkStates,
  isoOrNull,
  jobStats,
  policyJobId,
  serverNow,
  waitForScheduledRun,
  type ChunkState,
  type JobStats,
} from '../helpers/job-stats.js';
import {
  createNativeDatabase,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

/** Two tables with the same policies: the scheduler's runs on one, `jobs run` on the other. */
const SPEC_TEXT = ['metric', 'event']
  .map(
    (table) => `  - name: ${table[0]?.toUpperCase()}${table.slice(1)}
    fields:
      - { name: ts, type: datetime }
      - { name: device, type: text }
      - { name: value, type: float }
    timeseries:
      time_column: ts
      chunk_interval: 1 week
      compression: { enabled: true, after: 14 days, segment_by: [device], order_by: [ts DESC] }
      retention: { enabled: true, drop_after: 60 days }
`,
  )
  .join('');
const SPEC_YAML = `models:\n${SPEC_TEXT}`;

const DAY = 86_400_000;
const COMPRESS_AFTER = 14 * DAY;
const DROP_AFTER = 60 * DAY;

const ms = (d: Date | null | undefined): number => {
  if (!d) throw new Error('expected a time');
  return d.getTime();
};

/** Rows per chunk, by chunk name. */
async function rowsPerChunk(c: pg.ClientBase, table: 'metric' | 'event') {
  const { rows } = await c.query<{ chunk: string; n: number }>(
    `SELECT c.relname::text AS chunk, count(*)::int AS n
       FROM ${table} t JOIN pg_class c ON c.oid = t.tableoid GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.chunk, r.n]));
}

async function rowCount(c: pg.ClientBase, table: 'metric' | 'event'): Promise<number> {
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]?.n ?? -1;
}

/**
 * After a compression run that started at `started` and finished by `finished`: every
 * chunk entirely older than `started - compress_after` is compressed, and none that was
 * not yet old enough at `finished`.
 */
function expectCompressedAsOf(chunks: readonly ChunkState[], started: number, finished: number) {
  const old = chunks.filter((ch) => ch.rangeEnd.getTime() <= started - COMPRESS_AFTER);
  const young = chunks.filter((ch) => ch.rangeEnd.getTime() > finished - COMPRESS_AFTER);
  expect(old.length, 'chunks old enough to compress').to.be.greaterThan(0);
  expect(young.length, 'chunks too young to compress').to.be.greaterThan(0);
  expect(old.filter((ch) => !ch.compressed).map((ch) => ch.name)).to.deep.equal([]);
  expect(young.filter((ch) => ch.compressed).map((ch) => ch.name)).to.deep.equal([]);
}

/**
 * After a retention run between `started` and `finished`: the chunks entirely older than
 * `started - drop_after` are gone, those still young enough at `finished` all remain.
 */
function expectDroppedAsOf(
  before: readonly ChunkState[],
  after: readonly ChunkState[],
  started: number,
  finished: number,
) {
  expect(
    before.filter((ch) => ch.rangeEnd.getTime() <= started - DROP_AFTER).length,
    'chunks old enough to drop',
  ).to.be.greaterThan(0);
  expect(after.filter((ch) => ch.rangeEnd.getTime() <= started - DROP_AFTER)).to.deep.equal([]);
  const kept = before.filter((ch) => ch.rangeEnd.getTime() > finished - DROP_AFTER);
  expect(after.map((ch) => ch.name)).to.include.members(kept.map((ch) => ch.name));
}

for (const before213 of [false, true]) {
  describeNative(
    { license: 'timescale', before213 },
    'policy jobs, in a new database',
    (server: NativeServer) => {
      let db: TestDatabase;
      let dir: string;
      let url: string;
      const cli = (args: readonly string[]) =>
        runCli(['--database-url', url, ...args], { cwd: dir, env: { DATABASE_URL: undefined } });
      /** The scheduler's runs awaited below, by job id. */
      const scheduled = new Map<number, JobStats>();

      before(async function () {
        this.timeout(180_000);
        db = await createNativeDatabase(server);
        url = db.url;
        dir = tempDir();
        writeFileSync(join(dir, 'prism.yaml'), SPEC_YAML);
        const generated = await cli(['generate']);
        expect(generated.code, generated.stderr).to.equal(0);
        const since = await withClient(url, serverNow);
        const up = await cli(['up']);
        expect(up.code, up.stderr).to.equal(0);
        expect(up.stderr).to.include(
          `notice: prism: created the timescaledb extension ${server.version} in database`,
        );
        // The scheduler runs each new policy at once, on the still empty tables. Waiting for
        // those first runs to end keeps them from overwriting the next starts set below.
        await withClient(url, async (c) => {
          for (const table of ['metric', 'event']) {
            for (const proc of ['policy_compression', 'policy_retention']) {
              await waitForScheduledRun(url, await policyJobId(c, table, proc), since);
            }
          }
          // Hourly rows over the last 100 days: 15 weekly chunks, some older than 60 days.
          for (const table of ['metric', 'event']) {
            await c.query(
              `INSERT INTO ${table} (ts, device, value)
               SELECT t, 'd' || (extract(hour FROM t)::int % 3), extract(epoch FROM t)
                 FROM generate_series(now() - interval '100 days', now(), interval '1 hour') t`,
            );
          }
        });
      });
      after(async () => {
        await db?.dispose();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      /** Sets the job's next start to now and awaits the scheduler's run. */
      async function runWhenDue(table: 'metric' | 'event', proc: string): Promise<JobStats> {
        const { id, since } = await withClient(url, async (c) => {
          const id = await policyJobId(c, table, proc);
          const since = await serverNow(c);
          await c.query(`SELECT alter_job($1, next_start => now())`, [id]);
          return { id, since };
        });
        const stats = await waitForScheduledRun(url, id, since);
        scheduled.set(id, stats);
        return stats;
      }

      it('the scheduler runs the compression policy when it is due', async function () {
        this.timeout(120_000);
        const [before, rows] = await withClient(url, async (c) =>
          Promise.all([chunkStates(c, 'metric'), rowCount(c, 'metric')]),
        );
        expect(before.filter((ch) => ch.compressed)).to.deep.equal([]);
        const run = await runWhenDue('metric', 'policy_compression');
        expect(run).to.deep.include({ lastRunStatus: 'Success', totalFailures: 0 });
        expect(run.totalRuns).to.be.at.least(2); // the first run, on the empty table, and this
        await withClient(url, async (c) => {
          const after = await chunkStates(c, 'metric');
          expect(after.map((ch) => ch.name)).to.deep.equal(before.map((ch) => ch.name));
          expectCompressedAsOf(after, ms(run.lastRunStartedAt), ms(run.lastSuccessfulFinish));
          expect(await rowCount(c, 'metric')).to.equal(rows);
        });
      });

      it('the scheduler runs the retention policy when it is due, dropping the old chunks', async function () {
        this.timeout(120_000);
        const [before, perChunk] = await withClient(url, async (c) =>
          Promise.all([chunkStates(c, 'metric'), rowsPerChunk(c, 'metric')]),
        );
        const run = await runWhenDue('metric', 'policy_retention');
        expect(run).to.deep.include({ lastRunStatus: 'Success', totalFailures: 0 });
        expect(run.totalRuns).to.be.at.least(2);
        await withClient(url, async (c) => {
          const after = await chunkStates(c, 'metric');
          expectDroppedAsOf(before, after, ms(run.lastRunStartedAt), ms(run.lastSuccessfulFinish));
          // Whole chunks went, with their rows; the rest is untouched.
          const kept = after.reduce((sum, ch) => sum + (perChunk.get(ch.name) ?? NaN), 0);
          expect(await rowCount(c, 'metric')).to.equal(kept);
          expect(after.length).to.be.lessThan(before.length);
        });
      });

      it('jobs run runs the policy jobs now, and what it reports matches the database', async function () {
        this.timeout(120_000);
        const state = () =>
          withClient(url, async (c) => ({
            event: await chunkStates(c, 'event'),
            metric: await chunkStates(c, 'metric'),
            jobs: (
              await c.query<{ id: number; proc: string; table: string }>(
                `SELECT job_id AS id, proc_name::text AS proc, hypertable_name::text AS "table"
                   FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL`,
              )
            ).rows,
          }));
        const before = await state();
        const jobOf = (table: string, proc: string) =>
          before.jobs.find((j) => j.table === table && j.proc === proc)?.id;
        expect(before.event.filter((ch) => ch.compressed)).to.deep.equal([]);

        const started = ms(new Date(await withClient(url, serverNow)));
        const ran = await cli(['--json', 'jobs', 'run', '--table', 'event']);
        const finished = ms(new Date(await withClient(url, serverNow)));
        expect(ran.code, ran.stderr).to.equal(0);
        const { runs } = JSON.parse(ran.stdout) as {
          runs: { jobId: number; kind: string; table: string; ok: boolean; ms: number }[];
        };
        expect(runs.map(({ ms: _ms, ...r }) => r)).to.deep.equal([
          {
            jobId: jobOf('event', 'policy_compression'),
            kind: 'compression',
            table: 'public.event',
            ok: true,
          },
          {
            jobId: jobOf('event', 'policy_retention'),
            kind: 'retention',
            table: 'public.event',
            ok: true,
          },
        ]);
        const after = await state();
        // Compression, then retention: what is left is compressed when old enough.
        expectDroppedAsOf(before.event, after.event, started, finished);
        expectCompressedAsOf(after.event, started, finished);
        // --table event left metric alone.
        expect(after.metric).to.deep.equal(before.metric);

        // Without --table, every policy job, each reported by id, kind and table.
        const all = await cli(['jobs', 'run']);
        expect(all.code, all.stderr).to.equal(0);
        const lines = all.stdout.trimEnd().split('\n');
        expect(lines).to.have.length(4);
        for (const table of ['event', 'metric']) {
          for (const [proc, kind] of [
            ['policy_compression', 'compression'],
            ['policy_retention', 'retention'],
          ]) {
            const id = jobOf(table, proc as string) ?? -1;
            expect(lines.filter((l) => l.startsWith(`ran    job ${id} `))).to.have.length(1);
            expect(all.stdout).to.match(
              new RegExp(`^ran {4}job ${id} \\(${kind} of public\\.${table}\\) in \\d+ ms$`, 'm'),
            );
          }
        }
        // Nothing was due any more: the chunks are as the runs above left them.
        const again = await state();
        expect(again.event).to.deep.equal(after.event);
        expect(again.metric).to.deep.equal(after.metric);
      });

      it('timescale-info, from the library and the CLI, shows the history of those jobs', async function () {
        this.timeout(120_000);
        const spec = parseSpec(SPEC_YAML, 'prism.yaml').spec;
        const { info, stats, compressed } = await withClient(url, async (c) => {
          const info = await timescaleInfo(c, spec);
          const stats = new Map<number, JobStats | undefined>();
          for (const h of info.hypertables) {
            for (const j of h.jobs) stats.set(j.id, await jobStats(c, j.id));
          }
          const compressed = new Map<string, number>();
          for (const table of ['event', 'metric']) {
            compressed.set(
              table,
              (await chunkStates(c, table)).filter((ch) => ch.compressed).length,
            );
          }
          return { info, stats, compressed };
        });
        expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
        expect(info).to.deep.include({ embedded: false, jobsRunAutomatically: true });
        expect(info.timescale).to.deep.include({
          installed: true,
          version: server.version,
          license: 'timescale',
          policies: true,
          note: null,
        });
        expect(info.hypertables.map((h) => [h.table, h.model])).to.deep.equal([
          ['event', 'Event'],
          ['metric', 'Metric'],
        ]);

        for (const h of info.hypertables) {
          expect(h.compression.compressedChunks).to.equal(compressed.get(h.table));
          expect(h.compression.compressedChunks).to.be.greaterThan(0);
          expect(h.jobs.map((j) => [j.kind, j.interval])).to.deep.equal([
            ['compression', '14 days'],
            ['retention', '60 days'],
          ]);
          for (const j of h.jobs) {
            const s = stats.get(j.id);
            // What job_stats holds, field for field.
            expect(j).to.deep.include({
              lastRunStartedAt: isoOrNull(s?.lastRunStartedAt ?? null),
              lastRunStatus: s?.lastRunStatus,
              lastSuccessfulFinish: isoOrNull(s?.lastSuccessfulFinish ?? null),
              nextStart: isoOrNull(s?.nextStart ?? null),
              totalRuns: s?.totalRuns,
              totalFailures: s?.totalFailures,
              scheduled: true,
            });
            // A history the scheduler wrote: its runs succeeded and the next is planned.
            expect(j.lastRunStatus).to.equal('Success');
            expect(j.totalRuns).to.be.at.least(1);
            expect(j.totalFailures).to.equal(0);
            const startedAt = Date.parse(j.lastRunStartedAt ?? '');
            expect(Date.parse(j.lastSuccessfulFinish ?? '')).to.be.at.least(startedAt);
            expect(Date.parse(j.nextStart ?? '')).to.be.greaterThan(startedAt);
            // The runs awaited above are in it.
            const awaited = scheduled.get(j.id);
            if (awaited) {
              expect(startedAt).to.be.at.least(ms(awaited.lastRunStartedAt));
              expect(j.totalRuns).to.be.at.least(awaited.totalRuns ?? Infinity);
            }
          }
        }
        expect([...scheduled.keys()].sort()).to.deep.equal(
          (info.hypertables.find((h) => h.table === 'metric')?.jobs ?? []).map((j) => j.id).sort(),
        );

        const json = await cli(['--json', 'timescale-info']);
        expect(json.code, json.stderr).to.equal(0);
        const fromCli = JSON.parse(json.stdout) as TimescaleInfo;
        expect(checkCliOutput('timescale-info', json.stdout)).to.deep.equal([]);
        expect(fromCli).to.deep.equal({ formatVersion: 1, ...JSON.parse(JSON.stringify(info)) });

        const text = await cli(['timescale-info']);
        expect(text.code, text.stderr).to.equal(0);
        expect(text.stdout).to.include('\npolicy jobs: run automatically\n');
        for (const j of info.hypertables.flatMap((h) => h.jobs)) {
          expect(text.stdout).to.match(
            new RegExp(
              `\\n {4}${j.id} +${j.kind} +${j.interval ?? ''} +[^\\n]* Success +[^\\n]* ${j.totalRuns ?? ''} +0\\n`,
            ),
          );
        }
      });
    },
  );
}
