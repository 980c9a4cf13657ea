/**
 * `prism-migrate apply-timescale`: the TimescaleDB steps that applied migrations skipped
 * because TimescaleDB was missing then (`timescale: auto` on a server without it, without
 * the privilege to create it, or before it was preloaded), applied now that it is there:
 * the extension is created, timeseries tables become hypertables with their rows
 * (migrate_data), then compression and policies; aggregates made as stand-ins (views or
 * materialized views of the table's rows) become continuous aggregates, filled once
 * committed. Only what is missing is done; what is there but different is drift for
 * `check` to report, never changed here.
 *
 * The state to reach is the spec of the last generated migration (its snapshot), so every
 * migration must be applied first. Everything runs in one transaction under the
 * migrations' advisory lock (waited for, as `up` does): all of it is applied, or nothing. A retention policy that
 * would drop rows on its first run is counted after the conversion, in that transaction,
 * and refused without `allowDataLoss`.
 */
import pg from 'pg';
import { readSchema } from '../catalog/read.js';
import { describeChange } from '../diff/describe.js';
import { qualifiedName, schemaOf, type Change } from '../diff/changes.js';
import { aggregateCreationSteps, aggregateDefOf } from '../diff/aggregates.js';
import { toTableName, type TableName } from '../sql/quote.js';
import type { TableArg } from '../operations/common.js';
import { DEFAULT_SCHEMA } from '../schema/types.js';
import { refreshAggregates, refreshFailure, type AggregateToRefresh } from './refresh.js';
import type { DestructiveChange } from '../diff/destructive.js';
import { timeseriesSteps } from '../diff/model-steps.js';
import { readSnapshot } from '../diff/snapshot.js';
import { CheckFailedError, DatabaseError, UsageError } from '../errors.js';
import { describeAvailability, detectTimescale, type TimescaleSupport } from '../db/detect.js';
import { isUserNotice, noticeLines, type ServerNotice } from '../db/notices.js';
import { assessDataLoss, type DataLoss } from '../introspect/data-loss.js';
import { ALLOW_DATA_LOSS_SETTING } from '../operations/retention-loss-guard.js';
import {
  aggregateOperationCall,
  isAggregateChange,
  operationCall,
  operationSql,
  type AggregateChange,
  type TimescaleChange,
} from '../generate/operation-calls.js';
import type { Model, Spec } from '../spec/types.js';
import { amountText } from '../spec/time-amount.js';
import { connect } from '../db/connect.js';
import { DataLossError, migrationStatusOn, runEnvironment } from './migrate.js';
import { specForEnvironment } from '../spec/environments.js';
import { historyTable, type HistoryOptions } from './history.js';
import { acquireMigrationLock, DEFAULT_LOCK_TIMEOUT_MS, releaseMigrationLock } from './lock.js';

export interface ApplyTimescaleOptions extends HistoryOptions {
  readonly url: string;
  readonly migrationsDir: string;
  /** Used when the migrations have no snapshot (none was generated). */
  readonly spec?: Spec | undefined;
  /** Run everything, report it, and roll it back. */
  readonly dryRun?: boolean | undefined;
  /** Add retention policies although their first run drops existing rows. */
  readonly allowDataLoss?: boolean | undefined;
  readonly log?: ((line: string) => void) | undefined;
  /** How long to wait for the migration lock (ms); default 10 minutes, 0 fails at once. */
  readonly lockTimeoutMs?: number | undefined;
  /** Whose values of `environments:` apply; default PRISM_ENV, else none. */
  readonly environment?: string | undefined;
}

export interface AppliedStep {
  readonly table: string;
  readonly description: string;
  readonly sql: string;
}

export interface ApplyTimescaleResult {
  readonly dryRun: boolean;
  /** TimescaleDB before this ran, and after (after the rollback, for a dry run). */
  readonly before: TimescaleSupport;
  readonly after: TimescaleSupport;
  /** The version of TimescaleDB this created (or, in a dry run, would create). */
  readonly createdExtension: string | null;
  readonly steps: readonly AppliedStep[];
  /** What the added retention policies drop on their first run, counted after the conversion. */
  readonly dataLoss: readonly DataLoss[];
}

interface LiveTimeseries {
  readonly exists: boolean;
  readonly hypertable: boolean;
  readonly compressionEnabled: boolean;
  readonly procs: readonly string[];
}

/**
 * What the table `table` resolves to has of its timeseries steps, as the catalog reader
 * sees it. A policy it cannot state (by creation time, say) still counts as there: the
 * reader names it `job <proc name>`.
 */
async function liveTimeseries(
  client: pg.ClientBase,
  table: string | TableName,
  installed: boolean,
): Promise<LiveTimeseries> {
  const live = (await readSchema(client, { tables: [table] })).tables[0];
  if (!live) return { exists: false, hypertable: false, compressionEnabled: false, procs: [] };
  const h = installed ? live.hypertable : undefined;
  const procs = [
    ...(h?.compressAfter ? ['policy_compression'] : []),
    ...(h?.dropAfter ? ['policy_retention'] : []),
    ...(h?.reorderIndex ? ['policy_reorder'] : []),
    ...live.unsupported.filter((u) => u.what.startsWith('job ')).map((u) => u.what.slice(4)),
  ];
  return {
    exists: true,
    hypertable: h !== undefined,
    compressionEnabled: h?.compression !== undefined,
    procs,
  };
}

