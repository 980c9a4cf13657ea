/** `types` (generateRowTypes and the command): the file written whole, or nothing. */
import { checkCliOutput } from '../../helpers/json-schema.js';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { generateRowTypes } from '../../../lib/app/types.js';
import { SpecError, UsageError } from '../../../lib/errors.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/databases.js';

const SPEC = resolve('spec/examples/datapoint.yaml');

describe('prism-migrate types', () => {
  it('returns the types, and writes them into a new folder with --out', async () => {
    const printed = await generateRowTypes({ specFile: SPEC });
    expect(printed.file).to.equal(null);
    expect(printed.models).to.deep.equal(['DataPoint']);
    expect(printed.text).to.contain('export interface DataPointRow {');
    expect(printed.text.split('\n')[0]).to.contain('from datapoint.yaml');
    const out = join(tempDir(), 'src', 'generated', 'prism-types.ts');
    const written = await generateRowTypes({ specFile: SPEC, out });
    expect(written.file).to.equal(out);
    expect(readFileSync(out, 'utf8')).to.equal(printed.text);
    expect(readdirSync(join(out, '..'))).to.deep.equal(['prism-types.ts']);
  });

  it('refuses a file that is not TypeScript, and a bad spec, leaving the old file', async () => {
    const dir = tempDir();
    const out = join(dir, 'types.ts');
    writeFileSync(out, 'old');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'models:\n  - name: 1x\n');
    let error: unknown;
    await generateRowTypes({ specFile: bad, out }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(SpecError);
    error = undefined;
    await generateRowTypes({ specFile: SPEC, out: join(dir, 'types.js') }).catch(
      (e: unknown) => (error = e),
    );
    expect(error).to.be.instanceOf(UsageError);
    expect(readFileSync(out, 'utf8')).to.equal('old');
    expect(existsSync(join(dir, 'types.js'))).to.equal(false);
    expect(readdirSync(dir).sort()).to.deep.equal(['bad.yaml', 'types.ts']);
  });

  it('prints them, or the file written; --json gives both', async () => {
    const dir = tempDir();
    const printed = await runCli(['--spec', SPEC, 'types'], { cwd: dir });
    expect(printed.code, printed.stderr).to.equal(0);
    expect(printed.stdout).to.equal((await generateRowTypes({ specFile: SPEC })).text);
    const written = await runCli(['--spec', SPEC, '--json', 'types', '--out', 'rows.ts'], {
      cwd: dir,
    });
    expect(written.code, written.stderr).to.equal(0);
    expect(checkCliOutput('types', written.stdout)).to.deep.equal([]);
    const result = JSON.parse(written.stdout) as { file: string; models: string[]; text: string };
    expect(result.file).to.equal(join(dir, 'rows.ts'));
    expect(result.models).to.deep.equal(['DataPoint']);
    expect(readFileSync(join(dir, 'rows.ts'), 'utf8')).to.equal(result.text);
    const refused = await runCli(['--spec', SPEC, 'types', '--out', 'rows.js'], { cwd: dir });
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain('row types are TypeScript');
  });
});
