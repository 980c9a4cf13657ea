/**
 * `serve --read-url`: reads on real streaming replicas (pg_basebackup -R hot standbys) of
 * native TimescaleDB 2.28.3, writes on the primary. The shared replica is
 * PRISM_TEST_TIMESCALE_REPLICA_URL (test/timescale-servers.sh starts it); the suite that
 * stops a replica starts one of its own on DEDICATED_PORT through PRISM_TIMESCALE_SERVER_SH,
 * so that the shared one stays up for other suites. A database created on the primary
 * reaches a replica once replayed: the tests wait for that.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { serve, UsageError, type RunningApi, type Spec } from '../../lib/index.js';
import { parseSpec } from '../../lib/spec/load.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { migrate } from '../../lib/runner/migrate.js';
import { runCli } from '../helpers/cli.js';
import { cleanEnv, CLI, freePort, spawnNode } from '../helpers/embedded-process.js';
import { tempDir, withClient, type TestDatabase } from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  TIMESCALE_REQUIRED,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SEED = readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8');
const SPEC: Spec = parseSpec(SEED, 'prism.yaml').spec;
const REPLICA_URL = process.env['PRISM_TEST_TIMESCALE_REPLICA_URL'];
const SERVER_SH = process.env['PRISM_TIMESCALE_SERVER_SH'];
/** The port of the replica the stop-and-start suite owns. */
const DEDICATED_PORT = 5540;
const APP = 'prism-migrate serve';

function onDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

function databaseOf(url: string): string {
  return new URL(url).pathname.slice(1);
}

/** Polls `probe` until it returns a value other than undefined (at most a minute). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the replica has replayed the creation of `database` and can open it. */
async function replayed(replicaServerUrl: string, database: string): Promise<void> {
  await waitFor(`database ${database} on the replica`, () =>
    withClient(onDatabase(replicaServerUrl, database), async (c) => {
      const { rows } = await c.query(
        `SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = 'datapoint'`,
      );
      return rows.length > 0 ? true : undefined;
    }),
  );
}

/** The last statements of the API's data sessions on the server at `url` (its database). */
async function apiStatements(url: string): Promise<string[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ query: string }>(
      `SELECT query FROM pg_catalog.pg_stat_activity
        WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`,
      [APP],
    );
    return rows.map((r) => r.query);
  });
}

const readsTable = (q: string) => /^\s*SELECT\b/i.test(q) && /datapoint/.test(q);

const DAY = 24 * 3600 * 1000;
const RANGE = `start=${new Date(Date.now() - DAY).toISOString()}&end=${new Date(Date.now() + DAY).toISOString()}`;
const ROWS = [0, 1, 2].map((i) => ({
  id: `00000000-0000-4000-8000-00000000000${i}`,
  timestamp: new Date(Date.now() - i * 60_000).toISOString(),
  source: `s${i}`,
  value: i,
}));

async function migrated(server: NativeServer): Promise<TestDatabase> {
  const db = await createNativeDatabase(server);
  const dir = join(tempDir(), 'migrations');
  generateMigration({ spec: SPEC, migrationsDir: dir });
  await migrate({ url: db.url, migrationsDir: dir, direction: 'up' });
  return db;
}

/** `serve` on a free port over `databaseUrl`, reading from `readUrls`. */
function serveOn(
  databaseUrl: string,
  readUrls: string[],
  more: Partial<Parameters<typeof serve>[0]> = {},
): Promise<RunningApi> {
  return serve({ databaseUrl, spec: SPEC, port: 0, host: '127.0.0.1', readUrls, ...more });
}

function portOf(api: RunningApi): number {
  return (api.addresses[0] as { port: number }).port;
}

