import { quoteLiteral, quoteTable } from '../../sql/quote.js';
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
import { execTsInto, guarded, tsFormat, TS } from '../guard.js';
import { effectiveMode } from '../mode.js';
import { enableCompression } from './enableCompression.js';
import type { CompressionSettings } from './settings.js';

/** `segmentBy`/`orderBy` are the settings being turned off; they let the reverse restore them. */
export interface DisableCompressionOptions extends TimescaleOption, CompressionSettings {}

/**
 * Decompresses every compressed chunk, then turns compression off. A compression policy
 * must be removed first: TimescaleDB would keep its job, which then fails on every run.
 */
function forward(table: TableArg, options: DisableCompressionOptions = {}): string {
  const name = displayName(table);
  const rel = regclass(table);
  return guarded({
    mode: effectiveMode(options.timescale),
    feature: 'licensed',
    what: `disabling compression on ${name}`,
    declare: [...LOOKUP_DECLARE, 'decompressed bigint;', 'chunk pg_catalog.regclass;'],
    body: [
      ...lookupHypertable(
        table,
        `RAISE NOTICE '%', ${quoteLiteral(`prism: ${name} is not a hypertable; compression is not on`)}; RETURN;`,
      ),
      "IF EXISTS (SELECT 1 FROM timescaledb_information.jobs j WHERE j.proc_name = 'policy_compression'",
      '  AND j.hypertable_schema = rel_schema AND j.hypertable_name = rel_name) THEN',
      `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot disable compression on ${name} while it has a compression policy`)},`,
      "    HINT = 'remove the policy first with removeCompressionPolicy';",
      'END IF;',
      // Kept by TimescaleDB after compression goes off; a later enable must not find it.
      `EXECUTE ${quoteLiteral(`ALTER TABLE ${quoteTable(table)} SET (timescaledb.compress_chunk_time_interval = '0')`)};`,
      'IF ts_version >= ARRAY[2, 18] THEN',
      // A procedure: one CALL per compressed chunk (CALL takes no set-returning argument).
      "  FOR chunk IN SELECT pg_catalog.format('%I.%I', c.chunk_schema, c.chunk_name)::pg_catalog.regclass",
      '    FROM timescaledb_information.chunks c WHERE c.hypertable_schema = rel_schema',
      '    AND c.hypertable_name = rel_name AND c.is_compressed LOOP',
      `    EXECUTE pg_catalog.format('CALL %I.convert_to_rowstore(%L::pg_catalog.regclass, if_columnstore => true)', ts_schema, chunk);`,
      '  END LOOP;',
      `  EXECUTE ${quoteLiteral(`ALTER TABLE ${quoteTable(table)} SET (timescaledb.enable_columnstore = false)`)};`,
      'ELSE',
      `  ${execTsInto(
        tsFormat`SELECT pg_catalog.count(${TS}.decompress_chunk(c, true)) FROM ${TS}.show_chunks(${rel}) c`,
        'decompressed',
      )}`,
      `  EXECUTE ${quoteLiteral(`ALTER TABLE ${quoteTable(table)} SET (timescaledb.compress = false)`)};`,
      'END IF;',
    ],
  });
}

export const disableCompression: ReversibleOperation<[TableArg, DisableCompressionOptions?]> =
  reversible(
    forward,
    (table: TableArg, options: DisableCompressionOptions = {}): string | string[] => {
      if (options.segmentBy === undefined && options.orderBy === undefined) {
        throw new Error(
          'Impossible to reverse disableCompression() without the settings it turns off: pass { segmentBy, orderBy } or write an explicit down',
        );
      }
      return enableCompression(table, options);
    },
  );
