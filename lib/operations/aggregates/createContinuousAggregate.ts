import { quoteLiteral, quoteTable } from '../../sql/quote.js';
import { displayName, reversible, type ReversibleOperation, type TableArg } from '../common.js';
import { effectiveMode } from '../mode.js';
import { ACCESS_DECLARE, keepAccess, restoreAccess, takeKeptAccess } from '../access.js';
import {
  aggregateBlock,
  checkDefinition,
  createContinuousSql,
  createStandInSql,
  DATE,
  execTemplate,
  INTEGER_TYPES,
  LICENSE_REASON,
  lookupView,
  STAND_IN_COMMENT,
  TIMESTAMP,
  TIMESTAMPTZ,
  type CreateContinuousAggregateOptions,
} from './definition.js';
import { refreshMarker } from './refresh-marker.js';

const TIME_TYPES = [TIMESTAMPTZ, TIMESTAMP, DATE];

/** plpgsql text: the aggregate found by `lookupView`, qualified. */
const AGG_QUALIFIED = "pg_catalog.format('%I.%I', agg_schema, agg_name)";

/**
 * plpgsql: the privileges, owner and comment a `dropAggregateSql` of the same name noted
 * earlier in the transaction (it is made again), put on the aggregate just made; not the
 * comment marking a stand-in, which a continuous aggregate made in its place must not have,
 * nor, on a continuous aggregate, an owner who cannot log in (its policies would fail).
 */
function restoreKeptAccess(view: TableArg): string[] {
  return [
    ...lookupView(view),
    ...takeKeptAccess(AGG_QUALIFIED, 'kept_access'),
    ...restoreAccess({
      relation: AGG_QUALIFIED,
      saved: 'kept_access',
      // A continuous aggregate is a view that ALTER takes as a materialized view.
      alterKind:
        "CASE WHEN is_continuous OR agg_kind = 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END",
      commentKind: "CASE agg_kind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END",
      exceptComment: STAND_IN_COMMENT,
      // Not a stand-in: its policies are skipped, and a view has no jobs.
      policyJobsRunAsOwner: 'is_continuous',
    }),
  ];
}

/**
 * Creates the aggregate empty, in the migration's transaction; the runner refreshes it
 * once the migration has committed. Where TimescaleDB with the Timescale License reads
 * the source (a hypertable, or a continuous aggregate below this one), a continuous
 * aggregate; otherwise, unless the mode is `require`, a stand-in of the same name and
 * columns with time_bucket's buckets: a view when realtime, else a materialized view
 * (`jobs run` refreshes it). The marker line tells the runner to refresh it. When the
 * transaction dropped an aggregate of this name before (it is made anew), its privileges,
 * owner and comment are put on this one.
 */
