import { quoteLiteral, quoteTable } from '../../sql/quote.js';
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
import { disableCompression } from './disableCompression.js';
import { clearedParameters, compressionParameters, type CompressionSettings } from './settings.js';

export interface EnableCompressionOptions extends TimescaleOption, CompressionSettings {}

/**
 * SET, then RESET of the settings given as empty lists. Older TimescaleDB releases (2.12
 * among them) cannot RESET these options ("compression options cannot be reset") and
 * refuse a SET that leaves out one set before ("must specify a column to order by");
 * there one SET with empty values clears them, which later releases refuse for order-by.
 */
function setAndClear(table: TableArg, set: string, parameters: readonly string[]): string[] {
  const alter = `ALTER TABLE ${quoteTable(table)} SET (${set})`;
  const reset = `ALTER TABLE ${quoteTable(table)} RESET (${parameters.join(', ')})`;
  const empty = `ALTER TABLE ${quoteTable(table)} SET (${[set, ...parameters.map((p) => `${p} = ''`)].join(', ')})`;
  return [
    'BEGIN',
    `  EXECUTE ${quoteLiteral(alter)};`,
    `  EXECUTE ${quoteLiteral(reset)};`,
    'EXCEPTION WHEN feature_not_supported THEN',
    `  EXECUTE ${quoteLiteral(empty)};`,
    'END;',
  ];
}

/**
 * Turns on native compression with the given segment-by and order-by. Settings apply to
 * chunks compressed from now on; chunks already compressed keep theirs.
 */
function forward(table: TableArg, options: EnableCompressionOptions = {}): string {
  const set = compressionParameters(options);
  const cleared = clearedParameters(options);
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'licensed',
    what: `compression on ${displayName(table)}`,
    declare: LOOKUP_DECLARE,
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'enable compression', table)),
      ...(cleared.length > 0
        ? setAndClear(table, set, cleared)
        : [`EXECUTE ${quoteLiteral(`ALTER TABLE ${quoteTable(table)} SET (${set})`)};`]),
    ],
  });
}

export const enableCompression: ReversibleOperation<[TableArg, EnableCompressionOptions?]> =
  reversible(
    forward,
    (table: TableArg, options: EnableCompressionOptions = {}): string | string[] =>
      disableCompression(table, { timescale: options.timescale }),
  );
