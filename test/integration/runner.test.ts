/** The runner's account of failures, and what it refuses. */
import { resolve } from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../lib/errors.js';
import { migrate, migrationStatus, MigrationFailedError } from '../../lib/runner/migrate.js';
import { createServerDatabase, withClient, type TestDatabase } from '../helpers/databases.js';
import {
  createNativeDatabase,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const OUTSIDE = resolve('test/fixtures/migrations/outside-transaction');
const EVERY = resolve('test/fixtures/migrations/every-operation');

describe('the runner', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createServerDatabase();
  });
  afterEach(async () => db?.dispose());

  it('says when a failed migration ran outside a transaction, and which ones this run kept', async () => {
    let failure: unknown;
    await migrate({ url: db.url, migrationsDir: OUTSIDE, direction: 'up' }).catch(
      (e: unknown) => (failure = e),
    );
    expect(failure).to.be.instanceOf(MigrationFailedError);
    const message = (failure as Error).message;
    expect(message).to.match(/^migration 2000_no-transaction \(up\) failed: division by zero/);
    expect(message).to.include(
      'it ran outside a transaction (pgm.noTransaction()): its statements before the failing one stay applied',
    );
    expect(message).to.include('applied before it in this run, and kept: 1000_first');
    const tables = await withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            `SELECT to_regclass('public.kept')::text AS k, to_regclass('public.half')::text AS h`,
          )
        ).rows[0],
    );
    expect(tables).to.deep.equal({ k: 'kept', h: 'half' });
  });

  it('reads the same files as status (a README beside the migrations is no migration)', async () => {
    const states = await migrationStatus(db.url, OUTSIDE);
    expect(states.map((s) => s.name)).to.deep.equal(['1000_first', '2000_no-transaction']);
  });

  it('refuses a count below 1 instead of reverting everything', async () => {
    await migrate({ url: db.url, migrationsDir: EVERY, direction: 'up', count: 2 });
    for (const count of [0, Number.NaN, -1]) {
      let failure: unknown;
      await migrate({ url: db.url, migrationsDir: EVERY, direction: 'down', count }).catch(
        (e: unknown) => (failure = e),
      );
      expect(failure, String(count)).to.be.instanceOf(UsageError);
    }
    const applied = await withClient(
      db.url,
      async (c) => (await c.query('SELECT count(*)::int AS n FROM pgmigrations')).rows[0],
    );
    expect(applied).to.deep.equal({ n: 2 });
  });

  it('names the migration whose up function threw, not the one before it', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { tempDir } = await import('../helpers/databases.js');
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      `${dir}/1_a.js`,
      "export function up(pgm) { pgm.createTable('a', { id: 'int' }); }\n",
    );
    writeFileSync(
      `${dir}/2_b.js`,
      "import { readFileSync } from 'node:fs';\nexport function up() { readFileSync('/nonexistent/file'); }\n",
    );
    writeFileSync(`${dir}/package.json`, '{"type":"module"}');
    let failure: unknown;
    await migrate({ url: db.url, migrationsDir: dir, direction: 'up' }).catch(
      (e: unknown) => (failure = e),
    );
    expect((failure as Error).message).to.match(/^migration 2_b \(up\) failed: ENOENT/);
    expect((failure as Error).message).to.include('applied before it in this run, and kept: 1_a');
  });

  it('runs a migration that lost a deadlock again, as a policy job can make one lose', () =>
    loseDeadlockOnce(db, "pgm.sql('SELECT 1');"));
});

/**
 * A migration that takes table a, then (after another session has taken b) b: the other
 * session, waiting for a, makes a deadlock that the migration loses (its
 * deadlock_timeout is shorter); `up` runs it again. `first` is its first step.
 */
async function loseDeadlockOnce(db: TestDatabase, first: string): Promise<void> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { tempDir } = await import('../helpers/databases.js');
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/package.json`, '{"type":"module"}');
  writeFileSync(
    `${dir}/1_tables.js`,
    "export function up(pgm) { pgm.sql('CREATE TABLE a (v int); CREATE TABLE b (v int); CREATE TABLE m (time timestamptz NOT NULL)'); }\n",
  );
  writeFileSync(
    `${dir}/2_both.js`,
    `export function up(pgm) { ${first} pgm.sql('LOCK TABLE a; SELECT pg_sleep(0.3); LOCK TABLE b; INSERT INTO b VALUES (2)'); }\n`,
  );
  await migrate({ url: db.url, migrationsDir: dir, direction: 'up', count: 1 });
  const other = new (await import('pg')).default.Client({ connectionString: db.url });
  await other.connect();
  const logs: string[] = [];
  try {
    await other.query("SET deadlock_timeout = '10s'");
    await other.query('BEGIN');
    await other.query('LOCK TABLE b');
    const running = migrate({
      url: db.url,
      migrationsDir: dir,
      direction: 'up',
      log: (l) => logs.push(l),
    });
    // Once the migration holds a, ask for it: a deadlock.
    for (let i = 0; i < 200; i += 1) {
      const held = await other.query(
        `SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
          WHERE c.relname = 'a' AND l.granted AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()`,
      );
      if (held.rowCount) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Waits for a until the migration has lost the deadlock and rolled back.
    await other.query('LOCK TABLE a');
    await other.query('INSERT INTO b VALUES (1)');
    await other.query('COMMIT');
    const runs = await running;
    expect(runs.map((r) => r.name)).to.deep.equal(['2_both']);
  } finally {
    await other.end();
  }
  expect(logs.join('\n')).to.include(
    '2_both (up) deadlocked with another session (such as a TimescaleDB policy job on the same table) and was rolled back; running it again (attempt 2 of 4)',
  );
  const rows = await withClient(
    db.url,
    async (c) => (await c.query('SELECT array_agg(v ORDER BY v) AS v FROM b')).rows[0],
  );
  expect(rows).to.deep.equal({ v: [1, 2] });
}

for (const before213 of [false, true]) {
  describeNative(
    { license: 'timescale', before213 },
    'a migration creating TimescaleDB that loses a deadlock',
    (server: NativeServer) => {
      let db: TestDatabase;
      before(async () => {
        db = await createNativeDatabase(server);
      });
      after(async () => db?.dispose());

      // A session that loaded the library and rolled the extension back cannot create it
      // again on 2.12: the migration runs again in a new session.
      it('runs again in a new session and creates it', async () => {
        await loseDeadlockOnce(db, "pgm.createHypertable('m', { timeColumn: 'time' });");
        const state = await withClient(
          db.url,
          async (c) =>
            (
              await c.query(
                `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS v,
                        (SELECT count(*)::int FROM timescaledb_information.hypertables WHERE hypertable_name = 'm') AS h`,
              )
            ).rows[0],
        );
        expect(state).to.deep.equal({ v: server.version, h: 1 });
      });
    },
  );
}
