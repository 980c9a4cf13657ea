/**
 * compression.chunk_interval and compression.sparse_indexes: validation with located
 * errors, the diff with its inverse, and the operation calls the migration gets.
 */
import { expect } from 'chai';
import { invert } from '../../../lib/diff/changes.js';
import type { Change } from '../../../lib/diff/changes.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { operationCall } from '../../../lib/generate/operation-calls.js';
import type { TimescaleChange } from '../../../lib/generate/operation-calls.js';
import { renderChange } from '../../../lib/generate/render.js';
import { compileSpec } from '../../../lib/schema/compile.js';
import { compareSchemas } from '../../../lib/schema/compare.js';
import { parseSpec } from '../../../lib/spec/load.js';
import type { Spec } from '../../../lib/spec/types.js';
import { issuesOf } from '../../helpers/spec-issues.js';

function specText(compression: string[], extra: { chunk?: string; time?: string } = {}): string {
  return [
    'models:',
    '  - name: Reading',
    '    fields:',
    '      - name: ts',
    `        type: ${extra.time ?? 'datetime'}`,
    '      - name: device',
    '        type: string',
    '      - name: value',
    '        type: float',
    '      - name: code',
    '        type: int',
    '    timeseries:',
    '      time_column: ts',
    ...(extra.time && extra.time !== 'datetime' ? ['      time_unit: s'] : []),
    `      chunk_interval: ${extra.chunk ?? '1 day'}`,
    '      compression:',
    '        segment_by: [device]',
    ...compression.map((l) => `        ${l}`),
  ].join('\n');
}

const spec = (compression: string[], extra?: { chunk?: string; time?: string }): Spec =>
  parseSpec(specText(compression, extra), 'prism.yaml').spec;

/** Lines 1-16 are fixed: compression's own lines start at 17 (18 with time_unit). */
describe('compression.chunk_interval and sparse_indexes in prism.yaml', () => {
  it('are read into the spec', () => {
    const c = spec([
      'chunk_interval: 7 days',
      'sparse_indexes: [{ column: value, type: minmax }, { column: code, type: bloom }]',
    ]).models[0]?.timeseries?.compression;
    expect(c?.chunkInterval?.kind === 'interval' && c.chunkInterval.interval.text).to.equal(
      '7 days',
    );
    expect(c?.sparseIndexes).to.deep.equal([
      { column: 'value', type: 'minmax' },
      { column: 'code', type: 'bloom' },
    ]);
    expect(spec([]).models[0]?.timeseries?.compression).to.not.have.property('sparseIndexes');
  });

  it('refuses a chunk_interval that is not a whole number of chunks, at its place', () => {
    const [issue, ...rest] = issuesOf(specText(['chunk_interval: 36 hours']));
    expect(rest).to.deep.equal([]);
    expect(issue).to.include({ line: 17, column: 25 });
    expect(issue?.message).to.include(
      'compression chunk_interval 36 hours is not a multiple of the chunk interval 1 day',
    );
    expect(issue?.hint).to.include('whole chunks');
  });

  it('measures against the 7-day default when the model states no chunk_interval', () => {
    const text = specText(['chunk_interval: 10 days']).replace('      chunk_interval: 1 day\n', '');
    const issues = issuesOf(text);
    expect(issues.map((i) => i.message)).to.deep.equal([
      'compression chunk_interval 10 days is not a multiple of the chunk interval 7 days (the default)',
    ]);
    expect(spec(['chunk_interval: 4 weeks'], { chunk: '1 week' }).models).to.have.length(1);
  });

  it('refuses months, years and integer time columns', () => {
    expect(issuesOf(specText(['chunk_interval: 1 month'])).map((i) => i.message)).to.deep.equal([
      'compression chunk_interval 1 month is not a fixed duration (TimescaleDB refuses months and years here)',
    ]);
    const integer = issuesOf(
      specText(['chunk_interval: 86400'], { time: 'bigint', chunk: '3600' }),
    );
    expect(integer).to.have.length(1);
    expect(integer[0]).to.include({ line: 18 });
    expect(integer[0]?.message).to.include('needs a datetime or date time column');
  });

  it('refuses sparse indexes on unknown, segment_by, order_by and repeated columns, each at its place', () => {
    const issues = issuesOf(
      specText([
        'order_by: [ts DESC, value]',
        'sparse_indexes:',
        '  - { column: valeu, type: minmax }',
        '  - { column: device, type: bloom }',
        '  - { column: value, type: minmax }',
        '  - { column: code, type: bloom }',
        '  - { column: code, type: minmax }',
      ]),
    );
    expect(issues.map((i) => [i.line, i.message])).to.deep.equal([
      [19, "sparse index column 'valeu' is not a field of model 'Reading'"],
      [20, "column 'device' is a segment_by column and cannot have a sparse index"],
      [21, "column 'value' is an order_by column and has a min/max sparse index already"],
      [23, "column 'code' appears twice in sparse_indexes (first at line 22, column 13)"],
    ]);
  });

  it('refuses a sparse index on the time column when order_by is the default', () => {
    const issues = issuesOf(specText(['sparse_indexes: [{ column: ts, type: minmax }]']));
    expect(issues.map((i) => i.message)).to.deep.equal([
      "column 'ts' is an order_by column (the time column, the default order_by) and has a min/max sparse index already",
    ]);
  });

  it('refuses an unknown sparse index type through the schema', () => {
    const issues = issuesOf(specText(['sparse_indexes: [{ column: value, type: hash }]']));
    expect(issues).to.have.length(1);
    expect(issues[0]).to.include({ line: 17, message: '"hash" is not a valid type' });
    expect(issues[0]?.hint).to.match(/minmax.*bloom/);
  });
});

