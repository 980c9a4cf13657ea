/**
 * `--json` as a contract: each command run with --json on real databases (the embedded
 * TimescaleDB, the PostgreSQL server, native TimescaleDB with the Timescale License), its
 * stdout one document that spec/cli/<command>.schema.json accepts; failures are
 * `{ formatVersion, error }` with a stable code and the usual exit code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { PG_MIGRATE_LOCK_ID } from 'node-pg-migrate';
import { openDatabase } from '../../lib/db/open.js';
import {
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  CLI,
  cleanEnv,
  freePort,
  projectDir,
  run,
  spawnNode,
} from '../helpers/embedded-process.js';
import { checkCliOutput, schemaOf } from '../helpers/json-schema.js';
import { createNativeDatabase, CURRENT_TSL, describeNative } from '../helpers/timescale-servers.js';

const SPEC = `models:
  - name: Reading
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: at, type: datetime }
      - { name: device, type: string, max_length: 50 }
      - { name: value, type: float, optional: true }
    timeseries:
      time_column: at
      chunk_interval: 1 day
      retention: { drop_after: 1 year }
`;
/** `value` dropped (PM102) and the retention shortened (PM103). */
const SPEC_NEXT = SPEC.replace(
  '      - { name: value, type: float, optional: true }\n',
  '',
).replace('drop_after: 1 year', 'drop_after: 30 days');

interface Document {
  readonly formatVersion: number;
  readonly error?: {
    readonly code: string;
    readonly location: unknown;
    readonly issues: readonly unknown[];
  };
  readonly [key: string]: unknown;
}

const GLOBAL_WITH_VALUE = new Set(['--spec', '--database-url', '--migrations-dir']);

/** The command that `args` run, e.g. `jobs run`, for its schema. */
function commandOf(args: readonly string[]): string {
  const words = args.filter(
    (a, i) => !a.startsWith('-') && !GLOBAL_WITH_VALUE.has(args[i - 1] ?? ''),
  );
  const first = words[0] ?? '';
  return first === 'jobs' || first === 'embedded' ? `${first} ${words[1] ?? ''}` : first;
}

/** Checks a --json stdout against the schema of the command that printed it; returns it parsed. */
function documentOf(
  args: readonly string[],
  stdout: string,
  schema = schemaOf(commandOf(args)),
): Document {
  expect(checkCliOutput(schema, stdout), `${args.join(' ')}:\n${stdout}`).to.deep.equal([]);
  const document = JSON.parse(stdout) as Document;
  expect(Object.keys(document)[0]).to.equal('formatVersion');
  return document;
}

