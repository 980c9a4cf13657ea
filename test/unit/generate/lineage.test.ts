/** Two branches that generated from the same snapshot are caught after the merge. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { generateMigration } from '../../../lib/generate/generate.js';
import { lineageProblems } from '../../../lib/generate/lineage.js';
import { snapshotPath } from '../../../lib/diff/snapshot.js';
import { parseSpec } from '../../../lib/spec/load.js';
import { tempDir } from '../../helpers/databases.js';

const spec = (extra: string) =>
  parseSpec(
    `models:\n  - name: M\n    fields:\n      - { name: id, type: int, primary_key: true }\n${extra}`,
    'prism.yaml',
  ).spec;

describe('lineageProblems', () => {
  it('is empty for one line of generated migrations', () => {
    const dir = join(tempDir(), 'migrations');
    generateMigration({ spec: spec(''), migrationsDir: dir, now: new Date(1000) });
    generateMigration({
      spec: spec('      - { name: a, type: text, optional: true }\n'),
      migrationsDir: dir,
      now: new Date(2000),
    });
    expect(lineageProblems(dir)).to.deep.equal([]);
  });

  it('names the sibling migration after two branches merged', () => {
    const dir = join(tempDir(), 'migrations');
    generateMigration({ spec: spec(''), migrationsDir: dir, now: new Date(1000) });
    const base = readFileSync(snapshotPath(dir), 'utf8');
    generateMigration({
      spec: spec('      - { name: a, type: text, optional: true }\n'),
      migrationsDir: dir,
      name: 'branch-a',
      now: new Date(2000),
    });
    writeFileSync(snapshotPath(dir), base); // the other branch still had the base snapshot
    generateMigration({
      spec: spec('      - { name: b, type: text, optional: true }\n'),
      migrationsDir: dir,
      name: 'branch-b',
      now: new Date(3000),
    });
    const problems = lineageProblems(dir);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(
      /generated from the same snapshot as 3000_branch-b .*: 2000_branch-a;/,
    );
  });

  it('says when the snapshot is missing or names a file that is gone', () => {
    const dir = join(tempDir(), 'migrations');
    generateMigration({ spec: spec(''), migrationsDir: dir, now: new Date(1000) });
    const snap = JSON.parse(readFileSync(snapshotPath(dir), 'utf8')) as Record<string, unknown>;
    writeFileSync(snapshotPath(dir), JSON.stringify({ ...snap, migration: '999_gone' }));
    expect(lineageProblems(dir)[0]).to.match(/snapshot belongs to 999_gone/);
  });
});
