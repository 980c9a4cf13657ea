/**
 * Aggregates read from live databases: continuous aggregates made with plain SQL on
 * native TimescaleDB 2.28.3 (with compression and retention) and 2.12.2 and on the
 * embedded database, and the degraded forms (a materialized view and a view in the shape
 * the operations create) on PostgreSQL 15. Each suite asserts the exact Aggregate objects
 * read, compare and drift against hand-built desired aggregates (clean and each kind of
 * difference), the YAML pull writes, and timescale-info's aggregates (text and JSON).
 */
import { expect } from 'chai';
import type pg from 'pg';
import { readSchema } from '../../lib/catalog/read.js';
import { detectTimescale } from '../../lib/db/detect.js';
import { formatTimescaleInfo } from '../../lib/introspect/format-info.js';
import { detectDrift } from '../../lib/introspect/drift.js';
import { timescaleInfo } from '../../lib/introspect/info.js';
import { schemaToSpec } from '../../lib/pull/to-spec.js';
import { compileSpec } from '../../lib/schema/compile.js';
import { compareAggregates, compareSchemas } from '../../lib/schema/compare.js';
import type { Aggregate } from '../../lib/schema/types.js';
import { parseSpec } from '../../lib/spec/load.js';
import type { ContinuousAggregate, Spec, TimeAmount } from '../../lib/spec/types.js';
import { parseInterval, type Interval } from '../../lib/sql/interval.js';
import {
  createEmbeddedDatabase,
  createServerDatabase,
  withClient,
  type TestDatabase,
} from '../helpers/databases.js';
import { checkTimescaleInfoSchema } from '../helpers/json-schema.js';
import {
  createNativeDatabase,
  CURRENT_TSL,
  describeNative,
  type ServerWanted,
} from '../helpers/timescale-servers.js';

function interval(text: string): Interval {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.interval;
}

const amount = (text: string): TimeAmount => ({ kind: 'interval', interval: interval(text) });

const TABLE = `CREATE TABLE reading (
  recorded_at timestamptz NOT NULL,
  sensor text NOT NULL,
  temperature double precision NOT NULL
)`;

/** A view that groups but is no aggregate prism.yaml states: it stays `unsupported`. */
const OTHER_VIEW = `CREATE VIEW warm_sensors AS
  SELECT sensor, avg(temperature) AS avg_temp FROM reading WHERE temperature > 20 GROUP BY sensor`;

interface Variant {
  /** SQL making the table, the aggregates and their policies. */
  readonly setup: readonly string[];
  /** The aggregates as read. */
  readonly hourly: Aggregate;
  readonly daily: Aggregate;
}

const HOURLY_COLUMNS = [
  { name: 'avg_temp', function: 'avg', argument: 'temperature' },
  { name: 'max_temp', function: 'max', argument: 'temperature' },
  { name: 'samples', function: 'count' },
  { name: 'first_temp', function: 'first', argument: 'temperature' },
] as const;

const DAILY_COLUMNS = [
  { name: 'max_temp', function: 'max', argument: 'max_temp' },
  { name: 'samples', function: 'sum', argument: 'samples' },
] as const;

const HOURLY_REFRESH = {
  startOffset: amount('30 days'),
  endOffset: amount('1 hour'),
  scheduleInterval: interval('30 minutes'),
};
const DAILY_REFRESH = {
  startOffset: null,
  endOffset: amount('1 day'),
  scheduleInterval: interval('1 hour'),
};

