/**
 * `prism-migrate pull` adopts databases whose schemas were written by hand after public
 * TimescaleDB tutorials and common projects: on native TimescaleDB 2.28.3 and 2.12.2, the
 * embedded TimescaleDB and PostgreSQL without TimescaleDB. After pull, `check` passes,
 * the next `generate` writes nothing, and the baseline applied to an empty database
 * makes the same catalog. What prism.yaml cannot state is commented and listed on stderr;
 * refusals leave nothing written.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { readSchema } from '../../lib/catalog/read.js';
import type { Schema } from '../../lib/schema/types.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { checkCliOutput } from '../helpers/json-schema.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  describeNative,
  type ServerWanted,
} from '../helpers/timescale-servers.js';

interface Flavour {
  /** TimescaleDB is there (hypertables, compression, policies). */
  readonly timescale: boolean;
  /** The create_hypertable API before 2.13 (no by_range). */
  readonly before213: boolean;
}

function hypertable(f: Flavour, table: string, column: string, interval?: string): string {
  if (!f.before213 && interval === undefined)
    return `SELECT create_hypertable('${table}', by_range('${column}'));`;
  const chunk = interval === undefined ? '' : `, chunk_time_interval => ${interval}`;
  return `SELECT create_hypertable('${table}', '${column}'${chunk});`;
}

/**
 * Everything here is something prism.yaml states: after the tutorials (stocks real-time,
 * IoT sensors, NYC taxi rides with a timestamptz time column), a users table with a uuid
 * key and defaults, and integer time with the integer-now function prism-migrate makes.
 */
function expressibleSchema(f: Flavour): string {
  const ts = f.timescale;
  return [
    ts ? 'CREATE EXTENSION IF NOT EXISTS timescaledb;' : '',
    `CREATE TABLE stocks_real_time (time timestamptz NOT NULL, symbol text NOT NULL,
       price double precision, day_volume int);`,
    ts ? hypertable(f, 'stocks_real_time', 'time') : '',
    ts ? 'CREATE INDEX ix_symbol_time ON stocks_real_time (symbol, time);' : '',
    'CREATE TABLE company (symbol text NOT NULL, name text NOT NULL);',
    'CREATE INDEX company_symbol_idx ON company (symbol);',
    `CREATE TABLE sensors (id integer PRIMARY KEY, type varchar(50), location varchar(50));`,
    `CREATE TABLE sensor_data (time timestamptz NOT NULL, sensor_id integer NOT NULL,
       temperature double precision, cpu double precision);`,
    ts ? hypertable(f, 'sensor_data', 'time', "INTERVAL '1 day'") : '',
    'CREATE INDEX sensor_data_sensor_id_idx ON sensor_data (sensor_id);',
    ts
      ? `ALTER TABLE sensor_data SET (timescaledb.compress, timescaledb.compress_segmentby = 'sensor_id', timescaledb.compress_orderby = 'time DESC');
         SELECT add_compression_policy('sensor_data', INTERVAL '7 days');
         SELECT add_retention_policy('sensor_data', INTERVAL '90 days');`
      : '',
    `CREATE TABLE rides (vendor_id text, pickup_datetime timestamptz NOT NULL,
       dropoff_datetime timestamptz NOT NULL, passenger_count numeric, trip_distance numeric,
       payment_type integer, fare_amount numeric(10,2), total_amount numeric(10,2));`,
    ts ? hypertable(f, 'rides', 'pickup_datetime', "INTERVAL '1 day'") : '',
    ts
      ? `CREATE INDEX rides_vendor_id_pickup_datetime_idx ON rides (vendor_id, pickup_datetime);
         CREATE INDEX rides_fares ON rides USING brin (fare_amount);`
      : '',
    `CREATE TABLE users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       email varchar(255) NOT NULL, name text,
       role text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin', 'it''s')),
       active boolean NOT NULL DEFAULT true, settings jsonb DEFAULT '{}',
       score double precision NOT NULL DEFAULT 0.5, visits bigint NOT NULL DEFAULT 0,
       opens time NOT NULL DEFAULT '08:30:00', birthday date DEFAULT CURRENT_DATE,
       created_at timestamptz NOT NULL DEFAULT now());`,
    'CREATE UNIQUE INDEX users_email_idx ON users (email);',
    ts
      ? `CREATE TABLE metrics (ts bigint NOT NULL, device text NOT NULL, value double precision NOT NULL);
         ${hypertable(f, 'metrics', 'ts', '86400000')}
         CREATE FUNCTION metrics_prism_now() RETURNS bigint LANGUAGE sql STABLE
           AS 'SELECT (extract(epoch FROM now()) * 1000)::bigint';
         SELECT set_integer_now_func('metrics', 'metrics_prism_now');
         ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');
         SELECT add_compression_policy('metrics', BIGINT '604800000');
         SELECT add_retention_policy('metrics', BIGINT '2592000000');`
      : '',
  ].join('\n');
}

