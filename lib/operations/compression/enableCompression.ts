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
 * Turns on native compression with the given segment-by and order-by. Settings apply to
 * chunks compressed from now on; chunks already compressed keep theirs.
 */
function forward(table: TableArg, options: EnableCompressionOptions = {}): string {
  const alter = `ALTER TABLE ${quoteTable(table)} SET (${compressionParameters(options)})`;
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
      ...(cleared.length > 0
        ? [
            `EXECUTE ${quoteLiteral(`ALTER TABLE ${quoteTable(table)} RESET (${cleared.join(', ')})`)};`,
          ]
        : []),
    ],
  });
}

export const enableCompression: ReversibleOperation<[TableArg, EnableCompressionOptions?]> =
  reversible(
    forward,
    (table: TableArg, options: EnableCompressionOptions = {}): string | string[] =>
      disableCompression(table, { timescale: options.timescale }),
  );
