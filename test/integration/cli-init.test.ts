/**
 * A new project from `init`: the starter spec validates, generates and applies on the
 * embedded database; with TERM=dumb or NO_COLOR the output has no escape codes.
 */
import { checkCliOutput } from '../helpers/json-schema.js';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/databases.js';

const ESCAPE = '\x1b';
/** No server: the embedded database in the project, as on a developer's machine. */
const EMBEDDED = { DATABASE_URL: undefined, PGHOST: undefined, PGDATABASE: undefined };

describe('prism-migrate init', function () {
  this.timeout(120_000);

  it('starts a project that validates, generates and applies on the embedded database', async () => {
    const dir = tempDir();
    const created = await runCli(['init'], { cwd: dir, env: EMBEDDED });
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.include('created prism.yaml');
    expect(created.stdout).to.include('created .gitignore: /.prism/db/, .env');
    expect(created.stdout).to.include('created .env.example');
    // No database was opened.
    expect(readdirSync(dir).sort()).to.deep.equal(['.env.example', '.gitignore', 'prism.yaml']);
    const again = await runCli(['init', '--json'], { cwd: dir, env: EMBEDDED });
    expect(again.code).to.equal(2);
    expect(checkCliOutput('init', again.stdout)).to.deep.equal([]);
    const forced = await runCli(['init', '--force', '--json'], { cwd: dir, env: EMBEDDED });
    expect(forced.code, forced.stderr).to.equal(0);
    expect(checkCliOutput('init', forced.stdout)).to.deep.equal([]);
    expect(JSON.parse(forced.stdout).files[0]).to.deep.equal({
      path: 'prism.yaml',
      action: 'overwritten',
    });

    const valid = await runCli(['validate'], { cwd: dir, env: EMBEDDED });
    expect(valid.code, valid.stderr).to.equal(0);
    expect(valid.stdout).to.include('prism.yaml: valid (2 models)');

    const generated = await runCli(['generate', '--name', 'start'], { cwd: dir, env: EMBEDDED });
    expect(generated.code, generated.stderr).to.equal(0);
    expect(readdirSync(join(dir, 'migrations')).some((f) => f.endsWith('_start.ts'))).to.equal(
      true,
    );

    // The progress of each migration: plain lines, whether TERM=dumb or NO_COLOR says so.
    const runs = [
      { args: ['up'], env: { TERM: 'dumb' }, step: /^applying \d+_start$/m },
      {
        args: ['down'],
        env: { TERM: 'xterm-256color', NO_COLOR: '1' },
        step: /^reverting \d+_start$/m,
      },
      {
        args: ['up'],
        env: { TERM: 'xterm-256color', NO_COLOR: '1' },
        step: /^applying \d+_start$/m,
      },
    ];
    for (const { args, env, step } of runs) {
      const run = await runCli(args, { cwd: dir, env: { ...EMBEDDED, ...env } });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr, args[0]).to.match(step);
      expect(run.stdout + run.stderr, `${args[0]} ${JSON.stringify(env)}`).to.not.include(ESCAPE);
    }
    const status = await runCli(['status'], { cwd: dir, env: { ...EMBEDDED, TERM: 'dumb' } });
    expect(status.stdout).to.match(/applied\s+\d+_start/);
    expect(status.stdout).to.include('public.reading on recorded_at');
  });

  it('a second init changes no .gitignore line and refuses to replace prism.yaml (exit 2)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
    expect((await runCli(['init'], { cwd: dir, env: EMBEDDED })).code).to.equal(0);
    const ignored = readFileSync(join(dir, '.gitignore'), 'utf8');
    const again = await runCli(['init'], { cwd: dir, env: EMBEDDED });
    expect(again.code).to.equal(2);
    expect(again.stderr).to.include('error: prism.yaml already exists');
    expect(again.stderr).to.include('--force');
    const forced = await runCli(['init', '--force'], { cwd: dir, env: EMBEDDED });
    expect(forced.code, forced.stderr).to.equal(0);
    expect(forced.stdout).to.include('overwritten prism.yaml');
    expect(forced.stdout).to.include('unchanged .gitignore');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).to.equal(ignored);
  });

  it('up --help lists the global options', async () => {
    const help = await runCli(['up', '--help'], { cwd: tempDir() });
    expect(help.code).to.equal(0);
    for (const option of ['--spec', '--migrations-dir', '--database-url', '--json'])
      expect(help.stdout).to.include(option);
  });
});
