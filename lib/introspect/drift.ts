/**
 * Drift: the live schema against the compiled spec, as the changes that would remove each
 * difference (`compareSchemas`), with what to run to make them. TimescaleDB features
 * skipped on purpose (no TimescaleDB on the server under `auto`, an Apache-only build's
 * compression and policies, or `off`) are not drift; a plain table where the server has
 * TimescaleDB is, even before the extension is created.
 */
import type { ClientBase } from 'pg';
import { readSchema } from '../catalog/read.js';
import { statableTables } from '../pull/statable.js';
import type { TimescaleSupport } from '../db/detect.js';
import { compileSpec } from '../schema/compile.js';
import { compareTables, type SchemaDifference } from '../schema/compare.js';
import type { Table } from '../schema/types.js';
import type { Spec } from '../spec/types.js';

export interface Drift extends SchemaDifference {
  /** What to run (or do) to make the change. */
  readonly fix: string;
}

export interface DriftContext {
  /** Migrations not applied yet: a plain table may be theirs to convert. */
  readonly pendingMigrations?: number | undefined;
  /** The licence TimescaleDB would run under once created (see `probeLicense`). */
  readonly license?: string | null | undefined;
}

const APPLY = 'run `prism-migrate up`';
const GENERATE =
  'run `prism-migrate up`, or `prism-migrate generate` if the spec changed since the last migration';
const BY_HAND = 'generate and apply a migration, or fix the column by hand';
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
    hypertable: { ...h, compression: undefined, compressAfter: undefined, dropAfter: undefined },
  };
}

function fixFor(
  d: SchemaDifference,
  live: Table | undefined,
  support: TimescaleSupport,
  context: DriftContext,
): string {
  const plain = live !== undefined && live.hypertable === undefined;
  switch (d.kind) {
    case 'table':
    case 'column':
      return d.actual === 'missing'
        ? APPLY
        : 'add it to the spec, or generate a migration that drops it';
    case 'columnType':
    case 'nullability':
    case 'default':
    case 'identity':
    case 'primaryKey':
    case 'check':
      return BY_HAND;
    case 'index':
      return d.actual === 'missing'
        ? 'run `prism-migrate up`, or recreate the index'
        : 'add it to the spec, or drop it by hand';
    case 'hypertable':
      return plain ? plainTableFix(support, context) : GENERATE;
    case 'compression':
    case 'compressionPolicy':
    case 'retentionPolicy':
      if (plain) return plainTableFix(support, context);
      return d.expected !== 'none' && d.expected !== 'disabled' && d.actual.startsWith('none')
        ? SKIPPED
        : d.kind === 'compression' && d.actual === 'disabled'
          ? SKIPPED
          : GENERATE;
    default:
      return GENERATE;
  }
}

export async function detectDrift(
  client: ClientBase,
  spec: Spec,
  support: TimescaleSupport,
  context: DriftContext = {},
): Promise<Drift[]> {
  const desired = compileSpec(spec).tables.map((t) => expectedOn(t, support, context));
  const live = await readSchema(client, { tables: desired.map((t) => t.name) });
  const liveByName = new Map(live.tables.map((t) => [t.name, t]));
  let statable: ReadonlyMap<string, Table>;
  try {
    statable = statableTables(live);
  } catch {
    // Without the statable part every difference is reported: more, never less.
    statable = new Map();
  }
  return desired.flatMap((table) => {
    const found = liveByName.get(table.name);
    const stated = statable.get(table.name);
    let differences = compareTables(found, table);
    if (found !== undefined && stated !== undefined) {
      // Only what prism.yaml could state differs: the same object differs in the
      // statable part of the table too.
      const objects = new Set(compareTables(stated, table).map(objectOf));
      differences = differences.filter((d) => objects.has(objectOf(d)));
    }
    return differences.map((d) => Object.freeze({ ...d, fix: fixFor(d, found, support, context) }));
  });
}

/** The object a difference is about: `column value` for its type, nullability, default. */
function objectOf(d: SchemaDifference): string {
  switch (d.kind) {
    case 'columnType':
    case 'nullability':
    case 'default':
    case 'identity':
      return d.what.replace(/ (type|nullability|default|identity)$/, '');
    default:
      return d.what;
  }
}
