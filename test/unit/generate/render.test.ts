/**
 * Rendering Change[] into migration files: golden files (UPDATE_GOLDEN=1 rewrites them),
 * every change kind, the files typecheck and run, and spec text reaches SQL only as
 * escaped literals inside JavaScript strings.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrationBuilder } from 'node-pg-migrate';
import type { AggregateDef, Change, ChangeKind } from '../../../lib/diff/changes.js';
import { describeChange } from '../../../lib/diff/describe.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { parseSpec } from '../../../lib/spec/load.js';
import {
  columnDefinition,
  columnType,
  enumCheckName,
  primaryKeyName,
  stringLiteralSql,
} from '../../../lib/generate/columns.js';
import { jsString, renderChange, renderMigration } from '../../../lib/generate/render.js';
import {
  AGGREGATE_CHANGE_KINDS,
  TIMESCALE_CHANGE_KINDS,
  aggregateOperationCall,
  isAggregateChange,
  isTimescaleChange,
  operationCall,
  operationSql,
} from '../../../lib/generate/operation-calls.js';
import { importMigration } from '../../../lib/runner/loader.js';
import { parseInterval } from '../../../lib/sql/interval.js';
import { quoteLiteral } from '../../../lib/sql/quote.js';
import type {
  AggregateRefresh,
  Field,
  FieldType,
  Model,
  TimeAmount,
} from '../../../lib/spec/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const GOLDEN = join(ROOT, 'test', 'fixtures', 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

// ---------------------------------------------------------------------------------------
// Fixtures

const field = (name: string, type: FieldType, extra: Partial<Field> = {}): Field => ({
  name,
  type,
  primaryKey: false,
  index: false,
  unique: false,
  optional: false,
  ...extra,
});

const asc = (column: string) => ({ column, direction: 'ASC' as const });

const iv = (text: string): TimeAmount => {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { kind: 'interval', interval: parsed.interval };
};

const DATAPOINT: Model = {
  name: 'DataPoint',
  table: 'datapoint',
  fields: [
    field('id', 'uuid', {
      primaryKey: true,
      default: { kind: 'function', name: 'gen_random_uuid' },
    }),
    field('timestamp', 'datetime', { index: true }),
    field('source', 'string', { maxLength: 100, index: true }),
    field('value', 'float'),
    field('metadata', 'json', { optional: true }),
  ],
  primaryKey: ['id', 'timestamp'],
  timeseries: {
    timeColumn: 'timestamp',
    chunkInterval: iv('1 week'),
    compression: {
      enabled: true,
      after: iv('1 month'),
      segmentBy: ['source'],
      orderBy: [{ column: 'timestamp', direction: 'DESC' }],
    },
    retention: { enabled: true, dropAfter: iv('1 year') },
    indexes: [
      {
        name: 'datapoint_source_timestamp_idx',
        columns: [asc('source'), asc('timestamp')],
        type: 'btree',
        unique: false,
      },
    ],
  },
  timescale: 'auto',
};

const TICKS: Model = {
  name: 'Tick',
  table: 'tick',
  fields: [
    field('at', 'bigint'),
    field('symbol', 'string', { maxLength: 12 }),
    field('price', 'decimal', { precision: 12, scale: 4 }),
  ],
  primaryKey: [],
  timeseries: {
    timeColumn: 'at',
    chunkInterval: { kind: 'integer', value: 86_400_000n },
    timeUnit: 'ms',
    compression: {
      enabled: true,
      after: { kind: 'integer', value: 604_800_000n },
      segmentBy: [],
      orderBy: [],
    },
    retention: { enabled: true, dropAfter: { kind: 'integer', value: 31_536_000_000n } },
    indexes: [],
  },
  timescale: 'require',
};

const HOSTILE_DEFAULT = "'); DROP TABLE x; --\n*/ pgm.dropTable('x'); //";
const QUOTED_ENUM_VALUE = 'it\'s "quoted" \\ DROP TABLE x';

const STATUS = field('status', 'enum', {
  values: ['new', "O'Brien", QUOTED_ENUM_VALUE],
  default: { kind: 'literal', value: 'new' },
});

const PEOPLE: Model = {
  name: 'Person',
  table: 'person',
  fields: [
    field('id', 'int', { primaryKey: true }),
    field('name', 'string', { maxLength: 80, default: { kind: 'literal', value: "O'Brien" } }),
    field('note', 'text', { optional: true, default: { kind: 'literal', value: HOSTILE_DEFAULT } }),
    STATUS,
    field('score', 'decimal', { precision: 5, default: { kind: 'literal', value: -1.5 } }),
    field('active', 'boolean', { default: { kind: 'literal', value: true } }),
    field('born', 'date', { optional: true, default: { kind: 'function', name: 'current_date' } }),
    field('wakes', 'time', { optional: true, default: { kind: 'literal', value: '07:30:00' } }),
    field('created', 'datetime', { default: { kind: 'function', name: 'now' } }),
    field('amount', 'decimal'),
  ],
  primaryKey: ['id'],
  timescale: 'off',
};

