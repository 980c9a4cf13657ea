/**
 * The embedded database's life cycle through the real CLI, each command in its own child
 * process as a user runs them: `embedded start` serving while other commands connect
 * through it, a second opener refused, kill -9 and SIGTERM, and `embedded reset`.
 * Needs `npx tsc` first (bin/prism-migrate.js imports dist/).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import pg from 'pg';
import { lockPath } from '../../lib/db/embedded/lock.js';
import { openDatabase } from '../../lib/db/open.js';
import { withClient } from '../helpers/databases.js';
import {
  REPO_ROOT,
  cleanEnv,
  freePort,
  projectDir,
  runCli,
  runPsql,
  spawnNode,
  startEmbeddedProcess,
  type EmbeddedServerProcess,
  type Spawned,
} from '../helpers/embedded-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ITEMS_MIGRATION = `
export const up = (pgm) => {
  pgm.createTable('items', { id: { type: 'integer', primaryKey: true }, label: { type: 'text', notNull: true } });
  pgm.sql("INSERT INTO items SELECT n, 'migrated-' || n FROM generate_series(1, 100) n");
};
export const down = (pgm) => {
  pgm.dropTable('items');
};
`;

const SLOW_MIGRATION = `
export const up = (pgm) => {
  pgm.createTable('slow', { id: { type: 'integer', primaryKey: true } });
  pgm.sql('SELECT pg_sleep(3)');
  pgm.sql('INSERT INTO slow SELECT generate_series(1, 1000)');
};
export const down = (pgm) => {
  pgm.dropTable('slow');
};
`;

/** Holds a data directory open the way every command does (openDatabase) until its stdin ends. */
const HOLDER_SCRIPT = `
const { openDatabase } = await import(process.env.PRISM_OPEN_MODULE);
const db = await openDatabase({ kind: 'embedded', dataDir: process.env.PRISM_HOLD_DIR }, { command: 'holder-script' });
process.stdout.write('URL ' + db.url + '\\n');
process.stdin.on('data', () => undefined);
process.stdin.on('end', async () => {
  await db.close();
  process.stdout.write('CLOSED\\n');
});
`;

interface LockFile {
  readonly pid: number;
  readonly port: number | null;
  readonly host: string | null;
  readonly command: string;
}

function readLock(dataDir: string): LockFile | undefined {
  const path = lockPath(dataDir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LockFile) : undefined;
}

async function waitUntil(
  what: string,
  condition: () => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(25);
  }
}

/** Counts rows with the directory opened by this process (no server may hold it). */
async function countWithOwnOpen(dataDir: string, sql: string): Promise<number> {
  const db = await openDatabase({ kind: 'embedded', dataDir }, { command: 'lifecycle test' });
  try {
    return await withClient(db.url, async (c) => (await c.query<{ n: number }>(sql)).rows[0]!.n);
  } finally {
    await db.close();
  }
}