/** Runs the CLI with --json in `dir` and checks the exit code and the document. */
async function cli(
  dir: string,
  args: readonly string[],
  exit: number,
  schema?: string,
): Promise<Document> {
  const r = await run(process.execPath, [CLI, '--json', ...args], {
    cwd: dir,
    env: cleanEnv(),
    timeoutMs: 120_000,
  });
  expect(r.code, `${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(exit);
  return documentOf(args, r.stdout, schema);
}

interface Target {
  /** Undefined: the embedded database in ./.prism/db. */
  readonly url: string | undefined;
  readonly timescale: boolean;
  sql(dir: string, text: string): Promise<void>;
  dispose(): Promise<void>;
}

async function onEmbedded(dir: string, text: string): Promise<void> {
  const db = await openDatabase(
    { kind: 'embedded', dataDir: join(dir, '.prism', 'db') },
    { command: 'test' },
  );
  try {
    await withClient(db.url, (c) => c.query(text));
  } finally {
    await db.close();
  }
}

function serverTarget(db: TestDatabase, timescale: boolean): Target {
  return {
    url: db.url,
    timescale,
    sql: (_dir, text) => withClient(db.url, (c) => c.query(text)).then(() => undefined),
    dispose: () => db.dispose(),
  };
}

/** A project's commands, from `validate` to `redo`, on one database. */
function describeLifecycle(title: string, open: () => Promise<Target>): void {
  describe(`--json of every command on ${title}`, function () {
    this.timeout(600_000);
    let target: Target;
    let dir: string;
    const json = (args: readonly string[], exit: number) =>
      cli(dir, [...(target.url ? ['--database-url', target.url] : []), ...args], exit);

    before(async () => {
      target = await open();
      dir = projectDir();
      writeFileSync(join(dir, 'prism.yaml'), SPEC);
    });
    after(() => target?.dispose());

    it('validate, generate, up, status, check and timescale-info', async () => {
      expect((await json(['validate'], 0))['valid']).to.equal(true);
      expect((await json(['generate', '--name', 'init'], 0))['changes']).to.deep.equal([
        {
          kind: 'createModel',
          table: 'reading',
          description: 'create hypertable reading (model Reading)',
        },
      ]);
      expect(await json(['generate'], 0)).to.deep.equal({
        formatVersion: 1,
        file: null,
        changes: [],
        destructive: [],
        dataLoss: [],
      });
      expect((await json(['up'], 0))['migrations']).to.have.length(1);
      const status = await json(['status'], 0);
      expect(status['migrations']).to.have.length(1);
      expect(await json(['check'], 0)).to.deep.include({
        upToDate: true,
        lineage: [],
        changes: [],
      });
      const info = await json(['timescale-info'], 0);
      expect((info['hypertables'] as unknown[]).length).to.equal(target.timescale ? 1 : 0);
    });

    it('changes as data with their codes, up --dry-run, a data-loss refusal, drift with its column', async () => {
      await target.sql(
        dir,
        `INSERT INTO reading (id, at, device, value) VALUES (1, now(), 'd', 1.5)`,
      );
      writeFileSync(join(dir, 'prism.yaml'), SPEC_NEXT);
      const pending = await json(['check'], 1);
      expect(
        (pending['changes'] as { kind: string; destructive?: string }[]).map((c) => [
          c.kind,
          c.destructive,
        ]),
      ).to.deep.equal([
        ['removeRetentionPolicy', undefined],
        ['dropColumn', 'PM102'],
        ['addRetentionPolicy', 'PM103'],
      ]);
      expect(pending.error?.code).to.equal('check-failed');

      const generated = await json(['generate', '--name', 'shrink'], 0);
      expect((generated['changes'] as unknown[])[1]).to.deep.equal({
        kind: 'dropColumn',
        table: 'reading',
        column: 'value',
        before: 'double precision',
        destructive: 'PM102',
        description: 'drop column reading.value',
      });
      const dryRun = await json(['up', '--dry-run'], 0);
      expect((dryRun['migrations'] as { sql: string }[])[0]?.sql).to.match(/DROP[^;]*"value"/);
      const refused = await json(['up'], 1);
      expect(Object.keys(refused)).to.deep.equal(['formatVersion', 'error']);
      expect(refused.error).to.deep.include({ code: 'data-loss', location: null, issues: [] });
      const applied = await json(['up', '--allow-data-loss'], 0);
      expect(applied['migrations']).to.have.length(1);

      await target.sql(dir, 'ALTER TABLE reading ALTER COLUMN device DROP NOT NULL');
      const drifted = await json(['check'], 1);
      const drift = (drifted['database'] as { drift: Record<string, unknown>[] }).drift;
      expect(drift.map((d) => [d['kind'], d['column'], d['actual']])).to.deep.equal([
        ['nullability', 'device', 'nullable'],
      ]);
      expect(drifted.error?.code).to.equal('check-failed');
      await target.sql(dir, 'ALTER TABLE reading ALTER COLUMN device SET NOT NULL');
    });

    it('apply-timescale, jobs run, down, redo and create', async () => {
      const applied = await json(['apply-timescale', '--dry-run'], target.timescale ? 0 : 3);
      // Without TimescaleDB and with no stand-in, there is nothing to run, and no failure.
      const jobs = await json(['jobs', 'run'], 0);
      if (target.timescale) {
        expect(applied['steps']).to.deep.equal([]);
        expect((jobs['runs'] as { kind: string }[]).map((r) => r.kind)).to.deep.equal([
          'retention',
        ]);
      } else {
        expect(applied.error?.code).to.equal('database');
        expect(jobs['runs']).to.deep.equal([]);
      }
      const down = await json(['down'], 0);
      expect((down['migrations'] as { name: string }[]).map((m) => m.name)).to.have.length(1);
      const redo = await json(['redo', '--allow-data-loss'], 0);
      expect((redo['migrations'] as { direction: string }[]).map((m) => m.direction)).to.deep.equal(
        ['down', 'up'],
      );
      expect((await json(['create', 'by-hand', '--language', 'js'], 0))['file']).to.match(
        /_by-hand\.js$/,
      );
    });
  });
}

describeLifecycle('the embedded TimescaleDB', () =>
  Promise.resolve({
    url: undefined,
    timescale: true,
    sql: onEmbedded,
    dispose: () => Promise.resolve(),
  }),
);

describeLifecycle('the PostgreSQL server', async () =>
  serverTarget(await createServerDatabase('prism_json'), false),
);

describeNative(CURRENT_TSL, '--json of check, status, timescale-info and jobs run', (server) => {
  let db: TestDatabase;
  let dir: string;
  before(async () => {
    db = await createNativeDatabase(server);
    dir = projectDir();
    writeFileSync(join(dir, 'prism.yaml'), SPEC);
  });
  after(() => db?.dispose());

  it('each document is what its schema says', async () => {
    const json = (args: readonly string[], exit: number) =>
      cli(dir, ['--database-url', db.url, ...args], exit);
    await json(['generate'], 0);
    expect((await json(['status'], 0))['timescale']).to.deep.include({ installed: false });
    const pending = (await json(['check'], 1))['database'] as { unapplied: string[] };
    expect(pending.unapplied).to.have.length(1);
    await json(['up'], 0);
    expect((await json(['status'], 0))['hypertables']).to.have.length(1);
    expect(await json(['check'], 0)).to.deep.include({ upToDate: true });
    const info = await json(['timescale-info'], 0);
    expect(info).to.deep.include({ version: 1, embedded: false, jobsRunAutomatically: true });
    expect((await json(['jobs', 'run'], 0))['runs']).to.have.length(1);
  });
});

describe('--json failures', function () {
  this.timeout(120_000);
  let db: TestDatabase | undefined;
  after(() => db?.dispose());

  it('a spec error: spec-invalid, exit 2, every issue with its place', async () => {
    const dir = tempDir('prism-json-');
    writeFileSync(
      join(dir, 'prism.yaml'),
      'models:\n  - name: M\n    feilds: []\n    fields:\n      - name: id\n        type: integer\n',
    );
    const failed = await cli(dir, ['validate'], 2);
    expect(failed.error).to.deep.include({
      code: 'spec-invalid',
      location: { file: join(dir, 'prism.yaml'), line: 3, column: 5 },
    });
    expect(failed.error?.issues).to.have.length(2);
    // generate reads the spec first: the same error, in generate's schema.
    expect((await cli(dir, ['generate'], 2)).error?.code).to.equal('spec-invalid');
  });

  it("commander's usage errors are JSON on stdout too: usage, exit 2", async () => {
    const dir = tempDir('prism-json-');
    for (const [args, schema] of [
      [['up', '--frob'], 'migrate'],
      [['create'], 'create'],
      [['down', '0'], 'migrate'],
      [['frobnicate'], 'error'],
    ] as const) {
      const failed = await cli(dir, args, 2, schema);
      expect(failed.error?.code, args.join(' ')).to.equal('usage');
    }
  });

  it('an unreachable database: database, exit 3', async () => {
    const dir = projectDir();
    writeFileSync(join(dir, 'prism.yaml'), SPEC);
    const failed = await cli(
      dir,
      ['--database-url', `postgres://root@127.0.0.1:${await freePort()}/x`, 'status'],
      3,
    );
    expect(failed.error).to.deep.include({ code: 'database', location: null });
  });

  it('the migration lock held by another deploy: lock-timeout, exit 3; a failing migration: migration-failed', async () => {
    db = await createServerDatabase('prism_json_errors');
    const dir = projectDir({
      '1700000000000_broken.js':
        "export const up = (pgm) => { pgm.sql('SELECT no_such_column FROM pg_class'); };\n",
    });
    writeFileSync(join(dir, 'prism.yaml'), SPEC);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [String(PG_MIGRATE_LOCK_ID)]);
      const waited = await cli(dir, ['--database-url', db.url, 'up', '--lock-timeout', '0'], 3);
      expect(waited.error?.code).to.equal('lock-timeout');
    } finally {
      await holder.end();
    }
    const failed = await cli(dir, ['--database-url', db.url, 'up'], 3);
    expect(failed.error?.code).to.equal('migration-failed');
  });
});

