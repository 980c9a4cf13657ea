import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import type { Interval } from '../../../lib/sql/interval.js';
import { compareIntervals, intervalSql, parseInterval } from '../../../lib/sql/interval.js';

const DAY = 86_400_000_000n;

function ok(text: string): Interval {
  const result = parseInterval(text);
  if (!result.ok) return expect.fail(`refused ${JSON.stringify(text)}: ${result.reason}`);
  return result.interval;
}

function refused(input: unknown): { reason: string; hint: string } {
  const result = parseInterval(input);
  if (result.ok) return expect.fail(`accepted ${JSON.stringify(input)} as ${result.interval.text}`);
  return result;
}

describe('parseInterval', () => {
  it('accepts singular and plural units and writes them agreeing with the number', () => {
    expect(ok('1 day').text).to.equal('1 day');
    expect(ok('1 days').text).to.equal('1 day');
    expect(ok('7 day').text).to.equal('7 days');
    expect(ok('3 microseconds').text).to.equal('3 microseconds');
  });

  it('is case-insensitive and tolerant of extra spaces', () => {
    expect(ok('2 WEEKS').text).to.equal('2 weeks');
    expect(ok('  1   Hour ').text).to.equal('1 hour');
  });

  it('normalizes compounds: largest unit first, each unit once', () => {
    expect(ok('1 day 12 hours').text).to.equal('1 day 12 hours');
    expect(ok('12 hours 1 day').text).to.equal('1 day 12 hours');
    expect(ok('1 day 1 day').text).to.equal('2 days');
    expect(ok('1 day 12 hours').micros).to.equal(DAY + DAY / 2n);
  });

  it('counts a month as 30 days and a year as 360 days, like TimescaleDB', () => {
    expect(ok('1 month').micros).to.equal(30n * DAY);
    expect(ok('1 year').micros).to.equal(360n * DAY);
    expect(ok('1 week').micros).to.equal(7n * DAY);
    expect(ok('1 millisecond').micros).to.equal(1000n);
  });

  it('refuses zero, with a hint', () => {
    const r = refused('0 days');
    expect(r.reason).to.equal('interval "0 days" is zero');
    expect(r.hint).to.equal('use a positive duration, e.g. 1 day');
    expect(refused('0 hours 0 minutes').reason).to.contain('is zero');
  });

  it('refuses decimals and negatives', () => {
    expect(refused('1.5 days').reason).to.equal(
      'invalid interval "1.5 days": "1.5" is not a whole number',
    );
    expect(refused('-1 day').reason).to.equal(
      'invalid interval "-1 day": "-1" is not a whole number',
    );
  });

  it('refuses a number without a unit, a unit without a number and glued forms', () => {
    expect(refused('30').reason).to.equal('invalid interval "30"');
    expect(refused('day').reason).to.equal('invalid interval "day"');
    expect(refused('1day').reason).to.equal('invalid interval "1day"');
    expect(refused('').hint).to.contain("'7 days'");
  });

  it('suggests the closest unit for a typo', () => {
    const r = refused('1 wek');
    expect(r.reason).to.equal('invalid interval "1 wek": unknown unit "wek"');
    expect(r.hint).to.match(/^did you mean 'week'\?/);
    expect(refused('3 fortnights').hint).to.match(/^units: year, month/);
  });

  it('refuses non-strings and huge amounts', () => {
    expect(refused(7).reason).to.equal('an interval must be a string');
    expect(refused(null).reason).to.equal('an interval must be a string');
    expect(refused('2000000000 days').reason).to.contain('too large');
    expect(refused('12345678901 days').reason).to.contain('not a whole number');
  });

  it('refuses SQL smuggled into the text', () => {
    for (const text of [
      "1 day'; DROP TABLE x; --",
      "1 day'",
      '1 day\n; DROP',
      '1 day -- x',
      '1 day’',
      '１ day',
      '1 day $$',
    ]) {
      expect(parseInterval(text).ok, JSON.stringify(text)).to.equal(false);
    }
  });
});

describe('compareIntervals', () => {
  it('orders by duration, not by text', () => {
    expect(compareIntervals(ok('1 month'), ok('30 days'))).to.equal(0);
    expect(compareIntervals(ok('12 months'), ok('1 year'))).to.equal(0);
    expect(compareIntervals(ok('1 month'), ok('31 days'))).to.equal(-1);
    expect(compareIntervals(ok('1 year'), ok('365 days'))).to.equal(-1);
    expect(compareIntervals(ok('2 weeks'), ok('14 days'))).to.equal(0);
    expect(compareIntervals(ok('25 hours'), ok('1 day'))).to.equal(1);
  });

  it('sorts a mixed list', () => {
    const sorted = ['1 year', '1 hour', '5 weeks', '1 month', '90 minutes']
      .map(ok)
      .sort(compareIntervals);
    expect(sorted.map((i) => i.text)).to.deep.equal([
      '1 hour',
      '90 minutes',
      '1 month',
      '5 weeks',
      '1 year',
    ]);
  });
});

describe('intervalSql', () => {
  it('renders a validated interval literal or a whole number', () => {
    expect(intervalSql('7 DAYS', 'after')).to.equal("INTERVAL '7 days'");
    expect(intervalSql(86_400, 'after')).to.equal('86400');
    expect(intervalSql(10n ** 12n, 'after')).to.equal('1000000000000');
  });

  it('throws a UsageError naming the argument', () => {
    expect(() => intervalSql("1 day'; --", 'drop_after')).to.throw(
      UsageError,
      /^drop_after: invalid interval/,
    );
    expect(() => intervalSql(0, 'after')).to.throw(UsageError, 'after must be positive, got 0');
    expect(() => intervalSql(1.5, 'after')).to.throw(UsageError, 'whole number');
  });
});

describe('interval range', () => {
  it('refuses intervals PostgreSQL could not hold', async () => {
    const { parseInterval } = await import('../../../lib/sql/interval.js');
    const r = parseInterval('1000000000 years');
    expect(r.ok).to.equal(false);
    expect(r.ok ? '' : r.reason).to.match(/longer than 1000 years/);
    expect(parseInterval('999 years').ok).to.equal(true);
  });
});
