/**
 * The REST API's errors over real HTTP: one shape for every status (Fastify's and Node's
 * HTTP parser's included), refusals that say what is wrong and where, no internal
 * constraint or chunk names, nothing stored from a refused body, and `truncated` on range
 * responses. On the embedded database, native TimescaleDB and plain PostgreSQL.
 */
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../lib/api/server.js';
import type { Dialect } from '../../lib/query/index.js';
import { parseSpec } from '../../lib/spec/load.js';
import { migratedDatabase } from '../helpers/migrated.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  type TestDatabase,
} from '../helpers/databases.js';
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

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { error?: { message: string; hint: string | null }; [key: string]: unknown };
}

/** The one error shape, exactly: `{ error: { message, hint } }` and nothing else. */
function expectErrorShape(answer: Answer, status: number, message: string | RegExp): void {
  expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
  expect(Object.keys(answer.body)).to.deep.equal(['error']);
  expect(Object.keys(answer.body.error ?? {})).to.deep.equal(['message', 'hint']);
  const text = answer.body.error?.message;
  if (typeof message === 'string') expect(text).to.equal(message);
  else expect(text).to.match(message);
}

/** Sends raw bytes and reads the whole answer until the server closes the connection. */
function rawHttp(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolveAnswer, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('utf8')));
    socket.on('close', () => resolveAnswer(data));
    socket.on('error', reject);
  });
}

