/**
 * The embedded server in this process: SessionServer over a real PGlite/TimescaleDB
 * engine, driven by several `pg` clients at once and by psql (spawned asynchronously, since
 * the server runs on this event loop). Then a data directory reopened by a second engine.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import {
  closeEngine,
  EngineStoppedError,
  openEngine,
  type EmbeddedEngine,
  type OpenEngineOptions,
} from '../../lib/db/embedded/engine.js';
import { SessionServer, type SessionServerOptions } from '../../lib/db/embedded/server.js';
import { embeddedUrl } from '../../lib/db/open.js';
import { tempDir, withClient } from '../helpers/databases.js';
import { run, runPsql } from '../helpers/embedded-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects when `promise` has not settled within `ms`: a hang fails the test instead of stalling it. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${ms} ms (hung)`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function client(url: string, applicationName?: string): pg.Client {
  const c = new pg.Client({
    connectionString: url,
    ...(applicationName ? { application_name: applicationName } : {}),
  });
  c.on('error', () => undefined);
  return c;
}

/** The error a connect attempt ends with (fails the test when it connects). */
async function connectError(c: pg.Client): Promise<pg.DatabaseError> {
  try {
    await c.connect();
  } catch (error) {
    return error as pg.DatabaseError;
  }
  await c.end();
  throw new Error('the client connected, but it should have been refused');
}

async function psqlAvailable(): Promise<boolean> {
  try {
    return (await run('psql', ['--version'], { timeoutMs: 10_000 })).code === 0;
  } catch {
    return false;
  }
}

