/**
 * Drift: the live schema against the compiled spec, as the changes that would remove each
 * difference (`compareSchemas`), with what to run to make them. TimescaleDB features
 * skipped on purpose (no TimescaleDB on the server under `auto`, an Apache-only build's
 * compression and policies, or `off`) are not drift; a plain table where the server has
 * TimescaleDB is, even before the extension is created.
 */
import type { ClientBase } from 'pg';
import { readSchema } from '../catalog/read.js';
import type { TimescaleSupport } from '../db/detect.js';
import { compileIndexes, compileSpec } from '../schema/compile.js';
import {
  compareAggregates,
  compareTables,
  extraAggregate,
  liveAggregateOf,
  liveSelection,
  liveTableOf,
  type SchemaDifference,
} from '../schema/compare.js';
import type { Aggregate, Table } from '../schema/types.js';
import type { Spec } from '../spec/types.js';
import type { DestructiveCode } from '../diff/destructive.js';
import { differenceDetails } from '../diff/structured.js';

export interface Drift extends SchemaDifference {
  /** The column the difference is about, if one. */
  readonly column?: string;
  /** What making the change would destroy (`PM102` a dropped column, …), if anything. */
  readonly destructive?: DestructiveCode;
  /** What to run (or do) to make the change. */
  readonly fix: string;
}

export interface DriftContext {
  /** Migrations not applied yet: a plain table may be theirs to convert. */
  readonly pendingMigrations?: number | undefined;
  /** The licence TimescaleDB would run under once created (see `probeLicense`). */
  readonly license?: string | null | undefined;
  /**
   * Differences accepted when `pull` adopted the database: what prism.yaml could not
   * state then. Left alone while they stay exactly as they were.
   */
  readonly accepted?: readonly SchemaDifference[] | undefined;
}

const PENDING = (n: number) =>
  `run \`prism-migrate up\` (${n} migration(s) pending), then check again`;
/** Every migration is applied, so the database was changed by hand since. */
const CHANGED_BY_HAND =
  'every migration is applied, so this was changed by hand: make the change above by hand, or change the spec to match and run `prism-migrate generate`';
const DROPPED_BY_HAND =
  'every migration is applied, so it was dropped by hand: recreate it (the change above), or restore it from a backup';
const NOT_IN_SPEC = 'not in the spec: drop it by hand, or describe it in the spec';
const SKIPPED =
  'run `prism-migrate up`; if every migration is applied, TimescaleDB skipped it when they ran: `prism-migrate apply-timescale` adds it';

/** What brings TimescaleDB objects to a plain table, for each TimescaleDB state. */
function plainTableFix(support: TimescaleSupport, context: DriftContext): string {
  if ((context.pendingMigrations ?? 0) > 0) {
    return `run \`prism-migrate up\` first (${context.pendingMigrations} migration(s) pending), then check again`;
  }
  switch (support.availability) {
    case 'creatable':
      return 'TimescaleDB is on the server but not created in this database: `prism-migrate apply-timescale` creates it and converts the table with its rows';
    case 'not-preloaded':
      return 'add timescaledb to shared_preload_libraries in postgresql.conf, restart the server, then run `prism-migrate apply-timescale`';
    case 'no-privilege':
      return 'have a superuser run CREATE EXTENSION timescaledb in this database (or grant CREATE on it), then run `prism-migrate apply-timescale`';
    default:
      return 'run `prism-migrate up`; if every migration is applied, TimescaleDB was missing when they ran: `prism-migrate apply-timescale` converts the table with its rows';
  }
}

/**
 * The table a model should have on this server: no hypertable where TimescaleDB is off or
 * missing, no compression or policies where the build (or, before the extension exists,
 * the probed licence) has none.
 */
function expectedOn(table: Table, support: TimescaleSupport, context: DriftContext): Table {
  const h = table.hypertable;
  if (h === undefined) return table;
  if (table.timescale === 'off' || support.availability === 'unavailable') {
    return { ...table, hypertable: undefined };
  }
  const licensed = support.installed
    ? support.features.compression
    : (context.license ?? 'timescale') === 'timescale';
  if (licensed) return table;
  return {
    ...table,
    hypertable: {
      ...h,
      compression: undefined,
      compressAfter: undefined,
      dropAfter: undefined,
      reorderIndex: undefined,
    },
  };
}

/**
 * The aggregate a spec's entry should be on this server: a continuous aggregate where
 * TimescaleDB with the Timescale License is installed (and always under `require`, which
 * refuses to make anything else); else, under `auto`/`off`, a view (realtime) or a
 * materialized view, without the policies and compression the operations skip there.
 */
function expectedAggregateOn(aggregate: Aggregate, support: TimescaleSupport): Aggregate {
  const continuous =
    aggregate.timescale === 'require' ||
    (aggregate.timescale !== 'off' && support.installed && support.features.policies);
  if (continuous) return { ...aggregate, form: 'continuous' };
  return {
    ...aggregate,
    form: aggregate.realtime ? 'view' : 'materialized view',
    refresh: undefined,
    compression: undefined,
    compressAfter: undefined,
    dropAfter: undefined,
  };
}

