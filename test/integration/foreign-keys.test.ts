/**
 * Foreign keys on real databases: a plain `device` referenced by the hypertable `reading`
 * (with compression), then a hypertable `minute` referenced by a plain `annotation`. Each
 * goes up, down and up again; the live schema matches the spec (no drift) after every up,
 * the keys hold rows to their rules, and `pull` writes the references back. A key to a
 * hypertable needs TimescaleDB 2.16: older servers refuse the migration with a clear error
 * and nothing changes.
 */
import { mkdirSync } from 'node:fs';
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
import { parseSpec } from '../../lib/spec/load.js';
import type { Spec } from '../../lib/spec/types.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  describeEachNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const DEVICE_AND_READING = `
models:
  - name: Device
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: label, type: text }
      - { name: parent_id, type: int, optional: true, references: Device.id, on_delete: set null }
  - name: Reading
    fields:
      - { name: time, type: datetime }
      - { name: device_id, type: int, references: Device.id, on_delete: cascade }
      - { name: value, type: float }
    timeseries:
      time_column: time
      compression: { segment_by: [device_id], after: 7 days }
`;

const WITH_MINUTE = `${DEVICE_AND_READING}
  - name: Minute
    fields:
      - { name: time, type: datetime, primary_key: true }
      - { name: total, type: float }
    timeseries: { time_column: time }
  - name: Annotation
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: minute, type: datetime, references: Minute.time, on_delete: restrict }
      - { name: note, type: text }
`;

const TABLES = ['device', 'reading', 'minute', 'annotation'];
const TIMEOUT = 240_000;

const specOf = (text: string): Spec => parseSpec(text, 'prism.yaml').spec;

async function tablesPresent(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
       AND c.relname = ANY ($1) ORDER BY c.relname`,
    [TABLES],
  );
  return rows.map((r) => r.relname);
}

async function foreignKeysPresent(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ def: string }>(
    `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS def
       FROM pg_constraint WHERE contype = 'f' AND conparentid = 0
        AND connamespace = 'public'::regnamespace ORDER BY 1`,
  );
  return rows.map((r) => r.def);
}

async function drift(client: pg.Client, text: string): Promise<string[]> {
  const found = await detectDrift(client, specOf(text), await detectTimescale(client));
  return found.map((d) => `${d.table}: ${d.what}: ${d.expected} / ${d.actual}`);
}

async function errorOf(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** Whether the server's TimescaleDB (if any) takes foreign keys to hypertables. */
function supportsKeysToHypertables(native: NativeServer | undefined): boolean {
  if (native === undefined) return true;
  const [major = 0, minor = 0] = native.version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 16);
}

const DEVICE_KEYS = [
  'device device_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES device(id) ON DELETE SET NULL',
  'reading reading_device_id_fkey FOREIGN KEY (device_id) REFERENCES device(id) ON DELETE CASCADE',
];

function foreignKeyTests(make: () => Promise<TestDatabase>, native?: NativeServer): void {
  let db: TestDatabase;
  const dir = join(tempDir('prism-fk-'), 'migrations');
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

  before(async () => {
    db = await make();
    mkdirSync(dir, { recursive: true });
  });
  after(async () => db?.dispose());

  it('a hypertable referencing a plain table: up, down, up, with no drift and the keys enforced', async () => {
    expect(generate(DEVICE_AND_READING).written).to.equal(true);
    await withClient(db.url, async (client) => {
      await run(client, 'up');
      expect(await foreignKeysPresent(client)).to.deep.equal(DEVICE_KEYS);
      expect(await drift(client, DEVICE_AND_READING)).to.deep.equal([]);
      await run(client, 'down');
      expect(await tablesPresent(client)).to.deep.equal([]);
      await run(client, 'up');
      expect(await foreignKeysPresent(client)).to.deep.equal(DEVICE_KEYS);
      expect(await drift(client, DEVICE_AND_READING)).to.deep.equal([]);

      await client.query(`INSERT INTO device (id, label) VALUES (1, 'a'), (2, 'b')`);
      await client.query(`UPDATE device SET parent_id = 1 WHERE id = 2`);
      await client.query(
        `INSERT INTO reading (time, device_id, value)
         SELECT now() - g * interval '1 day', 1 + g % 2, g FROM generate_series(1, 20) g`,
      );
      const unknown = await errorOf(() =>
        client.query(`INSERT INTO reading (time, device_id, value) VALUES (now(), 9, 0)`),
      );
      expect(unknown.message).to.match(/violates foreign key constraint/);
      await client.query(`DELETE FROM device WHERE id = 1`);
      const left = await client.query<{ n: number; parent: number | null }>(
        `SELECT (SELECT count(*)::int FROM reading) AS n, (SELECT parent_id FROM device WHERE id = 2) AS parent`,
      );
      expect(left.rows[0]).to.deep.equal({ n: 10, parent: null });
    });
  }).timeout(TIMEOUT);

  it('pull writes the references back, and the pulled file compiles to the same keys', async () => {
    await withClient(db.url, async (client) => {
      const live = await readSchema(client, { tables: ['device', 'reading'] });
      const pulled = schemaToSpec(live);
      expect(pulled.text).to.include('references: Device.id');
      expect(pulled.text).to.include('on_delete: cascade');
      expect(pulled.text).to.include('on_delete: set null');
      const keys = (spec: Spec) =>
        compileSpec(spec).tables.map((t) => [t.name, t.foreignKeys ?? []]);
      expect(keys(specOf(pulled.text))).to.deep.equal(keys(specOf(DEVICE_AND_READING)));
    });
  }).timeout(TIMEOUT);

  if (supportsKeysToHypertables(native)) {
    it('a plain table referencing a hypertable: up, down, up, with no drift', async () => {
      expect(generate(WITH_MINUTE).written).to.equal(true);
      await withClient(db.url, async (client) => {
        await run(client, 'up');
        expect(await drift(client, WITH_MINUTE)).to.deep.equal([]);
        await client.query(`INSERT INTO minute VALUES ('2026-01-01 00:00+00', 1)`);
        await client.query(`INSERT INTO annotation VALUES (1, '2026-01-01 00:00+00', 'x')`);
        const held = await errorOf(() => client.query(`DELETE FROM minute`));
        expect(held.message).to.match(/violates foreign key constraint/);
        await client.query(`DELETE FROM annotation`);
        await run(client, 'down', 1);
        expect(await tablesPresent(client)).to.deep.equal(['device', 'reading']);
        expect(await drift(client, DEVICE_AND_READING)).to.deep.equal([]);
        await run(client, 'up');
        expect(await drift(client, WITH_MINUTE)).to.deep.equal([]);
        expect(await foreignKeysPresent(client)).to.deep.equal([
          'annotation annotation_minute_fkey FOREIGN KEY (minute) REFERENCES minute("time") ON DELETE RESTRICT',
          ...DEVICE_KEYS,
        ]);
        // Down all the way: every table goes, in an order the keys allow.
        await run(client, 'down', Infinity);
        expect(await tablesPresent(client)).to.deep.equal([]);
      });
    }).timeout(TIMEOUT);
  } else {
    it('a plain table referencing a hypertable: refused with a clear error, nothing changed', async () => {
      expect(generate(WITH_MINUTE).written).to.equal(true);
      await withClient(db.url, async (client) => {
        const refused = await errorOf(() => run(client, 'up'));
        expect(refused.message).to.include(
          `foreign key annotation_minute_fkey of annotation references minute, a hypertable: TimescaleDB ${native?.version ?? ''} supports foreign keys to hypertables from 2.16 on`,
        );
        expect(await tablesPresent(client)).to.deep.equal(['device', 'reading']);
        expect(await drift(client, DEVICE_AND_READING)).to.deep.equal([]);
      });
    }).timeout(TIMEOUT);
  }
}

