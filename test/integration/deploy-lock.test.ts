/**
 * Deploys at once, through the real CLI: two `up`s against one database, deploys that
 * wait for the migration lock and name who holds it, a deploy killed with -9 whose
 * session lingers, and commands meeting an embedded server whose one session another
 * client holds. On PostgreSQL 15, native TimescaleDB 2.28.3 and the embedded database.
 * Needs `npx tsc` first (bin/prism-migrate.js imports dist/).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { PG_MIGRATE_LOCK_ID } from 'node-pg-migrate';
import { migrate, redo } from '../../lib/runner/migrate.js';
import { MigrationLockTimeoutError } from '../../lib/runner/lock.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  CLI,
  cleanEnv,
  projectDir,
  run,
  runCli,
  spawnNode,
  startEmbeddedProcess,
  Spawned,
  type EmbeddedServerProcess,
} from '../helpers/embedded-process.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const MISLEADING = /Advisory lock mode|don't own a lock|Failed to release|Another migration is/;
const NO_STACK = /^\s+at /m;

/** Three migrations; the last inserts one row, so running it twice would show. */
const MIGRATIONS: Record<string, string> = {
  '1000_metrics.js': `
export const up = (pgm) => {
  pgm.createTable('metrics', { time: { type: 'timestamptz', notNull: true }, v: 'int' });
  pgm.createHypertable('metrics', { timeColumn: 'time' });
  pgm.sql('SELECT pg_sleep(1)');
};
export const down = (pgm) => { pgm.dropTable('metrics'); };
`,
  '2000_events.js': `
export const up = (pgm) => { pgm.createTable('events', { id: 'int' }); };
export const down = (pgm) => { pgm.dropTable('events'); };
`,
  '3000_seed.js': `
export const up = (pgm) => { pgm.sql("INSERT INTO metrics VALUES (now(), 1)"); };
export const down = (pgm) => { pgm.sql('DELETE FROM metrics'); };
`,
};
const NAMES = Object.keys(MIGRATIONS).map((f) => f.replace(/\.js$/, ''));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Migration name → how often it is recorded as applied. */
async function appliedCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const exists = await c.query<{ t: string | null }>(
      "SELECT to_regclass('public.pgmigrations')::text AS t",
    );
    if (!exists.rows[0]?.t) return {};
    const r = await c.query<{ name: string; n: number }>(
      'SELECT name, count(*)::int AS n FROM pgmigrations GROUP BY name ORDER BY name',
    );
    return Object.fromEntries(r.rows.map((row) => [row.name, row.n]));
  });
}

const ONCE = Object.fromEntries(NAMES.map((n) => [n, 1]));

