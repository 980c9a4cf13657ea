/**
 * The live schema against the spec: tables, columns, indexes, hypertables, chunk
 * intervals, compression settings and policies. Each difference says what fixes it.
 * TimescaleDB features skipped on purpose (no TimescaleDB on the server under `auto`, an
 * Apache-only build's compression and policies, or `off`) are not drift; a plain table
 * where the server has TimescaleDB is, even before the extension is created.
 */
import type { ClientBase } from 'pg';
import { compressionSettingsOf, indexesOf } from '../diff/model-steps.js';
import { catalogType } from '../generate/columns.js';
import type { Model, Spec, TimeAmount } from '../spec/types.js';
import type { OrderByTerm } from '../sql/order-by.js';
import type { TimescaleSupport } from '../db/detect.js';
import { readCompressionSettings } from './compression-settings.js';

export interface Drift {
  readonly table: string;
  readonly what: string;
  readonly expected: string;
  readonly actual: string;
  readonly fix: string;
}

function orderByText(term: OrderByTerm): string {
  const defaultNulls = term.direction === 'DESC' ? 'FIRST' : 'LAST';
  const nulls = term.nulls && term.nulls !== defaultNulls ? ` NULLS ${term.nulls}` : '';
  return `${term.column}${term.direction === 'DESC' ? ' DESC' : ''}${nulls}`;
}

function amountText(a: TimeAmount | undefined): string {
  if (a === undefined) return 'none';
  return a.kind === 'interval' ? a.interval.text : String(a.value);
}

async function sameDuration(
  client: ClientBase,
  live: string | null,
  expected: TimeAmount | undefined,
): Promise<boolean> {
  if (live === null || expected === undefined) return live === null && expected === undefined;
  if (expected.kind === 'integer') return BigInt(live) === expected.value;
  const r = await client.query<{ same: boolean }>('SELECT $1::interval = $2::interval AS same', [
    live,
    expected.interval.text,
  ]);
  return r.rows[0]?.same === true;
}

interface LiveTable {
  columns: Map<string, { type: string; notNull: boolean }>;
  indexes: Set<string>;
}

async function liveTable(client: ClientBase, table: string): Promise<LiveTable | undefined> {
  const exists = await client.query<{ t: string | null }>(
    'SELECT pg_catalog.to_regclass($1)::text AS t',
    [`"${table.replaceAll('"', '""')}"`],
  );
  if (!exists.rows[0]?.t) return undefined;
  const columns = await client.query<{ name: string; type: string; not_null: boolean }>(
    `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
       FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [`"${table.replaceAll('"', '""')}"`],
  );
  const indexes = await client.query<{ name: string }>(
    `SELECT indexname AS name FROM pg_catalog.pg_indexes WHERE schemaname = pg_catalog.current_schema() AND tablename = $1`,
    [table],
  );
  return {
    columns: new Map(columns.rows.map((c) => [c.name, { type: c.type, notNull: c.not_null }])),
    indexes: new Set(indexes.rows.map((i) => i.name)),
  };
}

export interface DriftContext {
  /** Migrations not applied yet: a plain table may be theirs to convert. */
  readonly pendingMigrations?: number | undefined;
  /** The licence TimescaleDB would run under once created (see `probeLicense`). */
  readonly license?: string | null | undefined;
}

const SKIPPED_FIX =
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
 * A timeseries model whose table is a plain table where TimescaleDB is (or could be):
 * the hypertable and, where the build allows them (unknown until the extension exists),
 * its compression and policies are missing.
 */
function plainTableDrift(model: Model, support: TimescaleSupport, context: DriftContext): Drift[] {
  const ts = model.timeseries;
  if (!ts) return [];
  const table = model.table;
  const fix = plainTableFix(support, context);
  // Before the extension exists its licence is what a probe found, or assumed licensed.
  const licensed = support.installed
    ? support.features.compression
    : (context.license ?? 'timescale') === 'timescale';
  const drifts: Drift[] = [
    {
      table,
      what: 'hypertable',
      expected: `hypertable on ${ts.timeColumn}`,
      actual: 'plain table',
      fix,
    },
  ];
  if (!licensed) return drifts;
  const settings = compressionSettingsOf(model);
  if (settings) {
    drifts.push({
      table,
      what: 'compression',
      expected: 'enabled',
      actual: 'none (plain table)',
      fix,
    });
    if (ts.compression?.after) {
      drifts.push({
        table,
        what: 'compression policy',
        expected: `compress_after ${amountText(ts.compression.after)}`,
        actual: 'none (plain table)',
        fix,
      });
    }
  }
  if (ts.retention?.enabled) {
    drifts.push({
      table,
      what: 'retention policy',
      expected: `drop_after ${amountText(ts.retention.dropAfter)}`,
      actual: 'none (plain table)',
      fix,
    });
  }
  return drifts;
}

