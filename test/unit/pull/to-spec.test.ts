import { expect } from 'chai';
import { modelNameOf, schemaToSpec, type PulledSpec } from '../../../lib/pull/to-spec.js';
import { compileSpec, termText } from '../../../lib/schema/compile.js';
import type { Column, Hypertable, Index, Schema, Table } from '../../../lib/schema/types.js';
import { integerNowFunctionBaseName } from '../../../lib/spec/identifiers.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { LoadedSpec, TimeAmount } from '../../../lib/spec/types.js';
import { parseInterval } from '../../../lib/sql/interval.js';

function interval(text: string): TimeAmount {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { kind: 'interval', interval: parsed.interval };
}

const integer = (value: bigint): TimeAmount => ({ kind: 'integer', value });

function col(name: string, type: string, extra: Partial<Column> = {}): Column {
  return { name, type, notNull: true, ...extra };
}

function asc(...columns: string[]): Index['columns'] {
  return columns.map((column) => ({ column, direction: 'ASC' as const }));
}

function index(name: string, columns: Index['columns'], extra: Partial<Index> = {}): Index {
  return { name, columns, method: 'btree', unique: false, ...extra };
}

function table(name: string, columns: Column[], extra: Partial<Table> = {}): Table {
  return { schema: 'public', name, columns, checks: [], indexes: [], unsupported: [], ...extra };
}

/** Tables as compileSpec and the catalog both state them: indexes and CHECKs by name. */
function comparable(schema: Schema): unknown {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, clean(v)]),
    );
  };
  const byName = <T extends { name: string }>(items: readonly T[]) =>
    [...items].sort((a, b) => a.name.localeCompare(b.name));
  return schema.tables.map((t) =>
    clean({
      schema: t.schema,
      name: t.name,
      columns: t.columns,
      primaryKey: t.primaryKey,
      checks: byName(t.checks),
      indexes: byName(t.indexes),
      hypertable: t.hypertable,
    }),
  );
}

interface Pulled extends PulledSpec {
  readonly loaded: LoadedSpec;
  readonly compiled: Schema;
}

function pull(...tables: Table[]): Pulled {
  const pulled = schemaToSpec({ tables });
  const loaded = parseSpec(pulled.text, 'prism.yaml');
  expect(loaded.warnings, 'warnings of the pulled spec').to.deep.equal([]);
  return { ...pulled, loaded, compiled: compileSpec(loaded.spec) };
}

/** The lines of the pulled text from the one matching `from`, `count` of them. */
function linesAt(text: string, from: RegExp, count: number): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => from.test(l));
  expect(at, `a line matching ${String(from)} in\n${text}`).to.be.at.least(0);
  return lines.slice(at, at + count).map((l) => l.trim());
}

const STOCKS = table(
  'stocks_real_time',
  [
    col('time', 'timestamp with time zone'),
    col('symbol', 'text'),
    col('price', 'double precision', { notNull: false }),
    col('day_volume', 'integer', { notNull: false }),
  ],
  {
    indexes: [index('ix_symbol_time', asc('symbol', 'time'))],
    hypertable: { timeColumn: 'time', chunkInterval: interval('1 day') },
  },
);