const SEED: Change[] = [
  { kind: 'createTable', model: DATAPOINT },
  {
    kind: 'addIndex',
    table: 'datapoint',
    index: {
      name: 'datapoint_source_timestamp_idx',
      columns: [asc('source'), asc('timestamp')],
      type: 'btree',
      unique: false,
    },
  },
  {
    kind: 'createHypertable',
    table: 'datapoint',
    hypertable: { timeColumn: 'timestamp', chunkInterval: iv('1 week') },
    timescale: 'auto',
  },
  {
    kind: 'enableCompression',
    table: 'datapoint',
    settings: { segmentBy: ['source'], orderBy: [{ column: 'timestamp', direction: 'DESC' }] },
    timescale: 'auto',
  },
  { kind: 'addCompressionPolicy', table: 'datapoint', after: iv('1 month'), timescale: 'auto' },
  { kind: 'addRetentionPolicy', table: 'datapoint', dropAfter: iv('1 year'), timescale: 'auto' },
];

const EVOLUTION: Change[] = [
  { kind: 'removeRetentionPolicy', table: 'datapoint', dropAfter: iv('1 year'), timescale: 'auto' },
  {
    kind: 'addColumn',
    table: 'datapoint',
    field: field('unit', 'string', { maxLength: 16, optional: true }),
  },
  {
    kind: 'alterColumn',
    table: 'datapoint',
    from: field('source', 'string', { maxLength: 100, index: true }),
    to: field('source', 'string', {
      maxLength: 200,
      index: true,
      default: { kind: 'literal', value: 'unknown' },
    }),
  },
  {
    kind: 'alterColumn',
    table: 'datapoint',
    from: field('value', 'float'),
    to: field('value', 'decimal', { precision: 12, scale: 3, optional: true }),
  },
  {
    kind: 'setChunkInterval',
    table: 'datapoint',
    from: iv('1 week'),
    to: iv('1 day'),
    timescale: 'auto',
  },
  { kind: 'addRetentionPolicy', table: 'datapoint', dropAfter: iv('2 years'), timescale: 'auto' },
];

const DROP: Change[] = [
  {
    kind: 'dropIndex',
    table: 'person',
    index: { name: 'person_name_idx', columns: [asc('name')], type: 'btree', unique: true },
  },
  { kind: 'dropColumn', table: 'person', field: STATUS },
  { kind: 'dropModel', model: DATAPOINT },
  { kind: 'dropModel', model: TICKS },
];

const ENUM_AND_DEFAULTS: Change[] = [
  { kind: 'createTable', model: PEOPLE },
  {
    kind: 'alterColumn',
    table: 'person',
    from: STATUS,
    to: {
      ...STATUS,
      values: ['new', "O'Brien", 'gone'],
      default: { kind: 'literal', value: "O'Brien" },
    },
  },
  {
    kind: 'addColumn',
    table: 'person',
    field: field('mood', 'enum', {
      values: ["can't", 'won\'t "ever"', 'multi\nline'],
      optional: true,
    }),
  },
];

const HOURLY: AggregateDef = {
  name: 'datapoint_hourly',
  source: { kind: 'table', name: 'datapoint', timeColumn: 'timestamp' },
  bucket: iv('1 hour'),
  groupBy: ['device'],
  columns: [
    { name: 'avg_value', function: 'avg', argument: 'value' },
    { name: 'max_value', function: 'max', argument: 'value' },
    { name: 'samples', function: 'count' },
  ],
  realtime: false,
};
const DAILY: AggregateDef = {
  name: 'datapoint_daily',
  source: { kind: 'aggregate', name: 'datapoint_hourly' },
  bucket: iv('1 day'),
  groupBy: ['device'],
  columns: [
    { name: 'max_value', function: 'max', argument: 'max_value' },
    { name: 'samples', function: 'sum', argument: 'samples' },
  ],
  realtime: true,
};
const REFRESH: AggregateRefresh = {
  startOffset: iv('30 days'),
  endOffset: iv('1 hour'),
  scheduleInterval: (() => {
    const every = iv('30 minutes');
    if (every.kind !== 'interval') throw new Error('not an interval');
    return every.interval;
  })(),
};

