import type { IntervalInput } from '../../sql/interval.js';
import { reversible, type TableArg } from '../common.js';
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import {
  addPolicySql,
  cannotReverseRemove,
  COMPRESSION_POLICY,
  removePolicySql,
  type RemovePolicyOptions,
} from '../policy.js';

export interface RemoveCompressionPolicyOptions
  extends RemovePolicyOptions, EnvironmentOptions<{ after: IntervalInput }> {
  /** The policy's current `after`; lets the reverse re-add it. */
  readonly after?: IntervalInput | undefined;
}

export const removeCompressionPolicy = byEnvironment(
  reversible(
    (table: TableArg, options: RemoveCompressionPolicyOptions = {}) =>
      removePolicySql(COMPRESSION_POLICY, table, options),
    (table: TableArg, options: RemoveCompressionPolicyOptions = {}) =>
      options.after === undefined
        ? cannotReverseRemove(COMPRESSION_POLICY)
        : addPolicySql(COMPRESSION_POLICY, table, options.after, {
            ifNotExists: true,
            timescale: options.timescale,
          }),
  ),
);
