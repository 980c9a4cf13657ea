/**
 * The data-loss guard for retention policies on tables that become hypertables with
 * rows in them: the runner cannot count what the policy drops before the run (the table
 * is plain then), so the migration counts it itself, after the conversion, whether the
 * conversion happened in the same migration or in an earlier one of the same run.
 * Through the real CLI, on embedded TimescaleDB and on native TimescaleDB 2.28.3 (the
 * refusal inside one converting migration on native 2.28.3 and 2.12.2 is in
 * timescale-availability.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { runCli, type CliResult } from '../helpers/cli.js';
import { appliedMigrations, tableState } from '../helpers/catalog.js';
import { tempDir, type TestDatabase } from '../helpers/databases.js';
import { startEmbeddedProcess, type EmbeddedServerProcess } from '../helpers/embedded-process.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SEED = readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8');
const PLAIN = SEED.slice(0, SEED.indexOf('    # TimescaleDB'));
const RETENTION = '      retention:\n        enabled: true\n        drop_after: 1 year\n';
const WITHOUT_RETENTION = SEED.replace(RETENTION, '');

/** Rows two years back to now, 3 hours apart. */
const INSERT_ROWS = `INSERT INTO datapoint (id, "timestamp", source, value)
  SELECT gen_random_uuid(), now() - (g * interval '3 hours'), 's' || (g % 4), g
    FROM generate_series(0, 8 * 730) g`;
const ALL_ROWS = 8 * 730 + 1;

/** Rows in the whole 7-day chunks (aligned as TimescaleDB aligns them) that end a year ago. */
const ROWS_A_RETENTION_DROPS = `SELECT count(*) AS n FROM datapoint
  WHERE "timestamp" < to_timestamp(floor(extract(epoch FROM now() - interval '1 year') / 604800) * 604800)`;

interface Target {
  /** Environment for the CLI: which database it migrates. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `work` on a session of the database while no CLI command is running. */
  withSession<T>(work: (c: pg.ClientBase) => Promise<T>): Promise<T>;
}

/** A new database for the project in `dir`. */
type NewTarget = (dir: string) => Promise<Target>;

async function stateOf(c: pg.ClientBase) {
  const { rows, hypertable, jobs } = await tableState(c, 'datapoint');
  return { rows, hypertable, jobs, applied: await appliedMigrations(c) };
}

/**
 * A project whose prism.yaml went through `specs` (one generated migration each), the
 * first migration applied, and two years of rows in the table.
 */
async function populatedProject(
  newTarget: NewTarget,
  specs: readonly (readonly [name: string, yaml: string])[],
): Promise<{ target: Target; cli: (...args: string[]) => Promise<CliResult> }> {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  const target = await newTarget(dir);
  const cli = async (...args: string[]) => {
    const r = await runCli(args, { cwd: dir, env: target.env });
    expect(r.stderr).to.not.match(/^\s+at /m);
    return r;
  };
  for (const [name, yaml] of specs) {
    writeFileSync(join(dir, 'prism.yaml'), yaml);
    const generated = await cli('generate', '--name', name);
    expect(generated.code, generated.stderr).to.equal(0);
  }
  const first = await cli('up', '1');
  expect(first.code, first.stderr).to.equal(0);
  await target.withSession((c) => c.query(INSERT_ROWS));
  return { target, cli };
}

