/** Operations with per-environment values pick the running environment's, both ways. */
import { expect } from 'chai';
import {
  addCompressionPolicy,
  addContinuousAggregatePolicy,
  addRetentionPolicy,
  createHypertable,
  removeContinuousAggregatePolicy,
  removeRetentionPolicy,
  setChunkTimeInterval,
} from '../../../lib/operations/sql.js';
import { currentEnvironment, setEnvironmentOverride } from '../../../lib/operations/environment.js';

const sql = (s: string | string[]) => (Array.isArray(s) ? s.join('\n') : s);

describe('operations by environment', () => {
  const saved = process.env['PRISM_ENV'];
  afterEach(() => {
    setEnvironmentOverride(undefined);
    if (saved === undefined) delete process.env['PRISM_ENV'];
    else process.env['PRISM_ENV'] = saved;
  });

  it('chooses the override, else PRISM_ENV, else none; null means none', () => {
    delete process.env['PRISM_ENV'];
    expect(currentEnvironment()).to.equal(undefined);
    process.env['PRISM_ENV'] = 'staging';
    expect(currentEnvironment()).to.equal('staging');
    setEnvironmentOverride('development');
    expect(currentEnvironment()).to.equal('development');
    setEnvironmentOverride(null);
    expect(currentEnvironment()).to.equal(undefined);
  });

  it("uses the environment's values where it has some, the others' otherwise", () => {
    const options = {
      timeColumn: 'time',
      chunkInterval: '7 days',
      environments: { development: { chunkInterval: '1 day' } },
    };
    setEnvironmentOverride('development');
    expect(sql(createHypertable('m', options))).to.include("INTERVAL ''1 day''");
    setEnvironmentOverride('production');
    expect(sql(createHypertable('m', options))).to.include("INTERVAL ''7 days''");
    setEnvironmentOverride(null);
    expect(sql(createHypertable('m', options))).to.include("INTERVAL ''7 days''");
  });

  it('reverses with the same environment’s previous value', () => {
    const options = {
      chunkInterval: '7 days',
      previous: '14 days',
      environments: { dev: { chunkInterval: '1 hour', previous: '2 hours' } },
    };
    setEnvironmentOverride('dev');
    expect(sql(setChunkTimeInterval('m', options))).to.include("INTERVAL ''1 hour''");
    expect(sql(setChunkTimeInterval.reverse('m', options))).to.include("INTERVAL ''2 hours''");
    const drop = { dropAfter: '1 year', environments: { dev: { dropAfter: '30 days' } } };
    expect(sql(removeRetentionPolicy.reverse('m', drop))).to.include('30 days');
    expect(sql(removeRetentionPolicy.reverse('m', drop))).not.to.include('1 year');
  });

  it('gives policies their environment’s amount', () => {
    setEnvironmentOverride('dev');
    const compress = sql(
      addCompressionPolicy('m', { after: '30 days', environments: { dev: { after: '2 days' } } }),
    );
    expect(compress).to.include('2 days').and.not.include('30 days');
    const retain = sql(
      addRetentionPolicy('m', {
        dropAfter: '1 year',
        environments: { other: { dropAfter: '1 day' } },
      }),
    );
    expect(retain).to.include('1 year').and.not.include('1 day');
  });

  it('gives an aggregate refresh policy its environment’s offsets and schedule, both ways', () => {
    const options = {
      startOffset: '30 days',
      endOffset: '1 hour',
      scheduleInterval: '30 minutes',
      environments: {
        development: { startOffset: '3 days', endOffset: null, scheduleInterval: '5 minutes' },
      },
    };
    setEnvironmentOverride('development');
    const added = sql(addContinuousAggregatePolicy('reading_hourly', options));
    expect(added).to.include("start_offset => INTERVAL ''3 days''");
    expect(added).to.include('end_offset => NULL');
    expect(added).to.include("schedule_interval => INTERVAL ''5 minutes''");
    expect(added).not.to.include('30 days').and.not.include('30 minutes');
    const restored = sql(removeContinuousAggregatePolicy.reverse('reading_hourly', options));
    expect(restored).to.include("start_offset => INTERVAL ''3 days''");
    expect(restored).not.to.include('30 days');
    setEnvironmentOverride(null);
    const own = sql(addContinuousAggregatePolicy('reading_hourly', options));
    expect(own).to.include("start_offset => INTERVAL ''30 days''");
    expect(own).to.include("end_offset => INTERVAL ''1 hour''");
    expect(own).not.to.include('3 days');
  });
});
