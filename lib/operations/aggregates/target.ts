/** Policies and compression on a continuous aggregate, found by its view. */
import { quoteLiteral } from '../../sql/quote.js';
import { displayName, regclass, type TableArg } from '../common.js';
import type { TimescaleMode } from '../mode.js';
import type { PolicyTarget } from '../policy.js';

/**
 * plpgsql lines that resolve the view into `target`, `rel_schema`, `rel_name` and run
 * `ifNot` when it is not a continuous aggregate.
 */
export function lookupContinuousAggregate(view: TableArg, ifNot: string): string[] {
  return [
    `target := ${regclass(view)};`,
    'SELECT n.nspname, c.relname INTO rel_schema, rel_name FROM pg_catalog.pg_class c',
    '  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target;',
    'IF NOT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates a',
    '  WHERE a.view_schema = rel_schema AND a.view_name = rel_name) THEN',
    `  ${ifNot}`,
    'END IF;',
  ];
}

/**
 * What a step on a continuous aggregate does when the view is a stand-in (made where
 * TimescaleDB could not make one): refused under `require`, skipped with a NOTICE under
 * `auto` (`jobs run` refreshes a stand-in; it has no compression or retention).
 */
export function whenNotContinuous(mode: TimescaleMode, what: string, view: TableArg): string {
  const name = displayName(view);
  return mode === 'require'
    ? `RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot ${what}: ${name} is not a continuous aggregate`)}, HINT = 'it was created without TimescaleDB (a view stands in for it); drop and create it on a server with the Timescale License';`
    : `RAISE NOTICE '%', ${quoteLiteral(`prism: ${what} skipped: ${name} is a view standing in for a continuous aggregate (TimescaleDB could not make one when it was created); \`prism-migrate jobs run\` refreshes it`)}; RETURN;`;
}

/**
 * Jobs of a continuous aggregate: TimescaleDB lists them under the view (2.13+) or under
 * its materialization hypertable (before).
 */
export const JOB_OF_AGGREGATE =
  '((j.hypertable_schema = rel_schema AND j.hypertable_name = rel_name) OR EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates a WHERE a.view_schema = rel_schema AND a.view_name = rel_name AND a.materialization_hypertable_schema = j.hypertable_schema AND a.materialization_hypertable_name = j.hypertable_name))';

export const AGGREGATE_TARGET: PolicyTarget = Object.freeze({
  lookup: lookupContinuousAggregate,
  whenNot: whenNotContinuous,
  noun: 'a continuous aggregate',
  jobOf: JOB_OF_AGGREGATE,
});
