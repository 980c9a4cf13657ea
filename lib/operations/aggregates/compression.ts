/** Compression (the columnstore) of a continuous aggregate's materialized data. */
import { UsageError } from '../../errors.js';
import { quoteLiteral, quoteTable } from '../../sql/quote.js';
import { displayName, LOOKUP_DECLARE, type TableArg, type TimescaleOption } from '../common.js';
import { compressionParameters, type SettingNames } from '../compression/settings.js';
import { guarded } from '../guard.js';
import { effectiveMode } from '../mode.js';
import { JOB_OF_AGGREGATE, lookupContinuousAggregate, whenNotContinuous } from './target.js';

export interface AggregateCompressionOptions extends TimescaleOption {
  /** Columns (of the group-by) whose values each compressed batch shares. */
  readonly segmentBy: readonly string[];
}

function checkSegmentBy(operation: string, view: TableArg, options: AggregateCompressionOptions) {
  if (!Array.isArray(options?.segmentBy)) {
    throw new UsageError(
      `${operation}(${displayName(view)}) needs { segmentBy }: a list of columns`,
    );
  }
}

function alter(view: TableArg, set: string): string {
  return `EXECUTE ${quoteLiteral(`ALTER MATERIALIZED VIEW ${quoteTable(view)} SET (${set})`)};`;
}

/**
 * On TimescaleDB 2.18+ under the columnstore names, before under the compression names,
 * as for hypertables.
 */
export function enableAggregateCompressionSql(
  view: TableArg,
  options: AggregateCompressionOptions,
): string {
  checkSegmentBy('enableAggregateCompression', view, options);
  const mode = effectiveMode(options.timescale);
  const set = (names: SettingNames) =>
    compressionParameters({ segmentBy: options.segmentBy }, names);
  return guarded({
    mode,
    feature: 'licensed',
    what: `compression on ${displayName(view)}`,
    declare: LOOKUP_DECLARE,
    body: [
      ...lookupContinuousAggregate(view, whenNotContinuous(mode, 'enable compression', view)),
      'IF ts_version >= ARRAY[2, 18] THEN',
      `  ${alter(view, set('columnstore'))}`,
      'ELSE',
      `  ${alter(view, set('compression'))}`,
      'END IF;',
    ],
  });
}

/**
 * Decompresses every compressed chunk of the materialized data, then turns compression
 * off. A compression policy must be removed first, as on a hypertable.
 */
export function disableAggregateCompressionSql(
  view: TableArg,
  options: Partial<AggregateCompressionOptions> = {},
): string {
  const name = displayName(view);
  return guarded({
    mode: effectiveMode(options.timescale),
    feature: 'licensed',
    what: `disabling compression on ${name}`,
    declare: [
      ...LOOKUP_DECLARE,
      'mat_schema text;',
      'mat_name text;',
      'chunk pg_catalog.regclass;',
    ],
    body: [
      ...lookupContinuousAggregate(
        view,
        `RAISE NOTICE '%', ${quoteLiteral(`prism: ${name} is not a continuous aggregate; compression is not on`)}; RETURN;`,
      ),
      `IF EXISTS (SELECT 1 FROM timescaledb_information.jobs j WHERE j.proc_name = 'policy_compression' AND ${JOB_OF_AGGREGATE}) THEN`,
      `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot disable compression on ${name} while it has a compression policy`)},`,
      "    HINT = 'remove the policy first with removeAggregateCompressionPolicy';",
      'END IF;',
      'SELECT a.materialization_hypertable_schema, a.materialization_hypertable_name INTO mat_schema, mat_name',
      '  FROM timescaledb_information.continuous_aggregates a WHERE a.view_schema = rel_schema AND a.view_name = rel_name;',
      "FOR chunk IN SELECT pg_catalog.format('%I.%I', c.chunk_schema, c.chunk_name)::pg_catalog.regclass",
      '  FROM timescaledb_information.chunks c WHERE c.hypertable_schema = mat_schema',
      '  AND c.hypertable_name = mat_name AND c.is_compressed LOOP',
      '  IF ts_version >= ARRAY[2, 18] THEN',
      "    EXECUTE pg_catalog.format('CALL %I.convert_to_rowstore(%L::pg_catalog.regclass, if_columnstore => true)', ts_schema, chunk);",
      '  ELSE',
      "    EXECUTE pg_catalog.format('SELECT %I.decompress_chunk(%L::pg_catalog.regclass, true)', ts_schema, chunk);",
      '  END IF;',
      'END LOOP;',
      'IF ts_version >= ARRAY[2, 18] THEN',
      `  ${alter(view, 'timescaledb.enable_columnstore = false')}`,
      'ELSE',
      `  ${alter(view, 'timescaledb.compress = false')}`,
      'END IF;',
    ],
  });
}
