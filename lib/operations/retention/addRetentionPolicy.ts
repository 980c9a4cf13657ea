import type { IntervalInput } from '../../sql/interval.js';
import { reversible, type TableArg } from '../common.js';
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import {
  addPolicySql,
  removePolicySql,
  RETENTION_POLICY,
  type AddPolicyOptions,
} from '../policy.js';

export interface AddRetentionPolicyOptions
  extends AddPolicyOptions, EnvironmentOptions<{ dropAfter: IntervalInput }> {
  /** Drop whole chunks whose data is older than this. */
  readonly dropAfter: IntervalInput;
}

export const addRetentionPolicy = byEnvironment(
  reversible(
    (table: TableArg, options: AddRetentionPolicyOptions) =>
      addPolicySql(RETENTION_POLICY, table, options.dropAfter, options),
    (table: TableArg, options: AddRetentionPolicyOptions) =>
      removePolicySql(RETENTION_POLICY, table, { ifExists: true, timescale: options.timescale }),
  ),
);
