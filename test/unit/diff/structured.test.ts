/** Changes and schema differences as data: what `check --json` and `generate --json` print. */
import { expect } from 'chai';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { invertAll, type Change, type ChangeKind } from '../../../lib/diff/changes.js';
import { describeChange } from '../../../lib/diff/describe.js';
import { destructiveChanges } from '../../../lib/diff/destructive.js';
import {
  differenceDetails,
  fieldText,
  structureChanges,
  type StructuredChange,
} from '../../../lib/diff/structured.js';
import type { SchemaDifference } from '../../../lib/schema/compare.js';
import { BASE, edit, spec } from './diff.test.js';

const structured = (from: string | undefined, to: string) =>
  structureChanges(diffSpecs(from === undefined ? undefined : spec(from), spec(to)));
/** The one change of a kind (column changes on a compressed hypertable come wrapped). */
const only = (changes: StructuredChange[], kind: ChangeKind) => {
  const found = changes.filter((c) => c.kind === kind);
  expect(found).to.have.length(1);
  return found[0];
};

describe('structured changes', () => {
  it('a new model: its kind and table, no before or after', () => {
    expect(structured(undefined, BASE)).to.deep.equal([
      {
        kind: 'createModel',
        table: 'reading',
        description: 'create hypertable reading (model Reading)',
      },
    ]);
  });

  it('a dropped column: the column, what it was, and PM102', () => {
    const dropped = edit('      - { name: value, type: float, optional: true }\n', '');
    expect(only(structured(BASE, dropped), 'dropColumn')).to.deep.equal({
      kind: 'dropColumn',
      table: 'reading',
      column: 'value',
      before: 'double precision',
      destructive: 'PM102',
      description: 'drop column reading.value',
    });
  });

  it('a type change: before and after of the column, and PM105', () => {
    expect(
      only(structured(BASE, edit('max_length: 50', 'max_length: 80')), 'alterColumn'),
    ).to.deep.equal({
      kind: 'alterColumn',
      table: 'reading',
      column: 'device',
      before: 'varchar(50) NOT NULL',
      after: 'varchar(80) NOT NULL',
      destructive: 'PM105',
      description: 'alter column reading.device',
    });
  });

  it('a shorter retention: the removed policy, then the added one with PM103', () => {
    expect(structured(BASE, edit('drop_after: 90 days', 'drop_after: 30 days'))).to.deep.equal([
      {
        kind: 'removeRetentionPolicy',
        table: 'reading',
        before: '90 days',
        description: 'remove the retention policy of reading (drop after 90 days)',
      },
      {
        kind: 'addRetentionPolicy',
        table: 'reading',
        after: '30 days',
        destructive: 'PM103',
        description: 'drop chunks of reading after 30 days',
      },
    ]);
  });

  it('a longer retention loses nothing: no code', () => {
    const changes = structured(BASE, edit('drop_after: 90 days', 'drop_after: 1 year'));
    expect(changes.map((c) => [c.kind, c.after ?? c.before, c.destructive])).to.deep.equal([
      ['removeRetentionPolicy', '90 days', undefined],
      ['addRetentionPolicy', '1 year', undefined],
    ]);
  });

  it('chunk interval, compression settings and renames: before and after', () => {
    expect(
      structured(BASE, edit('chunk_interval: 1 day', 'chunk_interval: 2 days')),
    ).to.deep.include.members([
      {
        kind: 'setChunkInterval',
        table: 'reading',
        before: '1 day',
        after: '2 days',
        description: 'chunk interval of reading: 1 day -> 2 days (new chunks only)',
      },
    ]);
    const compression = structured(BASE, edit('segment_by: [device]', 'segment_by: []'));
    expect(compression.find((c) => c.kind === 'alterCompression')).to.deep.include({
      before: 'segment by device; order by ts DESC',
      after: 'segment by none; order by ts DESC',
    });
    const renamed = structured(
      BASE,
      edit(
        '{ name: value, type: float, optional: true }',
        '{ name: reading, renamed_from: value, type: float, optional: true }',
      ),
    );
    expect(only(renamed, 'renameColumn')).to.deep.equal({
      kind: 'renameColumn',
      table: 'reading',
      column: 'value',
      before: 'value',
      after: 'reading',
      description: 'rename column reading.value to reading',
    });
  });

  it('turning a hypertable back into a plain table: the time column and PM104', () => {
    const plain = BASE.replace(/ {4}timeseries:[\s\S]*$/, '');
    const changes = structured(BASE, plain);
    expect(changes.find((c) => c.kind === 'revertHypertable')).to.deep.equal({
      kind: 'revertHypertable',
      table: 'reading',
      column: 'ts',
      before: 'hypertable',
      destructive: 'PM104',
      description: 'turn hypertable reading back into a plain table',
    });
  });

  it('for every kind: the description is describeChange, the codes are those of destructiveChanges', () => {
    const pairs: [string | undefined, string][] = [
      [undefined, BASE],
      [BASE, BASE.replace(/ {4}timeseries:[\s\S]*$/, '')],
      [BASE, edit('max_length: 50', 'max_length: 50, index: true')],
      [edit('max_length: 50', 'max_length: 50, index: true'), BASE],
      [BASE, edit('      - { name: value, type: float, optional: true }\n', '')],
      [BASE, edit('type: uuid, primary_key: true', 'type: uuid')],
      [BASE, edit('order_by: [ts DESC]', 'order_by: [ts]')],
      [BASE, edit('after: 7 days', 'after: 14 days')],
      [BASE, edit('- name: Reading', '- name: Reading\n    table: readings')],
      [BASE, 'models: []'],
    ];
    const seen = new Set<ChangeKind>();
    for (const [from, to] of pairs) {
      const changes: Change[] = diffSpecs(from === undefined ? undefined : spec(from), spec(to));
      for (const list of [changes, invertAll(changes)]) {
        const out: StructuredChange[] = structureChanges(list);
        expect(out.map((c) => c.description)).to.deep.equal(list.map(describeChange));
        expect(out.map((c) => c.kind)).to.deep.equal(list.map((c) => c.kind));
        expect(out.flatMap((c) => (c.destructive ? [c.destructive] : []))).to.deep.equal(
          destructiveChanges(list, 'up').map((d) => d.code),
        );
        for (const c of out) seen.add(c.kind);
      }
    }
    expect(seen.size).to.be.greaterThan(15);
  });

  it('a column as the spec defines it', () => {
    const field = spec(BASE).models[0]?.fields.find((f) => f.name === 'id');
    expect(field && fieldText(field)).to.equal('uuid NOT NULL');
  });
});