/** The NYC taxi tutorial as published, a serial key with a foreign key to it, and more. */
const INEXPRESSIBLE_SCHEMA = `
  CREATE EXTENSION IF NOT EXISTS timescaledb;
  CREATE TABLE rides (vendor_id text, pickup_datetime timestamp without time zone NOT NULL,
    dropoff_datetime timestamp without time zone NOT NULL, passenger_count numeric,
    payment_type integer, total_amount numeric);
  SELECT create_hypertable('rides', 'pickup_datetime', 'payment_type', 2,
    create_default_indexes => false);
  CREATE INDEX ON rides (vendor_id, pickup_datetime DESC);
  CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL, ip character(15));
  CREATE TABLE events (time timestamptz NOT NULL, account_id integer REFERENCES accounts (id),
    kind text NOT NULL);
  SELECT create_hypertable('events', 'time');
  CREATE INDEX events_lower_kind ON events (lower(kind));
  CREATE TABLE ticks (t integer NOT NULL, v double precision);
  SELECT create_hypertable('ticks', 't', chunk_time_interval => 3600);
  CREATE FUNCTION unix_now() RETURNS integer LANGUAGE sql STABLE
    AS $$ SELECT extract(epoch FROM now())::integer $$;
  SELECT set_integer_now_func('ticks', 'unix_now');
  SELECT add_retention_policy('ticks', 604800);
  SELECT add_retention_policy('events', INTERVAL '60 days');
  SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs
   WHERE hypertable_name = 'events';
  CREATE VIEW recent_events AS SELECT * FROM events;
  CREATE TABLE audit (at date NOT NULL, what text) PARTITION BY RANGE (at);
  CREATE TABLE audit_2024 PARTITION OF audit FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
`;

async function run(db: TestDatabase, sql: string): Promise<void> {
  await withClient(db.url, (c) => c.query(sql));
}

/** Every table but node-pg-migrate's, as the catalog reader sees it. */
async function catalog(db: TestDatabase): Promise<Schema> {
  const schema = await withClient(db.url, (c) => readSchema(c));
  return { tables: schema.tables.filter((t) => t.name !== 'pgmigrations') };
}

async function applied(db: TestDatabase): Promise<string[]> {
  return withClient(db.url, async (c) => {
    const t = await c.query<{ t: string | null }>(`SELECT to_regclass('public.pgmigrations') AS t`);
    if (!t.rows[0]?.t) return [];
    return (await c.query<{ name: string }>('SELECT name FROM public.pgmigrations')).rows.map(
      (r) => r.name,
    );
  });
}

function cli(dir: string, url: string, ...args: string[]): Promise<CliResult> {
  return runCli(['--database-url', url, ...args], {
    cwd: dir,
    env: { DATABASE_URL: undefined },
    timeoutMs: 120_000,
  });
}

