import { quoteLiteral } from '../../sql/quote.js';
import {
  displayName,
  LOOKUP_DECLARE,
  regclass,
  reversible,
  type ReversibleOperation,
  type TableArg,
  type TimescaleOption,
} from '../common.js';
import { execTs, guarded, tsFormat, TS } from '../guard.js';
import { effectiveMode } from '../mode.js';
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import {
  addContinuousAggregatePolicySql,
  type ContinuousAggregatePolicyOptions,
  type RefreshPolicyValues,
} from './addContinuousAggregatePolicy.js';
import { lookupContinuousAggregate, whenNotContinuous } from './target.js';

export interface RemoveContinuousAggregatePolicyOptions
  extends
    TimescaleOption,
    EnvironmentOptions<RefreshPolicyValues>,
    Partial<Omit<ContinuousAggregatePolicyOptions, 'timescale' | 'environments'>> {
  readonly ifExists?: boolean | undefined;
}

export function removeContinuousAggregatePolicySql(
  view: TableArg,
  options: RemoveContinuousAggregatePolicyOptions = {},
): string {
  const ifExists = options.ifExists === true;
  const mode = effectiveMode(options.timescale);
  const name = displayName(view);
  return guarded({
    mode,
    feature: 'licensed',
    what: `removing the refresh policy on ${name}`,
    declare: LOOKUP_DECLARE,
    body: [
      ...lookupContinuousAggregate(
        view,
        ifExists
          ? `RAISE NOTICE '%', ${quoteLiteral(`prism: ${name} is not a continuous aggregate; no refresh policy to remove`)}; RETURN;`
          : whenNotContinuous(mode, 'remove the refresh policy', view),
      ),
      execTs(
        tsFormat`SELECT ${TS}.remove_continuous_aggregate_policy(${regclass(view)}, if_exists => ${String(ifExists)})`,
      ),
    ],
  });
}

/**
 * Removes the refresh policy. Reverse (with its offsets and schedule, the current
 * environment's where `environments` has them): addContinuousAggregatePolicy.
 */
export const removeContinuousAggregatePolicy: ReversibleOperation<
  [TableArg, RemoveContinuousAggregatePolicyOptions?]
> = byEnvironment(
  reversible(
    removeContinuousAggregatePolicySql,
    (view: TableArg, options: RemoveContinuousAggregatePolicyOptions = {}) => {
      const { startOffset, endOffset, scheduleInterval } = options;
      if (startOffset === undefined || endOffset === undefined || scheduleInterval === undefined) {
        throw new Error(
          'Impossible to reverse removeContinuousAggregatePolicy() without the policy: pass { startOffset, endOffset, scheduleInterval } of the policy being removed, or write an explicit down',
        );
      }
      return addContinuousAggregatePolicySql(view, {
        startOffset,
        endOffset,
        scheduleInterval,
        timescale: options.timescale,
      });
    },
  ),
);