async function getJson(api: RunningApi, path: string) {
  const r = await fetch(`http://127.0.0.1:${portOf(api)}${path}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function rowsOf(api: RunningApi): Promise<unknown[]> {
  const r = await getJson(api, `/api/datapoints?${RANGE}&order=asc`);
  expect(r.status, JSON.stringify(r.body)).to.equal(200);
  return r.body['data'] as unknown[];
}

/** The shared replica, or why there is none (a failure where servers are required). */
function replicaOrSkip(context: Mocha.Context): string {
  if (REPLICA_URL && SERVER_SH) return REPLICA_URL;
  const missing =
    'PRISM_TEST_TIMESCALE_REPLICA_URL and PRISM_TIMESCALE_SERVER_SH are not both set (test/timescale-servers.sh sets them)';
  if (TIMESCALE_REQUIRED) throw new Error(`a streaming replica is required here: ${missing}`);
  console.warn(`\n  SKIPPED: read replicas: ${missing}.\n`);
  context.skip();
}

describeNative(CURRENT_TSL, 'serve --read-url', (server: NativeServer) => {
  let replicaServer: string;
  let db: TestDatabase;
  let replicaDb: string;
  before(async function () {
    replicaServer = replicaOrSkip(this);
    // The replica must copy this very server: same cluster identity.
    const identity = (url: string) =>
      withClient(url, async (c) => {
        const { rows } = await c.query<{ id: string }>(
          'SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()',
        );
        return rows[0]?.id;
      });
    expect(await identity(replicaServer)).to.equal(await identity(server.url));
    db = await migrated(server);
    replicaDb = onDatabase(replicaServer, databaseOf(db.url));
    await replayed(replicaServer, databaseOf(db.url));
  });
  after(async () => db?.dispose());

  it('writes through POST on the primary and reads through GET on the replica', async () => {
    const api = await serveOn(db.url, [replicaDb], { sessions: 1 });
    try {
      expect(api.replicas).to.deep.equal([replicaDb]);
      const post = await fetch(`http://127.0.0.1:${portOf(api)}/api/datapoints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ROWS),
      });
      expect(post.status, await post.clone().text()).to.equal(201);
      // The replica is read-only: the insert ran on the primary, and nothing of it here.
      expect((await apiStatements(replicaDb)).filter((q) => /INSERT/i.test(q))).to.deep.equal([]);
      const rows = await waitFor('the rows replayed on the replica', async () => {
        const data = await rowsOf(api);
        return data.length === ROWS.length ? data : undefined;
      });
      expect(rows.map((r) => (r as { source: string }).source)).to.deep.equal(['s2', 's1', 's0']);
      // The API's one read session on the replica last ran the range query.
      expect((await apiStatements(replicaDb)).filter(readsTable)).to.have.length(1);
      const aggregate = await getJson(
        api,
        `/api/datapoints/aggregate?${RANGE}&bucket=1%20hour&aggs=count`,
      );
      expect(aggregate.status).to.equal(200);
      expect((await apiStatements(replicaDb)).some((q) => /time_bucket/.test(q))).to.equal(true);
      const latest = await getJson(api, '/api/datapoints/latest');
      expect(latest.status).to.equal(200);
      expect((latest.body['data'] as unknown[]).length).to.be.greaterThan(0);
      // No read reached the primary: its API sessions ran the insert only.
      expect((await apiStatements(db.url)).filter(readsTable)).to.deep.equal([]);

      const health = await getJson(api, '/health');
      expect(health.status).to.equal(200);
      expect(health.body['status']).to.equal('ok');
      const [replica] = health.body['replicas'] as Record<string, unknown>[];
      expect(replica?.['url']).to.equal(replicaDb);
      expect(replica?.['status']).to.equal('ok');
      expect(replica?.['lagBytes']).to.be.a('number').and.at.least(0);
      // Something was replayed (the rows), so the replica knows how far behind it is.
      expect(replica?.['lagSeconds']).to.be.a('number').and.at.least(0);
    } finally {
      await api.close();
    }
  });

  it('does not retry on the primary a read that failed for a reason of its own', async () => {
    const api = await serveOn(db.url, [replicaDb], { statementTimeoutMs: 1 });
    try {
      // About 86,000 gap-filled buckets: far longer than the 1 ms statement timeout.
      const start = new Date(Date.now() - 60 * DAY).toISOString();
      const r = await getJson(
        api,
        `/api/datapoints/aggregate?start=${start}&end=${new Date().toISOString()}&bucket=1%20minute&aggs=count&gapfill=true`,
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(503);
      expect(JSON.stringify(r.body)).to.include('statement timeout');
      expect(await apiStatements(db.url)).to.deep.equal([]);
    } finally {
      await api.close();
    }
  });

  it('refuses a --read-url that is not a replica, or whose TimescaleDB differs', async () => {
    const notReplica = await serveOn(db.url, [db.url]).catch((e: unknown) => e);
    expect(notReplica).to.be.instanceOf(UsageError);
    expect((notReplica as Error).message).to.include('is not a replica');
    // The replica's `postgres` database has no TimescaleDB; the primary's database has.
    const otherDatabase = await serveOn(db.url, [onDatabase(replicaServer, 'postgres')]).catch(
      (e: unknown) => e,
    );
    expect(otherDatabase).to.be.instanceOf(UsageError);
    expect((otherDatabase as Error).message).to.include(
      'has no TimescaleDB where the primary has TimescaleDB 2.28.3',
    );
  });

  it('the CLI prints the replicas it reads from and refuses bad --read-url values', async () => {
    const dir = tempDir();
    const spec = join(dir, 'prism.yaml');
    writeFileSync(spec, SEED);
    const port = String(await freePort());
    const run = (args: string[], env: Record<string, string>) =>
      runCli(['--spec', spec, 'serve', '--port', port, ...args], { cwd: dir, env: cleanEnv(env) });
    const notUrl = await run(['--read-url', 'mysql://h/db'], { DATABASE_URL: db.url });
    expect(notUrl.code).to.equal(2);
    expect(notUrl.stderr).to.include('--read-url must start with postgres://');
    const primary = await run(['--read-url', db.url], { DATABASE_URL: db.url });
    expect(primary.code).to.equal(2);
    expect(primary.stderr).to.include('is not a replica');
    // No DATABASE_URL: the embedded database, which has no replicas; it is not even opened.
    const embedded = await run(['--read-url', replicaDb], {});
    expect(embedded.code).to.equal(2);
    expect(embedded.stderr).to.include('the embedded database has no replicas');
    expect(existsSync(join(dir, '.prism', 'db'))).to.equal(false);
    const serving = spawnNode(
      dir,
      [CLI, '--spec', spec, 'serve', '--port', port, '--read-url', replicaDb],
      cleanEnv({ DATABASE_URL: db.url }),
    );
    try {
      await serving.waitFor(/listening on http/, { timeoutMs: 60_000 });
      expect(serving.stdout).to.include(`reading from ${replicaDb}\n`);
    } finally {
      await serving.stop('SIGINT');
    }
  });
});

