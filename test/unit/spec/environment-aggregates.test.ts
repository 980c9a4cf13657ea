/**
 * Refresh policies of continuous aggregates per environment (`environments: <env>: <Model>:
 * aggregates: <name>: refresh`): located errors, the values each environment sees, the diff
 * and its inverse, and the rendered call.
 */
import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import { specForEnvironment } from '../../../lib/spec/environments.js';
import { amountText } from '../../../lib/spec/time-amount.js';
import type { AggregateRefresh, Spec } from '../../../lib/spec/types.js';
import { diffSpecs } from '../../../lib/diff/diff.js';
import { invert, invertAll, type Change } from '../../../lib/diff/changes.js';
import { describeChange } from '../../../lib/diff/describe.js';
import { parseSnapshot, serializeSnapshot } from '../../../lib/diff/snapshot.js';
import { renderChange } from '../../../lib/generate/render.js';
import { issuesOf } from '../../helpers/spec-issues.js';

const MODELS = [
  /*  1 */ 'models:',
  /*  2 */ '  - name: Reading',
  /*  3 */ '    fields:',
  /*  4 */ '      - { name: recorded_at, type: datetime }',
  /*  5 */ '      - { name: sensor, type: text }',
  /*  6 */ '      - { name: temperature, type: float }',
  /*  7 */ '    timeseries:',
  /*  8 */ '      time_column: recorded_at',
  /*  9 */ '      chunk_interval: 7 days',
  /* 10 */ '      aggregates:',
  /* 11 */ '        - name: reading_hourly',
  /* 12 */ '          bucket: 1 hour',
  /* 13 */ '          group_by: [sensor]',
  /* 14 */ '          columns: { avg_temp: avg(temperature), samples: count(*) }',
  /* 15 */ '          refresh: { start_offset: 30 days, end_offset: 1 hour, schedule_interval: 30 minutes }',
  /* 16 */ '          compression: { after: 45 days }',
  /* 17 */ '        - name: reading_daily',
  /* 18 */ '          bucket: 1 day',
  /* 19 */ '          columns: { samples: count(*) }',
].join('\n');

const withEnvironments = (...lines: string[]) =>
  `${MODELS}\n${['environments:', ...lines].join('\n')}\n`;
const spec = (text: string): Spec => parseSpec(text, 'prism.yaml').spec;

const DEVELOPMENT = withEnvironments(
  /* 21 */ '  development:',
  /* 22 */ '    Reading:',
  /* 23 */ '      chunk_interval: 1 day',
  /* 24 */ '      aggregates:',
  /* 25 */ '        reading_hourly: { refresh: { start_offset: 3 days, end_offset: 1 hour, schedule_interval: 5 minutes } }',
);

function refreshText(r: AggregateRefresh | undefined): string {
  if (r === undefined) return 'none';
  const offset = (a: AggregateRefresh['startOffset']) => (a === null ? 'null' : amountText(a));
  return `${offset(r.startOffset)} / ${offset(r.endOffset)} / ${r.scheduleInterval.text}`;
}

function hourly(s: Spec, environment: string | undefined): string {
  const model = specForEnvironment(s, environment).models[0];
  return refreshText(
    model?.timeseries?.aggregates?.find((a) => a.name === 'reading_hourly')?.refresh,
  );
}

function column(line: string, text: string): number {
  return line.indexOf(text) + 1;
}

