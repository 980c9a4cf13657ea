import { expect } from 'chai';
import { fieldValue, isTimestampText } from '../../../lib/query/values.js';
import type { Field } from '../../../lib/spec/types.js';

const field = (type: string) => ({ name: 'f', type }) as unknown as Field;
const accepts = (type: string, value: unknown) =>
  expect(() => fieldValue(field(type), value), `${type} ${String(value)}`).to.not.throw();
const refuses = (type: string, value: unknown) =>
  expect(() => fieldValue(field(type), value), `${type} ${String(value)}`).to.throw(/expected/);

describe('field values as PostgreSQL reads them', () => {
  it('Dates: from year 1 to 9999, as the text forms; before year 1 refused, not misprinted', () => {
    const inYear = (year: number) => {
      const d = new Date(2026, 5, 15, 12);
      d.setFullYear(year);
      return d;
    };
    for (const type of ['datetime', 'timestamp', 'date']) {
      accepts(type, inYear(1));
      accepts(type, inYear(9999));
      for (const year of [0, -1, 10_000]) refuses(type, inYear(year));
      refuses(type, new Date(Number.NaN));
    }
    expect(fieldValue(field('timestamp'), inYear(1))).to.equal('0001-06-15T12:00:00.000');
  });

  it('timestamps: real calendar days and clock times only, any RFC 3339 form', () => {
    for (const ok of [
      '2024-02-29',
      '2000-02-29T12:00:00Z',
      '2026-11-24t10:00:00.123456z',
      '2026-11-24 10:00+05:45',
      '2026-11-24T10:00:00+0545',
      '0001-01-01T00:00:00Z',
    ]) {
      expect(isTimestampText(ok), ok).to.equal(true);
    }
    for (const bad of [
      '2026-02-30',
      '2023-02-29',
      '1900-02-29',
      '2026-04-31T00:00:00Z',
      '2026-13-01',
      '0000-01-01',
      '2026-01-01T24:00:00Z',
      '2026-01-01T10:60:00Z',
      '2026-01-01T10:00:00+16:00',
    ]) {
      expect(isTimestampText(bad), bad).to.equal(false);
    }
    refuses('datetime', '2026-02-30T00:00:00Z');
    accepts('datetime', '2026-02-28T00:00:00Z');
  });

  it('dates and times of day', () => {
    accepts('date', '2024-02-29');
    refuses('date', '2023-02-29');
    for (const ok of ['00:00', '23:59:59.999999', '23:59:60', '24:00', '24:00:00'])
      accepts('time', ok);
    for (const bad of ['24:00:01', '24:00:00.5', '25:00', '12:60', '12:00:61'])
      refuses('time', bad);
  });

  it('JSON without NUL characters, in values or keys', () => {
    accepts('json', { note: 'a\\u0000b' });
    refuses('json', { note: 'a\u0000b' });
    refuses('json', { ['k\u0000']: 1 });
    refuses('json', [[{ deep: ['\u0000'] }]]);
  });

  it('text and JSON without lone surrogates, which the driver would store as U+FFFD', () => {
    accepts('string', 'pair \ud83d\ude00');
    accepts('json', { note: 'pair \ud83d\ude00' });
    for (const type of ['string', 'text']) {
      refuses(type, 'a\ud800b');
      refuses(type, '\ude00 first');
      refuses(type, 'end \ud83d');
    }
    refuses('json', { note: 'a\udc00' });
    refuses('json', { ['k\ud800']: 1 });
  });
});
