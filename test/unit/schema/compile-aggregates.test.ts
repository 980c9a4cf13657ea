/** compileAggregates: a model's `timeseries.aggregates` as the Schema's aggregates. */
import { expect } from 'chai';
import { compileAggregates, compileSpec } from '../../../lib/schema/compile.js';
import { compareSchemas } from '../../../lib/schema/compare.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { ContinuousAggregate, Model, TimeAmount } from '../../../lib/spec/types.js';
import { parseInterval, type Interval } from '../../../lib/sql/interval.js';

function intervalOf(text: string): Interval {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.interval;
}

const amount = (text: string): TimeAmount => ({ kind: 'interval', interval: intervalOf(text) });

const HOURLY: ContinuousAggregate = {
  name: 'reading_hourly',
  bucket: amount('1 hour'),
  groupBy: ['sensor'],
  columns: [{ name: 'samples', function: 'count' }],
  realtime: false,
  refresh: {
    startOffset: amount('30 days'),
    endOffset: null,
    scheduleInterval: intervalOf('30 minutes'),
  },
  compression: { after: amount('30 days'), segmentBy: ['sensor'] },
  retention: { dropAfter: amount('2 years') },
};

const DAILY: ContinuousAggregate = {
  name: 'reading_daily',
  from: 'reading_hourly',
  bucket: amount('1 day'),
  groupBy: ['sensor'],
  columns: [{ name: 'samples', function: 'sum', argument: 'samples' }],
  realtime: true,
};

function model(schema?: string): Model {
  const spec = parseSpec(
    `models:
  - name: Reading
${schema ? `    schema: ${schema}\n` : ''}    fields:
      - { name: recorded_at, type: datetime }
      - { name: sensor, type: string }
    timeseries:
      time_column: recorded_at
`,
    'prism.yaml',
  ).spec;
  const m = spec.models[0] as Model;
  return { ...m, timeseries: m.timeseries && { ...m.timeseries, aggregates: [HOURLY, DAILY] } };
}

describe('compileAggregates', () => {
  it("reads the model's hypertable, or the aggregate named in from, in the model's schema", () => {
    const [hourly, daily] = compileAggregates(model('metrics'));
    expect(hourly).to.deep.equal({
      schema: 'metrics',
      name: 'reading_hourly',
      model: 'Reading',
      timescale: 'auto',
      source: { kind: 'table', schema: 'metrics', name: 'reading', timeColumn: 'recorded_at' },
      bucket: HOURLY.bucket,
      groupBy: ['sensor'],
      columns: HOURLY.columns,
      realtime: false,
      refresh: HOURLY.refresh,
      compression: { segmentBy: ['sensor'] },
      compressAfter: amount('30 days'),
      dropAfter: amount('2 years'),
    });
    expect(daily).to.deep.equal({
      schema: 'metrics',
      name: 'reading_daily',
      model: 'Reading',
      timescale: 'auto',
      source: {
        kind: 'aggregate',
        schema: 'metrics',
        name: 'reading_hourly',
        timeColumn: 'bucket',
      },
      bucket: DAILY.bucket,
      groupBy: ['sensor'],
      columns: DAILY.columns,
      realtime: true,
    });
  });

  it('compileSpec holds them, and compareSchemas finds a schema without them missing them', () => {
    const m = model();
    const desired = compileSpec({ file: 'prism.yaml', timescale: 'auto', models: [m] });
    expect(desired.aggregates?.map((a) => a.name)).to.deep.equal([
      'reading_hourly',
      'reading_daily',
    ]);
    const differences = compareSchemas({ tables: desired.tables }, desired);
    expect(differences.map((d) => [d.kind, d.table, d.actual])).to.deep.equal([
      ['aggregate', 'reading_hourly', 'missing'],
      ['aggregate', 'reading_daily', 'missing'],
    ]);
    expect(compareSchemas(desired, desired)).to.deep.equal([]);
    // A model whose table pull could not make a timeseries model of holds none of them.
    const bare = compileSpec({
      file: 'prism.yaml',
      timescale: 'auto',
      models: [{ ...m, timeseries: undefined }],
    });
    const aggregateDifferences = (extraAggregates: boolean) =>
      compareSchemas(desired, bare, { extraAggregates })
        .filter((d) => d.kind === 'aggregate')
        .map((d) => [d.table, d.expected]);
    expect(aggregateDifferences(false)).to.deep.equal([]);
    expect(aggregateDifferences(true)).to.deep.equal([
      ['reading_hourly', 'absent (not in the spec)'],
      ['reading_daily', 'absent (not in the spec)'],
    ]);
    const withoutAggregates = compileSpec(parseSpec('models: []', 'prism.yaml').spec);
    expect(withoutAggregates).to.not.have.property('aggregates');
  });
});