const RENAMED = DEVICE_AND_READING.replace(
  '  - name: Device\n',
  '  - name: Gadget\n    renamed_from: Device\n',
)
  .replace('  - name: Reading\n', '  - name: Readings\n    renamed_from: Reading\n')
  .replaceAll('references: Device.id', 'references: Gadget.id');

/** Renamed models keep their keys, renamed with the tables, up and down. */
function renameTests(make: () => Promise<TestDatabase>): void {
  let db: TestDatabase;
  const dir = join(tempDir('prism-fk-rename-'), 'migrations');
  before(async () => {
    db = await make();
    mkdirSync(dir, { recursive: true });
  });
  after(async () => db?.dispose());

  it('renaming the referenced and the referencing model keeps and renames the keys', async () => {
    let now = Date.UTC(2026, 0, 1);
    for (const text of [DEVICE_AND_READING, RENAMED]) {
      const made = generateMigration({
        spec: specOf(text),
        migrationsDir: dir,
        now: new Date((now += 1000)),
      });
      expect(made.written).to.equal(true);
    }
    const run = (client: pg.Client, direction: 'up' | 'down', count?: number) =>
      migrate({
        url: db.url,
        client,
        migrationsDir: dir,
        direction,
        ...(count === undefined ? {} : { count }),
      });
    const renamedKeys = [
      'gadget gadget_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES gadget(id) ON DELETE SET NULL',
      'readings readings_device_id_fkey FOREIGN KEY (device_id) REFERENCES gadget(id) ON DELETE CASCADE',
    ];
    await withClient(db.url, async (client) => {
      await run(client, 'up');
      expect(await foreignKeysPresent(client)).to.deep.equal(renamedKeys);
      expect(await drift(client, RENAMED)).to.deep.equal([]);
      await run(client, 'down', 1);
      expect(await foreignKeysPresent(client)).to.deep.equal(DEVICE_KEYS);
      expect(await drift(client, DEVICE_AND_READING)).to.deep.equal([]);
      await run(client, 'up');
      expect(await foreignKeysPresent(client)).to.deep.equal(renamedKeys);
      expect(await drift(client, RENAMED)).to.deep.equal([]);
    });
  }).timeout(TIMEOUT);
}

describe('foreign keys on embedded TimescaleDB', function () {
  this.timeout(TIMEOUT);
  foreignKeyTests(createEmbeddedDatabase);
});

describe('foreign keys on the PostgreSQL server (auto: plain tables)', function () {
  this.timeout(TIMEOUT);
  foreignKeyTests(createServerDatabase);
});

describeEachNative('foreign keys in a new database', (server) =>
  foreignKeyTests(() => createNativeDatabase(server), server),
);

describe('renamed models with foreign keys on embedded TimescaleDB', function () {
  this.timeout(TIMEOUT);
  renameTests(createEmbeddedDatabase);
});

describe('renamed models with foreign keys on the PostgreSQL server', function () {
  this.timeout(TIMEOUT);
  renameTests(createServerDatabase);
});

describeEachNative('renamed models with foreign keys in a new database', (server) =>
  renameTests(() => createNativeDatabase(server)),
);
