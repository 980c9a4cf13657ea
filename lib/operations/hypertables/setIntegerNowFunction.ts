import { UsageError } from '../../errors.js';
import { integerNowFunctionBaseName } from '../../spec/identifiers.js';
import { quoteIdent, quoteLiteral, toTableName } from '../../sql/quote.js';
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

export interface IntegerNowOptions extends TimescaleOption {
  readonly timeColumn: string;
  readonly columnType: 'int' | 'bigint';
  /** What one unit of the integer time column is. */
  readonly unit: 's' | 'ms' | 'us';
}

const FACTOR = Object.freeze({ s: 1, ms: 1_000, us: 1_000_000 });

/** `"<schema>"."<table>_prism_now"`: the function that tells TimescaleDB "now" in column units. */
export function integerNowFunctionName(table: TableArg): string {
  const t = toTableName(table);
  const name = quoteIdent(integerNowFunctionBaseName(t.name), 'function name');
  return t.schema === undefined ? name : `${quoteIdent(t.schema, 'schema name')}.${name}`;
}

function check(options: IntegerNowOptions): void {
  if (
    !options ||
    !Object.hasOwn(FACTOR, options.unit) ||
    (options.columnType !== 'int' && options.columnType !== 'bigint')
  ) {
    throw new UsageError('setIntegerNowFunction needs { columnType: int|bigint, unit: s|ms|us }');
  }
}

/**
 * Integer time columns have no built-in "now": retention and compression policies need a
 * function returning the current time in the column's units. This creates one and
 * registers it with the hypertable.
 */
function forward(table: TableArg, options: IntegerNowOptions): string {
  check(options);
  const fn = integerNowFunctionName(table);
  const type = options.columnType === 'int' ? 'integer' : 'bigint';
  const create = `CREATE OR REPLACE FUNCTION ${fn}() RETURNS ${type} LANGUAGE sql STABLE AS ${quoteLiteral(
    `SELECT (extract(epoch FROM now()) * ${FACTOR[options.unit]})::${type}`,
  )}`;
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'hypertable',
    what: `integer-now function of ${displayName(table)}`,
    declare: LOOKUP_DECLARE,
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'set the integer-now function', table)),
      `EXECUTE ${quoteLiteral(create)};`,
      execTs(
        tsFormat`SELECT ${TS}.set_integer_now_func(${regclass(table)}, ${quoteLiteral(fn)}::pg_catalog.regproc, replace_if_exists => true)`,
      ),
    ],
  });
}

function drop(table: TableArg, options: IntegerNowOptions): string {
  check(options);
  return guarded({
    mode: effectiveMode(options.timescale),
    feature: 'hypertable',
    what: `dropping the integer-now function of ${displayName(table)}`,
    body: [
      `EXECUTE ${quoteLiteral(`DROP FUNCTION IF EXISTS ${integerNowFunctionName(table)}()`)};`,
    ],
  });
}

export const setIntegerNowFunction: ReversibleOperation<[TableArg, IntegerNowOptions]> = reversible(
  forward,
  drop,
);
export const dropIntegerNowFunction: ReversibleOperation<[TableArg, IntegerNowOptions]> =
  reversible(drop, forward);