/** Steps that need the Timescale License build. */
const LICENSED: ReadonlySet<Change['kind']> = new Set([
  'enableCompression',
  'addCompressionPolicy',
  'addRetentionPolicy',
  'addReorderPolicy',
]);

/** The steps of `model` that the live table lacks. */
function missingSteps(model: Model, live: LiveTimeseries): TimescaleChange[] {
  return timeseriesSteps(model).filter((step): step is TimescaleChange => {
    switch (step.kind) {
      case 'createHypertable':
      case 'setIntegerNow':
        return !live.hypertable;
      case 'enableCompression':
        return !live.compressionEnabled;
      case 'addCompressionPolicy':
        return !live.procs.includes('policy_compression');
      case 'addRetentionPolicy':
        return !live.procs.includes('policy_retention');
      case 'addReorderPolicy':
        return !live.procs.includes('policy_reorder');
      default:
        return false;
    }
  });
}

/**
 * The aggregate steps `model` lacks here: each stand-in (a view or materialized view made
 * while TimescaleDB could not make continuous aggregates) made again as a continuous
 * aggregate with its compression and policies, and with it every aggregate built on it
 * (dropped dependents first); on a continuous aggregate, its missing compression and
 * policies. A stand-in's rows are the table's, so nothing is lost by dropping it.
 */
async function missingAggregateSteps(client: pg.ClientBase, model: Model): Promise<Change[]> {
  const ts = model.timeseries;
  const declared = ts?.aggregates ?? [];
  if (ts === undefined || declared.length === 0) return [];
  const schema = model.schema ?? DEFAULT_SCHEMA;
  const table = model.schema === undefined ? model.table : { schema, name: model.table };
  const live = (await readSchema(client, { tables: [table] })).aggregates ?? [];
  const liveOf = (name: string) => live.find((l) => l.schema === schema && l.name === name);
  const remade = new Set<string>();
  for (const a of declared) {
    const l = liveOf(a.name);
    if (l === undefined) continue; // `check` says it is missing
    if (l.form !== 'continuous' || (a.from !== undefined && remade.has(a.from))) remade.add(a.name);
  }
  const drops: Change[] = declared
    .filter((a) => remade.has(a.name))
    .reverse()
    .map((a) => ({
      kind: 'dropContinuousAggregate',
      aggregate: aggregateDefOf(model.table, ts.timeColumn, a),
      timescale: model.timescale,
      ...schemaOf(model),
    }));
  const creates = declared.flatMap((a) => {
    const all = aggregateCreationSteps(model, a);
    if (remade.has(a.name)) return all;
    const l = liveOf(a.name);
    if (l === undefined) return [];
    return all.filter(
      (step) =>
        (step.kind === 'enableAggregateCompression' && l.compression === undefined) ||
        (step.kind === 'addContinuousAggregatePolicy' && l.refresh === undefined) ||
        (step.kind === 'addAggregateCompressionPolicy' && l.compressAfter === undefined) ||
        (step.kind === 'addAggregateRetentionPolicy' && l.dropAfter === undefined),
    );
  });
  return [...drops, ...creates];
}

/** `schema.name` outside `public`, else the name: how steps name what they act on. */
function describeTable(table: TableArg): string {
  const t = toTableName(table);
  return qualifiedName(t.name, t.schema);
}

function retentionMarker(step: Extract<Change, { kind: 'addRetentionPolicy' }>): DestructiveChange {
  const dropAfter = amountText(step.dropAfter);
  return {
    code: 'PM103',
    direction: 'up',
    table: qualifiedName(step.table, step.schema),
    message: `retention drops chunks of ${qualifiedName(step.table, step.schema)} older than ${dropAfter} on its first run`,
    dropAfter,
  };
}

function refuseUnlessReady(support: TimescaleSupport, pending: readonly string[]): void {
  if (support.availability !== 'installed' && support.availability !== 'creatable') {
    throw new DatabaseError(`nothing can be applied: ${describeAvailability(support)}`, {
      hint:
        support.availability === 'unavailable'
          ? 'install TimescaleDB on the server first'
          : 'fix that, then run `prism-migrate apply-timescale` again',
    });
  }
  if (pending.length > 0) {
    throw new CheckFailedError(
      `${pending.length} migration(s) are not applied yet (${pending.join(', ')})`,
      { hint: 'run `prism-migrate up` first; it applies their TimescaleDB steps itself' },
    );
  }
}