async function timeseriesDrift(
  client: ClientBase,
  model: Model,
  support: TimescaleSupport,
  context: DriftContext,
): Promise<Drift[]> {
  const ts = model.timeseries;
  const drifts: Drift[] = [];
  const table = model.table;
  // Without TimescaleDB on the server, `auto` makes plain tables on purpose: no drift.
  if (!ts || model.timescale === 'off' || support.availability === 'unavailable') return drifts;
  const fixBy =
    'run `prism-migrate up`, or `prism-migrate generate` if the spec changed since the last migration';
  if (!support.installed) return plainTableDrift(model, support, context);
  const dims = await client.query<{
    column_name: string;
    interval: string | null;
    integer_interval: string | null;
  }>(
    `SELECT column_name, time_interval::text AS interval, integer_interval::text
       FROM timescaledb_information.dimensions WHERE hypertable_name = $1 AND dimension_number = 1`,
    [table],
  );
  const dim = dims.rows[0];
  if (!dim) return plainTableDrift(model, support, context);
  if (dim.column_name !== ts.timeColumn) {
    drifts.push({
      table,
      what: 'time column',
      expected: ts.timeColumn,
      actual: dim.column_name,
      fix: fixBy,
    });
  }
  const chunk = dim.interval ?? dim.integer_interval;
  if (ts.chunkInterval && !(await sameDuration(client, chunk, ts.chunkInterval))) {
    drifts.push({
      table,
      what: 'chunk interval',
      expected: amountText(ts.chunkInterval),
      actual: chunk ?? 'none',
      fix: fixBy,
    });
  }
  if (!support.features.compression) return drifts;
  const settings = compressionSettingsOf(model);
  const enabled = (
    await client.query<{ enabled: boolean }>(
      `SELECT compression_enabled AS enabled FROM timescaledb_information.hypertables WHERE hypertable_name = $1`,
      [table],
    )
  ).rows[0]?.enabled;
  const live = (await readCompressionSettings(client, table))[0];
  if (Boolean(settings) !== Boolean(enabled)) {
    drifts.push({
      table,
      what: 'compression',
      expected: settings ? 'enabled' : 'disabled',
      actual: enabled ? 'enabled' : 'disabled',
      fix: settings ? SKIPPED_FIX : fixBy,
    });
  } else if (settings) {
    const expectedSegment = settings.segmentBy.join(',');
    const liveSegment = (live?.segmentBy ?? []).join(',');
    if (expectedSegment !== liveSegment) {
      drifts.push({
        table,
        what: 'compression segment_by',
        expected: expectedSegment || 'none',
        actual: liveSegment || 'none',
        fix: fixBy,
      });
    }
    const expectedOrder = settings.orderBy.map(orderByText).join(',');
    const liveOrder = (live?.orderBy ?? []).join(',');
    if (expectedOrder !== '' && expectedOrder !== liveOrder) {
      drifts.push({
        table,
        what: 'compression order_by',
        expected: expectedOrder,
        actual: liveOrder || 'none',
        fix: fixBy,
      });
    }
  }
  const jobs = (
    await client.query<{ proc_name: string; config: Record<string, string> }>(
      `SELECT proc_name, config FROM timescaledb_information.jobs WHERE hypertable_name = $1`,
      [table],
    )
  ).rows;
  const policy = async (
    proc: string,
    key: string,
    expected: TimeAmount | undefined,
    label: string,
  ) => {
    const job = jobs.find((j) => j.proc_name === proc);
    const live = job ? String(job.config[key]) : null;
    if (!(await sameDuration(client, live, expected))) {
      drifts.push({
        table,
        what: `${label} policy`,
        expected: expected ? `${key} ${amountText(expected)}` : 'none',
        actual: live === null ? 'none (removed?)' : `${key} ${live}`,
        fix: live === null ? SKIPPED_FIX : fixBy,
      });
    }
  };
  await policy(
    'policy_compression',
    'compress_after',
    settings ? ts.compression?.after : undefined,
    'compression',
  );
  await policy(
    'policy_retention',
    'drop_after',
    ts.retention?.enabled ? ts.retention.dropAfter : undefined,
    'retention',
  );
  return drifts;
}

export async function detectDrift(
  client: ClientBase,
  spec: Spec,
  support: TimescaleSupport,
  context: DriftContext = {},
): Promise<Drift[]> {
  const drifts: Drift[] = [];
  for (const model of spec.models) {
    const table = model.table;
    const live = await liveTable(client, table);
    if (!live) {
      drifts.push({
        table,
        what: 'table',
        expected: `table ${table}`,
        actual: 'missing',
        fix: 'run `prism-migrate up`',
      });
      continue;
    }
    for (const field of model.fields) {
      const column = live.columns.get(field.name);
      const expectedType = catalogType(field);
      if (!column) {
        drifts.push({
          table,
          what: `column ${field.name}`,
          expected: expectedType,
          actual: 'missing',
          fix: 'run `prism-migrate up`',
        });
        continue;
      }
      if (column.type !== expectedType) {
        drifts.push({
          table,
          what: `column ${field.name} type`,
          expected: expectedType,
          actual: column.type,
          fix: 'generate and apply a migration, or fix the column by hand',
        });
      }
      const notNull =
        !field.optional ||
        model.primaryKey.includes(field.name) ||
        model.timeseries?.timeColumn === field.name;
      if (column.notNull !== notNull) {
        drifts.push({
          table,
          what: `column ${field.name} nullability`,
          expected: notNull ? 'NOT NULL' : 'nullable',
          actual: column.notNull ? 'NOT NULL' : 'nullable',
          fix: 'generate and apply a migration, or fix the column by hand',
        });
      }
    }
    for (const name of live.columns.keys()) {
      if (!model.fields.some((f) => f.name === name)) {
        drifts.push({
          table,
          what: `column ${name}`,
          expected: 'absent (not in the spec)',
          actual: 'present',
          fix: 'add it to the spec, or generate a migration that drops it',
        });
      }
    }
    for (const index of indexesOf(model)) {
      if (!live.indexes.has(index.name)) {
        drifts.push({
          table,
          what: `index ${index.name}`,
          expected: `on (${index.columns.join(', ')})`,
          actual: 'missing',
          fix: 'run `prism-migrate up`, or recreate the index',
        });
      }
    }
    drifts.push(...(await timeseriesDrift(client, model, support, context)));
  }
  return drifts;
}