/** Pids holding an advisory lock in this database (other than the asking session). */
async function advisoryHolders(url: string): Promise<number[]> {
  return withClient(url, async (c) => {
    const r = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY pid`,
    );
    return r.rows.map((row) => row.pid);
  });
}

interface Holder {
  readonly pid: number;
  release(): Promise<void>;
}

/** Another session that takes the migration lock, as another deploy would. */
async function holdLock(url: string, applicationName: string): Promise<Holder> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1::bigint)', [String(PG_MIGRATE_LOCK_ID)]);
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return {
    pid,
    release: async () => {
      await client.end().catch(() => undefined);
    },
  };
}

function cli(dir: string, url: string, args: readonly string[]) {
  return runCli(dir, ['--database-url', url, ...args], { timeoutMs: 120_000 });
}

function spawnCli(dir: string, url: string, args: readonly string[]): Spawned {
  return spawnNode(dir, [CLI, '--database-url', url, ...args]);
}

function serverSuite(makeDatabase: () => Promise<TestDatabase>): void {
  let db: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await makeDatabase();
    dir = projectDir(MIGRATIONS);
    // apply-timescale needs the spec (there is no snapshot without `generate`).
    copyFileSync(resolve('spec/examples/datapoint.yaml'), join(dir, 'prism.yaml'));
  });
  afterEach(async () => {
    await db?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two `up` processes started together both exit 0, every migration is applied once, no lock stays', async () => {
    const [a, b] = await Promise.all([cli(dir, db.url, ['up']), cli(dir, db.url, ['up'])]);
    for (const r of [a, b]) {
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.not.match(MISLEADING);
    }
    const out = `${a!.stdout}\n${b!.stdout}`;
    for (const name of NAMES)
      expect(out.match(new RegExp(`applied\\s+${name}$`, 'gm')), name).to.have.length(1);
    expect(await appliedCounts(db.url)).to.deep.equal(ONCE);
    const rows = await withClient(db.url, (c) => c.query('SELECT count(*)::int AS n FROM metrics'));
    expect(rows.rows[0]).to.deep.equal({ n: 1 });
    expect(await advisoryHolders(db.url)).to.deep.equal([]);
  });

  it('deploys that find the lock held wait for it, say once whom they wait for, then apply in turn', async () => {
    const holder = await holdLock(db.url, 'release-train');
    const deploys = [spawnCli(dir, db.url, ['up']), spawnCli(dir, db.url, ['up'])];
    try {
      const waiting = new RegExp(
        `waiting up to 10 min \\(--lock-timeout\\) for the migration lock, held by pid ${holder.pid} \\(application_name "release-train", user \\S+, client 127\\.0\\.0\\.1:\\d+, connected since \\d{4}-`,
      );
      for (const d of deploys) await d.waitFor(waiting, { stream: 'stderr', timeoutMs: 60_000 });
      expect(await appliedCounts(db.url)).to.deep.equal({});
    } finally {
      await holder.release();
    }
    const exits = await Promise.all(deploys.map((d) => d.exited));
    expect(exits).to.deep.equal([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    for (const d of deploys) {
      expect(d.stderr.match(/waiting up to/g), d.stderr).to.have.length(1);
      expect(d.stderr).to.not.match(MISLEADING);
    }
    expect(await appliedCounts(db.url)).to.deep.equal(ONCE);
    expect(await advisoryHolders(db.url)).to.deep.equal([]);
  });

  it('with --lock-timeout, up, down, redo and apply-timescale exit 3 naming the holder, and change nothing', async () => {
    expect((await cli(dir, db.url, ['up'])).code).to.equal(0);
    const holder = await holdLock(db.url, 'release-train');
    try {
      for (const command of [['up'], ['down'], ['redo'], ['apply-timescale']]) {
        const r = await cli(dir, db.url, [...command, '--lock-timeout', '1s']);
        const what = `${command.join(' ')}: ${r.stderr}`;
        expect(r.code, what).to.equal(3);
        expect(r.stderr, what).to.include(
          `error: another migration is running on this database: its lock is held by pid ${holder.pid} (application_name "release-train"`,
        );
        expect(r.stderr, what).to.include('; it waited 1 s\n');
        expect(r.stderr, what).to.include(
          `hint: run again when that deploy has finished, or wait longer with --lock-timeout (default 10 min); if that session is stuck or its client is gone, end it with SELECT pg_terminate_backend(${holder.pid})`,
        );
        expect(r.stderr, what).to.not.match(MISLEADING);
        expect(r.stderr, what).to.not.match(NO_STACK);
      }
      const now = await cli(dir, db.url, ['up', '--lock-timeout', '0']);
      expect(now.code, now.stderr).to.equal(3);
      expect(now.stderr).to.include(`its lock is held by pid ${holder.pid}`);
      expect(now.stderr).to.include('; the lock timeout is 0, so it did not wait\n');
      expect(now.stderr).to.not.include('waiting up to');
      expect(await appliedCounts(db.url)).to.deep.equal(ONCE);
      expect(await advisoryHolders(db.url)).to.deep.equal([holder.pid]);
    } finally {
      await holder.release();
    }
    expect(await advisoryHolders(db.url)).to.deep.equal([]);
  });

  it('refuses a --lock-timeout it cannot read (exit 2)', async () => {
    const r = await cli(dir, db.url, ['up', '--lock-timeout', 'soon']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('invalid --lock-timeout "soon"');
    expect(await appliedCounts(db.url)).to.deep.equal({});
  });

  it('after a deploy is killed with -9 mid-migration, the next `up` waits for its lingering session, names it, and applies every migration once', async () => {
    const slow = projectDir({
      '1000_slow.js': `
export const up = (pgm) => { pgm.createTable('slow', { id: 'int' }); pgm.sql('SELECT pg_sleep(6)'); };
`,
      '2000_after.js': `export const up = (pgm) => { pgm.sql('INSERT INTO slow VALUES (1)'); };\n`,
    });
    try {
      const first = spawnCli(slow, db.url, ['up']);
      let pid = 0;
      await waitUntil('the first deploy sleeps in its migration', async () => {
        const r = await withClient(db.url, (c) =>
          c.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE application_name = 'prism-migrate up' AND state = 'active' AND query LIKE '%pg_sleep(6)%'`,
          ),
        );
        pid = r.rows[0]?.pid ?? 0;
        return pid !== 0;
      });
      expect((await first.stop('SIGKILL')).signal).to.equal('SIGKILL');
      const second = await cli(slow, db.url, ['up']);
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stderr).to.include(
        `for the migration lock, held by pid ${pid} (application_name "prism-migrate up"`,
      );
      expect(second.stderr).to.not.match(MISLEADING);
      expect(await appliedCounts(db.url)).to.deep.equal({ '1000_slow': 1, '2000_after': 1 });
      const rows = await withClient(db.url, (c) => c.query('SELECT count(*)::int AS n FROM slow'));
      expect(rows.rows[0]).to.deep.equal({ n: 1 });
      expect(await advisoryHolders(db.url)).to.deep.equal([]);
    } finally {
      rmSync(slow, { recursive: true, force: true });
    }
  });

  it('the library waits as lockTimeoutMs says and reports the holder in MigrationLockTimeoutError', async () => {
    const holder = await holdLock(db.url, 'library-holder');
    let failure: unknown;
    const logs: string[] = [];
    try {
      await migrate({
        url: db.url,
        migrationsDir: `${dir}/migrations`,
        direction: 'up',
        lockTimeoutMs: 200,
        log: (l) => logs.push(l),
      }).catch((e: unknown) => (failure = e));
    } finally {
      await holder.release();
    }
    expect(failure).to.be.instanceOf(MigrationLockTimeoutError);
    const error = failure as MigrationLockTimeoutError;
    expect(error.exitCode).to.equal(3);
    expect(error.timeoutMs).to.equal(200);
    expect(error.holders.map((h) => [h.pid, h.applicationName, h.state])).to.deep.equal([
      [holder.pid, 'library-holder', 'idle'],
    ]);
    expect(logs.filter((l) => l.startsWith('waiting up to 200 ms'))).to.have.length(1);
    expect(await appliedCounts(db.url)).to.deep.equal({});
  });

  lockReleaseTests(
    () => db,
    () => `${dir}/migrations`,
  );
}

