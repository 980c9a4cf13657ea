/** Migration files load as `prism-migrate up` loads them: fresh each time, sharing our modules. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { importMigration } from '../../../lib/runner/loader.js';
import { UsageError } from '../../../lib/errors.js';
import { createHypertable } from '../../../lib/operations/pgm.js';

describe('runner/loader', () => {
  it('resolves prism-migrate and prism-migrate/operations to this copy, from any folder', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'prism-loader-')), '1_x.ts');
    writeFileSync(
      file,
      "import { UsageError } from 'prism-migrate';\nimport { createHypertable } from 'prism-migrate/operations';\nexport const found: [unknown, unknown] = [UsageError, createHypertable];\n",
    );
    const loaded = (await importMigration(file)) as { found: [unknown, unknown] };
    expect(loaded.found[0]).to.equal(UsageError);
    expect(loaded.found[1]).to.equal(createHypertable);
  });

  it('reads a file anew each time, so a changed file runs as it is now', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'prism-loader-')), '1_x.js');
    writeFileSync(file, 'export const version = 1;\n');
    expect(((await importMigration(file)) as { version: number }).version).to.equal(1);
    writeFileSync(file, 'export const version = 2;\n');
    expect(((await importMigration(file)) as { version: number }).version).to.equal(2);
  });
});
