/** `environments:` in prism.yaml: located errors, and the values each environment sees. */
import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import { environmentNames, specForEnvironment } from '../../../lib/spec/environments.js';
import { amountText } from '../../../lib/spec/time-amount.js';
import { compileSpec } from '../../../lib/schema/compile.js';
import type { Spec } from '../../../lib/spec/types.js';
import { issuesOf } from '../../helpers/spec-issues.js';

const MODELS = [
  /*  1 */ 'models:',
  /*  2 */ '  - name: Metric',
  /*  3 */ '    fields:',
  /*  4 */ '      - { name: time, type: datetime }',
  /*  5 */ '      - { name: value, type: float }',
  /*  6 */ '    timeseries:',
  /*  7 */ '      time_column: time',
  /*  8 */ '      chunk_interval: 7 days',
  /*  9 */ '      compression: { after: 30 days }',
  /* 10 */ '      retention: { drop_after: 1 year }',
  /* 11 */ '  - name: Device',
  /* 12 */ '    fields:',
  /* 13 */ '      - { name: id, type: int, primary_key: true }',
  /* 14 */ '  - name: Counter',
  /* 15 */ '    fields:',
  /* 16 */ '      - { name: t, type: bigint }',
  /* 17 */ '    timeseries: { time_column: t, chunk_interval: 86400, time_unit: s }',
].join('\n');

const withEnvironments = (...lines: string[]) =>
  `${MODELS}\n${['environments:', ...lines].join('\n')}\n`;
const spec = (text: string): Spec => parseSpec(text, 'prism.yaml').spec;

describe('environments: in prism.yaml', () => {
  const text = withEnvironments(
    /* 19 */ '  development:',
    /* 20 */ '    Metric: { chunk_interval: 1 day, compression: { after: 2 days }, retention: { drop_after: 30 days } }',
    /* 21 */ '    Counter: { chunk_interval: 3600 }',
    /* 22 */ '  test:',
    /* 23 */ '    Metric: { retention: { drop_after: 7 days } }',
  );

  it('attaches each environment to its models, and resolves them per environment', () => {
    const s = spec(text);
    expect(environmentNames(s)).to.deep.equal(['development', 'test']);
    const amounts = (env: string | undefined) => {
      const m = specForEnvironment(s, env).models.find((x) => x.name === 'Metric');
      const ts = m?.timeseries;
      return [ts?.chunkInterval, ts?.compression?.after, ts?.retention?.dropAfter].map((a) =>
        a ? amountText(a) : undefined,
      );
    };
    expect(amounts(undefined)).to.deep.equal(['7 days', '30 days', '1 year']);
    expect(amounts('development')).to.deep.equal(['1 day', '2 days', '30 days']);
    expect(amounts('test')).to.deep.equal(['7 days', '30 days', '7 days']);
    expect(amounts('production')).to.deep.equal(['7 days', '30 days', '1 year']);
    const counter = specForEnvironment(s, 'development').models.find((m) => m.name === 'Counter');
    expect(counter?.timeseries?.chunkInterval).to.deep.equal({ kind: 'integer', value: 3600n });
    // The environment's view carries no per-environment values any more.
    expect(specForEnvironment(s, 'development').models[0]?.timeseries?.environments).to.equal(
      undefined,
    );
  });

  it('compiles the schema of one environment for drift', () => {
    const table = compileSpec(specForEnvironment(spec(text), 'development')).tables[0];
    expect(table?.hypertable?.chunkInterval && amountText(table.hypertable.chunkInterval)).to.equal(
      '1 day',
    );
    expect(table?.hypertable?.dropAfter && amountText(table.hypertable.dropAfter)).to.equal(
      '30 days',
    );
  });

  it('refuses an unknown model with its place and the closest name', () => {
    const [issue, ...rest] = issuesOf(withEnvironments('  development:', '    Metrik: {}'));
    expect(rest).to.deep.equal([]);
    expect(issue).to.include({ line: 20, column: 5 });
    expect(issue?.message).to.match(/environment 'development' names model 'Metrik'/);
    expect(issue?.hint).to.equal("did you mean 'Metric'?");
  });

  it('refuses a model without a timeseries block, and amounts without a policy to change', () => {
    const issues = issuesOf(
      `${MODELS.replace('      compression: { after: 30 days }\n', '').replace(
        '      retention: { drop_after: 1 year }\n',
        '',
      )}\nenvironments:\n  dev:\n    Device: { chunk_interval: 1 day }\n    Metric: { compression: { after: 1 day }, retention: { drop_after: 2 days } }\n`,
    );
    const text = issues.map((i) => `${i.line}:${i.column} ${i.message}`);
    expect(text).to.have.length(3);
    expect(text[0]).to.match(/^18:5 model 'Device' has no timeseries block/);
    const line = '    Metric: { compression: { after: 1 day }, retention: { drop_after: 2 days } }';
    const at = (value: string) => `19:${line.indexOf(value) + 1}`;
    expect(text[1]).to.match(
      new RegExp(`^${at('1 day')} model 'Metric' has no compression policy`),
    );
    expect(text[2]).to.match(new RegExp(`^${at('2 days')} model 'Metric' has no retention policy`));
  });

  it('checks amounts against the time column, at their place', () => {
    const issues = issuesOf(
      withEnvironments(
        '  dev:',
        '    Metric: { chunk_interval: 86400 }',
        '    Counter: { chunk_interval: 1 day }',
      ),
    );
    expect(issues.map((i) => [i.line, i.column])).to.deep.equal([
      [20, 31],
      [21, 32],
    ]);
    expect(issues[0]?.message).to.match(/must be an interval/);
    expect(issues[1]?.message).to.match(/must be an integer number/);
  });

  it('refuses a bad environment name and unknown keys structurally', () => {
    const name = issuesOf(
      withEnvironments('  "dev env":', '    Metric: { chunk_interval: 1 day }'),
    );
    expect(name.map((i) => [i.line, i.message])).to.deep.equal([
      [19, "'dev env' is not a valid name in 'environments'"],
    ]);
    const key = issuesOf(withEnvironments('  dev:', '    Metric: { chunk_size: 1 day }'));
    expect(key.map((i) => i.line)).to.deep.equal([20]);
    expect(key[0]?.message).to.match(/chunk_size/);
  });

  it('warns when an environment drops chunks before it would compress them', () => {
    const loaded = parseSpec(
      withEnvironments('  dev:', '    Metric: { retention: { drop_after: 10 days } }'),
      'prism.yaml',
    );
    expect(loaded.warnings.map((w) => w.message)).to.deep.equal([
      "in environment 'dev', compression after (30 days) is not shorter than retention drop_after (10 days): chunks are dropped before they would be compressed",
    ]);
  });

  it("checks an environment's chunk interval against the merged chunks of compression", () => {
    const [issue, ...rest] = issuesOf(
      `${MODELS.replace('compression: { after: 30 days }', 'compression: { after: 30 days, chunk_interval: 14 days }')}\nenvironments:\n  dev:\n    Metric: { chunk_interval: 5 days }\n`,
    );
    expect(rest).to.deep.equal([]);
    expect(issue).to.include({ line: 20, column: 31 });
    expect(issue?.message).to.equal(
      "in environment 'dev', compression chunk_interval 14 days of model 'Metric' is not a multiple of the chunk interval 5 days",
    );
  });
});
