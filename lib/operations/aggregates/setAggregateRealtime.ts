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
import { accessOf, ACCESS_DECLARE, restoreAccess } from '../access.js';
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
 * plpgsql: the views and materialized views built on `agg_reg`, directly or through others
 * (an aggregate built on this one, a user's view), into `dep_*`, sources before the views
 * built on them: a view cannot be dropped under them, so they are dropped and made again,
 * with their privileges, owners and comments.
 */
const saveDependentViews = [
  'WITH RECURSIVE dependent(oid, depth) AS (',
  '  SELECT r.ev_class, 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid',
  "   WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass",
  '     AND d.refobjid = agg_reg AND r.ev_class <> agg_reg',
  '  UNION',
  '  SELECT r.ev_class, dependent.depth + 1 FROM dependent',
  '    JOIN pg_catalog.pg_depend d ON d.refobjid = dependent.oid',
  "     AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass",
  '    JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND r.ev_class <> dependent.oid',
  '), deepest AS (SELECT oid, max(depth) AS depth FROM dependent GROUP BY oid)',
  "SELECT pg_catalog.array_agg(pg_catalog.format('%I.%I', n.nspname, c.relname) ORDER BY x.depth, c.oid),",
  '       pg_catalog.array_agg(c.relkind::text ORDER BY x.depth, c.oid),',
  "       pg_catalog.array_agg(pg_catalog.rtrim(pg_catalog.pg_get_viewdef(c.oid), E'; \\n') ORDER BY x.depth, c.oid),",
  `       pg_catalog.array_agg(${accessOf('c.oid')} ORDER BY x.depth, c.oid)`,
  '  INTO dep_names, dep_kinds, dep_definitions, dep_access',
  '  FROM deepest x JOIN pg_catalog.pg_class c ON c.oid = x.oid',
  '  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace;',
];

/** plpgsql text: what the saved dependent `i` is, as ALTER and COMMENT ON name it. */
const DEPENDENT_KIND = "CASE dep_kinds[i] WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END";

/** plpgsql condition: one of the saved dependents is a materialized view. */
const MATERIALIZED_DEPENDENT = "'m' = ANY (coalesce(dep_kinds, '{}'))";

/**
 * A continuous aggregate: `materialized_only` set. A stand-in: a view (realtime) and a
 * materialized view (not) swap, keeping the definition; a new materialized view is empty
 * until the runner refreshes it after commit (the marker line asks for that). Views built
 * on it (a stand-in built on this one) are dropped and made again as they were, filled in
 * this transaction (and it with them), since the runner knows only this view. What users
 * set on each (privileges, owner, comment) is put back.
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
    [
      'definition text;',
      'dep_names text[];',
      'dep_kinds text[];',
      'dep_definitions text[];',
      'dep_access jsonb[];',
      'agg_access jsonb;',
      'i integer;',
      ...ACCESS_DECLARE,
    ],
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
      ...saveDependentViews,
      `agg_access := ${accessOf('agg_reg')};`,
      // Deepest first: each one's dependents are gone before it.
      'FOR i IN REVERSE coalesce(pg_catalog.array_length(dep_names, 1), 0) .. 1 LOOP',
      "  EXECUTE 'DROP ' || CASE dep_kinds[i] WHEN 'm' THEN 'MATERIALIZED VIEW ' ELSE 'VIEW ' END || dep_names[i];",
      'END LOOP;',
      `EXECUTE ${quoteLiteral(`DROP ${from} ${target}`)};`,
      realtime
        ? `EXECUTE ${quoteLiteral(`CREATE ${to} ${target} AS `)} || definition;`
        : // Views built on it that are materialized are filled here, so it must be too.
          `EXECUTE ${quoteLiteral(`CREATE ${to} ${target} AS `)} || definition || CASE WHEN ${MATERIALIZED_DEPENDENT} THEN '' ELSE ' WITH NO DATA' END;`,
      `EXECUTE ${quoteLiteral(`COMMENT ON ${to} ${target} IS ${quoteLiteral(STAND_IN_COMMENT)}`)};`,
      ...restoreAccess({
        relation: quoteLiteral(target),
        saved: 'agg_access',
        alterKind: quoteLiteral(to),
        commentKind: quoteLiteral(to),
      }),
      // Sources first, each as it was, filled (the runner refreshes only this view).
      'FOR i IN 1 .. coalesce(pg_catalog.array_length(dep_names, 1), 0) LOOP',
      "  EXECUTE 'CREATE ' || CASE dep_kinds[i] WHEN 'm' THEN 'MATERIALIZED VIEW ' ELSE 'VIEW ' END || dep_names[i] || ' AS ' || dep_definitions[i];",
      ...restoreAccess({
        relation: 'dep_names[i]',
        saved: 'dep_access[i]',
        alterKind: DEPENDENT_KIND,
        commentKind: DEPENDENT_KIND,
      }).map((l) => `  ${l}`),
      'END LOOP;',
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
