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
 * Clears settings given as empty lists. TimescaleDB 2.12 refuses RESET of its options
 * ("compression options cannot be reset") but takes an empty value, set together with the
 * others, as the default; later versions refuse the empty value and take RESET.
 */
function clear(table: TableArg, set: string, parameters: readonly string[]): string[] {
  const reset = `ALTER TABLE ${quoteTable(table)} RESET (${parameters.join(', ')})`;
  const empty = `ALTER TABLE ${quoteTable(table)} SET (${[set, ...parameters.map((p) => `${p} = ''`)].join(', ')})`;
  return [
    'BEGIN',
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
  const alter = `ALTER TABLE ${quoteTable(table)} SET (${set})`;
  const cleared = clearedParameters(options);
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'licensed',
    what: `compression on ${displayName(table)}`,
    declare: LOOKUP_DECLARE,
    body: [
      ...lookupHypertable(table, whenNotHypertable(mode, 'enable compression', table)),
      `EXECUTE ${quoteLiteral(alter)};`,
      ...(cleared.length > 0 ? clear(table, set, cleared) : []),
    ],
  });
}

export const enableCompression: ReversibleOperation<[TableArg, EnableCompressionOptions?]> =
  reversible(
    forward,
    (table: TableArg, options: EnableCompressionOptions = {}): string | string[] =>
      disableCompression(table, { timescale: options.timescale }),
  );
