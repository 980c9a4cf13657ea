/**
 * `serve --read-url`: reads on real streaming replicas (pg_basebackup -R hot standbys) of
 * native TimescaleDB 2.28.3, writes on the primary. The shared replica is
 * PRISM_TEST_TIMESCALE_REPLICA_URL (test/timescale-servers.sh starts it); the suite that
 * stops a replica starts one of its own on DEDICATED_PORT through PRISM_TIMESCALE_SERVER_SH,
 * so that the shared one stays up for other suites. A database created on the primary
 * reaches a replica once replayed: the tests wait for that. A replica that stops answering
 * without closing its connections is the shared one seen through a proxy that stops
 * forwarding (test/helpers/stalling-proxy.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { serve, UsageError, type RunningApi, type Spec } from '../../lib/index.js';
import { parseSpec } from '../../lib/spec/load.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { migrate } from '../../lib/runner/migrate.js';
import { runCli } from '../helpers/cli.js';
import { cleanEnv, CLI, freePort, spawnNode } from '../helpers/embedded-process.js';
import { tempDir, withClient, type TestDatabase } from '../helpers/databases.js';
import { startStallingProxy } from '../helpers/stalling-proxy.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  findServer,
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
const HEALTH_APP = 'prism-migrate serve (health)';

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

/** How many sessions of the API (data and control) are open on the database at `url`. */
async function apiSessions(url: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity
        WHERE application_name IN ($1, $2) AND datname = current_database()`,
      [APP, HEALTH_APP],
    );
    return rows[0]?.n ?? 0;
  });
}

/** The rows of datapoint in the database at `url`. */
async function countRows(url: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM datapoint');
    return rows[0]?.n ?? 0;
  });
}

/** Waits until the API has no session left on the database at `url`. */
async function noApiSessions(url: string): Promise<void> {
  await waitFor(`no API session left on ${url}`, async () =>
    (await apiSessions(url)) === 0 ? true : undefined,
  );
}

/** Whether the replica at `url` streams WAL from its primary. */
async function streaming(url: string): Promise<boolean> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT 1 FROM pg_catalog.pg_stat_wal_receiver WHERE status = 'streaming'`,
    );
    return rows.length > 0;
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
      // The insert ran on the primary: its rows are there as soon as the POST answered.
      expect(await countRows(db.url)).to.equal(ROWS.length);
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
      // It ran there in a read-only snapshot transaction, whose last statement is COMMIT.
      expect(await apiStatements(replicaDb)).to.deep.equal(['COMMIT']);
      const latest = await getJson(api, '/api/datapoints/latest');
      expect(latest.status).to.equal(200);
      expect((latest.body['data'] as unknown[]).length).to.be.greaterThan(0);
      // No read reached the primary: its API sessions ran the insert only.
      expect((await apiStatements(db.url)).filter(readsTable)).to.deep.equal([]);

      const health = await getJson(api, '/health');
      expect(health.status).to.equal(200);
      expect(health.body['status']).to.equal('ok');
      const [replica] = health.body['replicas'] as Record<string, unknown>[];
      // Public /health: the address only, no user or database name.
      expect(replica?.['address']).to.equal(new URL(replicaDb).host);
      expect(replica).not.to.have.property('url');
      expect(replica?.['status']).to.equal('ok');
      expect(replica?.['streaming']).to.equal(true);
      expect(replica?.['lagBytes']).to.be.a('number').and.at.least(0);
      // Something was replayed (the rows), so the replica knows how far behind it is.
      expect(replica?.['lagSeconds']).to.be.a('number').and.at.least(0);
    } finally {
      await api.close();
    }
    // Closed: none of its sessions, for reads or /health, stays on the replica.
    await noApiSessions(replicaDb);
  });

  it('shows the replica URLs in /health when /health requires the token', async () => {
    const token = 'a-token-of-sixteen-characters';
    const api = await serveOn(db.url, [replicaDb], { token, healthRequiresToken: true });
    try {
      const r = await fetch(`http://127.0.0.1:${portOf(api)}/health`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await r.json()) as { replicas: Record<string, unknown>[] };
      expect(body.replicas[0]?.['url']).to.equal(replicaDb);
    } finally {
      await api.close();
    }
  });

  it('falls back to the primary when a replica stops answering, and closes anyway', async function () {
    this.timeout(120_000);
    const proxy = await startStallingProxy(Number(new URL(replicaServer).port));
    const throughProxy = `postgres://postgres@127.0.0.1:${proxy.port}/${databaseOf(db.url)}`;
    try {
      const api = await serveOn(db.url, [throughProxy], {
        sessions: 1,
        statementTimeoutMs: 1_000,
        // Not probed again during the test: it stays down once marked.
        replicaRetryMs: 600_000,
        healthTimeoutMs: 500,
      });
      let closed = false;
      try {
        const rows = await countRows(db.url);
        await waitFor('a read on the replica', async () =>
          (await rowsOf(api)).length === rows && (await apiStatements(replicaDb)).some(readsTable)
            ? true
            : undefined,
        );
        expect((await apiStatements(db.url)).filter(readsTable)).to.deep.equal([]);
        proxy.stall();
        // The session's query gets no answer: it gives up on this side, and the read is
        // answered by the primary.
        expect(await rowsOf(api)).to.have.length(rows);
        expect((await apiStatements(db.url)).filter(readsTable)).to.have.length(1);
        expect(await rowsOf(api)).to.have.length(rows);
        const health = await getJson(api, '/health');
        expect(health.body['database']).to.equal('ok');
        expect(health.status).to.equal(200);
        const status = (health.body['replicas'] as { status: string }[])[0]?.status;
        expect(status).to.be.oneOf(['down', 'timeout']);
        // A probe still hangs on the replica's control session; close() does not wait for it.
        void getJson(api, '/health').catch(() => undefined);
        await api.close();
        closed = true;
      } finally {
        if (!closed) await api.close();
      }
      // Every connection through the proxy was cut: the replica has no session of the API.
      await noApiSessions(replicaDb);
    } finally {
      await proxy.close();
    }
  });

  it('closes while a read waits on a replica that stopped answering; the read ends on the primary', async function () {
    this.timeout(120_000);
    const proxy = await startStallingProxy(Number(new URL(replicaServer).port));
    const throughProxy = `postgres://postgres@127.0.0.1:${proxy.port}/${databaseOf(db.url)}`;
    try {
      // The query timeout on this side (statement timeout + 2 s) comes long after the grace.
      const api = await serveOn(db.url, [throughProxy], {
        sessions: 1,
        statementTimeoutMs: 60_000,
      });
      let closed = false;
      try {
        const rows = await countRows(db.url);
        await waitFor('a read on the replica', async () =>
          (await rowsOf(api)).length === rows && (await apiStatements(replicaDb)).some(readsTable)
            ? true
            : undefined,
        );
        proxy.stall();
        const held = rowsOf(api);
        await waitFor('the read sent to the replica', async () =>
          proxy.held() > 0 ? true : undefined,
        );
        const started = Date.now();
        await api.close();
        closed = true;
        expect(Date.now() - started, 'close() waited for the query timeout').to.be.below(20_000);
        expect(await held).to.have.length(rows);
      } finally {
        if (!closed) await api.close();
      }
      await noApiSessions(replicaDb);
    } finally {
      await proxy.close();
    }
  });

  it('gives up on a --read-url that does not answer at start, naming it', async function () {
    this.timeout(120_000);
    const proxy = await startStallingProxy(Number(new URL(replicaServer).port), {
      stalled: true,
    });
    try {
      const url = `postgres://postgres@127.0.0.1:${proxy.port}/${databaseOf(db.url)}`;
      const error = await serveOn(db.url, [url]).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.include(`127.0.0.1:${proxy.port}`);
      expect((error as Error).message).to.include('--read-url');
      expect((error as Error).message).to.include('did not answer in time');
    } finally {
      await proxy.close();
    }
  });

  it('answers aggregates on a replica from the table, never from a continuous aggregate', async () => {
    const spec = parseSpec(
      readFileSync(resolve('spec/examples/aggregates.yaml'), 'utf8'),
      'prism.yaml',
    ).spec;
    const aggDb = await createNativeDatabase(server);
    try {
      const dir = join(tempDir(), 'migrations');
      generateMigration({ spec, migrationsDir: dir });
      await migrate({ url: aggDb.url, migrationsDir: dir, direction: 'up' });
      const hour = 3_600_000;
      const from = Math.floor((Date.now() - 3 * DAY) / hour) * hour;
      await withClient(aggDb.url, async (c) => {
        await c.query(
          `INSERT INTO reading (recorded_at, sensor, temperature)
           SELECT to_timestamp($1::float8 / 1000) + make_interval(mins => i * 10), 's', i
             FROM generate_series(0, 35) AS i`,
          [from],
        );
        await c.query(`CALL refresh_continuous_aggregate('reading_hourly', NULL, NULL)`);
      });
      const onReplica = onDatabase(replicaServer, databaseOf(aggDb.url));
      await waitFor('the refreshed aggregate on the replica', () =>
        withClient(onReplica, async (c) => {
          const { rows } = await c.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM reading_hourly',
          );
          return (rows[0]?.n ?? 0) > 0 ? true : undefined;
        }),
      );
      const path = `/api/readings/aggregate?start=${new Date(from).toISOString()}&end=${new Date(from + 6 * hour).toISOString()}&bucket=1%20hour&aggs=max&fields=temperature`;
      const ask = async (readUrls: string[]) => {
        const api = await serve({
          databaseUrl: aggDb.url,
          spec,
          port: 0,
          host: '127.0.0.1',
          readUrls,
        });
        try {
          const r = await getJson(api, path);
          expect(r.status, JSON.stringify(r.body)).to.equal(200);
          return r.body;
        } finally {
          await api.close();
        }
      };
      // On the primary the materialized buckets are proven current and answer.
      const primary = await ask([]);
      expect((primary['meta'] as { source: string }).source, JSON.stringify(primary)).to.equal(
        'reading_hourly',
      );
      // On a replica nothing proves it: the table answers, with the same rows.
      const replica = await ask([onReplica]);
      expect((replica['meta'] as { source: string }).source).to.equal('reading');
      expect(replica['data']).to.deep.equal(primary['data']);
    } finally {
      await aggDb.dispose();
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
    // The replica's `postgres` database is not the primary's database.
    const postgresDb = await serveOn(db.url, [onDatabase(replicaServer, 'postgres')]).catch(
      (e: unknown) => e,
    );
    expect(postgresDb).to.be.instanceOf(UsageError);
    expect((postgresDb as Error).message).to.include(
      `names database postgres where the primary's is ${databaseOf(db.url)}`,
    );
  });

  it('refuses a --read-url on another database with the same TimescaleDB', async () => {
    const other = await migrated(server);
    try {
      await replayed(replicaServer, databaseOf(other.url));
      const otherOnReplica = onDatabase(replicaServer, databaseOf(other.url));
      const error = await serveOn(db.url, [otherOnReplica]).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.include(
        `${otherOnReplica} names database ${databaseOf(other.url)} where the primary's is ${databaseOf(db.url)}`,
      );
    } finally {
      await other.dispose();
    }
  });

  it('refuses a --read-url that is a replica of another cluster', async function () {
    // Another 2.28.3 server with a database of the same name and TimescaleDB: everything
    // matches but the cluster the replica copies.
    const otherServer = findServer({ version: '2.28.3', license: 'apache' });
    if (!otherServer) {
      if (TIMESCALE_REQUIRED) throw new Error('the 2.28.3 Apache-only server is required here');
      this.skip();
    }
    const name = databaseOf(db.url);
    await withClient(otherServer.url, (c) => c.query(`CREATE DATABASE "${name}"`));
    try {
      const primary = onDatabase(otherServer.url, name);
      await withClient(primary, (c) => c.query('CREATE EXTENSION timescaledb'));
      const error = await serveOn(primary, [replicaDb]).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.include(`${replicaDb} is a replica of another cluster`);
    } finally {
      await withClient(otherServer.url, (c) =>
        c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    }
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
  const serverSh = async (...args: string[]) =>
    (
      await promisify(execFile)('bash', [SERVER_SH as string, ...args], { encoding: 'utf8' })
    ).stdout.trim();
  /**
   * server.sh's base backup waits for a spread checkpoint, which paces its writes at
   * 100 ms a buffer: minutes once the suites have dirtied the primary's buffers. An
   * immediate checkpoint before it, and beside it while it runs, leaves it nothing to pace.
   */
  const withImmediateCheckpoints = async <T>(start: () => Promise<T>): Promise<T> => {
    const checkpoint = () => withClient(server.url, (c) => c.query('CHECKPOINT'));
    await checkpoint();
    const work = start();
    let done = false;
    const hurry = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, 2_000));
        await checkpoint().catch(() => undefined);
      }
    })();
    try {
      return await work;
    } finally {
      done = true;
      await hurry;
    }
  };
  const dataDir = join(
    process.env['PRISM_TSDB_CACHE'] ?? '/var/cache/prism-timescaledb',
    '2.28.3-tsl',
    `data-${DEDICATED_PORT}`,
  );
  /** Whether the replica at `url` streams within a minute of its start. */
  const streamsSoon = async (url: string) => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (await streaming(url).catch(() => false)) return true;
      await new Promise((r) => setTimeout(r, 500));
    }
    return false;
  };
  const startReplica = async (): Promise<string> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const url = await withImmediateCheckpoints(() =>
          serverSh('replica', '2.28.3', 'tsl', new URL(server.url).port, String(DEDICATED_PORT)),
        );
        if (await streamsSoon(url)) return url;
        // It never streams: its data directory is older than the WAL the primary keeps
        // (the primary was rebuilt, or recycled that WAL). A new base backup replaces it.
        await serverSh('stop', '2.28.3', 'tsl', String(DEDICATED_PORT));
        rmSync(dataDir, { recursive: true, force: true });
      } catch (error) {
        // A base backup also fails, to be taken again, when a concurrent DROP DATABASE's
        // checkpoint ends its temporary replication slot.
        if (attempt === 3) throw error;
      }
      if (attempt === 3) throw new Error(`the replica on port ${DEDICATED_PORT} never streams`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  };
  /** A read of all rows, and whether the replica's read session ran it. */
  const readOnReplica = async () => {
    await rowsOf(apiOf());
    return (await apiStatements(replicaDb)).some(readsTable) ? true : undefined;
  };
  let current: RunningApi | undefined;
  const apiOf = () => current as RunningApi;
  /** `serve` with one read session on the replica, closed after the test. */
  const startApi = async (more: Partial<Parameters<typeof serve>[0]>) =>
    (current = await serveOn(db.url, [replicaDb], { sessions: 1, ...more }));
  const insertRow = () =>
    withClient(db.url, (c) =>
      c.query(
        `INSERT INTO datapoint (id, "timestamp", source, value) VALUES (gen_random_uuid(), now(), 'x', 1)`,
      ),
    );

  /** Starting the replica may take a base backup and wait up to a minute for streaming. */
  const REPLICA_START_MS = 300_000;
  before(async function () {
    replicaOrSkip(this);
    this.timeout(REPLICA_START_MS);
    replicaServer = await startReplica();
    db = await migrated(server);
    replicaDb = onDatabase(replicaServer, databaseOf(db.url));
    await replayed(replicaServer, databaseOf(db.url));
    await insertRow();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  // The replica is left running, as the shared servers are: stopped for long, it could
  // miss WAL the primary has recycled and never catch up at the next start.
  after(async function () {
    this.timeout(REPLICA_START_MS);
    if (SERVER_SH && replicaServer) await startReplica();
    await db?.dispose();
  });

  it('answers from the primary while the replica is down, then reads there again', async function () {
    this.timeout(REPLICA_START_MS);
    const api = await startApi({ replicaRetryMs: 200, healthTimeoutMs: 5_000 });
    const rows = await countRows(db.url);
    await waitFor('a read on the replica', async () =>
      (await rowsOf(api)).length === rows ? readOnReplica() : undefined,
    );
    await serverSh('stop', '2.28.3', 'tsl', String(DEDICATED_PORT));
    for (let i = 0; i < 5; i += 1) expect(await rowsOf(api)).to.have.length(rows);
    expect((await apiStatements(db.url)).filter(readsTable)).to.have.length(1);
    const health = await getJson(api, '/health');
    expect(health.status).to.equal(200);
    expect(health.body['status']).to.equal('ok');
    expect(health.body['replicas']).to.deep.equal([
      {
        address: `127.0.0.1:${DEDICATED_PORT}`,
        status: 'down',
        streaming: null,
        lagBytes: null,
        lagSeconds: null,
      },
    ]);
    await startReplica();
    await waitFor('reads on the restarted replica', readOnReplica);
    const back = await getJson(api, '/health');
    expect((back.body['replicas'] as { status: string }[])[0]?.status).to.equal('ok');
  });

  it('skips for reads a replica further behind than --max-replica-lag', async () => {
    const api = await startApi({ maxReplicaLagSeconds: 1 });
    await waitFor('a read on the replica', readOnReplica);
    await withClient(replicaServer, (c) => c.query('SELECT pg_catalog.pg_wal_replay_pause()'));
    try {
      await insertRow();
      const rows = await countRows(db.url);
      // The new row is on the primary only: reading it shows where the read went.
      await waitFor('reads on the primary', async () =>
        (await rowsOf(api)).length === rows ? true : undefined,
      );
      const health = await getJson(api, '/health');
      const [replica] = health.body['replicas'] as Record<string, unknown>[];
      expect(replica?.['status']).to.equal('behind');
      expect(replica?.['streaming']).to.equal(true);
      expect(replica?.['lagSeconds']).to.be.a('number').and.greaterThan(1);
    } finally {
      await withClient(replicaServer, (c) => c.query('SELECT pg_catalog.pg_wal_replay_resume()'));
    }
    await waitFor('reads on the replica again', async () =>
      (await rowsOf(api)).length === (await countRows(db.url)) ? readOnReplica() : undefined,
    );
  });

  it('reports a replica that does not stream as behind, not 0 s behind', async () => {
    const api = await startApi({ maxReplicaLagSeconds: 3_600, healthTimeoutMs: 5_000 });
    await waitFor('a read on the replica', readOnReplica);
    const conninfo = await withClient(replicaServer, async (c) => {
      const { rows } = await c.query<{ primary_conninfo: string }>('SHOW primary_conninfo');
      return rows[0]?.primary_conninfo as string;
    });
    expect(conninfo).to.include('port=');
    const setConninfo = (value: string) =>
      withClient(replicaServer, async (c) => {
        await c.query(`ALTER SYSTEM SET primary_conninfo = ${c.escapeLiteral(value)}`);
        await c.query('SELECT pg_catalog.pg_reload_conf()');
      });
    await setConninfo('');
    try {
      await waitFor('the WAL receiver stopped', async () =>
        (await streaming(replicaServer)) ? undefined : true,
      );
      const replica = await waitFor('/health saying so', async () => {
        const health = await getJson(api, '/health');
        const [r] = health.body['replicas'] as Record<string, unknown>[];
        return r?.['streaming'] === false ? r : undefined;
      });
      expect(replica['status']).to.equal('behind');
      expect(replica['lagSeconds']).not.to.equal(0);
      await insertRow();
      const rows = await countRows(db.url);
      await waitFor('reads on the primary', async () =>
        (await rowsOf(api)).length === rows ? true : undefined,
      );
    } finally {
      await setConninfo(conninfo);
    }
    await waitFor('the replica streaming again', async () =>
      (await streaming(replicaServer)) ? true : undefined,
    );
  });
});