/** One change of every kind; the mapped type makes a new kind a compile error here. */
const ONE_OF_EACH: { [K in ChangeKind]: Extract<Change, { kind: K }> } = {
  createModel: { kind: 'createModel', model: TICKS },
  dropModel: { kind: 'dropModel', model: PEOPLE },
  createTable: { kind: 'createTable', model: PEOPLE },
  dropTable: { kind: 'dropTable', model: PEOPLE },
  renameTable: { kind: 'renameTable', from: 'person', to: 'people' },
  addColumn: {
    kind: 'addColumn',
    table: 'people',
    field: field('nick', 'string', { optional: true }),
  },
  dropColumn: {
    kind: 'dropColumn',
    table: 'people',
    field: field('age', 'int', { optional: true }),
  },
  renameColumn: { kind: 'renameColumn', table: 'people', from: 'status', to: 'state' },
  alterColumn: {
    kind: 'alterColumn',
    table: 'people',
    from: field('age', 'int', { optional: true, default: { kind: 'literal', value: 0 } }),
    to: field('age', 'bigint'),
  },
  setPrimaryKey: { kind: 'setPrimaryKey', table: 'people', from: ['id'], to: ['id', 'name'] },
  addIndex: {
    kind: 'addIndex',
    table: 'tick',
    index: { name: 'tick_at_brin', columns: [asc('at')], type: 'brin', unique: false },
  },
  dropIndex: {
    kind: 'dropIndex',
    table: 'tick',
    index: { name: 'tick_symbol_idx', columns: [asc('symbol')], type: 'hash', unique: false },
  },
  addDefaultTimeIndex: {
    kind: 'addDefaultTimeIndex',
    table: 'tick',
    timeColumn: 'at',
    timescale: 'auto',
  },
  dropDefaultTimeIndex: {
    kind: 'dropDefaultTimeIndex',
    table: 'tick',
    timeColumn: 'at',
    timescale: 'require',
  },
  addForeignKey: {
    kind: 'addForeignKey',
    table: 'tick',
    foreignKey: {
      name: 'tick_symbol_fkey',
      column: 'symbol',
      references: { table: 'symbol', column: 'code' },
      onDelete: 'cascade',
      onUpdate: 'no action',
    },
  },
  dropForeignKey: {
    kind: 'dropForeignKey',
    table: 'people',
    foreignKey: {
      name: 'people_manager_fkey',
      column: 'manager',
      references: { table: 'people', column: 'id' },
      onDelete: 'set null',
      onUpdate: 'restrict',
    },
  },
  createHypertable: {
    kind: 'createHypertable',
    table: 'datapoint',
    hypertable: { timeColumn: 'timestamp' },
    timescale: 'auto',
  },
  revertHypertable: {
    kind: 'revertHypertable',
    table: 'tick',
    hypertable: { timeColumn: 'at', chunkInterval: { kind: 'integer', value: 86_400_000n } },
    timescale: 'require',
  },
  setChunkInterval: {
    kind: 'setChunkInterval',
    table: 'datapoint',
    from: undefined,
    to: iv('1 day'),
    timescale: 'auto',
  },
  enableCompression: {
    kind: 'enableCompression',
    table: 'tick',
    settings: { segmentBy: ['symbol'], orderBy: [] },
    timescale: 'require',
  },
  disableCompression: {
    kind: 'disableCompression',
    table: 'datapoint',
    settings: {
      segmentBy: [],
      orderBy: [{ column: 'timestamp', direction: 'ASC', nulls: 'FIRST' }],
    },
    timescale: 'auto',
  },
  alterCompression: {
    kind: 'alterCompression',
    table: 'datapoint',
    from: { segmentBy: ['source'], orderBy: [{ column: 'timestamp', direction: 'DESC' }] },
    to: {
      segmentBy: ['source', 'unit'],
      orderBy: [{ column: 'timestamp', direction: 'DESC', nulls: 'LAST' }],
    },
    timescale: 'auto',
  },
  addCompressionPolicy: {
    kind: 'addCompressionPolicy',
    table: 'tick',
    after: { kind: 'integer', value: 604_800_000n },
    timescale: 'require',
  },
  removeCompressionPolicy: {
    kind: 'removeCompressionPolicy',
    table: 'datapoint',
    after: iv('1 month'),
    timescale: 'auto',
  },
  addRetentionPolicy: {
    kind: 'addRetentionPolicy',
    table: 'datapoint',
    dropAfter: iv('90 days'),
    timescale: 'auto',
  },
  removeRetentionPolicy: {
    kind: 'removeRetentionPolicy',
    table: 'tick',
    dropAfter: { kind: 'integer', value: 31_536_000_000n },
    timescale: 'require',
  },
  setIntegerNow: {
    kind: 'setIntegerNow',
    table: 'tick',
    timeColumn: 'at',
    columnType: 'bigint',
    unit: 'ms',
    timescale: 'require',
  },
  dropIntegerNow: {
    kind: 'dropIntegerNow',
    table: 'tick',
    timeColumn: 'at',
    columnType: 'int',
    unit: 's',
    timescale: 'auto',
  },
  setNumberPartitions: {
    kind: 'setNumberPartitions',
    table: 'tick',
    column: 'symbol',
    from: 4,
    to: 8,
    timescale: 'auto',
  },
  addReorderPolicy: {
    kind: 'addReorderPolicy',
    table: 'tick',
    index: 'tick_symbol_at_idx',
    timescale: 'auto',
  },
  removeReorderPolicy: {
    kind: 'removeReorderPolicy',
    table: 'datapoint',
    index: 'datapoint_timestamp_idx',
    timescale: 'require',
  },
  createContinuousAggregate: {
    kind: 'createContinuousAggregate',
    aggregate: HOURLY,
    timescale: 'auto',
  },
  dropContinuousAggregate: { kind: 'dropContinuousAggregate', aggregate: DAILY, timescale: 'auto' },
  setAggregateRealtime: {
    kind: 'setAggregateRealtime',
    view: 'datapoint_hourly',
    from: false,
    to: true,
    timescale: 'auto',
  },
  addContinuousAggregatePolicy: {
    kind: 'addContinuousAggregatePolicy',
    view: 'datapoint_hourly',
    refresh: REFRESH,
    timescale: 'auto',
  },
  removeContinuousAggregatePolicy: {
    kind: 'removeContinuousAggregatePolicy',
    view: 'datapoint_daily',
    refresh: { ...REFRESH, startOffset: null },
    timescale: 'require',
  },
  enableAggregateCompression: {
    kind: 'enableAggregateCompression',
    view: 'datapoint_hourly',
    segmentBy: ['device'],
    timescale: 'auto',
  },
  disableAggregateCompression: {
    kind: 'disableAggregateCompression',
    view: 'datapoint_hourly',
    segmentBy: [],
    timescale: 'auto',
  },
  addAggregateCompressionPolicy: {
    kind: 'addAggregateCompressionPolicy',
    view: 'datapoint_hourly',
    after: iv('30 days'),
    timescale: 'auto',
  },
  removeAggregateCompressionPolicy: {
    kind: 'removeAggregateCompressionPolicy',
    view: 'datapoint_hourly',
    after: iv('30 days'),
    timescale: 'auto',
  },
  addAggregateRetentionPolicy: {
    kind: 'addAggregateRetentionPolicy',
    view: 'datapoint_daily',
    dropAfter: iv('2 years'),
    timescale: 'auto',
  },
  removeAggregateRetentionPolicy: {
    kind: 'removeAggregateRetentionPolicy',
    view: 'datapoint_daily',
    dropAfter: iv('2 years'),
    timescale: 'auto',
  },
};
const EVERY_KIND: Change[] = Object.values(ONE_OF_EACH);

