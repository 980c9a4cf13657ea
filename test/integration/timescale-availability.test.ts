/**
 * TimescaleDB as a self-hosted server has it: installed on the server, created in no
 * database. Through the real CLI:
 * - a new database gets hypertables, compression and policies from the first `up`;
 * - a user who may not create the extension gets plain tables with a NOTICE saying so,
 *   `check` reports the missing hypertable, compression and policies, and once the
 *   privilege is there `apply-timescale` converts the tables with their rows;
 * - a server whose library is not preloaded is named as such, never crashed into;
 * - on the embedded database, tables made plain (`--timescale off`) are drift and are
 *   converted the same way; on PostgreSQL without TimescaleDB nothing is drift and
 *   `apply-timescale` says there is nothing it can do.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { runCli, type CliResult } from '../helpers/cli.js';
import { checkCliOutput } from '../helpers/json-schema.js';
import {
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { openDatabase } from '../../lib/db/open.js';
import { tableState } from '../helpers/catalog.js';
import { policyJobId, serverNow, waitForScheduledRun } from '../helpers/job-stats.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  TIMESCALE_REQUIRED,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SEED = readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8');
const NO_STACK = /^\s+at /m;

/** A project directory with the seed's spec and its first migration generated. */
async function project(): Promise<string> {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'prism.yaml'), SEED);
  const r = await runCli(['generate', '--name', 'init'], {
    cwd: dir,
    env: { DATABASE_URL: undefined },
  });
  expect(r.code, r.stderr).to.equal(0);
  return dir;
}

/** A new database on `server` and a project with the seed's first migration, for one suite. */
function nativeProject(server: NativeServer): { db: TestDatabase; dir: string } {
  const at = { db: undefined as unknown as TestDatabase, dir: '' };
  before(async () => {
    at.db = await createNativeDatabase(server);
    at.dir = await project();
  });
  after(async () => at.db?.dispose());
  return at;
}

function cli(dir: string, url: string) {
  return async (...args: string[]): Promise<CliResult> => {
    const r = await runCli(args, { cwd: dir, env: { DATABASE_URL: url } });
    expect(r.stderr).to.not.match(NO_STACK);
    return r;
  };
}

/** Rows two years back to now, 3 hours apart. */
const INSERT_ROWS = `INSERT INTO datapoint (id, "timestamp", source, value)
  SELECT gen_random_uuid(), now() - (g * interval '3 hours'), 's' || (g % 4), g
    FROM generate_series(0, 8 * 730) g`;

async function catalog(url: string) {
  return withClient(url, (c) => tableState(c, 'datapoint'));
}

describeNative(CURRENT_TSL, 'a new database on a self-hosted server', (server: NativeServer) => {
  const at = nativeProject(server);

  it('gets hypertables, compression and policies from the first `up`', async () => {
    const run = cli(at.dir, at.db.url);
    const before = await run('status');
    expect(before.code).to.equal(0);
    expect(before.stdout).to.include(
      `TimescaleDB ${server.version} is on this server but not yet created in database`,
    );
    const info = JSON.parse((await run('timescale-info', '--json')).stdout) as {
      timescale: { availability: string; availableVersion: string };
    };
    expect(info.timescale).to.deep.include({
      availability: 'creatable',
      availableVersion: server.version,
    });
    const up = await run('up');
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stderr).to.include(
      `notice: prism: created the timescaledb extension ${server.version} in database`,
    );
    expect(await catalog(at.db.url)).to.deep.equal({
      extension: server.version,
      rows: 0,
      hypertable: true,
      jobs: ['policy_compression', 'policy_retention'],
    });
    const status = await run('status');
    expect(status.stdout).to.include(`TimescaleDB ${server.version} (license: timescale)`);
    expect(status.stdout).to.include(
      'public.datapoint on timestamp: chunks of 7 days, 0 chunks, compression on, compress after 1 mon, drop after 1 year',
    );
    const check = await run('check');
    expect(check.code, check.stdout + check.stderr).to.equal(0);
  });
});