describe('aggregate refresh policies per environment: prism.yaml', () => {
  it("resolves each environment's refresh, the rest staying the model's", () => {
    const s = spec(
      withEnvironments(
        '  development:',
        '    Reading:',
        '      aggregates:',
        '        reading_hourly: { refresh: { start_offset: 3 days, end_offset: 1 hour, schedule_interval: 5 minutes } }',
        '  test:',
        '    Reading: { aggregates: { reading_hourly: { refresh: { schedule_interval: 1 hour } } } }',
      ),
    );
    expect(hourly(s, undefined)).to.equal('30 days / 1 hour / 30 minutes');
    expect(hourly(s, 'development')).to.equal('3 days / 1 hour / 5 minutes');
    expect(hourly(s, 'test')).to.equal('30 days / 1 hour / 1 hour');
    expect(hourly(s, 'production')).to.equal('30 days / 1 hour / 30 minutes');
    const daily = specForEnvironment(s, 'development').models[0]?.timeseries?.aggregates?.[1];
    expect(daily?.name).to.equal('reading_daily');
    expect(daily?.refresh).to.equal(undefined);
    expect(specForEnvironment(s, 'development').models[0]?.timeseries?.environments).to.equal(
      undefined,
    );
  });

  it('refuses an unknown aggregate with its place and the closest name', () => {
    const [issue, ...rest] = issuesOf(
      withEnvironments(
        '  development:',
        '    Reading: { aggregates: { reading_hourli: { refresh: { schedule_interval: 1 hour } } } }',
      ),
    );
    expect(rest).to.deep.equal([]);
    expect(issue).to.include({ line: 22, column: 30 });
    expect(issue?.message).to.equal(
      "environment 'development' names aggregate 'reading_hourli', which model 'Reading' does not have",
    );
    expect(issue?.hint).to.equal("did you mean 'reading_hourly'?");
  });

  it('refuses a refresh for an aggregate without a refresh policy', () => {
    const line =
      '    Reading: { aggregates: { reading_daily: { refresh: { schedule_interval: 1 hour } } } }';
    const [issue, ...rest] = issuesOf(withEnvironments('  development:', line));
    expect(rest).to.deep.equal([]);
    expect(issue).to.include({ line: 22, column: column(line, 'refresh') });
    expect(issue?.message).to.equal(
      "aggregate 'reading_daily' of model 'Reading' has no refresh policy, so environment 'development' cannot change it",
    );
    expect(issue?.hint).to.match(/give aggregate 'reading_daily' a `refresh`/);
  });

  it('checks the resolved window: two buckets at least, start_offset past end_offset', () => {
    const short =
      '    Reading: { aggregates: { reading_hourly: { refresh: { start_offset: 90 minutes } } } }';
    const inverted =
      '    Reading: { aggregates: { reading_hourly: { refresh: { end_offset: 31 days } } } }';
    const issues = issuesOf(withEnvironments('  dev:', short, '  test:', inverted));
    expect(issues.map((i) => [i.line, i.column])).to.deep.equal([
      [22, column(short, '90 minutes')],
      // start_offset is the model's: the environment's refresh key is pointed at.
      [24, column(inverted, 'refresh')],
    ]);
    expect(issues[0]?.message).to.equal(
      "in environment 'dev', aggregate 'reading_hourly': the refresh window from 90 minutes to 1 hour behind now covers less than two buckets of 1 hour",
    );
    expect(issues[0]?.hint).to.match(/make start_offset at least 3 hours/);
    expect(issues[1]?.message).to.equal(
      "in environment 'test', aggregate 'reading_hourly': refresh start_offset (30 days) must be larger than end_offset (31 days): a refresh covers from start_offset behind now up to end_offset behind now",
    );
  });

  it("checks the aggregate's compression policy against the environment's window", () => {
    const line =
      '    Reading: { aggregates: { reading_hourly: { refresh: { start_offset: 60 days } } } }';
    const [issue, ...rest] = issuesOf(withEnvironments('  dev:', line));
    expect(rest).to.deep.equal([]);
    expect(issue).to.include({ line: 22, column: column(line, '60 days') });
    expect(issue?.message).to.equal(
      "in environment 'dev', aggregate 'reading_hourly': compression after (45 days) must be larger than refresh start_offset (60 days): TimescaleDB before 2.19 refuses a compression policy on buckets the refresh still rewrites",
    );
  });

  it("warns when an environment's retention or refresh makes a refresh reach past the data it reads", () => {
    // Retention of 90 days everywhere: the model's own refresh of 30 days stays within it.
    const retained = MODELS.replace(
      '      chunk_interval: 7 days\n',
      '      chunk_interval: 7 days\n      retention: { drop_after: 90 days }\n',
    );
    const text = (...lines: string[]) => `${retained}\n${['environments:', ...lines].join('\n')}\n`;
    const warningsOf = (t: string) =>
      parseSpec(t, 'prism.yaml').warnings.map((w) => [w.line, w.column, w.message]);
    expect(warningsOf(`${retained}\n`)).to.deep.equal([]);
    const shorter = '    Reading: { retention: { drop_after: 7 days } }';
    const reaching =
      '    Reading: { retention: { drop_after: 40 days }, aggregates: { reading_hourly: { refresh: { start_offset: 44 days } } } }';
    const fine = '    Reading: { retention: { drop_after: 60 days } }';
    expect(
      warningsOf(text('  staging:', shorter, '  dev:', reaching, '  test:', fine)),
    ).to.deep.equal([
      [
        23,
        column(shorter, '7 days'),
        "in environment 'staging', aggregate 'reading_hourly': the refresh reaches back past the retention of model 'Reading' (drop_after 7 days): start_offset 30 days plus schedule_interval 30 minutes. A refresh over a range whose raw rows were dropped deletes the buckets materialized there; set start_offset to at most 6 days 23 hours 30 minutes (drop_after minus schedule_interval), or keep the source data longer",
      ],
      [
        25,
        column(reaching, '44 days'),
        "in environment 'dev', aggregate 'reading_hourly': the refresh reaches back past the retention of model 'Reading' (drop_after 40 days): start_offset 44 days plus schedule_interval 30 minutes. A refresh over a range whose raw rows were dropped deletes the buckets materialized there; set start_offset to at most 39 days 23 hours 30 minutes (drop_after minus schedule_interval), or keep the source data longer",
      ],
    ]);
  });

  it("warns when an environment's refresh of a hierarchical aggregate reaches past its source's retention", () => {
    const text = [
      ...MODELS.split('\n').slice(0, 13),
      '          columns: { samples: count(*) }',
      '          refresh: { start_offset: 30 days, end_offset: 1 hour, schedule_interval: 30 minutes }',
      '          retention: { drop_after: 60 days }',
      '        - name: reading_daily',
      '          from: reading_hourly',
      '          bucket: 1 day',
      '          columns: { samples: sum(samples) }',
      '          refresh: { start_offset: 20 days, end_offset: 1 day, schedule_interval: 1 hour }',
      'environments:',
      '  dev:',
      '    Reading: { aggregates: { reading_daily: { refresh: { start_offset: 90 days } } } }',
      '',
    ].join('\n');
    const [warning, ...rest] = parseSpec(text, 'prism.yaml').warnings;
    expect(rest).to.deep.equal([]);
    expect(warning).to.include({ line: 24, column: 72 });
    expect(warning?.message).to.equal(
      "in environment 'dev', aggregate 'reading_daily': the refresh reaches back past the retention of aggregate 'reading_hourly' (drop_after 60 days): start_offset 90 days plus schedule_interval 1 hour. A refresh over a range whose source buckets were dropped deletes the buckets materialized there; set start_offset to at most 59 days 23 hours (drop_after minus schedule_interval), or keep the source data longer",
    );
  });

  it('checks the amounts against the time column, at their place', () => {
    const line =
      '    Reading: { aggregates: { reading_hourly: { refresh: { schedule_interval: often } } } }';
    const [issue, ...rest] = issuesOf(withEnvironments('  dev:', line));
    expect(rest).to.deep.equal([]);
    expect(issue).to.include({ line: 22, column: column(line, 'often') });
    expect(issue?.message).to.match(
      /^in environment 'dev', aggregate 'reading_hourly': schedule_interval/,
    );
  });

  it('refuses unknown keys under an aggregate structurally', () => {
    const issues = issuesOf(
      withEnvironments(
        '  dev:',
        '    Reading: { aggregates: { reading_hourly: { bucket: 2 hours } } }',
      ),
    );
    expect(issues.map((i) => i.line)).to.deep.equal([22]);
    expect(issues[0]?.message).to.match(/bucket/);
  });
});

