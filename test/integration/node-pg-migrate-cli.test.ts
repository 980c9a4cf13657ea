/**
 * Generated migrations are ordinary node-pg-migrate files: a project with prism-migrate
 * and node-pg-migrate installed applies the four-step evolution with `node-pg-migrate up`
 * itself, `prism-migrate` then finds the live schema equal to the spec and every migration
 * applied, and `node-pg-migrate down` takes it all back.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { generateMigration } from '../../lib/generate/generate.js';
import { loadSpec } from '../../lib/spec/load.js';
import { runCli } from '../helpers/cli.js';
import {
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { cleanEnv } from '../helpers/embedded-process.js';
import { createNativeDatabase, CURRENT_TSL, describeNative } from '../helpers/timescale-servers.js';

const STEPS = ['step1', 'step2', 'step3', 'step4'].map((s) =>
  resolve(`test/fixtures/evolution/${s}.yaml`),
);
const NODE_PG_MIGRATE = resolve('node_modules/node-pg-migrate');

/** A project as a team has it: both packages in its node_modules, migrations beside. */
function project(): string {
  const dir = tempDir('prism-npm-');
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(resolve('.'), join(dir, 'node_modules', 'prism-migrate'), 'dir');
  symlinkSync(NODE_PG_MIGRATE, join(dir, 'node_modules', 'node-pg-migrate'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{ "name": "app", "type": "module" }\n');
  return dir;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function nodePgMigrate(cwd: string, url: string, args: readonly string[]): Promise<Run> {
  return new Promise((done, reject) => {
    const child = spawn(
      process.execPath,
      [join(cwd, 'node_modules', 'node-pg-migrate', 'bin', 'node-pg-migrate.js'), ...args],
      { cwd, env: cleanEnv({ DATABASE_URL: url }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function tablesOf(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (
      await c.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
      )
    ).rows.map((r) => r.t),
  );
}

function evolutionByNodePgMigrate(make: () => Promise<TestDatabase>, timescale: boolean): void {
  let db: TestDatabase;
  let dir: string;
  before(async () => {
    db = await make();
    dir = project();
    let now = Date.UTC(2026, 0, 1);
    for (const step of STEPS) {
      const { spec } = await loadSpec(step);
      generateMigration({
        spec,
        migrationsDir: join(dir, 'migrations'),
        now: new Date((now += 1000)),
      });
    }
  });
  after(async () => db?.dispose());

  it('node-pg-migrate up applies every generated migration', async () => {
    const up = await nodePgMigrate(dir, db.url, ['up', '-m', 'migrations']);
    expect(up.code, `${up.stdout}\n${up.stderr}`).to.equal(0);
    expect(up.stdout).to.contain('Migrations complete!');
    expect(await tablesOf(db.url)).to.include.members(['datapoint', 'event', 'pgmigrations']);
    if (timescale) {
      const hypertables = await withClient(db.url, async (c) =>
        (
          await c.query<{ h: string }>(
            'SELECT hypertable_name AS h FROM timescaledb_information.hypertables ORDER BY 1',
          )
        ).rows.map((r) => r.h),
      );
      expect(hypertables).to.deep.equal(['datapoint', 'event']);
    }
  }).timeout(180_000);

  it('prism-migrate sees them applied and the schema equal to the spec', async () => {
    const env = cleanEnv({ DATABASE_URL: db.url });
    const status = await runCli(['--migrations-dir', 'migrations', 'status', '--json'], {
      cwd: dir,
      env,
    });
    expect(status.code, status.stderr).to.equal(0);
    const migrations = (JSON.parse(status.stdout) as { migrations: { applied: boolean }[] })
      .migrations;
    expect(migrations.map((m) => m.applied)).to.deep.equal([true, true, true, true]);
    const check = await runCli(
      ['--spec', STEPS[3] as string, '--migrations-dir', 'migrations', 'check'],
      { cwd: dir, env },
    );
    expect(check.code, `${check.stdout}\n${check.stderr}`).to.equal(0);
  }).timeout(120_000);

  it('node-pg-migrate down reverts them all', async () => {
    const down = await nodePgMigrate(dir, db.url, ['down', '4', '-m', 'migrations']);
    expect(down.code, `${down.stdout}\n${down.stderr}`).to.equal(0);
    expect(await tablesOf(db.url)).to.deep.equal(['pgmigrations']);
  }).timeout(180_000);
}

describeNative(CURRENT_TSL, 'the generated evolution run by node-pg-migrate itself', (server) => {
  evolutionByNodePgMigrate(() => createNativeDatabase(server), true);
});

describe('the generated evolution run by node-pg-migrate itself on PostgreSQL', () => {
  evolutionByNodePgMigrate(() => createServerDatabase('prism_npm'), false);
});
