/**
 * A deploy killed in the middle of its work (`kill -9` of `up` while TimescaleDB converts
 * a populated table) leaves the database as it was before that migration: every row, a
 * plain table, no history entry; the next `up` completes it. On native TimescaleDB 2.28.3.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { PG_MIGRATE_LOCK_ID } from 'node-pg-migrate';
import { appliedMigrations, tableState } from '../helpers/catalog.js';
import { BIN, runCli } from '../helpers/cli.js';
import { tempDir, withClient, type TestDatabase } from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SEED = readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8');
const PLAIN = SEED.slice(0, SEED.indexOf('    # TimescaleDB'));
/** Within the last 300 days, so the seed's 1-year retention keeps them all. */
const ROWS = 1_000_000;
const INSERT_ROWS = `INSERT INTO datapoint (id, "timestamp", source, value)
  SELECT gen_random_uuid(), now() - (g * interval '25 seconds'), 's' || (g % 50), g
    FROM generate_series(1, ${ROWS}) g`;

async function stateOf(url: string) {
  return withClient(url, async (c) => {
    const q = async (sql: string) => (await c.query(sql)).rows;
    const { rows, hypertable } = await tableState(c, 'datapoint');
    return {
      rows,
      sum: String((await q('SELECT sum(value) AS s FROM datapoint'))[0]?.s),
      hypertable,
      applied: await appliedMigrations(c),
      // node-pg-migrate's lock (TimescaleDB's policy jobs, now running, take advisory locks
      // of their own).
      migrationLocks: Number(
        (
          await c.query(
            `SELECT count(*) AS n FROM pg_locks
              WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
            [String(PG_MIGRATE_LOCK_ID)],
          )
        ).rows[0]?.n,
      ),
    };
  });
}

describeNative(CURRENT_TSL, 'a deploy killed during a conversion', (server: NativeServer) => {
  let db: TestDatabase;
  let dir: string;
  before(async function () {
    this.timeout(300_000);
    db = await createNativeDatabase(server);
    dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const env = { DATABASE_URL: db.url };
    writeFileSync(join(dir, 'prism.yaml'), PLAIN);
    expect((await runCli(['generate', '--name', 'plain'], { cwd: dir, env })).code).to.equal(0);
    expect((await runCli(['up'], { cwd: dir, env })).code).to.equal(0);
    await withClient(db.url, (c) => c.query(INSERT_ROWS));
    writeFileSync(join(dir, 'prism.yaml'), SEED);
    const generated = await runCli(['generate', '--name', 'timeseries'], { cwd: dir, env });
    expect(generated.code, generated.stderr).to.equal(0);
  });
  after(async () => db?.dispose());

  it('loses nothing, and the next `up` converts the table with every row', async function () {
    this.timeout(300_000);
    const before = await stateOf(db.url);
    expect(before).to.deep.include({ rows: ROWS, hypertable: false, applied: ['plain'] });

    const deploy = spawn(process.execPath, [BIN, 'up'], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: 'ignore',
    });
    const exited = new Promise((r) => deploy.once('exit', r));
    // Killed once the server is converting the table: the one statement of the run that
    // takes seconds (pg_stat_activity shows only the start of the long DO block).
    const converting = await withClient(db.url, async (c) => {
      for (let i = 0; i < 600; i += 1) {
        const r = await c.query(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
              AND backend_type = 'client backend' AND now() - query_start > interval '1 second'`,
        );
        if (r.rows.length > 0) return true;
        await new Promise((res) => setTimeout(res, 50));
      }
      return false;
    });
    expect(converting, 'the conversion never showed in pg_stat_activity').to.equal(true);
    deploy.kill('SIGKILL');
    await exited;

    // The server finishes or aborts the dead client's statement by itself; `up` waits for
    // its lock instead of failing.
    const after = await runCli(['up'], {
      cwd: dir,
      env: { DATABASE_URL: db.url },
      timeoutMs: 240_000,
    });
    expect(after.code, after.stderr).to.equal(0);
    expect(after.stderr).to.not.match(/^\s+at /m);
    expect(await stateOf(db.url)).to.deep.equal({
      rows: ROWS,
      sum: before.sum,
      hypertable: true,
      applied: ['plain', 'timeseries'],
      migrationLocks: 0,
    });
  });
});
