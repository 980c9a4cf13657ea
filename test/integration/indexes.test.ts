/**
 * Indexes as PostgreSQL has them, through generate → up → down → up on each database:
 * column orders, partial indexes, INCLUDE, hash/gin/brin, unique partial indexes on a
 * hypertable, an `indexes:` list on a plain table, and `create_default_indexes` switched
 * off and on. After every step the catalog reader gives the indexes the spec compiles to
 * (conditions compared through the grammar, whatever PostgreSQL prints), drift is empty
 * where TimescaleDB runs, and `pull` writes a spec that compiles to the same indexes and
 * the same default-index setting.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { readSchema } from '../../lib/catalog/read.js';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { detectDrift } from '../../lib/introspect/drift.js';
import { schemaToSpec } from '../../lib/pull/to-spec.js';
import { migrate } from '../../lib/runner/migrate.js';
import { compileSpec } from '../../lib/schema/compile.js';
import type { Table } from '../../lib/schema/types.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Spec } from '../../lib/spec/types.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { createNativeDatabase, describeEachNative } from '../helpers/timescale-servers.js';

const READING_FIELDS = [
  '      - { name: time, type: datetime }',
  '      - { name: entity_id, type: int }',
  '      - { name: status, type: string, max_length: 20 }',
  '      - { name: value, type: float, optional: true }',
  '      - { name: meta, type: json, optional: true }',
  '      - { name: active, type: boolean, default: true }',
];
const ACCOUNT = [
  '  - name: Account',
  '    fields:',
  '      - { name: id, type: int, primary_key: true }',
  '      - { name: email, type: text }',
  '      - { name: active, type: boolean }',
  '      - { name: kind, type: enum, values: [a, b, c] }',
];

const STEP1 = [
  'models:',
  '  - name: Reading',
  '    fields:',
  ...READING_FIELDS,
  '    timeseries:',
  '      time_column: time',
  '      create_default_indexes: false',
  '      indexes:',
  '        - { columns: [entity_id, time DESC], include: [value] }',
  `        - { columns: [entity_id, time], unique: true, where: "status <> 'deleted'", name: reading_live }`,
  '    indexes:',
  `        - { columns: [status], where: "status IN ('on', 'off') AND value IS NOT NULL" }`,
  '        - { columns: [value DESC NULLS LAST], where: "value > -1.5 AND entity_id <> 3000000000" }',
  '        - { columns: [meta], type: gin }',
  '        - { columns: [entity_id], type: hash, where: NOT active }',
  '        - { columns: [entity_id, time], type: brin, name: reading_brin }',
  ...ACCOUNT,
  '    indexes:',
  '      - { columns: [email], unique: true, where: active, name: account_active_email }',
  `      - { columns: [kind, email DESC], where: "kind IN ('a', 'b') OR email IS NULL", include: [active] }`,
  '',
].join('\n');

/** The default time index back on, conditions, orders and INCLUDE changed. */
const STEP2 = [
  'models:',
  '  - name: Reading',
  '    fields:',
  ...READING_FIELDS,
  '    timeseries:',
  '      time_column: time',
  '      indexes:',
  '        - { columns: [entity_id, time DESC] }',
  `        - { columns: [entity_id, time], unique: true, where: "status <> 'deleted'", name: reading_live }`,
  '    indexes:',
  `        - { columns: [status], where: "status = 'on' AND (value IS NOT NULL OR entity_id < 0)" }`,
  '        - { columns: [value DESC], where: "value > -1.5 AND entity_id <> 3000000000" }',
  '        - { columns: [meta], type: gin }',
  ...ACCOUNT,
  '    indexes:',
  '      - { columns: [email], unique: true, where: active = true, name: account_active_email }',
  `      - { columns: [kind, email DESC], where: "kind IN ('a', 'b') OR email IS NULL", include: [active] }`,
  '',
].join('\n');

const SPECS: Spec[] = [STEP1, STEP2].map((text) => parseSpec(text, 'prism.yaml').spec);
const TABLES = ['account', 'reading'];
const TIMEOUT = 240_000;