const EVERY_TYPE = table(
  'every_type',
  [
    col('id', 'uuid', { default: { kind: 'function', name: 'gen_random_uuid' } }),
    col('name', 'character varying(100)', { default: { kind: 'literal', value: "O'Brien" } }),
    col('free', 'character varying', { notNull: false }),
    col('body', 'text', { notNull: false, default: { kind: 'literal', value: '' } }),
    col('status', 'text', { default: { kind: 'literal', value: 'new' } }),
    col('count', 'integer', { default: { kind: 'literal', value: -1 } }),
    col('total', 'bigint', { default: { kind: 'literal', value: 9_007_199_254_740_991 } }),
    col('ratio', 'double precision', { default: { kind: 'literal', value: 0.5 } }),
    col('price', 'numeric(10,2)', { default: { kind: 'literal', value: '12.50' } }),
    col('whole', 'numeric(5,0)', { notNull: false }),
    col('any_number', 'numeric', { notNull: false }),
    col('active', 'boolean', { default: { kind: 'literal', value: false } }),
    col('created_at', 'timestamp with time zone', { default: { kind: 'function', name: 'now' } }),
    col('born', 'date', { notNull: false, default: { kind: 'function', name: 'current_date' } }),
    col('opens', 'time without time zone', { default: { kind: 'literal', value: '08:30:00' } }),
    col('meta', 'jsonb', { notNull: false, default: { kind: 'literal', value: '{}' } }),
  ],
  {
    primaryKey: { name: 'every_type_pkey', columns: ['id'] },
    checks: [
      { name: 'every_type_status_check', column: 'status', values: ['new', 'done', "it's"] },
    ],
    indexes: [
      index('every_type_name_idx', asc('name'), { unique: true }),
      index('every_type_created_at_idx', asc('created_at')),
    ],
  },
);

const READINGS = table(
  'sensor_data',
  [
    col('time', 'timestamp with time zone'),
    col('sensor_id', 'integer'),
    col('temperature', 'double precision', { notNull: false }),
    col('cpu', 'double precision', { notNull: false }),
    col('tags', 'jsonb', { notNull: false }),
  ],
  {
    primaryKey: { name: 'sensor_data_pkey', columns: ['sensor_id', 'time'] },
    indexes: [
      index('sensor_data_sensor_id_time_idx', asc('sensor_id', 'time'), { unique: true }),
      index('sensor_data_temperature_idx', asc('temperature'), { method: 'brin' }),
      index('sensor_data_cpu_hash', asc('cpu'), { method: 'hash' }),
      index('sensor_data_tags_idx', asc('tags'), { method: 'gin' }),
      index('sensor_data_sensor_id_idx', asc('sensor_id')),
    ],
    hypertable: {
      timeColumn: 'time',
      chunkInterval: interval('12 hours'),
      compression: {
        segmentBy: ['sensor_id'],
        orderBy: [
          { column: 'time', direction: 'DESC' },
          { column: 'cpu', direction: 'ASC', nulls: 'FIRST' },
        ],
      },
      compressAfter: interval('7 days'),
      dropAfter: interval('1 year'),
    },
  },
);

const METRICS = table(
  'metrics',
  [col('ts', 'bigint'), col('device', 'text'), col('value', 'double precision')],
  {
    hypertable: {
      timeColumn: 'ts',
      chunkInterval: integer(86_400_000n),
      integerNow: { function: integerNowFunctionBaseName('metrics'), unit: 'ms' },
      compression: { segmentBy: ['device'], orderBy: [] },
      compressAfter: integer(604_800_000n),
      dropAfter: integer(2_592_000_000n),
    },
  },
);

