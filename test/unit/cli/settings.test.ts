import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildProgram } from '../../../lib/cli/main.js';
import { createOutput } from '../../../lib/cli/output.js';
import { loadProjectSettings, type GlobalOptions } from '../../../lib/cli/context.js';

/** The global options after the command line `args` and the project in `cwd`. */
function globals(args: string[], cwd: string, env: NodeJS.ProcessEnv): GlobalOptions {
  const program = buildProgram(createOutput(false));
  program.parseOptions(args);
  loadProjectSettings(program, env, cwd);
  return program.opts<GlobalOptions>();
}

describe('the global options of a command', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prism-globals-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are the built-in defaults in an empty project', () => {
    expect(globals([], dir, {})).to.deep.include({
      spec: 'prism.yaml',
      migrationsDir: 'migrations',
      envPath: '.env',
      migrationsTable: undefined,
      migrationsSchema: undefined,
    });
  });

  it('take the settings file where no flag is given, and the flag where one is', () => {
    writeFileSync(
      join(dir, 'prism.config.json'),
      JSON.stringify({ spec: 'db.yaml', migrationsTable: 'applied', migrationsSchema: 'ops' }),
    );
    const fromFile = globals([], dir, {});
    expect(fromFile).to.deep.include({
      spec: 'db.yaml',
      migrationsTable: 'applied',
      migrationsSchema: 'ops',
    });
    expect(fromFile.sources?.config?.file).to.equal('prism.config.json');
    expect(
      globals(['--spec', 'other.yaml', '--migrations-table', 'runs'], dir, {}),
    ).to.deep.include({ spec: 'other.yaml', migrationsTable: 'runs', migrationsSchema: 'ops' });
  });

  it('fill the environment from .env without overriding it, keeping what was set before', () => {
    writeFileSync(join(dir, '.env'), 'PGHOST=from-file\nPRISM_API_TOKEN=token-from-the-file\n');
    const env: NodeJS.ProcessEnv = { PGHOST: 'set' };
    const { sources } = globals([], dir, env);
    expect(env).to.deep.equal({ PGHOST: 'set', PRISM_API_TOKEN: 'token-from-the-file' });
    expect(sources?.env).to.deep.equal({ PGHOST: 'set' });
    expect(sources?.envFile?.values).to.deep.include({ PGHOST: 'from-file' });
  });

  it('read the file of --env-path instead', () => {
    writeFileSync(join(dir, 'ci.env'), 'NODE_ENV=production\n');
    const env: NodeJS.ProcessEnv = {};
    globals(['--env-path', 'ci.env'], dir, env);
    expect(env).to.deep.equal({ NODE_ENV: 'production' });
  });
});