export async function applyTimescale(
  options: ApplyTimescaleOptions,
): Promise<ApplyTimescaleResult> {
  const log = options.log ?? (() => undefined);
  const written = readSnapshot(options.migrationsDir)?.spec ?? options.spec;
  // The values of this database's environment, as its migrations applied them.
  const spec = written && specForEnvironment(written, runEnvironment(options));
  if (!spec) {
    throw new UsageError(
      `${options.migrationsDir} has no snapshot (.prism/snapshot.json) and no spec was given`,
      { hint: 'run it where prism.yaml is, or pass --spec' },
    );
  }
  const client = await connect(options.url);
  const onNotice = (n: ServerNotice) => {
    if (isUserNotice(n)) for (const line of noticeLines(n)) log(line);
  };
  client.on('notice', onNotice);
  try {
    // A deploy running now is waited for: its migrations then count as applied.
    await acquireMigrationLock(client, {
      timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      log,
    });
    const pending = (await migrationStatusOn(client, options.migrationsDir, historyTable(options)))
      .filter((m) => !m.applied)
      .map((m) => m.name);
    const before = await detectTimescale(client);
    refuseUnlessReady(before, pending);
    await client.query('BEGIN');
    try {
      // This counts what retention drops after every conversion, below.
      await client.query(`SET LOCAL ${ALLOW_DATA_LOSS_SETTING} = on`);
      const steps: AppliedStep[] = [];
      const retention: DestructiveChange[] = [];
      for (const model of spec.models) {
        if (!model.timeseries || model.timescale === 'off') continue;
        // The extension may have been created by the step before.
        const installed = (await detectTimescale(client)).installed;
        const name = qualifiedName(model.table, model.schema);
        const live = await liveTimeseries(
          client,
          model.schema === undefined ? model.table : { schema: model.schema, name: model.table },
          installed,
        );
        if (!live.exists) {
          log(`${name}: no such table here; skipped (\`prism-migrate check\` tells why)`);
          continue;
        }
        for (const step of missingSteps(model, live)) {
          const description = describeChange(step);
          if (LICENSED.has(step.kind) && model.timescale === 'auto') {
            // Known once the extension exists (the step before may have created it).
            const now = await detectTimescale(client);
            if (!now.features.compression) {
              log(
                `skipped: ${description} (${describeAvailability(now)} has no compression or policies)`,
              );
              continue;
            }
          }
          const sql = operationSql(operationCall(step));
          log(`${options.dryRun ? 'would apply' : 'applying'}: ${description}`);
          await client.query(sql);
          steps.push({ table: name, description, sql });
          if (step.kind === 'addRetentionPolicy') retention.push(retentionMarker(step));
        }
      }
      const aggregates: AggregateChange[] = [];
      for (const model of spec.models) {
        if (!model.timeseries?.aggregates || model.timescale === 'off') continue;
        const now = await detectTimescale(client);
        if (!now.features.policies) {
          log(
            `skipped: the aggregates of ${qualifiedName(model.table, model.schema)} (${describeAvailability(now)} has no continuous aggregates)`,
          );
          continue;
        }
        aggregates.push(...(await missingAggregateSteps(client, model)).filter(isAggregateChange));
      }
      const created: AggregateToRefresh[] = [];
      for (const step of aggregates) {
        const description = describeChange(step);
        const call = aggregateOperationCall(step);
        const sql = operationSql(call);
        log(`${options.dryRun ? 'would apply' : 'applying'}: ${description}`);
        await client.query(sql);
        steps.push({ table: describeTable(call.table), description, sql });
        if (step.kind === 'createContinuousAggregate')
          created.push({
            view: toTableName(call.table),
            reason: 'created',
            migration: 'apply-timescale',
          });
      }
      const dataLoss = await assessDataLoss(client, retention);
      const losing = dataLoss.filter((l) => l.rows !== 0);
      if (losing.length > 0 && !options.dryRun && !options.allowDataLoss) {
        throw new DataLossError(
          losing.map((loss) => ({ migration: 'apply-timescale', loss })),
          'nothing was changed; back the rows up, or change the retention in prism.yaml and generate a migration; to add the policy anyway, run again with --allow-data-loss',
        );
      }
      const inTransaction = await detectTimescale(client);
      const createdExtension = before.installed ? null : inTransaction.version;
      await client.query(options.dryRun ? 'ROLLBACK' : 'COMMIT');
      // The aggregates made now are empty: filled once committed, as `up` fills them.
      const failed = refreshFailure(
        options.dryRun ? [] : await refreshAggregates(client, created, log),
      );
      if (failed) throw failed;
      const after = await detectTimescale(client);
      return { dryRun: options.dryRun === true, before, after, createdExtension, steps, dataLoss };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof pg.DatabaseError) {
        throw new DatabaseError(
          `apply-timescale failed: ${error.message}${error.code ? ` [${error.code}]` : ''}; it was rolled back: nothing was changed`,
          { hint: error.hint, cause: error },
        );
      }
      throw error;
    }
  } finally {
    await releaseMigrationLock(client).catch(() => undefined);
    client.off('notice', onNotice);
    await client.end().catch(() => undefined);
  }
}
