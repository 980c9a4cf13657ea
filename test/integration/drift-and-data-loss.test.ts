/**
 * `check` against live databases (a policy removed by hand is drift), and the data-loss
 * guard of `up` (a shortened retention or a dropped column holding values is refused
 * without --allow-data-loss), through the real CLI.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { openDatabase } from '../../lib/db/open.js';
import { runCli } from '../helpers/cli.js';
import { checkTimescaleInfoSchema } from '../helpers/info-schema.js';
import {
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';

const SEED = readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8');
const NO_URL = { DATABASE_URL: undefined };

/** Runs SQL on a project's embedded database, opened by this process for a moment. */
async function onEmbedded(dir: string, sql: string, params: unknown[] = []): Promise<unknown[]> {
  const db = await openDatabase(
    { kind: 'embedded', dataDir: join(dir, '.prism', 'db') },
    { command: 'test' },
  );
  try {
    return await withClient(db.url, async (c) => (await c.query(sql, params)).rows);
  } finally {
    await db.close();
  }
}

describe('drift and data loss on embedded TimescaleDB (CLI)', function () {
  this.timeout(180_000);
  const dir = tempDir();
  before(() => mkdirSync(dir, { recursive: true }));

  it('check passes after generate and up, and fails on a retention policy removed by hand', async () => {
    writeFileSync(join(dir, 'prism.yaml'), SEED);
    expect((await runCli(['generate'], { cwd: dir, env: NO_URL })).code).to.equal(0);
    expect((await runCli(['up'], { cwd: dir, env: NO_URL })).code).to.equal(0);
    const clean = await runCli(['check'], { cwd: dir, env: NO_URL });
    expect(clean.code, clean.stderr).to.equal(0);
    expect(clean.stdout).to.match(/all are applied, and embedded database .* matches it/);

    await onEmbedded(dir, `SELECT remove_retention_policy('datapoint')`);
    const drifted = await runCli(['check'], { cwd: dir, env: NO_URL });
    expect(drifted.code).to.equal(1);
    expect(drifted.stdout).to.include(
      'drift in datapoint: retention policy: expected drop_after 1 year, found none (removed?)',
    );
    expect(drifted.stderr).to.match(/drifts from the spec in 1 place/);
    const json = JSON.parse(
      (await runCli(['check', '--json'], { cwd: dir, env: NO_URL })).stdout,
    ) as {
      upToDate: boolean;
      database: { drift: { what: string }[] };
    };
    expect(json.upToDate).to.equal(false);
    expect(json.database.drift.map((d) => d.what)).to.deep.equal(['retention policy']);
    await onEmbedded(dir, `SELECT add_retention_policy('datapoint', INTERVAL '1 year')`);
    expect((await runCli(['check'], { cwd: dir, env: NO_URL })).code).to.equal(0);
  });

  it('refuses a shortened retention that would drop rows, previews it in a dry run, and applies it with --allow-data-loss', async () => {
    await onEmbedded(
      dir,
      `INSERT INTO datapoint (id, "timestamp", source, value)
       SELECT gen_random_uuid(), now() - g * interval '1 day', 's', g FROM generate_series(1, 60) g`,
    );
    writeFileSync(
      join(dir, 'prism.yaml'),
      SEED.replace('drop_after: 1 year', 'drop_after: 30 days'),
    );
    const generated = await runCli(['generate', '--name', 'shorter-retention'], {
      cwd: dir,
      env: NO_URL,
    });
    expect(generated.stderr).to.include(
      'warning: PM103 retention drops chunks of datapoint older than 30 days on its first run',
    );
    expect(generated.stderr).to.match(
      /preview: PM103 would lose \d+ chunk\(s\) of datapoint from .*, \d+ row\(s\)/,
    );

    const refused = await runCli(['up'], { cwd: dir, env: NO_URL });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/refusing to run: these steps would lose existing data/);
    expect(refused.stderr).to.match(
      /would lose: \d+ chunk\(s\) of datapoint from .* to .*, (2[0-9]|3[0-9]) row\(s\)/,
    );
    expect(refused.stderr).to.include('--allow-data-loss');
    const stillPending = await runCli(['status'], { cwd: dir, env: NO_URL });
    expect(stillPending.stdout).to.match(/pending +\d+_shorter-retention/);

    const dry = await runCli(['up', '--dry-run'], { cwd: dir, env: NO_URL });
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stderr).to.match(
      /retention preview for \d+_shorter-retention: \d+ chunk\(s\) of datapoint/,
    );

    const allowed = await runCli(['up', '--allow-data-loss'], { cwd: dir, env: NO_URL });
    expect(allowed.code, allowed.stderr).to.equal(0);
    expect(allowed.stdout).to.match(/applied +\d+_shorter-retention/);
  });

  it('timescale-info --json has the documented shape, and jobs run applies both policies', async () => {
    const before = await runCli(['timescale-info', '--json'], { cwd: dir, env: NO_URL });
    expect(before.code, before.stderr).to.equal(0);
    const info = JSON.parse(before.stdout) as {
      embedded: boolean;
      jobsRunAutomatically: boolean;
      hypertables: { chunks: number }[];
    };
    expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
    expect(info).to.include({ embedded: true, jobsRunAutomatically: false });
    const ran = await runCli(['jobs', 'run', '--table', 'datapoint'], { cwd: dir, env: NO_URL });
    expect(ran.code, ran.stderr).to.equal(0);
    expect(ran.stdout).to.match(/ran +job \d+ \(compression of public\.datapoint\)/);
    expect(ran.stdout).to.match(/ran +job \d+ \(retention of public\.datapoint\)/);
    const after = JSON.parse(
      (await runCli(['timescale-info', '--json'], { cwd: dir, env: NO_URL })).stdout,
    ) as typeof info;
    // The 30-day retention dropped the chunks the guard had counted.
    expect(after.hypertables[0]?.chunks).to.be.lessThan(info.hypertables[0]?.chunks as number);
    const missing = await runCli(['jobs', 'run', '--table', 'nope'], { cwd: dir, env: NO_URL });
    expect(missing.code).to.equal(3);
    expect(missing.stderr).to.include('no compression or retention policy on nope');
  });
});

describe('data loss on the PostgreSQL server (CLI)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const dir = tempDir();
  before(async () => {
    db = await createServerDatabase();
  });
  after(async () => db?.dispose());

  it('refuses dropping a column that holds values unless --allow-data-loss', async () => {
    const env = { DATABASE_URL: db.url };
    const spec =
      'models:\n  - name: Note\n    fields:\n      - { name: id, type: int, primary_key: true }\n      - { name: body, type: text, optional: true }\n';
    writeFileSync(join(dir, 'prism.yaml'), spec);
    await runCli(['generate'], { cwd: dir, env });
    expect((await runCli(['up'], { cwd: dir, env })).code).to.equal(0);
    await withClient(db.url, (c) => c.query(`INSERT INTO note VALUES (1, 'kept?'), (2, NULL)`));
    writeFileSync(
      join(dir, 'prism.yaml'),
      spec.replace('      - { name: body, type: text, optional: true }\n', ''),
    );
    await runCli(['generate'], { cwd: dir, env });
    const refused = await runCli(['up'], { cwd: dir, env });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('PM102 drops column note.body and its values');
    expect(refused.stderr).to.include('would lose: column note.body: 1 value(s)');
    const allowed = await runCli(['up', '--allow-data-loss'], { cwd: dir, env });
    expect(allowed.code, allowed.stderr).to.equal(0);
    const clean = await runCli(['check'], { cwd: dir, env });
    expect(clean.code, clean.stdout + clean.stderr).to.equal(0);
  });
});