function continuousVariant(compression: boolean): Variant {
  return {
    setup: [
      'CREATE EXTENSION IF NOT EXISTS timescaledb',
      TABLE,
      "SELECT create_hypertable('reading', 'recorded_at')",
      `CREATE MATERIALIZED VIEW reading_hourly
         WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
       SELECT time_bucket('1 hour', recorded_at) AS bucket, sensor,
              avg(temperature) AS avg_temp, max(temperature) AS max_temp, count(*) AS samples,
              first(temperature, recorded_at) AS first_temp
         FROM reading GROUP BY 1, 2 WITH NO DATA`,
      `CREATE MATERIALIZED VIEW reading_daily
         WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
       SELECT time_bucket('1 day', bucket) AS bucket, sensor,
              max(max_temp) AS max_temp, sum(samples) AS samples
         FROM reading_hourly GROUP BY 1, 2 WITH NO DATA`,
      `SELECT add_continuous_aggregate_policy('reading_hourly', start_offset => INTERVAL '30 days',
         end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes')`,
      `SELECT add_continuous_aggregate_policy('reading_daily', start_offset => NULL,
         end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour')`,
      ...(compression
        ? [
            `ALTER MATERIALIZED VIEW reading_hourly SET (timescaledb.compress = true,
               timescaledb.compress_segmentby = 'sensor')`,
            `SELECT add_compression_policy('reading_hourly', compress_after => INTERVAL '45 days')`,
            `SELECT add_retention_policy('reading_hourly', drop_after => INTERVAL '2 years')`,
          ]
        : []),
      OTHER_VIEW,
      `INSERT INTO reading SELECT TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL '10 minutes',
              'sensor-' || (i % 3), 20 + (i % 7) FROM generate_series(0, 500) AS i`,
    ],
    hourly: {
      schema: 'public',
      name: 'reading_hourly',
      source: { kind: 'table', schema: 'public', name: 'reading', timeColumn: 'recorded_at' },
      bucket: amount('1 hour'),
      groupBy: ['sensor'],
      columns: HOURLY_COLUMNS,
      realtime: false,
      refresh: HOURLY_REFRESH,
      ...(compression
        ? {
            compression: { segmentBy: ['sensor'] },
            compressAfter: amount('45 days'),
            dropAfter: amount('2 years'),
          }
        : {}),
      form: 'continuous',
    },
    daily: {
      schema: 'public',
      name: 'reading_daily',
      source: { kind: 'aggregate', schema: 'public', name: 'reading_hourly', timeColumn: 'bucket' },
      bucket: amount('1 day'),
      groupBy: ['sensor'],
      columns: DAILY_COLUMNS,
      realtime: true,
      refresh: DAILY_REFRESH,
      form: 'continuous',
    },
  };
}

/** PostgreSQL without TimescaleDB: a materialized view and a (realtime) view built on it. */
const DEGRADED: Variant = {
  setup: [
    TABLE,
    `CREATE MATERIALIZED VIEW reading_hourly AS
     SELECT date_bin('1 hour', recorded_at, timestamptz '2000-01-03 00:00:00+00') AS bucket, sensor,
            avg(temperature) AS avg_temp, max(temperature) AS max_temp, count(*) AS samples,
            (array_agg(temperature ORDER BY recorded_at))[1] AS first_temp
       FROM reading GROUP BY 1, 2 WITH NO DATA`,
    `CREATE VIEW reading_daily AS
     SELECT date_bin('1 day', bucket, timestamptz '2000-01-03 00:00:00+00') AS bucket, sensor,
            max(max_temp) AS max_temp, sum(samples) AS samples
       FROM reading_hourly GROUP BY 1, 2`,
    OTHER_VIEW,
  ],
  hourly: {
    schema: 'public',
    name: 'reading_hourly',
    source: { kind: 'table', schema: 'public', name: 'reading', timeColumn: 'recorded_at' },
    bucket: amount('1 hour'),
    groupBy: ['sensor'],
    columns: HOURLY_COLUMNS,
    realtime: false,
    form: 'materialized view',
  },
  daily: {
    schema: 'public',
    name: 'reading_daily',
    source: { kind: 'aggregate', schema: 'public', name: 'reading_hourly', timeColumn: 'bucket' },
    bucket: amount('1 day'),
    groupBy: ['sensor'],
    columns: DAILY_COLUMNS,
    realtime: true,
    form: 'view',
  },
};

const BASE_SPEC = `
models:
  - name: Reading
    fields:
      - { name: recorded_at, type: datetime }
      - { name: sensor, type: string }
      - { name: temperature, type: float }
    timeseries:
      time_column: recorded_at
`;

/**
 * The spec with `timeseries.aggregates` as the loader will give them (its validation of
 * the key lands with the spec's support for it).
 */
