/** timeseries.partitioning and timeseries.reorder: what they parse to, and located errors. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import type { SpecIssue } from '../../../lib/errors.js';
import { parseSpec } from '../../../lib/spec/load.js';
import { matchReorderIndex } from '../../../lib/spec/timeseries.js';
import { issuesOf } from '../../helpers/spec-issues.js';

/** A valid spec; tests replace single lines, so line numbers below are stable. */
const BASE = [
  /*  1 */ 'models:',
  /*  2 */ '  - name: Reading',
  /*  3 */ '    fields:',
  /*  4 */ '      - name: device_id',
  /*  5 */ '        type: int',
  /*  6 */ '        primary_key: true',
  /*  7 */ '      - name: time',
  /*  8 */ '        type: datetime',
  /*  9 */ '      - name: value',
  /* 10 */ '        type: float',
  /* 11 */ '    timeseries:',
  /* 12 */ '      time_column: time',
  /* 13 */ '      partitioning:',
  /* 14 */ '        column: device_id',
  /* 15 */ '        partitions: 4',
  /* 16 */ '      indexes:',
  /* 17 */ '        - columns: [device_id, time]',
  /* 18 */ '      reorder:',
  /* 19 */ '        index: [device_id, time DESC]',
];

function edit(changes: Record<number, string>): string {
  return BASE.map((line, i) => changes[i + 1] ?? line).join('\n');
}

function onlyIssue(text: string): SpecIssue {
  const issues = issuesOf(text);
  expect(issues, JSON.stringify(issues, null, 2)).to.have.length(1);
  return issues[0] as SpecIssue;
}

function expectAt(issue: SpecIssue, line: number, column: number): void {
  expect({ line: issue.line, column: issue.column }, issue.message).to.deep.equal({ line, column });
}

