/**
 * The application layer sits between the pipeline and the CLI: only lib/cli and the
 * package's entry point import lib/app, and lib/app never imports lib/cli.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const LIB = join(ROOT, 'lib');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** lib-relative paths of the lib modules a file imports, e.g. `app/check.ts`. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'));
    found.push(relative(LIB, target).split('\\').join('/'));
  }
  return found;
}

const FILES = sources(LIB).map((file) => ({
  name: relative(LIB, file).split('\\').join('/'),
  imports: imports(file),
}));

describe('application layer boundaries', () => {
  it('sees the imports it checks (the CLI commands import lib/app)', () => {
    const check = FILES.find((f) => f.name === 'cli/commands/check.ts');
    expect(check?.imports).to.include('app/check.ts');
    expect(FILES.find((f) => f.name === 'index.ts')?.imports).to.include('app/index.ts');
  });

  it('only lib/cli and lib/index.ts import lib/app', () => {
    const offenders = FILES.filter(
      (f) =>
        !f.name.startsWith('cli/') &&
        !f.name.startsWith('app/') &&
        f.name !== 'index.ts' &&
        f.imports.some((i) => i.startsWith('app/')),
    ).map((f) => f.name);
    expect(offenders).to.deep.equal([]);
  });

  it('lib/app prints nothing and does not import lib/cli', () => {
    const app = FILES.filter((f) => f.name.startsWith('app/'));
    expect(app.length).to.be.greaterThan(5);
    for (const f of app) {
      expect(
        f.imports.filter((i) => i.startsWith('cli/')),
        f.name,
      ).to.deep.equal([]);
      const text = readFileSync(join(LIB, f.name), 'utf8');
      expect(text, f.name).not.to.match(/console\.|process\.(stdout|stderr)/);
    }
  });

  it('lib/cli/commands run migrations and TimescaleDB steps only through lib/app', () => {
    const commands = FILES.filter((f) => f.name.startsWith('cli/commands/'));
    for (const f of commands) {
      expect(
        f.imports.filter((i) => i.startsWith('runner/')),
        f.name,
      ).to.deep.equal([]);
    }
    const migrate = FILES.find((f) => f.name === 'cli/commands/migrate.ts');
    expect(migrate?.imports).to.include('app/migrate.ts');
  });

  it('lib/cli/commands hold no SQL', () => {
    const commands = FILES.filter((f) => f.name.startsWith('cli/commands/'));
    expect(commands.length).to.be.greaterThan(10);
    for (const f of commands) {
      const text = readFileSync(join(LIB, f.name), 'utf8');
      expect(text, f.name).not.to.match(/\b(SELECT|INSERT|CREATE TABLE|ALTER TABLE)\b/);
      expect(f.imports, f.name).not.to.include('runner/jobs.ts');
    }
  });
});

describe('the schema model boundaries', () => {
  /** The lib folders each folder may import besides itself. */
  const ALLOWED: Readonly<Record<string, readonly string[]>> = {
    schema: ['spec', 'sql', 'util', 'errors.ts'],
    catalog: ['schema', 'spec', 'sql', 'util', 'errors.ts'],
    pull: ['schema', 'spec', 'sql', 'util', 'errors.ts'],
  };
  const folderOf = (path: string): string => path.split('/')[0] as string;

  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`lib/${folder} imports only ${allowed.join(', ')}`, () => {
      const files = FILES.filter((f) => folderOf(f.name) === folder);
      expect(files.length, folder).to.be.greaterThan(2);
      for (const f of files) {
        const outside = f.imports.filter(
          (i) => folderOf(i) !== folder && !allowed.includes(folderOf(i)),
        );
        expect(outside, f.name).to.deep.equal([]);
      }
    });
  }
});
