/** The diff of space partitioning and reorder policies: kinds in order, inverses, data loss. */
import { expect } from 'chai';
import { invert, invertAll, type Change } from '../../../lib/diff/changes.js';
import { destructiveChanges } from '../../../lib/diff/destructive.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { modelCreationSteps } from '../../../lib/diff/model-steps.js';
import { differenceDetails } from '../../../lib/diff/structured.js';
import { compareTables } from '../../../lib/schema/compare.js';
import { compileSpec } from '../../../lib/schema/compile.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { Spec } from '../../../lib/spec/types.js';

const spec = (yaml: string): Spec => parseSpec(yaml, 'prism.yaml').spec;

const SPACE = `
models:
  - name: Reading
    fields:
      - { name: device, type: int, primary_key: true }
      - { name: ts, type: datetime }
      - { name: value, type: float, optional: true }
    timeseries:
      time_column: ts
      chunk_interval: 1 day
      partitioning: { column: device, partitions: 4 }
      compression: { after: 7 days, segment_by: [device] }
      indexes:
        - columns: [device, ts]
      reorder: { index: [device, ts DESC] }
`;
const edit = (from: string, to: string) => {
  if (!SPACE.includes(from)) throw new Error(`no ${from} in the spec`);
  return SPACE.replace(from, to);
};
const NO_PARTITIONING = edit('      partitioning: { column: device, partitions: 4 }\n', '');
const REBUILD = [
  'removeReorderPolicy',
  'removeCompressionPolicy',
  'disableCompression',
  'revertHypertable',
  'createHypertable',
  'enableCompression',
  'addCompressionPolicy',
  'addReorderPolicy',
];

const CASES: { name: string; from: string; to: string; expect: string[] }[] = [
  {
    name: 'more partitions: set in place',
    from: SPACE,
    to: edit('partitions: 4', 'partitions: 8'),
    expect: ['setNumberPartitions'],
  },
  {
    name: 'partitioning removed: TimescaleDB cannot drop a dimension, the table is rebuilt',
    from: SPACE,
    to: NO_PARTITIONING,
    expect: REBUILD,
  },
  {
    name: 'partitioning added to a hypertable: rebuilt with it',
    from: NO_PARTITIONING,
    to: SPACE,
    expect: REBUILD,
  },
  {
    name: 'partitioning moved to another column: rebuilt',
    from: SPACE.replace(
      'type: float, optional: true }',
      'type: float, optional: true }\n      - { name: site, type: int, primary_key: true }',
    ),
    to: SPACE.replace(
      'type: float, optional: true }',
      'type: float, optional: true }\n      - { name: site, type: int, primary_key: true }',
    ).replace('column: device,', 'column: site,'),
    expect: REBUILD,
  },
  {
    name: 'the type of the partitioning column changes: rebuilt (TimescaleDB refuses it in place)',
    from: SPACE,
    to: edit('name: device, type: int,', 'name: device, type: bigint,'),
    expect: [
      'removeReorderPolicy',
      'removeCompressionPolicy',
      'disableCompression',
      'revertHypertable',
      'alterColumn',
      'createHypertable',
      'enableCompression',
      'addCompressionPolicy',
      'addReorderPolicy',
    ],
  },
  {
    name: 'a reorder policy removed',
    from: SPACE,
    to: edit('      reorder: { index: [device, ts DESC] }\n', ''),
    expect: ['removeReorderPolicy'],
  },
  {
    name: 'a reorder policy added',
    from: edit('      reorder: { index: [device, ts DESC] }\n', ''),
    to: SPACE,
    expect: ['addReorderPolicy'],
  },
  {
    name: 'a reorder policy moved to the default time index: remove, then add',
    from: SPACE,
    to: edit('index: [device, ts DESC]', 'index: [ts DESC]'),
    expect: ['removeReorderPolicy', 'addReorderPolicy'],
  },
  {
    name: 'the index of the policy changes: the policy goes first and comes back last',
    from: SPACE.replace(
      '- columns: [device, ts]',
      '- columns: [device, ts]\n          name: by_device',
    ),
    to: SPACE.replace(
      '- columns: [device, ts]',
      '- columns: [device, ts]\n          name: by_device\n          unique: true',
    ),
    expect: ['removeReorderPolicy', 'dropIndex', 'addIndex', 'addReorderPolicy'],
  },
  {
    name: 'the index and its policy removed: the policy before the index',
    from: SPACE,
    to: edit('      indexes:\n        - columns: [device, ts]\n', '').replace(
      '      reorder: { index: [device, ts DESC] }\n',
      '',
    ),
    expect: ['removeReorderPolicy', 'dropIndex'],
  },
  {
    name: 'no change',
    from: SPACE,
    to: SPACE,
    expect: [],
  },
];

