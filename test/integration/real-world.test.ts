/**
 * The README's "Real-world schemas": its specs are the files in spec/examples, its
 * migrations are what `generate` writes for them, and those apply up, down and up again
 * with `check` clean — on native TimescaleDB 2.28.3, the embedded database and PostgreSQL.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { parseSpec } from '../../lib/spec/load.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { migrate } from '../../lib/runner/migrate.js';
import { checkDatabase } from '../../lib/app/check.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { createNativeDatabase, CURRENT_TSL, describeNative } from '../helpers/timescale-servers.js';

const EXAMPLES = [
  { file: 'home-assistant-ltss.yaml', name: 'ltss' },
  { file: 'tsbs-cpu.yaml', name: 'tsbs-cpu' },
] as const;

function section(): string {
  const readme = readFileSync(resolve('README.md'), 'utf8');
  const start = readme.indexOf('## Real-world schemas');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start, 'the README has a section "Real-world schemas"').to.be.greaterThan(0);
  return readme.slice(start, end);
}

const blocks = (language: string) =>
  [...section().matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map(
    (m) => m[1] as string,
  );

function generated(example: (typeof EXAMPLES)[number]): { dir: string; text: string } {
  const spec = parseSpec(
    readFileSync(resolve('spec/examples', example.file), 'utf8'),
    example.file,
  ).spec;
  const dir = join(tempDir('prism-real-world-'), 'migrations');
  mkdirSync(dir, { recursive: true });
  const result = generateMigration({
    spec,
    migrationsDir: dir,
    name: example.name,
    now: new Date(1000),
  });
  if (!result.written) throw new Error(`nothing generated for ${example.file}`);
  return { dir, text: readFileSync(result.file, 'utf8') };
}

describe("the README's real-world schemas", () => {
  it('shows the example specs as they are in spec/examples', () => {
    expect(blocks('yaml')).to.deep.equal(
      EXAMPLES.map((e) => readFileSync(resolve('spec/examples', e.file), 'utf8')),
    );
  });

  it('shows exactly the migrations generate writes for them', () => {
    expect(blocks('ts')).to.deep.equal(EXAMPLES.map((e) => generated(e).text));
  });
});

const SEED: Record<string, string> = {
  'home-assistant-ltss.yaml': `INSERT INTO ltss (time, entity_id, state, attributes)
    SELECT now() - g * interval '10 minutes', 'sensor.t' || (g % 5), (20 + g % 7)::text,
           jsonb_build_object('unit', '°C')
      FROM generate_series(1, 500) g`,
  'tsbs-cpu.yaml': `INSERT INTO tags SELECT g, 'host_' || g, 'eu', 'dc1', 'r' || g, 'linux', 'x64',
           'ops', 's', '1', 'prod' FROM generate_series(1, 10) g;
    INSERT INTO cpu (time, tags_id, usage_user, usage_system)
    SELECT now() - (g / 10) * interval '10 seconds', 1 + g % 10, random() * 100, random() * 100
      FROM generate_series(1, 2000) g`,
};

function appliedTests(make: () => Promise<TestDatabase>, timescale: boolean): void {
  for (const example of EXAMPLES) {
    describe(example.file, function () {
      let db: TestDatabase;
      let dir: string;
      const spec = () =>
        parseSpec(readFileSync(resolve('spec/examples', example.file), 'utf8'), example.file).spec;
      const clean = async () =>
        expect(
          (await checkDatabase({ databaseUrl: db.url, spec: spec(), migrationsDir: dir }))?.drift,
        ).to.deep.equal([]);

      before(async () => {
        db = await make();
        dir = generated(example).dir;
      });
      after(async () => db?.dispose());

      it('goes up, takes rows, down and up again, check clean after each up', async () => {
        await migrate({ url: db.url, migrationsDir: dir, direction: 'up' });
        await clean();
        await withClient(db.url, (c) => c.query(SEED[example.file] as string));
        await migrate({ url: db.url, migrationsDir: dir, direction: 'down', allowDataLoss: true });
        await migrate({ url: db.url, migrationsDir: dir, direction: 'up' });
        await clean();
      });

      if (timescale && example.file === 'tsbs-cpu.yaml') {
        it("has TSBS's dimensions and indexes, and not TimescaleDB's default one", async () => {
          await withClient(db.url, async (c) => {
            const dims = await c.query<{ column_name: string; num_partitions: number | null }>(
              `SELECT column_name, num_partitions FROM timescaledb_information.dimensions
                WHERE hypertable_name = 'cpu' ORDER BY dimension_number`,
            );
            expect(dims.rows).to.deep.equal([
              { column_name: 'time', num_partitions: null },
              { column_name: 'tags_id', num_partitions: 2 },
            ]);
            const indexes = await c.query<{ indexname: string }>(
              `SELECT indexname FROM pg_indexes WHERE tablename = 'cpu' ORDER BY 1`,
            );
            expect(indexes.rows.map((r) => r.indexname)).to.deep.equal([
              'cpu_tags_id_time_idx',
              'cpu_time_tags_id_idx',
            ]);
          });
        });
      }
    });
  }
}

describeNative(CURRENT_TSL, 'real-world schemas', (server) => {
  appliedTests(() => createNativeDatabase(server), true);
});

describe('real-world schemas on embedded TimescaleDB', function () {
  appliedTests(createEmbeddedDatabase, true);
});

describe('real-world schemas on PostgreSQL without TimescaleDB', function () {
  appliedTests(() => createServerDatabase(), false);
});
