/**
 * A hand-written migration set using every operation goes up, down and up again on the
 * embedded TimescaleDB, on every native TimescaleDB server (each in a new database where
 * the first `up` creates the extension) and on the PostgreSQL server (auto and require);
 * the catalog after down→up equals the catalog before. revertHypertable, which copies the
 * table, keeps its privileges, owner and comment.
 */
import { resolve } from 'node:path';
import { expect } from 'chai';
import { DatabaseError } from '../../lib/errors.js';
import { migrate, MigrationFailedError } from '../../lib/runner/migrate.js';
import { readSchema } from '../../lib/catalog/read.js';
import { quoteIdent } from '../../lib/sql/quote.js';
import { snapshotCatalog } from '../helpers/catalog.js';
import { createTestRoles, dropTestRoles, outcomesAs, relationAccess } from '../helpers/access.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const EVERY_OPERATION = resolve('test/fixtures/migrations/every-operation');
const FAILS_HALFWAY = resolve('test/fixtures/migrations/fails-halfway');

async function run(
  db: TestDatabase,
  dir: string,
  direction: 'up' | 'down',
  count?: number,
  timescale?: 'auto' | 'require',
) {
  return migrate({ url: db.url, migrationsDir: dir, direction, count, timescale });
}

const snapshot = (db: TestDatabase) => withClient(db.url, (c) => snapshotCatalog(c, ['metrics']));

/** Up, down and up again through every operation, comparing catalogs at each step. */
export async function exerciseEveryOperation(db: TestDatabase): Promise<void> {
  await run(db, EVERY_OPERATION, 'up', 1, 'require');
  const plain = await snapshot(db);
  await run(db, EVERY_OPERATION, 'up', 2, 'require');
  const tuned = await snapshot(db);
  expect(tuned.hypertables).to.deep.equal([
    {
      hypertable_name: 'metrics',
      column_name: 'time',
      time_interval: '12:00:00',
      integer_interval: null,
      compression_enabled: true,
    },
  ]);
  expect(tuned.compression).to.deep.equal([
    { hypertable: 'metrics', segmentby: 'device', orderby: '"time" DESC' },
  ]);
  expect(tuned.jobs).to.deep.equal([
    {
      hypertable_name: 'metrics',
      proc_name: 'policy_compression',
      config: { compress_after: '14 days' },
    },
    {
      hypertable_name: 'metrics',
      proc_name: 'policy_retention',
      config: { drop_after: '400 days' },
    },
  ]);
  expect(tuned.rowCounts).to.deep.equal({ metrics: 500 });

  await run(db, EVERY_OPERATION, 'up');
  const reverted = await snapshot(db);
  expect(reverted.hypertables).to.deep.equal([]);
  expect(reverted.jobs).to.deep.equal([]);
  expect(reverted.rowCounts).to.deep.equal({ metrics: 500 });
  expect(reverted.indexes.map((i) => (i as { indexname: string }).indexname)).to.include(
    'metrics_pkey',
  );

  await run(db, EVERY_OPERATION, 'down');
  expect(await snapshot(db)).to.deep.equal(tuned);

  await run(db, EVERY_OPERATION, 'down', 1);
  const created = await snapshot(db);
  expect(created.jobs).to.deep.equal([
    {
      hypertable_name: 'metrics',
      proc_name: 'policy_compression',
      config: { compress_after: '7 days' },
    },
    { hypertable_name: 'metrics', proc_name: 'policy_retention', config: { drop_after: '1 year' } },
  ]);
  expect((created.hypertables[0] as { time_interval: string }).time_interval).to.equal('1 day');

  await run(db, EVERY_OPERATION, 'down', 1);
  const plainAgain = await snapshot(db);
  expect(plainAgain.hypertables).to.deep.equal([]);
  expect(plainAgain.rowCounts).to.deep.equal({ metrics: 500 });
  expect(plainAgain.constraints).to.deep.equal(plain.constraints);
  expect(plainAgain.columns).to.deep.equal(plain.columns);

  await run(db, EVERY_OPERATION, 'down', 1);
  expect((await snapshot(db)).columns).to.deep.equal([]);

  await run(db, EVERY_OPERATION, 'up', 2);
  expect(await snapshot(db)).to.deep.equal(created);
  await run(db, EVERY_OPERATION, 'up');
  expect(await snapshot(db)).to.deep.equal(reverted);
}

