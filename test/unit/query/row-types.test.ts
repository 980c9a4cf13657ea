/** Row types per model (`prism-migrate types`): a golden file (UPDATE_GOLDEN=1 rewrites it). */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { renderRowTypes } from '../../../lib/query/row-types.js';
import { parseSpec } from '../../../lib/spec/load.js';

const SPEC = resolve('test/fixtures/specs/every-type.yaml');
const GOLDEN = resolve('test/fixtures/golden/row-types.ts');

describe('row types of a spec', () => {
  const { spec } = parseSpec(readFileSync(SPEC, 'utf8'), 'every-type.yaml');

  it('match the golden file (checked by tsc with the other golden files)', () => {
    const text = renderRowTypes(spec, { specFile: 'every-type.yaml' });
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, text);
    expect(text).to.equal(readFileSync(GOLDEN, 'utf8'));
  });

  it('types each field as pg returns it and insertMany takes it', () => {
    const text = renderRowTypes(spec);
    const block = (name: string) =>
      new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(text)?.[1] ?? '';
    const row = block('ReadingRow');
    expect(row).to.contain('  total: string | null;');
    expect(row).to.contain('  price: string;');
    expect(row).to.contain('  taken_at: Date;');
    expect(row).to.contain('  day: Date | null;');
    expect(row).to.contain('  at: string | null;');
    expect(row).to.contain('  payload: unknown;');
    expect(row).to.contain(`  level: 'low' | "it's high";`);
    const insert = block('ReadingInsert');
    expect(insert).to.contain('  id?: string;');
    expect(insert).to.contain('  taken_at: Date | string;');
    expect(insert).to.contain('  total?: string | number | bigint | null;');
    expect(insert).to.contain('  ok?: boolean;');
    expect(insert).to.contain('  count: number;');
    expect(text).to.contain('  class: { row: classRow; insert: classInsert };');
    expect(text.startsWith('// Row types written by `prism-migrate types`;')).to.equal(true);
  });

  it('quotes enum values so that they read back as written', () => {
    const values = ['a"b', "c'd", 'e\\f', `g'h"i`, 'j\nk', "l''m\"n"];
    const { spec: one } = parseSpec(
      `models:\n  - name: M\n    fields:\n      - name: e\n        type: enum\n        values: ${JSON.stringify(values)}\n        primary_key: true\n`,
      'm.yaml',
    );
    const line = /  e: (.*);/.exec(renderRowTypes(one))?.[1] ?? '';
    const literals = line.split(' | ');
    expect(literals).to.have.length(values.length);
    expect(literals.map((l) => new Function(`return ${l};`)() as string)).to.deep.equal(values);
    expect(literals[0]).to.equal(`'a"b'`);
    expect(literals[1]).to.equal(`"c'd"`);
  });

  it('is deterministic and ends with one newline', () => {
    const text = renderRowTypes(spec);
    expect(renderRowTypes(spec)).to.equal(text);
    expect(text.endsWith('}\n')).to.equal(true);
    expect(text).to.not.contain('\n\n\n');
  });
});
