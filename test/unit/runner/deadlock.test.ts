import { expect } from 'chai';
import {
  DEADLOCK_ATTEMPTS,
  isConcurrencyConflict,
  readOnlyRetried,
} from '../../../lib/runner/deadlock.js';

const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });

describe('runner/deadlock', () => {
  it('runs a read again after a deadlock and returns what the next attempt read', async () => {
    let calls = 0;
    const result = await readOnlyRetried(
      async () => {
        calls += 1;
        if (calls < 3) throw deadlock;
        return 42;
      },
      () => 0,
    );
    expect(result).to.equal(42);
    expect(calls).to.equal(3);
  });

  it(`gives up after ${DEADLOCK_ATTEMPTS} attempts with the deadlock itself`, async () => {
    let calls = 0;
    const failure = await readOnlyRetried(
      async () => {
        calls += 1;
        throw deadlock;
      },
      () => 0,
    ).catch((error: unknown) => error);
    expect(failure).to.equal(deadlock);
    expect(calls).to.equal(DEADLOCK_ATTEMPTS);
  });

  it('does not run a read again after any other error', async () => {
    let calls = 0;
    const other = Object.assign(new Error('relation does not exist'), { code: '42P01' });
    const failure = await readOnlyRetried(
      async () => {
        calls += 1;
        throw other;
      },
      () => 0,
    ).catch((error: unknown) => error);
    expect(failure).to.equal(other);
    expect(calls).to.equal(1);
  });

  it('counts a catalog row changed by a policy job as a conflict to run again, and nothing else', () => {
    const internal = (message: string) => Object.assign(new Error(message), { code: 'XX000' });
    expect(isConcurrencyConflict(deadlock)).to.equal(true);
    expect(isConcurrencyConflict(internal('tuple concurrently deleted'))).to.equal(true);
    expect(isConcurrencyConflict(internal('tuple concurrently updated'))).to.equal(true);
    expect(isConcurrencyConflict(internal('cache lookup failed for relation 1'))).to.equal(false);
    expect(isConcurrencyConflict(new Error('tuple concurrently deleted'))).to.equal(false);
    expect(isConcurrencyConflict(undefined)).to.equal(false);
  });
});
