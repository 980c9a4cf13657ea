/**
 * `serve`'s close() when its database stops answering without closing its connections (a
 * hung host, a network partition): the server seen through a proxy that stops forwarding
 * (test/helpers/stalling-proxy.ts). Neither a /health probe nor a read still waiting on
 * the database may keep close() waiting, and such a read ends with 503.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { serve, type RunningApi } from '../../lib/index.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import { createServerDatabase, tempDir, type TestDatabase } from '../helpers/databases.js';
import { startStallingProxy, type StallingProxy } from '../helpers/stalling-proxy.js';

const SPEC = parseSpec(
  readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8'),
  'datapoint.yaml',
).spec;
const RANGE = '/api/datapoints?start=2026-01-01&end=2026-01-02';
/** How long close() may take here: its grace and a little more, far below any timeout. */
const CLOSE_MS = 10_000;

/** `promise`'s value, or 'late' when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function getJson(api: RunningApi, path: string) {
  const port = (api.addresses[0] as { port: number }).port;
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('serve closes although its database stopped answering (PostgreSQL server)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let proxy: StallingProxy;
  let api: RunningApi;

  before(async () => {
    db = await createServerDatabase();
    const dir = join(tempDir(), 'migrations');
    generateMigration({ spec: SPEC, migrationsDir: dir });
    await migrate({ url: db.url, migrationsDir: dir, direction: 'up' });
  });
  after(async () => db?.dispose());

  beforeEach(async () => {
    const url = new URL(db.url);
    proxy = await startStallingProxy(Number(url.port));
    url.port = String(proxy.port);
    api = await serve({
      databaseUrl: url.toString(),
      spec: SPEC,
      port: 0,
      host: '127.0.0.1',
      statementTimeoutMs: 1_000,
      healthTimeoutMs: 200,
    });
    expect((await getJson(api, '/health')).body).to.deep.equal({ status: 'ok', database: 'ok' });
    // A data session connected before the stall: a read then waits on its query.
    expect((await getJson(api, RANGE)).status).to.equal(200);
    proxy.stall();
  });

  /** Closes the API within CLOSE_MS, or fails saying so once the proxy let it finish. */
  const closesInTime = async () => {
    const closing = api.close();
    const closed = await within(closing, CLOSE_MS);
    await proxy.close();
    await closing;
    expect(closed, `close() took more than ${CLOSE_MS} ms`).not.to.equal('late');
  };

  it('does not wait for a /health probe the database never answers', async () => {
    const health = await getJson(api, '/health');
    expect(health.status).to.equal(503);
    expect(health.body['database']).to.equal('timeout');
    // The probe still waits on the control session.
    await closesInTime();
  });

  it('ends a read the database never answers with 503, and closes meanwhile', async () => {
    const started = Date.now();
    const read = getJson(api, RANGE);
    while (proxy.held() === 0) await new Promise((r) => setTimeout(r, 20));
    await closesInTime();
    const answer = await read;
    expect(answer.status).to.equal(503);
    expect(Date.now() - started).to.be.below(CLOSE_MS);
  });
});