describe('embedded SessionServer (in-process, one PGlite session at a time)', function () {
  let root: string;
  let engine: EmbeddedEngine;
  let server: SessionServer;
  let url: string;
  let hasPsql = false;

  /** Another server over the same engine, with its own limits; used while `server` is idle. */
  async function withServer<T>(
    options: SessionServerOptions,
    work: (url: string) => Promise<T>,
  ): Promise<T> {
    const other = new SessionServer(engine, { ...options, port: 0 });
    const address = await other.start();
    try {
      return await work(embeddedUrl(address.host, address.port));
    } finally {
      await other.stop();
    }
  }

  before(async function () {
    root = tempDir('prism-server-');
    engine = await openEngine(join(root, 'db'));
    server = new SessionServer(engine, { port: 0 });
    const address = await server.start();
    url = embeddedUrl(address.host, address.port);
    hasPsql = await psqlAvailable();
  });

  after(async function () {
    await server?.stop();
    // The last client's reset runs when its socket's close event arrives; let it finish.
    await sleep(100);
    if (engine) await closeEngine(engine);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  describe('concurrent clients', function () {
    it('gives six concurrent clients one session each: transactions, SET values, temp tables and advisory locks never leak', async function () {
      await withClient(url, (c) =>
        c.query('CREATE TABLE conc (worker int NOT NULL, n int NOT NULL)'),
      );
      const WORKERS = 6;
      const ROLLS_BACK = 3;
      interface Seen {
        readonly worker: number;
        readonly from: number;
        readonly to: number;
        readonly atStart: {
          marker: string | null;
          app: string;
          timeout: string;
          advisory: number;
          temp: boolean;
          xact: string | null;
        };
        readonly inTxCount: number;
        readonly atEnd: { marker: string; app: string; timeout: string; advisory: number };
      }

      const work = async (worker: number): Promise<Seen> => {
        const c = client(url, `worker-${worker}`);
        await c.connect();
        const from = Date.now();
        try {
          const start = await c.query(
            `SELECT current_setting('prism.marker', true) AS marker,
                    current_setting('application_name') AS app,
                    current_setting('statement_timeout') AS timeout,
                    (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory') AS advisory,
                    to_regclass('pg_temp.scratch') IS NOT NULL AS temp,
                    pg_current_xact_id_if_assigned()::text AS xact`,
          );
          await c.query(`SET application_name = 'worker-${worker}'`);
          await c.query(`SET prism.marker = 'marker-${worker}'`);
          await c.query(`SET statement_timeout = '${(worker + 1) * 1000}'`);
          await c.query('CREATE TEMP TABLE scratch (x int)');
          await c.query('SELECT pg_advisory_lock(4242)');
          await c.query(`SELECT pg_advisory_lock($1)`, [1000 + worker]);
          await c.query('BEGIN');
          await c.query('INSERT INTO conc SELECT $1, n FROM generate_series(1, 100) n', [worker]);
          await c.query('SELECT pg_sleep(0.02)');
          await c.query('INSERT INTO conc SELECT $1, n FROM generate_series(101, 150) n', [worker]);
          const inTx = await c.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM conc WHERE worker = $1',
            [worker],
          );
          await c.query(worker === ROLLS_BACK ? 'ROLLBACK' : 'COMMIT');
          const end = await c.query(
            `SELECT current_setting('prism.marker') AS marker, current_setting('application_name') AS app,
                    current_setting('statement_timeout') AS timeout,
                    (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND granted) AS advisory`,
          );
          // Disconnects still holding its advisory locks, SET values and temp table.
          return {
            worker,
            from,
            to: Date.now(),
            atStart: start.rows[0],
            inTxCount: inTx.rows[0]!.n,
            atEnd: end.rows[0],
          };
        } finally {
          await c.end();
        }
      };

      const seen = await within(
        30_000,
        'six concurrent clients',
        Promise.all(Array.from({ length: WORKERS }, (_, i) => work(i))),
      );

      expect(seen).to.have.length(WORKERS);
      for (const s of seen) {
        const who = `worker ${s.worker}`;
        expect(s.atStart.marker ?? '', `${who} saw another client's SET`).to.equal('');
        expect(
          s.atStart.app.startsWith('worker-') && s.atStart.app !== `worker-${s.worker}`,
          `${who} saw application_name ${s.atStart.app}`,
        ).to.equal(false);
        expect(s.atStart.timeout, `${who} saw another client's statement_timeout`).to.equal('0');
        expect(s.atStart.advisory, `${who} saw another client's advisory locks`).to.equal(0);
        expect(s.atStart.temp, `${who} saw another client's temp table`).to.equal(false);
        expect(s.atStart.xact, `${who} started inside another client's transaction`).to.equal(null);
        expect(s.inTxCount, `${who} saw rows of another client's open transaction`).to.equal(150);
        expect(s.atEnd).to.deep.equal({
          marker: `marker-${s.worker}`,
          app: `worker-${s.worker}`,
          timeout: `${s.worker + 1}s`,
          advisory: 2,
        });
      }
      // One session at a time: no two clients' sessions overlapped.
      const byStart = [...seen].sort((a, b) => a.from - b.from);
      for (let i = 1; i < byStart.length; i += 1) {
        expect(
          byStart[i]!.from,
          `worker ${byStart[i]!.worker} ran while worker ${byStart[i - 1]!.worker} held the session`,
        ).to.be.at.least(byStart[i - 1]!.to);
      }

      await withClient(url, async (c) => {
        const counts = await c.query<{ worker: number; n: number }>(
          'SELECT worker, count(*)::int AS n FROM conc GROUP BY worker ORDER BY worker',
        );
        expect(counts.rows).to.deep.equal(
          Array.from({ length: WORKERS }, (_, worker) => ({ worker, n: 150 })).filter(
            (r) => r.worker !== ROLLS_BACK,
          ),
        );
        const clean = await c.query(
          `SELECT current_setting('prism.marker', true) AS marker,
                  current_setting('statement_timeout') AS timeout,
                  (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory') AS advisory,
                  to_regclass('pg_temp.scratch') IS NOT NULL AS temp,
                  current_setting('search_path') AS search_path`,
        );
        expect(clean.rows[0].marker ?? '').to.equal('');
        expect(clean.rows[0]).to.include({
          timeout: '0',
          advisory: 0,
          temp: false,
          search_path: '"$user", public',
        });
        // The lock every worker took is free for this session.
        const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(4242) AS ok');
        expect(lock.rows[0]!.ok).to.equal(true);
      });
    });

    it('a client left inside an open transaction is rolled back when it disconnects', async function () {
      await withClient(url, (c) => c.query('CREATE TABLE abandoned (id int)'));
      const a = client(url, 'abandoner');
      await a.connect();
      await a.query('BEGIN');
      await a.query('INSERT INTO abandoned SELECT generate_series(1, 10)');
      await a.end();
      await withClient(url, async (c) => {
        const r = await c.query<{ n: number; xact: string | null }>(
          'SELECT (SELECT count(*)::int FROM abandoned) AS n, pg_current_xact_id_if_assigned()::text AS xact',
        );
        expect(r.rows[0]).to.deep.equal({ n: 0, xact: null });
      });
    });

    it('applies the startup parameters of each client (application_name, options -c …) to its session', async function () {
      // PostgreSQL applies these at connection start; psql sends application_name=psql,
      // and PGOPTIONS / `options` are how clients set search_path or timeouts.
      for (const name of ['first-app', 'second-app']) {
        const c = new pg.Client({
          connectionString: url,
          application_name: name,
          options: '-c statement_timeout=4321',
        });
        await c.connect();
        try {
          const r = await c.query(
            "SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout",
          );
          expect(r.rows[0]).to.deep.equal({ app: name, timeout: '4321ms' });
        } finally {
          await c.end();
        }
      }
    });
  });

  describe('waiting for the session', function () {
    it('a client waiting longer than waitTimeoutMs gets an error naming the holder, and the holder keeps working', async function () {
      await withServer({ waitTimeoutMs: 500, maxWaiting: 4 }, async (limitedUrl) => {
        const holder = client(limitedUrl, 'holder-app');
        await holder.connect();
        try {
          await holder.query("SET application_name = 'holder-app'");
          const started = Date.now();
          const error = await within(
            10_000,
            'the waiting client',
            connectError(client(limitedUrl, 'waiter-app')),
          );
          const waited = Date.now() - started;
          expect(error.code).to.equal('53300');
          expect(error.message).to.match(
            /timed out after 500 ms waiting for the embedded database/,
          );
          // The holder is named (in the HINT field, which psql prints as "HINT:").
          expect(`${error.message}\n${error.hint ?? ''}`).to.include('holder-app');
          expect(waited).to.be.within(450, 5_000);
          const r = await holder.query<{ one: number }>('SELECT 1 AS one');
          expect(r.rows[0]!.one).to.equal(1);
        } finally {
          await holder.end();
        }
        // The timed-out client left nothing behind: the next one is served at once.
        const next = client(limitedUrl, 'next-app');
        await within(5_000, 'the next client', next.connect());
        await next.end();
      });
    });

    it('refuses a client at once when maxWaiting clients already wait, and serves the waiting one when the holder leaves', async function () {
      await withServer({ waitTimeoutMs: 10_000, maxWaiting: 1 }, async (limitedUrl) => {
        const holder = client(limitedUrl, 'busy-holder');
        await holder.connect();
        const waiter = client(limitedUrl, 'patient-waiter');
        let waiterConnected = false;
        const waiting = waiter.connect().then(() => (waiterConnected = true));
        try {
          await sleep(300);
          expect(waiterConnected, 'the waiter got the session while it was held').to.equal(false);
          const started = Date.now();
          const error = await within(
            5_000,
            'the refused client',
            connectError(client(limitedUrl, 'one-too-many')),
          );
          expect(Date.now() - started, 'the refusal should be immediate').to.be.below(2_000);
          expect(error.code).to.equal('53300');
          expect(error.message).to.match(
            /serves one session at a time and 1 clients are already waiting/,
          );
          expect(`${error.message}\n${error.hint ?? ''}`).to.include('busy-holder');
        } finally {
          await holder.end();
        }
        await within(5_000, 'the waiting client after the holder left', waiting);
        try {
          const r = await waiter.query<{ app: string }>("SELECT 'served' AS app");
          expect(r.rows[0]!.app).to.equal('served');
        } finally {
          await waiter.end();
        }
      });
    });
    it('keeps serving the queue while the holder runs a long statement: a refusal and a wait timeout both come before it ends', async function () {
      await withServer({ waitTimeoutMs: 500, maxWaiting: 1 }, async (limitedUrl) => {
        const holder = client(limitedUrl, 'sleeping-holder');
        await holder.connect();
        try {
          let holderDone = false;
          const statementStarted = Date.now();
          const statement = holder.query('SELECT pg_sleep(3)').then(() => (holderDone = true));
          await sleep(200);
          const waiter = connectError(client(limitedUrl, 'timed-out-waiter'));
          await sleep(100);
          const refused = await within(
            5_000,
            'the refused client',
            connectError(client(limitedUrl, 'one-too-many')),
          );
          expect(holderDone, 'the refusal came while the statement still ran').to.equal(false);
          expect(
            Date.now() - statementStarted,
            'refused well before the 3 s statement ended',
          ).to.be.below(2_000);
          expect(refused.code).to.equal('53300');
          expect(refused.message).to.match(/1 clients are already waiting/);
          expect(refused.hint).to.include('sleeping-holder');
          const timedOut = await within(5_000, 'the waiting client', waiter);
          expect(holderDone, 'the wait timed out while the statement still ran').to.equal(false);
          expect(timedOut.code).to.equal('53300');
          expect(timedOut.message).to.match(/timed out after 500 ms waiting/);
          expect(timedOut.hint).to.include('sleeping-holder');
          await within(10_000, 'the long statement', statement);
          expect(Date.now() - statementStarted, 'pg_sleep(3) really slept').to.be.at.least(2_900);
        } finally {
          await holder.end();
        }
      });
    });
  });

  describe('large messages', function () {
    it('inserts 200,000 rows in one statement with 200,000-element array parameters', async function () {
      const N = 200_000;
      const ids = Array.from({ length: N }, (_, i) => i + 1);
      const names = ids.map((i) => `row-${i}`);
      await withClient(url, async (c) => {
        await c.query('CREATE TABLE big (id int PRIMARY KEY, name text NOT NULL)');
        const inserted = await c.query(
          'INSERT INTO big SELECT * FROM unnest($1::int[], $2::text[])',
          [ids, names],
        );
        expect(inserted.rowCount).to.equal(N);
      });
      await withClient(url, async (c) => {
        const r = await c.query<{ n: number; s: string; names: number; last: string }>(
          'SELECT count(*)::int AS n, sum(id)::text AS s, count(DISTINCT name)::int AS names, max(name) FILTER (WHERE id = 200000) AS last FROM big',
        );
        expect(r.rows[0]).to.deep.equal({
          n: N,
          s: String((N * (N + 1)) / 2),
          names: N,
          last: 'row-200000',
        });
      });
    });
  });

  describe('psql', function () {
    beforeEach(function () {
      if (!hasPsql) this.skip();
    });

    it('connects with default settings: no SSL flags, no password prompt, stdin closed', async function () {
      const r = await runPsql(url, ['-tAc', 'select 1'], { timeoutMs: 20_000 });
      expect(r.signal, `psql hung: ${r.stderr}`).to.equal(null);
      expect(r.stderr).to.not.match(/password/i);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('1');
    });

    it('loads rows with \\copy … from stdin, and the connection and database stay usable', async function () {
      await withClient(url, (c) =>
        c.query('CREATE TABLE copied (id int PRIMARY KEY, name text NOT NULL)'),
      );
      const tsv = Array.from({ length: 5000 }, (_, i) => `${i + 1}\tname-${i + 1}`).join('\n');
      const script = [
        '\\copy copied from stdin',
        tsv,
        '\\.',
        '\\copy copied (id, name) from stdin with (format csv)',
        '5001,csv-a',
        '5002,"csv, b"',
        '\\.',
        // COPY inside a transaction that is rolled back leaves nothing.
        'begin;',
        '\\copy copied from stdin',
        '9999\trolled-back',
        '\\.',
        'rollback;',
        "select 'after-copy', count(*) from copied;",
        '',
      ].join('\n');
      const r = await runPsql(url, ['-X', '-v', 'ON_ERROR_STOP=1', '-tA'], {
        input: script,
        timeoutMs: 30_000,
      });
      expect(r.signal, `psql hung: ${r.stderr}`).to.equal(null);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('COPY 5000');
      expect(r.stdout).to.include('COPY 2');
      expect(r.stdout).to.include('after-copy|5002');
      await withClient(url, async (c) => {
        const rows = await c.query<{ n: number; b: string }>(
          'SELECT count(*)::int AS n, max(name) FILTER (WHERE id = 5002) AS b FROM copied',
        );
        expect(rows.rows[0]).to.deep.equal({ n: 5002, b: 'csv, b' });
      });
    });

    it('reports bad COPY data as an error, keeps the session usable, and serves the next client', async function () {
      await withClient(url, async (c) => {
        await c.query('CREATE TABLE strict_copy (id int PRIMARY KEY, name text NOT NULL)');
        await c.query("INSERT INTO strict_copy VALUES (1, 'one')");
      });
      // Without ON_ERROR_STOP psql goes on after the failed COPY, on the same connection.
      const script = [
        '\\copy strict_copy from stdin',
        'not-a-number\tx',
        '\\.',
        '\\copy strict_copy from stdin',
        '1\tduplicate',
        '\\.',
        "select 'still-here', count(*) from strict_copy;",
        '',
      ].join('\n');
      const r = await runPsql(url, ['-X', '-tA'], { input: script, timeoutMs: 30_000 });
      expect(r.signal, `psql hung: ${r.stderr}`).to.equal(null);
      expect(r.stderr).to.match(/invalid input syntax for type integer/);
      expect(r.stderr).to.match(/duplicate key value/);
      expect(r.stdout).to.include('still-here|1');

      // In a transaction, with ON_ERROR_STOP: psql stops with exit code 3.
      const inTx = [
        'begin;',
        "insert into strict_copy values (2, 'two');",
        '\\copy strict_copy from stdin',
        'bad\tdata',
        '\\.',
        'commit;',
        '',
      ].join('\n');
      const r2 = await runPsql(url, ['-X', '-v', 'ON_ERROR_STOP=1', '-tA'], {
        input: inTx,
        timeoutMs: 30_000,
      });
      expect(r2.signal, `psql hung: ${r2.stderr}`).to.equal(null);
      expect(r2.code).to.equal(3);
      expect(r2.stderr).to.match(/invalid input syntax for type integer/);

      // The next client is served, outside any transaction, and sees only committed rows.
      await within(
        10_000,
        'the next client',
        withClient(url, async (c) => {
          const after = await c.query<{ n: number; xact: string | null }>(
            'SELECT (SELECT count(*)::int FROM strict_copy) AS n, pg_current_xact_id_if_assigned()::text AS xact',
          );
          expect(after.rows[0]).to.deep.equal({ n: 1, xact: null });
          await c.query("INSERT INTO strict_copy VALUES (3, 'three')");
        }),
      );
      const r3 = await runPsql(url, ['-X', '-tAc', 'select count(*) from strict_copy'], {
        timeoutMs: 20_000,
      });
      expect(r3.code, r3.stderr).to.equal(0);
      expect(r3.stdout.trim()).to.equal('2');
    });
  });
});

describe('embedded engine reopened on the same data directory', function () {
  let root: string;
  let dataDir: string;
  let engine: EmbeddedEngine | undefined;
  let before1: { n: number; total: string; compressed: number };

  before(async function () {
    root = tempDir('prism-reopen-');
    dataDir = join(root, 'db');
    const first = await openEngine(dataDir);
    try {
      await first.exec(`
        CREATE TABLE readings (time timestamptz NOT NULL, device int NOT NULL, value double precision NOT NULL);
        SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'));
        ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'device', timescaledb.compress_orderby = 'time');
        INSERT INTO readings
          SELECT t, d, d * 1000 + extract(epoch FROM t - timestamptz '2024-01-01 00:00:00+00') / 3600
          FROM generate_series(timestamptz '2024-01-01 00:00:00+00', timestamptz '2024-01-30 23:00:00+00', INTERVAL '1 hour') t,
               generate_series(1, 3) d;
      `);
      const compressed = await first.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM (SELECT compress_chunk(c) FROM show_chunks('readings') c) x",
      );
      expect(compressed.rows[0]!.n).to.equal(30);
      const r = await first.query<{ n: number; total: string; compressed: number }>(
        `SELECT (SELECT count(*)::int FROM readings) AS n, (SELECT sum(value)::text FROM readings) AS total,
                (SELECT count(*)::int FROM timescaledb_information.chunks WHERE hypertable_name = 'readings' AND is_compressed) AS compressed`,
      );
      before1 = r.rows[0]!;
      expect(before1.n).to.equal(30 * 24 * 3);
      expect(before1.compressed).to.equal(30);
    } finally {
      await closeEngine(first);
    }
  });

  after(async function () {
    if (engine) await closeEngine(engine);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('keeps the "timescale" licence, so compression and retention policies can be added to a new hypertable', async function () {
    engine = await openEngine(dataDir);
    const licence = await engine.query<{ licence: string }>(
      "SELECT current_setting('timescaledb.license') AS licence",
    );
    expect(licence.rows[0]!.licence).to.equal('timescale');
    await engine.exec(`
      CREATE TABLE events (time timestamptz NOT NULL, kind text NOT NULL, n int NOT NULL);
      SELECT create_hypertable('events', by_range('time', INTERVAL '7 days'));
      ALTER TABLE events SET (timescaledb.compress, timescaledb.compress_segmentby = 'kind');
    `);
    const compression = await engine.query<{ job: number }>(
      "SELECT add_compression_policy('events', INTERVAL '14 days') AS job",
    );
    const retention = await engine.query<{ job: number }>(
      "SELECT add_retention_policy('events', INTERVAL '90 days') AS job",
    );
    expect(compression.rows[0]!.job).to.be.greaterThan(0);
    expect(retention.rows[0]!.job).to.be.greaterThan(0);
    const jobs = await engine.query<{ proc_name: string }>(
      "SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name = 'events' ORDER BY proc_name",
    );
    expect(jobs.rows.map((j) => j.proc_name)).to.deep.equal([
      'policy_compression',
      'policy_retention',
    ]);
  });

  it('reads back the rows compressed by the previous process', async function () {
    engine ??= await openEngine(dataDir);
    const r = await engine.query<{ n: number; total: string; compressed: number }>(
      `SELECT (SELECT count(*)::int FROM readings) AS n, (SELECT sum(value)::text FROM readings) AS total,
              (SELECT count(*)::int FROM timescaledb_information.chunks WHERE hypertable_name = 'readings' AND is_compressed) AS compressed`,
    );
    expect(r.rows[0]).to.deep.equal(before1);
    const oneDay = await engine.query<{ n: number; devices: number }>(
      "SELECT count(*)::int AS n, count(DISTINCT device)::int AS devices FROM readings WHERE time >= '2024-01-15 00:00:00+00' AND time < '2024-01-16 00:00:00+00'",
    );
    expect(oneDay.rows[0]).to.deep.equal({ n: 72, devices: 3 });
  });
});

describe('the embedded engine dying under the server', function () {
  this.timeout(180_000);
  let root: string;

  before(() => {
    root = tempDir('prism-engine-death-');
  });
  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A server with an idle holder and a waiting client when `kill` ends the engine. */
  async function expectServerStops(
    name: string,
    options: OpenEngineOptions,
    kill: (engine: EmbeddedEngine) => Promise<Error>,
    failure: RegExp,
  ): Promise<void> {
    const engine = await openEngine(join(root, name), options);
    const failures: Error[] = [];
    const server = new SessionServer(engine, {
      port: 0,
      waitTimeoutMs: 60_000,
      onEngineFailure: (error) => failures.push(error),
    });
    const address = await server.start();
    const url = embeddedUrl(address.host, address.port);
    const holder = client(url, 'idle-holder');
    try {
      await holder.connect();
      const holderError = new Promise<pg.DatabaseError>((resolve) =>
        holder.on('error', (e) => resolve(e as pg.DatabaseError)),
      );
      const waiter = connectError(client(url, 'waiter'));
      await sleep(200);
      const killed = await kill(engine);
      expect(killed.message).to.match(failure);
      const [held, waited] = await within(
        10_000,
        'the refusals',
        Promise.all([holderError, waiter]),
      );
      for (const refused of [held, waited]) {
        expect(refused.code).to.equal('57P01');
        expect(refused.message).to.match(/^the embedded database engine stopped: /);
        expect(refused.message).to.match(failure);
      }
      expect(failures.length, 'onEngineFailure was called once').to.equal(1);
      expect(failures[0]!.message).to.match(failure);
      const later = await within(10_000, 'a later client', connectError(client(url, 'later')));
      expect(later.code).to.equal('57P01');
      expect(later.hint).to.match(/committed rows are kept/);
    } finally {
      await holder.end().catch(() => undefined);
      await server.stop();
      await closeEngine(engine);
    }
    expect(engine.closed).to.equal(true);
  }

  it('a WebAssembly trap refuses the holder, the waiting and every later client, and reports it once', async function () {
    await expectServerStops(
      'trap',
      {},
      async (engine) => {
        // What PGlite does with COPY data sent over its protocol: the instance traps.
        const sql = Buffer.from('COPY pg_class FROM STDIN\0');
        const message = Buffer.alloc(5 + sql.length);
        message.write('Q', 0, 'latin1');
        message.writeInt32BE(4 + sql.length, 1);
        sql.copy(message, 5);
        const error = await engine.execProtocolRaw(message).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(error?.name).to.equal('RuntimeError');
        return error as Error;
      },
      /unreachable/,
    );
  });

  it('its thread running out of memory does the same; the process lives on', async function () {
    await expectServerStops(
      'oom',
      { resourceLimits: { maxOldGenerationSizeMb: 48 } },
      async (engine) => {
        const error = await engine
          .query('SELECT g, g::text AS t FROM generate_series(1, 3000000) g')
          .then(
            () => undefined,
            (e: Error) => e,
          );
        expect(error).to.be.instanceOf(EngineStoppedError);
        return error as Error;
      },
      /out of memory/,
    );
  });
});
