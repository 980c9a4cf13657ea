/**
 * The README's Library program is real: it is compiled with `tsc --strict` together with the
 * row types `prism-migrate types` writes, in a project that imports the package by name,
 * and run on the embedded database, on PostgreSQL and on TimescaleDB.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../helpers/cli.js';
import { createServerDatabase, tempDir } from '../helpers/databases.js';
import { CURRENT_TSL, createNativeDatabase, describeNative } from '../helpers/timescale-servers.js';

const ROOT = resolve('.');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The first TypeScript block of the README's Library section. */
function libraryProgram(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block, 'the Library program').to.be.a('string');
  return block as string;
}

/** An application's folder: prism.yaml, its migration, its row types, the package installed. */
async function makeProject(): Promise<string> {
  const dir = tempDir('prism-readme-');
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'prism-migrate'));
  symlinkSync(join(ROOT, 'node_modules', 'pg'), join(dir, 'node_modules', 'pg'));
  for (const types of ['node', 'pg']) {
    symlinkSync(
      join(ROOT, 'node_modules', '@types', types),
      join(dir, 'node_modules', '@types', types),
    );
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUnusedLocals: true,
        skipLibCheck: true,
        types: ['node'],
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src/app.ts'],
    }),
  );
  copyFileSync(join(ROOT, 'spec', 'examples', 'datapoint.yaml'), join(dir, 'prism.yaml'));
  const env = { DATABASE_URL: undefined };
  const generated = await runCli(['generate', '--language', 'js'], { cwd: dir, env });
  expect(generated.code, generated.stderr).to.equal(0);
  const types = await runCli(['types', '--out', 'src/prism-types.ts'], { cwd: dir, env });
  expect(types.code, types.stderr).to.equal(0);
  writeFileSync(join(dir, 'src', 'app.ts'), libraryProgram());
  return dir;
}

function tsc(dir: string, config = 'tsconfig.json', ...args: string[]) {
  return spawnSync(process.execPath, [TSC, '-p', join(dir, config), ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
}

function runProgram(dir: string, databaseUrl: string | undefined) {
  const env = { ...process.env };
  delete env['DATABASE_URL'];
  if (databaseUrl !== undefined) env['DATABASE_URL'] = databaseUrl;
  return spawnSync(process.execPath, [join(dir, 'dist', 'app.js')], {
    cwd: dir,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

function expectItRan(result: ReturnType<typeof runProgram>): void {
  expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines.slice(0, 4)).to.deep.equal([
    'applied 1 migrations',
    'inserted 3 rows',
    's1 20.5 null',
    's1 21.0 {"on":1}',
  ]);
  expect(lines.slice(4).map((l) => l.replace(/ at .*/, ''))).to.deep.equal([
    'latest s1',
    'latest s2',
  ]);
  for (const l of lines.slice(4)) expect(l).to.match(/ at \d{4}-\d\d-\d\dT[\d:.]+Z$/);
}

describe("the README's Library program", function () {
  this.timeout(300_000);
  let dir: string;

  before(async () => {
    dir = await makeProject();
    const compiled = tsc(dir);
    expect(compiled.status, `${compiled.stdout}${compiled.stderr}`).to.equal(0);
  });

  it('is typed by the generated row types: misuse of a row fails to compile', () => {
    const wrong = libraryProgram()
      .replace('row.value.toFixed(1)', 'row.value.toUpperCase()')
      .replace("source: 's2', value: 7", "source: 's2', value: '7'")
      .replace('row.timestamp.toISOString()', 'row.timestamp.padStart(30)');
    writeFileSync(join(dir, 'src', 'wrong.ts'), wrong);
    writeFileSync(
      join(dir, 'tsconfig.wrong.json'),
      JSON.stringify({ extends: './tsconfig.json', include: ['src/wrong.ts'] }),
    );
    const alone = tsc(dir, 'tsconfig.wrong.json', '--noEmit');
    const output = `${alone.stdout}${alone.stderr}`;
    expect(alone.status, output).to.not.equal(0);
    expect(output).to.match(/Property 'toUpperCase' does not exist on type 'number'/);
    expect(output).to.match(/Type 'string' is not assignable to type 'number'/);
    expect(output).to.match(/Property 'padStart' does not exist on type 'Date'/);
    expect(output.match(/error TS/g)).to.have.length(3);
  });

  it('runs on the embedded database (no DATABASE_URL)', () => {
    expectItRan(runProgram(dir, undefined));
  });

  it('runs on PostgreSQL without TimescaleDB', async () => {
    const db = await createServerDatabase('prism_readme');
    try {
      expectItRan(runProgram(dir, db.url));
    } finally {
      await db.dispose();
    }
  });

  describeNative(CURRENT_TSL, 'runs', (server) => {
    it('with DATABASE_URL', async () => {
      const db = await createNativeDatabase(server);
      try {
        expectItRan(runProgram(dir, db.url));
      } finally {
        await db.dispose();
      }
    });
  });
});