function describeApiErrors(create: () => Promise<TestDatabase>, dialect: Dialect): void {
  let db: TestDatabase;
  let client: pg.Client;
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    let schema: string | undefined;
    ({ db, client, schema } = await migratedDatabase(create, SPEC, dialect));
    // 72 hourly rows on 2026-01-01..03, and 10,001 rows a minute apart in 2027.
    await client.query(
      `INSERT INTO datapoint (id, "timestamp", source, value)
       SELECT gen_random_uuid(), timestamptz '2026-01-01 00:00+00' + g * interval '1 hour', 's' || (g % 3), g
         FROM generate_series(0, 71) g`,
    );
    await client.query(
      `INSERT INTO datapoint (id, "timestamp", source, value)
       SELECT gen_random_uuid(), timestamptz '2027-01-01 00:00+00' + g * interval '1 minute', 'many', g
         FROM generate_series(1, 10001) g`,
    );
    app = buildApi({ spec: SPEC, client, dialect, schema });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app?.close();
    await client?.end();
    await db?.dispose();
  });

  const answer = async (response: Response): Promise<Answer> => ({
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Answer['body'],
  });
  const get = async (path: string, init?: RequestInit) =>
    answer(await fetch(`${base}${path}`, init));
  const post = async (body: string | Uint8Array, type = 'application/json') =>
    answer(
      await fetch(`${base}/api/datapoints`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      }),
    );
  const count = async (): Promise<number> =>
    (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM datapoint')).rows[0]
      ?.n as number;
  const row = (n: number, extra: Record<string, unknown> = {}) => ({
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    timestamp: '2026-03-01T00:00:00Z',
    source: 'errors',
    value: n,
    ...extra,
  });

  it('answers unknown routes 404 and a wrong method 405, in its error shape', async () => {
    const missing = await get('/api/nothings?start=2026-01-01');
    expectErrorShape(missing, 404, 'no route GET /api/nothings');
    expect(missing.body.error?.hint).to.include('/api/datapoints/aggregate');
    const wrong = await get('/api/datapoints', { method: 'DELETE' });
    expectErrorShape(wrong, 405, '/api/datapoints does not take DELETE');
    expect(wrong.headers.get('allow')).to.equal('GET, POST');
    expectErrorShape(await get('/api/%zz'), 400, /^the URL is not valid/);
  });

  it('answers 413, 415 and 431, and a request that is not HTTP, in its error shape', async () => {
    const before = await count();
    expectErrorShape(
      await post('\n'.repeat(17 * 1024 * 1024), 'application/x-ndjson'),
      413,
      'the body is larger than 16 MiB',
    );
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      expectErrorShape(
        await post(JSON.stringify([row(1)]), type),
        415,
        `the content type "${type}" is not accepted`,
      );
    }
    expectErrorShape(
      await post(JSON.stringify([row(1)]), 'application/json; charset=iso-8859-1'),
      415,
      'the charset "iso-8859-1" is not accepted',
    );
    expectErrorShape(
      await get('/api/datapoints/latest', { headers: { 'x-filler': 'x'.repeat(20_000) } }),
      431,
      "the request's headers are larger than 16 KiB",
    );
    const raw = await rawHttp(base, 'NOT HTTP AT ALL\r\n\r\n');
    expect(raw).to.match(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).to.deep.equal({
      error: { message: 'the request is not valid HTTP/1.1', hint: null },
    });
    expect(await count()).to.equal(before);
    expect((await get('/health')).status, 'still serving').to.equal(200);
  });

  it('answers a duplicate key 409 naming the key fields, never a constraint or a chunk', async () => {
    expect((await post(JSON.stringify([row(1)]))).status).to.equal(201);
    const before = await count();
    const again = await post(JSON.stringify([row(2), row(1)]));
    expectErrorShape(again, 409, 'a row with this id and timestamp already exists');
    expect(again.body.error?.hint).to.equal(
      '(id, timestamp) = (00000000-0000-4000-8000-000000000001, 2026-03-01 00:00:00+00); no row of this request was stored',
    );
    // A duplicate within one batch, which TimescaleDB meets in the chunk's own index.
    const twice = await post(JSON.stringify([row(3), row(4), row(3)]));
    expectErrorShape(twice, 409, 'a row with this id and timestamp already exists');
    for (const refused of [again, twice]) {
      expect(JSON.stringify(refused.body)).to.not.match(/pkey|_hyper_|chunk|constraint|unique/i);
    }
    expect(await count()).to.equal(before);
  });

  it('says which NDJSON line or JSON row is wrong and why, stores nothing of it', async () => {
    const before = await count();
    const line = (value: unknown) => JSON.stringify(value);
    const cases: [string, string, string | RegExp][] = [
      [
        `${line(row(10))}\n${line(row(11))}\n[1, 2]\n`,
        'application/x-ndjson',
        'line 3: expected an object, got an array',
      ],
      [`${line(row(10))}\nnull\n`, 'application/x-ndjson', 'line 2: expected an object, got null'],
      [`${line(row(10))}\n\n{"id": }\n`, 'application/x-ndjson', /^line 3: not valid JSON: /],
      [
        `${line(row(10))}\n${line(row(11, { value: 'high' }))}\n`,
        'application/x-ndjson',
        'line 2: field value: expected a finite number, got "high"',
      ],
      [`[${line(row(10))}, []]`, 'application/json', 'row 1: expected an object, got an array'],
      [line(row(10)), 'application/json', 'the body must be a JSON array of rows, got an object'],
      [
        `[{"__proto__": {"admin": true}}]`,
        'application/json',
        'row 0: the key "__proto__" is not accepted',
      ],
      [
        `[${line(row(10))}, {"constructor": {"prototype": {"admin": true}}}]`,
        'application/json',
        'row 1: the key "constructor" is not accepted',
      ],
      [
        line(row(10, { metadata: { tags: [{ constructor: { prototype: 1 } }] } })),
        'application/x-ndjson',
        'line 1: field metadata.tags[0]: the key "constructor" is not accepted',
      ],
    ];
    for (const [body, type, message] of cases)
      expectErrorShape(await post(body, type), 400, message);
    expect(await count()).to.equal(before);
    expect(({} as Record<string, unknown>)['admin']).to.equal(undefined);
  });

  it('refuses lone surrogates, escaped or raw, naming the field or line; stores no U+FFFD', async () => {
    const before = await count();
    const escaped = JSON.stringify([row(20), row(21, { source: 'PLACE' })]).replace(
      '"PLACE"',
      '"a\\ud800b"',
    );
    expectErrorShape(
      await post(escaped),
      400,
      'row 1: field source: holds a lone surrogate (\\ud800), which is not text',
    );
    const nested = `${JSON.stringify(row(20))}\n${JSON.stringify(row(21, { metadata: { note: 'PLACE' } })).replace('"PLACE"', '"\\udfff"')}\n`;
    expectErrorShape(
      await post(nested, 'application/x-ndjson'),
      400,
      'line 2: field metadata.note: holds a lone surrogate (\\udfff), which is not text',
    );
    // U+D800 written as UTF-8 bytes (ED A0 80): not UTF-8, refused before parsing.
    const [head, tail] =
      `${JSON.stringify(row(20))}\n${JSON.stringify(row(21, { source: 'PLACE' }))}\n`.split(
        'PLACE',
      ) as [string, string];
    const raw = Buffer.concat([
      Buffer.from(head),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from(tail),
    ]);
    const at = head.length - head.lastIndexOf('\n');
    expectErrorShape(
      await post(raw, 'application/x-ndjson'),
      400,
      `line 2, byte ${at}: the body is not UTF-8 (an encoded lone surrogate or a broken sequence)`,
    );
    expectErrorShape(
      await post(raw, 'application/json'),
      400,
      /^line 2, byte \d+: the body is not UTF-8/,
    );
    expect(await count()).to.equal(before);
    // A proper pair is one character beyond U+FFFF and is stored as it is.
    expect((await post(JSON.stringify([row(22, { source: 'pair 😀' })]))).status).to.equal(201);
    const stored = await client.query<{ source: string }>(
      `SELECT source FROM datapoint WHERE source LIKE 'pair%' OR strpos(source, chr(65533)) > 0`,
    );
    expect(stored.rows).to.deep.equal([{ source: 'pair 😀' }]);
  });

  it('says truncated on range responses as on latest, the cap of 10,000 included', async () => {
    const range = (query: string) => get(`/api/datapoints?start=2027-01-01&end=2028-01-01${query}`);
    const meta = (a: Answer) => [(a.body['data'] as unknown[]).length, a.body['meta']];
    expect(meta(await range('&limit=3'))).to.deep.equal([3, { count: 3, truncated: true }]);
    expect(meta(await range(''))).to.deep.equal([1000, { count: 1000, truncated: true }]);
    expect(meta(await range('&limit=20000'))).to.deep.equal([
      10_000,
      { count: 10_000, truncated: true },
    ]);
    const small = await get('/api/datapoints?start=2026-01-01&end=2026-01-02&limit=25');
    expect(meta(small)).to.deep.equal([24, { count: 24, truncated: false }]);
    const latest = await get('/api/datapoints/latest?limit=1');
    expect(latest.body['meta']).to.deep.equal({ count: 1, truncated: true });
  });

  it('documents the error shape, truncated and the statuses in /openapi.json', async () => {
    const doc = (await get('/openapi.json')).body as unknown as {
      paths: Record<
        string,
        Record<
          string,
          {
            responses: Record<string, unknown>;
            parameters?: { name: string; description: string }[];
          }
        >
      >;
    };
    const range = doc.paths['/api/datapoints'];
    expect(Object.keys(range?.['post']?.responses ?? {})).to.include.members([
      '400',
      '409',
      '413',
      '415',
    ]);
    expect(JSON.stringify(range?.['get']?.responses['200'])).to.include('truncated');
    expect(range?.['get']?.parameters?.find((p) => p.name === 'limit')?.description).to.include(
      'capped',
    );
  });
}

describe('the REST API’s errors (PostgreSQL server)', function () {
  this.timeout(120_000);
  describeApiErrors(() => createServerDatabase(), 'postgres');
});

describe('the REST API’s errors (embedded TimescaleDB)', function () {
  this.timeout(300_000);
  describeApiErrors(() => createEmbeddedDatabase(), 'timescale');
});

describeNative(CURRENT_TSL, 'the REST API’s errors in a new database', (server: NativeServer) => {
  describeApiErrors(() => createNativeDatabase(server), 'timescale');
});
