/**
 * `check` against live databases (a policy removed by hand is drift), and the data-loss
 * guard of `up` (a shortened retention or a dropped column holding values is refused
 * without --allow-data-loss), through the real CLI: on the embedded TimescaleDB, on
 * native TimescaleDB servers with the Timescale License (a new database where the first
 * `up` creates TimescaleDB and the scheduler runs the policies) and on the PostgreSQL
 * server.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { openDatabase } from '../../lib/db/open.js';
import { redactUrl } from '../../lib/db/target.js';
import { runCli } from '../helpers/cli.js';
import { checkCliOutput } from '../helpers/json-schema.js';
import {
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  chunkStates,
  jobStats,
  policyJobId,
  serverNow,
  waitForScheduledRun,
} from '../helpers/job-stats.js';
import {
  createNativeDatabase,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SEED = readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8');
const NO_URL = { DATABASE_URL: undefined };

/** Runs SQL on a project's embedded database, opened by this process for a moment. */
async function onEmbedded(dir: string, sql: string, params: unknown[] = []): Promise<unknown[]> {
  const db = await openDatabase(
    { kind: 'embedded', dataDir: join(dir, '.prism', 'db') },
    { command: 'test' },
  );
  try {
    return await withClient(db.url, async (c) => (await c.query(sql, params)).rows);
  } finally {
    await db.close();
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A project directory and the database its commands use. */
interface Project {
  readonly dir: string;
  /** The environment of its CLI runs: which database they use. */
  readonly env: NodeJS.ProcessEnv;
  /** How `check` names that database. */
  readonly described: RegExp;
  /** Runs SQL on that database. */
  sql(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

interface Target {
  /** The embedded database: no scheduler runs the policy jobs. */
  readonly embedded: boolean;
  /** A native server, where the database starts without TimescaleDB. */
  readonly server?: NativeServer;
  open(): Promise<Project>;
}

function describeDriftAndDataLoss(title: string, target: Target): void {
  describe(title, function () {
    this.timeout(180_000);
    let project: Project;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    before(async () => {
      project = await target.open();
      ({ dir, env } = project);
    });
    after(async () => project?.dispose());

    it('check passes after generate and up, and fails on a retention policy removed by hand', async () => {
      writeFileSync(join(dir, 'prism.yaml'), SEED);
      expect((await runCli(['generate'], { cwd: dir, env })).code).to.equal(0);
      const extension = async () =>
        (await project.sql(`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`))[0]
          ?.extversion;
      if (target.server) expect(await extension()).to.equal(undefined);
      const up = await runCli(['up'], { cwd: dir, env });
      expect(up.code, up.stderr).to.equal(0);
      if (target.server) {
        expect(await extension()).to.equal(target.server.version);
        expect(up.stderr).to.include(
          `notice: prism: created the timescaledb extension ${target.server.version} in database`,
        );
      }
      const clean = await runCli(['check'], { cwd: dir, env });
      expect(clean.code, clean.stderr).to.equal(0);
      expect(clean.stdout).to.match(project.described);

      await project.sql(`SELECT remove_retention_policy('datapoint')`);
      const drifted = await runCli(['check'], { cwd: dir, env });
      expect(drifted.code).to.equal(1);
      expect(drifted.stdout).to.include(
        'drift in datapoint: retention policy is none (removed?), expected drop_after 1 year\n    change: add a retention policy to datapoint (drop_after 1 year) — run `prism-migrate up`; if every migration is applied',
      );
      expect(drifted.stderr).to.match(/drifts from the spec in 1 place/);
      const json = JSON.parse((await runCli(['check', '--json'], { cwd: dir, env })).stdout) as {
        upToDate: boolean;
        database: { drift: { what: string }[] };
      };
      expect(json.upToDate).to.equal(false);
      expect(json.database.drift.map((d) => d.what)).to.deep.equal(['retention policy']);
      await project.sql(`SELECT add_retention_policy('datapoint', INTERVAL '1 year')`);
      const restored = await runCli(['check'], { cwd: dir, env });
      expect(restored.code, restored.stdout + restored.stderr).to.equal(0);

      // Keys, defaults and CHECKs changed by hand are drift too, each once.
      await project.sql(
        `ALTER TABLE datapoint RENAME CONSTRAINT datapoint_pkey TO dp_pk;
         ALTER TABLE datapoint ALTER COLUMN value SET DEFAULT 1 + 1`,
      );
      const byHand = JSON.parse((await runCli(['check', '--json'], { cwd: dir, env })).stdout) as {
        database: { drift: { what: string; actual: string; change: string }[] };
      };
      expect(byHand.database.drift.map((d) => [d.what, d.actual, d.change])).to.deep.equal([
        ['column value default', '(1 + 1)', 'drop the default of datapoint.value'],
        [
          'primary key',
          'dp_pk (id, timestamp)',
          'rename the primary key dp_pk of datapoint to datapoint_pkey',
        ],
      ]);
      await project.sql(
        `ALTER TABLE datapoint RENAME CONSTRAINT dp_pk TO datapoint_pkey;
         ALTER TABLE datapoint ALTER COLUMN value DROP DEFAULT`,
      );
      expect((await runCli(['check'], { cwd: dir, env })).code).to.equal(0);
    });

    it('reports a spec change not generated yet as missing from the migrations, not as drift', async () => {
      // The applied migrations hold drop_after 1 year; the spec now says 90 days.
      writeFileSync(
        join(dir, 'prism.yaml'),
        SEED.replace('drop_after: 1 year', 'drop_after: 90 days'),
      );
      try {
        const ahead = await runCli(['check'], { cwd: dir, env });
        expect(ahead.code).to.equal(1);
        expect(ahead.stdout).to.include('not in any migration: ');
        expect(ahead.stdout).to.not.include('drift in');
        expect(ahead.stderr).to.include('are in no migration');
        expect(ahead.stderr).to.not.include('drifts from the spec');
        const json = JSON.parse((await runCli(['check', '--json'], { cwd: dir, env })).stdout) as {
          changes: unknown[];
          database: { drift: unknown[] };
        };
        expect(json.changes).to.have.length(2);
        expect(json.database.drift).to.deep.equal([]);

        // A change by hand meanwhile is drift from what the migrations made.
        await project.sql(`SELECT remove_retention_policy('datapoint')`);
        const byHand = await runCli(['check'], { cwd: dir, env });
        expect(byHand.code).to.equal(1);
        expect(byHand.stdout).to.include(
          'drift in datapoint: retention policy is none (removed?), expected drop_after 1 year',
        );
        await project.sql(`SELECT add_retention_policy('datapoint', INTERVAL '1 year')`);
      } finally {
        writeFileSync(join(dir, 'prism.yaml'), SEED);
      }
      expect((await runCli(['check'], { cwd: dir, env })).code).to.equal(0);
    });

    it('refuses a shortened retention that would drop rows, previews it in a dry run, and applies it with --allow-data-loss', async () => {
      await project.sql(
        `INSERT INTO datapoint (id, "timestamp", source, value)
         SELECT gen_random_uuid(), now() - g * interval '1 day', 's', g FROM generate_series(1, 60) g`,
      );
      writeFileSync(
        join(dir, 'prism.yaml'),
        SEED.replace('drop_after: 1 year', 'drop_after: 30 days'),
      );
      const generated = await runCli(['generate', '--name', 'shorter-retention'], {
        cwd: dir,
        env,
      });
      expect(generated.stderr).to.include(
        'warning: PM103 retention drops chunks of datapoint older than 30 days on its first run',
      );
      expect(generated.stderr).to.match(
        /preview: PM103 would lose \d+ chunk\(s\) of datapoint from .*, \d+ row\(s\)/,
      );

      const refused = await runCli(['up'], { cwd: dir, env });
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/refusing to run: these steps would lose existing data/);
      const loss =
        /would lose: (\d+) chunk\(s\) of datapoint from .* to .*, (2[0-9]|3[0-9]) row\(s\)/.exec(
          refused.stderr,
        );
      expect(loss, refused.stderr).to.not.equal(null);
      expect(refused.stderr).to.include('--allow-data-loss');
      const stillPending = await runCli(['status'], { cwd: dir, env });
      expect(stillPending.stdout).to.match(/pending +\d+_shorter-retention/);

      const dry = await runCli(['up', '--dry-run'], { cwd: dir, env });
      expect(dry.code, dry.stderr).to.equal(0);
      expect(dry.stderr).to.match(
        /retention preview for \d+_shorter-retention: \d+ chunk\(s\) of datapoint/,
      );

      const since = target.embedded ? '' : await withClient(urlOf(env), serverNow);
      const allowed = await runCli(['up', '--allow-data-loss'], { cwd: dir, env });
      expect(allowed.code, allowed.stderr).to.equal(0);
      expect(allowed.stdout).to.match(/applied +\d+_shorter-retention/);

      if (!target.embedded) {
        // On a server the scheduler runs the new retention policy as it is added: it
        // drops the chunks, and the rows, the guard counted.
        const url = urlOf(env);
        const id = await withClient(url, (c) => policyJobId(c, 'datapoint', 'policy_retention'));
        const run = await waitForScheduledRun(url, id, since);
        const [{ n }] = (await project.sql(`SELECT count(*)::int AS n FROM datapoint`)) as [
          { n: number },
        ];
        expect(60 - n).to.equal(Number(loss?.[2]));
        const horizon = (run.lastRunStartedAt?.getTime() ?? 0) - 30 * 86_400_000;
        const chunks = await withClient(url, (c) => chunkStates(c, 'datapoint'));
        expect(chunks.filter((ch) => ch.rangeEnd.getTime() <= horizon)).to.deep.equal([]);
      }
    });

    it('timescale-info --json has the documented shape, and jobs run applies both policies', async () => {
      const before = await runCli(['timescale-info', '--json'], { cwd: dir, env });
      expect(before.code, before.stderr).to.equal(0);
      const info = JSON.parse(before.stdout) as {
        embedded: boolean;
        jobsRunAutomatically: boolean;
        hypertables: {
          chunks: number;
          jobs: {
            id: number;
            kind: string;
            lastRunStatus: string | null;
            totalRuns: number | null;
          }[];
        }[];
      };
      expect(checkCliOutput('timescale-info', before.stdout)).to.deep.equal([]);
      expect(info).to.include({
        embedded: target.embedded,
        jobsRunAutomatically: !target.embedded,
      });
      const jobs = info.hypertables[0]?.jobs ?? [];
      expect(jobs.map((j) => j.kind)).to.deep.equal(['compression', 'retention']);
      if (target.embedded) {
        expect(jobs.map((j) => j.totalRuns)).to.deep.equal([null, null]);
      } else {
        // The scheduler's runs, as job_stats has them.
        for (const job of jobs) {
          const stats = await withClient(urlOf(env), (c) => jobStats(c, job.id));
          expect(job).to.deep.include({
            lastRunStatus: stats?.lastRunStatus,
            totalRuns: stats?.totalRuns,
          });
          expect(job.lastRunStatus).to.equal('Success');
          expect(job.totalRuns).to.be.at.least(1);
        }
      }
      const ran = await runCli(['jobs', 'run', '--table', 'datapoint'], { cwd: dir, env });
      expect(ran.code, ran.stderr).to.equal(0);
      expect(ran.stdout).to.match(
        new RegExp(`ran +job ${jobs[0]?.id ?? -1} \\(compression of public\\.datapoint\\)`),
      );
      expect(ran.stdout).to.match(
        new RegExp(`ran +job ${jobs[1]?.id ?? -1} \\(retention of public\\.datapoint\\)`),
      );
      const after = JSON.parse(
        (await runCli(['timescale-info', '--json'], { cwd: dir, env })).stdout,
      ) as typeof info;
      const chunksBefore = info.hypertables[0]?.chunks as number;
      if (target.embedded) {
        // The 30-day retention dropped the chunks the guard had counted.
        expect(after.hypertables[0]?.chunks).to.be.lessThan(chunksBefore);
      } else {
        // The scheduler had dropped them already: nothing is left for the retention job.
        expect(after.hypertables[0]?.chunks).to.equal(chunksBefore);
      }
      const missing = await runCli(['jobs', 'run', '--table', 'nope'], { cwd: dir, env });
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.include('no compression, reorder or retention policy on nope');
    });
  });
}

function urlOf(env: NodeJS.ProcessEnv): string {
  const url = env['DATABASE_URL'];
  if (!url) throw new Error('no DATABASE_URL: not a server project');
  return url;
}

describeDriftAndDataLoss('drift and data loss on embedded TimescaleDB (CLI)', {
  embedded: true,
  async open() {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    return {
      dir,
      env: NO_URL,
      described: /all are applied, and embedded database .* matches it/,
      sql: (sql, params) => onEmbedded(dir, sql, params) as Promise<Record<string, unknown>[]>,
      dispose: async () => undefined,
    };
  },
});

for (const before213 of [false, true]) {
  describeNative(
    { license: 'timescale', before213 },
    'drift and data loss (CLI), in a new database',
    (server: NativeServer) => {
      describeDriftAndDataLoss('with the scheduler running the policies', {
        embedded: false,
        server,
        async open() {
          const db = await createNativeDatabase(server);
          const dir = tempDir();
          return {
            dir,
            env: { DATABASE_URL: db.url },
            described: new RegExp(
              `all are applied, and ${escapeRegExp(redactUrl(db.url))} matches it\\.`,
            ),
            sql: (sql, params) =>
              withClient(db.url, async (c) => (await c.query(sql, params)).rows),
            dispose: async () => {
              await db.dispose();
              rmSync(dir, { recursive: true, force: true });
            },
          };
        },
      });
    },
  );
}

describe('data loss on the PostgreSQL server (CLI)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const dir = tempDir();
  before(async () => {
    db = await createServerDatabase();
  });
  after(async () => db?.dispose());

  it('refuses dropping a column that holds values unless --allow-data-loss', async () => {
    const env = { DATABASE_URL: db.url };
    const spec =
      'models:\n  - name: Note\n    fields:\n      - { name: id, type: int, primary_key: true }\n      - { name: body, type: text, optional: true }\n';
    writeFileSync(join(dir, 'prism.yaml'), spec);
    await runCli(['generate'], { cwd: dir, env });
    expect((await runCli(['up'], { cwd: dir, env })).code).to.equal(0);
    await withClient(db.url, (c) => c.query(`INSERT INTO note VALUES (1, 'kept?'), (2, NULL)`));
    writeFileSync(
      join(dir, 'prism.yaml'),
      spec.replace('      - { name: body, type: text, optional: true }\n', ''),
    );
    await runCli(['generate'], { cwd: dir, env });
    const refused = await runCli(['up'], { cwd: dir, env });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('PM102 drops column note.body and its values');
    expect(refused.stderr).to.include('would lose: column note.body: 1 value(s)');
    const allowed = await runCli(['up', '--allow-data-loss'], { cwd: dir, env });
    expect(allowed.code, allowed.stderr).to.equal(0);
    const clean = await runCli(['check'], { cwd: dir, env });
    expect(clean.code, clean.stdout + clean.stderr).to.equal(0);
  });
});
