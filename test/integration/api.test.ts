/**
 * The REST API over real HTTP, hostile parameters included: against the PostgreSQL server
 * (postgres dialect) and, in a new database where the first `up` creates TimescaleDB, on a
 * native TimescaleDB server with the Timescale License (timescale dialect).
 */
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../lib/api/server.js';
import type { Dialect } from '../../lib/query/index.js';
import { parseSpec } from '../../lib/spec/load.js';
import { migratedDatabase } from '../helpers/migrated.js';
import { runCli } from '../helpers/cli.js';
import { CLI, cleanEnv, freePort, spawnNode } from '../helpers/embedded-process.js';
import { createServerDatabase, tempDir, type TestDatabase } from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SPEC = parseSpec(
  readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8'),
  'datapoint.yaml',
).spec;

/** The API's tests on a new database from `create`, migrated and queried in `dialect`. */
function describeApi(create: () => Promise<TestDatabase>, dialect: Dialect): void {
  let db: TestDatabase;
  let client: pg.Client;
  let schema: string | undefined;
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    ({ db, client, schema } = await migratedDatabase(create, SPEC, dialect));
    await client.query(
      `INSERT INTO datapoint (id, "timestamp", source, value)
       SELECT gen_random_uuid(), timestamptz '2026-01-01 00:00+00' + g * interval '1 hour', 's' || (g % 3), g FROM generate_series(0, 71) g`,
    );
    app = buildApi({ spec: SPEC, client, dialect, schema });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app?.close();
    await client?.end();
    await db?.dispose();
  });

  const get = async (path: string) => {
    const r = await fetch(`${base}${path}`);
    return {
      status: r.status,
      body: (await r.json()) as { data?: Record<string, unknown>[]; error?: { message: string } },
    };
  };

  it('returns rows in a time range with filters, limit and order', async () => {
    const r = await get(
      '/api/datapoints?start=2026-01-01&end=2026-01-02&source=s1&order=desc&limit=3',
    );
    expect(r.status).to.equal(200);
    expect(r.body.data?.map((row) => row['timestamp'])).to.deep.equal([
      '2026-01-01T22:00:00.000Z',
      '2026-01-01T19:00:00.000Z',
      '2026-01-01T16:00:00.000Z',
    ]);
  });

  it('aggregates into buckets, with gap filling', async () => {
    const r = await get(
      '/api/datapoints/aggregate?bucket=1%20day&start=2026-01-01&end=2026-01-05&aggs=count,max&fields=value&gapfill=true',
    );
    expect(r.status).to.equal(200);
    expect(
      r.body.data?.map((row) => [row['bucket'], row['count_value'], row['max_value']]),
    ).to.deep.equal([
      ['2026-01-01T00:00:00.000Z', 24, 23],
      ['2026-01-02T00:00:00.000Z', 24, 47],
      ['2026-01-03T00:00:00.000Z', 24, 71],
      ['2026-01-04T00:00:00.000Z', 0, null],
    ]);
  });

  it('carries the last bucket forward with gapfill=locf and refuses other fill modes', async () => {
    const r = await get(
      '/api/datapoints/aggregate?bucket=1%20day&start=2026-01-02&end=2026-01-06&aggs=count,max&fields=value&gapfill=locf',
    );
    expect(r.status).to.equal(200);
    expect(
      r.body.data?.map((row) => [row['bucket'], row['count_value'], row['max_value']]),
    ).to.deep.equal([
      ['2026-01-02T00:00:00.000Z', 24, 47],
      ['2026-01-03T00:00:00.000Z', 24, 71],
      ['2026-01-04T00:00:00.000Z', 0, 71],
      ['2026-01-05T00:00:00.000Z', 0, 71],
    ]);
    const bad = await get(
      '/api/datapoints/aggregate?bucket=1%20day&start=2026-01-02&end=2026-01-06&gapfill=linear',
    );
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body)).to.include('parameter gapfill must be true, false or locf');
  });

  it('gives the latest row per segment key, or the latest matching row', async () => {
    const all = await get('/api/datapoints/latest');
    expect(all.body.data?.map((row) => [row['source'], row['value']])).to.deep.equal([
      ['s0', 69],
      ['s1', 70],
      ['s2', 71],
    ]);
    const one = await get('/api/datapoints/latest?source=s0');
    expect(one.body.data?.map((row) => row['value'])).to.deep.equal([69]);
  });

  it('ingests a JSON array and NDJSON, validating rows', async () => {
    const row = (n: number) => ({
      id: `00000000-0000-4000-8000-00000000000${n}`,
      timestamp: '2026-02-01T00:00:00Z',
      source: 'api',
      value: n,
    });
    const json = await fetch(`${base}/api/datapoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([row(1), row(2)]),
    });
    expect(json.status).to.equal(201);
    expect(await json.json()).to.deep.include({ data: { inserted: 2 } });
    const nd = await fetch(`${base}/api/datapoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify(row(3))}\n`,
    });
    expect(nd.status).to.equal(201);
    const bad = await fetch(`${base}/api/datapoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ ...row(4), value: 'NaN; DROP TABLE datapoint' }]),
    });
    expect(bad.status).to.equal(400);
    const count = (
      await client.query(`SELECT count(*)::int AS n FROM datapoint WHERE source = 'api'`)
    ).rows[0];
    expect(count).to.deep.equal({ n: 3 });
  });

  it('answers bad and hostile parameters with 400 naming them, and runs no SQL from them', async () => {
    const cases: [string, RegExp][] = [
      ['/api/datapoints?start=2026-01-01&end=2026-01-02&evil=1', /unknown parameter evil/],
      ['/api/datapoints?start=2026-01-01', /end is required/],
      ['/api/datapoints?start=2026-01-01&end=2026-01-02&limit=0', /limit must be a whole number/],
      [
        '/api/datapoints?start=2026-01-01&end=2026-01-02&order=sideways',
        /order must be asc or desc/,
      ],
      [
        "/api/datapoints?start=2026-01-01'%3B%20DROP%20TABLE%20datapoint%3B--&end=2026-01-02",
        /start must be an RFC 3339 timestamp/,
      ],
      ['/api/datapoints/aggregate?bucket=1%20fortnight&start=2026-01-01&end=2026-01-02', /bucket/],
      [
        '/api/datapoints/aggregate?bucket=1%20hour&start=2026-01-01&end=2026-01-02&aggs=median',
        /unknown aggregation "median"/,
      ],
      [
        '/api/datapoints/aggregate?bucket=1%20hour&start=2026-01-01&end=2026-01-02&bucket=2%20hours',
        /more than once/,
      ],
      ['/api/datapoints/latest?bucket=1%20hour', /does not apply to this endpoint/],
      [
        '/api/datapoints/latest?limit=2&source=s0',
        /limit applies to the latest row per segment key only/,
      ],
      ['/api/datapoints?start=2026-02-30&end=2026-03-05', /start must be an RFC 3339 timestamp/],
      ['/api/datapoints?start=0000-01-01&end=2026-03-05', /start must be an RFC 3339 timestamp/],
      ['/api/datapoints?start=2026-01-01T24:00:00Z&end=2026-03-05', /start must be/],
      [
        '/api/datapoints/aggregate?bucket=1%20day&start=2026-02-30&end=2026-03-05',
        /start must be an RFC 3339 timestamp/,
      ],
      [
        '/api/datapoints?start=2026-01-01&end=2026-01-02&timestamp=2026-02-30',
        /filter timestamp: expected a Date or an RFC 3339 timestamp/,
      ],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      expect(r.status, path).to.equal(400);
      expect(r.body.error?.message, path).to.match(message);
    }
    const injected = await get(
      "/api/datapoints?start=2026-01-01&end=2026-01-02&source=s1'%20OR%20'1'='1",
    );
    expect(injected.status).to.equal(200);
    expect(injected.body.data).to.deep.equal([]);
    expect((await client.query('SELECT count(*)::int AS n FROM datapoint')).rows[0]).to.deep.equal({
      n: 75,
    });
  });

  it('caps the latest rows per segment key with limit', async () => {
    const two = await get('/api/datapoints/latest?limit=2');
    expect(two.status).to.equal(200);
    expect(two.body.data?.map((row) => row['source'])).to.deep.equal(['api', 's0']);
    expect((two.body as { meta?: unknown }).meta).to.deep.equal({ count: 2, truncated: true });
    const all = await get('/api/datapoints/latest');
    expect((all.body as { meta?: unknown }).meta).to.deep.equal({ count: 4, truncated: false });
  });

  it('stores a POSTed batch whole or not at all, and answers database refusals with 4xx', async () => {
    const before = (await client.query('SELECT count(*)::int AS n FROM datapoint')).rows[0];
    const rows = Array.from({ length: 6_000 }, (_, i) => ({
      id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
      timestamp: new Date(Date.UTC(2026, 5, 1) + i * 60_000).toISOString(),
      source: 'batch',
      value: i,
    }));
    rows[5_500] = rows[10] as (typeof rows)[number]; // a duplicate key in the second batch of 5,000
    const post = (body: string, type = 'application/json') =>
      fetch(`${base}/api/datapoints`, { method: 'POST', headers: { 'content-type': type }, body });
    const duplicate = await post(JSON.stringify(rows));
    expect(duplicate.status).to.equal(409);
    expect(JSON.stringify(await duplicate.json())).to.include(
      'a row with this id and timestamp already exists',
    );
    const badDay = await post(JSON.stringify([{ ...rows[0], timestamp: '2026-02-30T00:00:00Z' }]));
    expect(badDay.status).to.equal(400);
    expect(JSON.stringify(await badDay.json())).to.include('field timestamp');
    const nul = await post(JSON.stringify([{ ...rows[0], metadata: { note: 'a\u0000b' } }]));
    expect(nul.status).to.equal(400);
    expect(JSON.stringify(await nul.json())).to.include('JSON without NUL characters');
    const tooMany = await post('{}\n'.repeat(50_001), 'application/x-ndjson');
    expect(tooMany.status).to.equal(400);
    expect(JSON.stringify(await tooMany.json())).to.include('at most 50000 rows per request');
    const tooLarge = await post('\n'.repeat(17 * 1024 * 1024), 'application/x-ndjson');
    expect(tooLarge.status).to.equal(413);
    const after = (await client.query('SELECT count(*)::int AS n FROM datapoint')).rows[0];
    expect(after).to.deep.equal(before);
    expect((await get('/health')).body).to.deep.equal({ status: 'ok', database: 'ok' });
  });

  it('describes itself in /openapi.json and answers /health', async () => {
    const doc = (await get('/openapi.json')).body as unknown as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).to.equal('3.1.0');
    expect(Object.keys(doc.paths)).to.include.members([
      '/api/datapoints',
      '/api/datapoints/aggregate',
      '/api/datapoints/latest',
      '/health',
      '/health/live',
    ]);
    expect((await get('/health')).body).to.deep.equal({ status: 'ok', database: 'ok' });
    expect((await get('/health/live')).body).to.deep.equal({ status: 'ok' });
  });

  it('over a pool, carries on after the database drops its session, and rolls back a failed POST', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1, idleTimeoutMillis: 0 });
    pool.on('error', () => undefined);
    const pooled = buildApi({ spec: SPEC, client: pool, dialect, schema });
    const url = await pooled.listen({ port: 0, host: '127.0.0.1' });
    try {
      const latest = async () => (await fetch(`${url}/api/datapoints/latest?source=s1`)).status;
      expect(await latest()).to.equal(200);
      const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      for (let i = 0; i < 50 && pool.idleCount > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(pool.idleCount, 'the pool noticed the dropped session').to.equal(0);
      expect(await latest()).to.equal(200);
      expect((await fetch(`${url}/health`)).status).to.equal(200);

      const row = (n: number) => ({
        id: `00000000-0000-4000-a000-${String(n).padStart(12, '0')}`,
        timestamp: '2026-07-01T00:00:00Z',
        source: 'pool',
        value: n,
      });
      const post = (rows: unknown[]) =>
        fetch(`${url}/api/datapoints`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(rows),
        });
      expect((await post([row(1), row(2), row(1)])).status).to.equal(409);
      expect((await post([row(1), row(2)])).status).to.equal(201);
      const n = await client.query(
        `SELECT count(*)::int AS n FROM datapoint WHERE source = 'pool'`,
      );
      expect(n.rows[0]).to.deep.equal({ n: 2 });
    } finally {
      await pooled.close();
      await pool.end();
      await client.query(`DELETE FROM datapoint WHERE source = 'pool'`);
    }
  });

  it('requires the bearer token when one is set, compared whole; /health public unless asked', async () => {
    const token = 'k7Qm2vX9pL4rT8wZ';
    const guarded = buildApi({ spec: SPEC, client, dialect, schema, token });
    const url = await guarded.listen({ port: 0, host: '127.0.0.1' });
    const status = async (path: string, authorization?: string) =>
      (await fetch(`${url}${path}`, { headers: authorization ? { authorization } : {} })).status;
    try {
      expect(await status('/api/datapoints/latest')).to.equal(401);
      expect(await status('/api/datapoints/latest', `Bearer ${token}`)).to.equal(200);
      expect(await status('/api/datapoints/latest', `Bearer ${token.slice(0, -1)}`)).to.equal(401);
      expect(await status('/api/datapoints/latest', `Bearer ${token}0`)).to.equal(401);
      expect(await status('/api/datapoints/latest?token=x', token)).to.equal(401);
      expect(await status('/health')).to.equal(200);
      expect(await status('/health?x=1')).to.equal(200);
      expect(await status('/health/live')).to.equal(200);
    } finally {
      await guarded.close();
    }
    const closed = buildApi({
      spec: SPEC,
      client,
      dialect,
      schema,
      token,
      healthRequiresToken: true,
    });
    const closedUrl = await closed.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect((await fetch(`${closedUrl}/health`)).status).to.equal(401);
      expect((await fetch(`${closedUrl}/health/live`)).status).to.equal(401);
      const r = await fetch(`${closedUrl}/health`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.status).to.equal(200);
      expect(await r.json()).to.deep.equal({ status: 'ok', database: 'ok' });
    } finally {
      await closed.close();
    }
    expect(() => buildApi({ spec: SPEC, client, dialect, schema, token: 's3cret' })).to.throw(
      'at least 16 are required',
    );
  });

  it('serve refuses a non-loopback host without PRISM_API_TOKEN, and blank or short tokens (exit 2)', async () => {
    const serve = (env: NodeJS.ProcessEnv, ...args: string[]) =>
      runCli(['--spec', resolve('spec/examples/datapoint.yaml'), 'serve', ...args], {
        cwd: tempDir(),
        env: { DATABASE_URL: db.url, ...env },
      });
    const noToken = await serve({ PRISM_API_TOKEN: undefined }, '--host', '0.0.0.0');
    expect(noToken.code).to.equal(2);
    expect(noToken.stderr).to.include('serving on 0.0.0.0 needs a token');
    for (const [token, message] of [
      ['', 'PRISM_API_TOKEN is blank'],
      [' ', 'PRISM_API_TOKEN is blank'],
      ['a', 'PRISM_API_TOKEN has 1 character(s); at least 16 are required'],
    ]) {
      const r = await serve({ PRISM_API_TOKEN: token }, '--port', '1');
      expect(r.code, JSON.stringify(token)).to.equal(2);
      expect(r.stderr).to.include(message);
      expect(r.stderr).to.include('hint:');
      expect(r.stderr).not.to.match(/\n\s+at /);
    }
    const healthOnly = await serve({ PRISM_API_TOKEN: undefined }, '--health-requires-token');
    expect(healthOnly.code).to.equal(2);
    expect(healthOnly.stderr).to.include('--health-requires-token needs PRISM_API_TOKEN');
  });

  it('serve says where it really listens: all IPv4 interfaces for 0.0.0.0', async function () {
    const port = await freePort();
    const child = spawnNode(
      tempDir(),
      [
        CLI,
        '--spec',
        resolve('spec/examples/datapoint.yaml'),
        'serve',
        '--host',
        '0.0.0.0',
        '--port',
        String(port),
      ],
      cleanEnv({ DATABASE_URL: db.url, PRISM_API_TOKEN: 'k7Qm2vX9pL4rT8wZ' }),
    );
    try {
      await child.waitFor(/listening on/, { timeoutMs: 30_000 });
      expect(child.stdout).to.include(
        `listening on all IPv4 interfaces, port ${port} (http://0.0.0.0:${port})`,
      );
      expect(child.stdout).not.to.include('http://127.0.0.1');
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await r.json()).to.deep.equal({ status: 'ok', database: 'ok' });
    } finally {
      await child.stop();
    }
  });
}

describe('the REST API (PostgreSQL server)', function () {
  this.timeout(60_000);
  describeApi(() => createServerDatabase(), 'postgres');
});

describeNative(CURRENT_TSL, 'the REST API in a new database', (server: NativeServer) => {
  describeApi(() => createNativeDatabase(server), 'timescale');
});