function expectExit(result: CliResult, code: number): void {
  expect(result.code, `exit code; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).to.equal(
    code,
  );
}

function migrationFiles(dir: string): string[] {
  const migrations = join(dir, 'migrations');
  return existsSync(migrations) ? readdirSync(migrations).filter((f) => !f.startsWith('.')) : [];
}

function suite(create: () => Promise<TestDatabase>, flavour: Flavour): void {
  let source: TestDatabase;
  let dir: string;
  before(async () => {
    source = await create();
    await run(source, expressibleSchema(flavour));
    dir = tempDir('prism-pull-');
  });
  after(async () => {
    await source?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pulls every table with no note, then check passes and generate writes nothing', async () => {
    const pulled = await cli(dir, source.url, 'pull');
    expectExit(pulled, 0);
    expect(pulled.stderr).not.to.match(/note:/);
    const expectedModels = [
      'Company (table company)',
      ...(flavour.timescale ? ['Metrics (table metrics)'] : []),
      'Rides (table rides)',
      'SensorData (table sensor_data)',
      'Sensors (table sensors)',
      'StocksRealTime (table stocks_real_time)',
      'Users (table users)',
    ];
    expect(pulled.stdout).to.include(expectedModels.map((m) => `  ${m}`).join('\n'));
    const spec = readFileSync(join(dir, 'prism.yaml'), 'utf8');
    expect(spec).to.match(
      /^# Written by prism-migrate pull from schema public\.\n\ntimescale: auto\n/,
    );
    expect(spec).not.to.include('pull:');
    if (flavour.timescale) {
      expect(spec).to.include(
        [
          '    timeseries:',
          '      time_column: time',
          '      chunk_interval: 1 day',
          '      compression:',
          '        enabled: true',
          '        segment_by: [sensor_id]',
          '        after: 7 days',
          '      retention:',
          '        enabled: true',
          '        drop_after: 90 days',
        ].join('\n'),
      );
      expect(spec).to.include('      chunk_interval: 86400000\n      time_unit: ms\n');
      expect(spec).to.include(
        '        - columns: [symbol, time]\n          name: ix_symbol_time\n',
      );
    }
    const files = migrationFiles(dir);
    expect(files).to.have.length(1);
    expect(files[0]).to.match(/^\d+_baseline\.ts$/);
    expect(await applied(source)).to.deep.equal([(files[0] as string).replace(/\.ts$/, '')]);

    const checked = await cli(dir, source.url, 'check');
    expectExit(checked, 0);
    const generated = await cli(dir, source.url, 'generate');
    expectExit(generated, 0);
    expect(generated.stdout).to.include('No changes');
    expect(migrationFiles(dir)).to.deep.equal(files);
  });

  it('the baseline, applied to an empty database, makes the same catalog', async () => {
    const empty = await create();
    try {
      expectExit(await cli(dir, empty.url, 'up'), 0);
      const [want, got] = [await catalog(source), await catalog(empty)];
      expect(got.tables.map((t) => t.name)).to.deep.equal(want.tables.map((t) => t.name));
      expect(got).to.deep.equal(want);
    } finally {
      await empty.dispose();
    }
  });

  it('refuses a second pull: the database has applied migrations', async () => {
    const again = tempDir('prism-pull-again-');
    try {
      const r = await cli(again, source.url, 'pull');
      expectExit(r, 2);
      expect(r.stderr).to.match(/has 1 applied migration\(s\) already/);
      expect(readdirSync(again)).to.deep.equal([]);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
}

function nativeSuites(wanted: ServerWanted, before213: boolean): void {
  describeNative(wanted, 'pull', (server) => {
    suite(() => createNativeDatabase(server), { timescale: true, before213 });

    describe('what prism.yaml cannot state', () => {
      let source: TestDatabase;
      let dir: string;
      before(async () => {
        source = await createNativeDatabase(server);
        await run(source, INEXPRESSIBLE_SCHEMA);
        dir = tempDir('prism-pull-');
      });
      after(async () => {
        await source?.dispose();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('names each in a comment at its place and on stderr; the baseline still applies', async () => {
        const pulled = await cli(dir, source.url, 'pull');
        expectExit(pulled, 0);
        const notes = pulled.stderr.split('\n').filter((l) => l.startsWith('note: '));
        expect(notes).to.deep.equal([
          "note: accounts: default of column id: DEFAULT nextval('accounts_id_seq'::regclass) is not a value prism.yaml can state; the field is written without it",
          'note: accounts: column ip (character(15)): prism.yaml has no field type for character(15); left out',
          'note: audit: table audit: a partitioned table: PARTITION BY RANGE (at): prism.yaml cannot state it; left out',
          "note: audit_2024: table audit_2024: a partition of public.audit FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'): prism.yaml cannot state it; left out",
          'note: events: index events_lower_kind: on an expression: CREATE INDEX events_lower_kind ON public.events USING btree (lower(kind)); left out',
          'note: events: job policy_retention: paused (scheduled => false): _timescaledb_functions.policy_retention with config {"drop_after": "60 days"}; left out',
          'note: ticks: integer-now function unix_now: not one prism-migrate makes (ticks_prism_now, from time_unit); time_unit is not written and the baseline does not set it',
          'note: ticks: retention policy: drop_after 604800 needs an integer-now function prism-migrate makes (time_unit); left out',
          'note: public.recent_events: view public.recent_events: a view: prism.yaml cannot state it; left out',
        ]);
        const spec = readFileSync(join(dir, 'prism.yaml'), 'utf8');
        // The serial key's foreign key is one prism.yaml states.
        expect(spec).to.include('        references: Accounts.id\n');
        for (const note of notes) {
          const [, table, rest] = /^note: ([^:]+): (.*)$/.exec(note) as RegExpExecArray;
          expect(spec, `${table}`).to.include(`# pull: ${rest}`);
        }
        expect(spec).to.include(
          [
            '      - name: email',
            '        type: text',
            '      # pull: column ip (character(15)): prism.yaml has no field type for character(15); left out',
          ].join('\n'),
        );
        expect(pulled.stdout).to.include(
          '9 thing(s) prism.yaml cannot state yet are listed above and commented in prism.yaml',
        );
        const generated = await cli(dir, source.url, 'generate');
        expectExit(generated, 0);
        expect(generated.stdout).to.include('No changes');
        // What no spec can hold is left alone by check too, so it passes right after pull.
        const checked = await cli(dir, source.url, 'check');
        expectExit(checked, 0);
        // Drift in what prism.yaml does state is still found.
        await run(
          source,
          'ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL; CREATE INDEX accounts_email_idx ON accounts (email)',
        );
        await run(source, 'ALTER TABLE accounts ALTER COLUMN id SET DEFAULT 7');
        const drifted = await cli(dir, source.url, 'check', '--json');
        expectExit(drifted, 1);
        expect(
          (
            JSON.parse(drifted.stdout) as { database: { drift: { what: string }[] } }
          ).database.drift.map((d) => d.what),
        ).to.deep.equal([
          // Accepted at adoption as `nextval(…)`, changed since: drift again.
          'column id default',
          'column email nullability',
          'index accounts_email_idx',
        ]);
        await run(
          source,
          "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL; DROP INDEX accounts_email_idx; ALTER TABLE accounts ALTER COLUMN id SET DEFAULT nextval('accounts_id_seq'::regclass)",
        );

        const empty = await createNativeDatabase(server);
        try {
          expectExit(await cli(dir, empty.url, 'up'), 0);
          const tables = (await catalog(empty)).tables;
          expect(tables.map((t) => [t.name, t.columns.map((c) => c.name)])).to.deep.equal([
            ['accounts', ['id', 'email']],
            ['events', ['time', 'account_id', 'kind']],
            [
              'rides',
              [
                'vendor_id',
                'pickup_datetime',
                'dropoff_datetime',
                'passenger_count',
                'payment_type',
                'total_amount',
              ],
            ],
            ['ticks', ['t', 'v']],
          ]);
          expect(tables.map((t) => t.hypertable?.timeColumn)).to.deep.equal([
            undefined,
            'time',
            'pickup_datetime',
            't',
          ]);
        } finally {
          await empty.dispose();
        }
      });
    });
  });
}

