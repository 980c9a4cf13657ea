/**
 * Models in the schema `telemetry` on real databases: a plain `device` and a hypertable
 * `conditions` (compression, retention, indexes, a foreign key to `device`) there, and a
 * public `device` of the same name referencing the telemetry one. Up, down and up again;
 * no drift after each up; a second migration changes the hypertable there and back;
 * timescale-info and the data-loss preview find the tables in their schema; pull writes
 * `schema:` and the pulled file matches the database.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { readSchema } from '../../lib/catalog/read.js';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { assessDataLoss } from '../../lib/introspect/data-loss.js';
import { detectDrift } from '../../lib/introspect/drift.js';
import { timescaleInfo } from '../../lib/introspect/info.js';
import { schemaToSpec } from '../../lib/pull/to-spec.js';
import { migrate } from '../../lib/runner/migrate.js';
import { compareSchemas } from '../../lib/schema/compare.js';
import { compileSpec } from '../../lib/schema/compile.js';
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

const FIRST = `
models:
  - name: Device
    schema: telemetry
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: kind, type: enum, values: [indoor, outdoor] }
  - name: Conditions
    schema: telemetry
    fields:
      - { name: time, type: datetime }
      - { name: device_id, type: int, references: Device.id, on_delete: cascade }
      - { name: temperature, type: double, optional: true }
    indexes:
      - { columns: [device_id, time DESC] }
    timeseries:
      time_column: time
      chunk_interval: 1 day
      compression: { segment_by: [device_id], after: 7 days }
      retention: { drop_after: 90 days }
  - name: Owner
    table: device
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: device_id, type: int, unique: true, references: Device.id }
`;

const SECOND = FIRST.replace(
  '      - { name: temperature, type: double, optional: true }\n',
  '      - { name: temperature, type: double, optional: true }\n      - { name: humidity, type: double, optional: true, index: true }\n',
).replace('after: 7 days', 'after: 3 days');

const TIMEOUT = 240_000;
const specOf = (text: string): Spec => parseSpec(text, 'prism.yaml').spec;

async function tables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ t: string }>(
    `SELECT n.nspname || '.' || c.relname AS t FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname IN ('public', 'telemetry')
        AND c.relname IN ('device', 'conditions') ORDER BY 1`,
  );
  return rows.map((r) => r.t);
}

async function drift(client: pg.Client, text: string): Promise<string[]> {
  const found = await detectDrift(client, specOf(text), await detectTimescale(client));
  return found.map((d) => `${d.table}: ${d.what}: ${d.expected} / ${d.actual}`);
}

function schemaTests(make: () => Promise<TestDatabase>): void {
  let db: TestDatabase;
  const dir = join(tempDir('prism-schemas-'), 'migrations');
  let now = Date.UTC(2026, 0, 1);
  const generate = (text: string) =>
    generateMigration({ spec: specOf(text), migrationsDir: dir, now: new Date((now += 1000)) });
  const run = (client: pg.Client, direction: 'up' | 'down', count?: number) =>
    migrate({
      url: db.url,
      client,
      migrationsDir: dir,
      direction,
      ...(count === undefined ? {} : { count }),
      allowDataLoss: true,
    });
  const ALL = ['public.device', 'telemetry.conditions', 'telemetry.device'];

  before(async () => {
    db = await make();
    mkdirSync(dir, { recursive: true });
  });
  after(async () => db?.dispose());

  it('up, down, up: the tables in their schemas, no drift, the schema kept by down', async () => {
    expect(generate(FIRST).written).to.equal(true);
    await withClient(db.url, async (client) => {
      await run(client, 'up');
      expect(await tables(client)).to.deep.equal(ALL);
      expect(await drift(client, FIRST)).to.deep.equal([]);
      await run(client, 'down');
      expect(await tables(client)).to.deep.equal([]);
      const kept = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'telemetry'`);
      expect(kept.rowCount).to.equal(1);
      await run(client, 'up');
      expect(await tables(client)).to.deep.equal(ALL);
      expect(await drift(client, FIRST)).to.deep.equal([]);
      const support = await detectTimescale(client);
      if (support.installed) {
        const h = await client.query<{ s: string; t: string }>(
          `SELECT hypertable_schema AS s, hypertable_name AS t FROM timescaledb_information.hypertables`,
        );
        expect(h.rows).to.deep.equal([{ s: 'telemetry', t: 'conditions' }]);
      }
      // The keys: telemetry.conditions -> telemetry.device, public.device -> telemetry.device.
      await client.query(`INSERT INTO telemetry.device VALUES (1, 'indoor')`);
      await client.query(`INSERT INTO public.device VALUES (7, 1)`);
      await client.query(
        `INSERT INTO telemetry.conditions (time, device_id, temperature)
         SELECT now() - g * interval '1 hour', 1, g FROM generate_series(1, 10) g`,
      );
      const refused = await client
        .query(`INSERT INTO telemetry.conditions (time, device_id) VALUES (now(), 9)`)
        .then(
          () => undefined,
          (e: Error) => e.message,
        );
      expect(refused).to.match(/violates foreign key constraint/);
    });
  }).timeout(TIMEOUT);

  it('timescale-info and the data-loss preview read the telemetry tables', async () => {
    await withClient(db.url, async (client) => {
      const info = await timescaleInfo(client, specOf(FIRST));
      if (info.timescale.installed) {
        expect(info.hypertables.map((h) => [h.schema, h.table, h.model])).to.deep.equal([
          ['telemetry', 'conditions', 'Conditions'],
        ]);
      }
      const losses = await assessDataLoss(client, [
        { code: 'PM101', direction: 'down', table: 'telemetry.conditions', message: '' },
        { code: 'PM101', direction: 'down', table: 'device', message: '' },
      ]);
      expect(losses.map((l) => l.rows)).to.deep.equal([10, 1]);
    });
  }).timeout(TIMEOUT);

  it('a second migration changes the hypertable in its schema, down and up again', async () => {
    expect(generate(SECOND).written).to.equal(true);
    await withClient(db.url, async (client) => {
      await run(client, 'up');
      expect(await drift(client, SECOND)).to.deep.equal([]);
      await run(client, 'down', 1);
      expect(await drift(client, FIRST)).to.deep.equal([]);
      await run(client, 'up');
      expect(await drift(client, SECOND)).to.deep.equal([]);
      const n = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM telemetry.conditions',
      );
      expect(n.rows[0]?.n).to.equal(10);
    });
  }).timeout(TIMEOUT);

  it('pull writes schema: telemetry, and the pulled file matches the database', async () => {
    await withClient(db.url, async (client) => {
      const live = await readSchema(client, { schemas: ['telemetry', 'public'] });
      const own = {
        tables: live.tables.filter((t) => t.name === 'device' || t.name === 'conditions'),
      };
      const pulled = schemaToSpec(own);
      expect(pulled.text).to.include('schema: telemetry');
      const spec = specOf(pulled.text);
      expect(spec.models.map((m) => [m.schema ?? 'public', m.table]).sort()).to.deep.equal([
        ['public', 'device'],
        ['telemetry', 'conditions'],
        ['telemetry', 'device'],
      ]);
      const support = await detectTimescale(client);
      if (support.installed)
        expect(compareSchemas(own, compileSpec(spec)).map((d) => d.change)).to.deep.equal([]);
      // The foreign keys point at the same qualified tables.
      const keys = (s: Spec) =>
        compileSpec(s)
          .tables.map((t) => [t.schema, t.name, t.foreignKeys ?? []])
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(keys(spec)).to.deep.equal(keys(specOf(SECOND)));
    });
  }).timeout(TIMEOUT);
}

describe('schema: on embedded TimescaleDB', function () {
  this.timeout(TIMEOUT);
  schemaTests(createEmbeddedDatabase);
});

describe('schema: on the PostgreSQL server (auto: plain tables)', function () {
  this.timeout(TIMEOUT);
  schemaTests(createServerDatabase);
});

describeEachNative('schema: in a new database', (server) =>
  schemaTests(() => createNativeDatabase(server)),
);