/** On the caller's client, the lock is gone after a run, a failed run and a redo. */
function lockReleaseTests(database: () => TestDatabase, migrationsDir: () => string): void {
  it("leaves no migration lock on the caller's client after up, a failed up and redo, and keeps the caller's own", async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dir = migrationsDir();
    await withClient(database().url, async (client) => {
      const notices: string[] = [];
      // (The embedded build also sends DEBUG messages that quote each statement.)
      client.on('notice', (n) => {
        if (!n.severity?.startsWith('DEBUG')) notices.push(n.message ?? '');
      });
      /**
       * Whether this session holds advisory lock `key`, asked by unlocking it (and taking it
       * again): the embedded database does not list advisory locks in pg_locks.
       */
      const holds = async (key: string | number): Promise<boolean> => {
        const quiet = notices.length;
        const r = await client.query<{ u: boolean }>('SELECT pg_advisory_unlock($1::bigint) AS u', [
          String(key),
        ]);
        const held = r.rows[0]?.u === true;
        if (held) await client.query('SELECT pg_advisory_lock($1::bigint)', [String(key)]);
        notices.length = quiet;
        return held;
      };
      const migrationLockHeld = () => holds(PG_MIGRATE_LOCK_ID);
      await migrate({ url: database().url, client, migrationsDir: dir, direction: 'up', count: 2 });
      expect(await migrationLockHeld()).to.equal(false);
      const runs = await redo({ url: database().url, client, migrationsDir: dir, count: 2 });
      expect(runs.map((r) => `${r.direction} ${r.name}`)).to.deep.equal([
        'down 2000_events',
        'down 1000_metrics',
        'up 1000_metrics',
        'up 2000_events',
      ]);
      expect(await migrationLockHeld()).to.equal(false);
      const failing = `${dir}-failing`;
      mkdirSync(failing);
      for (const [name, text] of Object.entries(MIGRATIONS))
        writeFileSync(`${failing}/${name}`, text);
      writeFileSync(
        `${failing}/4000_fails.js`,
        "export const up = (pgm) => { pgm.sql('SELECT 1/0'); };\n",
      );
      // An advisory lock of the caller's own outlives a failed run on its client.
      await client.query('SELECT pg_advisory_lock(4242)');
      let failure: unknown;
      await migrate({ url: database().url, client, migrationsDir: failing, direction: 'up' }).catch(
        (e: unknown) => (failure = e),
      );
      expect((failure as Error)?.message).to.match(
        /^migration 4000_fails \(up\) failed: division by zero/,
      );
      expect(await migrationLockHeld()).to.equal(false);
      expect(await holds(4242)).to.equal(true);
      await client.query('SELECT pg_advisory_unlock(4242)');
      expect(notices.filter((n) => /lock/i.test(n))).to.deep.equal([]);
    });
  });
}

