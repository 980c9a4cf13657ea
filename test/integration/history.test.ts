/**
 * The options node-pg-migrate users rely on, and the history's repair: a migrations table
 * in a schema of its own, up and down to a named migration, `--fake`, one transaction for
 * the whole run, checksums of applied files (`up` refuses an edited one, `check` and
 * `status` report it) and `resolve --applied / --rolled-back`.
 *
 * On the PostgreSQL server, embedded TimescaleDB and native TimescaleDB 2.28.3.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  ChangedMigrationsError,
  MigrationFailedError,
  migrate,
  migrationStatus,
  redo,
} from '../../lib/runner/migrate.js';
import { resolveMigration } from '../../lib/app/resolve.js';
import { CheckFailedError, UsageError } from '../../lib/errors.js';
import type { MigrationsTable } from '../../lib/runner/history.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { createNativeDatabase, CURRENT_TSL, describeNative } from '../helpers/timescale-servers.js';
import { runCli } from '../helpers/cli.js';
import { checkCliOutput } from '../helpers/json-schema.js';
import { cleanEnv } from '../helpers/embedded-process.js';

const TABLE: MigrationsTable = { schema: 'deploy', name: 'schema_history' };

const MIGRATIONS: Record<string, string> = {
  '1000_metrics.js': `import { createHypertable } from 'prism-migrate/operations';
export const up = (pgm) => {
  pgm.createTable('metrics', { time: { type: 'timestamptz', notNull: true }, v: 'int' });
  createHypertable(pgm, 'metrics', { timeColumn: 'time' });
};
export const down = (pgm) => { pgm.dropTable('metrics'); };
`,
  '2000_events.js': `export const up = (pgm) => { pgm.createTable('events', { id: 'int' }); };
export const down = (pgm) => { pgm.dropTable('events'); };
`,
  '3000_seed.js': `export const up = (pgm) => { pgm.sql('INSERT INTO events VALUES (1)'); };
export const down = (pgm) => { pgm.sql('DELETE FROM events'); };
`,
  '4000_breaks.js': `export const up = (pgm) => { pgm.sql('INSERT INTO events VALUES (2)'); pgm.sql('SELECT 1/0'); };
export const down = () => {};
`,
};

function migrationsDir(files: Record<string, string>): string {
  const dir = join(tempDir('prism-history-'), 'migrations');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function historyRows(url: string): Promise<{ name: string; checksum: string | null }[]> {
  return withClient(url, async (c) => {
    const r = await c.query<{ name: string; checksum: string | null }>(
      'SELECT name, checksum FROM deploy.schema_history ORDER BY id',
    );
    return r.rows;
  });
}

async function tables(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (
      await c.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
      )
    ).rows.map((r) => r.t),
  );
}

async function rejection(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

function historyTests(make: () => Promise<TestDatabase>): void {
  let db: TestDatabase;
  let dir: string;
  const run = (extra: Partial<Parameters<typeof migrate>[0]>) =>
    migrate({ url: db.url, migrationsDir: dir, direction: 'up', migrationsTable: TABLE, ...extra });

  before(async () => {
    db = await make();
    dir = migrationsDir(MIGRATIONS);
  });
  after(async () => db?.dispose());

  it('keeps the history in the configured schema and table, created for it', async () => {
    const ran = await run({ to: '2000_events' });
    expect(ran.map((m) => m.name)).to.deep.equal(['1000_metrics', '2000_events']);
    expect((await historyRows(db.url)).map((r) => r.name)).to.deep.equal([
      '1000_metrics',
      '2000_events',
    ]);
    const pgmigrations = await withClient(
      db.url,
      async (c) => (await c.query(`SELECT to_regclass('public.pgmigrations') AS t`)).rows[0],
    );
    expect(pgmigrations).to.deep.equal({ t: null });
  });

  it('records a checksum for every applied migration', async () => {
    const rows = await historyRows(db.url);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum ?? ''))).to.equal(true);
  });

  it('up --to a migration already applied does nothing; an unknown name is refused', async () => {
    expect(await run({ to: '1000_metrics' })).to.deep.equal([]);
    const error = await rejection(run({ to: '9999_nothing' }));
    expect(error).to.be.instanceOf(UsageError);
    expect(error.message).to.equal(
      `--to 9999_nothing: there is no migration 9999_nothing in ${dir}`,
    );
  });

  it('--fake records a migration as applied without running it', async () => {
    const ran = await run({ to: '3000_seed', fake: true });
    expect(ran.map((m) => m.name)).to.deep.equal(['3000_seed']);
    const rows = await withClient(
      db.url,
      async (c) => (await c.query('SELECT * FROM events')).rowCount,
    );
    expect(rows).to.equal(0);
  });

  it('--single-transaction rolls back every migration of a run that fails', async () => {
    writeFileSync(
      join(dir, '3500_more.js'),
      `export const up = (pgm) => { pgm.createTable('more', { id: 'int' }); };\nexport const down = (pgm) => { pgm.dropTable('more'); };\n`,
    );
    const error = await rejection(run({ singleTransaction: true }));
    expect(error).to.be.instanceOf(MigrationFailedError);
    expect(error.message).to.contain('4000_breaks');
    expect(error.message).not.to.contain('kept');
    expect(await tables(db.url)).not.to.include('more');
    expect((await historyRows(db.url)).map((r) => r.name)).not.to.include('3500_more');
  });

  it('up refuses while an applied file changed; check and status report it; resolve --applied accepts it', async () => {
    writeFileSync(join(dir, '2000_events.js'), `${MIGRATIONS['2000_events.js']}// reformatted\n`);
    const error = await rejection(run({ to: '3500_more' }));
    expect(error).to.be.instanceOf(ChangedMigrationsError);
    expect(error).to.be.instanceOf(CheckFailedError);
    expect(error.message).to.equal(
      `applied migration file(s) changed since they ran:\n  2000_events (${join(dir, '2000_events.js')})`,
    );
    const states = await migrationStatus(db.url, dir, TABLE);
    expect(states.filter((s) => s.changed).map((s) => s.name)).to.deep.equal(['2000_events']);
    const resolved = await resolveMigration({
      databaseUrl: db.url,
      migrationsDir: dir,
      applied: '2000_events',
      migrationsTable: TABLE,
    });
    expect(resolved.action).to.equal('checksum-updated');
    expect((await migrationStatus(db.url, dir, TABLE)).some((s) => s.changed)).to.equal(false);
    expect((await run({ to: '3500_more' })).map((m) => m.name)).to.deep.equal(['3500_more']);
  });

  it('resolve --applied records a migration finished by hand; --rolled-back forgets one undone by hand', async () => {
    await withClient(db.url, (c) => c.query('INSERT INTO events VALUES (2)'));
    const applied = await resolveMigration({
      databaseUrl: db.url,
      migrationsDir: dir,
      applied: '4000_breaks.js',
      migrationsTable: TABLE,
    });
    expect(applied).to.include({ migration: '4000_breaks', action: 'recorded' });
    expect(await run({})).to.deep.equal([]);
    const removed = await resolveMigration({
      databaseUrl: db.url,
      migrationsDir: dir,
      rolledBack: '4000_breaks',
      migrationsTable: TABLE,
    });
    expect(removed.action).to.equal('removed');
    const again = await rejection(
      resolveMigration({
        databaseUrl: db.url,
        migrationsDir: dir,
        rolledBack: '4000_breaks',
        migrationsTable: TABLE,
      }),
    );
    expect(again).to.be.instanceOf(UsageError);
    expect(again.message).to.equal(
      '4000_breaks is not recorded as applied in deploy.schema_history',
    );
  });

  it('down --to reverts every migration applied after the named one', async () => {
    const ran = await run({ direction: 'down', to: '1000_metrics' });
    expect(ran.map((m) => m.name)).to.deep.equal(['3500_more', '3000_seed', '2000_events']);
    expect((await historyRows(db.url)).map((r) => r.name)).to.deep.equal(['1000_metrics']);
    expect(await tables(db.url)).to.deep.equal(['metrics']);
    const error = await rejection(run({ direction: 'down', to: '3000_seed' }));
    expect(error.message).to.equal(
      '--to 3000_seed: 3000_seed is not applied, so down cannot stop at it',
    );
    const unknown = await rejection(run({ direction: 'down', to: '9999_nosuch' }));
    expect(unknown).to.be.instanceOf(UsageError);
    expect(unknown.message).to.match(/^--to 9999_nosuch: there is no migration 9999_nosuch in /);
  });
}

describe('the migration history on the PostgreSQL server', () => {
  historyTests(() => createServerDatabase('prism_history'));
});

describe('the migration history on embedded TimescaleDB', () => {
  historyTests(createEmbeddedDatabase);
});

describeNative(CURRENT_TSL, 'the migration history', (server) => {
  historyTests(() => createNativeDatabase(server));
});

describe('up --to/--fake, status and resolve from the command line, on the PostgreSQL server', () => {
  let db: TestDatabase;
  let dir: string;
  before(async () => {
    db = await createServerDatabase('prism_history_cli');
    dir = migrationsDir({
      '2000_events.js': MIGRATIONS['2000_events.js'] as string,
      '3000_seed.js': MIGRATIONS['3000_seed.js'] as string,
    });
  });
  after(async () => db?.dispose());
  const cli = (...args: string[]) =>
    runCli(['--migrations-dir', dir, ...args], { env: cleanEnv({ DATABASE_URL: db.url }) });

  it('applies up to a named migration, fakes the next, and says so', async () => {
    const up = await cli('up', '--to', '2000_events');
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stdout).to.equal('applied  2000_events\n');
    const fake = await cli('up', '--fake');
    expect(fake.code, fake.stderr).to.equal(0);
    expect(fake.stdout).to.equal('applied  3000_seed (--fake: recorded, not run)\n');
    expect(
      await withClient(db.url, async (c) => (await c.query('SELECT * FROM events')).rowCount),
    ).to.equal(0);
  });

  it('status marks an applied file that changed; up refuses with exit 1; resolve accepts it', async () => {
    writeFileSync(join(dir, '3000_seed.js'), `${MIGRATIONS['3000_seed.js']}\n`);
    const status = await cli('status');
    expect(status.stdout).to.contain('applied, FILE CHANGED 3000_seed');
    const up = await cli('up');
    expect(up.code).to.equal(1);
    expect(up.stderr).to.contain('applied migration file(s) changed since they ran');
    expect(up.stderr).to.contain('prism-migrate resolve --applied <name>');
    const resolved = await cli('resolve', '--applied', '3000_seed');
    expect(resolved.code, resolved.stderr).to.equal(0);
    expect(resolved.stdout).to.equal(
      '3000_seed: already applied: its current file is accepted (checksum recorded)\n',
    );
    expect((await cli('up')).code).to.equal(0);
    const json = await cli('resolve', '--applied', '3000_seed', '--json');
    expect(checkCliOutput('resolve', json.stdout)).to.deep.equal([]);
    expect(JSON.parse(json.stdout)).to.include({
      migration: '3000_seed',
      action: 'checksum-updated',
    });
    const failed = await cli('resolve', '--rolled-back', '9000_none', '--json');
    expect(failed.code).to.equal(2);
    expect(checkCliOutput('resolve', failed.stdout)).to.deep.equal([]);
    expect(JSON.parse(failed.stdout).error.code).to.equal('usage');
  });

  it('keeps the history where --migrations-schema and prism.config.json say', async () => {
    const up = await cli('--migrations-schema', 'ops', 'up', '--fake', '--to', '2000_events');
    expect(up.code, up.stderr).to.equal(0);
    const config = join(dir, '..', 'prism.config.json');
    writeFileSync(config, JSON.stringify({ migrationsSchema: 'ops', migrationsTable: 'done' }));
    const configured = await cli('--config', config, 'up', '--fake');
    expect(configured.code, configured.stderr).to.equal(0);
    const tables = await withClient(db.url, async (c) =>
      (
        await c.query<{ t: string }>(
          `SELECT schemaname || '.' || tablename AS t
             FROM pg_tables WHERE schemaname = 'ops' ORDER BY 1`,
        )
      ).rows.map((r) => r.t),
    );
    expect(tables).to.deep.equal(['ops.done', 'ops.pgmigrations']);
  });

  it('resolve needs exactly one of --applied and --rolled-back (exit 2)', async () => {
    const r = await cli('resolve');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(
      'error: resolve needs exactly one of --applied <name> and --rolled-back <name>\n  hint: --applied records a migration you completed by hand; --rolled-back forgets one you undid by hand\n',
    );
  });
});

describe('the migration history in the harder cases, on the PostgreSQL server', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createServerDatabase('prism_history_edge');
  });
  after(async () => db?.dispose());

  it('redo refuses an edited applied file before reverting anything', async () => {
    const dir = migrationsDir({
      '2000_events.js': MIGRATIONS['2000_events.js'] as string,
      '3000_seed.js': MIGRATIONS['3000_seed.js'] as string,
    });
    await migrate({ url: db.url, migrationsDir: dir, direction: 'up' });
    writeFileSync(join(dir, '2000_events.js'), `${MIGRATIONS['2000_events.js']}// edited\n`);
    const error = await rejection(redo({ url: db.url, migrationsDir: dir }));
    expect(error).to.be.instanceOf(ChangedMigrationsError);
    const applied = await withClient(db.url, async (c) =>
      (await c.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id')).rows.map(
        (r) => r.name,
      ),
    );
    expect(applied).to.deep.equal(['2000_events', '3000_seed']);
    await migrate({ url: db.url, migrationsDir: dir, direction: 'down', count: 2 }).catch(
      () => undefined,
    );
    await withClient(db.url, (c) => c.query('DROP TABLE IF EXISTS events, pgmigrations'));
  });

  it('resolve --applied refuses to record a migration after later ones', async () => {
    const dir = migrationsDir({
      '1000_a.js': 'export const up = () => {}; export const down = () => {};\n',
      '2000_b.js': 'export const up = () => {}; export const down = () => {};\n',
      '3000_c.js': 'export const up = () => {}; export const down = () => {};\n',
    });
    await migrate({ url: db.url, migrationsDir: dir, direction: 'up' });
    await resolveMigration({ databaseUrl: db.url, migrationsDir: dir, rolledBack: '2000_b' });
    const error = await rejection(
      resolveMigration({ databaseUrl: db.url, migrationsDir: dir, applied: '2000_b' }),
    );
    expect(error).to.be.instanceOf(UsageError);
    expect(error.message).to.equal(
      '2000_b cannot be recorded as applied after migrations that follow it',
    );
    await withClient(db.url, (c) => c.query('DROP TABLE pgmigrations'));
  });

  it('--single-transaction keeps what a noTransaction migration committed, and says so', async () => {
    const dir = migrationsDir({
      '1000_a.js': `export const up = (pgm) => { pgm.createTable('a', { id: 'int' }); };\nexport const down = (pgm) => { pgm.dropTable('a'); };\n`,
      '2000_nt.js': `export const up = (pgm) => { pgm.noTransaction(); pgm.createTable('nt', { id: 'int' }); };\nexport const down = (pgm) => { pgm.dropTable('nt'); };\n`,
      '3000_b.js': `export const up = (pgm) => { pgm.createTable('b', { id: 'int' }); };\nexport const down = (pgm) => { pgm.dropTable('b'); };\n`,
      '4000_fails.js': `export const up = (pgm) => { pgm.sql('SELECT 1/0'); };\nexport const down = () => {};\n`,
    });
    const error = await rejection(
      migrate({ url: db.url, migrationsDir: dir, direction: 'up', singleTransaction: true }),
    );
    expect(error).to.be.instanceOf(MigrationFailedError);
    expect(error.message).to.contain('applied before it in this run, and kept: 1000_a, 2000_nt');
    expect(await tables(db.url)).to.deep.equal(['a', 'nt', 'pgmigrations']);
  });

  it('a user that may write the history but not alter it gets a warning, and the migrations stay applied', async () => {
    const role = `prism_deployer_${process.pid}`;
    await withClient(db.url, async (c) => {
      await c.query('DROP TABLE IF EXISTS a, nt, b, pgmigrations');
      await c.query(
        'CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)',
      );
      await c.query(`CREATE ROLE ${role} LOGIN`);
      await c.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
      await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON pgmigrations TO ${role}`);
      await c.query(`GRANT USAGE ON SEQUENCE pgmigrations_id_seq TO ${role}`);
    });
    try {
      const dir = migrationsDir({ '2000_events.js': MIGRATIONS['2000_events.js'] as string });
      const url = new URL(db.url);
      url.username = role;
      const logs: string[] = [];
      const ran = await migrate({
        url: url.toString(),
        migrationsDir: dir,
        direction: 'up',
        log: (l) => logs.push(l),
      });
      expect(ran.map((m) => m.name)).to.deep.equal(['2000_events']);
      expect(logs.join('\n')).to.contain(
        "warning: could not record the checksums of applied migrations in public.pgmigrations (must be owner of table pgmigrations); edits of applied files go unnoticed until the table's owner runs ALTER TABLE public.pgmigrations ADD COLUMN checksum text",
      );
    } finally {
      await withClient(db.url, async (c) => {
        await c.query('DROP TABLE IF EXISTS events, pgmigrations');
        await c.query(`DROP OWNED BY ${role}`);
        await c.query(`DROP ROLE ${role}`);
      });
    }
  });
});
