/**
 * The row types `prism-migrate types` writes say what the repository really returns: a
 * row of every field type, read back through a pool, matches its generated type field by
 * field.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { applyMigrations } from '../../lib/app/migrate.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { createRepositoryFor } from '../../lib/query/repository.js';
import { renderRowTypes } from '../../lib/query/row-types.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Model } from '../../lib/spec/types.js';
import { createServerDatabase, tempDir, type TestDatabase } from '../helpers/databases.js';

const { spec } = parseSpec(
  readFileSync(resolve('test/fixtures/specs/every-type.yaml'), 'utf8'),
  'every-type.yaml',
);
const model = spec.models.find((m) => m.name === 'Reading') as Model;

/** `field: type` of one generated interface. */
function declaredTypes(name: string): Map<string, string> {
  const text = renderRowTypes(spec);
  const body = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(text)?.[1];
  expect(body, name).to.be.a('string');
  return new Map(
    (body as string).split('\n').map((l) => {
      const [, field = '', type = ''] = /^ {2}(\w+)\??: (.*);$/.exec(l) ?? [];
      return [field, type];
    }),
  );
}

/** Whether `value` is of the TypeScript type `type` (as the generator spells types). */
function isOfType(value: unknown, type: string): boolean {
  return type.split(' | ').some((t) => {
    if (t === 'unknown') return true;
    if (t === 'null') return value === null;
    if (t === 'Date') return value instanceof Date;
    if (t === 'string' || t === 'number' || t === 'boolean') return typeof value === t;
    return JSON.stringify(value) === JSON.stringify(new Function(`return ${t};`)());
  });
}

describe('generated row types against what the repository returns', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let pool: pg.Pool;

  before(async () => {
    db = await createServerDatabase('prism_row_types');
    const migrationsDir = join(tempDir(), 'migrations');
    generateMigration({ spec, migrationsDir, language: 'js' });
    await applyMigrations({ databaseUrl: db.url, migrationsDir });
    pool = new pg.Pool({ connectionString: db.url });
  });

  after(async () => {
    await pool?.end();
    await db?.dispose();
  });

  it('every field of a full row and of a row of nulls and defaults has its declared type', async () => {
    const repo = await createRepositoryFor(pool, model);
    expect(repo.dialect).to.equal('postgres');
    await repo.insertMany([
      {
        taken_at: '2026-01-01T00:00:00Z',
        device: 'd1',
        note: 'n',
        level: "it's high",
        count: 3,
        total: 2n ** 62n,
        value: 1.5,
        price: 12.5,
        ok: false,
        day: '2026-01-01',
        at: '10:30',
        payload: { a: [1] },
      },
      { taken_at: new Date('2026-01-01T00:00:01Z'), device: 'd2', count: 0, value: 0, price: '1' },
    ]);
    const rows = await repo.getByTimeRange('2026-01-01', '2026-01-02');
    expect(rows).to.have.length(2);
    const declared = declaredTypes('ReadingRow');
    expect([...declared.keys()]).to.deep.equal(model.fields.map((f) => f.name));
    for (const row of rows) {
      expect(Object.keys(row)).to.deep.equal([...declared.keys()]);
      for (const [field, type] of declared) {
        expect(isOfType(row[field], type), `${field}: ${type}, got ${String(row[field])}`).to.equal(
          true,
        );
      }
    }
    const [full, sparse] = rows;
    expect(full).to.include({ total: String(2n ** 62n), price: '12.50', level: "it's high" });
    expect(full?.['day']).to.be.instanceOf(Date);
    expect(sparse).to.include({ total: null, day: null, level: 'low', ok: true });
  });

  it('the checker itself tells types apart', () => {
    expect(isOfType('1', 'number')).to.equal(false);
    expect(isOfType(null, 'string')).to.equal(false);
    expect(isOfType(null, 'string | null')).to.equal(true);
    expect(isOfType('x', "'low' | \"it's high\"")).to.equal(false);
    expect(isOfType("it's high", "'low' | \"it's high\"")).to.equal(true);
    expect(isOfType('2026-01-01', 'Date')).to.equal(false);
  });
});
