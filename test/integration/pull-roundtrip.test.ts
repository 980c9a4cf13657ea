/**
 * Property: for random specs S, `up` of S's migration and then `pull` of that database
 * give a prism.yaml that compiles to exactly S's schema — every column type, nullability
 * and default, key, enum CHECK, index, chunk interval, integer-now function, compression
 * setting and policy — with nothing left unstated; and the live schema read by the catalog
 * reader has no difference from S's.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { readSchema } from '../../lib/catalog/read.js';
import { detectTimescale } from '../../lib/db/detect.js';
import { generateMigration } from '../../lib/generate/generate.js';
import { schemaToSpec } from '../../lib/pull/to-spec.js';
import { migrate } from '../../lib/runner/migrate.js';
import { compileSpec } from '../../lib/schema/compile.js';
import { compareSchemas } from '../../lib/schema/compare.js';
import type { Schema } from '../../lib/schema/types.js';
import { parseSpec } from '../../lib/spec/load.js';
import {
  createEmbeddedDatabase,
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

const option = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const readingModel = fc.record({
  id: option(fc.boolean()), // a uuid key; true: with a default
  integerTime: fc.boolean(),
  timeDefault: fc.boolean(),
  deviceLength: fc.constantFrom(50, 80),
  deviceIndex: fc.boolean(),
  status: option(fc.record({ optional: fc.boolean(), withDefault: fc.boolean() })),
  // Each optional field: absent, present without a default, or with one of these defaults.
  amount: fc.constantFrom('absent', 'plain', '12.50', '-0.5'),
  count: fc.constantFrom('absent', 0, -5, 2_147_483_647),
  flag: fc.constantFrom('absent', 'plain', true, false),
  payload: fc.constantFrom('absent', 'plain', '{"a": [1, 2]}', '{}'),
  day: fc.constantFrom('absent', 'plain', 'current_date', '2024-02-29'),
  at: fc.constantFrom('absent', 'plain', '08:30:00'),
  since: fc.constantFrom('absent', 'plain', '2024-01-01T00:00:00Z', '2024-06-30 12:00:00+02'),
  note: fc.constantFrom('absent', 'plain', "it's", 'line 1\nline 2'),
  big: fc.boolean(),
  ratio: fc.constantFrom('absent', 0.5),
  timeseries: option(
    fc.record({
      chunk: fc.boolean(),
      compression: option(
        fc.record({
          segment: fc.boolean(),
          order: fc.constantFrom('none', 'time', 'device-time'),
          after: fc.boolean(),
        }),
      ),
      retention: option(fc.constantFrom('short', 'long')),
      index: option(fc.boolean()), // true: named by hand
    }),
  ),
});

const specArbitrary = fc.record({
  reading: option(readingModel),
  thing: option(fc.record({ uniqueName: fc.boolean(), size: fc.boolean() })),
});
type SpecShape = typeof specArbitrary extends fc.Arbitrary<infer T> ? T : never;
type Reading = NonNullable<SpecShape['reading']>;

function withDefault<T>(field: Record<string, unknown>, value: T | undefined) {
  return value === undefined ? field : { ...field, default: value };
}

function readingFields(r: Reading): unknown[] {
  const time = r.integerTime
    ? { name: 'tick', type: 'bigint' }
    : withDefault({ name: 'ts', type: 'datetime' }, r.timeDefault ? 'now()' : undefined);
  const fields: unknown[] = [];
  if (r.id !== undefined) {
    fields.push(
      withDefault(
        { name: 'id', type: 'uuid', primary_key: true },
        r.id ? 'gen_random_uuid()' : undefined,
      ),
    );
  }
  fields.push(time, {
    name: 'device',
    type: 'string',
    max_length: r.deviceLength,
    index: r.deviceIndex,
  });
  if (r.status) {
    fields.push(
      withDefault(
        {
          name: 'status',
          type: 'enum',
          values: ['ok', "O'Brien", 'x y'],
          optional: r.status.optional,
        },
        r.status.withDefault ? "O'Brien" : undefined,
      ),
    );
  }
  const optional = (name: string, type: Record<string, unknown>, value: unknown) => {
    if (value === 'absent') return;
    fields.push(
      withDefault({ name, ...type, optional: true }, value === 'plain' ? undefined : value),
    );
  };
  optional('amount', { type: 'decimal', precision: 10, scale: 2 }, r.amount);
  if (r.count !== 'absent') fields.push({ name: 'count', type: 'int', default: r.count });
  optional('flag', { type: 'boolean' }, r.flag);
  optional('payload', { type: 'json' }, r.payload);
  optional('day', { type: 'date' }, r.day);
  optional('at', { type: 'time' }, r.at);
  optional('since', { type: 'datetime' }, r.since);
  optional('note', { type: 'text' }, r.note);
  if (r.big) optional('big', { type: 'bigint' }, 'plain');
  if (r.ratio !== 'absent') fields.push({ name: 'ratio', type: 'float', default: r.ratio });
  return fields;
}

function readingTimeseries(r: Reading): Record<string, unknown> | undefined {
  const t = r.timeseries;
  if (!t) return undefined;
  const time = r.integerTime ? 'tick' : 'ts';
  const day = r.integerTime ? 86_400_000 : '1 day';
  const orderBy = { none: [], time: [`${time} DESC`], 'device-time': ['device', `${time} DESC`] };
  return {
    time_column: time,
    ...(r.integerTime ? { time_unit: 'ms', chunk_interval: t.chunk ? 43_200_000 : day } : {}),
    ...(!r.integerTime && t.chunk ? { chunk_interval: '12 hours' } : {}),
    ...(t.compression
      ? {
          compression: {
            enabled: true,
            // TimescaleDB refuses a column in both lists.
            segment_by:
              t.compression.segment && t.compression.order !== 'device-time' ? ['device'] : [],
            order_by: orderBy[t.compression.order],
            ...(t.compression.after ? { after: r.integerTime ? 7 * 86_400_000 : '7 days' } : {}),
          },
        }
      : {}),
    ...(t.retention
      ? {
          retention: {
            drop_after: r.integerTime
              ? (t.retention === 'short' ? 90 : 365) * 86_400_000
              : t.retention === 'short'
                ? '90 days'
                : '1 year',
          },
        }
      : {}),
    ...(t.index !== undefined
      ? {
          indexes: [
            { columns: ['device', time], ...(t.index ? { name: 'reading_by_device' } : {}) },
          ],
        }
      : {}),
  };
}

/** prism.yaml as JSON (a subset of YAML), so it goes through the real loader. */
function toYaml(shape: SpecShape): string {
  const models: unknown[] = [];
  const r = shape.reading;
  if (r) {
    const timeseries = readingTimeseries(r);
    models.push({
      name: 'Reading',
      fields: readingFields(r),
      ...(timeseries ? { timeseries } : {}),
    });
  }
  if (shape.thing) {
    const fields: unknown[] = [
      { name: 'id', type: 'int', primary_key: true },
      { name: 'name', type: 'text', unique: shape.thing.uniqueName },
    ];
    if (shape.thing.size) {
      fields.push({ name: 'size', type: 'decimal', precision: 8, scale: 2, optional: true });
    }
    models.push({ name: 'Thing', fields });
  }
  return JSON.stringify({ models });
}

