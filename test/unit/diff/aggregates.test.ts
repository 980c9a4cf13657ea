/**
 * Continuous aggregates in the diff: the order of drops and creates, what is made anew and
 * what changes in place, the destructive marker, the snapshot, and `down` restoring the
 * state `up` started from (checked by replaying the changes on a small model of a database).
 */
import { expect } from 'chai';
import { aggregateChanges } from '../../../lib/diff/aggregates.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import {
  invert,
  invertAll,
  type AggregateDef,
  type Change,
  type ChangeKind,
} from '../../../lib/diff/changes.js';
import { destructiveChanges } from '../../../lib/diff/destructive.js';
import { parseSnapshot, serializeSnapshot } from '../../../lib/diff/snapshot.js';
import { parseInterval, type Interval } from '../../../lib/sql/interval.js';
import type { ContinuousAggregate, Model, Spec, TimeAmount } from '../../../lib/spec/types.js';
import { BASE, edit, spec } from './diff.test.js';

function interval(text: string): Interval {
  const parsed = parseInterval(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.interval;
}
const iv = (text: string): TimeAmount => ({ kind: 'interval', interval: interval(text) });

const HOURLY: ContinuousAggregate = {
  name: 'reading_hourly',
  bucket: iv('1 hour'),
  groupBy: ['device'],
  columns: [
    { name: 'avg_value', function: 'avg', argument: 'value' },
    { name: 'max_value', function: 'max', argument: 'value' },
    { name: 'samples', function: 'count' },
  ],
  refresh: {
    startOffset: iv('30 days'),
    endOffset: iv('1 hour'),
    scheduleInterval: interval('30 minutes'),
  },
  realtime: false,
  compression: { after: iv('30 days'), segmentBy: ['device'] },
  retention: { dropAfter: iv('2 years') },
};
const DAILY: ContinuousAggregate = {
  name: 'reading_daily',
  from: 'reading_hourly',
  bucket: iv('1 day'),
  groupBy: ['device'],
  columns: [
    { name: 'max_value', function: 'max', argument: 'max_value' },
    { name: 'samples', function: 'sum', argument: 'samples' },
  ],
  refresh: {
    startOffset: iv('60 days'),
    endOffset: iv('1 day'),
    scheduleInterval: interval('1 hour'),
  },
  realtime: false,
};

/** The spec's models with `aggregates` set on the model named `model` (Reading by default). */
function withAggregates(
  s: Spec,
  aggregates: readonly ContinuousAggregate[],
  model = 'Reading',
): Spec {
  return {
    ...s,
    models: s.models.map((m): Model => {
      if (m.name !== model || m.timeseries === undefined) return m;
      return { ...m, timeseries: { ...m.timeseries, aggregates } };
    }),
  };
}

const NONE = spec(BASE);
const BOTH = withAggregates(NONE, [HOURLY, DAILY]);
const kinds = (changes: readonly Change[]) => changes.map((c) => c.kind);
const subjects = (changes: readonly Change[]) =>
  changes.map((c) =>
    'aggregate' in c
      ? `${c.kind} ${c.aggregate.name}`
      : 'view' in c
        ? `${c.kind} ${c.view}`
        : c.kind,
  );

const CREATE_HOURLY = [
  'createContinuousAggregate reading_hourly',
  'enableAggregateCompression reading_hourly',
  'addContinuousAggregatePolicy reading_hourly',
  'addAggregateCompressionPolicy reading_hourly',
  'addAggregateRetentionPolicy reading_hourly',
];
const CREATE_DAILY = [
  'createContinuousAggregate reading_daily',
  'addContinuousAggregatePolicy reading_daily',
];
const DROP_HOURLY = [
  'removeAggregateRetentionPolicy reading_hourly',
  'removeAggregateCompressionPolicy reading_hourly',
  'removeContinuousAggregatePolicy reading_hourly',
  'disableAggregateCompression reading_hourly',
  'dropContinuousAggregate reading_hourly',
];
const DROP_DAILY = [
  'removeContinuousAggregatePolicy reading_daily',
  'dropContinuousAggregate reading_daily',
];

// ---------------------------------------------------------------------------------------
// A database reduced to what the aggregate changes act on, refusing what PostgreSQL and
// TimescaleDB refuse: a second view of a name, a drop under a dependent view or with its
// policies still there, a policy twice or one that is not there, compression twice.

interface ViewState {
  schema: string;
  def: AggregateDef;
  realtime: boolean;
  refresh?: string;
  compression?: string;
  compressionPolicy?: string;
  retention?: string;
}
type Database = Map<string, ViewState>;

const text = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

function stateOf(s: Spec | undefined): Database {
  const db: Database = new Map();
  for (const c of diffSpecs(undefined, s ?? { ...NONE, models: [] })) apply(db, c);
  return db;
}

function apply(db: Database, c: Change): void {
  const key = (name: string) => `${c.schema ?? 'public'}.${name}`;
  // A view keeps reading a renamed table or column (PostgreSQL refers to them by number).
  const schema = c.schema ?? 'public';
  for (const view of db.values()) {
    const source = view.def.source;
    if (source.kind !== 'table' || view.schema !== schema) continue;
    if (c.kind === 'renameTable' && source.name === c.from)
      view.def = { ...view.def, source: { ...source, name: c.to } };
    if (c.kind === 'renameColumn' && source.name === c.table) {
      const to = (column: string) => (column === c.from ? c.to : column);
      expect(view.def.groupBy, `group-by column ${c.from} of ${view.def.name}`).not.to.include(
        c.from,
      );
      view.def = {
        ...view.def,
        source: { ...source, timeColumn: to(source.timeColumn) },
        columns: view.def.columns.map((col) =>
          col.argument === undefined ? col : { ...col, argument: to(col.argument) },
        ),
      };
    }
  }
  if (!('aggregate' in c) && !('view' in c)) return;
  if (c.kind === 'createContinuousAggregate') {
    const k = key(c.aggregate.name);
    expect(db.has(k), `${k} exists already`).to.equal(false);
    if (c.aggregate.source.kind === 'aggregate')
      expect(db.has(key(c.aggregate.source.name)), `source of ${k}`).to.equal(true);
    db.set(k, { schema: c.schema ?? 'public', def: c.aggregate, realtime: c.aggregate.realtime });
    return;
  }
  if (c.kind === 'dropContinuousAggregate') {
    const k = key(c.aggregate.name);
    const view = db.get(k);
    expect(view, `${k} to drop`).not.to.equal(undefined);
    expect(text(view?.def), k).to.equal(text(c.aggregate));
    for (const [other, v] of db)
      expect(
        v.def.source.kind === 'aggregate' && `${v.schema}.${v.def.source.name}` === k,
        `${other} depends on ${k}`,
      ).to.equal(false);
    expect(
      [view?.refresh, view?.compressionPolicy, view?.retention],
      `policies of ${k}`,
    ).to.deep.equal([undefined, undefined, undefined]);
    db.delete(k);
    return;
  }
  const k = key(c.view);
  const view = db.get(k);
  if (view === undefined) throw new Error(`${c.kind} on ${k}, which does not exist`);
  const set = (
    field: 'refresh' | 'compression' | 'compressionPolicy' | 'retention',
    adding: boolean,
    value: unknown,
  ) => {
    if (adding) {
      expect(view[field], `${c.kind} ${k}`).to.equal(undefined);
      view[field] = text(value);
    } else {
      expect(view[field], `${c.kind} ${k}`).to.equal(text(value));
      delete view[field];
    }
  };
  switch (c.kind) {
    case 'setAggregateRealtime':
      expect(view.realtime, `${c.kind} ${k}`).to.equal(c.from);
      view.realtime = c.to;
      break;
    case 'addContinuousAggregatePolicy':
    case 'removeContinuousAggregatePolicy':
      set('refresh', c.kind.startsWith('add'), c.refresh);
      break;
    case 'enableAggregateCompression':
    case 'disableAggregateCompression':
      if (c.kind === 'disableAggregateCompression')
        expect(view.compressionPolicy, `compression policy of ${k}`).to.equal(undefined);
      set('compression', c.kind.startsWith('enable'), c.segmentBy);
      break;
    case 'addAggregateCompressionPolicy':
    case 'removeAggregateCompressionPolicy':
      if (c.kind.startsWith('add'))
        expect(view.compression, `compression of ${k}`).to.not.equal(undefined);
      set('compressionPolicy', c.kind.startsWith('add'), c.after);
      break;
    case 'addAggregateRetentionPolicy':
    case 'removeAggregateRetentionPolicy':
      set('retention', c.kind.startsWith('add'), c.dropAfter);
      break;
    default:
      throw new Error(`not an aggregate change: ${JSON.stringify(c)}`);
  }
}

/** Comparable: realtime as the view has it, the def without it. */
function snapshotOf(db: Database): unknown {
  return [...db.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [
      k,
      text([
        { ...v.def, realtime: undefined },
        v.realtime,
        v.refresh,
        v.compression,
        v.compressionPolicy,
        v.retention,
      ]),
    ]);
}

/** `up` takes the state of `from` to `to`'s; `down` takes it back; inverses are involutions. */
function roundTrip(from: Spec, to: Spec): Change[] {
  const changes = diffSpecs(from, to);
  const db = stateOf(from);
  const before = snapshotOf(db);
  for (const c of changes) apply(db, c);
  expect(snapshotOf(db), 'after up').to.deep.equal(snapshotOf(stateOf(to)));
  for (const c of invertAll(changes)) apply(db, c);
  expect(snapshotOf(db), 'after down').to.deep.equal(before);
  for (const c of changes) expect(invert(invert(c))).to.deep.equal(c);
  return changes;
}

// ---------------------------------------------------------------------------------------

describe('diff/aggregates', () => {
  it('adds aggregates sources first, each followed by its compression and policies', () => {
    const changes = roundTrip(NONE, BOTH);
    expect(subjects(changes)).to.deep.equal([...CREATE_HOURLY, ...CREATE_DAILY]);
    const [create] = changes;
    expect(create).to.deep.equal({
      kind: 'createContinuousAggregate',
      aggregate: {
        name: 'reading_hourly',
        source: { kind: 'table', name: 'reading', timeColumn: 'ts' },
        bucket: HOURLY.bucket,
        groupBy: ['device'],
        columns: HOURLY.columns,
        realtime: false,
      },
      timescale: 'auto',
    });
    const daily = changes.find(
      (c) => c.kind === 'createContinuousAggregate' && c.aggregate.name === 'reading_daily',
    );
    expect(daily).to.have.nested.property('aggregate.source').that.deep.equals({
      kind: 'aggregate',
      name: 'reading_hourly',
    });
    // The inverse: what removing them both gives.
    expect(invertAll(changes)).to.deep.equal(diffSpecs(BOTH, NONE));
  });

  it('creates a new model before its aggregates, and drops them before the model', () => {
    const up = diffSpecs(undefined, BOTH);
    expect(kinds(up)[0]).to.equal('createModel');
    expect(subjects(up.slice(1))).to.deep.equal([...CREATE_HOURLY, ...CREATE_DAILY]);
    const other = spec('models:\n  - name: Other\n    fields:\n      - { name: id, type: int }\n');
    const down = roundTrip(BOTH, other);
    expect(subjects(down)).to.deep.equal([
      ...DROP_DAILY,
      ...DROP_HOURLY,
      'dropModel',
      'createModel',
    ]);
  });

  it('drops aggregates dependents first, policies removed before each', () => {
    const changes = roundTrip(BOTH, NONE);
    expect(subjects(changes)).to.deep.equal([...DROP_DAILY, ...DROP_HOURLY]);
  });

  it('a changed definition of the lower aggregate remakes it and the one built on it', () => {
    const hourly = {
      ...HOURLY,
      columns: [
        ...HOURLY.columns,
        { name: 'min_value', function: 'min' as const, argument: 'value' },
      ],
    };
    const changes = roundTrip(BOTH, withAggregates(NONE, [hourly, DAILY]));
    expect(subjects(changes)).to.deep.equal([
      ...DROP_DAILY,
      ...DROP_HOURLY,
      ...CREATE_HOURLY,
      ...CREATE_DAILY,
    ]);
    expect(invertAll(changes)).to.deep.equal(
      diffSpecs(withAggregates(NONE, [hourly, DAILY]), BOTH),
    );
  });

  it('a changed definition of the upper aggregate remakes it alone', () => {
    const daily = { ...DAILY, bucket: iv('7 days') };
    const changes = roundTrip(BOTH, withAggregates(NONE, [HOURLY, daily]));
    expect(subjects(changes)).to.deep.equal([...DROP_DAILY, ...CREATE_DAILY]);
  });

  it('another timescale mode of the model remakes its aggregates in the new mode', () => {
    const off: Spec = { ...BOTH, models: BOTH.models.map((m) => ({ ...m, timescale: 'off' })) };
    const changes = roundTrip(BOTH, off).filter((c) => 'aggregate' in c || 'view' in c);
    expect(subjects(changes)).to.deep.equal([
      ...DROP_DAILY,
      ...DROP_HOURLY,
      ...CREATE_HOURLY,
      ...CREATE_DAILY,
    ]);
    expect(changes.at(-1)?.timescale).to.equal('off');
    expect(changes[0]?.timescale).to.equal('auto');
  });

  it('changes a refresh policy in place, and nothing when offsets are the same amount', () => {
    const hourly = { ...HOURLY, refresh: { ...HOURLY.refresh!, startOffset: iv('10 days') } };
    const changes = roundTrip(BOTH, withAggregates(NONE, [hourly, DAILY]));
    expect(subjects(changes)).to.deep.equal([
      'removeContinuousAggregatePolicy reading_hourly',
      'addContinuousAggregatePolicy reading_hourly',
    ]);
    const same = { ...HOURLY, refresh: { ...HOURLY.refresh!, endOffset: iv('60 minutes') } };
    expect(diffSpecs(BOTH, withAggregates(NONE, [same, DAILY]))).to.deep.equal([]);
    const unbounded = { ...DAILY, refresh: { ...DAILY.refresh!, startOffset: null } };
    expect(subjects(roundTrip(BOTH, withAggregates(NONE, [HOURLY, unbounded])))).to.deep.equal([
      'removeContinuousAggregatePolicy reading_daily',
      'addContinuousAggregatePolicy reading_daily',
    ]);
  });

  it('changes realtime in place', () => {
    const changes = roundTrip(BOTH, withAggregates(NONE, [HOURLY, { ...DAILY, realtime: true }]));
    expect(changes).to.deep.equal([
      {
        kind: 'setAggregateRealtime',
        view: 'reading_daily',
        from: false,
        to: true,
        timescale: 'auto',
      },
    ]);
  });

  it('changes compression, its policy and retention in place', () => {
    const segment = { ...HOURLY, compression: { after: iv('30 days'), segmentBy: [] } };
    expect(subjects(roundTrip(BOTH, withAggregates(NONE, [segment, DAILY])))).to.deep.equal([
      'removeAggregateCompressionPolicy reading_hourly',
      'disableAggregateCompression reading_hourly',
      'enableAggregateCompression reading_hourly',
      'addAggregateCompressionPolicy reading_hourly',
    ]);
    const after = { ...HOURLY, compression: { after: iv('60 days'), segmentBy: ['device'] } };
    expect(subjects(roundTrip(BOTH, withAggregates(NONE, [after, DAILY])))).to.deep.equal([
      'removeAggregateCompressionPolicy reading_hourly',
      'addAggregateCompressionPolicy reading_hourly',
    ]);
    const none = { ...HOURLY, compression: undefined, retention: undefined };
    expect(subjects(roundTrip(BOTH, withAggregates(NONE, [none, DAILY])))).to.deep.equal([
      'removeAggregateRetentionPolicy reading_hourly',
      'removeAggregateCompressionPolicy reading_hourly',
      'disableAggregateCompression reading_hourly',
    ]);
    const daily = { ...DAILY, retention: { dropAfter: iv('5 years') } };
    expect(subjects(roundTrip(BOTH, withAggregates(NONE, [HOURLY, daily])))).to.deep.equal([
      'addAggregateRetentionPolicy reading_daily',
    ]);
  });

  it('a read column retyped remakes the aggregates before and after the table step', () => {
    const to = withAggregates(spec(edit('max_length: 50', 'max_length: 80')), [HOURLY, DAILY]);
    const changes = roundTrip(BOTH, to);
    const alter = kinds(changes).indexOf('alterColumn');
    expect(subjects(changes.slice(0, 7))).to.deep.equal([...DROP_DAILY, ...DROP_HOURLY]);
    expect(alter).to.be.greaterThan(6);
    expect(subjects(changes.slice(-7))).to.deep.equal([...CREATE_HOURLY, ...CREATE_DAILY]);
  });

  it('a change of a read column that keeps its type, or of a column not read, keeps them', () => {
    const nullable = withAggregates(
      spec(edit('{ name: value, type: float, optional: true }', '{ name: value, type: float }')),
      [HOURLY, DAILY],
    );
    expect(kinds(diffSpecs(BOTH, nullable))).to.deep.equal(['alterColumn']);
    const withNote = (s: string) =>
      s.replace(
        '      - { name: value, type: float, optional: true }',
        '      - { name: value, type: float, optional: true }\n      - { name: note, type: text, optional: true }',
      );
    const noted = withAggregates(spec(withNote(BASE)), [HOURLY, DAILY]);
    expect(kinds(diffSpecs(noted, BOTH))).to.not.include('dropContinuousAggregate');
  });

  it('a source column dropped: the aggregates go before the column, come back after it', () => {
    const hourly = { ...HOURLY, columns: [{ name: 'samples', function: 'count' as const }] };
    const daily = {
      ...DAILY,
      columns: [{ name: 'samples', function: 'sum' as const, argument: 'samples' }],
    };
    const to = withAggregates(
      spec(edit('      - { name: value, type: float, optional: true }\n', '')),
      [hourly, daily],
    );
    const changes = roundTrip(BOTH, to);
    const drop = kinds(changes).indexOf('dropColumn');
    expect(kinds(changes).lastIndexOf('dropContinuousAggregate')).to.be.lessThan(drop);
    expect(kinds(changes).indexOf('createContinuousAggregate')).to.be.greaterThan(drop);
    expect(subjects(changes.slice(-7))).to.deep.equal([...CREATE_HOURLY, ...CREATE_DAILY]);
  });

  it('a step the table takes under a view remakes it: a read column dropped, renamed then retyped', () => {
    const [model] = BOTH.models;
    if (model === undefined) throw new Error('no model');
    const field = (name: string) => model.fields.find((f) => f.name === name)!;
    const remade = (steps: Change[]) =>
      kinds(aggregateChanges(BOTH.models, BOTH.models, [{ from: model, to: model, steps }]).drops);
    expect(remade([])).to.deep.equal([]);
    expect(remade([{ kind: 'dropColumn', table: 'reading', field: field('value') }])).to.include(
      'dropContinuousAggregate',
    );
    expect(remade([{ kind: 'dropColumn', table: 'reading', field: field('id') }])).to.deep.equal(
      [],
    );
    const retyped = { ...field('device'), name: 'sensor', maxLength: 80 };
    expect(
      remade([
        { kind: 'renameColumn', table: 'reading', from: 'device', to: 'sensor' },
        {
          kind: 'alterColumn',
          table: 'reading',
          from: { ...field('device'), name: 'sensor' },
          to: retyped,
        },
      ]),
    ).to.include('dropContinuousAggregate');
    expect(
      remade([
        {
          kind: 'alterColumn',
          table: 'reading',
          from: field('value'),
          to: { ...field('value'), optional: false },
        },
      ]),
    ).to.deep.equal([]);
  });

  it('a rebuilt hypertable remakes aggregates whose definition is the same', () => {
    const partitioned = edit(
      '      chunk_interval: 1 day\n',
      '      chunk_interval: 1 day\n      partitioning: { column: device, partitions: 4 }\n',
    ).replace('max_length: 50 }', 'max_length: 50, primary_key: true }');
    const changes = roundTrip(BOTH, withAggregates(spec(partitioned), [HOURLY, DAILY]));
    const revert = kinds(changes).indexOf('revertHypertable');
    const create = kinds(changes).indexOf('createHypertable');
    expect(revert).to.be.greaterThan(kinds(changes).lastIndexOf('dropContinuousAggregate'));
    expect(create).to.be.lessThan(kinds(changes).indexOf('createContinuousAggregate'));
    expect(subjects(changes.slice(0, 7))).to.deep.equal([...DROP_DAILY, ...DROP_HOURLY]);
  });

  it('a renamed model keeps them: the views read the renamed table', () => {
    const renamed = withAggregates(
      spec(edit('  - name: Reading\n', '  - name: Sample\n    renamed_from: Reading\n')),
      [HOURLY, DAILY],
      'Sample',
    );
    expect(subjects(roundTrip(BOTH, renamed))).to.deep.equal(['renameTable']);
  });

  it('a renamed field they read keeps them; a renamed group-by column remakes them', () => {
    const rename = (from: string, to: string) =>
      spec(
        edit(`{ name: ${from}, type: `, `{ name: ${to}, renamed_from: ${from}, type: `)
          .replace(`time_column: ${from}`, `time_column: ${to}`)
          .replace(`segment_by: [${from}]`, `segment_by: [${to}]`)
          .replace(`order_by: [${from} DESC]`, `order_by: [${to} DESC]`),
      );
    // The table's own steps (a compressed table's rename comes wrapped) are not looked at.
    const ofAggregates = (to: Spec) =>
      subjects(roundTrip(BOTH, to)).filter((x) => x.includes('Aggregate') || x === 'renameColumn');
    const on =
      (column: string) =>
      (x: ContinuousAggregate): ContinuousAggregate => ({
        ...x,
        columns: x.columns.map((c) => (c.argument === 'value' ? { ...c, argument: column } : c)),
      });
    expect(
      ofAggregates(withAggregates(rename('value', 'level'), [on('level')(HOURLY), DAILY])),
    ).to.deep.equal(['renameColumn']);
    expect(ofAggregates(withAggregates(rename('ts', 'at'), [HOURLY, DAILY]))).to.deep.equal([
      'renameColumn',
    ]);
    const bySensor = (x: ContinuousAggregate): ContinuousAggregate => ({
      ...x,
      groupBy: ['sensor'],
      ...(x.compression ? { compression: { ...x.compression, segmentBy: ['sensor'] } } : {}),
    });
    expect(
      ofAggregates(withAggregates(rename('device', 'sensor'), [bySensor(HOURLY), bySensor(DAILY)])),
    ).to.deep.equal([
      ...DROP_DAILY,
      ...DROP_HOURLY,
      'renameColumn',
      ...CREATE_HOURLY,
      ...CREATE_DAILY,
    ]);
  });

  it('carries the schema of a model outside public, and marks it in PM106', () => {
    const inSchema = (s: Spec): Spec => ({
      ...s,
      models: s.models.map((m) => ({ ...m, schema: 'metrics' })),
    });
    const changes = roundTrip(inSchema(NONE), inSchema(BOTH));
    expect(changes.map((c) => c.schema)).to.deep.equal(changes.map(() => 'metrics'));
    const down = destructiveChanges(invertAll(changes), 'down');
    expect(down.map((d) => [d.code, d.table, d.source])).to.deep.equal([
      ['PM106', 'metrics.reading_daily', 'metrics.reading'],
      ['PM106', 'metrics.reading_hourly', 'metrics.reading'],
    ]);
    // Another schema's aggregate of the same name is another aggregate.
    const both = {
      ...BOTH,
      models: [...BOTH.models, ...inSchema(BOTH).models.map((m) => ({ ...m, name: 'Metric' }))],
    };
    const added = roundTrip(BOTH, both);
    expect(subjects(added)).to.deep.equal(['createModel', ...CREATE_HOURLY, ...CREATE_DAILY]);
    expect(added.slice(1).every((c) => c.schema === 'metrics')).to.equal(true);
  });

  it('marks every dropped aggregate PM106 with its source, time column and bucket', () => {
    const up = destructiveChanges(diffSpecs(BOTH, NONE), 'up');
    expect(up).to.deep.equal([
      {
        code: 'PM106',
        direction: 'up',
        table: 'reading_daily',
        // reading_hourly goes too: the daily buckets come back from the table's rows only.
        message:
          'drops continuous aggregate reading_daily: its buckets older than the oldest row of reading cannot be computed again',
        source: 'reading',
        timeColumn: 'ts',
        bucket: '1 day',
      },
      {
        code: 'PM106',
        direction: 'up',
        table: 'reading_hourly',
        message:
          'drops continuous aggregate reading_hourly: its buckets older than the oldest row of reading cannot be computed again',
        source: 'reading',
        timeColumn: 'ts',
        bucket: '1 hour',
      },
    ]);
    // Only the upper one dropped: it comes back from the hourly buckets that stay.
    expect(
      destructiveChanges(diffSpecs(BOTH, withAggregates(NONE, [HOURLY])), 'up').map((d) => [
        d.table,
        d.source,
        d.timeColumn,
      ]),
    ).to.deep.equal([['reading_daily', 'reading_hourly', 'bucket']]);
    expect(destructiveChanges(diffSpecs(NONE, BOTH), 'up')).to.deep.equal([]);
    const policyOnly = { ...HOURLY, realtime: true };
    expect(
      destructiveChanges(diffSpecs(BOTH, withAggregates(NONE, [policyOnly, DAILY])), 'up'),
    ).to.deep.equal([]);
  });

  it('snapshots keep aggregates (integer buckets, null offsets); older ones load without', () => {
    const integer: ContinuousAggregate = {
      ...DAILY,
      name: 'reading_sparse',
      bucket: { kind: 'integer', value: 2n ** 60n },
      refresh: { startOffset: null, endOffset: null, scheduleInterval: interval('1 day') },
      compression: { segmentBy: [] },
    };
    const s = withAggregates(NONE, [HOURLY, DAILY, integer]);
    const back = parseSnapshot(
      serializeSnapshot({ version: 1, migration: 'm', parent: null, spec: s }),
      'prism.yaml',
    );
    const aggregatesOf = (x: Spec) => x.models[0]?.timeseries?.aggregates;
    expect(aggregatesOf(back.spec)).to.deep.equal([HOURLY, DAILY, integer]);
    expect(serializeSnapshot({ ...back, spec: back.spec })).to.equal(
      serializeSnapshot({ version: 1, migration: 'm', parent: null, spec: s }),
    );
    expect(diffSpecs(back.spec, s)).to.deep.equal([]);
    const old = serializeSnapshot({ version: 1, migration: 'm', parent: null, spec: NONE });
    expect(old).to.not.contain('aggregates');
    expect(subjects(diffSpecs(parseSnapshot(old, 'prism.yaml').spec, BOTH))).to.deep.equal([
      ...CREATE_HOURLY,
      ...CREATE_DAILY,
    ]);
  });

  it('every aggregate change kind is produced by some diff above', () => {
    const seen = new Set<ChangeKind>(
      [
        diffSpecs(NONE, BOTH),
        diffSpecs(BOTH, NONE),
        diffSpecs(BOTH, withAggregates(NONE, [HOURLY, { ...DAILY, realtime: true }])),
      ].flatMap(kinds),
    );
    for (const k of [
      'createContinuousAggregate',
      'dropContinuousAggregate',
      'setAggregateRealtime',
      'addContinuousAggregatePolicy',
      'removeContinuousAggregatePolicy',
      'enableAggregateCompression',
      'disableAggregateCompression',
      'addAggregateCompressionPolicy',
      'removeAggregateCompressionPolicy',
      'addAggregateRetentionPolicy',
      'removeAggregateRetentionPolicy',
    ] as const)
      expect(seen.has(k), k).to.equal(true);
  });
});
