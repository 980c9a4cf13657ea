/**
 * Property: for random spec pairs (A, B), the migration generated from A to B, applied
 * up and then down, gives back exactly A's catalog, with A's rows. On the native
 * TimescaleDB server (a new database where the first `up` creates the extension) the live
 * schema also matches B after up and A after down.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import type pg from 'pg';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { detectDrift } from '../../lib/introspect/drift.js';
import { parseSpec } from '../../lib/spec/load.js';
import { specForEnvironment } from '../../lib/spec/environments.js';
import { migrate } from '../../lib/runner/migrate.js';
import { snapshotCatalog } from '../helpers/catalog.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  resetAfterRun,
  tempDir,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type NativeServer,
} from '../helpers/timescale-servers.js';

const TABLES = ['metric', 'thing'];
/** Thing is in `inventory` in some runs. */
const SCHEMAS = ['public', 'inventory'];

/** Optional columns whose type changes between specs, among types with casts between them. */
const TYPE_SLOTS = {
  reading: ['int', 'smallint', 'bigint', 'real', 'double', 'float', 'decimal'],
  stamp: ['datetime', 'timestamp'],
  addr: ['inet', 'text', 'cidr'], // cidr: through sql_type
  list: ['int[]', 'bigint[]', 'text[]'],
  blob: ['bytea', 'text'],
} as const;

const slot = (types: readonly string[]) => fc.constantFrom(undefined, ...types);

/** A slot's field: `x[]` is an array field, cidr a sql_type. */
function slotField(name: string, type: string | undefined): unknown[] {
  if (type === undefined) return [];
  if (type === 'cidr') return [{ name, sql_type: 'cidr', optional: true }];
  const array = type.endsWith('[]');
  return [{ name, type: type.replace('[]', ''), optional: true, ...(array ? { array } : {}) }];
}

const metricModel = fc.record({
  reading: slot(TYPE_SLOTS.reading),
  stamp: slot(TYPE_SLOTS.stamp),
  addr: slot(TYPE_SLOTS.addr),
  list: slot(TYPE_SLOTS.list),
  blob: slot(TYPE_SLOTS.blob),
  note: fc.boolean(),
  valueOptional: fc.boolean(),
  deviceLength: fc.constantFrom(50, 80),
  // A foreign key to Thing (when there is one), by its on_delete.
  thingRef: fc.option(fc.constantFrom('no action', 'cascade', 'set null'), { nil: undefined }),
  timeseries: fc.option(
    fc.record({
      chunk: fc.constantFrom('1 day', '12 hours', '7 days', undefined),
      compression: fc.option(
        fc.record({
          enabled: fc.boolean(),
          after: fc.constantFrom('7 days', '30 days', undefined),
          segment: fc.boolean(),
          merge: fc.boolean(),
          sparse: fc.boolean(),
        }),
        { nil: undefined },
      ),
      retention: fc.option(fc.constantFrom('90 days', '1 year'), { nil: undefined }),
      index: fc.constantFrom(undefined, 'plain', 'desc', 'partial', 'include', 'time'),
      defaultIndexes: fc.boolean(),
      // Values of the environment the migrations run in (`environments: { dev: … }`).
      devChunk: fc.constantFrom(undefined, '6 hours', '1 day'),
      devRetention: fc.constantFrom(undefined, '30 days'),
      partitions: fc.constantFrom(undefined, 2, 3),
      // `index` reorders by the (device, ts) index, when the model has it.
      reorder: fc.constantFrom(undefined, 'time', 'index'),
    }),
    { nil: undefined },
  ),
  index: fc.constantFrom(undefined, 'hash', 'brin'),
});

const thingModel = fc.record({
  size: fc.boolean(),
  index: fc.constantFrom(undefined, 'unique-partial', 'nulls'),
});

const specArbitrary = fc.record({
  metric: fc.option(metricModel, { nil: undefined }),
  thing: fc.option(thingModel, { nil: undefined }),
});

/** A timeseries index of `metric`, by the name the arbitrary gives it. */
const METRIC_INDEXES: Record<string, unknown> = {
  plain: { columns: ['device', 'ts'] },
  desc: { columns: ['device', 'ts DESC'] },
  partial: { columns: ['device', 'ts DESC'], where: "device <> 'x' AND value > 0" },
  include: { columns: ['device', 'ts DESC'], include: ['value'] },
  // The time column alone: TimescaleDB then makes no default index of its own.
  time: { columns: ['ts'] },
};
const MODEL_INDEXES: Record<string, unknown> = {
  hash: { columns: ['device'], type: 'hash', where: 'value IS NOT NULL' },
  brin: { columns: ['value', 'ts'], type: 'brin' },
  'unique-partial': { columns: ['name'], unique: true, where: "name <> ''" },
  nulls: { columns: ['name DESC NULLS LAST'], include: ['id'] },
};
type SpecShape = typeof specArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** prism.yaml as JSON (a subset of YAML), so it goes through the real loader. */
/**
 * `thingSchema`: the schema of Thing in both specs of a pair (a table does not move
 * between schemas), so that some runs keep a model and the key to it outside public.
 */