/**
 * The tables of a schema without what only a spec knows (its model's mode) and with
 * defaults left to `compareSchemas`, which compares them as values (a spec's
 * `2024-01-01T00:00:00Z` is PostgreSQL's `2024-01-01 00:00:00+00`).
 */
function tablesOf(schema: Schema): unknown[] {
  return schema.tables.map((t) => ({
    ...t,
    timescale: undefined,
    columns: t.columns.map((c) => ({ ...c, default: c.default?.kind })),
  }));
}

const TIMEOUT = 900_000;

function roundTrip(make: () => Promise<TestDatabase>, runs: number, native?: NativeServer) {
  let db: TestDatabase;
  before(async () => {
    db = await make();
  });
  after(async () => db?.dispose());

  it(`up, then pull, gives back the spec's compiled schema (${runs} specs)`, async () => {
    let clock = Date.UTC(2026, 0, 1);
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(specArbitrary, async (shape) => {
        if (!shape.reading && !shape.thing) return;
        const dir = join(tempDir('prism-roundtrip-'), 'migrations');
        mkdirSync(dir, { recursive: true });
        const yaml = toYaml(shape);
        const spec = parseSpec(yaml, 'prism.yaml').spec;
        try {
          await withClient(db.url, async (client) => {
            generateMigration({ spec, migrationsDir: dir, now: new Date((clock += 1000)) });
            await migrate({ url: db.url, client, migrationsDir: dir, direction: 'up' });
            if (shape.reading?.timeseries) {
              const support = await detectTimescale(client);
              expect(support.installed, 'TimescaleDB after up').to.equal(true);
            }
            const live = await readSchema(client, {
              tables: spec.models.map((m) => m.table),
            });
            const compiled = compileSpec(spec);
            expect(compareSchemas(live, compiled, { extraTables: true }), yaml).to.deep.equal([]);
            const pulled = schemaToSpec(live);
            expect(pulled.notes, `${yaml}\n${pulled.text}`).to.deep.equal([]);
            const again = compileSpec(parseSpec(pulled.text, 'prism.yaml').spec);
            expect(tablesOf(again), `${yaml}\n${pulled.text}`).to.deep.equal(tablesOf(compiled));
            expect(compareSchemas(again, compiled, { extraTables: true })).to.deep.equal([]);
            compared += 1;
            await migrate({
              url: db.url,
              client,
              migrationsDir: dir,
              direction: 'down',
              count: Infinity,
              allowDataLoss: true,
            });
          });
        } finally {
          await resetAfterRun(
            db.url,
            'DROP TABLE IF EXISTS reading CASCADE; DROP TABLE IF EXISTS thing CASCADE; DROP FUNCTION IF EXISTS reading_prism_now(); DELETE FROM pgmigrations',
            dir,
          );
        }
      }),
      {
        numRuns: runs,
        seed: Number(process.env['PRISM_PROPERTY_SEED'] ?? 20261125),
        endOnFailure: true,
      },
    );
    expect(compared, 'specs compared').to.be.greaterThan(runs / 2);
    if (native) console.log(`      ${compared} specs round-tripped on ${native.label}`);
  }).timeout(TIMEOUT);
}

describe('pull round trip on embedded TimescaleDB', function () {
  this.timeout(TIMEOUT);
  roundTrip(createEmbeddedDatabase, 40);
});

describeNative(CURRENT_TSL, 'pull round trip in a new database', (server: NativeServer) =>
  roundTrip(() => createNativeDatabase(server), 60, server),
);

describeNative(
  { license: 'timescale', before213: true },
  'pull round trip in a new database',
  (server: NativeServer) => roundTrip(() => createNativeDatabase(server), 30, server),
);
