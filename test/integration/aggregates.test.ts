/**
 * Continuous aggregates through generated migrations, as a team would use them: readings
 * first (step 0), then the hierarchical pair of spec/examples/aggregates.yaml (step 1), then
 * a definition change of the lower aggregate with the upper one's policy and realtime
 * setting changed in place (step 2). Each `up` must leave both aggregates materialized with
 * the raw rows' numbers (the refresh after commit), `check` clean, and each `down` the
 * step before, until up again. What a team granted on the aggregates (a reading role, an
 * owner of its own, a comment) survives their being made again, and apply-timescale making
 * stand-ins continuous aggregates.
 *
 * On every database: native 2.28.3 (Timescale License), 2.12.2, the Apache-only build
 * (`auto`: views and materialized views), embedded TimescaleDB, and PostgreSQL without
 * TimescaleDB (`auto`: the same).
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type pg from 'pg';
import { status } from '../../lib/app/status.js';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { detectDrift } from '../../lib/introspect/drift.js';
import { timescaleInfo } from '../../lib/introspect/info.js';
import { applyTimescale } from '../../lib/runner/apply-timescale.js';
import { migrate } from '../../lib/runner/migrate.js';
import { loadSpec } from '../../lib/spec/load.js';
import { quoteIdent } from '../../lib/sql/quote.js';
import {
  createTestRoles,
  dropTestRoles,
  outcomesAs,
  relationAccess,
  type RelationAccess,
  type TestRoles,
} from '../helpers/access.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeEachNative,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const STEPS = ['step0', 'step1', 'step2'].map((s) => resolve(`test/fixtures/aggregates/${s}.yaml`));
const TIMEOUT = 240_000;

/** Three sensors, a reading every 7 minutes over the last ten days (not the last two hours). */
async function insertRows(client: pg.Client, offsetMinutes = 0): Promise<void> {
  await client.query(
    `INSERT INTO reading (recorded_at, sensor, temperature, humidity)
     SELECT now() - interval '2 hours' - ((g * 7 + $1::int) || ' minutes')::interval,
            's' || (g % 3), (g % 97) / 4.0, NULL
       FROM generate_series(0, 2000) g`,
    [offsetMinutes],
  );
}

interface Bucket {
  sensor: string;
  bucket: string;
  max_temp: number;
  min_temp?: number;
  samples: string;
}

