/** The CLI as users run it: exit codes, messages without stack traces, nothing half-written. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../helpers/cli.js';
import { checkCliOutput } from '../helpers/json-schema.js';
import {
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';

const NO_STACK = /^\s+at /m;

describe('prism-migrate CLI', function () {
  describe('validate', () => {
    it("accepts the seed's DataPoint spec and says the key became composite", async () => {
      const r = await runCli(['--spec', resolve('spec/examples/datapoint.yaml'), 'validate']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.include(
        'DataPoint -> datapoint: hypertable on timestamp, 5 fields, primary key (id, timestamp)',
      );
      expect(r.stderr).to.match(
        /datapoint\.yaml:\d+:\d+: note: primary key of model 'DataPoint' is \(id, timestamp\)/,
      );
    });

    it('names the aggregates of each model, sources first', async () => {
      const r = await runCli(['--spec', resolve('spec/examples/aggregates.yaml'), 'validate']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.include(
        'Reading -> reading: hypertable on recorded_at, 4 fields, primary key (), aggregates reading_hourly, reading_daily',
      );
    });

    const badSpecs: Record<string, { yaml: string; expect: RegExp }> = {
      'a typo in a key': {
        yaml: 'models:\n  - name: M\n    feilds:\n      - name: id\n        type: int\n',
        expect: /prism\.yaml:3:5: .*feilds.*\n {2}hint: .*fields/,
      },
      'an unknown type': {
        yaml: 'models:\n  - name: M\n    fields:\n      - name: id\n        type: integer\n',
        expect: /prism\.yaml:5:15: /,
      },
      'an injection attempt in an interval': {
        yaml: 'models:\n  - name: M\n    fields:\n      - name: ts\n        type: datetime\n    timeseries:\n      time_column: ts\n      chunk_interval: "1 day\'); DROP TABLE x; --"\n',
        expect: /prism\.yaml:8:23: .*interval/,
      },
      'an injection attempt in an identifier': {
        yaml: "models:\n  - name: M\n    fields:\n      - name: 'id\"; DROP TABLE x; --'\n        type: int\n",
        expect: /prism\.yaml:4:15: /,
      },
      'a YAML syntax error': {
        yaml: 'models:\n  - name: M\n    fields: [\n',
        expect: /prism\.yaml:\d+:\d+: YAML syntax error/,
      },
      'a missing column': {
        yaml: 'models:\n  - name: M\n    fields:\n      - name: ts\n        type: datetime\n    timeseries:\n      time_column: time\n',
        expect: /prism\.yaml:7:20: /,
      },
    };
    for (const [what, bad] of Object.entries(badSpecs)) {
      it(`exits 2 with file:line:column and no stack for ${what}`, async () => {
        const dir = tempDir();
        writeFileSync(join(dir, 'prism.yaml'), bad.yaml);
        const r = await runCli(['validate'], { cwd: dir });
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(bad.expect);
        expect(r.stderr).to.not.match(NO_STACK);
        expect(r.stdout).to.equal('');
      });
    }

    it('exits 2 when the spec file is missing', async () => {
      const r = await runCli(['validate'], { cwd: tempDir() });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/prism\.yaml/);
      expect(r.stderr).to.not.match(NO_STACK);
    });
  });

  describe('arguments', () => {
    it('exits 2 when no command is given (an empty $COMMAND in a pipeline), 0 for --help', async () => {
      for (const args of [[], ['jobs'], ['embedded']]) {
        const r = await runCli(args, { cwd: tempDir() });
        expect(r.code, args.join(' ')).to.equal(2);
        expect(r.stderr, args.join(' ')).to.contain('error: no command given');
      }
      const json = await runCli(['--json'], { cwd: tempDir() });
      expect(json.code).to.equal(2);
      expect(JSON.parse(json.stdout).error).to.include({
        code: 'usage',
        message: 'no command given',
      });
      expect((await runCli(['--help'], { cwd: tempDir() })).code).to.equal(0);
      expect((await runCli(['help', 'up'], { cwd: tempDir() })).code).to.equal(0);
    });

    it('exits 2 on an unknown command, flag or bad count', async () => {
      for (const args of [
        ['frobnicate'],
        ['up', '--frob'],
        ['down', '0'],
        ['up', '--timescale', 'maybe'],
      ]) {
        const r = await runCli(args, { cwd: tempDir() });
        expect(r.code, args.join(' ')).to.equal(2);
        expect(r.stderr, args.join(' ')).to.match(/error/);
      }
    });

    it('exits 3 with a readable message when the database cannot be reached', async () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'migrations'));
      const r = await runCli(['up', '--database-url', 'postgres://root@127.0.0.1:1/nowhere'], {
        cwd: dir,
      });
      expect(r.code).to.equal(3);
      expect(r.stderr).to.match(
        /error: could not connect to postgres:\/\/root@127\.0\.0\.1:1\/nowhere/,
      );
      expect(r.stderr).to.not.match(NO_STACK);
    });

    it('exits 2 when the migrations directory is missing', async () => {
      const r = await runCli(['up', '--database-url', 'postgres://root@127.0.0.1:1/nowhere'], {
        cwd: tempDir(),
      });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/the migrations directory .* does not exist/);
    });

    it('refuses up, down and redo without migrations before creating the embedded database', async () => {
      const dir = tempDir();
      for (const command of ['up', 'down', 'redo']) {
        const r = await runCli([command], {
          cwd: dir,
          env: { ...process.env, DATABASE_URL: undefined },
        });
        expect(r.code, command).to.equal(2);
        expect(r.stderr, command).to.include(
          'hint: write the first migration with `prism-migrate generate`',
        );
        expect(r.stderr, command).to.not.match(NO_STACK);
      }
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    it('exits 2 naming the path when a path given is a file where a directory is needed', async () => {
      const dir = tempDir();
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'prism.yaml'), readFileSync(resolve('spec/examples/datapoint.yaml')));
      for (const args of [
        ['--migrations-dir', 'prism.yaml', 'create', 'foo'],
        ['--migrations-dir', 'prism.yaml/sub', 'generate'],
        [
          '--migrations-dir',
          'prism.yaml',
          'status',
          '--database-url',
          'postgres://root@127.0.0.1:1/x',
        ],
        ['types', '--out', 'prism.yaml/types.ts'],
      ]) {
        const r = await runCli(args, { cwd: dir });
        expect(r.code, args.join(' ')).to.equal(2);
        expect(r.stderr, args.join(' ')).to.include(join(dir, 'prism.yaml'));
        expect(r.stderr, args.join(' ')).to.not.include('unexpected');
        expect(r.stderr, args.join(' ')).to.include('hint: ');
        const json = await runCli(['--json', ...args], { cwd: dir });
        expect(JSON.parse(json.stdout).error.code, args.join(' ')).to.equal('usage');
      }
      expect(readdirSync(dir)).to.deep.equal(['prism.yaml']);
    });

    it('--version prints the package version', async () => {
      const r = await runCli(['--version'], { cwd: tempDir() });
      expect(r.code).to.equal(0);
      const pkg = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { version: string };
      expect(r.stdout.trim()).to.equal(pkg.version);
    });
  });

  describe('against the PostgreSQL server', () => {
    let db: TestDatabase;
    let dir: string;
    before(async () => {
      db = await createServerDatabase();
      dir = tempDir();
    });
    after(async () => db?.dispose());
    const env = () => ({ DATABASE_URL: db.url });

    it('create writes TS and JS migrations from the templates that run as written', async () => {
      const ts = await runCli(['create', 'add-metrics'], { cwd: dir, env: env() });
      expect(ts.code).to.equal(0);
      const tsFile = ts.stdout.trim();
      expect(tsFile).to.match(/migrations\/\d+_add-metrics\.ts$/);
      expect(readFileSync(tsFile, 'utf8')).to.equal(
        readFileSync(resolve('migrations-templates/migration.ts'), 'utf8'),
      );
      // The template's example lines, uncommented, run as they are.
      writeFileSync(
        tsFile,
        readFileSync(tsFile, 'utf8').replace(/\/\/ (pgm\.|createHypertable)/g, '$1'),
      );
      await new Promise((r) => setTimeout(r, 5));
      const js = await runCli(['create', 'metrics-retention', '--language', 'js'], {
        cwd: dir,
        env: env(),
      });
      expect(js.code).to.equal(0);
      const jsFile = js.stdout.trim();
      writeFileSync(
        jsFile,
        readFileSync(jsFile, 'utf8')
          .replace('import { createHypertable }', 'import { addRetentionPolicy }')
          .replace(
            "// pgm.createTable('metrics', { time: { type: 'timestamptz', notNull: true }, value: 'float8' });",
            "addRetentionPolicy(pgm, 'metrics', { dropAfter: '30 days' });",
          )
          .replace(
            "// createHypertable.reverse(pgm, 'metrics', { timeColumn: 'time', chunkInterval: '1 day' });",
            "addRetentionPolicy.reverse(pgm, 'metrics', { dropAfter: '30 days' });",
          ),
      );
      expect(readdirSync(join(dir, 'migrations'))).to.have.length(2);
    });

    it('up --dry-run prints the SQL and applies nothing', async () => {
      const r = await runCli(['up', '--dry-run'], { cwd: dir, env: env() });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('CREATE TABLE "metrics"');
      expect(r.stdout).to.include('create_hypertable');
      expect(r.stdout).to.include('add_retention_policy');
      const t = await withClient(
        db.url,
        async (c) =>
          (
            await c.query(
              `SELECT to_regclass('public.pgmigrations')::text AS m, to_regclass('public.metrics')::text AS t`,
            )
          ).rows[0],
      );
      expect(t).to.deep.equal({ m: null, t: null });
    });

    it('up applies, status --json reports, down reverts', async () => {
      const up = await runCli(['up'], { cwd: dir, env: env() });
      expect(up.code, up.stderr).to.equal(0);
      expect(up.stdout).to.match(/applied +\d+_add-metrics\napplied +\d+_metrics-retention/);
      expect(up.stderr).to.include(
        'prism: hypertable metrics skipped: TimescaleDB is not available on this server',
      );
      const status = await runCli(['status', '--json'], { cwd: dir, env: env() });
      expect(status.code).to.equal(0);
      expect(checkCliOutput('status', status.stdout)).to.deep.equal([]);
      const parsed = JSON.parse(status.stdout) as {
        migrations: { applied: boolean }[];
        timescale: { installed: boolean };
      };
      expect(parsed.migrations.map((m) => m.applied)).to.deep.equal([true, true]);
      expect(parsed.timescale.installed).to.equal(false);
      const down = await runCli(['down', '2'], { cwd: dir, env: env() });
      expect(down.code, down.stderr).to.equal(0);
      const t = await withClient(
        db.url,
        async (c) =>
          (
            await c.query(
              `SELECT to_regclass('public.metrics')::text AS t, (SELECT count(*)::int FROM pgmigrations) AS n`,
            )
          ).rows[0],
      );
      expect(t).to.deep.equal({ t: null, n: 0 });
    });

    it('up --timescale require exits 3 before changing anything', async () => {
      const r = await runCli(['up', '--timescale', 'require'], { cwd: dir, env: env() });
      expect(r.code).to.equal(3);
      expect(r.stderr).to.match(
        /error: --timescale require: the timescaledb extension is not on this server/,
      );
      expect(existsSync(join(dir, '.prism'))).to.equal(false);
    });
  });
});