describe('diff: space partitioning and reorder policies', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const changes = diffSpecs(spec(c.from), spec(c.to));
      expect(changes.map((x) => x.kind)).to.deep.equal(c.expect);
      for (const change of [...changes, ...invertAll(changes)])
        expect(invert(invert(change))).to.deep.equal(change);
      // The way back is the same steps undone, newest first.
      expect(
        diffSpecs(spec(c.to), spec(c.from))
          .map((x) => x.kind)
          .sort(),
      ).to.deep.equal(
        invertAll(changes)
          .map((x) => x.kind)
          .sort(),
      );
    });
  }

  it('carries the partitions before and after, and the rebuilt hypertable its dimension', () => {
    const [set] = diffSpecs(spec(SPACE), spec(edit('partitions: 4', 'partitions: 8')));
    expect(set).to.deep.equal({
      kind: 'setNumberPartitions',
      table: 'reading',
      column: 'device',
      from: 4,
      to: 8,
      timescale: 'auto',
    });
    const rebuild = diffSpecs(spec(NO_PARTITIONING), spec(SPACE));
    const revert = rebuild.find((c) => c.kind === 'revertHypertable');
    const create = rebuild.find((c) => c.kind === 'createHypertable');
    expect(revert?.kind === 'revertHypertable' && revert.hypertable.partitioning).to.equal(
      undefined,
    );
    expect(create?.kind === 'createHypertable' && create.hypertable.partitioning).to.deep.equal({
      column: 'device',
      partitions: 4,
    });
  });

  it('a new model: the hypertable with its dimension, the reorder policy after its index', () => {
    const model = spec(SPACE).models[0];
    if (!model) throw new Error('no model');
    const steps: Change[] = modelCreationSteps(model);
    expect(steps.map((s) => s.kind)).to.deep.equal([
      'createTable',
      'addIndex',
      'createHypertable',
      'enableCompression',
      'addCompressionPolicy',
      'addReorderPolicy',
    ]);
    expect(steps.at(-1)).to.deep.equal({
      kind: 'addReorderPolicy',
      table: 'reading',
      index: 'reading_device_ts_idx',
      timescale: 'auto',
    });
  });

  it('a rebuild for partitioning is marked PM104 both ways; partitions in place are not', () => {
    const codes = (from: string, to: string) =>
      destructiveChanges(diffSpecs(spec(from), spec(to)), 'up').map((d) => d.code);
    expect(codes(SPACE, NO_PARTITIONING)).to.deep.equal(['PM104']);
    expect(codes(NO_PARTITIONING, SPACE)).to.deep.equal(['PM104']);
    expect(codes(SPACE, edit('partitions: 4', 'partitions: 2'))).to.deep.equal([]);
  });

  it('drift names partitioning and reorder differences, a rebuild as PM104', () => {
    const table = (yaml: string) => {
      const t = compileSpec(spec(yaml)).tables[0];
      if (!t) throw new Error('no table');
      return t;
    };
    const differences = (live: string, desired: string) =>
      compareTables(table(live), table(desired)).map((d) => [
        d.kind,
        d.expected,
        d.actual,
        differenceDetails(d).destructive,
      ]);
    expect(differences(NO_PARTITIONING, SPACE)).to.deep.equal([
      ['partitioning', 'device into 4 partitions', 'none', 'PM104'],
    ]);
    expect(differences(SPACE, edit('partitions: 4', 'partitions: 8'))).to.deep.equal([
      ['partitioning', 'device into 8 partitions', 'device into 4 partitions', undefined],
    ]);
    expect(differences(SPACE, edit('index: [device, ts DESC]', 'index: [ts DESC]'))).to.deep.equal([
      ['reorderPolicy', 'by index reading_ts_idx', 'by index reading_device_ts_idx', undefined],
    ]);
  });
});