describe('deploys at once on the PostgreSQL server', function () {
  serverSuite(() => createServerDatabase());
});

describeNative(CURRENT_TSL, 'deploys at once', (server: NativeServer) => {
  serverSuite(() => createNativeDatabase(server));
});

describe('the migration lock on the embedded database', function () {
  let db: Awaited<ReturnType<typeof createEmbeddedDatabase>>;
  let dir: string;
  before(async () => {
    db = await createEmbeddedDatabase();
    dir = projectDir(MIGRATIONS);
  });
  after(async () => {
    await db?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  lockReleaseTests(
    () => db,
    () => `${dir}/migrations`,
  );
});

describe('commands meeting an embedded server whose session another client holds', function () {
  let dir: string;
  let server: EmbeddedServerProcess;
  before(async () => {
    dir = projectDir(MIGRATIONS);
    server = await startEmbeddedProcess(dir, ['--wait-timeout', '1500']);
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = cleanEnv();

  it('up, down, status and timescale-info exit 3 naming the holder, not the URL hint', async () => {
    const holder = new pg.Client({ connectionString: server.url, application_name: 'held-by-gui' });
    holder.on('error', () => undefined);
    await holder.connect();
    try {
      await holder.query('SELECT 1');
      for (const command of [['up'], ['down'], ['status'], ['timescale-info']]) {
        const r = await runCli(dir, command, { env });
        const what = `${command.join(' ')}: ${r.stderr}`;
        expect(r.code, what).to.equal(3);
        expect(r.stderr, what).to.match(
          /error: could not connect to postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: timed out after 1500 ms waiting for the embedded database: it serves one session at a time\n {2}hint: the session is held by held-by-gui \(postgres@127\.0\.0\.1:\d+\) for \d+ s; an idle client \(psql, a GUI\) holds it until it disconnects\n$/,
        );
        expect(r.stderr, what).to.not.include('DATABASE_URL');
      }
    } finally {
      await holder.end();
    }
    const up = await runCli(dir, ['up'], { env });
    expect(up.code, up.stderr).to.equal(0);
    expect(server.stderr).to.match(
      /session granted to prism-migrate up \(postgres@127\.0\.0\.1:\d+\)/,
    );
  });

  it('`up` names psql when psql holds the session', async function () {
    if ((await run('psql', ['--version']).catch(() => ({ code: 1 }))).code !== 0) this.skip();
    const psql = new Spawned(
      spawn('psql', [server.url], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    try {
      psql.child.stdin?.write('SELECT 41 + 1 AS answer;\n');
      await psql.waitFor(/\b42\b/);
      const r = await runCli(dir, ['down'], { env });
      expect(r.code, r.stderr).to.equal(3);
      expect(r.stderr).to.match(
        /hint: the session is held by psql \(postgres@127\.0\.0\.1:\d+\) for \d+ s/,
      );
    } finally {
      psql.child.stdin?.end();
      await psql.exited;
    }
    expect(await appliedCounts(server.url)).to.deep.equal(ONCE);
  });
});
