/**
 * The REST API under heavy and hostile load, through the real `serve` command over
 * loopback for a fixed time: 50 connections ask for 1-minute buckets over 69 days with
 * `gapfill=locf` (about 99,000 buckets, some 10 MB of JSON each) while /health is polled.
 * /health must answer within 1 s throughout, the overload must come back as 503 with
 * Retry-After in our error shape instead of waits without bound, and once the clients are
 * gone their work must be gone too. Also: a statement of a client that disconnected is
 * cancelled, and the statement timeout holds on a server. The same load on the embedded
 * database, whose engine runs in a thread of its own: its one session is busy, yet /health
 * still answers at once (saying `timeout`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import { openDatabase } from '../../lib/db/open.js';
import { EMBEDDED_DIR } from '../../lib/db/target.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import { withClient, type TestDatabase } from '../helpers/databases.js';
import {
  CLI,
  cleanEnv,
  freePort,
  projectDir,
  spawnNode,
  type Spawned,
} from '../helpers/embedded-process.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SPEC_YAML = `models:
  - name: Reading
    fields:
      - { name: timestamp, type: datetime }
      - { name: source, type: string, max_length: 20 }
      - { name: value, type: float }
    timeseries:
      time_column: timestamp
      chunk_interval: 1 week
`;
const SPEC = parseSpec(SPEC_YAML, 'prism.yaml').spec;

const DURATION_MS = 15_000;
const CONNECTIONS = 50;
const HEALTH_BOUND_MS = 1_000;
const QUEUE_TIMEOUT_MS = 2_000;
const STATEMENT_TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  readonly status: number | 'error';
  readonly ms: number;
  readonly retryAfter: string | null;
  readonly head: string;
}

interface Load {
  readonly requests: Outcome[];
  readonly health: { status: number | 'error'; ms: number; database: unknown }[];
}

/** `serve` in `cwd` on a free port, resolved once it says where it listens. */
async function startServe(
  cwd: string,
  env: NodeJS.ProcessEnv,
  args: readonly string[],
): Promise<Spawned & { base: string }> {
  const port = await freePort();
  const child = spawnNode(
    cwd,
    [CLI, '--spec', join(cwd, 'prism.yaml'), 'serve', '--port', String(port), ...args],
    env,
  );
  try {
    await child.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, { timeoutMs: 60_000 });
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
  return Object.assign(child, { base: `http://127.0.0.1:${port}` });
}

function aggregatePath(): string {
  const end = new Date();
  const start = new Date(end.getTime() - 69 * 86_400_000);
  return `/api/readings/aggregate?bucket=1%20minute&start=${start.toISOString()}&end=${end.toISOString()}&aggs=avg,max,count&fields=value&gapfill=locf`;
}

/**
 * The 50 looping clients, in a worker thread of their own so that receiving their answers
 * does not delay the /health poller's measurements; they hang up at `deadline`.
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { base, path, deadline, connections } = workerData;
const stop = new AbortController();
// Every request of the run listens to this one signal.
require('node:events').setMaxListeners(0, stop.signal);
const requests = [];
const client = async () => {
  while (Date.now() < deadline) {
    const started = performance.now();
    try {
      const r = await fetch(base + path, { signal: stop.signal });
      const body = Buffer.from(await r.arrayBuffer());
      requests.push({ status: r.status, ms: performance.now() - started, retryAfter: r.headers.get('retry-after'), head: body.subarray(0, 400).toString('utf8') });
    } catch (error) {
      if (stop.signal.aborted) return;
      requests.push({ status: 'error', ms: performance.now() - started, retryAfter: null, head: String(error) });
    }
  }
};
const all = Array.from({ length: connections }, client);
setTimeout(() => stop.abort(), Math.max(0, deadline - Date.now()));
Promise.all(all).then(() => parentPort.postMessage(requests));
`;

/** 50 looping clients and one /health poller for DURATION_MS; then every client hangs up. */
async function runLoad(base: string): Promise<Load> {
  const health: Load['health'] = [];
  const deadline = Date.now() + DURATION_MS;
  const worker = new Worker(LOAD_WORKER, {
    eval: true,
    workerData: { base, path: aggregatePath(), deadline, connections: CONNECTIONS },
  });
  const requests = new Promise<Outcome[]>((resolve, reject) => {
    worker.once('message', (m: Outcome[]) => resolve(m));
    worker.once('error', reject);
  });
  while (Date.now() < deadline) {
    const started = performance.now();
    try {
      const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
      const body = (await r.json()) as { database?: unknown };
      health.push({ status: r.status, ms: performance.now() - started, database: body.database });
    } catch {
      health.push({ status: 'error', ms: performance.now() - started, database: undefined });
    }
    await sleep(200);
  }
  const done = await requests;
  await worker.terminate();
  return { requests: done, health };
}