/** The raw table's hourly and daily numbers, bucketed in UTC as time_bucket does. */
async function rawBuckets(client: pg.Client, unit: 'hour' | 'day', withMin: boolean) {
  const { rows } = await client.query<Bucket>(
    `SELECT sensor, to_char(date_trunc('${unit}', recorded_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24') AS bucket,
            max(temperature) AS max_temp, ${withMin ? 'min(temperature) AS min_temp, ' : ''}count(*)::text AS samples
       FROM reading GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  return rows;
}

async function viewBuckets(client: pg.Client, view: string, withMin: boolean) {
  const { rows } = await client.query<Bucket>(
    `SELECT sensor, to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24') AS bucket,
            max_temp, ${withMin ? 'min_temp, ' : ''}samples::text AS samples
       FROM ${view} ORDER BY 1, 2`,
  );
  return rows;
}

/** Both aggregates hold exactly the raw rows' numbers (min_temp from step 2 on). */
async function expectMaterialized(client: pg.Client, step: number): Promise<void> {
  const withMin = step === 2;
  const hourly = await viewBuckets(client, 'reading_hourly', withMin);
  expect(hourly.length, 'hourly buckets').to.be.greaterThan(200);
  expect(hourly, 'reading_hourly').to.deep.equal(await rawBuckets(client, 'hour', withMin));
  expect(await viewBuckets(client, 'reading_daily', withMin), 'reading_daily').to.deep.equal(
    await rawBuckets(client, 'day', withMin),
  );
}

async function relations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ r: string }>(
    `SELECT relname || ' ' || relkind::text AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND relname IN ('reading_hourly', 'reading_daily') ORDER BY 1`,
  );
  return rows.map((r) => r.r);
}

type Kind = 'continuous' | 'degraded';

/**
 * A team's reporting setup on the aggregates: `reader` may read them, `owner` owns the
 * hourly one and may read columns of the daily one; a comment on a continuous aggregate (a
 * stand-in's is the one it was made with). Not column privileges for `reader`: TimescaleDB
 * 2.28 refuses them on a compressed aggregate (the hourly one), 2.12 reading a real-time one
 * with them alone (the daily one at step 2).
 */
async function grantReporting(client: pg.Client, roles: TestRoles, kind: Kind): Promise<void> {
  const owner = quoteIdent(roles.owner);
  const reader = quoteIdent(roles.reader);
  await client.query(`GRANT SELECT ON reading TO ${owner}`);
  await client.query(`ALTER MATERIALIZED VIEW reading_hourly OWNER TO ${owner}`);
  await client.query(`GRANT SELECT ON reading_hourly, reading_daily TO ${reader}`);
  await client.query(`GRANT SELECT (bucket, sensor, samples) ON reading_daily TO ${owner}`);
  if (kind === 'continuous')
    await client.query(`COMMENT ON VIEW reading_hourly IS 'hourly numbers, for reporting'`);
}

/** What `reader` gets from each aggregate: 'ok', or the error. */
async function reporting(client: pg.Client, roles: TestRoles): Promise<string[]> {
  const reads = ['SELECT count(*) FROM reading_hourly', 'SELECT count(*) FROM reading_daily'];
  return outcomesAs(client, roles.reader, reads);
}

const AGGREGATES = ['reading_daily', 'reading_hourly'];

function aggregateSteps(make: () => Promise<TestDatabase>, kind: Kind): void {
  let db: TestDatabase;
  const dir = join(tempDir(), 'migrations');
  const files: string[] = [];
  let roles: TestRoles | undefined;
  /** Privileges, owner and comments of the aggregates at step 1. */
  let granted: RelationAccess[] = [];

  const driftAt = async (client: pg.Client, step: number) => {
    const { spec } = await loadSpec(STEPS[step] as string);
    return detectDrift(client, spec, await detectTimescale(client));
  };
  const up = (client: pg.Client, log: string[] = []) =>
    migrate({
      url: db.url,
      client,
      migrationsDir: dir,
      direction: 'up',
      count: 1,
      log: (l) => log.push(l),
    });
  const down = (client: pg.Client) =>
    migrate({
      url: db.url,
      client,
      migrationsDir: dir,
      direction: 'down',
      count: 1,
      allowDataLoss: true,
    });

  before(async () => {
    db = await make();
    let now = Date.UTC(2026, 0, 1);
    for (const step of STEPS) {
      const { spec } = await loadSpec(step);
      const result = generateMigration({ spec, migrationsDir: dir, now: new Date((now += 1000)) });
      if (!result.written) throw new Error(`${step} generated nothing`);
      files.push(readFileSync(result.file, 'utf8'));
    }
  });
  after(async () => {
    if (roles) await withClient(db.url, (c) => dropTestRoles(c, roles as TestRoles));
    await db?.dispose();
  });

  it("the README's migration is the one generated from spec/examples/aggregates.yaml", () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Continuous aggregates'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const flat = (text: string) =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .join('\n');
    const blocks = code.split('\n\n').map(flat);
    expect(blocks.length).to.be.greaterThan(5);
    const generated = flat(files[1] as string);
    for (const block of blocks) {
      // A block the README shortened with `// …` is checked line by line.
      for (const part of block.split('\n// …\n')) expect(generated).to.include(part);
    }
  });

  it('remakes a changed lower aggregate with the one built on it, in dependency order', () => {
    const step2 = files[2] as string;
    const [upText, downText] = step2.split('export function down');
    const at = (text: string | undefined, call: string) => (text ?? '').indexOf(call);
    const order = [
      "dropContinuousAggregate(pgm, 'reading_daily'",
      "dropContinuousAggregate(pgm, 'reading_hourly'",
      "createContinuousAggregate(pgm, 'reading_hourly'",
      "createContinuousAggregate(pgm, 'reading_daily'",
    ].map((call) => at(upText, call));
    expect(order.every((i) => i >= 0)).to.equal(true);
    expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
    // down makes the old definitions again, the lower one first.
    const back = [
      "createContinuousAggregate(pgm, 'reading_hourly'",
      "createContinuousAggregate(pgm, 'reading_daily'",
    ].map((call) => at(downText, call));
    expect(back[0]).to.be.greaterThan(-1);
    expect(back[0]).to.be.lessThan(back[1] as number);
    expect(step2).to.match(/"code":"PM106","direction":"up","table":"reading_hourly"/);
  });

  it('up step by step: aggregates made after the rows hold their numbers at once', async () => {
    await withClient(db.url, async (client) => {
      await up(client);
      expect(await driftAt(client, 0)).to.deep.equal([]);
      await insertRows(client);
      const log: string[] = [];
      await up(client, log);
      expect(log.join('\n')).to.match(/refreshed public\.reading_hourly/);
      await expectMaterialized(client, 1);
      expect(await driftAt(client, 1), 'drift after step 1').to.deep.equal([]);
      expect(await relations(client)).to.deep.equal(
        kind === 'continuous'
          ? ['reading_daily v', 'reading_hourly v']
          : ['reading_daily m', 'reading_hourly m'],
      );
      roles = await createTestRoles(client);
      await grantReporting(client, roles, kind);
      granted = await relationAccess(client, AGGREGATES);
      expect(await reporting(client, roles)).to.deep.equal(['ok', 'ok']);
      await insertRows(client, 3);
      await up(client);
      await expectMaterialized(client, 2);
      // Both were made again; what the team granted on them was kept.
      expect(await relationAccess(client, AGGREGATES)).to.deep.equal(granted);
      expect(await reporting(client, roles)).to.deep.equal(['ok', 'ok']);
      expect(await driftAt(client, 2), 'drift after step 2').to.deep.equal([]);
      // The old spec against the new database: the definition differs.
      const kinds = (await driftAt(client, 1)).map((d) => d.kind);
      expect(kinds.length).to.be.greaterThan(0);
    });
  }).timeout(TIMEOUT);

  it('timescale-info lists both aggregates with their source and bucket', async () => {
    // `status` opens a session of its own (the embedded database serves one at a time).
    const { aggregates } = await status({ databaseUrl: db.url, migrationsDir: dir });
    expect(aggregates).to.deep.equal([
      {
        aggregate: 'public.reading_hourly',
        form: kind === 'continuous' ? 'continuous' : 'materialized view',
        source: 'public.reading',
        bucket: '1 hour',
      },
      {
        aggregate: 'public.reading_daily',
        form: kind === 'continuous' ? 'continuous' : 'view',
        source: 'public.reading_hourly',
        bucket: '1 day',
      },
    ]);
    await withClient(db.url, async (client) => {
      const info = await timescaleInfo(client);
      expect(
        info.aggregates.map((a) => [a.name, a.form, a.source.name, a.bucket, a.realtime]),
      ).to.deep.equal([
        [
          'reading_hourly',
          kind === 'continuous' ? 'continuous' : 'materialized view',
          'reading',
          '1 hour',
          false,
        ],
        [
          'reading_daily',
          kind === 'continuous' ? 'continuous' : 'view',
          'reading_hourly',
          '1 day',
          true,
        ],
      ]);
      const hourly = info.aggregates[0];
      expect(hourly?.columns.map((c) => c.call)).to.deep.equal([
        'avg(temperature)',
        'max(temperature)',
        'min(temperature)',
        'count(*)',
      ]);
      if (kind === 'continuous') {
        expect(hourly?.refresh?.startOffset).to.equal('30 days');
        expect(hourly?.materializedThrough).to.not.equal(null);
      }
    });
  }).timeout(TIMEOUT);

  it('down to each step before, with its numbers, and up again', async () => {
    await withClient(db.url, async (client) => {
      await down(client);
      await expectMaterialized(client, 1);
      expect(await driftAt(client, 1), 'drift after down to step 1').to.deep.equal([]);
      expect(await relationAccess(client, AGGREGATES)).to.deep.equal(granted);
      expect(await reporting(client, roles as TestRoles)).to.deep.equal(['ok', 'ok']);
      await down(client);
      expect(await relations(client)).to.deep.equal([]);
      expect(await driftAt(client, 0), 'drift after down to step 0').to.deep.equal([]);
      await up(client);
      await up(client);
      await expectMaterialized(client, 2);
      expect(await driftAt(client, 2), 'drift after up again').to.deep.equal([]);
    });
  }).timeout(TIMEOUT);
}