function describeRetentionGuard(title: string, newTarget: NewTarget): void {
  describe(title, function () {
    this.timeout(300_000);

    it('refuses the retention of a migration that also converts the table, with the rows it drops', async () => {
      const { target, cli } = await populatedProject(newTarget, [
        ['plain', PLAIN],
        ['timeseries', SEED],
      ]);
      const up = await cli('up');
      expect(up.code, up.stderr).to.equal(1);
      expect(up.stderr).to.match(
        /error: migration \d+_timeseries \(up\) refused: the retention policy on datapoint would drop (\d+) row\(s\) in \d+ chunk\(s\) older than 1 year on its first run: the table became a hypertable with those rows in this migration\n {2}it was rolled back: nothing from this migration was applied/,
      );
      const lost = Number(/would drop (\d+) row/.exec(up.stderr)?.[1]);
      await target.withSession(async (c) => {
        expect(lost).to.equal(Number((await c.query(ROWS_A_RETENTION_DROPS)).rows[0]?.n));
        expect(lost).to.be.greaterThan(0);
        expect(await stateOf(c)).to.deep.equal({
          rows: ALL_ROWS,
          hypertable: false,
          jobs: [],
          applied: ['plain'],
        });
      });
      const allowed = await cli('up', '--allow-data-loss');
      expect(allowed.code, allowed.stderr).to.equal(0);
      await target.withSession(async (c) =>
        expect(await stateOf(c)).to.deep.include({
          hypertable: true,
          jobs: ['policy_compression', 'policy_retention'],
        }),
      );
    });

    it('refuses a retention added in a later migration of the same run than the conversion', async () => {
      const { target, cli } = await populatedProject(newTarget, [
        ['plain', PLAIN],
        ['timeseries', WITHOUT_RETENTION],
        ['retention', SEED],
      ]);
      const dryRun = await cli('up', '--dry-run');
      expect(dryRun.code, dryRun.stderr).to.equal(0);
      expect(dryRun.stdout + dryRun.stderr).to.match(
        /datapoint is not a hypertable yet: if the migration makes it one, what the retention drops is counted after the conversion, inside the migration/,
      );
      const up = await cli('up');
      expect(up.code, up.stderr).to.equal(1);
      expect(up.stderr).to.match(
        /error: migration \d+_retention \(up\) refused: the retention policy on datapoint would drop (\d+) row\(s\) in \d+ chunk\(s\) older than 1 year on its first run\n/,
      );
      expect(up.stderr).to.match(/kept: \d+_timeseries/);
      const lost = Number(/would drop (\d+) row/.exec(up.stderr)?.[1]);
      await target.withSession(async (c) => {
        expect(lost).to.equal(Number((await c.query(ROWS_A_RETENTION_DROPS)).rows[0]?.n));
        expect(await stateOf(c)).to.deep.equal({
          rows: ALL_ROWS,
          hypertable: true,
          jobs: ['policy_compression'],
          applied: ['plain', 'timeseries'],
        });
      });
      // Counted before the run now that the table is a hypertable: refused up front.
      const again = await cli('up');
      expect(again.code).to.equal(1);
      expect(again.stderr).to.include(`${lost} row(s)`);
      const allowed = await cli('up', '--allow-data-loss');
      expect(allowed.code, allowed.stderr).to.equal(0);
      await target.withSession(async (c) =>
        expect((await stateOf(c)).jobs).to.deep.equal(['policy_compression', 'policy_retention']),
      );
    });
  });
}

async function onSession<T>(
  connect: () => Promise<{ client: pg.ClientBase; close: () => Promise<void> }>,
  work: (c: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const { client, close } = await connect();
  try {
    return await work(client);
  } finally {
    await close();
  }
}

describe('the retention guard, embedded', function () {
  // One server per project: every CLI command connects through it instead of opening
  // the database itself.
  const servers: EmbeddedServerProcess[] = [];
  after(async () => Promise.all(servers.map((s) => s.stop('SIGINT'))));
  describeRetentionGuard('on embedded TimescaleDB', async (dir) => {
    const server = await startEmbeddedProcess(dir);
    servers.push(server);
    return {
      env: { DATABASE_URL: undefined },
      withSession: (work) =>
        onSession(async () => {
          const client = new pg.Client({ connectionString: server.url });
          await client.connect();
          return { client, close: () => client.end() };
        }, work),
    };
  });
});

describeNative(CURRENT_TSL, 'the retention guard', (server: NativeServer) => {
  const databases: TestDatabase[] = [];
  after(async () => Promise.all(databases.map((db) => db.dispose())));
  describeRetentionGuard(`on native TimescaleDB ${server.version}`, async () => {
    const db = await createNativeDatabase(server);
    databases.push(db);
    return {
      env: { DATABASE_URL: db.url },
      withSession: (work) =>
        onSession(async () => {
          const client = new pg.Client({ connectionString: db.url });
          await client.connect();
          return { client, close: () => client.end() };
        }, work),
    };
  });
});
