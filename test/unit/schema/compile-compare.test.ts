/** The compiled schema of a spec, and the comparison of two schemas as differences. */
import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import { compileSpec } from '../../../lib/schema/compile.js';
import { compareSchemas, compareTables } from '../../../lib/schema/compare.js';
import { sameDefault } from '../../../lib/schema/defaults.js';
import type { Schema, Table } from '../../../lib/schema/types.js';
import { parseInterval } from '../../../lib/sql/interval.js';

const compile = (yaml: string): Schema => compileSpec(parseSpec(yaml, 'prism.yaml').spec);

const READING = `
models:
  - name: Reading
    table: readings
    fields:
      - { name: id, type: uuid, primary_key: true, default: gen_random_uuid() }
      - { name: ts, type: datetime }
      - { name: device, type: string, max_length: 50, index: true }
      - { name: status, type: enum, values: [ok, "O'Brien"], default: ok }
      - { name: value, type: decimal, precision: 10, scale: 2, optional: true }
    timeseries:
      time_column: ts
      compression: { after: 7 days, segment_by: [device], order_by: [ts DESC] }
      retention: { drop_after: 1 month }
      indexes:
        - { columns: [device, ts], type: btree }
`;

function interval(text: string) {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { kind: 'interval' as const, interval: parsed.interval };
}

function only(schema: Schema): Table {
  expect(schema.tables).to.have.length(1);
  return schema.tables[0] as Table;
}

describe('compileSpec', () => {
  it('gives catalog types, the composite key, enum CHECKs, index names and the hypertable', () => {
    const table = only(compile(READING));
    expect(table.name).to.equal('readings');
    expect(table.model).to.equal('Reading');
    expect(table.columns.map((c) => [c.name, c.type, c.notNull])).to.deep.equal([
      ['id', 'uuid', true],
      ['ts', 'timestamp with time zone', true],
      ['device', 'character varying(50)', true],
      ['status', 'text', true],
      ['value', 'numeric(10,2)', false],
    ]);
    expect(table.primaryKey).to.deep.equal({ name: 'readings_pkey', columns: ['id', 'ts'] });
    expect(table.checks).to.deep.equal([
      { name: 'readings_status_check', column: 'status', values: ['ok', "O'Brien"] },
    ]);
    expect(table.indexes.map((i) => i.name)).to.deep.equal([
      'readings_device_idx',
      'readings_device_ts_idx',
    ]);
    const h = table.hypertable;
    expect(h?.timeColumn).to.equal('ts');
    // TimescaleDB's default chunk interval, and its default order_by left out.
    expect(h?.chunkInterval).to.deep.equal(interval('7 days'));
    expect(h?.compression).to.deep.equal({ segmentBy: ['device'], orderBy: [] });
    expect(h?.compressAfter).to.deep.equal(interval('7 days'));
    expect(h?.dropAfter).to.deep.equal(interval('1 month'));
    expect(Object.isFrozen(table.columns[0])).to.equal(true);
  });

  it('names the integer-now function of an integer time column with a unit', () => {
    const table = only(
      compile(`
models:
  - name: Tick
    fields:
      - { name: t, type: bigint }
      - { name: v, type: float }
    timeseries: { time_column: t, time_unit: ms, chunk_interval: 86400000 }
`),
    );
    expect(table.primaryKey).to.equal(undefined);
    expect(table.hypertable?.integerNow).to.deep.equal({ function: 'tick_prism_now', unit: 'ms' });
    expect(table.hypertable?.chunkInterval).to.deep.equal({ kind: 'integer', value: 86400000n });
  });
});