export function createContinuousAggregateSql(
  view: TableArg,
  options: CreateContinuousAggregateOptions,
): string {
  const def = checkDefinition('createContinuousAggregate', view, options);
  const mode = effectiveMode(options.timescale);
  const name = displayName(view);
  const source = displayName(def.source);
  const expected = def.integer ? INTEGER_TYPES : TIME_TYPES;
  /** Inside the IF on the time column's type. */
  const standIn = (timeType: string) =>
    createStandInSql(view, def, timeType).map((l) => `    ${l}`);
  const what = def.realtime
    ? 'a view'
    : 'a materialized view (`prism-migrate jobs run` refreshes it)';
  const body = [
    `source_reg := ${quoteLiteral(quoteTable(def.source))}::pg_catalog.regclass;`,
    'SELECT n.nspname, c.relname INTO source_schema, source_name FROM pg_catalog.pg_class c',
    '  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source_reg;',
    'SELECT pg_catalog.format_type(a.atttypid, NULL) INTO time_type FROM pg_catalog.pg_attribute a',
    `  WHERE a.attrelid = source_reg AND a.attname = ${quoteLiteral(def.timeColumn)} AND a.attnum > 0 AND NOT a.attisdropped;`,
    'IF time_type IS NULL THEN',
    `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot create aggregate ${name}: ${source} has no column ${def.timeColumn}`)},`,
    "    HINT = 'timeColumn names the time column of the source (bucket for an aggregate)';",
    'END IF;',
    `IF time_type <> ALL (ARRAY[${expected.map(quoteLiteral).join(', ')}]) THEN`,
    `  RAISE EXCEPTION USING MESSAGE = pg_catalog.format(${quoteLiteral(`prism: cannot create aggregate ${name.replaceAll('%', '%%')}: its bucket is ${def.integer ? 'a whole number' : 'an interval'} but ${source.replaceAll('%', '%%')}.${def.timeColumn.replaceAll('%', '%%')} is %s`)}, time_type),`,
    `    HINT = ${quoteLiteral(def.integer ? 'integer buckets are for integer time columns; give an interval such as 1 hour' : "give a whole number of the column's units as bucket")};`,
    'END IF;',
    ...lookupView(view),
    'IF agg_reg IS NOT NULL THEN',
    `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot create aggregate ${name}: a relation of that name exists`)},`,
    "    HINT = 'drop it first, or give the aggregate another name';",
    'END IF;',
    ...(mode === 'off'
      ? ["reason := 'timescale mode is off';"]
      : [
          'IF ts_schema IS NULL THEN',
          "  reason := 'TimescaleDB is not installed in this database';",
          "ELSIF ts_license IS DISTINCT FROM 'timescale' THEN",
          `  reason := ${quoteLiteral(LICENSE_REASON)};`,
          'ELSIF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables h',
          '    WHERE h.hypertable_schema = source_schema AND h.hypertable_name = source_name)',
          '  AND NOT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates a',
          '    WHERE a.view_schema = source_schema AND a.view_name = source_name) THEN',
          `  reason := ${quoteLiteral(`${source} is neither a hypertable nor a continuous aggregate`)};`,
          'END IF;',
          'IF reason IS NULL THEN',
          `  ${execTemplate(createContinuousSql(view, def))}`,
          'END IF;',
        ]),
    ...(mode === 'require'
      ? [
          'IF reason IS NOT NULL THEN',
          `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: continuous aggregate ${name} needs TimescaleDB: `)} || reason,`,
          `    HINT = ${quoteLiteral('continuous aggregates need TimescaleDB with the Timescale License, reading a hypertable; or run with --timescale auto to create a plain view in its place')};`,
          'END IF;',
        ]
      : [
          'IF reason IS NOT NULL THEN',
          `  RAISE NOTICE '%', ${quoteLiteral(`prism: continuous aggregate ${name} is ${what} instead: `)} || reason;`,
          ...(def.integer
            ? // The integer form takes the type from `time_type` (%2$s).
              createStandInSql(view, def, 'integer').map((l) => `  ${l}`)
            : [
                `  IF time_type = ${quoteLiteral(TIMESTAMPTZ)} THEN`,
                ...standIn(TIMESTAMPTZ),
                `  ELSIF time_type = ${quoteLiteral(DATE)} THEN`,
                ...standIn(DATE),
                '  ELSE',
                ...standIn(TIMESTAMP),
                '  END IF;',
              ]),
          'END IF;',
        ]),
    ...restoreKeptAccess(view),
  ];
  const block = aggregateBlock(
    [
      'source_reg pg_catalog.regclass;',
      'source_schema text;',
      'source_name text;',
      'reason text;',
      'kept_access jsonb;',
      ...ACCESS_DECLARE,
    ],
    body,
  );
  return `${refreshMarker(view, 'created')}\n${block}`;
}

/**
 * Drops the aggregate in whichever form it exists (none: a NOTICE). Its privileges, owner
 * and comment are noted until the end of the transaction, for a create of the same name
 * (the aggregate made anew).
 */
export function dropAggregateSql(view: TableArg): string {
  quoteTable(view);
  const name = displayName(view);
  const drop = (kind: string) => `EXECUTE ${quoteLiteral(`DROP ${kind} ${quoteTable(view)}`)};`;
  return aggregateBlock(
    [],
    [
      ...lookupView(view),
      'IF agg_reg IS NULL THEN',
      `  RAISE NOTICE '%', ${quoteLiteral(`prism: aggregate ${name} does not exist; nothing to drop`)};`,
      "ELSIF agg_kind NOT IN ('v', 'm') THEN",
      `  RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: cannot drop aggregate ${name}: it is not a view`)};`,
      'ELSE',
      `  ${keepAccess('agg_reg', AGG_QUALIFIED)}`,
      "  IF is_continuous OR agg_kind = 'm' THEN",
      `    ${drop('MATERIALIZED VIEW')}`,
      '  ELSE',
      `    ${drop('VIEW')}`,
      '  END IF;',
      'END IF;',
    ],
  );
}

/** Creates an aggregate view. Reverse: drops it, whichever form it has. */
export const createContinuousAggregate: ReversibleOperation<
  [TableArg, CreateContinuousAggregateOptions]
> = reversible(createContinuousAggregateSql, (view: TableArg) => dropAggregateSql(view));
