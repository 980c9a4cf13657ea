import { expect } from 'chai';
import { UsageError } from '../../lib/errors.js';

/** The UsageError `work` throws; the test fails when it throws none or another error. */
export function usageError(work: () => unknown): UsageError {
  try {
    work();
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}