describe('every operation on embedded TimescaleDB', function () {
  let db: Awaited<ReturnType<typeof createEmbeddedDatabase>>;
  before(async () => {
    db = await createEmbeddedDatabase();
  });
  after(async () => db?.dispose());

  it('goes up, down and up again with identical catalogs at each step', () =>
    exerciseEveryOperation(db));

  it('refuses to add a policy that differs from an existing one, and skips an equal one', async () => {
    await withClient(db.url, async (c) => {
      await c.query('CREATE TABLE pol (time timestamptz NOT NULL, v int)');
      await c.query(`SELECT create_hypertable('pol', by_range('time'))`);
      await c.query(`SELECT add_retention_policy('pol', INTERVAL '1 month')`);
    });
    const { addRetentionPolicy } = await import('../../lib/operations/sql.js');
    await withClient(db.url, async (c) => {
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      await c.query(
        addRetentionPolicy('pol', { dropAfter: '30 days', ifNotExists: true }) as string,
      );
      expect(notices.join('\n')).to.match(/already exists with the same drop_after, skipping/);
      let failure: Error | undefined;
      await c
        .query(addRetentionPolicy('pol', { dropAfter: '45 days', ifNotExists: true }) as string)
        .catch((e: Error) => (failure = e));
      expect(failure?.message).to.match(
        /a retention policy already exists on pol with drop_after = 1 mon/,
      );
    });
  });
});

for (const before213 of [false, true]) {
  describeNative(
    { license: 'timescale', before213 },
    'enableCompression with empty lists',
    (server: NativeServer) => {
      let db: TestDatabase;
      before(async () => {
        db = await createNativeDatabase(server);
      });
      after(async () => db?.dispose());

      it('clears an order-by and a segment-by set before (2.12 cannot RESET them)', async () => {
        const { enableCompression } = await import('../../lib/operations/sql.js');
        const compression = await withClient(db.url, async (c) => {
          await c.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
          await c.query('CREATE TABLE cc (time timestamptz NOT NULL, s int, v int)');
          await c.query(`SELECT create_hypertable('cc', 'time')`);
          await c.query(enableCompression('cc', { segmentBy: ['s'], orderBy: ['v'] }) as string);
          await c.query(enableCompression('cc', { segmentBy: ['s'], orderBy: [] }) as string);
          const kept = await readSchema(c, { tables: ['cc'] });
          await c.query(enableCompression('cc', { segmentBy: [], orderBy: [] }) as string);
          const cleared = await readSchema(c, { tables: ['cc'] });
          return [kept, cleared].map((s) => s.tables[0]?.hypertable?.compression);
        });
        expect(compression).to.deep.equal([
          { segmentBy: ['s'], orderBy: [] },
          { segmentBy: [], orderBy: [] },
        ]);
      });
    },
  );
}

const extensionVersion = (db: TestDatabase) =>
  withClient(
    db.url,
    async (c) =>
      (await c.query(`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`)).rows[0]
        ?.extversion as string | undefined,
  );

for (const before213 of [false, true]) {
  describeNative(
    { license: 'timescale', before213 },
    'every operation, in a new database',
    (server: NativeServer) => {
      let db: TestDatabase;
      before(async () => {
        db = await createNativeDatabase(server);
      });
      after(async () => db?.dispose());

      it('goes up (creating TimescaleDB), down and up again with identical catalogs', async () => {
        expect(await extensionVersion(db)).to.equal(undefined);
        await exerciseEveryOperation(db);
        expect(await extensionVersion(db)).to.equal(server.version);
      });
    },
  );
}

