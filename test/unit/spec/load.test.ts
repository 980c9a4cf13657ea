import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SpecError, UsageError } from '../../../lib/errors.js';
import { loadSpec, parseSpec } from '../../../lib/spec/load.js';
import type { Model } from '../../../lib/spec/types.js';

// Compiled to dist/test/unit/spec/: four levels up is the repository root.
const ROOT = new URL('../../../../', import.meta.url);
const EXAMPLES = new URL('spec/examples/', ROOT);
const FIXTURES = new URL('test/fixtures/specs/', ROOT);

function only(text: string): Model {
  const models = parseSpec(text, 'prism.yaml').spec.models;
  expect(models).to.have.length(1);
  return models[0] as Model;
}

describe('loadSpec / parseSpec', () => {
  describe("the seed's DataPoint example", () => {
    it('loads as written, with a composite primary key and an adjustment saying so', async () => {
      const loaded = await loadSpec(fileURLToPath(new URL('datapoint.yaml', EXAMPLES)));
      const model = loaded.spec.models[0] as Model;
      expect(model.primaryKey).to.deep.equal(['id', 'timestamp']);
      expect(loaded.adjustments).to.have.length(1);
      expect(loaded.adjustments[0]).to.include({ line: 7, column: 9 });
      expect(loaded.adjustments[0]?.message).to.equal(
        "primary key of model 'DataPoint' is (id, timestamp): TimescaleDB requires the time column 'timestamp' in every primary key of a hypertable",
      );
      expect(loaded.warnings).to.deep.equal([]);
    });

    it('normalizes every part of the model', async () => {
      const loaded = await loadSpec(fileURLToPath(new URL('datapoint.yaml', EXAMPLES)));
      const model = loaded.spec.models[0] as Model;
      expect(loaded.spec.timescale).to.equal('auto');
      expect(model).to.include({ name: 'DataPoint', table: 'datapoint', timescale: 'auto' });
      expect(model.fields.map((f) => [f.name, f.type, f.optional])).to.deep.equal([
        ['id', 'uuid', false],
        ['timestamp', 'datetime', false],
        ['source', 'string', false],
        ['value', 'float', false],
        ['metadata', 'json', true],
      ]);
      expect(model.fields[2]?.maxLength).to.equal(100);
      const ts = model.timeseries;
      expect(ts?.timeColumn).to.equal('timestamp');
      expect(ts?.chunkInterval).to.deep.equal({
        kind: 'interval',
        interval: { kind: 'interval', text: '1 week', micros: 604_800_000_000n },
      });
      expect(ts?.compression?.enabled).to.equal(true);
      expect(ts?.compression?.after).to.deep.include({ kind: 'interval' });
      expect(ts?.compression?.segmentBy).to.deep.equal(['source']);
      expect(ts?.compression?.orderBy).to.deep.equal([
        { column: 'timestamp', direction: 'DESC', nulls: undefined },
      ]);
      expect(ts?.retention?.enabled).to.equal(true);
      expect(ts?.retention?.dropAfter).to.deep.equal({
        kind: 'interval',
        interval: { kind: 'interval', text: '1 year', micros: 360n * 86_400_000_000n },
      });
      expect(ts?.indexes).to.deep.equal([
        {
          name: 'datapoint_source_timestamp_idx',
          columns: [
            { column: 'source', direction: 'ASC' },
            { column: 'timestamp', direction: 'ASC' },
          ],
          type: 'btree',
          unique: false,
        },
      ]);
    });
  });

  describe('defaults', () => {
    const text = [
      'models:',
      '  - name: CPUSample',
      '    fields:',
      '      - name: at',
      '        type: datetime',
      '        optional: true',
      '      - name: host',
      '        type: text',
      '    timeseries:',
      '      time_column: at',
      '      compression: {}',
      '      retention:',
      '        drop_after: 30 days',
      '      indexes:',
      '        - columns: [host, at]',
    ].join('\n');

    it('table is the model name lowercased; timescale is auto, inherited by the model', () => {
      const model = only(text);
      expect(model.table).to.equal('cpusample');
      expect(model.timescale).to.equal('auto');
    });

    it('compression and retention are enabled when their blocks are present', () => {
      const ts = only(text).timeseries;
      expect(ts?.compression).to.deep.equal({
        enabled: true,
        after: undefined,
        segmentBy: [],
        orderBy: [],
      });
      expect(ts?.retention?.enabled).to.equal(true);
    });

    it('field options default to false; the time column is always NOT NULL', () => {
      const loaded = parseSpec(text, 'prism.yaml');
      const [at, host] = (loaded.spec.models[0] as Model).fields;
      expect(at).to.include({ optional: false, primaryKey: false, index: false, unique: false });
      expect(host).to.include({ optional: false, primaryKey: false, index: false, unique: false });
      expect(loaded.adjustments.map((a) => [a.line, a.column, a.message])).to.deep.equal([
        [
          6,
          9,
          "time column 'at' is NOT NULL: TimescaleDB requires it, so optional: true is ignored",
        ],
      ]);
    });

    it('indexes default to btree, not unique, named <table>_<columns>_idx', () => {
      expect(only(text).timeseries?.indexes).to.deep.equal([
        {
          name: 'cpusample_host_at_idx',
          columns: [
            { column: 'host', direction: 'ASC' },
            { column: 'at', direction: 'ASC' },
          ],
          type: 'btree',
          unique: false,
        },
      ]);
    });

    it('a hypertable without primary key fields has no primary key', () => {
      expect(only(text).primaryKey).to.deep.equal([]);
    });

    it('a long derived index name is cut to 63 bytes with a hash, so two long names stay distinct', () => {
      const col = (c: string) => `      - name: ${c}\n        type: int`;
      const a = 'a'.repeat(55);
      const spec = (cols: string) =>
        `models:\n  - name: T\n    fields:\n${['ts', `${a}_one`, `${a}_two`].map(col).join('\n')}\n    timeseries:\n      time_column: ts\n      time_unit: s\n      indexes:\n        - columns: [${cols}]`;
      const one = only(spec(`${a}_one, ts`)).timeseries?.indexes[0]?.name as string;
      const two = only(spec(`${a}_two, ts`)).timeseries?.indexes[0]?.name as string;
      expect(Buffer.byteLength(one)).to.equal(63);
      expect(one).to.match(/^t_a+_[0-9a-f]{8}_idx$/);
      expect(one).to.not.equal(two);
    });

    it('a per-model timescale overrides the top level', () => {
      const loaded = parseSpec(
        'timescale: require\nmodels:\n  - name: A\n    timescale: off\n    fields: [{name: id, type: int}]\n  - name: B\n    fields: [{name: id, type: int}]\n',
        'p.yaml',
      );
      expect(loaded.spec.timescale).to.equal('require');
      expect(loaded.spec.models.map((m) => m.timescale)).to.deep.equal(['off', 'require']);
    });
  });

  describe('plain models', () => {
    it('the primary key is the primary_key fields in order, never adjusted', () => {
      const loaded = parseSpec(
        'models:\n  - name: Pair\n    fields:\n      - {name: b, type: int, primary_key: true}\n      - {name: a, type: int, primary_key: true}\n      - {name: x, type: text, unique: true}\n',
        'p.yaml',
      );
      expect(loaded.spec.models[0]?.primaryKey).to.deep.equal(['b', 'a']);
      expect(loaded.spec.models[0]?.fields[2]?.unique).to.equal(true);
      expect(loaded.adjustments).to.deep.equal([]);
    });

    it('keeps type details and defaults', () => {
      const model = only(
        [
          'models:',
          '  - name: Order',
          '    fields:',
          '      - {name: id, type: uuid, primary_key: true, default: gen_random_uuid()}',
          "      - {name: total, type: decimal, precision: 12, scale: 2, default: '0.00'}",
          '      - {name: status, type: enum, values: [open, paid], default: open}',
          '      - {name: placed_at, type: datetime, default: now()}',
          '      - {name: note, type: text, default: ""}',
        ].join('\n'),
      );
      expect(model.fields.map((f) => f.default)).to.deep.equal([
        { kind: 'function', name: 'gen_random_uuid' },
        { kind: 'literal', value: '0.00' },
        { kind: 'literal', value: 'open' },
        { kind: 'function', name: 'now' },
        { kind: 'literal', value: '' },
      ]);
      expect(model.fields[1]).to.include({ precision: 12, scale: 2 });
      expect(model.fields[2]?.values).to.deep.equal(['open', 'paid']);
    });
  });

  describe('warnings', () => {
    const lifecycle = (after: string, dropAfter: string): string =>
      [
        'models:',
        '  - name: M',
        '    fields: [{name: ts, type: datetime}]',
        '    timeseries:',
        '      time_column: ts',
        '      compression:',
        `        after: ${after}`,
        '      retention:',
        `        drop_after: ${dropAfter}`,
      ].join('\n');

    it('compression after not shorter than drop_after is a warning, not an error', () => {
      const loaded = parseSpec(lifecycle('1 year', '12 months'), 'p.yaml');
      expect(loaded.warnings.map((w) => [w.line, w.column, w.message])).to.deep.equal([
        [
          7,
          16,
          'compression after (1 year) is not shorter than retention drop_after (12 months): chunks are dropped before they would be compressed',
        ],
      ]);
      // A month counts 30 days, so 12 months (360 days) equals 1 year.
      expect(parseSpec(lifecycle('400 days', '1 year'), 'p.yaml').warnings).to.have.length(1);
    });

    it('no warning when compression comes first', () => {
      expect(parseSpec(lifecycle('7 days', '1 year'), 'p.yaml').warnings).to.deep.equal([]);
    });

    it('a YAML tag is kept as a warning with its position', () => {
      const loaded = parseSpec(
        'models:\n  - name: !custom A\n    fields: [{name: id, type: int}]\n',
        'p.yaml',
      );
      expect(loaded.warnings[0]).to.include({ line: 2, column: 11 });
      expect(loaded.warnings[0]?.message).to.contain('Unresolved tag');
    });
  });

  describe('files', () => {
    it('loads a fixture from disk and reports the given path', async () => {
      const file = fileURLToPath(new URL('minimal.yaml', FIXTURES));
      const loaded = await loadSpec(file);
      expect(loaded.spec.file).to.equal(file);
      expect(loaded.spec.models[0]).to.include({ name: 'AuditLog', table: 'auditlog' });
    });

    it('collects every error of a file with its position', async () => {
      const file = fileURLToPath(new URL('several-errors.yaml', FIXTURES));
      const error = await loadSpec(file).then(
        () => expect.fail('expected a SpecError'),
        (e: unknown) => e as SpecError,
      );
      expect(error).to.be.instanceOf(SpecError);
      expect(error.issues.map((i) => [i.file, i.line, i.column])).to.deep.equal([
        [file, 1, 12],
        [file, 12, 23],
        [file, 14, 22],
      ]);
      expect(error.issues.map((i) => i.hint)).to.deep.equal([
        'allowed: auto, require, off',
        'units: year, month, week, day, hour, minute, second, millisecond, microsecond (singular or plural)',
        "did you mean 'host'?",
      ]);
    });

    it('a missing file is a usage error that names the --spec flag', async () => {
      const error = await loadSpec('/nonexistent/prism.yaml').then(
        () => expect.fail('expected an error'),
        (e: unknown) => e as UsageError,
      );
      expect(error).to.be.instanceOf(UsageError);
      expect(error.message).to.equal('spec file /nonexistent/prism.yaml does not exist');
      expect(error.hint).to.contain('--spec');
    });
  });

  describe('spec/examples', () => {
    it('has the seed example plus at least two more domains', async () => {
      const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml')).sort();
      expect(files).to.include.members([
        'datapoint.yaml',
        'iot-sensors.yaml',
        'web-analytics.yaml',
      ]);
    });

    it('every example validates', async () => {
      const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml'));
      for (const f of files) {
        const loaded = await loadSpec(fileURLToPath(new URL(f, EXAMPLES)));
        expect(loaded.spec.models.length, f).to.be.greaterThan(0);
        expect(loaded.warnings, f).to.deep.equal([]);
      }
    });

    it('iot-sensors has a bigint time column with time_unit and integer amounts', async () => {
      const loaded = await loadSpec(fileURLToPath(new URL('iot-sensors.yaml', EXAMPLES)));
      const readings = loaded.spec.models.find((m) => m.name === 'SensorReading');
      expect(readings?.table).to.equal('sensor_readings');
      expect(readings?.timeseries?.timeUnit).to.equal('ms');
      expect(readings?.timeseries?.retention?.dropAfter).to.deep.equal({
        kind: 'integer',
        value: 7_776_000_000n,
      });
      expect(readings?.timeseries?.indexes[0]).to.deep.equal({
        name: 'sensor_readings_dedup_key',
        columns: [
          { column: 'device_id', direction: 'ASC' },
          { column: 'metric', direction: 'ASC' },
          { column: 'recorded_at_ms', direction: 'ASC' },
        ],
        type: 'btree',
        unique: true,
      });
    });

    it('web-analytics has a plain model with an enum and a date-partitioned model', async () => {
      const loaded = await loadSpec(fileURLToPath(new URL('web-analytics.yaml', EXAMPLES)));
      const [site, views, daily] = loaded.spec.models;
      expect(site?.timeseries).to.equal(undefined);
      expect(site?.fields.find((f) => f.name === 'plan')?.values).to.deep.equal([
        'free',
        'pro',
        'enterprise',
      ]);
      expect(views?.timescale).to.equal('require');
      expect(views?.timeseries?.compression?.orderBy[1]).to.deep.equal({
        column: 'path',
        direction: 'ASC',
        nulls: 'LAST',
      });
      expect(daily?.timeseries?.timeColumn).to.equal('day');
    });
  });
});
