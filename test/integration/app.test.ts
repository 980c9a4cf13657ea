/**
 * The application layer as a library: validate, create, generate, check, up, down, redo,
 * apply-timescale, status, timescale-info, jobs run and serve called from code, on the
 * PostgreSQL server, the embedded TimescaleDB and native TimescaleDB 2.28.3, with their
 * typed results.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import {
  applyMigrations,
  applyTimescale,
  check,
  createMigration,
  DatabaseError,
  DataLossError,
  describeTimescale,
  generate,
  parseSpec,
  redoMigrations,
  revertMigrations,
  runJobs,
  serve,
  SpecError,
  status,
  UsageError,
  validateSpec,
  type Spec,
} from '../../lib/index.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  CURRENT_TSL,
  createNativeDatabase,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const SEED = readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8');
const SPEC: Spec = parseSpec(SEED, 'prism.yaml').spec;
/** The same spec without the `metadata` field: dropping it loses its values. */
const WITHOUT_METADATA: Spec = {
  ...SPEC,
  models: SPEC.models.map((m) => ({
    ...m,
    fields: m.fields.filter((f) => f.name !== 'metadata'),
  })),
};

function describeApp(
  title: string,
  open: () => Promise<TestDatabase>,
  timescale: 'scheduler' | 'embedded' | 'none',
): void {
  describe(title, function () {
    let db: TestDatabase;
    let root: string;
    let migrationsDir: string;
    const logged: string[] = [];
    const options = () => ({ databaseUrl: db.url, log: (l: string) => logged.push(l) });

    before(async () => {
      db = await open();
      root = tempDir();
      migrationsDir = join(root, 'migrations');
    });
    after(async () => {
      await db?.dispose();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('generate writes the first migration, with nothing to lose', async () => {
      const result = await generate({ ...options(), spec: SPEC, migrationsDir });
      expect(result.migration.written).to.equal(true);
      if (!result.migration.written) return;
      expect(existsSync(result.migration.file)).to.equal(true);
      expect(result.destructiveUp).to.deep.equal([]);
      expect(result.dataLoss).to.deep.equal([]);
    });

    it('a dry run of up returns the SQL and applies nothing', async () => {
      const result = await applyMigrations({ ...options(), migrationsDir, dryRun: true });
      expect(result.dryRun).to.equal(true);
      expect(result.database).to.be.a('string').and.not.equal('');
      expect(
        result.migrations.map((m) => [m.direction, m.sql?.includes('CREATE TABLE')]),
      ).to.deep.equal([['up', true]]);
      const after = await status({ ...options(), migrationsDir });
      expect(after.migrations.map((m) => m.applied)).to.deep.equal([false]);
    });

    it('check reports the unapplied migration, then a clean database after up', async () => {
      const before = await check({ ...options(), spec: SPEC, migrationsDir });
      expect(before.changes).to.deep.equal([]);
      expect(before.database?.unapplied).to.have.length(1);
      expect(before.upToDate).to.equal(false);
      const told: string[] = [];
      const started: string[] = [];
      const up = await applyMigrations({
        ...options(),
        migrationsDir,
        onDatabase: (d) => told.push(d),
        onMigrationStart: (name) => started.push(name),
      });
      expect(up.dryRun).to.equal(false);
      expect(up.migrations.map((m) => m.direction)).to.deep.equal(['up']);
      expect(started).to.deep.equal(up.migrations.map((m) => m.name));
      expect(told).to.deep.equal([up.database]);
      const again = await applyMigrations({ ...options(), migrationsDir });
      expect(again.migrations).to.deep.equal([]);
      const after = await check({ ...options(), spec: SPEC, migrationsDir });
      expect(after.database?.unapplied).to.deep.equal([]);
      expect(after.database?.drift).to.deep.equal([]);
      expect(after.upToDate).to.equal(true);
    });

    it('status lists the applied migration and the hypertable', async () => {
      const result = await status({ ...options(), migrationsDir });
      expect(result.migrations.map((m) => m.applied)).to.deep.equal([true]);
      expect(result.timescale.installed).to.equal(timescale !== 'none');
      expect(result.hypertables.map((h) => h.table)).to.deep.equal(
        timescale === 'none' ? [] : ['public.datapoint'],
      );
    });

    it('generate previews the values a dropped column would lose', async () => {
      await withClient(db.url, (c) =>
        c.query(
          `INSERT INTO datapoint (id, "timestamp", source, value, metadata)
           VALUES (gen_random_uuid(), now(), 'a', 1, '{"k": 1}'), (gen_random_uuid(), now(), 'b', 2, NULL)`,
        ),
      );
      logged.length = 0;
      const result = await generate({ ...options(), spec: WITHOUT_METADATA, migrationsDir });
      expect(result.migration.written).to.equal(true);
      expect(result.destructiveUp.map((d) => d.code)).to.have.length(1);
      expect(result.dataLoss).to.have.length(1);
      expect(result.dataLoss[0]?.change).to.deep.equal(result.destructiveUp[0]);
      expect(logged.filter((l) => l.startsWith('warning: '))).to.have.length(1);
      expect(logged.filter((l) => l.startsWith('preview: '))).to.have.length(1);
      const pending = await check({ ...options(), spec: WITHOUT_METADATA, migrationsDir });
      expect(pending.database?.unapplied).to.have.length(1);
      expect(pending.upToDate).to.equal(false);
    });

    if (timescale !== 'none') {
      it('timescale-info describes the hypertable of the model', async () => {
        const info = await describeTimescale({ ...options(), spec: SPEC });
        expect(info.hypertables.map((h) => h.table)).to.have.length(1);
      });
    }

    if (timescale === 'scheduler') {
      it('jobs run runs the compression and the retention job', async () => {
        const started: string[] = [];
        const runs = await runJobs({ ...options(), onJobStart: (j) => started.push(j.kind) });
        expect(runs.map((r) => [r.kind, r.ok])).to.deep.equal([
          ['compression', true],
          ['retention', true],
        ]);
        expect(started).to.have.length(2);
      });
    }

    // On the embedded database its URL is that of a one-session wire server, which `serve`
    // tells apart from a server: one session, none apart for /health or cancelling.
    it('serve answers on the port it was given, until closed', async () => {
      const api = await serve({
        ...options(),
        spec: SPEC,
        port: 0,
        host: '127.0.0.1',
        sessions: 2,
      });
      try {
        expect(api.oneSession).to.equal(timescale === 'embedded');
        expect(api.routes).to.deep.equal(['/api/datapoints']);
        expect(api.dialect).to.equal(timescale === 'none' ? 'postgres' : 'timescale');
        const port = (api.addresses[0] as { port: number }).port;
        const health = await fetch(`http://127.0.0.1:${port}/health`);
        expect(health.status).to.equal(200);
        const day = 24 * 3600 * 1000;
        const range = `start=${new Date(Date.now() - day).toISOString()}&end=${new Date(Date.now() + day).toISOString()}`;
        const rows = await fetch(`http://127.0.0.1:${port}/api/datapoints?${range}&order=asc`);
        expect(rows.status).to.equal(200);
        const body = (await rows.json()) as { data: Record<string, unknown>[] };
        expect(body.data.map((r) => r['source']).sort()).to.deep.equal(['a', 'b']);
      } finally {
        await api.close();
      }
    });

    it('up refuses the migration that would lose values, then applies it when allowed', async () => {
      let refused: unknown;
      await applyMigrations({ ...options(), migrationsDir }).catch((e: unknown) => (refused = e));
      expect(refused).to.be.instanceOf(DataLossError);
      expect(
        (await status({ ...options(), migrationsDir })).migrations.map((m) => m.applied),
      ).to.deep.equal([true, false]);
      const up = await applyMigrations({ ...options(), migrationsDir, allowDataLoss: true });
      expect(up.migrations).to.have.length(1);
      expect(up.migrations[0]?.dataLoss?.map((l) => [l.change.code, l.rows])).to.deep.equal([
        ['PM102', 1],
      ]);
      const clean = await check({ ...options(), spec: WITHOUT_METADATA, migrationsDir });
      expect(clean.upToDate).to.equal(true);
    });

    it('redo reverts and applies the last migration again; down reverts it', async () => {
      const redo = await redoMigrations({ ...options(), migrationsDir });
      const last = redo.migrations[0]?.name;
      expect(redo.migrations.map((m) => [m.name, m.direction])).to.deep.equal([
        [last, 'down'],
        [last, 'up'],
      ]);
      const down = await revertMigrations({ ...options(), migrationsDir });
      expect(down.migrations.map((m) => [m.name, m.direction])).to.deep.equal([[last, 'down']]);
      const after = await status({ ...options(), migrationsDir });
      expect(after.migrations.map((m) => m.applied)).to.deep.equal([true, false]);
      // The column is back: the database matches the first migration's spec again.
      const back = await check({ ...options(), spec: SPEC, migrationsDir });
      expect(back.database?.drift).to.deep.equal([]);
      expect(back.database?.unapplied).to.have.length(1);
    });

    it('apply-timescale finds nothing to apply, or says why it cannot', async () => {
      await applyMigrations({ ...options(), migrationsDir, allowDataLoss: true });
      if (timescale === 'none') {
        let error: unknown;
        await applyTimescale({ ...options(), migrationsDir }).catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(DatabaseError);
        expect((error as Error).message).to.match(/^nothing can be applied/);
        return;
      }
      const result = await applyTimescale({ ...options(), migrationsDir });
      expect(result.steps).to.deep.equal([]);
      expect(result.createdExtension).to.equal(null);
      expect(result.after.installed).to.equal(true);
    });
  });
}

describe('the application layer as a library', function () {
  describeApp('on the PostgreSQL server', () => createServerDatabase('prism_app'), 'none');
  describeApp('on the embedded TimescaleDB', () => createEmbeddedDatabase(), 'embedded');
  describeNative(CURRENT_TSL, 'on native TimescaleDB', (server: NativeServer) => {
    describeApp('with the scheduler', () => createNativeDatabase(server), 'scheduler');

    describe('apply-timescale after up skipped TimescaleDB', () => {
      let db: TestDatabase;
      let root: string;
      before(async () => {
        db = await createNativeDatabase(server);
        root = tempDir();
      });
      after(async () => {
        await db?.dispose();
        if (root) rmSync(root, { recursive: true, force: true });
      });

      it('creates the extension, the hypertable, compression and policies; once', async () => {
        const options = { databaseUrl: db.url, migrationsDir: join(root, 'migrations') };
        await generate({ ...options, spec: SPEC });
        await applyMigrations({ ...options, timescale: 'off' });
        const dry = await applyTimescale({ ...options, dryRun: true });
        expect(dry.dryRun).to.equal(true);
        expect(dry.createdExtension).to.equal(dry.after.availableVersion);
        expect(dry.after.installed).to.equal(false);
        const kinds = [
          'make datapoint a hypertable on timestamp',
          'enable compression on datapoint',
          'compress datapoint after 1 month',
          'drop chunks of datapoint after 1 year',
        ];
        expect(dry.steps.map((s) => s.description)).to.deep.equal(kinds);
        const applied = await applyTimescale(options);
        expect(applied.steps.map((s) => s.description)).to.deep.equal(kinds);
        expect(applied.after.installed).to.equal(true);
        expect(applied.dataLoss.map((l) => l.rows)).to.deep.equal([0]);
        const info = await describeTimescale({ databaseUrl: db.url, spec: SPEC });
        expect(info.hypertables.map((h) => h.table)).to.have.length(1);
        const again = await applyTimescale(options);
        expect(again.steps).to.deep.equal([]);
        const clean = await check({ ...options, spec: SPEC });
        expect(clean.database?.drift).to.deep.equal([]);
      });
    });
  });
});

describe('validate and create as a library', () => {
  let root: string;
  before(() => {
    root = tempDir();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('validateSpec summarises the models and says what the loader adjusted', async () => {
    const result = await validateSpec(resolve('spec/examples/datapoint.yaml'));
    expect(result.models).to.deep.equal([
      {
        name: 'DataPoint',
        table: 'datapoint',
        timeColumn: 'timestamp',
        fields: 5,
        primaryKey: ['id', 'timestamp'],
        aggregates: [],
      },
    ]);
    expect(result.spec.models).to.deep.equal(SPEC.models);
    expect(result.adjustments.map((a) => a.line)).to.deep.equal([7]);
  });

  it('validateSpec rejects a spec with its problems, line by line', async () => {
    const file = join(root, 'bad.yaml');
    writeFileSync(file, 'models:\n  - name: X\n    fields: []\n');
    let error: unknown;
    await validateSpec(file).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(SpecError);
    expect((error as SpecError).issues.map((i) => [i.line, i.column])).to.deep.equal([[3, 13]]);
  });

  it('createMigration writes the template under a timestamped name, never over a file', () => {
    const migrationsDir = join(root, 'migrations');
    const ts = createMigration({ name: 'add-metrics', migrationsDir });
    expect(ts.file).to.match(/[/\\]\d{13}_add-metrics\.ts$/);
    expect(readFileSync(ts.file, 'utf8')).to.equal(
      readFileSync(resolve('migrations-templates/migration.ts'), 'utf8'),
    );
    const js = createMigration({ name: 'add-more', migrationsDir, language: 'js' });
    expect(js.file).to.match(/_add-more\.js$/);
    expect(() => createMigration({ name: 'bad name', migrationsDir })).to.throw(UsageError);
  });
});
