import { quoteLiteral } from '../../sql/quote.js';
import {
  displayName,
  lookupHypertable,
  LOOKUP_DECLARE,
  regclass,
  reversible,
  type ReversibleOperation,
  type TableArg,
  type TimescaleOption,
} from '../common.js';
import { execTs, guarded, tsFormat, TS } from '../guard.js';
import { effectiveMode } from '../mode.js';
import { addReorderPolicySql } from './addReorderPolicy.js';

export interface RemoveReorderPolicyOptions extends TimescaleOption {
  readonly ifExists?: boolean | undefined;
  /** The policy's index; lets the reverse re-add it. */
  readonly index?: string | undefined;
}

export function removeReorderPolicySql(
  table: TableArg,
  options: RemoveReorderPolicyOptions = {},
): string {
  const ifExists = options.ifExists === true;
  return guarded({
    mode: effectiveMode(options.timescale),
    feature: 'licensed',
    what: `removing the reorder policy on ${displayName(table)}`,
    declare: LOOKUP_DECLARE,
    body: [
      ...(ifExists
        ? lookupHypertable(
            table,
            `RAISE NOTICE '%', ${quoteLiteral(`prism: ${displayName(table)} is not a hypertable; no reorder policy to remove`)}; RETURN;`,
          )
        : []),
      execTs(
        tsFormat`SELECT ${TS}.remove_reorder_policy(${regclass(table)}, if_exists => ${String(ifExists)})`,
      ),
    ],
  });
}

/** Removes the reorder policy. Reverse (with index): addReorderPolicy. */
export const removeReorderPolicy: ReversibleOperation<[TableArg, RemoveReorderPolicyOptions?]> =
  reversible(
    removeReorderPolicySql,
    (table: TableArg, options: RemoveReorderPolicyOptions = {}) => {
      if (options.index === undefined) {
        throw new Error(
          'Impossible to reverse removeReorderPolicy() without the index: pass { index } with the index being removed, or write an explicit down',
        );
      }
      return addReorderPolicySql(table, { index: options.index, timescale: options.timescale });
    },
  );