function specWith(aggregates: readonly ContinuousAggregate[]): Spec {
  const spec = parseSpec(BASE_SPEC, 'prism.yaml').spec;
  return {
    ...spec,
    models: spec.models.map((m) => ({
      ...m,
      timeseries: m.timeseries && { ...m.timeseries, aggregates },
    })),
  };
}

/** The spec entries that state the aggregates of `variant` as read on a TSL server. */
function specAggregates(v: Variant): ContinuousAggregate[] {
  const entry = (a: Aggregate, from?: string): ContinuousAggregate => ({
    name: a.name,
    ...(from === undefined ? {} : { from }),
    bucket: a.bucket,
    groupBy: a.groupBy,
    columns: a.columns,
    realtime: a.realtime,
    ...(a.refresh ? { refresh: a.refresh } : {}),
    ...(a.compression
      ? {
          compression: {
            segmentBy: a.compression.segmentBy,
            ...(a.compressAfter ? { after: a.compressAfter } : {}),
          },
        }
      : {}),
    ...(a.dropAfter ? { retention: { dropAfter: a.dropAfter } } : {}),
  });
  return [entry(v.hourly), entry(v.daily, 'reading_hourly')];
}

function aggregateKinds(drift: readonly { kind: string }[]): string[] {
  return drift.map((d) => d.kind).filter((k) => k.startsWith('aggregate'));
}

