/**
 * The application layer as a library: generate, check, status, timescale-info, jobs run
 * and serve called from code, on the PostgreSQL server, the embedded TimescaleDB and
 * native TimescaleDB 2.28.3, with their typed results.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import {
  check,
  describeTimescale,
  generate,
  migrate,
  parseSpec,
  runJobs,
  serve,
  status,
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

    it('check reports the unapplied migration, then a clean database after up', async () => {
      const before = await check({ ...options(), spec: SPEC, migrationsDir });
      expect(before.changes).to.deep.equal([]);
      expect(before.database?.unapplied).to.have.length(1);
      expect(before.upToDate).to.equal(false);
      await migrate({ url: db.url, migrationsDir, direction: 'up' });
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

    // Given the URL of the embedded database's one-session wire server, `serve` would take
    // it for a server and open a control session apart; `serve` on the embedded database
    // itself is covered through the CLI (api-load.test.ts).
    if (timescale !== 'embedded')
      it('serve answers on the port it was given, until closed', async () => {
        const api = await serve({ ...options(), spec: SPEC, port: 0, host: '127.0.0.1' });
        try {
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
  });
}

describe('the application layer as a library', function () {
  describeApp('on the PostgreSQL server', () => createServerDatabase('prism_app'), 'none');
  describeApp('on the embedded TimescaleDB', () => createEmbeddedDatabase(), 'embedded');
  describeNative(CURRENT_TSL, 'on native TimescaleDB', (server: NativeServer) => {
    describeApp('with the scheduler', () => createNativeDatabase(server), 'scheduler');
  });
});