function only<K extends Change['kind']>(
  changes: readonly Change[],
  kind: K,
): Extract<Change, { kind: K }>[] {
  return changes.filter((c): c is Extract<Change, { kind: K }> => c.kind === kind);
}

describe('aggregate refresh policies per environment: diff and render', () => {
  const development = (schedule: string) =>
    DEVELOPMENT.replace('schedule_interval: 5 minutes', `schedule_interval: ${schedule}`);

  it('carries refreshByEnvironment on the policy made with the aggregate', () => {
    const changes = diffSpecs(undefined, spec(DEVELOPMENT));
    const [add, ...more] = only(changes, 'addContinuousAggregatePolicy');
    expect(more).to.deep.equal([]);
    expect(add?.view).to.equal('reading_hourly');
    expect(refreshText(add?.refresh)).to.equal('30 days / 1 hour / 30 minutes');
    expect(refreshText(add?.refreshByEnvironment?.['development'])).to.equal(
      '3 days / 1 hour / 5 minutes',
    );
    expect(describeChange(add as Change)).to.equal(
      'refresh reading_hourly every 30 minutes (from 30 days ago to 1 hour ago; development: every 5 minutes from 3 days ago to 1 hour ago)',
    );
  });

  it('renders the environments option beside the model values, both ways', () => {
    const [add] = only(diffSpecs(undefined, spec(DEVELOPMENT)), 'addContinuousAggregatePolicy');
    const text = renderChange(add as Change, 'js').join('\n');
    expect(text).to.contain(
      '// `environments`: the values used instead when run with --env <name> or PRISM_ENV=<name>',
    );
    expect(text.replace(/\s+/g, ' ')).to.contain(
      "addContinuousAggregatePolicy(pgm, 'reading_hourly', { startOffset: '30 days', endOffset: '1 hour', scheduleInterval: '30 minutes', environments: { development: { startOffset: '3 days', endOffset: '1 hour', scheduleInterval: '5 minutes' }, }, timescale: 'auto', });",
    );
    const removal = renderChange(invert(add as Change), 'js')
      .join('\n')
      .replace(/\s+/g, ' ');
    expect(removal).to.contain(
      "removeContinuousAggregatePolicy(pgm, 'reading_hourly', { startOffset: '30 days', endOffset: '1 hour', scheduleInterval: '30 minutes', environments: { development: { startOffset: '3 days', endOffset: '1 hour', scheduleInterval: '5 minutes' }, },",
    );
  });

  it('a changed environment value replaces the policy in place, and the inverse restores it', () => {
    const before = spec(development('5 minutes'));
    const after = spec(development('10 minutes'));
    const changes = diffSpecs(before, after);
    expect(changes.map((c) => c.kind)).to.deep.equal([
      'removeContinuousAggregatePolicy',
      'addContinuousAggregatePolicy',
    ]);
    const [remove, add] = changes;
    const devOf = (c: Change | undefined) =>
      c?.kind === 'addContinuousAggregatePolicy' || c?.kind === 'removeContinuousAggregatePolicy'
        ? refreshText(c.refreshByEnvironment?.['development'])
        : 'not a policy change';
    expect(devOf(remove)).to.equal('3 days / 1 hour / 5 minutes');
    expect(devOf(add)).to.equal('3 days / 1 hour / 10 minutes');
    const back = invertAll(changes);
    expect(back.map((c) => [c.kind, devOf(c)])).to.deep.equal([
      ['removeContinuousAggregatePolicy', '3 days / 1 hour / 10 minutes'],
      ['addContinuousAggregatePolicy', '3 days / 1 hour / 5 minutes'],
    ]);
    expect(back).to.deep.equal(diffSpecs(after, before));
  });

  it('an environment added or removed is a change; the same values written there are not', () => {
    const plain = spec(
      withEnvironments('  development:', '    Reading: { chunk_interval: 1 day }'),
    );
    expect(diffSpecs(plain, spec(DEVELOPMENT)).map((c) => c.kind)).to.deep.equal([
      'removeContinuousAggregatePolicy',
      'addContinuousAggregatePolicy',
    ]);
    expect(diffSpecs(spec(DEVELOPMENT), plain).map((c) => c.kind)).to.deep.equal([
      'removeContinuousAggregatePolicy',
      'addContinuousAggregatePolicy',
    ]);
    const same = withEnvironments(
      '  development:',
      '    Reading:',
      '      chunk_interval: 1 day',
      '      aggregates: { reading_hourly: { refresh: { schedule_interval: 30 minutes } } }',
    );
    expect(diffSpecs(plain, spec(same))).to.deep.equal([]);
  });

  it('survives the snapshot: the same spec again is no change', () => {
    const s = spec(DEVELOPMENT);
    const text = serializeSnapshot({ version: 1, migration: 'm1', parent: null, spec: s });
    const restored = parseSnapshot(text, 'snapshot.json').spec;
    expect(diffSpecs(restored, s)).to.deep.equal([]);
    expect(hourly(restored, 'development')).to.equal('3 days / 1 hour / 5 minutes');
  });
});
