import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import { usageError } from '../../helpers/thrown.js';
import { parseConfig, parseJson } from '../../../lib/config/file.js';
import { loadConfig } from '../../../lib/config/load.js';
import { resolveSettings } from '../../../lib/config/settings.js';
import { applyEnvFile, lookupSetting, readEnvFile } from '../../../lib/config/env-file.js';

const FILE = 'prism.config.json';

describe('parseConfig', () => {
  it('keeps every known key, with where it came from', () => {
    const settings = {
      spec: 'db/prism.yaml',
      migrationsDir: 'db/migrations',
      databaseUrl: 'postgres://u@h/db',
      migrationsTable: 'schema_migrations',
      migrationsSchema: 'ops',
      environment: 'production',
      embedded: false,
    };
    expect(parseConfig(settings, FILE, '/p')).to.deep.equal({ ...settings, file: FILE, dir: '/p' });
  });

  it('refuses an unknown key, naming the file, the key and the nearest known one', () => {
    const e = usageError(() => parseConfig({ migrationDir: 'm' }, FILE, '/p'));
    expect(e.message).to.equal('prism.config.json: unknown key "migrationDir"');
    expect(e.hint).to.match(/^did you mean "migrationsDir"\? The keys are spec, migrationsDir/);
    expect(usageError(() => parseConfig({ zzzzzz: 1 }, FILE, '/p')).hint).to.match(
      /^the keys are /,
    );
  });

  it('refuses a value of the wrong type, naming the key', () => {
    expect(usageError(() => parseConfig({ embedded: 'no' }, FILE, '/p')).message).to.equal(
      'prism.config.json: "embedded" must be true or false, not "no"',
    );
    expect(usageError(() => parseConfig({ spec: 3 }, FILE, '/p')).message).to.equal(
      'prism.config.json: "spec" must be a non-empty string, not 3',
    );
    expect(usageError(() => parseConfig({ databaseUrl: '' }, FILE, '/p')).message).to.equal(
      'prism.config.json: "databaseUrl" must be a non-empty string, not ""',
    );
  });

  it('refuses a migrations table or schema that is not a plain SQL name', () => {
    const e = usageError(() => parseConfig({ migrationsTable: 'my-migrations' }, FILE, '/p'));
    expect(e.message).to.equal(
      'prism.config.json: "migrationsTable" "my-migrations" is not a valid name',
    );
    expect(e.hint).to.include("e.g. 'my_migrations'");
    expect(() => parseConfig({ migrationsSchema: 'x"; DROP' }, FILE, '/p')).to.throw(UsageError);
  });

  it('refuses anything but an object, and JSON with a syntax error', () => {
    expect(usageError(() => parseConfig(['spec'], FILE, '/p')).message).to.equal(
      'prism.config.json must hold an object of settings',
    );
    expect(usageError(() => parseJson('{ "spec": "a", }', FILE)).message).to.match(
      /^prism\.config\.json is not valid JSON: /,
    );
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prism-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, value: unknown) =>
    writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));

  it('reads nothing when there is no settings file', () => {
    write('package.json', { name: 'app' });
    expect(loadConfig({ cwd: dir })).to.equal(undefined);
  });

  it('reads prism.config.json', () => {
    write(FILE, { spec: 'db.yaml' });
    expect(loadConfig({ cwd: dir })).to.deep.include({ spec: 'db.yaml', file: FILE, dir });
  });

  it('reads the "prism" key of package.json', () => {
    write('package.json', { name: 'app', prism: { migrationsDir: 'db' } });
    expect(loadConfig({ cwd: dir })).to.deep.include({
      migrationsDir: 'db',
      file: 'package.json ("prism" key)',
    });
    write('package.json', { name: 'app', prism: { migrationsDri: 'db' } });
    expect(usageError(() => loadConfig({ cwd: dir })).message).to.equal(
      'package.json ("prism" key): unknown key "migrationsDri"',
    );
  });

  it('refuses both at once', () => {
    write(FILE, { spec: 'a.yaml' });
    write('package.json', { prism: { spec: 'b.yaml' } });
    expect(usageError(() => loadConfig({ cwd: dir })).message).to.match(
      /^both prism\.config\.json/,
    );
  });

  it('--config reads the file given, relative to its own folder', () => {
    mkdirSync(join(dir, 'conf'));
    write('conf/ci.json', { spec: 'x.yaml' });
    expect(loadConfig({ cwd: dir, file: 'conf/ci.json' })).to.deep.include({
      file: 'conf/ci.json',
      dir: join(dir, 'conf'),
    });
    expect(usageError(() => loadConfig({ cwd: dir, file: 'missing.json' })).message).to.equal(
      'the config file missing.json does not exist',
    );
    write('conf/bad.json', '{ spec: x }');
    expect(usageError(() => loadConfig({ cwd: dir, file: 'conf/bad.json' })).message).to.match(
      /^conf\/bad\.json is not valid JSON/,
    );
  });

  it('--config may name a package.json, which then needs a "prism" key', () => {
    write('package.json', { name: 'app' });
    expect(usageError(() => loadConfig({ cwd: dir, file: 'package.json' })).message).to.equal(
      'package.json has no "prism" key',
    );
  });
});

