/** pull writes space partitioning and reorder policies so that the spec compiles back to them. */
import { expect } from 'chai';
import { schemaToSpec } from '../../../lib/pull/to-spec.js';
import { compileSpec } from '../../../lib/schema/compile.js';
import type { Column, Hypertable, Index, Table } from '../../../lib/schema/types.js';
import { parseSpec } from '../../../lib/spec/load.js';
import { parseInterval } from '../../../lib/sql/interval.js';

const day = (() => {
  const parsed = parseInterval('1 day');
  if (!parsed.ok) throw new Error(parsed.reason);
  return { kind: 'interval' as const, interval: parsed.interval };
})();

const col = (name: string, type: string, notNull = true): Column => ({ name, type, notNull });
const index = (name: string, ...columns: string[]): Index => ({
  name,
  columns: columns.map((column) => ({ column, direction: 'ASC' as const })),
  method: 'btree',
  unique: false,
});

function reading(hypertable: Partial<Hypertable>, indexes: Index[] = []): Table {
  return {
    schema: 'public',
    name: 'reading',
    columns: [col('time', 'timestamp with time zone'), col('device_id', 'integer')],
    primaryKey: { name: 'reading_pkey', columns: ['device_id', 'time'] },
    checks: [],
    indexes,
    hypertable: { timeColumn: 'time', chunkInterval: day, ...hypertable },
    unsupported: [],
  };
}

function pulled(table: Table) {
  const out = schemaToSpec({ tables: [table] });
  const compiled = compileSpec(parseSpec(out.text, 'prism.yaml').spec).tables[0];
  return { text: out.text, notes: out.notes, hypertable: compiled?.hypertable };
}

describe('pull: space partitioning and reorder policies', () => {
  it('writes the hash dimension and a reorder policy on a model index', () => {
    const p = pulled(
      reading({ partitioning: { column: 'device_id', partitions: 4 }, reorderIndex: 'by_device' }, [
        index('by_device', 'device_id', 'time'),
      ]),
    );
    expect(p.text).to.include(
      '      partitioning:\n        column: device_id\n        partitions: 4\n',
    );
    expect(p.text).to.include('      reorder:\n        index: [device_id, time]\n');
    expect(p.hypertable?.partitioning).to.deep.equal({ column: 'device_id', partitions: 4 });
    expect(p.hypertable?.reorderIndex).to.equal('by_device');
  });

  it('writes a reorder policy on an index with a descending column, and beside one ascending', () => {
    const byDeviceDesc: Index = {
      ...index('by_device_desc'),
      columns: [
        { column: 'device_id', direction: 'ASC' },
        { column: 'time', direction: 'DESC' },
      ],
    };
    const p = pulled(reading({ reorderIndex: 'by_device_desc' }, [byDeviceDesc]));
    expect(p.notes.map((n) => n.what)).to.not.include('reorder policy');
    expect(p.text).to.include('      reorder:\n        index: [device_id, time DESC]\n');
    expect(p.hypertable?.reorderIndex).to.equal('by_device_desc');
    // With an ascending index of the same columns, each policy keeps its own index.
    const both = [index('by_device', 'device_id', 'time'), byDeviceDesc];
    expect(
      pulled(reading({ reorderIndex: 'by_device_desc' }, both)).hypertable?.reorderIndex,
    ).to.equal('by_device_desc');
    expect(pulled(reading({ reorderIndex: 'by_device' }, both)).hypertable?.reorderIndex).to.equal(
      'by_device',
    );
  });

  it('names the default time index by the time column, and the key by its columns', () => {
    expect(pulled(reading({ reorderIndex: 'reading_time_idx' })).text).to.include(
      'reorder:\n        index: [time DESC]\n',
    );
    const byKey = pulled(reading({ reorderIndex: 'reading_pkey' }));
    expect(byKey.text).to.include('reorder:\n        index: [device_id, time]\n');
    expect(byKey.hypertable?.reorderIndex).to.equal('reading_pkey');
  });

  it('leaves out, with a note, a policy on an index prism.yaml does not write', () => {
    const p = pulled(reading({ reorderIndex: 'some_expression_idx' }));
    expect(p.text).to.not.include('reorder:');
    expect(p.notes.map((n) => [n.what, n.detail])).to.deep.include([
      'reorder policy',
      'by index some_expression_idx, which prism.yaml cannot name (no index of the model written here has its columns alone); left out',
    ]);
  });
});