function catalogSuite(make: () => Promise<TestDatabase>, variant: Variant, pulledYaml: string) {
  let db: TestDatabase;
  const read = (c: pg.Client) => readSchema(c, {});

  before(async function () {
    this.timeout(120_000);
    db = await make();
    await withClient(db.url, async (c) => {
      for (const sql of variant.setup) await c.query(sql);
    });
  });
  after(async () => db?.dispose());

  it('reads the aggregates exactly, sources first, and leaves other views unsupported', async () => {
    await withClient(db.url, async (c) => {
      const schema = await read(c);
      expect(schema.aggregates).to.deep.equal([variant.hourly, variant.daily]);
      // TimescaleDB's materialized hypertables and internal views are never tables.
      expect(schema.tables.map((t) => t.name)).to.deep.equal(['reading']);
      expect(schema.unsupported).to.deep.equal([
        {
          what: 'view public.warm_sensors',
          detail:
            'a view prism.yaml cannot state: not in an aggregate\'s shape: "WHERE" after the relation (only one relation, grouped, is an aggregate)',
        },
      ]);
      // Selected by table: the aggregates built on it come along.
      const byTable = await readSchema(c, { tables: ['reading'] });
      expect(byTable.aggregates).to.deep.equal([variant.hourly, variant.daily]);
    });
  });

  it('compares clean against the same aggregates, and names each kind of difference', async () => {
    await withClient(db.url, async (c) => {
      const [hourly, daily] = (await read(c)).aggregates ?? [];
      expect(compareAggregates(hourly, variant.hourly)).to.deep.equal([]);
      expect(compareAggregates(daily, variant.daily)).to.deep.equal([]);
      const kinds = (desired: Aggregate, live = hourly) =>
        compareAggregates(live, desired).map((d) => d.kind);
      const h = variant.hourly;
      expect(kinds({ ...h, bucket: amount('2 hours') })).to.deep.equal(['aggregateDefinition']);
      expect(kinds({ ...h, groupBy: [] })).to.deep.equal(['aggregateDefinition']);
      expect(
        kinds({ ...h, columns: [...h.columns, { name: 'n', function: 'count' }] }),
      ).to.deep.equal(['aggregateDefinition']);
      expect(compareAggregates(undefined, h)).to.deep.equal([
        {
          kind: 'aggregate',
          table: 'reading_hourly',
          what: 'aggregate',
          expected: `${h.form === 'continuous' ? 'continuous aggregate' : 'materialized view (standing in for a continuous aggregate)'} 1 hour buckets of reading.recorded_at by sensor: avg_temp avg(temperature), max_temp max(temperature), samples count(*), first_temp first(temperature)`,
          actual: 'missing',
          change:
            'create the aggregate reading_hourly (1 hour buckets of reading.recorded_at by sensor: avg_temp avg(temperature), max_temp max(temperature), samples count(*), first_temp first(temperature))',
        },
      ]);
      if (h.form === 'continuous') {
        expect(kinds({ ...h, realtime: true })).to.deep.equal(['aggregateRealtime']);
        expect(kinds({ ...h, refresh: { ...HOURLY_REFRESH, startOffset: null } })).to.deep.equal([
          'aggregateRefreshPolicy',
        ]);
        const refresh = compareAggregates(hourly, { ...h, refresh: undefined })[0];
        expect(refresh).to.include({
          kind: 'aggregateRefreshPolicy',
          expected: 'none',
          actual: 'start_offset 30 days, end_offset 1 hour, schedule_interval 30 minutes',
          change: 'remove the refresh policy of reading_hourly',
        });
        expect(kinds({ ...h, compression: { segmentBy: [] } })).to.deep.equal([
          'aggregateCompression',
        ]);
        expect(kinds({ ...h, compressAfter: amount('60 days') })).to.deep.equal([
          'aggregateCompressionPolicy',
        ]);
        expect(kinds({ ...h, dropAfter: amount('3 years') })).to.deep.equal([
          'aggregateRetentionPolicy',
        ]);
        expect(kinds({ ...h, form: 'materialized view' })).to.deep.equal(['aggregate']);
      } else {
        expect(kinds({ ...h, form: 'continuous' })).to.deep.equal(['aggregate']);
      }
      // A whole-schema comparison: an aggregate the spec lacks is extra.
      const live = await read(c);
      const extra = compareSchemas(
        live,
        { tables: live.tables, aggregates: [variant.hourly] },
        {
          extraTables: true,
        },
      );
      expect(extra.map((d) => [d.kind, d.table, d.expected])).to.deep.equal([
        ['aggregate', 'reading_daily', 'absent (not in the spec)'],
      ]);
    });
  });

  it('check: no drift for the spec that states them, drift for each change of it', async () => {
    await withClient(db.url, async (c) => {
      const support = await detectTimescale(c);
      const context = { pendingMigrations: 0 };
      const stated = specAggregates(variant);
      const [hourly, daily] = stated as [ContinuousAggregate, ContinuousAggregate];
      expect(
        aggregateKinds(await detectDrift(c, specWith(stated), support, context)),
      ).to.deep.equal([]);
      const realtime = await detectDrift(
        c,
        specWith([hourly, { ...daily, realtime: !daily.realtime }]),
        support,
        context,
      );
      const expectedKinds =
        variant.daily.form === 'continuous' ? ['aggregateRealtime'] : ['aggregate'];
      expect(aggregateKinds(realtime)).to.deep.equal(expectedKinds);
      const onlyHourly = (await detectDrift(c, specWith([hourly]), support, context)).filter((d) =>
        d.kind.startsWith('aggregate'),
      );
      expect(onlyHourly.map((d) => [d.kind, d.table, d.expected, d.fix])).to.deep.equal([
        [
          'aggregate',
          'reading_daily',
          'absent (not in the spec)',
          'not in the spec: drop it by hand, or describe it in the spec',
        ],
      ]);
      const policies = {
        ...hourly,
        refresh: { ...HOURLY_REFRESH, scheduleInterval: interval('1 hour') },
        compression: { segmentBy: ['sensor'], after: amount('90 days') },
        retention: { dropAfter: amount('5 years') },
      };
      const policyDrift = aggregateKinds(
        await detectDrift(c, specWith([policies, daily]), support, context),
      );
      // A degraded form has no policies to drift: the operations skip them there.
      expect(policyDrift).to.deep.equal(
        variant.hourly.form !== 'continuous'
          ? []
          : variant.hourly.compression
            ? ['aggregateRefreshPolicy', 'aggregateCompressionPolicy', 'aggregateRetentionPolicy']
            : [
                'aggregateRefreshPolicy',
                'aggregateCompression',
                'aggregateCompressionPolicy',
                'aggregateRetentionPolicy',
              ],
      );
      const missing = await detectDrift(
        c,
        specWith([...stated, { ...daily, name: 'reading_weekly', bucket: amount('7 days') }]),
        support,
        context,
      );
      expect(
        missing
          .filter((d) => d.kind.startsWith('aggregate'))
          .map((d) => [d.kind, d.table, d.actual]),
      ).to.deep.equal([['aggregate', 'reading_weekly', 'missing']]);
    });
  });

  it('pull writes them under the model of their hypertable, sources first', async () => {
    await withClient(db.url, async (c) => {
      const text = schemaToSpec(await read(c)).text;
      expect(text).to.include(pulledYaml);
    });
  });

  it('check right after pull accepts what the pulled spec leaves out', async () => {
    await withClient(db.url, async (c) => {
      const live = await read(c);
      const spec = parseSpec(schemaToSpec(live).text, 'prism.yaml').spec;
      // As pull records it (lib/app/pull.ts).
      const accepted = compareSchemas(live, compileSpec(spec), { extraAggregates: true });
      const drift = await detectDrift(c, spec, await detectTimescale(c), { accepted });
      expect(drift.map((d) => [d.table, d.what, d.actual])).to.deep.equal([]);
    });
  });

  it('timescale-info lists them with their bucket, source, refresh, range, size and compression', async () => {
    await withClient(db.url, async (c) => {
      const spec = specWith(specAggregates(variant));
      const info = await timescaleInfo(c, spec);
      expect(checkTimescaleInfoSchema(info)).to.deep.equal([]);
      const [hourly, daily] = info.aggregates;
      expect(info.aggregates).to.have.length(2);
      expect(hourly).to.deep.include({
        schema: 'public',
        name: 'reading_hourly',
        model: 'Reading',
        form: variant.hourly.form,
        source: { kind: 'table', schema: 'public', name: 'reading', timeColumn: 'recorded_at' },
        bucket: '1 hour',
        groupBy: ['sensor'],
        columns: [
          { name: 'avg_temp', call: 'avg(temperature)' },
          { name: 'max_temp', call: 'max(temperature)' },
          { name: 'samples', call: 'count(*)' },
          { name: 'first_temp', call: 'first(temperature)' },
        ],
        realtime: false,
        compression: variant.hourly.compression
          ? { enabled: true, segmentBy: ['sensor'], after: '45 days' }
          : { enabled: false, segmentBy: [], after: null },
        retention: variant.hourly.dropAfter ? { dropAfter: '2 years' } : null,
      });
      expect(daily).to.deep.include({
        name: 'reading_daily',
        form: variant.daily.form,
        source: {
          kind: 'aggregate',
          schema: 'public',
          name: 'reading_hourly',
          timeColumn: 'bucket',
        },
        bucket: '1 day',
        realtime: true,
      });
      const text = formatTimescaleInfo(info);
      if (variant.hourly.form === 'continuous') {
        expect(hourly?.refresh).to.include({
          startOffset: '30 days',
          endOffset: '1 hour',
          scheduleInterval: '30 minutes',
        });
        expect(hourly?.refresh?.jobId).to.be.a('number');
        expect(daily?.refresh).to.include({ startOffset: null, endOffset: '1 day' });
        expect(hourly?.totalBytes).to.be.a('number').and.above(0);
        expect(hourly?.materializedThrough).to.equal(null);
        // Refreshed: the materialized range ends at the last bucket refreshed.
        await c.query(
          "CALL refresh_continuous_aggregate('reading_hourly', '2026-01-01', '2026-01-02')",
        );
        const after = await timescaleInfo(c, spec);
        expect(after.aggregates[0]?.materializedThrough).to.equal('2026-01-02T00:00:00.000Z');
        expect(formatTimescaleInfo(after)).to.include(
          '  materialized: up to 2026-01-02 00:00:00Z\n',
        );
        expect(text).to.include(
          [
            'aggregate public.reading_hourly (model Reading): continuous aggregate',
            '  bucket:       1 hour of public.reading.recorded_at by sensor',
            '  columns:      avg_temp avg(temperature), max_temp max(temperature), samples count(*), first_temp first(temperature)',
            `  refresh:      from 30 days ago to 1 hour ago, every 30 minutes (job ${hourly?.refresh?.jobId})`,
          ].join('\n'),
        );
        expect(text).to.include(
          '  materialized: nothing yet; newer rows aggregated when read (realtime)',
        );
      } else {
        expect(hourly).to.deep.include({
          refresh: null,
          materializedThrough: null,
          populated: false,
        });
        expect(daily).to.deep.include({ totalBytes: null, populated: null });
        expect(text).to.include(
          [
            'aggregate public.reading_hourly (model Reading): materialized view (standing in for a continuous aggregate; `prism-migrate jobs run` refreshes it)',
            '  bucket:       1 hour of public.reading.recorded_at by sensor',
            '  columns:      avg_temp avg(temperature), max_temp max(temperature), samples count(*), first_temp first(temperature)',
            '  materialized: never refreshed (empty)',
          ].join('\n'),
        );
        expect(text).to.include(
          'aggregate public.reading_daily (model Reading): view (standing in for a continuous aggregate; computed when read)',
        );
      }
    });
  });
}