const DEGRADED_FORM =
  'made without continuous aggregates (no TimescaleDB with the Timescale License when its migration ran): `prism-migrate apply-timescale` makes it one, with its policies, and fills it';

function aggregateFix(d: SchemaDifference, context: DriftContext): string {
  const pending = context.pendingMigrations ?? 0;
  if (pending > 0) return PENDING(pending);
  if (d.expected.startsWith('absent')) return NOT_IN_SPEC;
  if (d.kind === 'aggregate') {
    return d.actual === 'missing' ? DROPPED_BY_HAND : DEGRADED_FORM;
  }
  const policy = [
    'aggregateRefreshPolicy',
    'aggregateCompression',
    'aggregateCompressionPolicy',
    'aggregateRetentionPolicy',
  ];
  return policy.includes(d.kind) &&
    d.expected !== 'none' &&
    (d.actual.startsWith('none') || d.actual === 'disabled')
    ? SKIPPED
    : CHANGED_BY_HAND;
}

function fixFor(
  d: SchemaDifference,
  live: Table | undefined,
  support: TimescaleSupport,
  context: DriftContext,
): string {
  const plain = live !== undefined && live.hypertable === undefined;
  const timescale = [
    'hypertable',
    'compression',
    'compressionPolicy',
    'retentionPolicy',
    'reorderPolicy',
  ];
  if (plain && timescale.includes(d.kind)) return plainTableFix(support, context);
  const pending = context.pendingMigrations ?? 0;
  if (pending > 0) return PENDING(pending);
  const absent = d.expected.startsWith('absent');
  switch (d.kind) {
    case 'table':
    case 'column':
    case 'index':
    case 'foreignKey':
    case 'check':
      if (absent) return NOT_IN_SPEC;
      return d.actual === 'missing' ? DROPPED_BY_HAND : CHANGED_BY_HAND;
    case 'compression':
    case 'compressionPolicy':
    case 'retentionPolicy':
    case 'reorderPolicy':
      // Missing where the spec has it: skipped when the migrations ran, or removed since.
      return !absent &&
        d.expected !== 'none' &&
        (d.actual.startsWith('none') || d.actual === 'disabled')
        ? SKIPPED
        : CHANGED_BY_HAND;
    default:
      return CHANGED_BY_HAND;
  }
}

export async function detectDrift(
  client: ClientBase,
  spec: Spec,
  support: TimescaleSupport,
  context: DriftContext = {},
): Promise<Drift[]> {
  const compiled = compileSpec(spec);
  const desired = compiled.tables.map((t) => expectedOn(t, support, context));
  const live = await readSchema(client, { tables: liveSelection(desired) });
  const liveOf = liveTableOf(live.tables, desired);
  const accepted = context.accepted ?? [];
  const isNew = (d: SchemaDifference): boolean => !accepted.some((a) => sameDifference(a, d));
  const tableDrift = desired.flatMap((specTable) => {
    const found = liveOf(specTable);
    const table = asPlainTable(specTable, found, spec);
    return compareTables(found, table)
      .filter(isNew)
      .map((d) =>
        Object.freeze({ ...d, ...differenceDetails(d), fix: fixFor(d, found, support, context) }),
      );
  });
  // Aggregates: those of the spec, and every live one built on its tables.
  const liveAggregates = live.aggregates ?? [];
  const aggregateOf = liveAggregateOf(liveAggregates, (a) => {
    const table = desired.find((t) => t.model === a.model);
    return table === undefined ? undefined : liveOf(table)?.schema;
  });
  const matched = new Set<Aggregate>();
  const aggregateDifferences = (compiled.aggregates ?? []).flatMap((a) => {
    const found = aggregateOf(a);
    if (found !== undefined) matched.add(found);
    return compareAggregates(found, expectedAggregateOn(a, support));
  });
  const extra = liveAggregates.filter((a) => !matched.has(a)).map(extraAggregate);
  const aggregateDrift = [...aggregateDifferences, ...extra]
    .filter(isNew)
    .map((d) => Object.freeze({ ...d, ...differenceDetails(d), fix: aggregateFix(d, context) }));
  return [...tableDrift, ...aggregateDrift];
}

/**
 * On a plain table (no TimescaleDB, or not converted yet) the spec's indexes as they are:
 * an explicit `(time DESC)` index is folded into TimescaleDB's default index only on a
 * real hypertable, and TimescaleDB makes that default index only there.
 */
function asPlainTable(table: Table, live: Table | undefined, spec: Spec): Table {
  const plain = table.hypertable === undefined || (live !== undefined && !live.hypertable);
  const model = spec.models.find((m) => m.name === table.model);
  if (!plain || model?.timeseries === undefined) return table;
  return { ...table, indexes: compileIndexes(model) };
}

/** The same difference: the same object, the same expected and the same live state. */
function sameDifference(a: SchemaDifference, b: SchemaDifference): boolean {
  return (
    a.table === b.table &&
    a.kind === b.kind &&
    a.what === b.what &&
    a.expected === b.expected &&
    a.actual === b.actual
  );
}