function toYaml(shape: SpecShape, thingSchema?: string): string {
  const models: unknown[] = [];
  const environments: Record<string, unknown> = {};
  const m = shape.metric;
  if (m) {
    const fields: unknown[] = [
      { name: 'ts', type: 'datetime' },
      { name: 'device', type: 'string', max_length: m.deviceLength },
      { name: 'value', type: 'float', optional: m.valueOptional },
    ];
    fields.push(
      ...slotField('reading', m.reading),
      ...slotField('stamp', m.stamp),
      ...slotField('addr', m.addr),
      ...slotField('list', m.list),
      ...slotField('blob', m.blob),
    );
    if (m.note) fields.push({ name: 'note', type: 'text', optional: true });
    if (m.thingRef && shape.thing !== undefined) {
      fields.push({
        name: 'thing_id',
        type: 'int',
        optional: true,
        references: 'Thing.id',
        on_delete: m.thingRef,
      });
    }
    const t = m.timeseries;
    const timeseries = t && {
      time_column: 'ts',
      ...(t.chunk ? { chunk_interval: t.chunk } : {}),
      ...(t.compression
        ? {
            compression: {
              enabled: t.compression.enabled,
              ...(t.compression.after ? { after: t.compression.after } : {}),
              segment_by: t.compression.segment ? ['device'] : [],
              order_by: ['ts DESC'],
              // 14 days: a whole number of chunks for every chunk interval above.
              ...(t.compression.merge ? { chunk_interval: '14 days' } : {}),
              ...(t.compression.sparse
                ? { sparse_indexes: [{ column: 'value', type: 'minmax' }] }
                : {}),
            },
          }
        : {}),
      ...(t.retention ? { retention: { drop_after: t.retention } } : {}),
      ...(t.index ? { indexes: [METRIC_INDEXES[t.index]] } : {}),
      ...(t.defaultIndexes ? {} : { create_default_indexes: false }),
      ...(t.partitions ? { partitioning: { column: 'device', partitions: t.partitions } } : {}),
      // By the time column's index: TimescaleDB's default one, or the spec's own.
      ...(t.reorder === 'time' && (t.defaultIndexes || t.index === 'time')
        ? { reorder: { index: ['ts DESC'] } }
        : {}),
      // A partial index cannot order a table (PostgreSQL's CLUSTER refuses it).
      ...(t.reorder === 'index' && t.index && !['time', 'partial'].includes(t.index)
        ? { reorder: { index: ['device', 'ts'] } }
        : {}),
    };
    models.push({
      name: 'Metric',
      fields,
      ...(timeseries ? { timeseries } : {}),
      ...(m.index ? { indexes: [MODEL_INDEXES[m.index]] } : {}),
    });
    const dev = {
      ...(t?.devChunk ? { chunk_interval: t.devChunk } : {}),
      ...(t?.retention && t.devRetention ? { retention: { drop_after: t.devRetention } } : {}),
    };
    if (Object.keys(dev).length > 0) environments['dev'] = { Metric: dev };
  }
  if (shape.thing !== undefined) {
    const fields: unknown[] = [
      { name: 'id', type: 'int', primary_key: true },
      { name: 'name', type: 'text' },
    ];
    if (shape.thing.size)
      fields.push({ name: 'size', type: 'decimal', precision: 8, scale: 2, optional: true });
    const index = shape.thing.index;
    models.push({
      name: 'Thing',
      ...(thingSchema === undefined ? {} : { schema: thingSchema }),
      fields,
      ...(index ? { indexes: [MODEL_INDEXES[index]] } : {}),
    });
  }
  return JSON.stringify({ models, environments });
}

const TIMEOUT = 600_000;
/** Every run applies the migrations in this environment. */
const ENVIRONMENT = 'dev';

/** The live schema against a spec shape. */
async function driftFrom(client: pg.Client, shape: SpecShape, thingSchema?: string) {
  const { spec } = parseSpec(toYaml(shape, thingSchema), 'prism.yaml');
  return detectDrift(client, specForEnvironment(spec, ENVIRONMENT), await detectTimescale(client));
}