describe('schema differences as data', () => {
  const difference = (d: Partial<SchemaDifference>): SchemaDifference => ({
    kind: 'column',
    table: 'reading',
    what: 'column value',
    expected: 'double precision NULL',
    actual: 'missing',
    change: 'add column reading.value double precision NULL',
    ...d,
  });

  it('names the column of column differences', () => {
    expect(differenceDetails(difference({}))).to.deep.equal({ column: 'value' });
    expect(
      differenceDetails(difference({ kind: 'nullability', what: 'column device nullability' })),
    ).to.deep.equal({ column: 'device' });
    expect(
      differenceDetails(difference({ kind: 'default', what: 'column my default default' })),
    ).to.deep.equal({ column: 'my default' });
    expect(
      differenceDetails(difference({ kind: 'timeColumn', what: 'time column', expected: 'ts' })),
    ).to.deep.equal({ column: 'ts' });
    expect(differenceDetails(difference({ kind: 'index', what: 'index x_idx' }))).to.deep.equal({});
  });

  it('marks the changes that destroy data', () => {
    expect(
      differenceDetails(difference({ expected: 'absent (not in the spec)', actual: 'present' })),
    ).to.deep.equal({ column: 'value', destructive: 'PM102' });
    expect(
      differenceDetails(
        difference({ kind: 'columnType', what: 'column value type', expected: 'integer' }),
      ),
    ).to.deep.equal({ column: 'value', destructive: 'PM105' });
    expect(
      differenceDetails(
        difference({
          kind: 'retentionPolicy',
          what: 'retention policy',
          expected: 'drop_after 1 year',
        }),
      ),
    ).to.deep.equal({ destructive: 'PM103' });
    expect(
      differenceDetails(
        difference({ kind: 'retentionPolicy', what: 'retention policy', expected: 'none' }),
      ),
    ).to.deep.equal({});
    expect(
      differenceDetails(
        difference({ kind: 'hypertable', what: 'hypertable', expected: 'plain table' }),
      ),
    ).to.deep.equal({ destructive: 'PM104' });
  });

  it('marks an aggregate dropped, made in another form or defined anew as PM106', () => {
    const aggregate = (extra: Partial<SchemaDifference>) =>
      differenceDetails(difference({ kind: 'aggregate', what: 'aggregate', ...extra }));
    expect(aggregate({ expected: 'absent (not in the spec)' })).to.deep.equal({
      destructive: 'PM106',
    });
    expect(aggregate({ what: 'aggregate form', expected: 'continuous aggregate' })).to.deep.equal({
      destructive: 'PM106',
    });
    expect(
      aggregate({ expected: 'aggregate 1 hour of reading.time', actual: 'missing' }),
    ).to.deep.equal({});
    expect(
      differenceDetails(
        difference({ kind: 'aggregateDefinition', what: 'aggregate definition', expected: 'x' }),
      ),
    ).to.deep.equal({ destructive: 'PM106' });
    expect(
      differenceDetails(
        difference({ kind: 'aggregateRealtime', what: 'aggregate realtime', expected: 'realtime' }),
      ),
    ).to.deep.equal({});
  });
});
