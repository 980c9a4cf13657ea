/**
 * A unique index referenced by a foreign key changes (INCLUDE, a name, an order; on a
 * model's list and a hypertable's time column): the migration drops the key first and adds
 * it again last, up, down and up again. And an explicit `(time DESC)` index is no drift,
 * on a plain table where TimescaleDB is missing as on a hypertable where it folds into
 * TimescaleDB's default index.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type pg from 'pg';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { detectDrift } from '../../lib/introspect/drift.js';
import { migrate } from '../../lib/runner/migrate.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { Spec } from '../../lib/spec/types.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { CURRENT_TSL, createNativeDatabase, describeNative } from '../helpers/timescale-servers.js';

const TIMEOUT = 240_000;

const deviceAndReading = (index: string) => `
models:
  - name: Device
    fields: [ { name: id, type: int, primary_key: true }, { name: serial, type: string, max_length: 20 } ]
    indexes: [ ${index} ]
  - name: Reading
    fields:
      - { name: time, type: datetime }
      - { name: serial, type: string, max_length: 20, references: Device.serial }
    timeseries: { time_column: time }
  - name: Minute
    fields: [ { name: time, type: datetime }, { name: total, type: float } ]
    timeseries:
      time_column: time
      indexes: [ { name: minute_time_key, columns: [time], unique: true${index.includes('include') ? ', include: [total]' : ''} } ]
  - name: Note
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: at, type: datetime, references: Minute.time }
`;

const STEPS = [
  '{ columns: [serial], unique: true }',
  '{ columns: [serial], unique: true, include: [id] }',
  '{ name: device_serial_key, columns: [serial DESC], unique: true }',
].map(deviceAndReading);

const specOf = (text: string): Spec => parseSpec(text, 'prism.yaml').spec;

async function drift(client: pg.Client, text: string): Promise<string[]> {
  const found = await detectDrift(client, specOf(text), await detectTimescale(client));
  return found.map((d) => `${d.table}: ${d.what}: ${d.expected} / ${d.actual}`);
}

async function keys(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ def: string }>(
    `SELECT conname || ' ' || pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE contype = 'f' AND conparentid = 0 AND connamespace = 'public'::regnamespace ORDER BY 1`,
  );
  return rows.map((r) => r.def);
}

const KEYS = [
  'note_at_fkey FOREIGN KEY (at) REFERENCES minute("time")',
  'reading_serial_fkey FOREIGN KEY (serial) REFERENCES device(serial)',
];

function referencedIndexTests(make: () => Promise<TestDatabase>): void {
  let db: TestDatabase;
  const dir = join(tempDir('prism-fk-index-'), 'migrations');
  before(async () => {
    db = await make();
    mkdirSync(dir, { recursive: true });
  });
  after(async () => db?.dispose());

  it('changes a referenced unique index with its keys dropped and re-added: up, down, up', async () => {
    let now = Date.UTC(2026, 0, 1);
    for (const text of STEPS) {
      const made = generateMigration({
        spec: specOf(text),
        migrationsDir: dir,
        now: new Date((now += 1000)),
      });
      expect(made.written).to.equal(true);
    }
    const run = (client: pg.Client, direction: 'up' | 'down', count?: number) =>
      migrate({ url: db.url, client, migrationsDir: dir, direction, count: count ?? Infinity });
    await withClient(db.url, async (client) => {
      await run(client, 'up');
      expect(await keys(client)).to.deep.equal(KEYS);
      expect(await drift(client, STEPS[2] as string)).to.deep.equal([]);
      for (const step of [1, 0]) {
        await run(client, 'down', 1);
        expect(await keys(client)).to.deep.equal(KEYS);
        expect(await drift(client, STEPS[step] as string)).to.deep.equal([]);
      }
      await run(client, 'up');
      expect(await keys(client)).to.deep.equal(KEYS);
      expect(await drift(client, STEPS[2] as string)).to.deep.equal([]);
    });
  }).timeout(TIMEOUT);
}

const timeDesc = (defaults: boolean) => `
models:
  - name: R
    fields: [ { name: time, type: datetime }, { name: d, type: int } ]
    timeseries: { time_column: time, create_default_indexes: ${defaults}, indexes: [ { columns: [time DESC] } ] }
`;

function timeDescTests(make: () => Promise<TestDatabase>): void {
  for (const defaults of [true, false]) {
    it(`an explicit (time DESC) index is no drift (create_default_indexes: ${defaults})`, async () => {
      const db = await make();
      try {
        const dir = join(tempDir('prism-time-desc-'), 'migrations');
        mkdirSync(dir, { recursive: true });
        const text = timeDesc(defaults);
        generateMigration({
          spec: specOf(text),
          migrationsDir: dir,
          now: new Date(Date.UTC(2026, 0, 1)),
        });
        await withClient(db.url, async (client) => {
          await migrate({ url: db.url, client, migrationsDir: dir, direction: 'up' });
          expect(await drift(client, text)).to.deep.equal([]);
          const { rows } = await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'r'`,
          );
          expect(rows[0]?.n).to.equal(1);
          const support = await detectTimescale(client);
          if (!support.installed) {
            // A plain table where TimescaleDB could be created: only the hypertable is missing.
            const before = await detectDrift(client, specOf(text), {
              ...support,
              availability: 'creatable',
            });
            expect(before.map((d) => `${d.kind} ${d.what}`)).to.deep.equal([
              'hypertable hypertable',
            ]);
          }
        });
      } finally {
        await db.dispose();
      }
    }).timeout(TIMEOUT);
  }
}

describe('a referenced unique index changing, on embedded TimescaleDB', function () {
  referencedIndexTests(createEmbeddedDatabase);
  timeDescTests(createEmbeddedDatabase);
});

describe('a referenced unique index changing, on the PostgreSQL server (auto: plain tables)', function () {
  referencedIndexTests(() => createServerDatabase());
  timeDescTests(() => createServerDatabase());
});

describeNative(CURRENT_TSL, 'a referenced unique index changing, in a new database', (server) => {
  referencedIndexTests(() => createNativeDatabase(server));
  timeDescTests(() => createNativeDatabase(server));
});