function summary(load: Load): string {
  const by = new Map<string, number>();
  for (const r of load.requests) by.set(String(r.status), (by.get(String(r.status)) ?? 0) + 1);
  const healthMs = load.health.map((h) => h.ms);
  const dbStates = new Map<string, number>();
  for (const h of load.health)
    dbStates.set(String(h.database), (dbStates.get(String(h.database)) ?? 0) + 1);
  return `requests ${JSON.stringify(Object.fromEntries(by))}, /health ${load.health.length} polls, slowest ${Math.max(...healthMs).toFixed(0)} ms, database ${JSON.stringify(Object.fromEntries(dbStates))}, slowest 503 ${Math.max(0, ...load.requests.filter((r) => r.status === 503).map((r) => r.ms)).toFixed(0)} ms, slowest 200 ${Math.max(0, ...load.requests.filter((r) => r.status === 200).map((r) => r.ms)).toFixed(0)} ms`;
}

/** What every bounded load run must show. */
function expectBounded(load: Load, statementBoundMs: number): void {
  const text = summary(load);
  console.log(`      ${text}`);
  expect(load.health.length, `/health was polled throughout: ${text}`).to.be.greaterThan(
    DURATION_MS / 1_000,
  );
  for (const h of load.health) {
    expect(h.status, `/health answered: ${text}`).to.be.oneOf([200, 503]);
    expect(h.ms, `/health answered within ${HEALTH_BOUND_MS} ms: ${text}`).to.be.below(
      HEALTH_BOUND_MS,
    );
  }
  const refused = load.requests.filter((r) => r.status === 503);
  expect(refused.length, `the overload was refused with 503: ${text}`).to.be.greaterThan(0);
  for (const r of refused) {
    expect(Number(r.retryAfter), 'Retry-After in seconds').to.be.at.least(1);
    const body = JSON.parse(r.head) as { error: { message: string; hint: string | null } };
    expect(body.error.message).to.match(
      /^(the API is at capacity|waited \d+ ms for a database session)/,
    );
    expect(body.error.hint).to.match(/try again in \d+ s/);
    expect(r.ms, `a refusal came within the queue timeout: ${text}`).to.be.below(
      QUEUE_TIMEOUT_MS + 2_000,
    );
  }
  // Under a flood some or none may be answered in the window; those that are came in bounds.
  for (const r of load.requests.filter((o) => o.status === 200)) {
    expect(r.head.startsWith('{"data":[{"bucket":"')).to.equal(true);
    expect(r.ms, `an answer came within queue timeout + statement bound: ${text}`).to.be.below(
      QUEUE_TIMEOUT_MS + statementBoundMs,
    );
  }
  expect(
    load.requests.filter((r) => r.status !== 200 && r.status !== 503),
    'no other outcome',
  ).to.deep.equal([]);
}

async function insertReadings(url: string, step: string): Promise<number> {
  return withClient(url, async (c) => {
    await c.query(
      `INSERT INTO reading
       SELECT g, 's' || (extract(epoch FROM g)::bigint % 3), random()
       FROM generate_series(now() - interval '70 days', now(), interval '${step}') g`,
    );
    await c.query('ANALYZE reading');
    return Number((await c.query('SELECT count(*) AS n FROM reading')).rows[0].n);
  });
}