/**
 * Models that reference each other, created from nothing: referenced tables first, each
 * table's keys before its compression, a cycle's last key after both tables.
 */
const FOREIGN_KEYS: Change[] = diffSpecs(
  undefined,
  parseSpec(
    `
models:
  - name: Reading
    fields:
      - { name: time, type: datetime }
      - { name: device_id, type: int, references: Device.id, on_delete: cascade }
      - { name: value, type: float }
    timeseries: { time_column: time, compression: { segment_by: [device_id] } }
  - name: Device
    fields:
      - { name: id, type: int, primary_key: true }
      - { name: parent_id, type: int, optional: true, references: Device.id, on_delete: set null, on_update: cascade }
  - name: Author
    fields:
      - { name: id, type: uuid, primary_key: true }
      - { name: best_post, type: uuid, optional: true, references: Post.id }
  - name: Post
    fields:
      - { name: id, type: uuid, primary_key: true }
      - { name: author, type: uuid, references: Author.id, on_delete: restrict }
`,
    'prism.yaml',
  ).spec,
);

/** A space-partitioned hypertable with a reorder policy, made and rebuilt without partitioning. */
const SPACE_AND_REORDER: Change[] = [
  {
    kind: 'createHypertable',
    table: 'reading',
    hypertable: {
      timeColumn: 'time',
      chunkInterval: iv('1 day'),
      partitioning: { column: 'device_id', partitions: 4 },
    },
    timescale: 'auto',
  },
  {
    kind: 'addReorderPolicy',
    table: 'reading',
    index: 'reading_device_id_time_idx',
    timescale: 'auto',
  },
];

const HOSTILE_WHERE_VALUE = "x'); DROP TABLE tick; --";
const READINGS: Model = {
  name: 'Reading',
  table: 'reading',
  fields: [
    field('time', 'datetime'),
    field('entity_id', 'int'),
    field('status', 'string', { maxLength: 20 }),
    field('value', 'float', { optional: true }),
    field('meta', 'json', { optional: true }),
  ],
  primaryKey: [],
  timeseries: {
    timeColumn: 'time',
    indexes: [
      {
        name: 'reading_entity_id_time_idx',
        columns: [asc('entity_id'), { column: 'time', direction: 'DESC' }],
        type: 'btree',
        unique: false,
        include: ['value'],
      },
    ],
    createDefaultIndexes: false,
  },
  indexes: [
    {
      name: 'reading_status_idx',
      columns: [asc('status')],
      type: 'btree',
      unique: false,
      where: `status IN ('on', ${quoteLiteral(HOSTILE_WHERE_VALUE)}) AND value IS NOT NULL`,
    },
    {
      name: 'reading_value_idx',
      columns: [{ column: 'value', direction: 'DESC', nulls: 'LAST' }],
      type: 'btree',
      unique: false,
      where: 'NOT (value < 0 OR entity_id = -1)',
    },
    { name: 'reading_meta_idx', columns: [asc('meta')], type: 'gin', unique: false },
  ],
  timescale: 'auto',
};
const INDEXES: Change[] = [
  { kind: 'createModel', model: READINGS },
  { kind: 'addDefaultTimeIndex', table: 'reading', timeColumn: 'time', timescale: 'auto' },
];

const GOLDENS: { name: string; changes: Change[]; notes?: string[] }[] = [
  { name: 'space-and-reorder', changes: SPACE_AND_REORDER },
  { name: 'seed-datapoint', changes: SEED },
  { name: 'evolution', changes: EVOLUTION },
  {
    name: 'drop',
    changes: DROP,
    notes: [
      'prism:destructive {"code":"PM102","direction":"up","table":"person","message":"drops column person.status and its values"}',
      'prism:destructive {"code":"PM101","direction":"up","table":"datapoint","message":"drops table datapoint and every row in it"}',
    ],
  },
  { name: 'enum-and-defaults', changes: ENUM_AND_DEFAULTS },
  { name: 'every-kind', changes: EVERY_KIND },
  { name: 'foreign-keys', changes: FOREIGN_KEYS },
  { name: 'indexes', changes: INDEXES },
];

