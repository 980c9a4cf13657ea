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
import {
  clearedParameters,
  clearsSparseIndexes,
  compressionParameters,
  setsSparseIndexes,
  SPARSE_INDEX_PARAMETER,
  type CompressionSettings,
  type SettingNames,
} from './settings.js';

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

/** The ALTER TABLE statements under one set of parameter names. */
function alterStatements(
  table: TableArg,
  options: EnableCompressionOptions,
  names: SettingNames,
): string[] {
  const set = compressionParameters(options, names);
  const cleared = clearedParameters(options, names);
  return [
    ...(cleared.length > 0
      ? setAndClear(table, set, cleared)
      : [`EXECUTE ${quoteLiteral(`ALTER TABLE ${quoteTable(table)} SET (${set})`)};`]),
    // Only servers with sparse indexes can hold any to clear (RESET works there, 2.22+).
    ...(clearsSparseIndexes(options) && names === 'columnstore'
      ? [
          'IF ts_version >= ARRAY[2, 22] THEN',
          `  EXECUTE ${quoteLiteral(`ALTER TABLE ${quoteTable(table)} RESET (${SPARSE_INDEX_PARAMETER})`)};`,
          'END IF;',
        ]
      : []),
  ];
}

/**
 * Turns on native compression (the columnstore) with the given settings. On TimescaleDB
 * 2.18+ under the columnstore names (`enable_columnstore`, `segmentby`, `orderby`), before
 * under the compression names: the same state either way. Settings apply to chunks
 * compressed from now on; chunks already compressed keep theirs.
 */
function forward(table: TableArg, options: EnableCompressionOptions = {}): string {
  const mode = effectiveMode(options.timescale);
  const name = displayName(table);
  return guarded({
    mode,
    feature: 'licensed',
    what: `compression on ${name}`,
    declare: LOOKUP_DECLARE,
    body: [
      ...(setsSparseIndexes(options)
        ? [
            // Refused in every mode: compressing without them would differ from the spec.
            'IF ts_version < ARRAY[2, 22] THEN',
            `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: sparse indexes on ${name} need TimescaleDB 2.22 or later; this server has `)} || ts_version_text,`,
            "    HINT = 'upgrade TimescaleDB, or remove compression.sparse_indexes from prism.yaml and generate again';",
            'END IF;',
          ]
        : []),
      ...lookupHypertable(table, whenNotHypertable(mode, 'enable compression', table)),
      'IF ts_version >= ARRAY[2, 18] THEN',
      ...alterStatements(table, options, 'columnstore').map((l) => `  ${l}`),
      'ELSE',
      ...alterStatements(table, options, 'compression').map((l) => `  ${l}`),
      'END IF;',
    ],
  });
}

export const enableCompression: ReversibleOperation<[TableArg, EnableCompressionOptions?]> =
  reversible(
    forward,
    (table: TableArg, options: EnableCompressionOptions = {}): string | string[] =>
      disableCompression(table, { timescale: options.timescale }),
  );
