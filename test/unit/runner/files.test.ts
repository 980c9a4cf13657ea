import { expect } from 'chai';
import { compareMigrationNames } from '../../../lib/runner/files.js';

describe('runner/files', () => {
  it('orders migrations as node-pg-migrate does: by numeric prefix, then ignoring punctuation', () => {
    const names = [
      '1000_ab',
      '20260101000000000_later',
      '1000_a_z',
      '999_first',
      '20251231235959999_utc',
    ];
    expect([...names].sort(compareMigrationNames)).to.deep.equal([
      '999_first',
      '1000_ab',
      '1000_a_z',
      '20251231235959999_utc',
      '20260101000000000_later',
    ]);
  });
});
