/**
 * Closing the API while requests are under way, without a database: fake sessions stand in
 * for pg's, holding a request at a known point.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { buildApi } from '../../../lib/api/server.js';
import { ApiSessions } from '../../../lib/api/sessions.js';
import type { Queryable } from '../../../lib/query/repository.js';
import { parseSpec } from '../../../lib/spec/load.js';

const SPEC = parseSpec(
  readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8'),
  'datapoint.yaml',
).spec;

/** A promise and the function that settles it. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

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

describe('ApiSessions on a pool', () => {
  it('takes a checked-out session that loses its connection as broken, not as a crash', async () => {
    // As pg's client does when its connection ends: 'error' on the client, then the
    // statement under way fails.
    const session = Object.assign(new EventEmitter(), {
      released: [] as unknown[],
      query: () => new Promise<never>(() => undefined),
      release(error?: Error) {
        this.released.push(error);
      },
    });
    const pool = { totalCount: 1, options: { max: 1 }, connect: async () => session };
    const sessions = new ApiSessions({ client: pool as unknown as Queryable });
    const lost = new Error('Connection terminated unexpectedly');
    const entered = deferred();
    const failed = sessions
      .use(async () => {
        entered.resolve();
        await new Promise((r) => setImmediate(r));
        throw lost;
      })
      .catch((e: unknown) => e);
    await entered.promise;
    session.emit('error', lost);
    expect(await failed).to.equal(lost);
    expect(session.released, 'released as broken, so that the pool closes it').to.deep.equal([
      lost,
    ]);
    expect(session.listenerCount('error'), 'no listener left on the released session').to.equal(0);
  });
});

describe('closing the API', () => {
  it('ends the connection of an answer under way instead of keeping it alive', async () => {
    const probing = deferred();
    const answer = deferred<{ rows: never[] }>();
    const control = {
      query: () => {
        probing.resolve();
        return answer.promise;
      },
    };
    const app = buildApi({
      spec: SPEC,
      client: {} as Queryable,
      control: control as unknown as Queryable,
      dialect: 'postgres',
      healthTimeoutMs: 10_000,
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const health = fetch(`${base}/health`);
    await probing.promise;
    const closing = app.close();
    // Closing has begun once the server stops listening; then the probe answers.
    while (app.server.listening) await new Promise((r) => setImmediate(r));
    answer.resolve({ rows: [] });
    const r = await health;
    expect(r.status).to.equal(200);
    expect(r.headers.get('connection')).to.equal('close');
    expect(await r.json()).to.deep.equal({ status: 'ok', database: 'ok' });
    // Kept alive, the connection would hold close() for the keep-alive timeout (72 s).
    expect(await within(closing, 5_000)).not.to.equal('late');
  });

  it('cuts a connection whose request never arrives whole', async () => {
    const app = buildApi({ spec: SPEC, client: {} as Queryable, dialect: 'postgres' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const cut = new Promise<void>((r) => socket.once('close', () => r()));
    // The headers, but never the blank line that ends them.
    await new Promise<void>((r) =>
      socket.write('GET /health/live HTTP/1.1\r\nHost: a\r\n', () => r()),
    );
    const closing = app.close();
    const closed = await within(closing, 5_000);
    socket.destroy();
    await closing;
    expect(closed, 'close() waited for the request to arrive').not.to.equal('late');
    await cut;
  });

  it('ends the connection of an answer already streaming once it is sent', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000),
      source: 's',
      value: i,
    }));
    const client = { query: async () => ({ rows }) };
    const app = buildApi({
      spec: SPEC,
      client: client as unknown as Queryable,
      dialect: 'postgres',
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const r = await fetch(`${base}/api/datapoints?start=2026-01-01&end=2026-02-01`);
    // The headers are out, with keep-alive; the rows are still being written.
    expect(r.headers.get('connection')).to.equal('keep-alive');
    const closing = app.close();
    const body = (await r.json()) as { data: unknown[] };
    expect(body.data).to.have.length(rows.length);
    expect(await within(closing, 5_000)).not.to.equal('late');
  });
});
