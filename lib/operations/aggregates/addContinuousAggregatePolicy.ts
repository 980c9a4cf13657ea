import { UsageError } from '../../errors.js';
import { intervalSql, type IntervalInput } from '../../sql/interval.js';
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
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import { execTs, guarded, tsFormat, TS } from '../guard.js';
import { effectiveMode } from '../mode.js';
import { removeContinuousAggregatePolicySql } from './removeContinuousAggregatePolicy.js';
import { JOB_OF_AGGREGATE, lookupContinuousAggregate, whenNotContinuous } from './target.js';

/** The values of a refresh policy, as one environment may set them instead. */
export interface RefreshPolicyValues {
  readonly startOffset: IntervalInput | null;
  readonly endOffset: IntervalInput | null;
  readonly scheduleInterval: IntervalInput;
}

export interface ContinuousAggregatePolicyOptions
  extends TimescaleOption, EnvironmentOptions<RefreshPolicyValues> {
  /** How far back each run refreshes; null: from the oldest data. */
  readonly startOffset: IntervalInput | null;
  /** How close to now each run refreshes; null: up to the newest data. */
  readonly endOffset: IntervalInput | null;
  readonly scheduleInterval: IntervalInput;
}

export const REFRESH_PROC = 'policy_refresh_continuous_aggregate';

function offsetSql(value: IntervalInput | null | undefined, what: string): string {
  if (value === null) return 'NULL';
  if (value === undefined) {
    throw new UsageError(`refresh policy: ${what} is missing`, {
      hint: `give ${what} as an interval such as '1 hour', a whole number for integer time, or null for no bound`,
    });
  }
  return intervalSql(value, what);
}

/** SQL: the offset stored in the job config equals `value`. */
function sameOffset(key: string, value: IntervalInput | null): string {
  const stored = `(job_config ->> ${quoteLiteral(key)})`;
  if (value === null) return `${stored} IS NULL`;
  const cast = typeof value === 'string' ? 'pg_catalog.interval' : 'bigint';
  return `${stored}::${cast} IS NOT DISTINCT FROM ${intervalSql(value, key)}`;
}

/**
 * The refresh policy of a continuous aggregate. An equal one is kept; a different one is
 * an error that says how to change it, never silently kept. On a view standing in for a
 * continuous aggregate: skipped under `auto` (`jobs run` refreshes it), refused under
 * `require`.
 */
export function addContinuousAggregatePolicySql(
  view: TableArg,
  options: ContinuousAggregatePolicyOptions,
): string {
  if (options === null || typeof options !== 'object') {
    throw new UsageError(
      `addContinuousAggregatePolicy(${displayName(view)}) needs { startOffset, endOffset, scheduleInterval }`,
    );
  }
  if (typeof options.scheduleInterval !== 'string') {
    throw new UsageError('scheduleInterval must be an interval such as 30 minutes');
  }
  const start = offsetSql(options.startOffset, 'startOffset');
  const end = offsetSql(options.endOffset, 'endOffset');
  const schedule = intervalSql(options.scheduleInterval, 'scheduleInterval');
  const mode = effectiveMode(options.timescale);
  const name = displayName(view);
  return guarded({
    mode,
    feature: 'licensed',
    what: `refresh policy on ${name}`,
    declare: [...LOOKUP_DECLARE, 'job_config jsonb;', 'job_schedule pg_catalog.interval;'],
    body: [
      ...lookupContinuousAggregate(view, whenNotContinuous(mode, 'add a refresh policy', view)),
      'SELECT j.config, j.schedule_interval INTO job_config, job_schedule FROM timescaledb_information.jobs j',
      `  WHERE j.proc_name = ${quoteLiteral(REFRESH_PROC)} AND ${JOB_OF_AGGREGATE} LIMIT 1;`,
      'IF job_config IS NOT NULL THEN',
      `  IF ${sameOffset('start_offset', options.startOffset)} AND ${sameOffset('end_offset', options.endOffset)} AND job_schedule = ${schedule} THEN`,
      `    RAISE NOTICE '%', ${quoteLiteral(`prism: refresh policy on ${name} already exists with the same offsets and schedule, skipping`)};`,
      '    RETURN;',
      '  END IF;',
      `  RAISE EXCEPTION USING MESSAGE = pg_catalog.format(${quoteLiteral(`prism: a refresh policy already exists on ${name.replaceAll('%', '%%')} with start_offset = %s, end_offset = %s, schedule_interval = %s`)},`,
      "    COALESCE(job_config ->> 'start_offset', 'NULL'), COALESCE(job_config ->> 'end_offset', 'NULL'), job_schedule),",
      "    HINT = 'remove it first (removeContinuousAggregatePolicy) and add the new one';",
      'END IF;',
      execTs(
        tsFormat`SELECT ${TS}.add_continuous_aggregate_policy(${regclass(view)}, start_offset => ${start}, end_offset => ${end}, schedule_interval => ${schedule})`,
      ),
    ],
  });
}

/**
 * Refreshes the aggregate in a job, with the current environment's values where
 * `environments` has them. Reverse: removeContinuousAggregatePolicy.
 */
export const addContinuousAggregatePolicy: ReversibleOperation<
  [TableArg, ContinuousAggregatePolicyOptions]
> = byEnvironment(
  reversible(
    addContinuousAggregatePolicySql,
    (view: TableArg, options: ContinuousAggregatePolicyOptions) =>
      removeContinuousAggregatePolicySql(view, { ...options, ifExists: true }),
  ),
);
