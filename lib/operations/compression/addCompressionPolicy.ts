import type { IntervalInput } from '../../sql/interval.js';
import { reversible, type TableArg } from '../common.js';
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import {
  addPolicySql,
  COMPRESSION_POLICY,
  removePolicySql,
  type AddPolicyOptions,
} from '../policy.js';

export interface AddCompressionPolicyOptions
  extends AddPolicyOptions, EnvironmentOptions<{ after: IntervalInput }> {
  /** Compress chunks whose data is older than this. */
  readonly after: IntervalInput;
}

export const addCompressionPolicy = byEnvironment(
  reversible(
    (table: TableArg, options: AddCompressionPolicyOptions) =>
      addPolicySql(COMPRESSION_POLICY, table, options.after, options),
    (table: TableArg, options: AddCompressionPolicyOptions) =>
      removePolicySql(COMPRESSION_POLICY, table, { ifExists: true, timescale: options.timescale }),
  ),
);