describeNative(
  { license: 'apache' },
  'every operation, in a new database',
  (server: NativeServer) => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createNativeDatabase(server);
    });
    afterEach(async () => db?.dispose());

    it('require: refuses before anything changes, naming the licence', async () => {
      let failure: unknown;
      await run(db, EVERY_OPERATION, 'up', undefined, 'require').catch(
        (e: unknown) => (failure = e),
      );
      expect(failure).to.be.instanceOf(DatabaseError);
      expect((failure as Error).message).to.include(
        `--timescale require: TimescaleDB ${server.version} runs under the "apache" license: compression and policies need the Timescale License build; nothing was changed`,
      );
      expect(await extensionVersion(db)).to.equal(undefined);
      expect((await snapshot(db)).columns).to.deep.equal([]);
    });

    it('auto: hypertables without compression or policies, and down→up leaves an identical catalog', async () => {
      await run(db, EVERY_OPERATION, 'up', 3, 'auto');
      const tuned = await snapshot(db);
      expect(await extensionVersion(db)).to.equal(server.version);
      expect(tuned.hypertables).to.deep.equal([
        {
          hypertable_name: 'metrics',
          column_name: 'time',
          time_interval: '12:00:00',
          integer_interval: null,
          compression_enabled: false,
        },
      ]);
      expect(tuned.compression).to.deep.equal([]);
      expect(tuned.jobs).to.deep.equal([]);
      expect(tuned.rowCounts).to.deep.equal({ metrics: 500 });
      await run(db, EVERY_OPERATION, 'up', undefined, 'auto');
      expect((await snapshot(db)).hypertables).to.deep.equal([]);
      await run(db, EVERY_OPERATION, 'down', 1, 'auto');
      expect(await snapshot(db)).to.deep.equal(tuned);
      await run(db, EVERY_OPERATION, 'down', 3, 'auto');
      expect((await snapshot(db)).columns).to.deep.equal([]);
      await run(db, EVERY_OPERATION, 'up', 3, 'auto');
      expect(await snapshot(db)).to.deep.equal(tuned);
    });
  },
);

for (const license of ['timescale', 'apache'] as const) {
  describeNative({ license, before213: false }, 'revertHypertable', (server: NativeServer) => {
    let db: TestDatabase;
    before(async () => {
      db = await createNativeDatabase(server);
    });
    after(async () => db?.dispose());

    it('keeps the privileges, owner and comment of the table it copies', async () => {
      const { createHypertable, revertHypertable } = await import('../../lib/operations/sql.js');
      await withClient(db.url, async (c) => {
        const roles = await createTestRoles(c);
        const owner = quoteIdent(roles.owner);
        const reader = quoteIdent(roles.reader);
        const reads = [
          'SELECT count(*) FROM swap_me',
          `INSERT INTO swap_me (time, v) VALUES (now(), 1)`,
          `UPDATE swap_me SET v = 2`,
        ];
        const readable = () => outcomesAs(c, roles.reader, reads);
        try {
          await c.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
          await c.query(
            'CREATE TABLE swap_me (id serial, time timestamptz NOT NULL, v int, PRIMARY KEY (id, time))',
          );
          await c.query(createHypertable('swap_me', { timeColumn: 'time' }) as string);
          await c.query(
            `INSERT INTO swap_me (time, v) SELECT now() - i * interval '1 day', i FROM generate_series(1, 5) i`,
          );
          await c.query(`ALTER TABLE swap_me OWNER TO ${owner}`);
          await c.query(`GRANT SELECT, INSERT ON swap_me TO ${reader}`);
          await c.query(`GRANT UPDATE (v) ON swap_me TO ${reader}`);
          await c.query(`GRANT USAGE ON SEQUENCE swap_me_id_seq TO ${reader}`);
          await c.query(`COMMENT ON TABLE swap_me IS 'swapped, not lost'`);
          const before = await relationAccess(c, ['swap_me', 'swap_me_id_seq']);
          expect(await readable()).to.deep.equal(['ok', 'ok', 'ok']);
          await c.query('BEGIN');
          await c.query(revertHypertable('swap_me') as string);
          await c.query('COMMIT');
          const hypertables = await c.query(
            `SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'swap_me'`,
          );
          expect(hypertables.rowCount).to.equal(0);
          expect(await relationAccess(c, ['swap_me', 'swap_me_id_seq'])).to.deep.equal(before);
          expect(await readable()).to.deep.equal(['ok', 'ok', 'ok']);
        } finally {
          await c.query('ROLLBACK').catch(() => undefined);
          await c.query('DROP TABLE IF EXISTS swap_me');
          await dropTestRoles(c, roles);
        }
      });
    });
  });
}

