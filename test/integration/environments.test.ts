/**
 * `environments:` applied: one set of migration files, each environment's values chosen
 * when they run (`--env` / PRISM_ENV), recorded, restored by `down` only in the same
 * environment, and compared by `check` with that environment's values.
 *
 * On native TimescaleDB 2.28.3, the embedded database and PostgreSQL (degraded: the tables
 * are plain, and the same files apply and revert).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseSpec } from '../../lib/spec/load.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { migrate } from '../../lib/runner/migrate.js';
import { checkDatabase } from '../../lib/app/check.js';
import { UsageError } from '../../lib/errors.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { createNativeDatabase, CURRENT_TSL, describeNative } from '../helpers/timescale-servers.js';
import { runCli } from '../helpers/cli.js';

const SPEC = (devChunk: string) => `
models:
  - name: Metric
    fields:
      - { name: time, type: datetime }
      - { name: device, type: text }
      - { name: value, type: float }
    timeseries:
      time_column: time
      chunk_interval: 7 days
      compression: { after: 30 days, segment_by: [device] }
      retention: { drop_after: 1 year }
environments:
  development:
    Metric: { chunk_interval: ${devChunk}, compression: { after: 2 days }, retention: { drop_after: 30 days } }
  test:
    Metric: { retention: { drop_after: 7 days } }
`;

const spec = (text: string) => parseSpec(text, 'prism.yaml').spec;

/** Two migrations: the model, then development's chunk interval changed. */
function project(): { dir: string; root: string } {
  const root = tempDir('prism-env-');
  const dir = join(root, 'migrations');
  mkdirSync(dir, { recursive: true });
  generateMigration({
    spec: spec(SPEC('1 day')),
    migrationsDir: dir,
    name: 'metric',
    now: new Date(1000),
  });
  generateMigration({
    spec: spec(SPEC('12 hours')),
    migrationsDir: dir,
    name: 'dev-chunks',
    now: new Date(2000),
  });
  writeFileSync(join(root, 'prism.yaml'), SPEC('12 hours'));
  return { dir, root };
}

interface Live {
  chunk: string | null;
  compressAfter: string | null;
  dropAfter: string | null;
}

async function live(url: string): Promise<Live> {
  return withClient(url, async (c) => {
    const r = await c.query<Live>(`
      SELECT (SELECT time_interval::text FROM timescaledb_information.dimensions
               WHERE hypertable_name = 'metric') AS chunk,
             (SELECT config->>'compress_after' FROM timescaledb_information.jobs
               WHERE hypertable_name = 'metric' AND proc_name = 'policy_compression') AS "compressAfter",
             (SELECT config->>'drop_after' FROM timescaledb_information.jobs
               WHERE hypertable_name = 'metric' AND proc_name = 'policy_retention') AS "dropAfter"`);
    return r.rows[0] as Live;
  });
}

async function recorded(url: string): Promise<(string | null)[]> {
  return withClient(url, async (c) =>
    (
      await c.query<{ environment: string | null }>(
        'SELECT environment FROM pgmigrations ORDER BY id',
      )
    ).rows.map((r) => r.environment),
  );
}