async function live(client: pg.Client): Promise<Table[]> {
  return [...(await readSchema(client, { tables: TABLES })).tables];
}

/** The indexes a table has, and whether TimescaleDB's default one is there. */
function indexState(tables: readonly Table[], withHypertable: boolean): unknown {
  return [...tables]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((t) => ({
      table: t.name,
      indexes: [...t.indexes].sort((a, b) => (a.name < b.name ? -1 : 1)),
      ...(withHypertable && t.hypertable
        ? { defaultIndex: t.hypertable.createDefaultIndexes !== false }
        : {}),
    }));
}

function expected(step: number, withHypertable: boolean): unknown {
  return indexState(compileSpec(SPECS[step] as Spec).tables, withHypertable);
}

function indexTests(make: () => Promise<TestDatabase>, timescale: boolean): void {
  let db: TestDatabase;
  const dir = join(tempDir(), 'migrations');

  before(async () => {
    db = await make();
  });
  after(async () => db?.dispose());

  async function check(client: pg.Client, step: number, label: string): Promise<void> {
    const tables = await live(client);
    expect(indexState(tables, timescale), label).to.deep.equal(expected(step, timescale));
    expect(
      tables.flatMap((t) => t.unsupported),
      label,
    ).to.deep.equal([]);
    // pull writes a spec that compiles to the indexes the database has.
    const pulled = schemaToSpec({ tables });
    expect(pulled.notes, `${label}: ${pulled.text}`).to.deep.equal([]);
    const again = compileSpec(parseSpec(pulled.text, 'prism.yaml').spec).tables;
    expect(indexState(again, timescale), `${label}: ${pulled.text}`).to.deep.equal(
      indexState(tables, timescale),
    );
    if (timescale) {
      const drift = await detectDrift(client, SPECS[step] as Spec, await detectTimescale(client));
      expect(
        drift.map((d) => `${d.table}: ${d.what} ${d.actual}`),
        label,
      ).to.deep.equal([]);
      // TimescaleDB's default index exists exactly when the spec has it on.
      const r = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'reading' AND indexdef LIKE '%USING btree ("time" DESC)'`,
      );
      expect(r.rows[0]?.n, `${label}: default index`).to.equal(step === 1 ? 1 : 0);
    }
  }

  it('generates a migration per step, and nothing more when the spec is unchanged', () => {
    let now = Date.UTC(2026, 0, 1);
    for (const spec of SPECS) {
      expect(
        generateMigration({ spec, migrationsDir: dir, now: new Date((now += 1000)) }).written,
      ).to.equal(true);
      expect(
        generateMigration({ spec, migrationsDir: dir, now: new Date((now += 1000)) }).written,
      ).to.equal(false);
    }
  });

  it('goes up, down and up again with the indexes of each step', async () => {
    await withClient(db.url, async (client) => {
      const step = (direction: 'up' | 'down') =>
        migrate({
          url: db.url,
          client,
          migrationsDir: dir,
          direction,
          count: 1,
          allowDataLoss: true,
        });
      await step('up');
      await client.query(
        `INSERT INTO reading ("time", entity_id, status, value) SELECT now() - (g || ' hours')::interval, g % 7, 'on', g FROM generate_series(1, 200) g`,
      );
      await check(client, 0, 'after up of step 1');
      await step('up');
      await check(client, 1, 'after up of step 2');
      await step('down');
      await check(client, 0, 'after down of step 2');
      await step('up');
      await check(client, 1, 'after up of step 2 again');
    });
  }).timeout(TIMEOUT);
}

describe('indexes on embedded TimescaleDB', function () {
  this.timeout(TIMEOUT);
  indexTests(createEmbeddedDatabase, true);
});

describe('indexes on the PostgreSQL server (auto: plain tables)', function () {
  this.timeout(TIMEOUT);
  indexTests(() => createServerDatabase(), false);
});

describeEachNative('indexes in a new database', (server) => {
  indexTests(() => createNativeDatabase(server), true);
});
