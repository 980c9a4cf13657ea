/**
 * TimescaleDB's default time index, `(time DESC)`, created or dropped on a hypertable that
 * exists: what `create_default_indexes` decides when the hypertable is made, switched later.
 */
import { UsageError } from '../../errors.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import {
  displayName,
  lookupHypertable,
  LOOKUP_DECLARE,
  reversible,
  type ReversibleOperation,
  type TableArg,
  type TimescaleOption,
  whenNotHypertable,
} from '../common.js';
import { guarded } from '../guard.js';
import { effectiveMode } from '../mode.js';

export interface DefaultTimeIndexOptions extends TimescaleOption {
  readonly timeColumn: string;
}

function check(options: DefaultTimeIndexOptions): void {
  if (!options || typeof options.timeColumn !== 'string') {
    throw new UsageError('the default time index operations need { timeColumn }');
  }
}

/**
 * The index TimescaleDB would make: `(time DESC)`, named by PostgreSQL as TimescaleDB lets
 * it (`<table>_<time>_idx`). Nothing when the table already has one of that shape.
 */
function create(table: TableArg, options: DefaultTimeIndexOptions): string {
  check(options);
  const mode = effectiveMode(options.timescale);
  const column = quoteIdent(options.timeColumn, 'time column');
  return guarded({
    mode,
    feature: 'hypertable',
    what: `default time index of ${displayName(table)}`,
    declare: [...LOOKUP_DECLARE, 'time_attnum int;'],
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'create the default time index', table)),
      `SELECT a.attnum INTO time_attnum FROM pg_catalog.pg_attribute a WHERE a.attrelid = target AND a.attname = ${quoteLiteral(options.timeColumn)};`,
      'IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid',
      "  JOIN pg_catalog.pg_am am ON am.oid = ic.relam WHERE i.indrelid = target AND am.amname = 'btree'",
      '  AND i.indnatts = 1 AND i.indkey[0] = time_attnum AND i.indoption[0] = 3 AND NOT i.indisunique',
      '  AND i.indpred IS NULL AND i.indexprs IS NULL) THEN',
      `  EXECUTE pg_catalog.format(${quoteLiteral(`CREATE INDEX ON %s (${column.replaceAll('%', '%%')} DESC)`)}, target);`,
      'END IF;',
    ],
  });
}

/** Drops every index of the default shape, `(time DESC)` as TimescaleDB makes it. */
function drop(table: TableArg, options: DefaultTimeIndexOptions): string {
  check(options);
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'hypertable',
    what: `dropping the default time index of ${displayName(table)}`,
    declare: [...LOOKUP_DECLARE, 'time_attnum int;', 'idx pg_catalog.regclass;'],
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'drop the default time index', table)),
      `SELECT a.attnum INTO time_attnum FROM pg_catalog.pg_attribute a WHERE a.attrelid = target AND a.attname = ${quoteLiteral(options.timeColumn)};`,
      'FOR idx IN SELECT i.indexrelid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid',
      "  JOIN pg_catalog.pg_am am ON am.oid = ic.relam WHERE i.indrelid = target AND am.amname = 'btree'",
      '  AND i.indnatts = 1 AND i.indkey[0] = time_attnum AND i.indoption[0] = 3 AND NOT i.indisunique',
      '  AND i.indpred IS NULL AND i.indexprs IS NULL',
      '  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid)',
      'LOOP',
      "  EXECUTE pg_catalog.format('DROP INDEX %s', idx);",
      'END LOOP;',
    ],
  });
}

export const createDefaultTimeIndex: ReversibleOperation<[TableArg, DefaultTimeIndexOptions]> =
  reversible(create, drop);
export const dropDefaultTimeIndex: ReversibleOperation<[TableArg, DefaultTimeIndexOptions]> =
  reversible(drop, create);