describe('pull: schema → prism.yaml', () => {
  it('names models in PascalCase and writes `table:` only where the model name does not give it', () => {
    expect(modelNameOf('sensor_readings')).to.equal('SensorReadings');
    expect(modelNameOf('users')).to.equal('Users');
    expect(modelNameOf('_tmp__x2')).to.equal('TmpX2');
    expect(modelNameOf('Readings')).to.equal('Readings');
    expect(modelNameOf('___')).to.equal('___');
    const { loaded, text } = pull(
      table('users', [col('id', 'uuid')]),
      table('sensor_readings', [col('id', 'uuid')]),
      table('Readings', [col('id', 'uuid')]),
      table('sensor__readings', [col('id', 'uuid')]),
    );
    expect(loaded.spec.models.map((m) => [m.name, m.table])).to.deep.equal([
      ['Users', 'users'],
      ['SensorReadings', 'sensor_readings'],
      ['Readings', 'Readings'],
      ['SensorReadings2', 'sensor__readings'],
    ]);
    expect(text).not.to.match(/table: users/);
    expect(text.split('\n').filter((l) => !l.startsWith('#') && l !== '')[0]).to.equal(
      'timescale: auto',
    );
  });

  it('writes every field type, key, default, enum and field index so that compiling it gives the same tables', () => {
    const schema: Schema = { tables: [EVERY_TYPE, STOCKS, READINGS, METRICS] };
    const { compiled, notes, loaded } = pull(...schema.tables);
    expect(notes).to.deep.equal([]);
    expect(comparable(compiled)).to.deep.equal(comparable(schema));
    // The key of sensor_data ends in its time column, which the fields list first.
    expect(loaded.adjustments.map((a) => a.message)).to.deep.equal([
      "primary key of model 'SensorData' is (sensor_id, time): TimescaleDB requires the time column 'time' in every primary key of a hypertable",
    ]);
  });

  it('writes readable YAML: one key a line, short lists on one line, defaults typed', () => {
    const { text } = pull(EVERY_TYPE, READINGS, METRICS);
    expect(linesAt(text, /name: name$/, 5)).to.deep.equal([
      '- name: name',
      'type: string',
      'max_length: 100',
      'unique: true',
      `default: O'Brien`,
    ]);
    expect(linesAt(text, /name: status$/, 4)).to.deep.equal([
      '- name: status',
      'type: enum',
      "values: [new, done, it's]",
      'default: new',
    ]);
    expect(linesAt(text, /name: price$/, 5)).to.deep.equal([
      '- name: price',
      'type: decimal',
      'precision: 10',
      'scale: 2',
      'default: "12.50"',
    ]);
    expect(linesAt(text, /name: active$/, 3)).to.include('default: false');
    expect(linesAt(text, /name: meta$/, 4)).to.include(`default: "{}"`);
    expect(linesAt(text, /time_column: time$/, 28)).to.deep.equal([
      'time_column: time',
      'chunk_interval: 12 hours',
      'compression:',
      'enabled: true',
      'segment_by: [sensor_id]',
      'order_by: [time DESC, cpu NULLS FIRST]',
      'after: 7 days',
      'retention:',
      'enabled: true',
      'drop_after: 1 year',
      'indexes:',
      '- columns: [sensor_id, time]',
      'unique: true',
      '- columns: [temperature]',
      'type: brin',
      '- columns: [cpu]',
      'type: hash',
      'name: sensor_data_cpu_hash',
      '- columns: [tags]',
      'type: gin',
      '- name: Metrics',
      'fields:',
      '- name: ts',
      'type: bigint',
      '- name: device',
      'type: text',
      '- name: value',
      'type: float',
    ]);
    expect(linesAt(text, /time_column: ts$/, 3)).to.deep.equal([
      'time_column: ts',
      'chunk_interval: 86400000',
      'time_unit: ms',
    ]);
    expect(text).to.match(/sensor_id\n\s+type: int\n\s+primary_key: true\n\s+index: true\n/);
  });

  describe('what prism.yaml cannot state: a comment at its place and a note', () => {
    it('columns without a field type are left out, each named where it was', () => {
      const types = [
        'time with time zone',
        'bit(8)',
        'timestamp(3) with time zone',
        'bit varying(5)',
        '"char"',
        'interval(3)',
        'numeric(5,-2)',
        'character(3)',
      ];
      const { notes, text, loaded } = pull(
        table('odd', [
          col('id', 'uuid'),
          ...types.map((t, i) => col(`c${i}`, t)),
          col('last', 'text'),
        ]),
      );
      expect(notes.map((n) => n.what)).to.deep.equal(types.map((t, i) => `column c${i} (${t})`));
      expect(notes[0]).to.deep.equal({
        table: 'odd',
        what: 'column c0 (time with time zone)',
        detail: 'prism.yaml has no field type for time with time zone; left out',
      });
      expect(loaded.spec.models[0]?.fields.map((f) => f.name)).to.deep.equal(['id', 'last']);
      const before = linesAt(text, /# pull: column c0/, types.length + 1);
      expect(before.at(-1)).to.equal('- name: last');
      expect(text).to.match(/^# Comments starting with "pull:" name what .* \(8 in all\)/m);
    });

    it('a column whose name is no prism.yaml identifier is left out', () => {
      const { notes } = pull(table('t', [col('id', 'uuid'), col('Has Space', 'text')]));
      expect(notes).to.have.length(1);
      expect(notes[0]?.what).to.equal('column Has Space (text)');
      expect(notes[0]?.detail).to.match(/not a prism.yaml identifier/);
    });

    it('expression defaults, literals prism.yaml reads otherwise and identity columns: the field without them', () => {
      const { notes, text, compiled } = pull(
        table('users', [
          col('id', 'bigint', { identity: 'always' }),
          col('n', 'integer', {
            default: { kind: 'expression', sql: "nextval('users_n_seq'::regclass)" },
          }),
          col('label', 'text', { default: { kind: 'literal', value: 'now()' } }),
          col('big', 'bigint', { default: { kind: 'literal', value: '9007199254740993' } }),
        ]),
      );
      expect(notes.map((n) => n.what)).to.deep.equal([
        'identity of column id',
        'default of column n',
        'default of column label',
        'default of column big',
      ]);
      expect(notes[0]?.detail).to.equal(
        'GENERATED ALWAYS AS IDENTITY: prism.yaml has no identity fields; written as a plain bigint without it',
      );
      expect(notes[1]?.detail).to.equal(
        "DEFAULT nextval('users_n_seq'::regclass) is not a value prism.yaml can state; the field is written without it",
      );
      expect(notes[2]?.detail).to.match(
        /^DEFAULT "now\(\)" is refused by prism.yaml \(default now\(\) does not fit type text\)/,
      );
      expect(compiled.tables[0]?.columns.map((c) => c.default)).to.deep.equal([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      expect(linesAt(text, /# pull: default of column n/, 2)[1]).to.equal('- name: n');
    });

    it('enum CHECKs prism.yaml cannot hold, and names it would not find', () => {
      const { notes, loaded } = pull(
        table(
          'orders',
          [col('id', 'uuid'), col('state', 'text'), col('kind', 'character varying(10)')],
          {
            primaryKey: { name: 'orders_pk', columns: ['id'] },
            checks: [
              { name: 'state_values', column: 'state', values: ['a', 'b'] },
              { name: 'state_again', column: 'state', values: ['a'] },
              { name: 'orders_kind_check', column: 'kind', values: ['x'] },
            ],
          },
        ),
        table('long', [col('v', 'text')], {
          checks: [{ name: 'long_v_check', column: 'v', values: ['x'.repeat(64)] }],
        }),
      );
      expect(notes.map((n) => `${n.table}: ${n.what}`)).to.deep.equal([
        'orders: constraint state_again',
        'orders: constraint state_values',
        'orders: constraint orders_kind_check',
        'orders: primary key orders_pk',
        'long: constraint long_v_check',
      ]);
      expect(notes[1]?.detail).to.match(/names this CHECK orders_state_check/);
      expect(notes[2]?.detail).to.match(/enum fields are text, kind is character varying\(10\)/);
      expect(notes[3]?.detail).to.match(/names the key orders_pkey/);
      expect(notes[4]?.detail).to.match(/not 1 to 63 bytes/);
      const [orders, long] = loaded.spec.models;
      expect(orders?.fields.map((f) => f.type)).to.deep.equal(['uuid', 'enum', 'string']);
      expect(long?.fields.map((f) => f.type)).to.deep.equal(['text']);
    });

    it('indexes: on plain tables and hypertables, descending, NULLS order; refused ones and left-out columns noted', () => {
      const { notes, compiled } = pull(
        table('plain', [col('a', 'text'), col('b', 'text'), col('ip', 'character(2)')], {
          indexes: [
            index('plain_a_idx', asc('a')),
            index('plain_a_b_idx', asc('a', 'b')),
            index('b_lookup', asc('b')),
            index('plain_a_brin', asc('a'), { method: 'brin' }),
            index('plain_ip_idx', asc('ip')),
          ],
        }),
        {
          ...STOCKS,
          indexes: [
            index('stocks_desc', [
              { column: 'symbol', direction: 'ASC' },
              { column: 'time', direction: 'DESC' },
            ]),
            index('stocks_nulls', [{ column: 'symbol', direction: 'ASC', nulls: 'FIRST' }]),
            index('stocks_real_time_symbol_time_idx', [
              { column: 'symbol', direction: 'ASC' },
              { column: 'time', direction: 'DESC' },
            ]),
            index('stocks_gin', asc('symbol'), { method: 'gin' }),
            index('stocks_unique', asc('symbol'), { unique: true }),
          ],
        },
      );
      expect(notes.map((n) => `${n.what}: ${n.detail}`)).to.deep.equal([
        'column ip (character(2)): prism.yaml has no field type for character(2); left out',
        'index plain_ip_idx (ip): column ip is left out, so the index is left out',
        "index stocks_gin (symbol): a gin index needs json or array columns; 'symbol' is text; left out",
        "index stocks_unique (symbol): a unique index on a hypertable must include the time column 'time': TimescaleDB refuses unique indexes without the partitioning column; left out",
      ]);
      expect(compiled.tables.map((t) => t.indexes.map((i) => i.name))).to.deep.equal([
        ['plain_a_idx', 'plain_a_b_idx', 'b_lookup', 'plain_a_brin'],
        ['stocks_desc', 'stocks_nulls', 'stocks_real_time_symbol_time_idx'],
      ]);
      expect(compiled.tables[1]?.indexes.map((i) => i.columns.map(termText))).to.deep.equal([
        ['symbol', 'time DESC'],
        ['symbol NULLS FIRST'],
        ['symbol', 'time DESC'],
      ]);
    });

    it('a key whose order the fields cannot give, and a key on a left-out column', () => {
      const { notes, compiled } = pull(
        table('pairs', [col('a', 'text'), col('b', 'text')], {
          primaryKey: { name: 'pairs_pkey', columns: ['b', 'a'] },
        }),
        table('odd_key', [col('a', 'text'), col('s', 'time with time zone')], {
          primaryKey: { name: 'odd_key_pkey', columns: ['a', 's'] },
        }),
      );
      expect(notes.map((n) => `${n.what}: ${n.detail}`)).to.deep.equal([
        "primary key pairs_pkey (b, a): prism.yaml orders a key's columns as its fields; written as (a, b)",
        'column s (time with time zone): prism.yaml has no field type for time with time zone; left out',
        'primary key odd_key_pkey (a, s): column s is left out, so the key is left out',
      ]);
      expect(compiled.tables.map((t) => t.primaryKey?.columns)).to.deep.equal([
        ['a', 'b'],
        undefined,
      ]);
    });

    it('a hypertable whose time column is left out loses its timeseries block', () => {
      const rides = table(
        'rides',
        [
          col('vendor_id', 'text', { notNull: false }),
          col('pickup_datetime', 'timestamp(3) with time zone'),
          col('fare_amount', 'numeric', { notNull: false }),
        ],
        {
          indexes: [
            index('rides_vendor_id_pickup_datetime_idx', asc('vendor_id', 'pickup_datetime')),
          ],
          hypertable: {
            timeColumn: 'pickup_datetime',
            chunkInterval: interval('7 days'),
            dropAfter: interval('1 year'),
          },
        },
      );
      const { notes, loaded, text } = pull(rides);
      expect(notes.map((n) => n.what)).to.deep.equal([
        'column pickup_datetime (timestamp(3) with time zone)',
        'hypertable on pickup_datetime',
        'index rides_vendor_id_pickup_datetime_idx (vendor_id, pickup_datetime)',
      ]);
      expect(notes[1]?.detail).to.equal(
        'its time column is left out, so no timeseries block is written (chunk_interval 7 days, retention drop_after 1 year)',
      );
      expect(loaded.spec.models[0]?.timeseries).to.equal(undefined);
      expect(text).to.match(
        /type: decimal\n {8}optional: true\n {4}# pull: hypertable on pickup_datetime/,
      );
    });

    it('an integer-now function prism-migrate did not make: no time_unit, and the policies that need one left out', () => {
      const foreign: Hypertable = {
        ...(METRICS.hypertable as Hypertable),
        integerNow: { function: 'unix_now' },
      };
      const { notes, loaded } = pull({ ...METRICS, hypertable: foreign });
      expect(notes.map((n) => `${n.what}: ${n.detail}`)).to.deep.equal([
        'integer-now function unix_now: not one prism-migrate makes (metrics_prism_now, from time_unit); time_unit is not written and the baseline does not set it',
        'compression policy: compress after 604800000 needs an integer-now function prism-migrate makes (time_unit); left out',
        'retention policy: drop_after 2592000000 needs an integer-now function prism-migrate makes (time_unit); left out',
      ]);
      const ts = loaded.spec.models[0]?.timeseries;
      expect(ts?.timeUnit).to.equal(undefined);
      expect(ts?.compression).to.deep.include({ enabled: true, after: undefined });
      expect(ts?.retention).to.equal(undefined);
    });

    it('compression settings on left-out columns are left out of them', () => {
      const odd: Table = {
        ...READINGS,
        columns: [...READINGS.columns, col('zone', 'time with time zone')],
        indexes: [],
        primaryKey: undefined,
        hypertable: {
          timeColumn: 'time',
          chunkInterval: interval('1 day'),
          compression: { segmentBy: ['zone', 'sensor_id'], orderBy: [] },
        },
      };
      const { notes, loaded } = pull(odd);
      expect(notes.map((n) => `${n.what}: ${n.detail}`)).to.deep.equal([
        'column zone (time with time zone): prism.yaml has no field type for time with time zone; left out',
        'compression segment_by zone: the column is left out, so it is left out here too',
      ]);
      expect(loaded.spec.models[0]?.timeseries?.compression?.segmentBy).to.deep.equal([
        'sensor_id',
      ]);
    });

    it('compression chunk_interval and sparse indexes: written when prism.yaml can hold them', () => {
      const tuned = (merge: string): Table => ({
        ...READINGS,
        columns: READINGS.columns.filter((c) => c.name !== 'zone'),
        indexes: [],
        primaryKey: undefined,
        hypertable: {
          timeColumn: 'time',
          chunkInterval: interval('1 day'),
          compression: {
            segmentBy: ['sensor_id'],
            orderBy: [],
            chunkInterval: interval(merge),
            sparseIndexes: [
              { column: 'cpu', type: 'bloom' },
              { column: 'temperature', type: 'minmax' },
            ],
          },
        },
      });
      const whole = pull(tuned('7 days'));
      const c = whole.loaded.spec.models[0]?.timeseries?.compression;
      expect(c?.chunkInterval).to.deep.equal(interval('7 days'));
      expect(c?.sparseIndexes).to.deep.equal([
        { column: 'cpu', type: 'bloom' },
        { column: 'temperature', type: 'minmax' },
      ]);
      expect(whole.compiled.tables[0]?.hypertable?.compression).to.deep.equal(
        tuned('7 days').hypertable?.compression,
      );
      // Not a whole number of chunks: valid for TimescaleDB (a warning), not for prism.yaml.
      const odd = pull(tuned('36 hours'));
      expect(odd.loaded.spec.models[0]?.timeseries?.compression?.chunkInterval).to.equal(undefined);
      expect(odd.notes.map((n) => `${n.what}: ${n.detail}`)).to.include(
        'compression chunk_interval: compress_chunk_time_interval 36 hours is not a multiple of the chunk interval; left out',
      );
    });

    it("the catalog's unsupported entries: at their column, or after the model", () => {
      const { notes, text } = pull(
        table('t', [col('id', 'uuid'), col('ip', 'character(2)'), col('name', 'text')], {
          unsupported: [
            { what: 'column name', detail: 'COLLATE "C"' },
            { what: 'column ip', detail: 'an inet column' },
            { what: 'column ip', detail: 'collation x' },
            { what: 'constraint t_fk', detail: 'FOREIGN KEY (id) REFERENCES other(id)' },
          ],
        }),
      );
      expect(notes.map((n) => `${n.what}: ${n.detail}`)).to.deep.equal([
        'column ip (character(2)): an inet column; collation x; prism.yaml has no field type for character(2); left out',
        'column name: COLLATE "C"; the field is written without it',
        'constraint t_fk: FOREIGN KEY (id) REFERENCES other(id); left out',
      ]);
      expect(linesAt(text, /# pull: column ip/, 3).slice(1)).to.deep.equal([
        '# pull: column name: COLLATE "C"; the field is written without it',
        '- name: name',
      ]);
      expect(text.trimEnd().split('\n').at(-1)).to.equal(
        '    # pull: constraint t_fk: FOREIGN KEY (id) REFERENCES other(id); left out',
      );
    });

    it('other objects of the schema, said once that prism.yaml cannot state them', () => {
      const { notes } = schemaToSpec({
        tables: [],
        unsupported: [
          { what: 'view public.v', detail: 'a view' },
          {
            what: 'continuous aggregate public.c',
            detail: 'a continuous aggregate prism.yaml cannot state: a WHERE clause',
          },
        ],
      });
      expect(notes.map((n) => `${n.what}: ${n.detail}`)).to.deep.equal([
        'view public.v: a view: prism.yaml cannot state it; left out',
        'continuous aggregate public.c: a continuous aggregate prism.yaml cannot state: a WHERE clause; left out',
      ]);
    });

    it('tables it cannot write at all: a name that is no identifier, no column with a field type', () => {
      const { notes, loaded, text } = pull(
        table('bad-name', [col('id', 'uuid')]),
        table('only_odd', [col('x', 'time with time zone')]),
        table('fine', [col('id', 'uuid')]),
      );
      expect(notes.map((n) => `${n.table}: ${n.what}`)).to.deep.equal([
        'bad-name: table bad-name',
        'only_odd: table only_odd',
      ]);
      expect(loaded.spec.models.map((m) => m.name)).to.deep.equal(['Fine']);
      expect(linesAt(text, /# pull: table bad-name/, 3)[2]).to.equal('- name: Fine');
    });

    it('text from the catalog stays inside its comment', () => {
      const { text, loaded } = pull(
        table('t', [
          col('v', 'text', {
            default: { kind: 'expression', sql: "'a'::text ||\n'models: []\r\n# x'::text" },
          }),
        ]),
      );
      expect(loaded.spec.models[0]?.fields[0]?.default).to.equal(undefined);
      expect(text).to.include(
        "# pull: default of column v: DEFAULT 'a'::text || 'models: [] # x'::text is not a value",
      );
    });
  });

  it('puts the header first', () => {
    const { text } = schemaToSpec(
      { tables: [table('t', [col('id', 'uuid')])] },
      { header: 'Written by prism-migrate pull' },
    );
    expect(text.split('\n').slice(0, 3)).to.deep.equal([
      '# Written by prism-migrate pull',
      '',
      'timescale: auto',
    ]);
  });
});
