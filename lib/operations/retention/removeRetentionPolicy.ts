import type { IntervalInput } from '../../sql/interval.js';
import { reversible, type TableArg } from '../common.js';
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import {
  addPolicySql,
  cannotReverseRemove,
  removePolicySql,
  RETENTION_POLICY,
  type RemovePolicyOptions,
} from '../policy.js';

export interface RemoveRetentionPolicyOptions
  extends RemovePolicyOptions, EnvironmentOptions<{ dropAfter: IntervalInput }> {
  /** The policy's current `dropAfter`; lets the reverse re-add it. */
  readonly dropAfter?: IntervalInput | undefined;
}

export const removeRetentionPolicy = byEnvironment(
  reversible(
    (table: TableArg, options: RemoveRetentionPolicyOptions = {}) =>
      removePolicySql(RETENTION_POLICY, table, options),
    (table: TableArg, options: RemoveRetentionPolicyOptions = {}) =>
      options.dropAfter === undefined
        ? cannotReverseRemove(RETENTION_POLICY)
        : addPolicySql(RETENTION_POLICY, table, options.dropAfter, {
            ifNotExists: true,
            timescale: options.timescale,
          }),
  ),
);