describe('continuous aggregates from prism.yaml on embedded TimescaleDB', function () {
  this.timeout(TIMEOUT);
  aggregateSteps(createEmbeddedDatabase, 'continuous');
});

describe('continuous aggregates from prism.yaml on the PostgreSQL server (auto)', function () {
  this.timeout(TIMEOUT);
  aggregateSteps(createServerDatabase, 'degraded');
});

describeEachNative('continuous aggregates from prism.yaml', (server: NativeServer) =>
  aggregateSteps(
    () => createNativeDatabase(server),
    server.license === 'apache' ? 'degraded' : 'continuous',
  ),
);

describeNative(
  CURRENT_TSL,
  'apply-timescale makes stand-in aggregates continuous aggregates',
  (server: NativeServer) => {
    it('drops the stand-ins, creates the aggregates with their policies, fills them, then has nothing to do', async () => {
      let roles: TestRoles | undefined;
      const db = await createNativeDatabase(server);
      const dir = join(tempDir(), 'migrations');
      try {
        const { spec } = await loadSpec(STEPS[1] as string);
        generateMigration({ spec, migrationsDir: dir, now: new Date(Date.UTC(2026, 0, 1)) });
        await migrate({ url: db.url, migrationsDir: dir, direction: 'up', timescale: 'off' });
        const standIns = await withClient(db.url, async (client) => {
          await insertRows(client);
          expect(await relations(client)).to.deep.equal(['reading_daily m', 'reading_hourly m']);
          roles = await createTestRoles(client);
          await grantReporting(client, roles, 'degraded');
          await client.query(`COMMENT ON MATERIALIZED VIEW reading_hourly IS 'hourly numbers'`);
          return relationAccess(client, AGGREGATES);
        });
        const logged: string[] = [];
        const result = await applyTimescale({
          url: db.url,
          migrationsDir: dir,
          log: (l) => logged.push(l),
        });
        expect(result.steps.map((s) => s.description)).to.deep.equal([
          'make reading a hypertable on recorded_at',
          'enable compression on reading',
          'compress reading after 7 days',
          'drop chunks of reading after 90 days',
          'drop continuous aggregate reading_daily',
          'drop continuous aggregate reading_hourly',
          'create continuous aggregate reading_hourly (1 hour buckets of reading)',
          'enable compression on reading_hourly',
          'refresh reading_hourly every 30 minutes (from 30 days ago to 1 hour ago)',
          'compress reading_hourly after 45 days',
          'drop buckets of reading_hourly after 2 years',
          'create continuous aggregate reading_daily (1 day buckets of reading_hourly)',
          'refresh reading_daily every 1 hour (from 60 days ago to 1 day ago)',
        ]);
        expect(logged).to.include.members([
          'refreshed public.reading_hourly (created by apply-timescale)',
          'refreshed public.reading_daily (created by apply-timescale)',
        ]);
        await withClient(db.url, async (client) => {
          await expectMaterialized(client, 1);
          const { rows } = await client.query<{ view_name: string }>(
            'SELECT view_name FROM timescaledb_information.continuous_aggregates ORDER BY 1',
          );
          expect(rows.map((r) => r.view_name)).to.deep.equal(['reading_daily', 'reading_hourly']);
          expect(await detectDrift(client, spec, await detectTimescale(client))).to.deep.equal([]);
          // The team's privileges, owner and comment; not the stand-ins' own comment.
          expect(await relationAccess(client, AGGREGATES)).to.deep.equal(
            standIns.map((r) => (r.relation === 'reading_daily' ? { ...r, comment: null } : r)),
          );
          expect(await reporting(client, roles as TestRoles)).to.deep.equal(['ok', 'ok']);
        });
        const again = await applyTimescale({ url: db.url, migrationsDir: dir });
        expect(again.steps).to.deep.equal([]);
      } finally {
        if (roles) await withClient(db.url, (c) => dropTestRoles(c, roles as TestRoles));
        await db.dispose();
      }
    }).timeout(TIMEOUT);
  },
);