describeNative(CURRENT_TSL, 'serve --read-url with a replica that stops', (server) => {
  let replicaServer: string;
  let db: TestDatabase;
  let replicaDb: string;
  const serverSh = (...args: string[]) =>
    execFileSync('bash', [SERVER_SH as string, ...args], { encoding: 'utf8' }).trim();
  const startReplica = () => {
    // A base backup fails, to be taken again, when a concurrent DROP DATABASE's checkpoint
    // ends its temporary replication slot.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return serverSh(
          'replica',
          '2.28.3',
          'tsl',
          new URL(server.url).port,
          String(DEDICATED_PORT),
        );
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  };

  before(async function () {
    replicaOrSkip(this);
    replicaServer = startReplica();
    db = await migrated(server);
    replicaDb = onDatabase(replicaServer, databaseOf(db.url));
    await replayed(replicaServer, databaseOf(db.url));
    await withClient(db.url, (c) =>
      c.query(
        `INSERT INTO datapoint (id, "timestamp", source, value) VALUES (gen_random_uuid(), now(), 'x', 1)`,
      ),
    );
  });
  // The replica is left running, as the shared servers are: stopped for long, it could
  // miss WAL the primary has recycled and never catch up at the next start.
  after(async () => {
    if (SERVER_SH && replicaServer) startReplica();
    await db?.dispose();
  });

  it('answers from the primary while the replica is down, then reads there again', async () => {
    const api = await serveOn(db.url, [replicaDb], {
      sessions: 1,
      replicaRetryMs: 200,
      healthTimeoutMs: 5_000,
    });
    const onReplica = async () =>
      (await rowsOf(api)).length === 1 && (await apiStatements(replicaDb)).some(readsTable)
        ? true
        : undefined;
    try {
      await waitFor('a read on the replica', onReplica);
      serverSh('stop', '2.28.3', 'tsl', String(DEDICATED_PORT));
      for (let i = 0; i < 5; i += 1) expect(await rowsOf(api)).to.have.length(1);
      expect((await apiStatements(db.url)).filter(readsTable)).to.have.length(1);
      const health = await getJson(api, '/health');
      expect(health.status).to.equal(200);
      expect(health.body['status']).to.equal('ok');
      expect(health.body['replicas']).to.deep.equal([
        { url: replicaDb, status: 'down', lagBytes: null, lagSeconds: null },
      ]);
      startReplica();
      await waitFor('reads on the restarted replica', onReplica);
      const back = await getJson(api, '/health');
      expect((back.body['replicas'] as { status: string }[])[0]?.status).to.equal('ok');
    } finally {
      await api.close();
    }
  });
});
