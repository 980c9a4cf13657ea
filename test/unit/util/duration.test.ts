import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import { formatDuration, parseDuration } from '../../../lib/util/duration.js';

describe('parseDuration (--lock-timeout)', () => {
  it('reads 0, short units and the interval grammar as milliseconds', () => {
    expect(parseDuration('0')).to.equal(0);
    expect(parseDuration('500ms')).to.equal(500);
    expect(parseDuration('1s')).to.equal(1_000);
    expect(parseDuration('1.5s')).to.equal(1_500);
    expect(parseDuration('30 s')).to.equal(30_000);
    expect(parseDuration('10m')).to.equal(600_000);
    expect(parseDuration('10min')).to.equal(600_000);
    expect(parseDuration('1h')).to.equal(3_600_000);
    expect(parseDuration('10 minutes')).to.equal(600_000);
    expect(parseDuration('1 hour 30 minutes')).to.equal(5_400_000);
  });

  it('refuses anything else with the forms it takes', () => {
    for (const bad of ['', 'soon', '10', '-1s', '1d', '10 parsecs', '2 days']) {
      let failure: unknown;
      try {
        parseDuration(bad, '--lock-timeout');
      } catch (error) {
        failure = error;
      }
      expect(failure, JSON.stringify(bad)).to.be.instanceOf(UsageError);
      expect((failure as UsageError).message).to.include('--lock-timeout');
    }
    expect(() => parseDuration('10')).to.throw(UsageError, /invalid duration "10"/);
  });

  it('writes durations for messages', () => {
    expect(formatDuration(0)).to.equal('0 ms');
    expect(formatDuration(1_000)).to.equal('1 s');
    expect(formatDuration(1_500)).to.equal('1.5 s');
    expect(formatDuration(600_000)).to.equal('10 min');
    expect(formatDuration(7_200_000)).to.equal('2 h');
  });
});