describeNative(
  CURRENT_TSL,
  'an aggregate made again whose owner cannot log in',
  (server: NativeServer) => {
    it('stays owned by the migrating user, with a warning, so that its policies are added; its grants are kept', async () => {
      let roles: TestRoles | undefined;
      const db = await createNativeDatabase(server);
      const dir = join(tempDir(), 'migrations');
      try {
        let now = Date.UTC(2026, 0, 1);
        for (const step of STEPS) {
          const { spec } = await loadSpec(step);
          generateMigration({ spec, migrationsDir: dir, now: new Date((now += 1000)) });
        }
        const up = (log: string[] = []) =>
          migrate({
            url: db.url,
            migrationsDir: dir,
            direction: 'up',
            count: 1,
            log: (l) => log.push(l),
          });
        await up();
        await up();
        const owner = await withClient(db.url, async (client) => {
          await insertRows(client);
          // A NOLOGIN role owning the hourly aggregate, as teams own objects by group roles.
          roles = await createTestRoles(client, false);
          await grantReporting(client, roles, 'continuous');
          const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
          return rows[0]?.user as string;
        });
        const log: string[] = [];
        // Step 2 makes reading_hourly again and adds its policies.
        expect((await up(log)).map((m) => m.name)).to.have.length(1);
        const at = log.findIndex((l) => l.includes('stays owned by'));
        expect(log[at]).to.equal(
          `warning: prism: continuous aggregate public.reading_hourly, made again, stays owned by ${owner}, not by ${quoteIdent((roles as TestRoles).owner)} as before: TimescaleDB runs an aggregate's policy jobs as its owner, who must be able to log in, and ${quoteIdent((roles as TestRoles).owner)} cannot (NOLOGIN); its privileges are kept`,
        );
        expect(log[at + 1]).to.equal(
          `  hint: to hand it back: ALTER ROLE ${quoteIdent((roles as TestRoles).owner)} LOGIN, then ALTER MATERIALIZED VIEW public.reading_hourly OWNER TO ${quoteIdent((roles as TestRoles).owner)}`,
        );
        await withClient(db.url, async (client) => {
          const access = await relationAccess(client, ['reading_hourly']);
          expect(access.map((a) => [a.owner, a.comment])).to.deep.equal([
            [owner, 'hourly numbers, for reporting'],
          ]);
          const who = (roles as TestRoles).owner;
          // The old owner keeps what it had, the reader its SELECT.
          expect(access[0]?.privileges).to.include(`${who} SELECT by ${owner}`);
          expect(access[0]?.privileges).to.include(
            `${(roles as TestRoles).reader} SELECT by ${owner}`,
          );
          expect(access[0]?.privileges).to.include(`${owner} SELECT by ${owner}`);
          expect(await reporting(client, roles as TestRoles)).to.deep.equal(['ok', 'ok']);
          const { rows } = await client.query<{ proc_name: string }>(
            // The jobs of a continuous aggregate name it as their hypertable.
            `SELECT proc_name FROM timescaledb_information.jobs
              WHERE hypertable_name = 'reading_hourly' ORDER BY 1`,
          );
          expect(rows.map((r) => r.proc_name)).to.deep.equal([
            'policy_compression',
            'policy_refresh_continuous_aggregate',
            'policy_retention',
          ]);
        });
      } finally {
        if (roles) await withClient(db.url, (c) => dropTestRoles(c, roles as TestRoles));
        await db.dispose();
      }
    }).timeout(TIMEOUT);
  },
);