// ---------------------------------------------------------------------------------------
// Helpers

/** String literals and the code around them, for JavaScript as the renderer writes it. */
function scan(source: string): { strings: string[]; code: string } {
  const strings: string[] = [];
  let code = '';
  for (let i = 0; i < source.length;) {
    const ch = source[i] as string;
    if (ch === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? source.length : end;
    } else if (ch === '/' && source[i + 1] === '*') {
      i = source.indexOf('*/', i + 2) + 2;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (source[j] !== ch) {
        if (source[j] === '\n' || j >= source.length)
          throw new Error(`unterminated string at ${i}`);
        j += source[j] === '\\' ? 2 : 1;
      }
      strings.push(new Function(`return ${source.slice(i, j + 1)};`)() as string);
      code += '""';
      i = j + 1;
    } else {
      code += ch;
      i += 1;
    }
  }
  return { strings, code };
}

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const newBuilder = () =>
  new MigrationBuilder(
    { query: async () => ({ rows: [] }), select: async () => [] } as never,
    {},
    false,
    quiet as never,
  );

type MigrationModule = { up(pgm: MigrationBuilder): void; down(pgm: MigrationBuilder): void };

async function sqlOf(file: string): Promise<{ up: string[]; down: string[] }> {
  const module = (await importMigration(file)) as MigrationModule;
  const up = newBuilder();
  module.up(up);
  const down = newBuilder();
  module.down(down);
  return { up: up.getSqlSteps(), down: down.getSqlSteps() };
}

// ---------------------------------------------------------------------------------------

describe('generate/columns', () => {
  it('maps every field type to its PostgreSQL type', () => {
    const cases: [Field, string][] = [
      [field('a', 'uuid'), 'uuid'],
      [field('a', 'string', { maxLength: 100 }), 'varchar(100)'],
      [field('a', 'string'), 'varchar'],
      [field('a', 'text'), 'text'],
      [field('a', 'int'), 'integer'],
      [field('a', 'bigint'), 'bigint'],
      [field('a', 'float'), 'double precision'],
      [field('a', 'decimal', { precision: 10, scale: 2 }), 'numeric(10,2)'],
      [field('a', 'decimal', { precision: 10 }), 'numeric(10,0)'],
      [field('a', 'decimal'), 'numeric'],
      [field('a', 'boolean'), 'boolean'],
      [field('a', 'datetime'), 'timestamptz'],
      [field('a', 'date'), 'date'],
      [field('a', 'time'), 'time'],
      [field('a', 'json'), 'jsonb'],
      [field('a', 'enum', { values: ['x'] }), 'text'],
    ];
    for (const [f, type] of cases) expect(columnType(f), f.type).to.equal(type);
  });

  it('makes defaults escaped SQL literals or known functions, and NOT NULL unless optional', () => {
    const lit = (value: string | number | boolean) =>
      columnDefinition(field('a', 'text', { default: { kind: 'literal', value } })).default?.value;
    expect(lit("O'Brien")).to.equal("'O''Brien'");
    // node-pg-migrate turns line breaks into spaces even inside quotes: an escape string keeps them.
    expect(lit(HOSTILE_DEFAULT)).to.equal("E'''); DROP TABLE x; --\\n*/ pgm.dropTable(''x''); //'");
    expect(lit('back\\slash\r\n')).to.equal("E'back\\\\slash\\r\\n'");
    expect(lit('back\\slash')).to.equal("'back\\slash'");
    expect(lit(42)).to.equal('42');
    expect(lit(-1.5)).to.equal('-1.5');
    expect(lit(false)).to.equal('false');
    const fn = (name: 'now' | 'gen_random_uuid' | 'current_date') =>
      columnDefinition(field('a', 'date', { default: { kind: 'function', name } })).default?.value;
    expect([fn('now'), fn('gen_random_uuid'), fn('current_date')]).to.deep.equal([
      'now()',
      'gen_random_uuid()',
      'CURRENT_DATE',
    ]);
    expect(columnDefinition(field('a', 'int')).notNull).to.equal(true);
    expect(columnDefinition(field('a', 'int', { optional: true })).notNull).to.equal(false);
  });

  it('names constraints within 63 bytes, stably', () => {
    expect(primaryKeyName('datapoint')).to.equal('datapoint_pkey');
    expect(enumCheckName('person', 'status')).to.equal('person_status_check');
    const long = enumCheckName('t'.repeat(40), 'c'.repeat(40));
    expect(long).to.have.length.at.most(63);
    expect(long).to.match(/_[0-9a-f]{8}_check$/);
    expect(enumCheckName('t'.repeat(40), 'c'.repeat(40))).to.equal(long);
  });
});