describe('embedded database life cycle through the CLI (child processes)', function () {
  const started: Spawned[] = [];
  const projects: string[] = [];

  function newProject(migrations: Record<string, string>): { dir: string; dataDir: string } {
    const dir = projectDir(migrations);
    projects.push(dir);
    return { dir, dataDir: join(dir, '.prism', 'db') };
  }

  async function start(dir: string): Promise<EmbeddedServerProcess> {
    const server = await startEmbeddedProcess(dir);
    started.push(server);
    return server;
  }

  after(async function () {
    for (const child of started) if (child.running) await child.stop('SIGKILL');
    for (const dir of projects) rmSync(dir, { recursive: true, force: true });
  });

  describe('`embedded start` serving other commands', function () {
    let dir: string;
    let dataDir: string;
    let server: EmbeddedServerProcess;

    before(async function () {
      ({ dir, dataDir } = newProject({ '1000_items.js': ITEMS_MIGRATION }));
      server = await start(dir);
    });

    it('prints the psql URL of its port and records its pid and port in the lock file', function () {
      expect(server.url).to.equal(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
      expect(readLock(dataDir)).to.deep.include({
        pid: server.pid,
        port: server.port,
        host: '127.0.0.1',
        command: 'embedded start',
      });
    });

    it('`embedded status` reports it running with its pid and port', async function () {
      const r = await runCli(dir, ['embedded', 'status']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include(
        `running: pid ${server.pid}, postgres://postgres@127.0.0.1:${server.port}/postgres`,
      );
      const json = await runCli(dir, ['--json', 'embedded', 'status']);
      expect(json.code, json.stderr).to.equal(0);
      const parsed = JSON.parse(json.stdout) as {
        exists: boolean;
        lock: { state: string; info: LockFile };
      };
      expect(parsed.exists).to.equal(true);
      expect(parsed.lock.state).to.equal('owned');
      expect(parsed.lock.info).to.deep.include({ pid: server.pid, port: server.port });
    });

    it('a second `embedded start` on the same directory exits 3 naming the owner pid, and the first keeps serving', async function () {
      const r = await runCli(dir, ['embedded', 'start', '--port', String(await freePort())], {
        timeoutMs: 30_000,
      });
      expect(r.signal, 'the second server kept running').to.equal(null);
      expect(r.code).to.equal(3);
      expect(r.stderr).to.include(`pid ${server.pid}`);
      expect(r.stderr).to.include('embedded start');
      expect(server.running).to.equal(true);
      expect(readLock(dataDir)?.pid).to.equal(server.pid);
      await withClient(server.url, async (c) =>
        expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1),
      );
    });

    it('`up` connects through the server and applies the migration', async function () {
      const r = await runCli(dir, ['up']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.include(
        `using the embedded database served by \`prism-migrate embedded start\` (pid ${server.pid} at 127.0.0.1:${server.port})`,
      );
      expect(r.stdout).to.match(/applied\s+1000_items/);
      expect(r.stderr, "the embedded build's DEBUG messages are not shown").to.not.match(
        /EventTriggerInvoke/,
      );
      expect(readLock(dataDir)?.pid, 'up must not take the lock').to.equal(server.pid);
    });

    it('`status` connects through the server and reports the applied migration and the TimescaleDB licence', async function () {
      const r = await runCli(dir, ['status']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.include(
        `using the embedded database served by \`prism-migrate embedded start\` (pid ${server.pid} at 127.0.0.1:${server.port})`,
      );
      expect(r.stdout).to.match(/applied\s+1000_items/);
      expect(r.stdout).to.match(/license: timescale/);
    });

    it('rows written through the server by the migration, by pg and by psql are all visible', async function () {
      await withClient(server.url, async (c) => {
        expect(
          (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0]!.n,
        ).to.equal(100);
        await c.query('BEGIN');
        await c.query("INSERT INTO items SELECT n, 'pg-' || n FROM generate_series(101, 200) n");
        await c.query('COMMIT');
      });
      const r = await runPsql(server.url, [
        '-X',
        '-v',
        'ON_ERROR_STOP=1',
        '-tAc',
        "insert into items values (201, 'psql'); select count(*) from items",
      ]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n').pop()).to.equal('201');
      await withClient(server.url, async (c) => {
        const labels = await c.query<{ kind: string; n: number }>(
          "SELECT split_part(label, '-', 1) AS kind, count(*)::int AS n FROM items GROUP BY 1 ORDER BY 1",
        );
        expect(labels.rows).to.deep.equal([
          { kind: 'migrated', n: 100 },
          { kind: 'pg', n: 100 },
          { kind: 'psql', n: 1 },
        ]);
      });
    });

    it('`embedded reset --yes` is refused (exit 3) while the server runs, and plain `embedded reset` exits 2', async function () {
      const refused = await runCli(dir, ['embedded', 'reset', '--yes']);
      expect(refused.code).to.equal(3);
      expect(refused.stderr).to.include(`pid ${server.pid}`);
      expect(existsSync(dataDir)).to.equal(true);
      const unconfirmed = await runCli(dir, ['embedded', 'reset']);
      expect(unconfirmed.code).to.equal(2);
      expect(unconfirmed.stderr).to.include('--yes');
      expect(existsSync(dataDir)).to.equal(true);
      expect(server.running).to.equal(true);
    });

    it('SIGTERM stops the server: it exits 0 and its lock file is gone', async function () {
      const exit = await server.stop('SIGTERM');
      expect(exit).to.deep.equal({ code: 0, signal: null });
      expect(server.stderr).to.include('stopped; the lock is released');
      expect(existsSync(lockPath(dataDir))).to.equal(false);
      const r = await runCli(dir, ['embedded', 'status']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n').pop()).to.equal('not running');
    });

    it('`embedded reset --yes` deletes the directory once the server has stopped', async function () {
      const r = await runCli(dir, ['embedded', 'reset', '--yes']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include(`deleted ${dataDir}`);
      expect(existsSync(dataDir)).to.equal(false);
      expect(existsSync(lockPath(dataDir))).to.equal(false);
    });
  });

  describe('two openers without a server', function () {
    it('a process holding the directory makes `status` and `up` exit 3 naming its pid, and no row is lost', async function () {
      const { dir, dataDir } = newProject({ '1000_items.js': ITEMS_MIGRATION });
      const holder = spawnNode(
        dir,
        ['--input-type=module', '-e', HOLDER_SCRIPT],
        cleanEnv({
          PRISM_OPEN_MODULE: pathToFileURL(join(REPO_ROOT, 'dist', 'lib', 'db', 'open.js')).href,
          PRISM_HOLD_DIR: dataDir,
        }),
      );
      started.push(holder);
      const holderUrl = (await holder.waitFor(/URL (\S+)/))[1] as string;
      expect(readLock(dataDir)).to.deep.include({
        pid: holder.pid,
        port: null,
        command: 'holder-script',
      });

      await withClient(holderUrl, async (c) => {
        await c.query('CREATE TABLE kept (id int PRIMARY KEY)');
        await c.query('INSERT INTO kept SELECT generate_series(1, 1000)');
      });

      for (const command of [['status'], ['up']]) {
        const r = await runCli(dir, command, { timeoutMs: 30_000 });
        expect(r.code, `${command.join(' ')}: ${r.stderr}`).to.equal(3);
        expect(r.stderr).to.include(`pid ${holder.pid}`);
        expect(r.stderr).to.include('holder-script');
        expect(readLock(dataDir)?.pid, 'the refused command touched the lock').to.equal(holder.pid);
      }

      // The holder's writes after the refused openers are kept too.
      await withClient(holderUrl, (c) =>
        c.query('INSERT INTO kept SELECT generate_series(1001, 2000)'),
      );
      holder.child.stdin?.end();
      await holder.waitFor(/CLOSED/);
      expect(await holder.exited).to.deep.equal({ code: 0, signal: null });
      expect(existsSync(lockPath(dataDir))).to.equal(false);

      // `up` was refused, so nothing was applied; now it runs (opening the directory itself).
      const up = await runCli(dir, ['up']);
      expect(up.code, up.stderr).to.equal(0);
      expect(up.stdout).to.match(/applied\s+1000_items/);
      expect(existsSync(lockPath(dataDir))).to.equal(false);
      expect(
        await countWithOwnOpen(
          dataDir,
          'SELECT count(*)::int + (SELECT count(*)::int FROM items) * 100000 AS n FROM kept',
        ),
      ).to.equal(2000 + 100 * 100000);
    });

    it('`up` running a slow migration holds the directory: `status` meanwhile exits 3 naming it, and up commits every row', async function () {
      const { dir, dataDir } = newProject({ '1000_slow.js': SLOW_MIGRATION });
      const up = spawnNode(dir, [join(REPO_ROOT, 'bin', 'prism-migrate.js'), 'up']);
      started.push(up);
      await waitUntil(
        '`up` holds the lock',
        () => readLock(dataDir)?.pid === up.pid || !up.running,
      );
      expect(up.running, up.stderr).to.equal(true);

      const status = await runCli(dir, ['status'], { timeoutMs: 30_000 });
      expect(status.code, status.stderr).to.equal(3);
      expect(status.stderr).to.include(`pid ${up.pid}`);
      expect(status.stderr).to.include('`up`');
      expect(
        up.running,
        'status finished only after up: it waited instead of being refused',
      ).to.equal(true);

      expect(await up.exited).to.deep.equal({ code: 0, signal: null });
      expect(up.stdout).to.match(/applied\s+1000_slow/);
      expect(existsSync(lockPath(dataDir))).to.equal(false);
      expect(await countWithOwnOpen(dataDir, 'SELECT count(*)::int AS n FROM slow')).to.equal(1000);
    });
  });

  describe('a serving process killed with -9, then started again', function () {
    let dir: string;
    let dataDir: string;
    let second: EmbeddedServerProcess;

    it('keeps every committed row; the next `embedded start` takes the stale lock over', async function () {
      ({ dir, dataDir } = newProject({}));
      const first = await start(dir);
      const c = new pg.Client({ connectionString: first.url });
      c.on('error', () => undefined);
      await c.connect();
      await c.query('CREATE TABLE survivors (batch int NOT NULL, n int NOT NULL)');
      for (let batch = 0; batch < 5; batch += 1) {
        await c.query('BEGIN');
        await c.query('INSERT INTO survivors SELECT $1, generate_series(1, 1000)', [batch]);
        await c.query('COMMIT');
      }
      // Killed while this transaction is open: its rows must not appear.
      await c.query('BEGIN');
      await c.query('INSERT INTO survivors SELECT 99, generate_series(1, 500)');

      const exit = await first.stop('SIGKILL');
      expect(exit.signal).to.equal('SIGKILL');
      await c.end().catch(() => undefined);
      expect(readLock(dataDir)?.pid, 'kill -9 leaves the lock file behind').to.equal(first.pid);

      const status = await runCli(dir, ['embedded', 'status']);
      expect(status.code, status.stderr).to.equal(0);
      expect(status.stdout).to.include(
        `not running (a stale lock from pid ${first.pid} will be taken over)`,
      );

      second = await start(dir);
      await second.waitFor(
        new RegExp(`taking over the lock left by pid ${first.pid}, which is no longer running`),
        { stream: 'stderr', timeoutMs: 5_000 },
      );
      expect(readLock(dataDir)).to.deep.include({ pid: second.pid, port: second.port });
      await withClient(second.url, async (client) => {
        const r = await client.query<{ batch: number; n: number }>(
          'SELECT batch, count(*)::int AS n FROM survivors GROUP BY batch ORDER BY batch',
        );
        expect(r.rows).to.deep.equal([0, 1, 2, 3, 4].map((batch) => ({ batch, n: 1000 })));
      });
    });

    it('SIGTERM while an idle client holds the session: the client is cut off, the server exits 0 with no error output, the lock is gone', async function () {
      expect(second?.running, 'the previous test did not start the second server').to.equal(true);
      const idle = new pg.Client({ connectionString: second.url, application_name: 'idle-gui' });
      let idleError: Error | undefined;
      idle.on('error', (error) => (idleError = error));
      await idle.connect();
      await idle.query('SELECT 1');
      const before = second.stderr.length;
      expect(await second.stop('SIGTERM')).to.deep.equal({ code: 0, signal: null });
      await waitUntil('the idle client notices', () => idleError !== undefined, 5_000);
      expect(existsSync(lockPath(dataDir))).to.equal(false);
      const stopping = second.stderr.slice(before);
      expect(stopping).to.include('stopped; the lock is released');
      expect(stopping, `stopping printed an error:\n${stopping}`).to.not.match(/fail|error/i);
    });
  });
});