/** What a refused or failed pull must not leave: files, or a migrations table. */
async function expectNothingWritten(dir: string, db: TestDatabase, before: string[] = []) {
  expect(readdirSync(dir).sort()).to.deep.equal([...before].sort());
  expect(await applied(db)).to.deep.equal([]);
  expect(
    await withClient(
      db.url,
      async (c) => (await c.query(`SELECT to_regclass('public.pgmigrations') AS t`)).rows[0]?.t,
    ),
  ).to.equal(null);
}

describe('pull: refusals, selections and exit codes on PostgreSQL', function () {
  this.timeout(300_000);
  let db: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await createServerDatabase('prism_pull');
    await run(
      db,
      `CREATE TABLE users (id uuid PRIMARY KEY, email text NOT NULL);
       CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(10,2) NOT NULL);
       CREATE SCHEMA app;
       CREATE TABLE app.devices (id uuid PRIMARY KEY, name varchar(40) NOT NULL);`,
    );
    dir = tempDir('prism-pull-');
  });
  afterEach(async () => {
    await db?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an existing prism.yaml without --force: exit 2, nothing written; --force overwrites it', async () => {
    writeFileSync(join(dir, 'prism.yaml'), 'models: []\n');
    const refused = await cli(dir, db.url, 'pull');
    expectExit(refused, 2);
    expect(refused.stderr).to.include('prism.yaml exists already; pull writes a new spec');
    expect(refused.stderr).to.include('overwrite it with --force');
    expect(readFileSync(join(dir, 'prism.yaml'), 'utf8')).to.equal('models: []\n');
    await expectNothingWritten(dir, db, ['prism.yaml']);

    const forced = await cli(dir, db.url, 'pull', '--force');
    expectExit(forced, 0);
    expect(readFileSync(join(dir, 'prism.yaml'), 'utf8')).to.include('- name: Users');
    expect(await applied(db)).to.have.length(1);
  });

  it('a migrations folder with a migration or a snapshot: exit 2, nothing written', async () => {
    mkdirSync(join(dir, 'migrations', '.prism'), { recursive: true });
    writeFileSync(join(dir, 'migrations', '1_init.sql'), '-- up migration\n');
    const withMigration = await cli(dir, db.url, 'pull');
    expectExit(withMigration, 2);
    expect(withMigration.stderr).to.match(
      /the migrations folder .*migrations holds 1 migration\(s\) already; pull adopts a database once/,
    );
    rmSync(join(dir, 'migrations', '1_init.sql'));
    writeFileSync(join(dir, 'migrations', '.prism', 'snapshot.json'), '{}');
    const withSnapshot = await cli(dir, db.url, 'pull');
    expectExit(withSnapshot, 2);
    expect(withSnapshot.stderr).to.include('holds a snapshot already');
    await expectNothingWritten(dir, db, ['migrations']);
    expect(readdirSync(join(dir, 'migrations'))).to.deep.equal(['.prism']);
  });

  it('--tables: only those; a name it does not hold or pgmigrations is refused', async () => {
    const missing = await cli(dir, db.url, 'pull', '--tables', 'users,nope');
    expectExit(missing, 2);
    expect(missing.stderr).to.include('--tables: no table "nope" in schema public');
    const own = await cli(dir, db.url, 'pull', '--tables', 'pgmigrations');
    expectExit(own, 2);
    expect(own.stderr).to.include("pgmigrations is node-pg-migrate's own table");
    const bad = await cli(dir, db.url, 'pull', '--tables', 'users,');
    expectExit(bad, 2);
    await expectNothingWritten(dir, db);

    const some = await cli(dir, db.url, 'pull', '--tables', 'orders');
    expectExit(some, 0);
    const spec = readFileSync(join(dir, 'prism.yaml'), 'utf8');
    expect(spec).to.include('- name: Orders');
    expect(spec).not.to.include('Users');
    expectExit(await cli(dir, db.url, 'check'), 0);
  });

  it('--schema: another schema than the current one; its models get `schema:`', async () => {
    const unknown = await cli(dir, db.url, 'pull', '--schema', 'nope');
    expectExit(unknown, 2);
    expect(unknown.stderr).to.include('schema "nope" does not exist in this database');
    await expectNothingWritten(dir, db);

    const pulled = await cli(dir, db.url, 'pull', '--schema', 'app', '--json');
    expectExit(pulled, 0);
    expect(checkCliOutput('pull', pulled.stdout)).to.deep.equal([]);
    const result = JSON.parse(pulled.stdout) as {
      schema: string;
      tables: { model: string; table: string }[];
      notes: unknown[];
      migration: string;
    };
    expect(result.schema).to.equal('app');
    expect(result.tables).to.deep.equal([{ model: 'Devices', table: 'devices' }]);
    expect(result.notes).to.deep.equal([]);
    expect(readFileSync(join(dir, 'prism.yaml'), 'utf8')).to.include('schema: app');
    expect(await applied(db)).to.deep.equal([result.migration]);
    // Checked where the tables are, whatever the connection's search_path.
    expectExit(await cli(dir, db.url, 'check'), 0);
  });

  it('a schema without tables: exit 2, nothing written', async () => {
    await run(db, 'CREATE SCHEMA empty');
    const r = await cli(dir, `${db.url}?options=-c%20search_path%3Dempty`, 'pull');
    expectExit(r, 2);
    expect(r.stderr).to.include('schema empty has no tables to pull; nothing was written');
    await expectNothingWritten(dir, db);
  });

  it('a database it cannot reach: exit 3', async () => {
    const r = await cli(dir, 'postgres://root@127.0.0.1:1/nowhere', 'pull');
    expectExit(r, 3);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('recording refused by the database: exit 3, the files taken back, an overwritten spec restored', async () => {
    const role = `prism_pull_reader_${process.pid}`;
    await run(db, `CREATE ROLE ${role} LOGIN`);
    try {
      writeFileSync(join(dir, 'prism.yaml'), 'models: []\n');
      const url = new URL(db.url);
      url.username = role;
      // PostgreSQL 15 lets only the owner create in public: reading works, recording not.
      const r = await cli(dir, url.toString(), 'pull', '--force');
      expectExit(r, 3);
      expect(r.stderr).to.match(
        /could not record \d+_baseline as applied in .*: permission denied for schema public \[42501\]; the files pull wrote were removed again/,
      );
      expect(readFileSync(join(dir, 'prism.yaml'), 'utf8')).to.equal('models: []\n');
      await expectNothingWritten(dir, db, ['prism.yaml']);
    } finally {
      await run(db, `DROP ROLE ${role}`);
    }
  });
});

describe('pull', function () {
  this.timeout(600_000);

  nativeSuites({ license: 'timescale', before213: false }, false);
  nativeSuites({ license: 'timescale', before213: true }, true);

  describe('on the embedded TimescaleDB', () => {
    suite(() => createEmbeddedDatabase(), { timescale: true, before213: false });
  });

  describe('on PostgreSQL without TimescaleDB', () => {
    suite(() => createServerDatabase('prism_pull'), { timescale: false, before213: false });
  });
});
