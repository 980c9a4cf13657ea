/**
 * insertMany by COPY against insertMany by unnest: the same rows of every field type (NULLs,
 * text with tabs, newlines, backslashes and characters beyond U+FFFF, arrays with NULL
 * elements and quotes, bytea, json, naive timestamps, sql_type columns, defaults left out)
 * go into two tables of the same shape, one by each method, and the tables must hold the
 * same rows, compared as PostgreSQL prints them. Also all or none per call: a refused row
 * at 40,000 of 50,000, or a row the database refuses (a duplicate key, a failed check) half
 * way through a COPY, leaves no row — on a client, on a pool and inside the caller's
 * transaction — and the API's POST of such an NDJSON body answers 400 or 409 and stores
 * nothing. On native TimescaleDB 2.28.3 and plain PostgreSQL; on the embedded database
 * (where `auto` uses unnest) a large batch goes in, and fails as a whole.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { buildApi } from '../../lib/api/server.js';
import { DatabaseError, UsageError } from '../../lib/errors.js';
import { generateMigration } from '../../lib/generate/generate.js';
import {
  createRepository,
  detectDialect,
  insertMany,
  type IngestMethod,
  type Row,
  type RowSource,
} from '../../lib/query/index.js';
import { migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Model } from '../../lib/spec/types.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const FIELDS = `
      - { name: seq, type: int }
      - { name: at, type: datetime }
      - { name: id, type: uuid, optional: true }
      - { name: label, type: string, max_length: 40, optional: true }
      - { name: body, type: text, optional: true }
      - { name: n, type: int, optional: true }
      - { name: big, type: bigint, optional: true }
      - { name: sm, type: smallint, default: 7 }
      - { name: f, type: float, optional: true }
      - { name: r, type: real, optional: true }
      - { name: d, type: double, optional: true }
      - { name: amount, type: decimal, precision: 12, scale: 3, optional: true }
      - { name: ok, type: boolean, default: true }
      - { name: naive, type: timestamp, optional: true }
      - { name: day, type: date, optional: true }
      - { name: clock, type: time, optional: true }
      - { name: doc, type: json, optional: true }
      - { name: blob, type: bytea, optional: true }
      - { name: ip, type: inet, default: 10.0.0.1 }
      - { name: kind, type: enum, values: [a, b, "c d"], default: a }
      - { name: tags, type: text, array: true, default: "{}" }
      - { name: ints, type: int, array: true, optional: true }
      - { name: stamps, type: timestamp, array: true, optional: true }
      - { name: times, type: datetime, array: true, optional: true }
      - { name: blobs, type: bytea, array: true, optional: true }
      - { name: docs, type: json, array: true, optional: true }
      - { name: amounts, type: decimal, precision: 10, scale: 2, array: true, optional: true }
      - { name: span, sql_type: interval, optional: true }
      - { name: nets, sql_type: "cidr[]", optional: true }
      - { name: pos, sql_type: positive_int, optional: true }
      - { name: tsv, sql_type: tsvector, optional: true }`;

const SPEC_TEXT = `
models:
  - name: ByCopy
    table: by_copy
    fields:${FIELDS}
    timeseries: { time_column: at, chunk_interval: 1 week }
  - name: ByUnnest
    table: by_unnest
    fields:${FIELDS}
    timeseries: { time_column: at, chunk_interval: 1 week }
  - name: Reading
    table: reading
    fields:
      - { name: time, type: datetime }
      - { name: source, type: string, max_length: 32 }
      - { name: value, type: double }
    timeseries:
      time_column: time
      chunk_interval: 1 day
      indexes:
        - { columns: [source, time], unique: true }
  - name: Keyed
    table: keyed
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: pos, sql_type: positive_int }
  - name: Coded
    table: coded
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: code, sql_type: short_code, optional: true }
      - { name: codes, sql_type: "short_code[]", optional: true }
`;

const SETUP =
  'CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0); CREATE DOMAIN short_code AS varchar(3)';

const TEXTS = [
  '',
  'tab\there',
  'line\nbreak\r\nand CR\r',
  'back\\slash \\N \\. \\\\',
  '\\N',
  '\\.',
  'ünïcødé ✓ 😀 𝄞',
  'quotes " and \' and {braces}, commas',
  'NULL',
];

/** Row i: every type, with NULLs, edge texts and defaulted fields left out in turns. */
function sampleRow(i: number, leaveOut: boolean): Row {
  const t = TEXTS[i % TEXTS.length] as string;
  const row: Row = {
    seq: i,
    at: i % 3 === 0 ? new Date(Date.UTC(2026, 0, 1) + i * 60_000) : `2026-01-0${(i % 9) + 1}`,
    id: i % 4 === 0 ? null : `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    label: i % 5 === 0 ? null : t.slice(0, 40),
    body: i % 7 === 0 ? null : `${t}|${i}`,
    n: i % 2 === 0 ? -2147483648 + i : 2147483647 - i,
    big: i % 3 === 0 ? 2n ** 63n - 1n : i % 3 === 1 ? '-9223372036854775808' : i,
    f: i % 6 === 0 ? null : Math.PI * i,
    r: 0.1 * i,
    d: i % 2 === 0 ? 1e-300 * i : -1.7976931348623157e308 / (i + 1),
    amount: i % 3 === 0 ? '12345.6789' : i % 3 === 1 ? -0.5 * i : null,
    naive:
      i % 3 === 0
        ? `2026-03-04T05:06:07.${String(i).padStart(6, '0').slice(0, 6)}`
        : i % 3 === 1
          ? new Date(2026, 1, 28, 23, 59, 59, i % 1000)
          : '2024-02-29',
    day: i % 4 === 3 ? null : i % 2 === 0 ? '2026-12-31' : new Date(Date.UTC(2026, 5, 1)),
    clock: i % 3 === 0 ? '24:00' : i % 3 === 1 ? '23:59:60' : '08:30:15.123456',
    doc:
      i % 5 === 0
        ? null
        : { text: t, n: i, nested: [1, 'two', { three: null }], 'key\twith\\tab': true },
    blob:
      i % 4 === 0
        ? Buffer.from(Array.from({ length: 256 }, (_, b) => b))
        : i % 4 === 1
          ? Buffer.from(t)
          : i % 4 === 2
            ? 'AP8+/w=='
            : null,
    ints: i % 3 === 0 ? [1, null, -3] : i % 3 === 1 ? [] : null,
    stamps: i % 2 === 0 ? ['2026-01-01T01:02:03', null] : null,
    times: i % 2 === 1 ? [new Date(Date.UTC(2026, 0, 1)), '2026-06-01T12:00:00+02:00'] : null,
    blobs: i % 2 === 0 ? [Buffer.from('hi\\'), null, 'AP8='] : null,
    docs: i % 3 === 0 ? [{ a: t }, [1, 'x"'], null, 'str\n'] : null,
    amounts: i % 2 === 0 ? ['12.345', -1, null] : null,
    span: i % 2 === 0 ? '1 day 02:00:00' : null,
    nets: i % 2 === 0 ? '{10.0.0.0/8,NULL,"::1/128"}' : null,
    pos: i % 3 === 0 ? String(i + 1) : null,
    tsv: i % 2 === 0 ? "a fat cat's \\ tab\tx" : null,
  };
  if (!leaveOut) {
    Object.assign(row, {
      sm: i % 2 === 0 ? 32767 : -32768,
      ok: i % 2 === 0,
      ip: i % 2 === 0 ? '192.168.0.1/24' : '::ffff:1.2.3.4',
      kind: i % 2 === 0 ? 'c d' : 'b',
      tags: i % 2 === 0 ? [t, null, 'a"b', 'c\\d', 'NULL', '', '{x}', 'tab\tnl\n'] : [],
    });
  } else if (i % 3 === 0) {
    // Defaulted fields left out in different patterns: separate column lists.
    Object.assign(row, { sm: undefined, kind: 'b' });
  }
  return row;
}

/** Rows as PostgreSQL prints them, by seq. */
async function printed(client: pg.ClientBase, table: string): Promise<string[]> {
  const { rows } = await client.query<{ r: string }>(
    `SELECT t::text AS r FROM ${table} t ORDER BY seq`,
  );
  return rows.map((r) => r.r);
}

async function count(client: pg.ClientBase, table: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

function readings(n: number): Row[] {
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => ({
    time: new Date(start + i * 1000),
    source: `s${i % 10}`,
    value: i / 3,
  }));
}

async function refusal(work: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await work;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a refusal');
}

function suite(make: () => Promise<TestDatabase>, embedded: boolean): void {
  const spec = parseSpec(SPEC_TEXT, 'prism.yaml').spec;
  const model = (name: string) => spec.models.find((m) => m.name === name) as Model;
  let db: TestDatabase;
  let client: pg.Client;

  before(async function () {
    this.timeout(300_000);
    db = await make();
    const dir = join(tempDir('prism-query-copy-'), 'migrations');
    mkdirSync(dir, { recursive: true });
    await withClient(db.url, (c) => c.query(SETUP));
    generateMigration({ spec, migrationsDir: dir, now: new Date(Date.UTC(2026, 0, 1)) });
    await withClient(db.url, (c) =>
      migrate({ url: db.url, client: c, migrationsDir: dir, direction: 'up' }),
    );
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await db?.dispose();
  });
  beforeEach(async () => {
    await client.query('TRUNCATE by_copy, by_unnest, reading, keyed, coded');
  });

  const methods: IngestMethod[] = embedded ? ['unnest'] : ['copy', 'unnest'];

  if (!embedded) {
    it('a pool session the server ends half way through COPY fails the call, stores none, and the process goes on', async function () {
      this.timeout(120_000);
      const app = 'prism-copy-ended';
      const pool = new pg.Pool({ connectionString: db.url, max: 1, application_name: app });
      try {
        const call = refusal(
          insertMany(pool, model('Reading'), readings(400_000), { ingest: 'copy' }),
        );
        let ended = false;
        for (let i = 0; i < 1_000 && !ended; i += 1) {
          const r = await client.query(
            `SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity
              WHERE application_name = $1 AND query LIKE 'COPY%' AND state = 'active'`,
            [app],
          );
          ended = (r.rowCount ?? 0) > 0;
          if (!ended) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(ended, 'the COPY was seen running and ended').to.equal(true);
        // Unheard, the ended session's 'error' event would have ended this process.
        expect(await call).to.be.instanceOf(Error);
      } finally {
        await pool.end();
      }
      expect(await count(client, 'reading')).to.equal(0);
    });

    it('COPY and unnest store the same rows of every type', async function () {
      this.timeout(120_000);
      const mixed = Array.from({ length: 300 }, (_, i) => sampleRow(i, i % 2 === 1));
      const uniform = Array.from({ length: 200 }, (_, i) => sampleRow(1000 + i, false));
      for (const rows of [mixed, uniform]) {
        expect(await insertMany(client, model('ByCopy'), rows, { ingest: 'copy' })).to.equal(
          rows.length,
        );
        expect(await insertMany(client, model('ByUnnest'), rows, { ingest: 'unnest' })).to.equal(
          rows.length,
        );
      }
      const copied = await printed(client, 'by_copy');
      expect(copied).to.have.length(500);
      expect(copied).to.deep.equal(await printed(client, 'by_unnest'));
      // The defaults were filled where rows left them out, and the edge texts arrived whole.
      const { rows } = await client.query<Row>(
        'SELECT seq, sm, kind, body, tags FROM by_copy WHERE seq IN (1, 3, 1000, 1003) ORDER BY seq',
      );
      expect(rows).to.deep.equal([
        { seq: 1, sm: 7, kind: 'a', body: 'tab\there|1', tags: [] },
        { seq: 3, sm: 7, kind: 'b', body: 'back\\slash \\N \\. \\\\|3', tags: [] },
        {
          seq: 1000,
          sm: 32767,
          kind: 'c d',
          body: 'tab\there|1000',
          tags: ['tab\there', null, 'a"b', 'c\\d', 'NULL', '', '{x}', 'tab\tnl\n'],
        },
        {
          seq: 1003,
          sm: -32768,
          kind: 'b',
          body: '\\N|1003',
          tags: [],
        },
      ]);
    });
  }

  it('a large batch goes in by auto', async function () {
    this.timeout(120_000);
    const repo = createRepository(client, model('Reading'), await detectDialect(client));
    expect(await repo.insertMany(readings(50_000))).to.equal(50_000);
    expect(await count(client, 'reading')).to.equal(50_000);
  });

  for (const ingest of methods) {
    it(`${ingest}: a refused row at 40,000 of 50,000 stores none, on a client, a pool and in a transaction`, async function () {
      this.timeout(120_000);
      const rows = readings(50_000);
      rows[40_000] = { ...rows[40_000], value: 'x' };
      const expected = 'row 40000: field value: expected a finite number, got "x"';
      const onClient = await refusal(insertMany(client, model('Reading'), rows, { ingest }));
      expect(onClient).to.be.instanceOf(UsageError);
      expect(onClient.message).to.equal(expected);
      expect(await count(client, 'reading')).to.equal(0);
      // A client that is still usable.
      expect((await client.query('SELECT 1 AS one')).rows).to.deep.equal([{ one: 1 }]);

      const pool = new pg.Pool({ connectionString: db.url, max: 1 });
      try {
        const onPool = await refusal(insertMany(pool, model('Reading'), rows, { ingest }));
        expect(onPool.message).to.equal(expected);
      } finally {
        await pool.end();
      }
      expect(await count(client, 'reading')).to.equal(0);

      // Inside the caller's transaction: refused before anything was stored, the
      // transaction goes on (as when validation refused rows before any statement).
      await client.query('BEGIN');
      try {
        const others = readings(10).map((r) => ({ ...r, source: 'other' }));
        await insertMany(client, model('Reading'), others, { ingest });
        const inTx = await refusal(insertMany(client, model('Reading'), rows, { ingest }));
        expect(inTx.message).to.equal(expected);
        expect(await count(client, 'reading')).to.equal(10);
      } finally {
        await client.query('ROLLBACK');
      }
      expect(await count(client, 'reading')).to.equal(0);
    });

    it(`${ingest}: a row the database refuses half way stores none, with the database's error`, async function () {
      this.timeout(120_000);
      const keyed = Array.from({ length: 50_000 }, (_, i) => ({ id: i, pos: String(i + 1) }));
      const duplicate = [...keyed];
      duplicate[40_000] = { id: 7, pos: '1' };
      const dup = await refusal(insertMany(client, model('Keyed'), duplicate, { ingest }));
      expect(dup.code).to.equal('23505');
      expect(await count(client, 'keyed')).to.equal(0);

      const unchecked = [...keyed];
      unchecked[40_000] = { id: 40_000, pos: '0' };
      const check = await refusal(insertMany(client, model('Keyed'), unchecked, { ingest }));
      expect(check.code).to.equal('23514');
      expect(await count(client, 'keyed')).to.equal(0);

      // Inside the caller's transaction the error is not hidden: the transaction failed.
      await client.query('BEGIN');
      try {
        const inTx = await refusal(insertMany(client, model('Keyed'), duplicate, { ingest }));
        expect(inTx.code).to.equal('23505');
        expect((await refusal(client.query('SELECT 1'))).code).to.equal('25P02');
      } finally {
        await client.query('ROLLBACK');
      }
      expect(await count(client, 'keyed')).to.equal(0);
    });
  }

  if (!embedded) {
    it('auto inserts where COPY would differ: row-level security, an INSTEAD rule, a view', async function () {
      this.timeout(120_000);
      const role = `prism_rls_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const guarded = parseSpec(
        `models:\n  - name: Guarded\n    table: guarded\n    fields:\n      - { name: id, type: int }\n      - { name: note, type: string, optional: true }\n`,
        'prism.yaml',
      ).spec.models[0] as Model;
      const onTable = (table: string): Model => ({ ...guarded, table });
      const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, note: `n${i}` }));
      await client.query(`
        CREATE TABLE guarded (id integer NOT NULL, note varchar(10));
        ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
        CREATE POLICY anyone ON guarded FOR ALL USING (true) WITH CHECK (id >= 0);
        CREATE ROLE "${role}";
        GRANT INSERT, SELECT ON guarded TO "${role}";
        CREATE TABLE ruled (id integer NOT NULL, note varchar(10));
        CREATE TABLE ruled_log (id integer NOT NULL, note varchar(10));
        CREATE RULE redirect AS ON INSERT TO ruled DO INSTEAD INSERT INTO ruled_log VALUES (NEW.id, NEW.note);
        CREATE VIEW viewed AS SELECT id, note FROM ruled_log;`);
      const app = new pg.Client({ connectionString: db.url });
      await app.connect();
      try {
        await app.query(`SET ROLE "${role}"`);
        // A role under a permissive policy: COPY FROM is refused it (0A000); the policy holds.
        expect(await insertMany(app, onTable('guarded'), rows(1_000))).to.equal(1_000);
        const refused = await refusal(
          insertMany(app, onTable('guarded'), [...rows(1_500), { id: -1 }]),
        );
        expect(refused.code).to.equal('42501');
        expect(await count(client, 'guarded')).to.equal(1_000);
        // The rule runs (COPY would skip it and store into ruled); a view takes INSERT only.
        await insertMany(client, onTable('ruled'), rows(1_000));
        expect(await count(client, 'ruled')).to.equal(0);
        expect(await count(client, 'ruled_log')).to.equal(1_000);
        expect(await insertMany(client, onTable('viewed'), rows(1_200))).to.equal(1_200);
        expect(await count(client, 'ruled_log')).to.equal(2_200);
      } finally {
        await app.end();
        await client.query(
          `DROP VIEW viewed; DROP TABLE guarded, ruled, ruled_log; DROP OWNED BY "${role}"; DROP ROLE "${role}"`,
        );
      }
    });

    it('a client runs one call at a time; a transaction that did not commit is an error', async function () {
      this.timeout(120_000);
      // Rows leaving out different defaulted fields: several statements in one transaction.
      const good = Array.from({ length: 1_000 }, (_, i) => sampleRow(i, true));
      const bad = Array.from({ length: 1_000 }, (_, i) => sampleRow(5_000 + i, true));
      bad[900] = { ...bad[900], pos: '0' };
      const [first, second] = await Promise.allSettled([
        insertMany(client, model('ByCopy'), good),
        insertMany(client, model('ByCopy'), bad),
      ]);
      expect(first).to.deep.equal({ status: 'fulfilled', value: 1_000 });
      expect(second?.status).to.equal('rejected');
      const reason = (second as PromiseRejectedResult).reason as Error;
      expect(reason).to.be.instanceOf(UsageError);
      expect(reason.message).to.match(/insertMany needs it alone/);
      expect(await count(client, 'by_copy')).to.equal(1_000);

      // Another user of the session fails the transaction just before COMMIT.
      const shared = new pg.Client({ connectionString: db.url });
      await shared.connect();
      try {
        const query = shared.query.bind(shared) as (...args: unknown[]) => Promise<unknown>;
        // COPY takes the stream query() returns: only COMMIT is wrapped in a promise.
        (shared as unknown as { query: typeof query }).query = (...args: unknown[]) =>
          args[0] === 'COMMIT'
            ? query('SELECT 1/0')
                .catch(() => undefined)
                .then(() => query(...args))
            : query(...args);
        const lost = await refusal(insertMany(shared, model('ByCopy'), good));
        expect(lost).to.be.instanceOf(DatabaseError);
        expect(lost.message).to.match(/not stored.*ROLLBACK/);
      } finally {
        await shared.end();
      }
      expect(await count(client, 'by_copy')).to.equal(1_000);
    });

    it('COPY stops making rows once the server refused one', async function () {
      this.timeout(120_000);
      const total = 500_000;
      let made = 0;
      const source: RowSource = {
        length: total,
        row(i) {
          made += 1;
          return { id: i === 10 ? 3 : i, pos: String(i + 1) };
        },
      };
      const dup = await refusal(insertMany(client, model('Keyed'), source, { ingest: 'copy' }));
      expect(dup.code).to.equal('23505');
      expect(made).to.be.below(total / 2);
      expect(await count(client, 'keyed')).to.equal(0);
    });
  }

  for (const ingest of methods) {
    it(`${ingest}: an sql_type's length is enforced as on assignment, not cut`, async function () {
      const coded = model('Coded');
      for (const row of [
        { id: 1, code: 'abcdef' },
        { id: 1, codes: '{ab,abcdef}' },
      ]) {
        const refused = await refusal(insertMany(client, coded, [row], { ingest }));
        expect(refused.code).to.equal('22001');
      }
      const ok = { id: 2, code: 'abc', codes: '{ab,NULL}' };
      expect(await insertMany(client, coded, [ok], { ingest })).to.equal(1);
      const { rows } = await client.query('SELECT id, code, codes::text FROM coded');
      expect(rows).to.deep.equal([ok]);
    });

    it(`${ingest}: a Date before year 1 and a bad batchSize are refused`, async function () {
      const early = new Date(Date.UTC(2026, 0, 1));
      early.setUTCFullYear(-1);
      const rows = [...readings(3), { ...readings(1)[0], time: early }];
      const refused = await refusal(insertMany(client, model('Reading'), rows, { ingest }));
      expect(refused.message).to.equal(
        'row 3: field time: expected a valid Date from year 1 to 9999, got a Date in year -1',
      );
      for (const batchSize of [Number.NaN, 0, -1, 1.5]) {
        const bad = await refusal(
          insertMany(client, model('Reading'), readings(10), { ingest, batchSize }),
        );
        expect(bad).to.be.instanceOf(UsageError);
        expect(bad.message).to.equal('batchSize must be a whole number of at least 1');
      }
      expect(await count(client, 'reading')).to.equal(0);
    });
  }

  for (const size of [10, 2_000]) {
    it(`POST of ${size} NDJSON lines: the first refused line in order is reported`, async function () {
      this.timeout(60_000);
      const { dialect, schema } = await detectDialect(client);
      const app = buildApi({ spec, client, dialect, schema });
      try {
        const lines = readings(size).map((r) => JSON.stringify(r));
        lines[1] = JSON.stringify({ time: '2026-01-01T00:00:00Z', source: 's', value: 'x' });
        lines[size - 2] = '{"time": ';
        const res = await app.inject({
          method: 'POST',
          url: '/api/readings',
          headers: { 'content-type': 'application/x-ndjson' },
          payload: lines.join('\n'),
        });
        expect(res.statusCode).to.equal(400, res.body);
        expect(res.json().error.message).to.equal(
          'line 2: field value: expected a finite number, got "x"',
        );
        expect(await count(client, 'reading')).to.equal(0);
      } finally {
        await app.close();
      }
    });
  }

  it('POST of 50,000 NDJSON rows: stored; with a bad row at 40,000 400 and none stored', async function () {
    this.timeout(120_000);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const { dialect, schema } = await detectDialect(client);
    // The embedded database serves one session, which `client` holds.
    const app = buildApi({ spec, client: embedded ? client : pool, dialect, schema });
    try {
      const lines = readings(50_000).map((r) => JSON.stringify(r));
      const post = (body: string) =>
        app.inject({
          method: 'POST',
          url: '/api/readings',
          headers: { 'content-type': 'application/x-ndjson' },
          payload: body,
        });
      const bad = [...lines];
      bad[40_000] = JSON.stringify({ time: '2026-01-01T00:00:00Z', source: 's', value: 'x' });
      const refused = await post(bad.join('\n'));
      expect(refused.statusCode).to.equal(400, refused.body);
      expect(refused.json().error.message).to.equal(
        'line 40001: field value: expected a finite number, got "x"',
      );
      expect(await count(client, 'reading')).to.equal(0);

      // Lines are parsed as the rows are sent: a broken line late in the body stores none.
      const broken = [...lines];
      broken[40_000] = '{"time": "2026-01-01T00:00:00Z",';
      const unparsed = await post(broken.join('\n'));
      expect(unparsed.statusCode).to.equal(400, unparsed.body);
      expect(unparsed.json().error.message).to.match(/^line 40001: not valid JSON: /);
      expect(await count(client, 'reading')).to.equal(0);

      const dup = [...lines];
      dup[40_000] = lines[3] as string;
      const conflict = await post(dup.join('\n'));
      expect(conflict.statusCode).to.equal(409, conflict.body);
      expect(conflict.json().error.message).to.equal(
        'a row with this source and time already exists',
      );
      expect(await count(client, 'reading')).to.equal(0);

      const stored = await post(lines.join('\n'));
      expect(stored.statusCode).to.equal(201);
      expect(stored.json()).to.deep.equal({ data: { inserted: 50_000 }, meta: {} });
      expect(await count(client, 'reading')).to.equal(50_000);
    } finally {
      await app.close();
      await pool.end();
    }
  });
}

describeNative(CURRENT_TSL, 'insertMany by COPY', (server: NativeServer) => {
  suite(() => createNativeDatabase(server), false);
});

describe('insertMany by COPY on PostgreSQL without TimescaleDB', () => {
  suite(() => createServerDatabase('prism_copy'), false);
});

describe('insertMany on the embedded database (unnest)', () => {
  suite(createEmbeddedDatabase, true);
});