describe('generate/render', () => {
  describe('golden files', () => {
    for (const g of GOLDENS) {
      for (const language of ['ts', 'js'] as const) {
        it(`${g.name}.${language}`, () => {
          const file = join(GOLDEN, `${g.name}.${language}`);
          const rendered = renderMigration(g.changes, { language, notes: g.notes });
          if (UPDATE) writeFileSync(file, rendered);
          expect(
            existsSync(file),
            `${file} is missing: run the tests with UPDATE_GOLDEN=1`,
          ).to.equal(true);
          expect(rendered).to.equal(readFileSync(file, 'utf8'));
        });
      }
    }

    it('golden JS files run under node-pg-migrate, up and down, with the literals escaped in SQL', async () => {
      for (const g of GOLDENS) {
        const { up, down } = await sqlOf(join(GOLDEN, `${g.name}.js`));
        expect(up.length, g.name).to.be.greaterThan(0);
        expect(down.length, g.name).to.be.greaterThan(0);
      }
      const { up } = await sqlOf(join(GOLDEN, 'enum-and-defaults.js'));
      const sql = up.join('\n');
      expect(sql).to.contain(`"note" text DEFAULT ${stringLiteralSql(HOSTILE_DEFAULT)}`);
      expect(sql).to.contain(`CHECK ("mood" IN ('can''t', 'won''t "ever"', E'multi\\nline'))`);
      expect(sql).to.contain(
        `CHECK ("status" IN ('new', 'O''Brien', ${quoteLiteral(QUOTED_ENUM_VALUE)}))`,
      );
      expect(sql).to.contain(`"name" varchar(80) DEFAULT 'O''Brien' NOT NULL`);
      const indexes = (await sqlOf(join(GOLDEN, 'indexes.js'))).up.join('\n');
      expect(indexes).to.contain(
        `CREATE INDEX "reading_status_idx" ON "reading" USING btree ("status") WHERE "status" IN ('on', 'x''); DROP TABLE tick; --') AND "value" IS NOT NULL;`,
      );
      expect(indexes).to.contain(
        `CREATE INDEX "reading_value_idx" ON "reading" USING btree ("value" DESC NULLS LAST) WHERE NOT ("value" < 0 OR "entity_id" = -1)`,
      );
      expect(indexes).to.contain(
        `CREATE INDEX "reading_entity_id_time_idx" ON "reading" USING btree ("entity_id", "time" DESC) INCLUDE ("value");`,
      );
      expect(indexes).to.contain('create_default_indexes => false');
    });

    it('runs, for each TimescaleDB change, the SQL apply-timescale runs for it', async () => {
      const changes = EVERY_KIND.filter(isTimescaleChange);
      expect(changes.map((c) => c.kind)).to.have.members([...TIMESCALE_CHANGE_KINDS]);
      const dir = mkdtempSync(join(tmpdir(), 'prism-calls-'));
      try {
        for (const c of changes) {
          const file = join(dir, `${c.kind}.js`);
          writeFileSync(file, renderMigration([c], { language: 'js' }));
          const { up } = await sqlOf(file);
          expect(up.join(';\n'), c.kind).to.equal(operationSql(operationCall(c)));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('passes integer amounts as numbers while they are safe, else as bigints', () => {
      const policy = (value: bigint) =>
        operationCall({
          kind: 'addRetentionPolicy',
          table: 'tick',
          dropAfter: { kind: 'integer', value },
          timescale: 'auto',
        });
      expect(policy(86_400n).options).to.include({ dropAfter: 86_400 });
      expect(policy(2n ** 60n).options).to.include({ dropAfter: 2n ** 60n });
      expect(operationSql(policy(2n ** 60n))).to.contain(String(2n ** 60n));
    });

    it('golden TS and JS files typecheck under the project tsconfig (tsc --noEmit)', function () {
      this.timeout(120_000);
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = spawnSync(
        process.execPath,
        [tsc, '--noEmit', '-p', join(GOLDEN, 'tsconfig.json')],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
      expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0);
    });
  });

  it('is deterministic and ends with one newline', () => {
    for (const g of GOLDENS) {
      const a = renderMigration(g.changes, { language: 'ts', notes: g.notes });
      expect(renderMigration(g.changes, { language: 'ts', notes: g.notes })).to.equal(a);
      expect(a.endsWith('\n') && !a.endsWith('\n\n')).to.equal(true);
    }
  });

  it('renders every change kind, in ts and js, each block opened by its description', () => {
    const kinds = new Set(EVERY_KIND.map((c) => c.kind));
    expect(kinds.size).to.equal(Object.keys(ONE_OF_EACH).length);
    for (const c of EVERY_KIND) {
      for (const language of ['ts', 'js'] as const) {
        const lines = renderChange(c, language);
        expect(lines[0], c.kind).to.equal(`  // ${describeChange(c)}`);
        expect(
          lines.some((l) => l.startsWith('  pgm.') || /^ {2}[a-zA-Z]+\(pgm, /.test(l)),
          c.kind,
        ).to.equal(true);
        expect(
          lines.every((l) => l.length <= 100 || /^\s+('|")/.test(l)),
          c.kind,
        ).to.equal(true);
      }
    }
  });

  it('has an explicit up and down; down renders the inverses, newest first', () => {
    const text = renderMigration(SEED, { language: 'ts' });
    const down = text.slice(text.indexOf('export function down'));
    const order = [
      'removeRetentionPolicy',
      'removeCompressionPolicy',
      'disableCompression',
      'revertHypertable',
      'dropIndex',
      'dropTable',
    ];
    const positions = order.map((op) =>
      Math.max(down.indexOf(`pgm.${op}(`), down.indexOf(`${op}(pgm,`)),
    );
    expect(positions.every((p) => p > 0)).to.equal(true);
    expect([...positions].sort((a, b) => a - b)).to.deep.equal(positions);
    expect(text).to.contain("import type { MigrationBuilder } from 'node-pg-migrate';");
    expect(text).to.contain(
      "import {\n  addCompressionPolicy,\n  addRetentionPolicy,\n  createHypertable,\n  disableCompression,\n  enableCompression,\n  removeCompressionPolicy,\n  removeRetentionPolicy,\n  revertHypertable,\n} from 'prism-migrate/operations';",
    );
    expect(text).to.contain('export function up(pgm: MigrationBuilder): void {');
    const js = renderMigration(SEED, { language: 'js' });
    expect(js).to.contain(
      "/** @param {import('node-pg-migrate').MigrationBuilder} pgm */\nexport function up(pgm) {",
    );
    expect(js).not.to.contain('import type');
    expect(js).to.contain("  revertHypertable,\n} from 'prism-migrate/operations';");
  });

  it('puts the notes at the top, one comment line each, never breaking out of the comment', () => {
    const text = renderMigration(SEED, {
      language: 'js',
      notes: ['prism:destructive {"code":"PM101"}', 'two\nlines'],
    });
    const lines = text.split('\n');
    expect(lines).to.include('// prism:destructive {"code":"PM101"}');
    expect(lines).to.include('// two');
    expect(lines).to.include('// lines');
    expect(lines.indexOf('// prism:destructive {"code":"PM101"}')).to.be.lessThan(
      lines.findIndex((l) => l.startsWith('export')),
    );
  });

  it('says where TimescaleDB default chunk intervals are assumed, and refuses them for integer time', () => {
    const text = renderChange(
      { kind: 'setChunkInterval', table: 't', from: iv('1 day'), to: undefined, timescale: 'auto' },
      'ts',
    ).join('\n');
    expect(text).to.contain("chunkInterval: '7 days'");
    expect(text).to.contain("previous: '1 day'");
    expect(text).to.contain(
      'applies to chunks created from now on; existing chunks keep their size',
    );
    expect(() =>
      renderChange(
        {
          kind: 'setChunkInterval',
          table: 't',
          from: { kind: 'integer', value: 1000n },
          to: undefined,
          timescale: 'auto',
        },
        'ts',
      ),
    ).to.throw('integer');
  });

  it('alters only what changed: USING where a cast is needed, never a cutting cast to varchar', () => {
    const alter = (from: Field, to: Field) =>
      renderChange({ kind: 'alterColumn', table: 't', from, to }, 'ts').slice(1).join('\n');
    expect(
      alter(field('c', 'string', { maxLength: 100 }), field('c', 'string', { maxLength: 50 })),
    ).to.equal("  pgm.alterColumn('t', 'c', { type: 'varchar(50)' });");
    expect(alter(field('c', 'int'), field('c', 'string', { maxLength: 5 }))).to.equal(
      "  pgm.alterColumn('t', 'c', { type: 'varchar(5)' });",
    );
    expect(alter(field('c', 'text'), field('c', 'int'))).to.equal(
      `  pgm.alterColumn('t', 'c', { type: 'integer', using: '"c"::integer' });`,
    );
    expect(alter(field('c', 'int'), field('c', 'int', { optional: true }))).to.equal(
      "  pgm.alterColumn('t', 'c', { notNull: false });",
    );
    expect(
      alter(field('c', 'int', { default: { kind: 'literal', value: 1 } }), field('c', 'int')),
    ).to.equal("  pgm.alterColumn('t', 'c', { default: null });");
    const e = (values: string[]) => field('c', 'enum', { values });
    expect(alter(e(['a']), e(['a', 'b']))).to.equal(
      [
        "  pgm.dropConstraint('t', 't_c_check');",
        `  pgm.addConstraint('t', 't_c_check', { check: "\\"c\\" IN ('a', 'b')" });`,
      ].join('\n'),
    );
    expect(alter(e(['a']), field('c', 'text'))).to.equal("  pgm.dropConstraint('t', 't_c_check');");
    expect(alter(field('c', 'text'), e(['a']))).to.equal(
      "  pgm.addConstraint('t', 't_c_check', { check: '\"c\" IN (\\'a\\')' });",
    );
  });

  it('keeps JavaScript strings equal to their text, whatever quotes and escapes it holds', () => {
    for (const s of [
      "O'Brien",
      'say "hi"',
      `both ' and "`,
      'back\\slash',
      'line\nbreak\u2028',
      '${x}',
      "'''",
    ]) {
      const literal = jsString(s);
      expect(new Function(`return ${literal};`)(), s).to.equal(s);
    }
    expect(jsString("O'Brien")).to.equal('"O\'Brien"');
    expect(jsString('a"b')).to.equal("'a\"b'");
  });

  it('places hostile defaults and enum values only as escaped SQL literals inside JS strings', () => {
    for (const language of ['ts', 'js'] as const) {
      const text = renderMigration(ENUM_AND_DEFAULTS, { language });
      const { strings, code } = scan(text);
      expect(code).not.to.contain('DROP TABLE');
      expect(code).not.to.contain('Brien');
      const holding = strings.filter((s) => s.includes('DROP TABLE x'));
      expect(holding.length).to.be.greaterThan(0);
      for (const s of holding) {
        const isDefault = s === stringLiteralSql(HOSTILE_DEFAULT);
        const isCheck =
          s.startsWith('"status" IN (') && s.includes(quoteLiteral(QUOTED_ENUM_VALUE));
        expect(isDefault || isCheck, s).to.equal(true);
      }
      expect(strings).to.include(
        `"status" IN ('new', 'O''Brien', ${quoteLiteral(QUOTED_ENUM_VALUE)})`,
      );
      expect(strings).to.include("'O''Brien'");
    }
  });
});

describe('generate/render: continuous aggregates', () => {
  const create: Change = {
    kind: 'createContinuousAggregate',
    aggregate: HOURLY,
    timescale: 'auto',
  };

  it('calls the aggregate operations by their names, with the arguments of the change', () => {
    const changes = EVERY_KIND.filter(isAggregateChange);
    expect(changes.map((c) => c.kind)).to.have.members([...AGGREGATE_CHANGE_KINDS]);
    for (const c of changes) {
      const call = aggregateOperationCall(c);
      expect(call.operation, c.kind).to.equal(c.kind);
      expect(call.table, c.kind).to.equal('aggregate' in c ? c.aggregate.name : c.view);
    }
    expect(aggregateOperationCall(ONE_OF_EACH.setAggregateRealtime).options).to.deep.equal({
      realtime: true,
      previous: false,
      timescale: 'auto',
    });
    expect(
      aggregateOperationCall(ONE_OF_EACH.removeContinuousAggregatePolicy).options,
    ).to.deep.equal({
      startOffset: null,
      endOffset: '1 hour',
      scheduleInterval: '30 minutes',
      timescale: 'require',
    });
  });

  it('says above a create where it is refreshed, then calls createContinuousAggregate', () => {
    for (const language of ['ts', 'js'] as const) {
      const lines = renderChange(create, language).map((l) => l.trim());
      expect(lines.slice(0, 5)).to.deep.equal([
        `// ${describeChange(create)}`,
        "// created WITH NO DATA in this migration's transaction; `prism-migrate up` refreshes it",
        "// once the transaction has committed; under node-pg-migrate's own CLI, run",
        '// `prism-migrate jobs run` afterwards',
        "createContinuousAggregate(pgm, 'datapoint_hourly', {",
      ]);
      expect(lines.join('\n')).to.contain(
        "columns: { avg_value: 'avg(value)', max_value: 'max(value)', samples: 'count(*)' },",
      );
    }
  });

  it('names view and source schema-qualified outside public; integer buckets as numbers', () => {
    const text = renderChange(
      {
        kind: 'createContinuousAggregate',
        aggregate: { ...DAILY, bucket: { kind: 'integer', value: 86_400n } },
        timescale: 'require',
        schema: 'metrics',
      },
      'ts',
    ).join('\n');
    expect(text).to.contain(
      "createContinuousAggregate(pgm, { schema: 'metrics', name: 'datapoint_daily' }, {",
    );
    expect(text).to.contain("source: { schema: 'metrics', name: 'datapoint_hourly' },");
    expect(text).to.contain("timeColumn: 'bucket',");
    expect(text).to.contain('bucket: 86400,');
    const policy = renderChange(
      { ...ONE_OF_EACH.addAggregateRetentionPolicy, schema: 'metrics' },
      'js',
    ).join('\n');
    expect(policy).to.contain(
      "addAggregateRetentionPolicy(pgm, { schema: 'metrics', name: 'datapoint_daily' }, {",
    );
  });

  it('a migration of a new aggregate imports its operations and drops it in down', () => {
    const changes: Change[] = [
      create,
      {
        kind: 'addContinuousAggregatePolicy',
        view: HOURLY.name,
        refresh: REFRESH,
        timescale: 'auto',
      },
    ];
    for (const language of ['ts', 'js'] as const) {
      const text = renderMigration(changes, { language });
      const imports = /import \{([^}]*)\} from 'prism-migrate\/operations';/.exec(text)?.[1];
      expect(
        imports
          ?.split(',')
          .map((n) => n.trim())
          .filter(Boolean),
      ).to.deep.equal([
        'addContinuousAggregatePolicy',
        'createContinuousAggregate',
        'dropContinuousAggregate',
        'removeContinuousAggregatePolicy',
      ]);
      const down = text.slice(text.indexOf('function down'));
      expect(down.indexOf('removeContinuousAggregatePolicy(pgm')).to.be.lessThan(
        down.indexOf('dropContinuousAggregate(pgm'),
      );
      expect(down).to.not.contain('createContinuousAggregate(pgm');
    }
  });
});
