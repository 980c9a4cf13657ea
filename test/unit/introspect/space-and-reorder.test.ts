/** timescale-info prints a hypertable's space partitioning and reorder index, and the schema takes them. */
import { expect } from 'chai';
import { formatTimescaleInfo } from '../../../lib/introspect/format-info.js';
import type { TimescaleInfo } from '../../../lib/introspect/info.js';
import { checkTimescaleInfoSchema } from '../../helpers/json-schema.js';
import { embeddedFixture } from './format-info.test.js';

const partitioned: TimescaleInfo = {
  ...embeddedFixture,
  hypertables: embeddedFixture.hypertables.map((h) => ({
    ...h,
    partitioning: { column: 'source', partitions: 4 },
    reorderIndex: 'datapoint_source_timestamp_idx',
    jobs: h.jobs.map((j, i) =>
      i === 0 ? { ...j, kind: 'reorder', procName: 'policy_reorder' } : j,
    ),
  })),
};

describe('timescale-info: space partitioning and reorder', () => {
  it('prints the dimension after the time column and the reorder index after compression', () => {
    const lines = formatTimescaleInfo(partitioned).split('\n');
    const time = lines.findIndex((l) => l.startsWith('  time column:'));
    expect(lines[time + 1]).to.equal('  partitioned:  by hash of source into 4 partitions');
    expect(lines).to.include('  reorder:      by index datapoint_source_timestamp_idx');
    expect(lines.some((l) => /^\s+\d+\s+reorder\s/.test(l))).to.equal(true);
  });

  it('prints neither where there is none', () => {
    const text = formatTimescaleInfo(embeddedFixture);
    expect(text).to.not.include('partitioned:');
    expect(text).to.not.include('reorder:');
  });

  it('the --json schema takes them', () => {
    expect(checkTimescaleInfoSchema(partitioned)).to.deep.equal([]);
  });
});
