import { expect } from 'chai';
import { compileAggregates, compileSpec } from '../../../lib/schema/compile.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { Model, TimeAmount } from '../../../lib/spec/types.js';
import { issuesOf } from '../../helpers/spec-issues.js';

/** A hypertable with the hierarchical pair of the issue, and a plain model; tests replace lines (1-based). */
const BASE = [
  /*  1 */ 'models:',
  /*  2 */ '  - name: Reading',
  /*  3 */ '    fields:',
  /*  4 */ '      - { name: recorded_at, type: datetime }',
  /*  5 */ '      - { name: sensor, type: string, max_length: 64 }',
  /*  6 */ '      - { name: temperature, type: float }',
  /*  7 */ '      - { name: humidity, type: float, optional: true }',
  /*  8 */ '      - { name: online, type: boolean }',
  /*  9 */ '    timeseries:',
  /* 10 */ '      time_column: recorded_at',
  /* 11 */ '      retention: { drop_after: 90 days }',
  /* 12 */ '      aggregates:',
  /* 13 */ '        - name: reading_hourly',
  /* 14 */ '          bucket: 1 hour',
  /* 15 */ '          group_by: [sensor]',
  /* 16 */ '          columns:',
  /* 17 */ '            avg_temp: avg(temperature)',
  /* 18 */ '            max_temp: max(temperature)',
  /* 19 */ '            samples: count(*)',
  /* 20 */ '          refresh: { start_offset: 30 days, end_offset: 1 hour, schedule_interval: 30 minutes }',
  /* 21 */ '          compression: { after: 45 days }',
  /* 22 */ '          retention: { drop_after: 2 years }',
  /* 23 */ '        - name: reading_daily',
  /* 24 */ '          from: reading_hourly',
  /* 25 */ '          bucket: 1 day',
  /* 26 */ '          group_by: [sensor]',
  /* 27 */ '          columns: { max_temp: max(max_temp), samples: sum(samples) }',
  /* 28 */ '          refresh: { start_offset: 60 days, end_offset: 1 day, schedule_interval: 1 hour }',
  /* 29 */ '  - name: Device',
  /* 30 */ '    fields:',
  /* 31 */ '      - { name: id, type: int, primary_key: true }',
  /* 32 */ '',
];

function edit(changes: Record<number, string>): string {
  return BASE.map((line, i) => changes[i + 1] ?? line).join('\n');
}

function reading(text: string): Model {
  return parseSpec(text, 'prism.yaml').spec.models[0] as Model;
}

function warningsOf(text: string): [number, number, string][] {
  return parseSpec(text, 'prism.yaml').warnings.map((w) => [w.line, w.column, w.message]);
}

/** Each issue as [line, column, message, hint]. */
function refused(changes: Record<number, string>): [number, number, string, string?][] {
  return issuesOf(edit(changes)).map((i) =>
    i.hint === undefined ? [i.line, i.column, i.message] : [i.line, i.column, i.message, i.hint],
  );
}

const MINUTE = 60_000_000n;
const HOUR = 60n * MINUTE;
const DAY = 24n * HOUR;

function interval(text: string, micros: bigint): TimeAmount {
  return { kind: 'interval', interval: { kind: 'interval', text, micros } };
}

const HOURLY = {
  name: 'reading_hourly',
  bucket: interval('1 hour', HOUR),
  groupBy: ['sensor'],
  columns: [
    { name: 'avg_temp', function: 'avg', argument: 'temperature' },
    { name: 'max_temp', function: 'max', argument: 'temperature' },
    { name: 'samples', function: 'count' },
  ],
  refresh: {
    startOffset: interval('30 days', 30n * DAY),
    endOffset: interval('1 hour', HOUR),
    scheduleInterval: { kind: 'interval', text: '30 minutes', micros: 30n * MINUTE },
  },
  realtime: false,
  // segment_by left out: the group_by columns.
  compression: { after: interval('45 days', 45n * DAY), segmentBy: ['sensor'] },
  retention: { dropAfter: interval('2 years', 720n * DAY) },
};

