/** The diff, table-driven: spec pairs in, the exact kinds of Change out, inverses total. */
import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { invert, invertAll, type Change } from '../../../lib/diff/changes.js';
import { describeChange } from '../../../lib/diff/describe.js';
import { destructiveChanges, inEnvironment } from '../../../lib/diff/destructive.js';
import { parseSnapshot, serializeSnapshot } from '../../../lib/diff/snapshot.js';
import type { Spec } from '../../../lib/spec/types.js';

export const spec = (yaml: string): Spec => parseSpec(yaml, 'prism.yaml').spec;

export const BASE = `
models:
  - name: Reading
    fields:
      - { name: id, type: uuid, primary_key: true }
      - { name: ts, type: datetime }
      - { name: device, type: string, max_length: 50 }
      - { name: value, type: float, optional: true }
    timeseries:
      time_column: ts
      chunk_interval: 1 day
      compression: { after: 7 days, segment_by: [device], order_by: [ts DESC] }
      retention: { drop_after: 90 days }
`;
const PLAIN = `
models:
  - name: Reading
    fields:
      - { name: id, type: uuid, primary_key: true }
      - { name: ts, type: datetime }
      - { name: device, type: string, max_length: 50 }
      - { name: value, type: float, optional: true }
`;
export const edit = (from: string, to: string) => BASE.replace(from, to);
const kinds = (changes: Change[]) => changes.map((c) => c.kind);

