import { UsageError } from '../../errors.js';
import { quoteLiteral, quoteTable } from '../../sql/quote.js';
import {
  displayName,
  reversible,
  type ReversibleOperation,
  type TableArg,
  type TimescaleOption,
} from '../common.js';
import { effectiveMode } from '../mode.js';
import { aggregateBlock, lookupView, STAND_IN_COMMENT } from './definition.js';
import { refreshMarker } from './refresh-marker.js';

export interface SetAggregateRealtimeOptions extends TimescaleOption {
  /** Real-time aggregation: answers include rows not materialized yet. */
  readonly realtime: boolean;
  /** The value being replaced; the reverse sets it back. */
  readonly previous: boolean;
}

function check(view: TableArg, options: SetAggregateRealtimeOptions): void {
  quoteTable(view);
  if (typeof options?.realtime !== 'boolean' || typeof options.previous !== 'boolean') {
    throw new UsageError(
      `setAggregateRealtime(${displayName(view)}) needs { realtime, previous }, both true or false`,
    );
  }
}

/**
 * A continuous aggregate: `materialized_only` set. A stand-in: a view (realtime) and a
 * materialized view (not) swap, keeping the definition; a new materialized view is empty
 * until the runner refreshes it after commit (the marker line asks for that).
 */
export function setAggregateRealtimeSql(
  view: TableArg,
  options: SetAggregateRealtimeOptions,
): string {
  check(view, options);
  const mode = effectiveMode(options.timescale);
  const name = displayName(view);
  const target = quoteTable(view);
  const realtime = options.realtime;
  const [from, to] = realtime ? ['MATERIALIZED VIEW', 'VIEW'] : ['VIEW', 'MATERIALIZED VIEW'];
  const block = aggregateBlock(
    ['definition text;'],
    [
      ...lookupView(view),
      'IF agg_reg IS NULL THEN',
      `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot set realtime on ${name}: there is no such aggregate`)};`,
      'END IF;',
      'IF is_continuous THEN',
      ...(mode === 'off'
        ? [
            `  RAISE NOTICE '%', ${quoteLiteral(`prism: timescale mode is off: realtime of ${name} not changed`)};`,
          ]
        : [
            `  EXECUTE ${quoteLiteral(`ALTER MATERIALIZED VIEW ${target} SET (timescaledb.materialized_only = ${String(!realtime)})`)};`,
          ]),
      '  RETURN;',
      'END IF;',
      ...(mode === 'require'
        ? [
            `RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot set realtime on ${name}: it is not a continuous aggregate`)},`,
            "  HINT = 'it was created without TimescaleDB; run with --timescale auto to change the view standing in for it';",
          ]
        : []),
      `IF agg_kind = ${quoteLiteral(realtime ? 'v' : 'm')} THEN`,
      `  RAISE NOTICE '%', ${quoteLiteral(`prism: ${name} is already a ${to.toLowerCase()}, skipping`)};`,
      '  RETURN;',
      'END IF;',
      "definition := pg_catalog.rtrim(pg_catalog.pg_get_viewdef(agg_reg), E'; \\n');",
      `EXECUTE ${quoteLiteral(`DROP ${from} ${target}`)};`,
      `EXECUTE ${quoteLiteral(`CREATE ${to} ${target} AS `)} || definition${realtime ? '' : ` || ' WITH NO DATA'`};`,
      `EXECUTE ${quoteLiteral(`COMMENT ON ${to} ${target} IS ${quoteLiteral(STAND_IN_COMMENT)}`)};`,
    ],
  );
  return realtime ? block : `${refreshMarker(view, 'materialized')}\n${block}`;
}

/** Turns real-time aggregation on or off. Reverse: sets `previous` back. */
export const setAggregateRealtime: ReversibleOperation<[TableArg, SetAggregateRealtimeOptions]> =
  reversible(setAggregateRealtimeSql, (view: TableArg, options: SetAggregateRealtimeOptions) => {
    check(view, options);
    return setAggregateRealtimeSql(view, {
      realtime: options.previous,
      previous: options.realtime,
      timescale: options.timescale,
    });
  });