const DAILY = {
  name: 'reading_daily',
  from: 'reading_hourly',
  bucket: interval('1 day', DAY),
  groupBy: ['sensor'],
  columns: [
    { name: 'max_temp', function: 'max', argument: 'max_temp' },
    { name: 'samples', function: 'sum', argument: 'samples' },
  ],
  refresh: {
    startOffset: interval('60 days', 60n * DAY),
    endOffset: interval('1 day', DAY),
    scheduleInterval: { kind: 'interval', text: '1 hour', micros: HOUR },
  },
  realtime: false,
};

describe('spec: continuous aggregates (timeseries.aggregates)', () => {
  describe('accepted specs', () => {
    it('normalizes the hierarchical pair, without warnings', () => {
      const loaded = parseSpec(edit({}), 'prism.yaml');
      expect(loaded.warnings).to.deep.equal([]);
      const [model, device] = loaded.spec.models as [Model, Model];
      expect(model.timeseries?.aggregates).to.deep.equal([HOURLY, DAILY]);
      expect(device.timeseries).to.equal(undefined);
    });

    it('lists sources before the aggregates built on them, whatever the order written', () => {
      const swapped = [
        ...BASE.slice(0, 12),
        ...BASE.slice(22, 28),
        ...BASE.slice(12, 22),
        ...BASE.slice(28),
      ];
      const model = reading(swapped.join('\n'));
      expect(model.timeseries?.aggregates?.map((a) => a.name)).to.deep.equal([
        'reading_hourly',
        'reading_daily',
      ]);
    });

    it('keeps refresh offsets that are left out as null, realtime and an explicit segment_by as written', () => {
      const model = reading(
        edit({
          20: '          refresh: { schedule_interval: 30 minutes }',
          21: '          realtime: true',
          22: '          compression: { segment_by: [] }',
          28: '          refresh: { end_offset: 1 day, schedule_interval: 1 hour }',
        }),
      );
      const [hourly, daily] = model.timeseries?.aggregates ?? [];
      expect(hourly?.refresh).to.deep.equal({
        startOffset: null,
        endOffset: null,
        scheduleInterval: { kind: 'interval', text: '30 minutes', micros: 30n * MINUTE },
      });
      expect(hourly?.realtime).to.equal(true);
      expect(hourly?.compression).to.deep.equal({ segmentBy: [] });
      expect(hourly).to.not.have.property('retention');
      expect(daily?.refresh?.startOffset).to.equal(null);
    });

    it('leaves aggregates out of the timeseries and the schema when there are none', () => {
      const text = edit({
        12: '',
        13: '',
        14: '',
        15: '',
        16: '',
        17: '',
        18: '',
        19: '',
        20: '',
        21: '',
        22: '',
        23: '',
        24: '',
        25: '',
        26: '',
        27: '',
        28: '',
      });
      const spec = parseSpec(text, 'prism.yaml').spec;
      expect(spec.models[0]?.timeseries).to.not.have.property('aggregates');
      expect(compileSpec(spec)).to.not.have.property('aggregates');
    });

    it('takes integer buckets and offsets on an integer time column with time_unit, and a model with timescale: off', () => {
      const model = reading(
        [
          'models:',
          '  - name: Counter',
          '    timescale: off',
          '    fields:',
          '      - { name: ts, type: bigint }',
          '      - { name: n, type: int }',
          '    timeseries:',
          '      time_column: ts',
          '      time_unit: s',
          '      aggregates:',
          '        - name: counter_minute',
          '          bucket: 60',
          '          columns: { total: sum(n), last_n: last(n) }',
          '          refresh: { start_offset: 86400, end_offset: 60, schedule_interval: 1 minute }',
          '        - { name: counter_hour, from: counter_minute, bucket: 3600, columns: { total: sum(total), last_n: last(last_n) } }',
          '',
        ].join('\n'),
      );
      expect(model.timescale).to.equal('off');
      expect(model.timeseries?.aggregates).to.deep.equal([
        {
          name: 'counter_minute',
          bucket: { kind: 'integer', value: 60n },
          groupBy: [],
          columns: [
            { name: 'total', function: 'sum', argument: 'n' },
            { name: 'last_n', function: 'last', argument: 'n' },
          ],
          refresh: {
            startOffset: { kind: 'integer', value: 86400n },
            endOffset: { kind: 'integer', value: 60n },
            scheduleInterval: { kind: 'interval', text: '1 minute', micros: MINUTE },
          },
          realtime: false,
        },
        {
          name: 'counter_hour',
          from: 'counter_minute',
          bucket: { kind: 'integer', value: 3600n },
          groupBy: [],
          columns: [
            { name: 'total', function: 'sum', argument: 'total' },
            { name: 'last_n', function: 'last', argument: 'last_n' },
          ],
          realtime: false,
        },
      ]);
    });

    it('takes month buckets on day buckets (a month counts as 30 days, as TimescaleDB counts it)', () => {
      const model = reading(
        edit({
          25: '          bucket: 1 month',
          28: '          refresh: { start_offset: 90 days, end_offset: 1 day, schedule_interval: 1 day }',
        }),
      );
      expect(model.timeseries?.aggregates?.[1]?.bucket).to.deep.equal(
        interval('1 month', 30n * DAY),
      );
    });
  });

  describe('compileAggregates', () => {
    it('compiles the hierarchical pair: sources, schema, policies', () => {
      const model = reading(edit({}));
      expect(compileAggregates(model)).to.deep.equal([
        {
          schema: 'public',
          name: 'reading_hourly',
          model: 'Reading',
          timescale: 'auto',
          source: { kind: 'table', schema: 'public', name: 'reading', timeColumn: 'recorded_at' },
          bucket: HOURLY.bucket,
          groupBy: ['sensor'],
          columns: HOURLY.columns,
          realtime: false,
          refresh: HOURLY.refresh,
          compression: { segmentBy: ['sensor'] },
          compressAfter: interval('45 days', 45n * DAY),
          dropAfter: interval('2 years', 720n * DAY),
        },
        {
          schema: 'public',
          name: 'reading_daily',
          model: 'Reading',
          timescale: 'auto',
          source: {
            kind: 'aggregate',
            schema: 'public',
            name: 'reading_hourly',
            timeColumn: 'bucket',
          },
          bucket: DAILY.bucket,
          groupBy: ['sensor'],
          columns: DAILY.columns,
          realtime: false,
          refresh: DAILY.refresh,
        },
      ]);
      expect(compileSpec(parseSpec(edit({}), 'prism.yaml').spec).aggregates).to.deep.equal(
        compileAggregates(model),
      );
    });

    it("puts aggregates in the model's schema", () => {
      const model = reading(edit({ 2: '  - name: Reading\n    schema: telemetry' }));
      expect(compileAggregates(model).map((a) => [a.schema, a.source.schema])).to.deep.equal([
        ['telemetry', 'telemetry'],
        ['telemetry', 'telemetry'],
      ]);
    });
  });

  describe('refusals, each at its place with a hint', () => {
    it('names: unique in the model, and not a table or index name of the same schema', () => {
      expect(
        refused({
          23: '        - name: reading_hourly',
          24: '          bucket: 1 day',
          25: '          group_by: [sensor]',
          26: '          realtime: true',
          27: '          columns: { max_temp: max(temperature) }',
        }),
      ).to.deep.equal([
        [
          23,
          17,
          "duplicate aggregate name 'reading_hourly' (first at line 13, column 17)",
          'each aggregate needs its own name',
        ],
      ]);
      const hint =
        "an aggregate is a view, which shares the schema's namespace with tables, indexes and primary keys (<table>_pkey): give the aggregate another name";
      expect(refused({ 13: '        - name: device', 24: '          from: device' })).to.deep.equal(
        [
          [
            13,
            17,
            "aggregate 'device' of model 'Reading' is named 'device', which is already the name of table 'device' (first at line 29, column 11)",
            hint,
          ],
        ],
      );
      expect(
        refused({ 13: '        - name: device_pkey', 24: '          from: device_pkey' }),
      ).to.deep.equal([
        [
          13,
          17,
          "aggregate 'device_pkey' of model 'Reading' is named 'device_pkey', which is already the name of the primary key of table 'device' (first at line 31, column 45)",
          hint,
        ],
      ]);
      expect(
        refused({
          13: '        - name: device_stats',
          24: '          from: device_stats',
          31: '      - { name: id, type: int, primary_key: true }\n    indexes: [{ columns: [id], name: device_stats }]',
        }),
      ).to.deep.equal([
        [
          13,
          17,
          "aggregate 'device_stats' of model 'Reading' is named 'device_stats', which is already the name of index 'device_stats' of table 'device' (first at line 32, column 38)",
          hint,
        ],
      ]);
      // Another schema is another namespace.
      expect(
        reading(
          edit({
            13: '        - name: device',
            24: '          from: device',
            29: '  - name: Device\n    schema: other',
          }),
        ).timeseries?.aggregates?.[0]?.name,
      ).to.equal('device');
      expect(
        refused({
          13: `        - name: a${'b'.repeat(63)}`,
          24: `          from: a${'b'.repeat(63)}`,
        }),
      ).to.deep.equal([
        [
          13,
          17,
          `aggregate name "a${'b'.repeat(63)}" is longer than 63 bytes`,
          'PostgreSQL would silently truncate it; choose a shorter name',
        ],
        [
          24,
          17,
          `aggregate name in from "a${'b'.repeat(63)}" is longer than 63 bytes`,
          'PostgreSQL would silently truncate it; choose a shorter name',
        ],
      ]);
    });

    it('bucket: a time amount of the time column kind; months alone; whole days on a date', () => {
      expect(refused({ 14: '          bucket: 3600' })).to.deep.equal([
        [
          14,
          19,
          "bucket must be an interval such as '7 days' because time_column 'recorded_at' is datetime",
          'give the number a unit, e.g. `bucket: 3600 days`',
        ],
      ]);
      expect(refused({ 14: '          bucket: 1 month 2 days' })).to.deep.equal([
        [
          14,
          19,
          'bucket 1 month 2 days mixes months with days or shorter units, which TimescaleDB refuses',
          "use whole months or years (e.g. '1 month'), or a fixed width (e.g. '30 days')",
        ],
      ]);
      const day = [
        'models:',
        '  - name: Visit',
        '    fields:',
        '      - { name: day, type: date }',
        '      - { name: visits, type: int }',
        '    timeseries:',
        '      time_column: day',
        '      aggregates:',
        '        - { name: visit_half_day, bucket: 12 hours, columns: { visits: sum(visits) } }',
        '        - { name: visit_week, bucket: 1 week, columns: { visits: sum(visits) } }',
        '',
      ].join('\n');
      expect(issuesOf(day).map((i) => [i.line, i.column, i.message, i.hint])).to.deep.equal([
        [
          9,
          43,
          "bucket 12 hours is shorter than whole days, but time_column 'day' is a date",
          "time_bucket on a date takes days, weeks, months or years only: e.g. '1 day'",
        ],
      ]);
    });

    it('integer time without time_unit: TimescaleDB needs an integer-now function for an aggregate', () => {
      const counter = [
        'models:',
        '  - name: Counter',
        '    fields:',
        '      - { name: ts, type: bigint }',
        '      - { name: n, type: int }',
        '    timeseries:',
        '      time_column: ts',
        '      aggregates:',
        '        - { name: counter_minute, bucket: 60, columns: { total: sum(n) } }',
        '        - { name: counter_hour, from: counter_minute, bucket: 3600, columns: { total: sum(total) } }',
        '',
      ].join('\n');
      expect(issuesOf(counter).map((i) => [i.line, i.column, i.message, i.hint])).to.deep.equal([
        [
          9,
          43,
          "a continuous aggregate on integer time column 'ts' needs an integer-now function, which TimescaleDB cannot infer from the column",
          "set time_unit (s, ms or us: the unit the integer counts) so prism-migrate creates TimescaleDB's integer-now function",
        ],
      ]);
    });

    it('group_by: fields of the model, once each, not the time column', () => {
      expect(
        refused({ 15: '          group_by: [sensr, sensor, sensor, recorded_at]' }),
      ).to.deep.equal([
        [
          15,
          22,
          "group_by column 'sensr' is not a field of model 'Reading'",
          "did you mean 'sensor'?",
        ],
        [
          15,
          37,
          "column 'sensor' appears twice in group_by (first at line 15, column 29)",
          'list each column once',
        ],
        [
          15,
          45,
          "group_by names the time column 'recorded_at': the aggregate groups it into buckets already",
          'remove it from group_by; the bucket column holds the start of each bucket',
        ],
      ]);
    });

    it('columns: the function(column) grammar, known fields, fitting types, free names', () => {
      const grammar =
        "write 'function(column)' with one of avg, min, max, sum, count, first, last, stddev, e.g. 'avg(temperature)', or 'count(*)'";
      expect(
        refused({
          17: '            avg_temp: median(temperature)',
          18: '            max_temp: max(*)',
          19: '            samples: count(temperature + 1)',
        }),
      ).to.deep.equal([
        [17, 23, 'column \'avg_temp\': "median" is not a function an aggregate may use', grammar],
        [18, 23, "column 'max_temp': only count takes *; max takes a column", grammar],
        [
          19,
          22,
          'column \'samples\': "count(temperature + 1)" is not a call of one function on one column',
          grammar,
        ],
      ]);
      expect(
        refused({
          17: '            avg_temp: avg(temperatur)',
          18: '            max_temp: max(online)',
          19: '            sensor: avg(sensor)',
        }),
      ).to.deep.equal([
        [
          17,
          23,
          "avg() argument 'temperatur' is not a field of model 'Reading'",
          "did you mean 'temperature'?",
        ],
        [
          18,
          23,
          "column 'max_temp': PostgreSQL has no max() for boolean fields like 'online'",
          'use first(online) or last(online) (by time), or count(online)',
        ],
        [
          19,
          13,
          "column name 'sensor' is a group_by column, which the view has already",
          "choose another name for this column, e.g. 'sensor_avg'",
        ],
        [
          19,
          21,
          "column 'sensor': avg() needs a numeric field; 'sensor' is string",
          "use count, min, max, first or last on 'sensor', or avg() of a numeric field: temperature, humidity",
        ],
      ]);
      expect(refused({ 19: '            bucket: count(*)' })).to.deep.equal([
        [
          19,
          13,
          "column name 'bucket' is taken by the aggregate's bucket column",
          'choose another name for this column',
        ],
      ]);
      const noColumns =
        'add output columns, e.g. `columns: { avg_temp: avg(temperature), samples: count(*) }`';
      expect(refused({ 16: '          realtime: true', 17: '', 18: '', 19: '' })).to.deep.equal([
        [13, 11, "aggregate 'reading_hourly' has no columns", noColumns],
      ]);
      expect(refused({ 16: '          columns: {}', 17: '', 18: '', 19: '' })).to.deep.equal([
        [16, 11, "aggregate 'reading_hourly' has no columns", noColumns],
      ]);
      // min/max/first/last/count of any ordered type, and of arrays, are PostgreSQL's own.
      const accepted = reading(
        edit({
          17: '            first_seen: min(recorded_at)',
          18: '            last_sensor: max(sensor)',
          19: '            online_last: last(online)',
          27: '          columns: { first_seen: min(first_seen), online_last: last(online_last) }',
        }),
      );
      expect(accepted.timeseries?.aggregates?.[0]?.columns.map((c) => c.name)).to.deep.equal([
        'first_seen',
        'last_sensor',
        'online_last',
      ]);
    });

    it('realtime is a boolean', () => {
      expect(refused({ 16: '          realtime: yes\n          columns:' })).to.deep.equal([
        [
          16,
          21,
          'models[0].timeseries.aggregates[0].realtime must be a boolean, got "yes"',
          'write true or false',
        ],
      ]);
    });
  });

  describe('aggregates on aggregates (from)', () => {
    it('from names another aggregate of the model, without cycles', () => {
      expect(refused({ 24: '          from: reading_hourli' })).to.deep.equal([
        [
          24,
          17,
          "from 'reading_hourli' is not an aggregate of this model",
          "did you mean 'reading_hourly'?",
        ],
      ]);
      expect(refused({ 24: '          from: reading_daily' })).to.deep.equal([
        [
          24,
          17,
          "aggregate 'reading_daily' is built on itself",
          'name another aggregate of this model in from, or leave from out to read the hypertable',
        ],
      ]);
      const cycle =
        'the lowest aggregate of a hierarchy reads the hypertable: leave from out on one of them';
      expect(
        refused({ 14: '          from: reading_daily\n          bucket: 1 hour' }),
      ).to.deep.equal([
        [
          14,
          17,
          'aggregates built on each other form a cycle: reading_hourly → reading_daily → reading_hourly',
          cycle,
        ],
        [
          25,
          17,
          'aggregates built on each other form a cycle: reading_daily → reading_hourly → reading_daily',
          cycle,
        ],
      ]);
    });

    it("bucket: at least the source's and a multiple of it, months only on months or fixed widths", () => {
      expect(refused({ 25: '          bucket: 90 minutes' })).to.deep.equal([
        [
          25,
          19,
          "bucket 90 minutes is not a multiple of the bucket of aggregate 'reading_hourly' (1 hour)",
          'an aggregate on an aggregate combines whole buckets of it: use a multiple of 1 hour, e.g. 2 hours',
        ],
      ]);
      expect(refused({ 25: '          bucket: 30 minutes' })).to.deep.equal([
        [
          25,
          19,
          "bucket 30 minutes is smaller than the bucket of aggregate 'reading_hourly' (1 hour)",
          'an aggregate on an aggregate combines whole buckets of it: use a multiple of 1 hour, e.g. 1 hour',
        ],
      ]);
      expect(
        refused({
          14: '          bucket: 1 week',
          25: '          bucket: 1 month',
          28: '          refresh: { start_offset: 90 days, end_offset: 1 day, schedule_interval: 1 day }',
        }),
      ).to.deep.equal([
        [
          25,
          19,
          "bucket 1 month is not a multiple of the bucket of aggregate 'reading_hourly' (1 week) (TimescaleDB counts a month as 30 days here)",
          'an aggregate on an aggregate combines whole buckets of it: use a multiple of 1 week, e.g. 35 days',
        ],
      ]);
      const monthly = {
        14: '          bucket: 1 month',
        20: '          refresh: { start_offset: 3 months, end_offset: 1 hour, schedule_interval: 1 day }',
        21: '          compression: { after: 4 months }',
        28: '          refresh: { start_offset: 3 years, schedule_interval: 1 day }',
      };
      expect(
        refused({ ...monthly, 11: '', 22: '', 25: '          bucket: 8 weeks' }),
      ).to.deep.equal([
        [
          25,
          19,
          "bucket 8 weeks is a fixed width, but aggregate 'reading_hourly' has month-based buckets (1 month), which TimescaleDB refuses to build on",
          'use a multiple of 1 month in months or years, or build on an aggregate with fixed-width buckets',
        ],
      ]);
      expect(
        reading(edit({ ...monthly, 11: '', 22: '', 25: '          bucket: 1 year' })).timeseries
          ?.aggregates?.[1]?.bucket,
      ).to.deep.equal(interval('1 year', 360n * DAY));
    });

    it("group_by: some of the source's group_by columns", () => {
      expect(refused({ 26: '          group_by: [sensor, humidity]' })).to.deep.equal([
        [
          26,
          30,
          "group_by column 'humidity' is not a group_by column of aggregate 'reading_hourly'",
          'an aggregate on an aggregate groups by some of its group_by columns: sensor',
        ],
      ]);
      // Fewer groups than the source: the sums and maxima still add up.
      expect(
        reading(edit({ 26: '          group_by: []' })).timeseries?.aggregates?.[1]?.groupBy,
      ).to.deep.equal([]);
    });

    it('columns: only what equals the raw rows: min of min, max of max, sum of sum or count, first of first, last of last', () => {
      const exact = "over aggregate 'reading_hourly' these are exact: max(max_temp), sum(samples)";
      expect(
        refused({
          27: '          columns: { a: avg(avg_temp), n: count(*), m: max(avg_temp), c: count(max_temp), s: stddev(max_temp), x: min(sensor), y: max(nope) }',
        }),
      ).to.deep.equal([
        [
          27,
          25,
          "column 'a': avg(avg_temp) over aggregate 'reading_hourly', whose 'avg_temp' is avg(temperature), is not the avg of the raw rows",
          "an average over buckets is not the average of the raw rows: add sum and count columns to 'reading_hourly' (e.g. temperature_sum: sum(temperature), temperature_count: count(temperature)), sum each here and divide them when reading",
        ],
        [
          27,
          43,
          "column 'n': count(*) over aggregate 'reading_hourly' counts its rows (one per bucket and group), not the raw rows",
          "write sum(samples) to add up the counts of 'reading_hourly'",
        ],
        [
          27,
          56,
          "column 'm': max(avg_temp) over aggregate 'reading_hourly', whose 'avg_temp' is avg(temperature), is not the max of the raw rows",
          exact,
        ],
        [
          27,
          74,
          "column 'c': count(max_temp) over aggregate 'reading_hourly', whose 'max_temp' is max(temperature), is not the count of the raw rows",
          "write sum(samples) to add up the counts of 'reading_hourly'",
        ],
        [
          27,
          94,
          "column 's': stddev(max_temp) over aggregate 'reading_hourly', whose 'max_temp' is max(temperature), is not the stddev of the raw rows",
          'a standard deviation cannot be combined from per-bucket values: compute it over the hypertable (an aggregate without from)',
        ],
        [
          27,
          115,
          "column 'x': min(sensor) reads the group_by column of aggregate 'reading_hourly', not one of its aggregated columns",
          exact,
        ],
        [
          27,
          131,
          "column 'y': max() argument 'nope' is not a column of aggregate 'reading_hourly'",
          "columns of 'reading_hourly': sensor, avg_temp, max_temp, samples",
        ],
      ]);
    });
  });

  describe('policies', () => {
    it('refresh: schedule_interval required, start_offset past end_offset by two buckets', () => {
      expect(
        refused({ 20: '          refresh: { start_offset: 30 days, end_offset: 1 hour }' }),
      ).to.deep.equal([
        [
          20,
          20,
          "'refresh' of aggregate 'reading_hourly' is missing required key 'schedule_interval'",
          "How often the refresh policy runs: an interval such as '30 minutes'",
        ],
      ]);
      expect(
        refused({
          20: '          refresh: { start_offset: 30 days, end_offset: 1 hour, schedule_interval: 30 minuts }',
        }),
      ).to.deep.equal([
        [
          20,
          84,
          'schedule_interval: invalid interval "30 minuts": unknown unit "minuts"',
          "did you mean 'minute'? Units: year, month, week, day, hour, minute, second, millisecond, microsecond (singular or plural)",
        ],
      ]);
      expect(
        refused({
          20: '          refresh: { start_offset: 1 hour, end_offset: 1 day, schedule_interval: 30 minutes }',
        }),
      ).to.deep.equal([
        [
          20,
          36,
          'refresh start_offset (1 hour) must be larger than end_offset (1 day): a refresh covers from start_offset behind now up to end_offset behind now',
          'start_offset is where the window starts, end_offset where it ends, both behind now: make start_offset at least 1 day 2 hours (end_offset plus two buckets)',
        ],
      ]);
      // TimescaleDB: end_offset + 2 buckets must not pass start_offset; 3 days is just enough.
      expect(
        refused({
          28: '          refresh: { start_offset: 2 days, end_offset: 1 day, schedule_interval: 1 hour }',
        }),
      ).to.deep.equal([
        [
          28,
          36,
          'the refresh window from 2 days to 1 day behind now covers less than two buckets of 1 day',
          'TimescaleDB refuses a refresh policy whose window cannot hold a whole bucket at every run: make start_offset at least 3 days, or end_offset smaller',
        ],
      ]);
      expect(
        warningsOf(
          edit({
            28: '          refresh: { start_offset: 3 days, end_offset: 1 day, schedule_interval: 1 hour }',
          }),
        ),
      ).to.deep.equal([]);
      // A month bucket counts 30 days, and so do month offsets.
      expect(
        refused({
          14: '          bucket: 1 month',
          20: '          refresh: { start_offset: 2 months, end_offset: 1 hour, schedule_interval: 1 day }',
          21: '          compression: { after: 4 months }',
          25: '          bucket: 1 year',
          28: '          refresh: { start_offset: 3 years, schedule_interval: 1 day }',
        }),
      ).to.deep.equal([
        [
          20,
          36,
          'the refresh window from 2 months to 1 hour behind now covers less than two buckets of 1 month',
          'TimescaleDB refuses a refresh policy whose window cannot hold a whole bucket at every run: make start_offset at least 60 days 1 hour, or end_offset smaller',
        ],
      ]);
    });

    it('compression: segment_by among group_by; after past the refresh window, which must exist', () => {
      expect(
        refused({
          21: '          compression: { after: 45 days, segment_by: [humidity, sensor, sensor] }',
        }),
      ).to.deep.equal([
        [
          21,
          55,
          "segment_by column 'humidity' is not a group_by column of aggregate 'reading_hourly'",
          'segment by group_by columns: sensor',
        ],
        [
          21,
          73,
          "column 'sensor' appears twice in segment_by (first at line 21, column 65)",
          'list each column once',
        ],
      ]);
      expect(refused({ 21: '          compression: { after: 30 days }' })).to.deep.equal([
        [
          21,
          33,
          'compression after (30 days) must be larger than refresh start_offset (30 days): TimescaleDB before 2.19 refuses a compression policy on buckets the refresh still rewrites',
          'make after larger than 30 days, or start_offset smaller than 30 days',
        ],
      ]);
      expect(
        refused({ 20: '          refresh: { end_offset: 1 hour, schedule_interval: 30 minutes }' }),
      ).to.deep.equal([
        [
          21,
          33,
          "compression after 45 days overlaps the refresh window of aggregate 'reading_hourly', which has no start_offset: TimescaleDB before 2.19 refuses a compression policy on buckets the refresh still rewrites",
          'set refresh.start_offset smaller than 45 days',
        ],
      ]);
      expect(refused({ 20: '' })).to.deep.equal([
        [
          21,
          33,
          "a compression policy on aggregate 'reading_hourly' needs a refresh policy: TimescaleDB before 2.28 refuses one without it",
          'add refresh with a start_offset smaller than 45 days, or remove compression.after',
        ],
      ]);
      // Compression without a policy needs no refresh.
      expect(
        reading(edit({ 20: '', 21: '          compression: { segment_by: [] }' })).timeseries
          ?.aggregates?.[0]?.compression,
      ).to.deep.equal({ segmentBy: [] });
    });

    it('warns when a refresh reaches past the retention of what it reads, or past its own', () => {
      expect(warningsOf(edit({ 11: '      retention: { drop_after: 30 days }' }))).to.deep.equal([
        [
          20,
          36,
          "the refresh reaches back past the retention of model 'Reading' (drop_after 30 days): start_offset 30 days plus schedule_interval 30 minutes. A refresh over a range whose raw rows were dropped deletes the buckets materialized there; set start_offset to at most 29 days 23 hours 30 minutes (drop_after minus schedule_interval), or keep the source data longer",
        ],
      ]);
      // A disabled retention policy drops nothing.
      expect(
        warningsOf(edit({ 11: '      retention: { drop_after: 30 days, enabled: false }' })),
      ).to.deep.equal([]);
      expect(
        warningsOf(
          edit({
            20: '          refresh: { end_offset: 1 hour, schedule_interval: 30 minutes }',
            21: '',
          }),
        ),
      ).to.deep.equal([
        [
          22,
          36,
          "the refresh of aggregate 'reading_hourly' reaches back past its own retention (no start_offset (back to the oldest data), drop_after 2 years): buckets retention drops are materialized again while the source still has their rows",
        ],
        [
          20,
          11,
          "the refresh reaches back past the retention of model 'Reading' (drop_after 90 days): no start_offset (back to the oldest data). A refresh over a range whose raw rows were dropped deletes the buckets materialized there; set start_offset to at most 90 days, or keep the source data longer",
        ],
      ]);
      expect(
        warningsOf(edit({ 21: '', 22: '          retention: { drop_after: 40 days }' })),
      ).to.deep.equal([
        [
          28,
          36,
          "the refresh reaches back past the retention of aggregate 'reading_hourly' (drop_after 40 days): start_offset 60 days plus schedule_interval 1 hour. A refresh over a range whose source buckets were dropped deletes the buckets materialized there; set start_offset to at most 39 days 23 hours (drop_after minus schedule_interval), or keep the source data longer",
        ],
      ]);
    });
  });
});