const CASES: { name: string; from: string | undefined; to: string; expect: string[] }[] = [
  { name: 'a new model', from: undefined, to: BASE, expect: ['createModel'] },
  {
    name: 'a removed model',
    from: BASE,
    to: 'models:\n  - name: Other\n    fields:\n      - { name: id, type: int }\n',
    expect: ['dropModel', 'createModel'],
  },
  { name: 'no change', from: BASE, to: BASE, expect: [] },
  {
    name: 'an added column',
    from: BASE,
    to: edit(
      '      - { name: value, type: float, optional: true }',
      '      - { name: value, type: float, optional: true }\n      - { name: note, type: text, optional: true }',
    ),
    expect: ['addColumn'],
  },
  {
    name: 'a dropped column (compressed: off and on again)',
    from: BASE,
    to: edit('      - { name: value, type: float, optional: true }\n', ''),
    expect: [
      'removeCompressionPolicy',
      'disableCompression',
      'dropColumn',
      'enableCompression',
      'addCompressionPolicy',
    ],
  },
  {
    name: 'a nullability change',
    from: BASE,
    to: edit('{ name: value, type: float, optional: true }', '{ name: value, type: float }'),
    expect: ['alterColumn'],
  },
  {
    name: 'a max_length change (compressed: off and on again)',
    from: BASE,
    to: edit('max_length: 50', 'max_length: 80'),
    expect: [
      'removeCompressionPolicy',
      'disableCompression',
      'alterColumn',
      'enableCompression',
      'addCompressionPolicy',
    ],
  },
  {
    name: 'a default',
    from: BASE,
    to: edit(
      '{ name: value, type: float, optional: true }',
      '{ name: value, type: float, optional: true, default: 0 }',
    ),
    expect: ['alterColumn'],
  },
  {
    name: 'an added field index',
    from: BASE,
    to: edit('max_length: 50 }', 'max_length: 50, index: true }'),
    expect: ['addIndex'],
  },
  {
    name: 'a timeseries index',
    from: BASE,
    to: edit(
      '      retention:',
      '      indexes:\n        - { columns: [device, ts] }\n      retention:',
    ),
    expect: ['addIndex'],
  },
  {
    name: 'timeseries added to a plain model',
    from: PLAIN,
    to: BASE,
    expect: [
      'setPrimaryKey',
      'createHypertable',
      'enableCompression',
      'addCompressionPolicy',
      'addRetentionPolicy',
    ],
  },
  {
    name: 'timeseries removed',
    from: BASE,
    to: PLAIN,
    expect: [
      'removeRetentionPolicy',
      'removeCompressionPolicy',
      'disableCompression',
      'revertHypertable',
      'setPrimaryKey',
    ],
  },
  {
    name: 'chunk interval changed',
    from: BASE,
    to: edit('chunk_interval: 1 day', 'chunk_interval: 12 hours'),
    expect: ['setChunkInterval'],
  },
  {
    name: 'compression disabled',
    from: BASE,
    to: edit('compression: { after: 7 days,', 'compression: { enabled: false, after: 7 days,'),
    expect: ['removeCompressionPolicy', 'disableCompression'],
  },
  {
    name: 'segment_by changed',
    from: BASE,
    to: edit('segment_by: [device]', 'segment_by: []'),
    expect: ['alterCompression'],
  },
  {
    name: 'order_by changed',
    from: BASE,
    to: edit('order_by: [ts DESC]', 'order_by: [ts ASC]'),
    expect: ['alterCompression'],
  },
  {
    name: 'compression after changed',
    from: BASE,
    to: edit('after: 7 days', 'after: 14 days'),
    expect: ['removeCompressionPolicy', 'addCompressionPolicy'],
  },
  {
    name: 'compression after written differently, same duration',
    from: BASE,
    to: edit('after: 7 days', 'after: 1 week'),
    expect: [],
  },
  {
    name: 'retention changed',
    from: BASE,
    to: edit('drop_after: 90 days', 'drop_after: 30 days'),
    expect: ['removeRetentionPolicy', 'addRetentionPolicy'],
  },
  {
    name: 'retention disabled',
    from: BASE,
    to: edit(
      'retention: { drop_after: 90 days }',
      'retention: { enabled: false, drop_after: 90 days }',
    ),
    expect: ['removeRetentionPolicy'],
  },
  {
    name: 'a field renamed through renamed_from (compressed: off and on again)',
    from: BASE,
    to: edit(
      '{ name: value, type: float, optional: true }',
      '{ name: reading, type: float, optional: true, renamed_from: value }',
    ),
    expect: [
      'removeCompressionPolicy',
      'disableCompression',
      'renameColumn',
      'enableCompression',
      'addCompressionPolicy',
    ],
  },
  {
    name: 'a renamed field without renamed_from is a drop and an add',
    from: PLAIN,
    to: PLAIN.replace('name: value,', 'name: reading,'),
    expect: ['addColumn', 'dropColumn'],
  },
  {
    name: 'a model renamed through renamed_from',
    from: BASE,
    to: edit('  - name: Reading\n', '  - name: Sample\n    renamed_from: Reading\n'),
    expect: ['renameTable'],
  },
  {
    name: 'a table renamed',
    from: BASE,
    to: edit('  - name: Reading\n', '  - name: Reading\n    table: readings\n'),
    expect: ['renameTable'],
  },
  {
    name: 'a renamed table with a field index: the index is renamed by drop and add',
    from: edit('max_length: 50 }', 'max_length: 50, index: true }'),
    to: edit('max_length: 50 }', 'max_length: 50, index: true }').replace(
      '  - name: Reading\n',
      '  - name: Reading\n    table: readings\n',
    ),
    expect: ['renameTable', 'dropIndex', 'addIndex'],
  },
  {
    name: "an environment's chunk interval",
    from: BASE,
    to: `${BASE}environments:\n  development:\n    Reading: { chunk_interval: 1 hour }\n`,
    expect: ['setChunkInterval'],
  },
  {
    name: "an environment's policies",
    from: `${BASE}environments:\n  dev:\n    Reading: { compression: { after: 1 day } }\n`,
    to: `${BASE}environments:\n  dev:\n    Reading: { retention: { drop_after: 30 days } }\n`,
    expect: [
      'removeRetentionPolicy',
      'removeCompressionPolicy',
      'addCompressionPolicy',
      'addRetentionPolicy',
    ],
  },
  {
    name: "an environment's value equal to the model's own",
    from: BASE,
    to: `${BASE}environments:\n  dev:\n    Reading: { chunk_interval: 24 hours }\n`,
    expect: [],
  },
  {
    name: 'an index whose condition changes is dropped and added',
    from: edit(
      'retention:',
      `indexes: [{ columns: [device], where: "device <> 'x'" }]\n      retention:`,
    ),
    to: edit(
      'retention:',
      `indexes: [{ columns: [device], where: "device <> 'y'" }]\n      retention:`,
    ),
    expect: ['dropIndex', 'addIndex'],
  },
  {
    name: 'an index whose order or INCLUDE changes is dropped and added',
    from: edit('retention:', 'indexes: [{ columns: [device, ts] }]\n      retention:'),
    to: edit(
      'retention:',
      'indexes: [{ columns: [device, ts DESC], include: [value] }]\n      retention:',
    ),
    expect: ['dropIndex', 'addIndex'],
  },
  {
    name: 'the same condition written otherwise is no change',
    from: edit(
      'retention:',
      `indexes: [{ columns: [device], where: "device IN ('x') AND (value > 1.50)" }]\n      retention:`,
    ),
    to: edit(
      'retention:',
      `indexes: [{ columns: [device], where: "device = 'x' and value > 1.5" }]\n      retention:`,
    ),
    expect: [],
  },
  {
    name: 'create_default_indexes switched off: the default index goes',
    from: BASE,
    to: edit('retention:', 'create_default_indexes: false\n      retention:'),
    expect: ['dropDefaultTimeIndex'],
  },
  {
    name: 'create_default_indexes switched on: the default index comes',
    from: edit('retention:', 'create_default_indexes: false\n      retention:'),
    to: BASE,
    expect: ['addDefaultTimeIndex'],
  },
  {
    name: 'an index on the time column alone takes the place of the default one',
    from: BASE,
    to: edit('retention:', 'indexes: [{ columns: [ts], type: brin }]\n      retention:'),
    expect: ['dropDefaultTimeIndex', 'addIndex'],
  },
  {
    name: 'an index on a plain model',
    from: PLAIN,
    to: `${PLAIN}    indexes: [{ columns: [value DESC NULLS LAST], where: value IS NOT NULL }]\n`,
    expect: ['addIndex'],
  },
];

