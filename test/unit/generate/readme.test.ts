/** The README's generated-migration example is real output: regenerate it and compare. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { generateMigration } from '../../../lib/generate/generate.js';
import { parseSpec } from '../../../lib/spec/load.js';
import { tempDir } from '../../helpers/databases.js';

describe("the README's generate example", () => {
  it('matches what generate writes for the same two specs', () => {
    const readme = readFileSync(resolve('README.md'), 'utf8');
    const block = /The generated file:\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README block').to.be.a('string');
    const first = readFileSync(resolve('spec/examples/datapoint.yaml'), 'utf8');
    const second = first
      .replace(
        '        type: json\n        optional: true\n',
        '        type: json\n        optional: true\n      - name: quality\n        type: int\n        optional: true\n',
      )
      .replace('chunk_interval: 1 week', 'chunk_interval: 1 day')
      .replace('drop_after: 1 year', 'drop_after: 90 days');
    expect(second).to.not.equal(first);
    const dir = join(tempDir(), 'migrations');
    generateMigration({
      spec: parseSpec(first, 'prism.yaml').spec,
      migrationsDir: dir,
      now: new Date(1),
    });
    const result = generateMigration({
      spec: parseSpec(second, 'prism.yaml').spec,
      migrationsDir: dir,
      name: 'shorter-retention',
      now: new Date(2),
    });
    expect(result.written).to.equal(true);
    expect(readFileSync((result as { file: string }).file, 'utf8')).to.equal(block);
  });
});