describe('compareSchemas', () => {
  const desired = compile(READING);
  const base = only(desired);
  const live = (change: (t: Table) => Table): Schema => ({ tables: [change(base)] });

  it('finds nothing between a schema and itself', () => {
    expect(compareSchemas(desired, desired, { extraTables: true })).to.deep.equal([]);
  });

  it('says each difference as the change that fixes it', () => {
    const drifted = live((t) => ({
      ...t,
      columns: [
        ...t.columns
          .filter((c) => c.name !== 'value')
          .map((c) => (c.name === 'device' ? { ...c, type: 'text', notNull: false } : c)),
        { name: 'extra', type: 'inet', notNull: false },
      ],
      indexes: t.indexes.slice(1),
      hypertable: t.hypertable && {
        ...t.hypertable,
        chunkInterval: interval('1 day'),
        dropAfter: undefined,
      },
    }));
    expect(
      compareSchemas(drifted, desired).map((d) => [d.kind, d.what, d.expected, d.actual, d.change]),
    ).to.deep.equal([
      [
        'column',
        'column value',
        'numeric(10,2) NULL',
        'missing',
        'add column readings.value numeric(10,2) NULL',
      ],
      [
        'columnType',
        'column device type',
        'character varying(50)',
        'text',
        'alter column readings.device to type character varying(50)',
      ],
      [
        'nullability',
        'column device nullability',
        'NOT NULL',
        'nullable',
        'set readings.device NOT NULL',
      ],
      [
        'column',
        'column extra',
        'absent (not in the spec)',
        'present',
        'drop column readings.extra',
      ],
      [
        'index',
        'index readings_device_idx',
        'btree on (device)',
        'missing',
        'create index readings_device_idx on readings: btree on (device)',
      ],
      [
        'chunkInterval',
        'chunk interval',
        '7 days',
        '1 day',
        'set the chunk interval of readings to 7 days (new chunks only)',
      ],
      [
        'retentionPolicy',
        'retention policy',
        'drop_after 1 month',
        'none (removed?)',
        'add a retention policy to readings (drop_after 1 month)',
      ],
    ]);
  });

  it('lists the hypertable, compression and policies of a plain table', () => {
    const plain = live((t) => ({ ...t, hypertable: undefined }));
    expect(compareSchemas(plain, desired).map((d) => [d.what, d.actual])).to.deep.equal([
      ['hypertable', 'plain table'],
      ['compression', 'none (plain table)'],
      ['compression policy', 'none (plain table)'],
      ['retention policy', 'none (plain table)'],
    ]);
  });

  it('compares intervals as durations and order_by with its default left out', () => {
    const same = live((t) => ({
      ...t,
      hypertable: t.hypertable && {
        ...t.hypertable,
        chunkInterval: interval('1 week'),
        dropAfter: interval('30 days'),
      },
    }));
    expect(compareSchemas(same, desired)).to.deep.equal([]);
  });

  it('reports a missing table, and extra tables only when asked', () => {
    expect(compareTables(undefined, base).map((d) => d.change)).to.deep.equal([
      'create table readings',
    ]);
    const withExtra: Schema = { tables: [...desired.tables, { ...base, name: 'other' }] };
    expect(compareSchemas(withExtra, desired)).to.deep.equal([]);
    expect(
      compareSchemas(withExtra, desired, { extraTables: true }).map((d) => d.change),
    ).to.deep.equal(['drop table other']);
  });

  it('leaves alone what prism.yaml cannot state', () => {
    const withFk = live((t) => ({
      ...t,
      unsupported: [{ what: 'constraint readings_device_fkey', detail: 'a foreign key' }],
    }));
    expect(compareSchemas(withFk, desired)).to.deep.equal([]);
  });
});

describe('sameDefault', () => {
  const lit = (value: string | number | boolean) => ({ kind: 'literal' as const, value });
  it('compares literals as values of the column type', () => {
    expect(
      sameDefault(
        'timestamp with time zone',
        lit('2024-01-01T00:00:00Z'),
        lit('2024-01-01 01:00:00+01'),
      ),
    ).to.equal(true);
    expect(
      sameDefault(
        'timestamp with time zone',
        lit('2024-01-01T00:00:00Z'),
        lit('2024-01-01 00:00:01+00'),
      ),
    ).to.equal(false);
    expect(sameDefault('numeric(10,2)', lit('12.50'), lit('12.5'))).to.equal(true);
    expect(sameDefault('numeric(10,2)', lit('12.50'), lit('12.51'))).to.equal(false);
    expect(sameDefault('double precision', lit(0.5), lit('0.50'))).to.equal(true);
    expect(sameDefault('time without time zone', lit('08:30'), lit('08:30:00'))).to.equal(true);
    expect(sameDefault('jsonb', lit('{"b":1,"a":[1, 2]}'), lit('{"a": [1, 2], "b": 1}'))).to.equal(
      true,
    );
    expect(sameDefault('text', lit('a'), lit('A'))).to.equal(false);
  });
  it('tells functions, expressions and no default apart', () => {
    const now = { kind: 'function' as const, name: 'now' as const };
    expect(sameDefault('date', now, now)).to.equal(true);
    expect(sameDefault('date', now, { kind: 'function', name: 'current_date' })).to.equal(false);
    expect(
      sameDefault('integer', { kind: 'expression', sql: "nextval('s'::regclass)" }, undefined),
    ).to.equal(false);
    expect(sameDefault('integer', undefined, undefined)).to.equal(true);
  });
});