/** Statements `serve` runs now, other than /health's. */
async function activeApiStatements(url: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE application_name = 'prism-migrate serve' AND state = 'active'`,
    );
    return rows[0].n as number;
  });
}

function project(): string {
  const dir = projectDir();
  writeFileSync(join(dir, 'prism.yaml'), SPEC_YAML);
  generateMigration({ spec: SPEC, migrationsDir: join(dir, 'migrations') });
  return dir;
}

describeNative(CURRENT_TSL, 'the REST API under heavy load', (server: NativeServer) => {
  let db: TestDatabase;
  let dir: string;
  const children: Spawned[] = [];
  before(async function () {
    this.timeout(300_000);
    db = await createNativeDatabase(server);
    dir = project();
    await migrate({ url: db.url, migrationsDir: join(dir, 'migrations'), direction: 'up' });
    const rows = await insertReadings(db.url, '1 minute');
    expect(rows).to.be.greaterThan(100_000);
  });
  after(async () => {
    for (const child of children) await child.stop('SIGKILL');
    await db?.dispose();
  });
  const serve = async (...args: string[]) => {
    const child = await startServe(dir, cleanEnv({ DATABASE_URL: db.url }), args);
    children.push(child);
    return child;
  };

  it('keeps /health within 1 s and answers the overload with 503 and Retry-After; the backlog goes with the clients', async function () {
    this.timeout(120_000);
    // One session: its heavy statements (with their parallel workers) keep a core busy on
    // the database side, and the rest of a small CI machine stays for everything else.
    const api = await serve(
      '--sessions',
      '1',
      '--queue-limit',
      '16',
      '--queue-timeout',
      String(QUEUE_TIMEOUT_MS),
      '--statement-timeout',
      String(STATEMENT_TIMEOUT_MS),
    );
    const load = await runLoad(api.base);
    expectBounded(load, STATEMENT_TIMEOUT_MS + 2_000);
    expect(
      load.health.filter((h) => h.database === 'ok').length,
      `on a server /health checks the database on a session of its own: ${summary(load)}`,
    ).to.be.greaterThan(load.health.length / 2);
    // Every client has hung up: their running statements are cancelled, none waits.
    const hungUp = performance.now();
    let active = await activeApiStatements(db.url);
    while (active > 0 && performance.now() - hungUp < 10_000) {
      await sleep(50);
      active = await activeApiStatements(db.url);
    }
    const drainedMs = performance.now() - hungUp;
    console.log(
      `      no statement of the API ran ${drainedMs.toFixed(0)} ms after the clients hung up`,
    );
    expect(active, 'statements left running after the clients hung up').to.equal(0);
    expect(drainedMs, 'the backlog was gone within 1.5 s').to.be.below(1_500);
    const r = await fetch(`${api.base}/health`);
    expect(await r.json()).to.deep.equal({ status: 'ok', database: 'ok' });
    expect((await fetch(`${api.base}${aggregatePath()}`)).status).to.equal(200);
  });

  it('cancels the statement of a client that disconnected', async function () {
    this.timeout(60_000);
    const api = await serve('--sessions', '2');
    const gone = new AbortController();
    const request = fetch(`${api.base}${aggregatePath()}`, { signal: gone.signal }).catch(
      () => 'aborted',
    );
    let active = 0;
    for (let i = 0; i < 100 && active === 0; i++) {
      await sleep(20);
      active = await activeApiStatements(db.url);
    }
    expect(active, 'the heavy statement ran').to.equal(1);
    gone.abort();
    expect(await request).to.equal('aborted');
    const hungUp = performance.now();
    while ((await activeApiStatements(db.url)) > 0 && performance.now() - hungUp < 10_000)
      await sleep(20);
    const ms = performance.now() - hungUp;
    console.log(`      cancelled ${ms.toFixed(0)} ms after the client hung up`);
    expect(ms, 'cancelled well before it would have ended').to.be.below(500);
    expect((await fetch(`${api.base}/health`)).status).to.equal(200);
  });

  it('applies --statement-timeout on a server (503)', async function () {
    this.timeout(60_000);
    const api = await serve('--statement-timeout', '100');
    const r = await fetch(`${api.base}${aggregatePath()}`);
    expect(r.status).to.equal(503);
    expect(await r.json()).to.deep.equal({
      error: { message: 'the query ran longer than the statement timeout', hint: null },
    });
    expect((await fetch(`${api.base}/health`)).status).to.equal(200);
  });
});

describe('the REST API on the embedded database under heavy load', function () {
  let dir: string;
  let api: (Spawned & { base: string }) | undefined;
  /** How long one heavy aggregate takes on the embedded database with no other load. */
  let singleMs = 0;

  before(async function () {
    this.timeout(300_000);
    dir = project();
    const db = await openDatabase(
      { kind: 'embedded', dataDir: join(dir, EMBEDDED_DIR) },
      { command: 'test' },
    );
    try {
      await migrate({ url: db.url, migrationsDir: join(dir, 'migrations'), direction: 'up' });
      expect(await insertReadings(db.url, '1 minute')).to.be.greaterThan(100_000);
    } finally {
      await db.close();
    }
    // No DATABASE_URL: `serve` opens the embedded database in the project directory.
    api = await startServe(dir, cleanEnv(), [
      '--queue-limit',
      '16',
      '--queue-timeout',
      String(QUEUE_TIMEOUT_MS),
    ]);
    const started = performance.now();
    const r = await fetch(`${api.base}${aggregatePath()}`);
    expect(r.status).to.equal(200);
    expect((await r.text()).startsWith('{"data":[{"bucket":"')).to.equal(true);
    singleMs = performance.now() - started;
    console.log(`      one heavy aggregate alone: ${singleMs.toFixed(0)} ms`);
  });
  after(async () => {
    await api?.stop('SIGKILL');
  });

  it('keeps /health within 1 s while the one session is busy, and answers the overload with 503 and Retry-After', async function () {
    this.timeout(180_000);
    const base = api!.base;
    const statementBoundMs = Math.max(3 * singleMs, 5_000);
    const load = await runLoad(base);
    expectBounded(load, statementBoundMs);
    expect(
      load.health.filter((h) => h.database === 'timeout').length,
      `the heavy requests kept the session busy, and /health said so instead of waiting: ${summary(load)}`,
    ).to.be.greaterThan(0);
    for (const h of load.health) expect(h.database).to.be.oneOf(['ok', 'timeout']);
    // The clients have hung up: the waiting requests went with them, and the statement
    // still running (the embedded database cannot cancel it) ends by itself.
    const hungUp = performance.now();
    let health = await (await fetch(`${base}/health`)).json();
    while (
      (health as { database: string }).database !== 'ok' &&
      performance.now() - hungUp < 2 * statementBoundMs
    ) {
      await sleep(100);
      health = await (await fetch(`${base}/health`)).json();
    }
    const drainedMs = performance.now() - hungUp;
    console.log(
      `      the session was free again ${drainedMs.toFixed(0)} ms after the clients hung up`,
    );
    expect(health).to.deep.equal({ status: 'ok', database: 'ok' });
    expect(drainedMs, 'no backlog ran after the clients hung up').to.be.below(statementBoundMs);
    expect((await fetch(`${base}${aggregatePath()}`)).status).to.equal(200);
  });
});