describe('spec: timeseries.partitioning and timeseries.reorder', () => {
  it('parses into the model, the reorder policy naming the index it matches', () => {
    const ts = parseSpec(BASE.join('\n'), 'prism.yaml').spec.models[0]?.timeseries;
    expect(ts?.partitioning).to.deep.equal({ column: 'device_id', partitions: 4 });
    expect(ts?.reorder?.indexName).to.equal('reading_device_id_time_idx');
    expect(ts?.reorder?.index.map((t) => [t.column, t.direction])).to.deep.equal([
      ['device_id', 'ASC'],
      ['time', 'DESC'],
    ]);
  });

  describe('partitioning', () => {
    it('a column that is no field points at it and suggests the closest', () => {
      const issue = onlyIssue(
        edit({ 6: '        optional: true', 14: '        column: devce_id' }),
      );
      expectAt(issue, 14, 17);
      expect(issue.message).to.equal(
        "partitioning column 'devce_id' is not a field of model 'Reading'",
      );
      expect(issue.hint).to.equal("did you mean 'device_id'?");
    });

    it('the time column is refused', () => {
      const issue = onlyIssue(edit({ 14: '        column: time' }));
      expectAt(issue, 14, 17);
      expect(issue.message).to.match(/is the time column: a hash dimension needs another column/);
    });

    for (const [value, why] of [
      ['0', 'must be greater than or equal to 1'],
      ['32768', 'must be less than or equal to 32767'],
      ['2.5', 'must be an integer'],
    ]) {
      it(`partitions: ${value} is refused where it stands`, () => {
        const issue = onlyIssue(edit({ 15: `        partitions: ${value}` }));
        expectAt(issue, 15, 21);
        expect(issue.message).to.include(why);
      });
    }

    it('partitions is required', () => {
      const issue = onlyIssue(edit({ 15: '' }));
      expect(issue.line).to.equal(14);
      expect(issue.message).to.include('partitions');
    });

    it('a primary key without the partitioning column is refused at primary_key', () => {
      const issue = onlyIssue(
        edit({
          6: '        optional: false',
          10: '        type: float\n        primary_key: true',
        }),
      );
      expectAt(issue, 11, 22);
      expect(issue.message).to.equal(
        "the primary key on a space-partitioned hypertable must include the partitioning column 'device_id': TimescaleDB refuses unique indexes without every partitioning column",
      );
    });

    it('a unique index without the partitioning column is refused at unique', () => {
      const issue = onlyIssue(
        edit({ 17: '        - columns: [time, value]\n          unique: true', 18: '', 19: '' }),
      );
      expectAt(issue, 18, 19);
      expect(issue.message).to.match(
        /^a unique index on a space-partitioned hypertable must include the partitioning column 'device_id'/,
      );
      expect(issue.hint).to.equal("add 'device_id' to it, or remove timeseries.partitioning");
    });

    it('a unique index with both partitioning columns is accepted', () => {
      const text = edit({ 17: '        - columns: [device_id, time]\n          unique: true' });
      expect(parseSpec(text, 'prism.yaml').spec.models).to.have.length(1);
    });
  });

  describe('reorder', () => {
    it("the time column alone names TimescaleDB's default time index", () => {
      const text = edit({ 19: '        index: [time DESC]' });
      const ts = parseSpec(text, 'prism.yaml').spec.models[0]?.timeseries;
      expect(ts?.reorder?.indexName).to.equal('reading_time_idx');
    });

    it('the primary key columns name the key', () => {
      const text = edit({ 4: '      - name: device_id', 19: '        index: [device_id, time]' });
      expect(parseSpec(text, 'prism.yaml').spec.models[0]?.timeseries?.reorder?.indexName).to.equal(
        'reading_device_id_time_idx',
      );
      const keyOnly = edit({ 16: '', 17: '', 19: '        index: [device_id, time]' });
      expect(
        parseSpec(keyOnly, 'prism.yaml').spec.models[0]?.timeseries?.reorder?.indexName,
      ).to.equal('reading_pkey');
    });

    it('columns no index has are refused with the indexes there are', () => {
      const issue = onlyIssue(edit({ 19: '        index: [value]' }));
      expectAt(issue, 19, 16);
      expect(issue.message).to.equal(
        "no index of model 'Reading' has the columns (value): a reorder policy needs an index to reorder by",
      );
      expect(issue.hint).to.equal(
        'add it under timeseries.indexes, or use one of: (time DESC), (device_id, time)',
      );
    });

    it('a column that is no field, and a malformed term, are located each', () => {
      const issues = issuesOf(edit({ 19: '        index: [devic, time SIDEWAYS]' }));
      expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
        [19, 17, "reorder index column 'devic' is not a field of model 'Reading'"],
        [19, 24, 'invalid index column "time SIDEWAYS": unexpected "SIDEWAYS"'],
      ]);
    });

    it('an index other than btree is refused: only btree orders a CLUSTER', () => {
      const issue = onlyIssue(edit({ 17: '        - { columns: [device_id, time], type: brin }' }));
      expectAt(issue, 19, 16);
      expect(issue.message).to.equal(
        'index reading_device_id_time_idx is a brin index: a reorder policy clusters chunks, which only a btree index can order',
      );
    });

    it('an empty index list is refused', () => {
      const issue = onlyIssue(edit({ 19: '        index: []' }));
      expectAt(issue, 19, 16);
    });
  });

  describe('matchReorderIndex', () => {
    const indexes = [{ name: 'r_a_b_idx', columns: ['a', 'b'] }];
    const term = (column: string) => ({ column, direction: 'ASC' as const });
    it('matches column names in order, or the time column alone', () => {
      expect(matchReorderIndex([term('a'), term('b')], indexes, 'r', 't')).to.equal('r_a_b_idx');
      expect(matchReorderIndex([term('b'), term('a')], indexes, 'r', 't')).to.equal(undefined);
      expect(matchReorderIndex([term('t')], indexes, 'r', 't')).to.equal('r_t_idx');
    });
  });

  it("the README's example is a valid spec", () => {
    const readme = readFileSync(resolve('README.md'), 'utf8');
    const block = /```yaml\n(models:\n {2}- name: Reading\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'the partitioning example in README.md').to.be.a('string');
    const ts = parseSpec(block as string, 'README.md').spec.models[0]?.timeseries;
    expect(ts?.partitioning).to.deep.equal({ column: 'device_id', partitions: 4 });
    expect(ts?.reorder?.indexName).to.equal('reading_device_id_time_idx');
  });
});