describe('diffSpecs', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const changes = diffSpecs(c.from === undefined ? undefined : spec(c.from), spec(c.to));
      expect(kinds(changes)).to.deep.equal(c.expect);
    });
  }

  it('every change kind is produced by some case, and inverting twice gives the change back', () => {
    const seen = new Set<string>();
    for (const c of CASES) {
      const changes = diffSpecs(c.from === undefined ? undefined : spec(c.from), spec(c.to));
      for (const change of [...changes, ...invertAll(changes)]) {
        seen.add(change.kind);
        expect(invert(invert(change))).to.deep.equal(change);
        expect(describeChange(change)).to.be.a('string').and.not.equal('');
      }
    }
    for (const kind of [
      'createModel',
      'dropModel',
      'addColumn',
      'dropColumn',
      'alterColumn',
      'setPrimaryKey',
      'addIndex',
      'dropIndex',
      'createHypertable',
      'revertHypertable',
      'setChunkInterval',
      'enableCompression',
      'disableCompression',
      'alterCompression',
      'addCompressionPolicy',
      'removeCompressionPolicy',
      'addRetentionPolicy',
      'removeRetentionPolicy',
      'renameTable',
      'renameColumn',
      'addDefaultTimeIndex',
      'dropDefaultTimeIndex',
    ]) {
      expect(seen, kind).to.include(kind);
    }
  });

  it('carries the index terms, condition and INCLUDE columns, and the hypertable default-index setting', () => {
    const [drop, add] = diffSpecs(
      spec(edit('retention:', 'indexes: [{ columns: [device, ts] }]\n      retention:')),
      spec(
        edit(
          'retention:',
          'indexes: [{ columns: [device, ts DESC NULLS LAST], include: [value], where: value > 0 }]\n      retention:',
        ),
      ),
    );
    expect(drop).to.deep.include({ kind: 'dropIndex', table: 'reading' });
    expect(add).to.deep.equal({
      kind: 'addIndex',
      table: 'reading',
      index: {
        name: 'reading_device_ts_idx',
        columns: [
          { column: 'device', direction: 'ASC' },
          { column: 'ts', direction: 'DESC', nulls: 'LAST' },
        ],
        type: 'btree',
        unique: false,
        where: 'value > 0',
        include: ['value'],
      },
    });
    const [create] = diffSpecs(
      undefined,
      spec(edit('retention:', 'create_default_indexes: false\n      retention:')),
    );
    const steps = create?.kind === 'createModel' ? create.model.timeseries : undefined;
    expect(steps?.createDefaultIndexes).to.equal(false);
  });

  it('carries the previous values that the down needs', () => {
    const [remove, add] = diffSpecs(
      spec(BASE),
      spec(edit('drop_after: 90 days', 'drop_after: 30 days')),
    );
    expect(remove).to.deep.include({ kind: 'removeRetentionPolicy', table: 'reading' });
    expect(
      remove?.kind === 'removeRetentionPolicy' &&
        remove.dropAfter.kind === 'interval' &&
        remove.dropAfter.interval.text,
    ).to.equal('90 days');
    expect(
      add?.kind === 'addRetentionPolicy' &&
        add.dropAfter.kind === 'interval' &&
        add.dropAfter.interval.text,
    ).to.equal('30 days');
  });
});