describeNative(
  CURRENT_TSL,
  'a user who may not create TimescaleDB, then may',
  (server: NativeServer) => {
    let db: TestDatabase;
    let dir: string;
    let userUrl: string;
    const role = `prism_deployer_${process.pid}`;
    const admin = (sql: string) => withClient(db.url, (c) => c.query(sql));
    before(async () => {
      db = await createNativeDatabase(server);
      dir = await project();
      await admin(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await admin(`CREATE ROLE ${role} LOGIN`);
      await admin(`GRANT ALL ON SCHEMA public TO ${role}`);
      // Its own schema comes first on the default search_path ("$user", public).
      await admin(`CREATE SCHEMA ${role} AUTHORIZATION ${role}`);
      const u = new URL(db.url);
      u.username = role;
      u.password = '';
      userUrl = u.toString();
    });
    after(async () => {
      await db?.dispose();
      await withClient(server.url, (c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    });

    it('`up` makes plain tables and says which privilege is missing', async () => {
      const run = cli(dir, userUrl);
      const status = await run('status');
      expect(status.stdout).to.include(
        `TimescaleDB ${server.version} is on this server, but user "${role}" may not create the extension`,
      );
      const required = await run('up', '--timescale', 'require');
      expect(required.code).to.equal(3);
      expect(required.stderr).to.include(
        `error: --timescale require: user "${role}" may not create the timescaledb extension in database`,
      );
      expect(required.stderr).to.include(
        'hint: grant the user CREATE on the database and on schema public',
      );
      const up = await run('up');
      expect(up.code, up.stderr).to.equal(0);
      expect(up.stderr).to.include(
        'notice: prism: hypertable datapoint skipped: this user may not create the timescaledb extension here (it needs CREATE on the database and on schema public, or a superuser to run CREATE EXTENSION timescaledb): permission denied to create extension "timescaledb"',
      );
      await withClient(userUrl, (c) => c.query(INSERT_ROWS));
      expect(await catalog(userUrl)).to.deep.equal({
        extension: null,
        rows: 5841,
        hypertable: false,
        jobs: [],
      });
    });

    it('`check` reports the hypertable, compression and policies as drift', async () => {
      const check = await cli(dir, userUrl)('check', '--json');
      expect(check.code).to.equal(1);
      const drift = (
        JSON.parse(check.stdout) as {
          database: { drift: { what: string; actual: string; fix: string }[] };
        }
      ).database.drift;
      expect(drift.map((d) => [d.what, d.actual])).to.deep.equal([
        ['hypertable', 'plain table'],
        ['compression', 'none (plain table)'],
        ['compression policy', 'none (plain table)'],
        ['retention policy', 'none (plain table)'],
      ]);
      expect(drift[0]?.fix).to.equal(
        'have a superuser run CREATE EXTENSION timescaledb in this database (or grant CREATE on it), then run `prism-migrate apply-timescale`',
      );
      const apply = await cli(dir, userUrl)('apply-timescale');
      expect(apply.code).to.equal(3);
      expect(apply.stderr).to.include(
        `error: nothing can be applied: TimescaleDB ${server.version} is on this server, but user "${role}" may not create the extension`,
      );
    });

    it('`apply-timescale` refuses a retention that drops rows, then converts with rows kept', async () => {
      await admin(`GRANT CREATE ON DATABASE "${new URL(db.url).pathname.slice(1)}" TO ${role}`);
      const run = cli(dir, userUrl);
      const refused = await run('apply-timescale');
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(
        /apply-timescale: PM103 retention drops chunks of datapoint older than 1 year on its first run\n {4}would lose: \d+ chunk\(s\) of datapoint from .* \d+ row\(s\)/,
      );
      expect(await catalog(userUrl)).to.deep.include({ extension: null, hypertable: false });

      const dry = await run('apply-timescale', '--dry-run');
      expect(dry.code, dry.stderr).to.equal(0);
      expect(dry.stdout).to.include(
        `would apply: create TimescaleDB ${server.version} in this database`,
      );
      expect(dry.stdout).to.include('dry run: 5 step(s) rolled back, nothing changed');
      expect(await catalog(userUrl)).to.deep.include({ extension: null, hypertable: false });

      const since = await withClient(db.url, serverNow);
      const applied = await run('apply-timescale', '--allow-data-loss', '--json');
      expect(applied.code, applied.stderr).to.equal(0);
      expect(checkCliOutput('apply-timescale', applied.stdout)).to.deep.equal([]);
      const result = JSON.parse(applied.stdout) as {
        createdExtension: string | null;
        steps: { description: string }[];
        dataLoss: { rows: number }[];
      };
      expect(result.createdExtension).to.equal(server.version);
      expect(result.steps.map((s) => s.description)).to.deep.equal([
        'make datapoint a hypertable on timestamp',
        'enable compression on datapoint',
        'compress datapoint after 1 month',
        'drop chunks of datapoint after 1 year',
      ]);
      // The rows were converted; the scheduler runs the new retention at once and drops
      // what apply-timescale counted.
      const lost = result.dataLoss[0]?.rows ?? 0;
      expect(lost).to.be.greaterThan(0);
      const retention = await withClient(db.url, (c) =>
        policyJobId(c, 'datapoint', 'policy_retention'),
      );
      await waitForScheduledRun(db.url, retention, since);
      expect(await catalog(userUrl)).to.deep.equal({
        extension: server.version,
        rows: 5841 - lost,
        hypertable: true,
        jobs: ['policy_compression', 'policy_retention'],
      });
      // In public, where every role finds it, not in the deploying user's own schema.
      const schema = await withClient(
        db.url,
        async (c) =>
          (
            await c.query(
              `SELECT extnamespace::regnamespace::text AS s FROM pg_extension WHERE extname = 'timescaledb'`,
            )
          ).rows[0]?.s as string,
      );
      expect(schema).to.equal('public');
      const check = await run('check');
      expect(check.code, check.stdout).to.equal(0);
      const again = await run('apply-timescale');
      expect(again.stdout).to.include('Nothing to apply');
    });
  },
);

describe('a server with TimescaleDB installed but not preloaded', function () {
  const url = process.env['PRISM_TEST_TIMESCALE_NOPRELOAD_URL'];
  let db: TestDatabase;
  let dir: string;
  before(async function () {
    if (!url) {
      if (TIMESCALE_REQUIRED)
        throw new Error('PRISM_TEST_TIMESCALE_NOPRELOAD_URL is required with the native servers');
      console.warn(
        '\n  SKIPPED: no server without timescaledb preloaded (PRISM_TEST_TIMESCALE_NOPRELOAD_URL).\n',
      );
      this.skip();
    }
    db = await createServerDatabase('prism_nopreload', url);
    dir = await project();
  });
  after(async () => db?.dispose());

  it('is named with its setting by status, up, check and apply-timescale, and the session survives', async () => {
    const run = cli(dir, db.url);
    const setting =
      'add timescaledb to shared_preload_libraries in postgresql.conf and restart the server';
    // A placeholder of the loader's setting must not pass for the loaded library.
    await withClient(db.url, (c) =>
      c.query(
        `ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET timescaledb.disable_load = 'off'`,
      ),
    );
    expect((await run('status')).stdout).to.include(setting);
    const required = await run('up', '--timescale', 'require');
    expect(required.code).to.equal(3);
    expect(required.stderr).to.include('the timescaledb package is on this server but not loaded');
    const up = await run('up');
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stderr).to.include(
      `notice: prism: hypertable datapoint skipped: the timescaledb package is on this server but not loaded: ${setting}`,
    );
    expect((await catalog(db.url)).extension).to.equal(null);
    const check = await run('check');
    expect(check.code).to.equal(1);
    expect(check.stdout).to.include(
      'drift in datapoint: hypertable is plain table, expected hypertable on timestamp\n    change: make datapoint a hypertable on timestamp — add timescaledb to shared_preload_libraries',
    );
    const apply = await run('apply-timescale');
    expect(apply.code).to.equal(3);
    expect(apply.stderr).to.include('not loaded');
  });
});

describe('tables made plain on embedded TimescaleDB, then converted', function () {
  this.timeout(180_000);
  let dir: string;
  const noUrl = { DATABASE_URL: undefined };
  const onEmbedded = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
    const db = await openDatabase(
      { kind: 'embedded', dataDir: join(dir, '.prism', 'db') },
      { command: 'test' },
    );
    try {
      return await withClient(db.url, work);
    } finally {
      await db.close();
    }
  };
  before(async () => {
    dir = await project();
  });

  it('are drift, and `apply-timescale` makes them hypertables with their rows', async () => {
    const run = (...args: string[]) => runCli(args, { cwd: dir, env: noUrl });
    expect((await run('up', '--timescale', 'off')).code).to.equal(0);
    await onEmbedded((c) => c.query(INSERT_ROWS));
    const check = await run('check');
    expect(check.code).to.equal(1);
    expect(check.stdout).to.include(
      'drift in datapoint: hypertable is plain table, expected hypertable on timestamp\n    change: make datapoint a hypertable on timestamp — run `prism-migrate up`; if every migration is applied, TimescaleDB was missing when they ran: `prism-migrate apply-timescale` converts the table with its rows',
    );
    const applied = await run('apply-timescale', '--allow-data-loss');
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.include('applied: make datapoint a hypertable on timestamp');
    expect(applied.stdout).not.to.include('create TimescaleDB');
    const state = await onEmbedded(async (c) => ({
      rows: Number((await c.query('SELECT count(*) AS n FROM datapoint')).rows[0]?.n),
      jobs: (
        await c.query(
          `SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name = 'datapoint' ORDER BY 1`,
        )
      ).rows.map((r) => r.proc_name as string),
    }));
    expect(state).to.deep.equal({ rows: 5841, jobs: ['policy_compression', 'policy_retention'] });
    expect((await run('check')).code).to.equal(0);
  });
});

describe('PostgreSQL without TimescaleDB', function () {
  let db: TestDatabase;
  let dir: string;
  before(async () => {
    db = await createServerDatabase();
    dir = await project();
  });
  after(async () => db?.dispose());

  it('has plain tables by design: no drift, and nothing `apply-timescale` can do', async () => {
    const run = cli(dir, db.url);
    expect((await run('up')).code).to.equal(0);
    const check = await run('check');
    expect(check.code, check.stdout).to.equal(0);
    const apply = await run('apply-timescale');
    expect(apply.code).to.equal(3);
    expect(apply.stderr).to.include(
      'error: nothing can be applied: TimescaleDB: not on this server',
    );
    expect(apply.stderr).to.include('hint: install TimescaleDB on the server first');
  });
});

describeNative(
  { license: 'apache' },
  'a new database on an Apache-only build',
  (server: NativeServer) => {
    const at = nativeProject(server);

    it('gets hypertables without compression or policies, and nothing is drift', async () => {
      const run = cli(at.dir, at.db.url);
      // Plain tables first: before TimescaleDB exists here, its licence is probed, so only
      // the hypertable is missing.
      expect((await run('up', '--timescale', 'off')).code).to.equal(0);
      const plain = await run('check', '--json');
      expect(plain.code).to.equal(1);
      expect(
        (
          JSON.parse(plain.stdout) as { database: { drift: { what: string }[] } }
        ).database.drift.map((d) => d.what),
      ).to.deep.equal(['hypertable']);
      expect((await run('down')).code).to.equal(0);
      const up = await run('up');
      expect(up.code, up.stderr).to.equal(0);
      expect(up.stderr).to.include(
        'notice: prism: compression on datapoint skipped: the TimescaleDB build here is Apache-only',
      );
      expect(await catalog(at.db.url)).to.deep.equal({
        extension: server.version,
        rows: 0,
        hypertable: true,
        jobs: [],
      });
      const check = await run('check');
      expect(check.code, check.stdout).to.equal(0);
      const apply = await run('apply-timescale');
      expect(apply.code, apply.stderr).to.equal(0);
      expect(apply.stdout).to.include('Nothing to apply');
      expect(apply.stderr).to.include(
        `skipped: enable compression on datapoint (TimescaleDB ${server.version} (license: apache) has no compression or policies)`,
      );
    });
  },
);

for (const before213 of [false, true]) {
  describeNative(
    { license: 'timescale', before213 },
    'a populated table that becomes a hypertable with retention in one `up`',
    (server: NativeServer) => {
      let db: TestDatabase;
      let dir: string;
      before(async () => {
        db = await createNativeDatabase(server);
        dir = tempDir();
        mkdirSync(dir, { recursive: true });
        // The seed's model without its timeseries block first, then with it.
        writeFileSync(join(dir, 'prism.yaml'), SEED.slice(0, SEED.indexOf('    # TimescaleDB')));
        const env = { DATABASE_URL: db.url };
        expect((await runCli(['generate', '--name', 'plain'], { cwd: dir, env })).code).to.equal(0);
        expect((await runCli(['up'], { cwd: dir, env })).code).to.equal(0);
        await withClient(db.url, (c) => c.query(INSERT_ROWS));
        writeFileSync(join(dir, 'prism.yaml'), SEED);
        expect(
          (await runCli(['generate', '--name', 'timeseries'], { cwd: dir, env })).code,
        ).to.equal(0);
      });
      after(async () => db?.dispose());

      it('is refused, counted after the conversion, and rolled back whole', async () => {
        const up = await cli(dir, db.url)('up');
        expect(up.code).to.equal(1);
        expect(up.stderr).to.match(
          /error: migration \d+_timeseries \(up\) refused: the retention policy on datapoint would drop (\d+) row\(s\) in (\d+) chunk\(s\) older than 1 year on its first run: the table became a hypertable with those rows in this migration\n {2}it was rolled back: nothing from this migration was applied/,
        );
        const lost = Number(/would drop (\d+) row/.exec(up.stderr)?.[1]);
        const expected = await withClient(db.url, async (c) =>
          // Whole 7-day chunks (aligned as TimescaleDB aligns them) that end before the cut-off.
          Number(
            (
              await c.query(
                `SELECT count(*) AS n FROM datapoint
                    WHERE "timestamp" < to_timestamp(floor(extract(epoch FROM now() - interval '1 year') / 604800) * 604800)`,
              )
            ).rows[0]?.n,
          ),
        );
        expect(lost).to.equal(expected);
        expect(await catalog(db.url)).to.deep.equal({
          extension: null,
          rows: 5841,
          hypertable: false,
          jobs: [],
        });
      });

      it('goes ahead with --allow-data-loss', async () => {
        const up = await cli(dir, db.url)('up', '--allow-data-loss');
        expect(up.code, up.stderr).to.equal(0);
        expect(await catalog(db.url)).to.deep.include({
          extension: server.version,
          hypertable: true,
          jobs: ['policy_compression', 'policy_retention'],
        });
      });
    },
  );
}

describeNative(
  CURRENT_TSL,
  'a migration tuning a table that TimescaleDB missed',
  (server: NativeServer) => {
    const at = nativeProject(server);

    it('is skipped under auto with a NOTICE, and apply-timescale completes the table', async () => {
      const run = cli(at.dir, at.db.url);
      expect((await run('up', '--timescale', 'off')).code).to.equal(0);
      // Later, an administrator creates TimescaleDB in the database.
      await withClient(at.db.url, (c) => c.query('CREATE EXTENSION timescaledb'));
      writeFileSync(
        join(at.dir, 'prism.yaml'),
        SEED.replace('after: 1 month', 'after: 2 months').replace(
          'chunk_interval: 1 week',
          'chunk_interval: 1 day',
        ),
      );
      expect((await run('generate', '--name', 'tune')).code).to.equal(0);
      const pending = await run('check');
      expect(pending.code).to.equal(1);
      expect(pending.stdout).to.include(
        'drift in datapoint: hypertable is plain table, expected hypertable on timestamp\n    change: make datapoint a hypertable on timestamp — run `prism-migrate up` first (1 migration(s) pending), then check again',
      );
      const up = await run('up');
      expect(up.code, up.stderr).to.equal(0);
      expect(up.stderr).to.include(
        'notice: prism: set the chunk interval skipped: datapoint is not a hypertable (TimescaleDB was missing when it was created?); once every migration is applied, `prism-migrate apply-timescale` makes it one',
      );
      expect(up.stderr).to.include(
        'notice: prism: add a compression policy skipped: datapoint is not a hypertable',
      );
      const apply = await run('apply-timescale');
      expect(apply.code, apply.stderr).to.equal(0);
      expect(apply.stdout).to.include('applied: make datapoint a hypertable on timestamp');
      expect(apply.stdout).to.include('applied: compress datapoint after 2 months');
      const check = await run('check');
      expect(check.code, check.stdout).to.equal(0);
      const chunk = await withClient(
        at.db.url,
        async (c) =>
          (
            await c.query(
              `SELECT time_interval::text FROM timescaledb_information.dimensions WHERE hypertable_name = 'datapoint'`,
            )
          ).rows[0]?.time_interval as string,
      );
      expect(chunk).to.equal('1 day');
    });
  },
);

describeNative(
  CURRENT_TSL,
  'an integer time column converted by apply-timescale',
  (server: NativeServer) => {
    let db: TestDatabase;
    let dir: string;
    before(async () => {
      db = await createNativeDatabase(server);
      dir = tempDir();
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'prism.yaml'),
        readFileSync(resolve('spec/examples/iot-sensors.yaml'), 'utf8'),
      );
      const r = await runCli(['generate', '--name', 'init'], {
        cwd: dir,
        env: { DATABASE_URL: db.url },
      });
      expect(r.code, r.stderr).to.equal(0);
    });
    after(async () => db?.dispose());

    it('counts the rows its retention drops in the column units, exactly', async () => {
      const run = cli(dir, db.url);
      expect((await run('up', '--timescale', 'off')).code).to.equal(0);
      // One reading an hour for 120 days, in epoch milliseconds.
      await withClient(db.url, (c) =>
        c.query(`INSERT INTO sensor_readings (device_id, recorded_at_ms, metric, value)
          SELECT '00000000-0000-0000-0000-000000000001', (extract(epoch FROM now()) * 1000)::bigint - g::bigint * 3600000, 't', g
            FROM generate_series(0, 24 * 120) g`),
      );
      const refused = await run('apply-timescale');
      expect(refused.code).to.equal(1);
      const m =
        /would lose: (\d+) chunk\(s\) of sensor_readings from \d+ to \d+, (\d+) row\(s\)/.exec(
          refused.stderr,
        );
      expect(m, refused.stderr).to.not.equal(null);
      // 1-day chunks aligned at multiples of 86400000 that end 90 days or more ago.
      const expected = await withClient(db.url, async (c) =>
        Number(
          (
            await c.query(
              `SELECT count(*) AS n FROM sensor_readings
                WHERE recorded_at_ms < ((extract(epoch FROM now()) * 1000)::bigint - 7776000000) / 86400000 * 86400000`,
            )
          ).rows[0]?.n,
        ),
      );
      expect(Number(m?.[2])).to.equal(expected);
      const applied = await run('apply-timescale', '--allow-data-loss');
      expect(applied.code, applied.stderr).to.equal(0);
      expect(applied.stdout).to.include(
        'applied: make sensor_readings a hypertable on recorded_at_ms',
      );
      expect((await run('check')).code).to.equal(0);
    });
  },
);