describe('every operation on the PostgreSQL server without TimescaleDB', function () {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createServerDatabase();
  });
  afterEach(async () => db?.dispose());

  it('auto: applies as plain tables, and down→up leaves an identical catalog', async () => {
    await run(db, EVERY_OPERATION, 'up', undefined, 'auto');
    const applied = await snapshot(db);
    expect(applied.hypertables).to.deep.equal([]);
    expect(applied.rowCounts).to.deep.equal({ metrics: 500 });
    expect(applied.constraints.map((k) => (k as { conname: string }).conname)).to.include(
      'metrics_pkey',
    );
    await run(db, EVERY_OPERATION, 'down', 4);
    expect((await snapshot(db)).columns).to.deep.equal([]);
    await run(db, EVERY_OPERATION, 'up');
    expect(await snapshot(db)).to.deep.equal(applied);
  });

  it('auto: says in NOTICEs what it skipped', async () => {
    const { createHypertable } = await import('../../lib/operations/sql.js');
    await withClient(db.url, async (c) => {
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      await c.query('CREATE TABLE m (time timestamptz NOT NULL)');
      await c.query(createHypertable('m', { timeColumn: 'time' }) as string);
      expect(notices).to.deep.equal([
        'prism: hypertable m skipped: TimescaleDB is not available on this server',
      ]);
    });
  });

  it('require: fails before anything changes, naming what is missing', async () => {
    let failure: unknown;
    await run(db, EVERY_OPERATION, 'up', undefined, 'require').catch((e: unknown) => (failure = e));
    expect(failure).to.be.instanceOf(DatabaseError);
    expect((failure as Error).message).to.match(
      /--timescale require: the timescaledb extension is not on this server/,
    );
    const tables = await withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            `SELECT to_regclass('public.pgmigrations') AS t, to_regclass('public.metrics') AS m`,
          )
        ).rows[0],
    );
    expect(tables).to.deep.equal({ t: null, m: null });
  });

  it('require inside the SQL: the migration rolls back when TimescaleDB is missing', async () => {
    const { createHypertable } = await import('../../lib/operations/sql.js');
    await withClient(db.url, async (c) => {
      await c.query('CREATE TABLE m (time timestamptz NOT NULL)');
      let failure: Error | undefined;
      await c
        .query(createHypertable('m', { timeColumn: 'time', timescale: 'require' }) as string)
        .catch((e: Error) => (failure = e));
      expect(failure?.message).to.equal(
        'prism: hypertable m needs TimescaleDB: TimescaleDB is not available on this server',
      );
    });
  });
});

describe('a migration that fails halfway', function () {
  for (const make of [createEmbeddedDatabase, createServerDatabase]) {
    describe(make === createEmbeddedDatabase ? 'embedded TimescaleDB' : 'PostgreSQL server', () => {
      let db: TestDatabase;
      before(async () => {
        db = await make();
      });
      after(async () => db?.dispose());

      it('is rolled back whole and leaves no aborted transaction or advisory lock', async () => {
        await withClient(db.url, async (client) => {
          let failure: unknown;
          await migrate({
            url: db.url,
            client,
            migrationsDir: FAILS_HALFWAY,
            direction: 'up',
          }).catch((e: unknown) => (failure = e));
          expect(failure).to.be.instanceOf(MigrationFailedError);
          expect((failure as Error).message).to.match(
            /^migration 2000_breaks \(up\) failed: division by zero \[22012\]/,
          );
          // Same session: usable, outside any transaction, holding no advisory lock.
          const state = (
            await client.query(
              `SELECT (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks,
                      to_regclass('public.first')::text AS first, to_regclass('public.second')::text AS second,
                      (SELECT array_agg(name ORDER BY name) FROM pgmigrations) AS applied`,
            )
          ).rows[0];
          expect(state).to.deep.equal({
            locks: 0,
            first: 'first',
            second: null,
            applied: ['1000_ok'],
          });
          await client.query('BEGIN');
          await client.query('ROLLBACK');
        });
      });
    });
  }
});
