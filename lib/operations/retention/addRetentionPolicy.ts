import type { IntervalInput } from '../../sql/interval.js';
import { reversible, type TableArg } from '../common.js';
import {
  addPolicySql,
  removePolicySql,
  RETENTION_POLICY,
  type AddPolicyOptions,
} from '../policy.js';

export interface AddRetentionPolicyOptions extends AddPolicyOptions {
  /** Drop whole chunks whose data is older than this. */
  readonly dropAfter: IntervalInput;
}

export const addRetentionPolicy = reversible(
  (table: TableArg, options: AddRetentionPolicyOptions) =>
    addPolicySql(RETENTION_POLICY, table, options.dropAfter, options),
  (table: TableArg, options: AddRetentionPolicyOptions) =>
    removePolicySql(RETENTION_POLICY, table, { ifExists: true, timescale: options.timescale }),
);