async function rejection(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

function environmentTests(make: () => Promise<TestDatabase>, timescale: boolean): void {
  let db: TestDatabase;
  let dir: string;
  const run = (direction: 'up' | 'down', environment: string | undefined, count?: number) =>
    migrate({ url: db.url, migrationsDir: dir, direction, environment, count });

  before(async () => {
    db = await make();
    dir = project().dir;
  });
  after(async () => db?.dispose());

  it("applies the environment's values and records the environment", async () => {
    const ran = await run('up', 'development');
    expect(ran.map((m) => m.name)).to.deep.equal(['1000_metric', '2000_dev-chunks']);
    expect(await recorded(db.url)).to.deep.equal(['development', 'development']);
    if (timescale)
      expect(await live(db.url)).to.deep.equal({
        chunk: '12:00:00',
        compressAfter: '2 days',
        dropAfter: '30 days',
      });
  });

  it("check compares with its own environment's values", async () => {
    const options = { databaseUrl: db.url, spec: spec(SPEC('12 hours')), migrationsDir: dir };
    const same = await checkDatabase({ ...options, environment: 'development' });
    expect(same?.drift).to.deep.equal([]);
    const logs: string[] = [];
    const other = await checkDatabase({ ...options, log: (l) => logs.push(l) });
    expect(logs.join('\n')).to.contain(
      "was applied in environment 'development', and this check compares with the values of no environment: run it with --env development",
    );
    if (timescale) expect(other?.drift.length).to.equal(3);
  });

  it('down refuses another environment before reverting anything, and restores in the same one', async () => {
    const error = await rejection(run('down', 'production'));
    expect(error).to.be.instanceOf(UsageError);
    expect(error.message).to.equal(
      "2000_dev-chunks was applied in environment 'development'; reverting it in environment 'production' would restore that environment's values",
    );
    expect((await recorded(db.url)).length).to.equal(2);
    await run('down', 'development');
    if (timescale) expect((await live(db.url)).chunk).to.equal('1 day');
    await run('down', 'development');
    expect(await recorded(db.url)).to.deep.equal([]);
  });

  it("another environment gets its own values from the same files, and the models' own without one", async () => {
    await run('up', 'test');
    if (timescale)
      expect(await live(db.url)).to.deep.equal({
        chunk: '7 days',
        compressAfter: '30 days',
        dropAfter: '7 days',
      });
    await run('down', 'test', 2);
    await run('up', undefined);
    expect(await recorded(db.url)).to.deep.equal([null, null]);
    if (timescale)
      expect(await live(db.url)).to.deep.equal({
        chunk: '7 days',
        compressAfter: '30 days',
        dropAfter: '1 year',
      });
    await run('down', undefined, 2);
  });
  it('up in another environment than the applied migrations is refused before anything runs', async () => {
    await run('up', 'development', 1);
    const error = await rejection(run('up', 'production'));
    expect(error).to.be.instanceOf(UsageError);
    expect(error.message).to.equal(
      "1000_metric was applied in environment 'development'; applying more in environment 'production' would mix its values with that environment's",
    );
    expect(await recorded(db.url)).to.deep.equal(['development']);
    await run('down', 'development');
  });

  if (timescale) {
    it("a retention shortened in one environment holds up only that environment's deploys", async () => {
      const base = `models:
  - name: Log
    fields: [ { name: time, type: datetime }, { name: v, type: int } ]
    timeseries: { time_column: time, chunk_interval: 1 day, retention: { drop_after: 365 days } }
`;
      const own = join(tempDir('prism-env-loss-'), 'migrations');
      mkdirSync(own, { recursive: true });
      generateMigration({ spec: spec(base), migrationsDir: own, name: 'log', now: new Date(1000) });
      await migrate({ url: db.url, migrationsDir: own, direction: 'up' });
      await withClient(db.url, (c) =>
        c.query(
          "INSERT INTO log SELECT now() - g * interval '1 day', g FROM generate_series(1, 60) g",
        ),
      );
      generateMigration({
        spec: spec(
          `${base}environments:\n  test:\n    Log: { retention: { drop_after: 7 days } }\n`,
        ),
        migrationsDir: own,
        name: 'test-retention',
        now: new Date(2000),
      });
      const refused = await rejection(
        migrate({ url: db.url, migrationsDir: own, direction: 'up', environment: 'test' }),
      );
      expect(refused.message).to.contain(
        "older than 7 days on its first run in environment 'test'",
      );
      // Without that environment the same file shortens nothing: it runs.
      const ran = await migrate({ url: db.url, migrationsDir: own, direction: 'up' });
      expect(ran.map((m) => m.name)).to.deep.equal(['2000_test-retention']);
      await migrate({
        url: db.url,
        migrationsDir: own,
        direction: 'down',
        count: 2,
        allowDataLoss: true,
      });
    });
  }
}

describeNative(CURRENT_TSL, 'per-environment values', (server) => {
  environmentTests(() => createNativeDatabase(server), true);
});

describe('per-environment values on embedded TimescaleDB', function () {
  environmentTests(createEmbeddedDatabase, true);
});

describe('per-environment values on PostgreSQL without TimescaleDB', function () {
  environmentTests(() => createServerDatabase(), false);

  it('--env and PRISM_ENV choose the environment on the command line; a bad name exits 2', async () => {
    const db = await createServerDatabase();
    try {
      const { root } = project();
      const env = { DATABASE_URL: db.url, PRISM_ENV: 'development' };
      const up = await runCli(['up'], { cwd: root, env });
      expect(up.code, up.stderr).to.equal(0);
      expect(await recorded(db.url)).to.deep.equal(['development', 'development']);
      const down = await runCli(['--env', 'test', 'down'], { cwd: root, env });
      expect(down.code).to.equal(2);
      expect(down.stderr).to.contain("reverting it in environment 'test'");
      const typo = await runCli(['--env', 'developmnet', 'down'], { cwd: root, env });
      expect(typo.stderr).to.contain("(did you mean 'development'?)");
      const bad = await runCli(['--env', 'dev env', 'status'], { cwd: root, env });
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.contain('environment name "dev env" is not valid');
      const back = await runCli(['down', '2'], { cwd: root, env });
      expect(back.code, back.stderr).to.equal(0);
    } finally {
      await db.dispose();
    }
  });
});