describe('per-environment values', () => {
  const DEV = (text: string) => `${BASE}environments:\n  dev:\n    Reading: ${text}\n`;

  it('carry every environment both ways, and invert exactly', () => {
    const changes = diffSpecs(
      spec(DEV('{ chunk_interval: 12 hours }')),
      spec(DEV('{ chunk_interval: 2 hours }')),
    );
    expect(changes).to.have.length(1);
    const [c] = changes;
    if (c?.kind !== 'setChunkInterval') throw new Error('expected setChunkInterval');
    const text = (a: unknown) => (a as { interval: { text: string } }).interval.text;
    expect(text(c.fromByEnvironment?.['dev'])).to.equal('12 hours');
    expect(text(c.toByEnvironment?.['dev'])).to.equal('2 hours');
    const back = invert(c);
    expect(back.kind === 'setChunkInterval' && text(back.toByEnvironment?.['dev'])).to.equal(
      '12 hours',
    );
    expect(describeChange(c)).to.equal(
      'chunk interval of reading: 1 day (dev: 12 hours) -> 1 day (dev: 2 hours) (new chunks only)',
    );
  });

  it('mark a retention made shorter in one environment only as PM103, naming it', () => {
    const found = destructiveChanges(
      diffSpecs(spec(BASE), spec(DEV('{ retention: { drop_after: 7 days } }'))),
      'up',
    );
    expect(found.map((d) => [d.code, d.message])).to.deep.equal([
      [
        'PM103',
        "retention drops chunks of reading older than 7 days on its first run in environment 'dev'",
      ],
    ]);
    expect(
      destructiveChanges(
        diffSpecs(spec(BASE), spec(DEV('{ retention: { drop_after: 180 days } }'))),
        'up',
      ),
    ).to.deep.equal([]);
    // Where the migration runs, the marker holds that environment's amount.
    const [marker] = found;
    if (!marker) throw new Error('expected a marker');
    expect(marker.dropAfterByEnvironment).to.deep.equal({ dev: '7 days' });
    expect(inEnvironment(marker, 'dev')).to.include({ dropAfter: '7 days' });
    expect(inEnvironment(marker, 'production')).to.include({
      dropAfter: '90 days',
      message: 'retention drops chunks of reading older than 90 days on its first run',
    });
  });
});

describe('destructive changes', () => {
  it('marks drops, shorter retention, reverted hypertables and type changes with codes', () => {
    const codes = (from: string, to: string) =>
      destructiveChanges(diffSpecs(spec(from), spec(to)), 'up').map((d) => d.code);
    expect(
      codes(BASE, edit('      - { name: value, type: float, optional: true }\n', '')),
    ).to.deep.equal(['PM102']);
    expect(codes(BASE, edit('drop_after: 90 days', 'drop_after: 30 days'))).to.deep.equal([
      'PM103',
    ]);
    expect(codes(BASE, edit('drop_after: 90 days', 'drop_after: 120 days'))).to.deep.equal([]);
    expect(codes(BASE, PLAIN)).to.deep.equal(['PM104']);
    expect(codes(BASE, edit('max_length: 50', 'max_length: 80'))).to.deep.equal(['PM105']);
    expect(
      codes(BASE, 'models:\n  - name: Other\n    fields:\n      - { name: id, type: int }\n'),
    ).to.deep.equal(['PM101']);
  });
});

describe('snapshot', () => {
  it('round-trips a spec with intervals and integer amounts, with sorted keys', () => {
    const s = spec(BASE);
    const text = serializeSnapshot({ version: 1, migration: 'm1', parent: null, spec: s });
    const back = parseSnapshot(text, 'prism.yaml');
    expect(diffSpecs(back.spec, s)).to.deep.equal([]);
    expect(text.indexOf('"migration"')).to.be.lessThan(text.indexOf('"parent"'));
    expect(serializeSnapshot(back)).to.equal(text);
  });

  it('refuses damaged or future snapshots with a hint', () => {
    expect(() => parseSnapshot('{', 'snap.json')).to.throw(/snap\.json is not valid JSON/);
    expect(() => parseSnapshot('{"version": 9}', 'snap.json')).to.throw(/snapshot format 9/);
  });
});