describe('an order for sparse indexes and merged chunks', () => {
  it('gives compression the time column descending when order_by is left out', () => {
    const spec = (extra: string) =>
      parseSpec(
        `models:\n  - name: R\n    fields: [ { name: time, type: datetime }, { name: d, type: int }, { name: v, type: real, optional: true } ]\n    timeseries:\n      time_column: time\n      compression: { segment_by: [d]${extra} }\n`,
        'prism.yaml',
      ).spec.models[0]?.timeseries?.compression?.orderBy;
    const timeDesc = [{ column: 'time', direction: 'DESC' }];
    expect(spec(', sparse_indexes: [{ column: v, type: minmax }]')).to.deep.equal(timeDesc);
    expect(spec(', chunk_interval: 14 days')).to.deep.equal(timeDesc);
    expect(spec('')).to.deep.equal([]);
  });
});

describe('compression settings in the diff and the migration', () => {
  const base = spec(['after: 7 days']);
  const tuned = spec([
    'after: 7 days',
    'chunk_interval: 2 days',
    'sparse_indexes: [{ column: value, type: minmax }]',
  ]);

  const only = (changes: Change[]): Change => {
    expect(changes.map((c) => c.kind)).to.deep.equal(['alterCompression']);
    return changes[0] as Change;
  };

  it('a changed chunk_interval or sparse index list alters the settings in place', () => {
    const change = only(diffSpecs(base, tuned));
    const call = operationCall(change as TimescaleChange);
    expect(call).to.deep.include({ operation: 'enableCompression', table: 'reading' });
    expect(call.options).to.deep.include({
      chunkInterval: '2 days',
      sparseIndexes: [{ column: 'value', type: 'minmax' }],
    });
    const other = spec([
      'after: 7 days',
      'chunk_interval: 3 days',
      'sparse_indexes: [{ column: value, type: minmax }]',
    ]);
    expect(only(diffSpecs(tuned, other)).kind).to.equal('alterCompression');
    expect(diffSpecs(tuned, tuned)).to.deep.equal([]);
  });

  it('the inverse clears what the change added: chunk interval null, sparse indexes empty', () => {
    const change = only(diffSpecs(base, tuned));
    const back = invert(change);
    expect(back).to.deep.equal(only(diffSpecs(tuned, base)));
    expect(invert(back)).to.deep.equal(change);
    const call = operationCall(back as TimescaleChange);
    expect(call.options).to.deep.include({ chunkInterval: null, sparseIndexes: [] });
  });

  it('leaves the options out where neither side has them (migrations stay as before)', () => {
    const change = diffSpecs(undefined, base).find((c) => c.kind === 'createModel');
    expect(change).to.not.equal(undefined);
    const enable = diffSpecs(spec([]), base);
    for (const c of enable) {
      if (c.kind === 'alterCompression' || c.kind === 'enableCompression') {
        const options = operationCall(c as TimescaleChange).options;
        expect(options).to.not.have.property('chunkInterval');
        expect(options).to.not.have.property('sparseIndexes');
      }
    }
  });

  it('renders the settings into the migration call', () => {
    const lines = renderChange(only(diffSpecs(base, tuned)), 'js').join('\n');
    expect(lines).to.include("chunkInterval: '2 days'");
    expect(lines).to.include("sparseIndexes: [{ column: 'value', type: 'minmax' }]");
  });

  it('compiles into the schema, and a database without them is drift', () => {
    const desired = compileSpec(tuned);
    const table = desired.tables[0];
    expect(table?.hypertable?.compression).to.deep.include({
      sparseIndexes: [{ column: 'value', type: 'minmax' }],
    });
    const live = compileSpec(base);
    const kinds = compareSchemas(live, desired).map((d) => d.kind);
    expect(kinds).to.include.members(['compressionChunkInterval', 'compressionSparseIndexes']);
    expect(compareSchemas(desired, desired)).to.deep.equal([]);
  });
});