const PULLED_CONTINUOUS = (compression: boolean) =>
  [
    '      aggregates:',
    '        - name: reading_hourly',
    '          bucket: 1 hour',
    '          group_by: [sensor]',
    '          columns: {avg_temp: avg(temperature), max_temp: max(temperature), samples: count(*), first_temp: first(temperature)}',
    '          refresh: {start_offset: 30 days, end_offset: 1 hour, schedule_interval: 30 minutes}',
    ...(compression
      ? [
          '          compression: {after: 45 days, segment_by: [sensor]}',
          '          retention: {drop_after: 2 years}',
        ]
      : []),
    '        - name: reading_daily',
    '          from: reading_hourly',
    '          bucket: 1 day',
    '          group_by: [sensor]',
    '          columns: {max_temp: max(max_temp), samples: sum(samples)}',
    '          refresh: {end_offset: 1 day, schedule_interval: 1 hour}',
    '          realtime: true',
    '',
  ].join('\n');

for (const [wanted, compression] of [
  [CURRENT_TSL, true],
  [{ license: 'timescale', before213: true }, false],
] as [ServerWanted, boolean][]) {
  describeNative(wanted, 'aggregates in the catalog', (server) => {
    catalogSuite(
      () => createNativeDatabase(server),
      continuousVariant(compression),
      PULLED_CONTINUOUS(compression),
    );
  });
}

