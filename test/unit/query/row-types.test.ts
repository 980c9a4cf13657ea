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
    const expectLines = (name: string, lines: readonly string[]) => {
      const body = block(name).split('\n');
      for (const l of lines) expect(body, name).to.include(`  ${l};`);
    };
    expectLines('ReadingRow', [
      'total: string | null',
      'price: string',
      'taken_at: Date',
      'day: Date | null',
      'at: string | null',
      'payload: unknown',
      `level: 'low' | "it's high"`,
    ]);
    expectLines('ReadingInsert', [
      'id?: string',
      'taken_at: Date | string',
      'total?: string | number | bigint | null',
      'ok?: boolean',
      'count: number',
    ]);
    expect(text).to.contain('  class: { row: classRow; insert: classInsert };');
    expect(text.startsWith('// Row types written by `prism-migrate types`;')).to.equal(true);
  });

  it('quotes enum values so that they read back as written', () => {
    const values = ['a"b', "c'd", 'e\\f', `g'h"i`, 'j\nk', "l''m\"n"];
    const { spec: one } = parseSpec(
      `models:\n  - name: M\n    fields:\n      - name: e\n        type: enum\n        values: ${JSON.stringify(values)}\n        primary_key: true\n`,
      'm.yaml',
    );
    const line = /^ {2}e: (.*);$/m.exec(renderRowTypes(one))?.[1] ?? '';
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