async function extensionVersion(url: string): Promise<string | undefined> {
  return withClient(
    url,
    async (c) =>
      (
        await c.query<{ extversion: string }>(
          `SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`,
        )
      ).rows[0]?.extversion,
  );
}

/**
 * The property on a database made by `make`. On a native server, whose database starts
 * without TimescaleDB, the first `up` creates it, and the live schema must also match B
 * after up and A after down.
 */
function propertyTests(make: () => Promise<TestDatabase>, runs: number, native?: NativeServer) {
  const checkDrift = native !== undefined;
  let db: TestDatabase;
  before(async () => {
    db = await make();
  });
  after(async () => db?.dispose());

  it(`up then down restores the catalog and rows (${runs} pairs)`, async () => {
    let clock = Date.UTC(2026, 0, 1);
    let pairs = 0;
    if (native) expect(await extensionVersion(db.url), 'before the first up').to.equal(undefined);
    await fc.assert(
      fc.asyncProperty(specArbitrary, specArbitrary, async (a, b) => {
        // Every other pair: drawn outside the arbitraries, so the pairs stay those of the seed.
        const thingSchema = (pairs += 1) % 2 === 0 ? 'inventory' : undefined;
        const dir = join(tempDir('prism-prop-'), 'migrations');
        mkdirSync(dir, { recursive: true });
        const generate = (shape: SpecShape) =>
          generateMigration({
            spec: parseSpec(toYaml(shape, thingSchema), 'prism.yaml').spec,
            migrationsDir: dir,
            now: new Date((clock += 1000)),
          });
        try {
          await withClient(db.url, async (client) => {
            if (generate(a).written)
              await migrate({
                url: db.url,
                client,
                migrationsDir: dir,
                direction: 'up',
                environment: ENVIRONMENT,
              });
            if (a.metric) {
              await client.query(
                `INSERT INTO metric (ts, device, value) SELECT now() - g * interval '5 hours', 'd' || (g % 3), g FROM generate_series(1, 50) g`,
              );
            }
            const start = await snapshotCatalog(client, TABLES, SCHEMAS);
            const forward = generate(b);
            if (!forward.written) return;
            await migrate({
              url: db.url,
              client,
              migrationsDir: dir,
              direction: 'up',
              allowDataLoss: true,
              environment: ENVIRONMENT,
            });
            if (checkDrift)
              expect(await driftFrom(client, b, thingSchema), 'drift after up').to.deep.equal([]);
            await migrate({
              url: db.url,
              client,
              migrationsDir: dir,
              direction: 'down',
              allowDataLoss: true,
              environment: ENVIRONMENT,
            });
            if (checkDrift)
              expect(await driftFrom(client, a, thingSchema), 'drift after down').to.deep.equal([]);
            const back = await snapshotCatalog(client, TABLES, SCHEMAS);
            const keptMetric = a.metric !== undefined && b.metric !== undefined;
            for (const key of Object.keys(start) as (keyof typeof start)[]) {
              if (key !== 'rowCounts') expect(back[key], key).to.deep.equal(start[key]);
            }
            if (keptMetric) expect(back.rowCounts['metric']).to.equal(start.rowCounts['metric']);
            // And A's own down leaves nothing behind.
            await migrate({
              url: db.url,
              client,
              migrationsDir: dir,
              direction: 'down',
              count: Infinity,
              allowDataLoss: true,
              environment: ENVIRONMENT,
            });
            expect((await snapshotCatalog(client, TABLES, SCHEMAS)).columns).to.deep.equal([]);
          });
        } finally {
          await resetAfterRun(
            db.url,
            'DROP TABLE IF EXISTS metric CASCADE; DROP TABLE IF EXISTS thing CASCADE; DROP TABLE IF EXISTS inventory.thing CASCADE; DROP FUNCTION IF EXISTS metric_prism_now(); DELETE FROM pgmigrations',
            dir,
          );
        }
      }),
      {
        numRuns: runs,
        seed: Number(process.env['PRISM_PROPERTY_SEED'] ?? 20261124),
        endOnFailure: true,
      },
    );
    if (native) expect(await extensionVersion(db.url)).to.equal(native.version);
  }).timeout(TIMEOUT);
}

function property(label: string, make: () => Promise<TestDatabase>, runs: number) {
  describe(`random spec pairs on ${label}`, function () {
    this.timeout(TIMEOUT);
    propertyTests(make, runs);
  });
}

property('the PostgreSQL server (auto)', createServerDatabase, 40);
property('embedded TimescaleDB', createEmbeddedDatabase, 40);

describeNative(CURRENT_TSL, 'random spec pairs in a new database', (server: NativeServer) =>
  propertyTests(() => createNativeDatabase(server), 40, server),
);