/** The Apache-only build: a hypertable, and the stand-ins the operations make there. */
const APACHE: Variant = {
  ...DEGRADED,
  setup: [
    'CREATE EXTENSION IF NOT EXISTS timescaledb',
    TABLE,
    "SELECT create_hypertable('reading', 'recorded_at')",
    ...DEGRADED.setup.slice(1),
  ],
};

describeNative({ license: 'apache' }, 'aggregates in the catalog (stand-ins)', (server) => {
  catalogSuite(
    () => createNativeDatabase(server),
    APACHE,
    [
      '      aggregates:',
      '        - name: reading_hourly',
      '          bucket: 1 hour',
      '          group_by: [sensor]',
      '          columns: {avg_temp: avg(temperature), max_temp: max(temperature), samples: count(*), first_temp: first(temperature)}',
      '        - name: reading_daily',
      '          from: reading_hourly',
      '          bucket: 1 day',
      '          group_by: [sensor]',
      '          columns: {max_temp: max(max_temp), samples: sum(samples)}',
      '          realtime: true',
      '',
    ].join('\n'),
  );
});

describe('aggregates in the catalog on embedded TimescaleDB', () => {
  catalogSuite(createEmbeddedDatabase, continuousVariant(false), PULLED_CONTINUOUS(false));
});

describe('aggregates in the catalog on PostgreSQL without TimescaleDB (degraded forms)', () => {
  // The table is no hypertable here, so pull has no timeseries block to hold them.
  catalogSuite(
    () => createServerDatabase('prism_cagg'),
    DEGRADED,
    [
      '    # pull: aggregate reading_hourly: reading has no timeseries block here (not a hypertable), so nothing holds the aggregate; left out',
      '    # pull: aggregate reading_daily: reading has no timeseries block here (not a hypertable), so nothing holds the aggregate; left out',
    ].join('\n'),
  );
});