describe('--json of pull, serve and the embedded database', function () {
  this.timeout(300_000);
  let db: TestDatabase;
  before(async () => {
    db = await createServerDatabase('prism_json_pull');
    await withClient(db.url, (c) =>
      c.query('CREATE TABLE device (id int PRIMARY KEY, name text NOT NULL, seen timestamptz)'),
    );
  });
  after(() => db?.dispose());

  it('pull', async () => {
    const pulled = await cli(tempDir('prism-json-'), ['--database-url', db.url, 'pull'], 0);
    expect(pulled).to.deep.include({ schema: 'public', adopted: null, accepted: 0 });
    expect(pulled['tables']).to.deep.equal([{ model: 'Device', table: 'device' }]);
  });

  /** A long-running command: its document once it is ready, then stopped with Ctrl-C. */
  async function ready(dir: string, args: readonly string[]): Promise<Document> {
    const child = spawnNode(dir, [CLI, '--json', ...args]);
    try {
      await child.waitFor(/^}\n/m, { timeoutMs: 120_000 });
      return documentOf(args, child.stdout);
    } finally {
      expect((await child.stop('SIGINT')).code).to.equal(0);
    }
  }

  it('serve', async () => {
    const dir = tempDir('prism-json-');
    writeFileSync(join(dir, 'prism.yaml'), SPEC);
    const port = await freePort();
    const served = await ready(dir, ['--database-url', db.url, 'serve', '--port', String(port)]);
    expect(served).to.deep.include({ dialect: 'postgres' });
    expect(served['listening']).to.deep.equal([`listening on http://127.0.0.1:${port}`]);
  });

  it('embedded start, status and reset', async () => {
    const dir = tempDir('prism-json-');
    const started = await ready(dir, ['embedded', 'start', '--port', String(await freePort())]);
    expect(started['url']).to.match(/^postgres:\/\//);
    expect(await cli(dir, ['embedded', 'status'], 0)).to.deep.include({
      exists: true,
      lock: { state: 'free' },
    });
    expect((await cli(dir, ['embedded', 'reset', '--yes'], 0))['deleted']).to.equal(
      join(dir, '.prism', 'db'),
    );
  });
});
