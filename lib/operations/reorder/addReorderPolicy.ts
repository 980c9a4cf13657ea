import { UsageError } from '../../errors.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import {
  displayName,
  lookupHypertable,
  LOOKUP_DECLARE,
  regclass,
  reversible,
  type ReversibleOperation,
  type TableArg,
  type TimescaleOption,
  whenNotHypertable,
} from '../common.js';
import { execTs, guarded, tsFormat, TS } from '../guard.js';
import { effectiveMode } from '../mode.js';
import { removeReorderPolicySql } from './removeReorderPolicy.js';

export interface AddReorderPolicyOptions extends TimescaleOption {
  /** The name of the index chunks are reordered by (an index of the hypertable). */
  readonly index: string;
}

export function checkIndexName(index: unknown, what: string): asserts index is string {
  if (typeof index !== 'string' || index === '') {
    throw new UsageError(`${what} needs { index }: the name of an index of the hypertable`);
  }
  // Rejects names no identifier can hold (a NUL byte, too long).
  quoteIdent(index, 'index name');
}

/**
 * Reorder policies are jobs of the Timescale License build, like compression policies.
 * An existing one on the same index is kept; one on another index is an error, never
 * silently kept (add_reorder_policy's if_not_exists would only warn).
 */
export function addReorderPolicySql(table: TableArg, options: AddReorderPolicyOptions): string {
  checkIndexName(options?.index, 'addReorderPolicy');
  const mode = effectiveMode(options.timescale);
  const name = displayName(table);
  const index = quoteLiteral(options.index);
  return guarded({
    mode,
    feature: 'licensed',
    what: `reorder policy on ${name}`,
    declare: [...LOOKUP_DECLARE, 'existing_index text;'],
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'add a reorder policy', table)),
      "SELECT j.config ->> 'index_name' INTO existing_index FROM timescaledb_information.jobs j",
      "  WHERE j.proc_name = 'policy_reorder' AND j.hypertable_schema = rel_schema AND j.hypertable_name = rel_name LIMIT 1;",
      'IF FOUND THEN',
      `  IF existing_index = ${index} THEN`,
      `    RAISE NOTICE '%', ${quoteLiteral(`prism: reorder policy on ${name} by ${options.index} already exists, skipping`)};`,
      '    RETURN;',
      '  END IF;',
      `  RAISE EXCEPTION USING MESSAGE = pg_catalog.format(${quoteLiteral(`prism: a reorder policy already exists on ${name.replaceAll('%', '%%')} by index %s`)}, existing_index),`,
      "    HINT = 'remove it first (removeReorderPolicy) and add the new one';",
      'END IF;',
      // The index is looked up in the hypertable's schema, as TimescaleDB does.
      'IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid',
      `  WHERE i.indrelid = target AND c.relname = ${index}) THEN`,
      `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: ${name} has no index ${options.index} to reorder by`)},`,
      "    HINT = 'create the index before the reorder policy';",
      'END IF;',
      execTs(tsFormat`SELECT ${TS}.add_reorder_policy(${regclass(table)}, ${index})`),
    ],
  });
}

/** Reorders chunks of a hypertable by an index, in a job. Reverse: removeReorderPolicy. */
export const addReorderPolicy: ReversibleOperation<[TableArg, AddReorderPolicyOptions]> =
  reversible(addReorderPolicySql, (table: TableArg, options: AddReorderPolicyOptions) =>
    removeReorderPolicySql(table, { ifExists: true, timescale: options?.timescale }),
  );
