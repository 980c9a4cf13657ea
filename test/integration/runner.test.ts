/** The runner's account of failures, and what it refuses. */
import { resolve } from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../lib/errors.js';
import { migrate, migrationStatus, MigrationFailedError } from '../../lib/runner/migrate.js';
import { createServerDatabase, withClient, type TestDatabase } from '../helpers/databases.js';

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
});