describe('resolveSettings: flag, then settings file, then default', () => {
  const config = parseConfig(
    { spec: 'db/prism.yaml', migrationsDir: 'db/migrations', migrationsTable: 'from_config' },
    FILE,
    '/project',
  );

  it('uses the built-in defaults without flags or file', () => {
    expect(resolveSettings({}, undefined, '/project')).to.deep.equal({
      spec: 'prism.yaml',
      migrationsDir: 'migrations',
      migrationsTable: undefined,
      migrationsSchema: undefined,
    });
  });

  it('uses the settings file where no flag is given', () => {
    expect(resolveSettings({ migrationsSchema: 'ops' }, config, '/project')).to.deep.equal({
      spec: 'db/prism.yaml',
      migrationsDir: 'db/migrations',
      migrationsTable: 'from_config',
      migrationsSchema: 'ops',
    });
  });

  it('a flag wins over the settings file', () => {
    const flags = { spec: 'other.yaml', migrationsDir: 'm', migrationsTable: 'from_flag' };
    expect(resolveSettings(flags, config, '/project')).to.deep.include(flags);
  });

  it('paths of a settings file elsewhere are relative to its folder', () => {
    expect(resolveSettings({}, config, '/project/sub')).to.deep.include({
      spec: '/project/db/prism.yaml',
      migrationsDir: '/project/db/migrations',
    });
  });
});

describe('the .env file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prism-env-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is read when present, and required only when named', () => {
    writeFileSync(join(dir, '.env'), 'PGHOST=db\n# a comment\nPRISM_API_TOKEN="a b"\n');
    expect(readEnvFile(join(dir, '.env'), '.env').values).to.deep.equal({
      PGHOST: 'db',
      PRISM_API_TOKEN: 'a b',
    });
    expect(readEnvFile(join(dir, 'none'), 'none').values).to.deep.equal({});
    expect(usageError(() => readEnvFile(join(dir, 'none'), 'none', true)).message).to.equal(
      'the env file none does not exist',
    );
  });

  it('fills in only the variables the environment does not set', () => {
    const env: NodeJS.ProcessEnv = { PGHOST: 'kept', NODE_ENV: '' };
    applyEnvFile(
      { name: '.env', values: { PGHOST: 'db', NODE_ENV: 'production', PGUSER: 'u' } },
      env,
    );
    expect(env).to.deep.equal({ PGHOST: 'kept', NODE_ENV: '', PGUSER: 'u' });
  });

  it('lookupSetting says whether the file gave the value', () => {
    const file = { name: '.env', values: { A: 'file', B: 'file' } };
    expect(lookupSetting('A', { A: 'env' }, file)).to.deep.equal({ value: 'env', fromFile: false });
    expect(lookupSetting('B', {}, file)).to.deep.equal({ value: 'file', fromFile: true });
    expect(lookupSetting('A', { A: '' }, file)).to.equal(undefined);
    expect(lookupSetting('C', {}, file)).to.equal(undefined);
  });
});
