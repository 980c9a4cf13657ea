/** init: the starter files, written once, never duplicated, never overwriting a spec unasked. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import { ENV_EXAMPLE, STARTER_SPEC, init } from '../../../lib/app/init.js';
import { parseSpec } from '../../../lib/spec/load.js';

function project(): { dir: string; specFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'prism-init-'));
  return { dir, specFile: join(dir, 'prism.yaml') };
}

const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

describe('init', () => {
  it('the starter spec is valid: a hypertable with every timeseries key and a plain table, no notes', () => {
    const loaded = parseSpec(STARTER_SPEC, 'prism.yaml');
    const [reading, sensor] = loaded.spec.models;
    expect(reading?.timeseries?.compression?.enabled).to.equal(true);
    expect(reading?.timeseries?.retention?.enabled).to.equal(true);
    expect(reading?.timeseries?.indexes).to.have.length(1);
    expect(sensor?.timeseries).to.equal(undefined);
    expect([...loaded.warnings, ...loaded.adjustments]).to.deep.equal([]);
    const all = STARTER_SPEC.split('\n');
    const lines = all.slice(all.findIndex((l) => l.trim() === 'timeseries:'));
    for (const key of [
      'time_column:',
      'chunk_interval:',
      '# time_unit:',
      'compression:',
      'enabled:',
      'after:',
      'segment_by:',
      'order_by:',
      'retention:',
      'drop_after:',
      'indexes:',
      'columns:',
      'type:',
      'unique:',
      '# name:',
    ]) {
      const k = lines.findIndex((l) => l.trim().replace(/^- /, '').startsWith(key));
      const commented = lines[k]?.includes('#') || lines[k - 1]?.trim().startsWith('#');
      expect(commented, `${key} with a comment`).to.equal(true);
    }
  });

  it('writes prism.yaml, .gitignore and .env.example in a new project', () => {
    const { dir, specFile } = project();
    const result = init({ dir, specFile });
    expect(result.files).to.deep.equal([
      { path: 'prism.yaml', action: 'created' },
      { path: '.gitignore', action: 'created', lines: ['/.prism/db/', '.env'] },
      { path: '.env.example', action: 'created' },
    ]);
    expect(read(dir, 'prism.yaml')).to.equal(STARTER_SPEC);
    expect(read(dir, '.env.example')).to.equal(ENV_EXAMPLE);
    expect(ENV_EXAMPLE)
      .to.match(/^DATABASE_URL=/m)
      .and.match(/^# PRISM_API_TOKEN=/m);
    const ignored = read(dir, '.gitignore').split('\n');
    expect(ignored).to.include.members(['/.prism/db/', '.env']);
    // The snapshot in migrations/.prism/ stays committed.
    expect(ignored).to.not.include.members(['.prism', '.prism/', 'migrations/.prism/']);
  });

  it('appends only the missing .gitignore lines, and nothing when run again', () => {
    const { dir, specFile } = project();
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n.env');
    const first = init({ dir, specFile });
    expect(first.files[1]).to.deep.equal({
      path: '.gitignore',
      action: 'appended',
      lines: ['/.prism/db/'],
    });
    const after = read(dir, '.gitignore');
    expect(after.startsWith('node_modules/\n.env\n\n')).to.equal(true);
    init({ dir, specFile, force: true });
    expect(read(dir, '.gitignore')).to.equal(after);
    const lines = after.split('\n').filter((l) => l !== '');
    expect(new Set(lines).size).to.equal(lines.length);
  });

  it('refuses an existing prism.yaml before writing anything; --force replaces it', () => {
    const { dir, specFile } = project();
    writeFileSync(specFile, 'models: []\n');
    expect(() => init({ dir, specFile }))
      .to.throw(UsageError, 'prism.yaml already exists')
      .with.property('hint')
      .that.includes('--force');
    expect(read(dir, 'prism.yaml')).to.equal('models: []\n');
    expect(() => read(dir, '.gitignore')).to.throw(/ENOENT/);
    expect(init({ dir, specFile, force: true }).files[0]).to.deep.equal({
      path: 'prism.yaml',
      action: 'overwritten',
    });
    expect(read(dir, 'prism.yaml')).to.equal(STARTER_SPEC);
  });

  it('keeps an existing .env.example unless --force', () => {
    const { dir, specFile } = project();
    writeFileSync(join(dir, '.env.example'), 'MINE=1\n');
    expect(init({ dir, specFile }).files[2]).to.deep.equal({
      path: '.env.example',
      action: 'unchanged',
    });
    expect(read(dir, '.env.example')).to.equal('MINE=1\n');
  });
});
