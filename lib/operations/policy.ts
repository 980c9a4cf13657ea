/**
 * Compression and retention policies share one shape: a TimescaleDB job per hypertable
 * whose config holds one interval. Adding never silently keeps a different existing
 * policy (TimescaleDB's if_not_exists would only warn): the same duration is skipped,
 * a different one is an error that says how to change it.
 */
import { intervalSql, type IntervalInput } from '../sql/interval.js';
import { quoteLiteral } from '../sql/quote.js';
import {
  displayName,
  lookupHypertable,
  LOOKUP_DECLARE,
  regclass,
  type TableArg,
  type TimescaleOption,
  whenNotHypertable,
} from './common.js';
import { execTs, guarded, tsFormat, TS } from './guard.js';
import { refuseRetentionLoss, RETENTION_LOSS_DECLARE } from './retention-loss-guard.js';
import { effectiveMode, type TimescaleMode } from './mode.js';

export interface PolicyKind {
  /** `compression` or `retention`, for messages. */
  readonly label: string;
  /** proc_name of the job in timescaledb_information.jobs. */
  readonly proc: string;
  /** Key of the interval in the job config, also the argument name of the add function. */
  readonly configKey: string;
  readonly addFunction: string;
  readonly removeFunction: string;
  /** pgm method names, for messages. */
  readonly addOperation: string;
  readonly removeOperation: string;
  /** Its first run drops data: refused on a table converted in the same transaction. */
  readonly dropsData: boolean;
  /**
   * The procedures TimescaleDB 2.18+ names this policy by (`CALL`, inside the migration's
   * transaction), with the argument name of the interval.
   */
  readonly since218?: {
    readonly addProcedure: string;
    readonly removeProcedure: string;
    readonly argument: string;
  };
}

/** Runs `modern` on TimescaleDB 2.18+ where the kind has procedures, else `legacy`. */
function byVersion(kind: PolicyKind, modern: string | undefined, legacy: string): string[] {
  if (kind.since218 === undefined || modern === undefined) return [legacy];
  return ['IF ts_version >= ARRAY[2, 18] THEN', `  ${modern}`, 'ELSE', `  ${legacy}`, 'END IF;'];
}

export interface AddPolicyOptions extends TimescaleOption {
  readonly ifNotExists?: boolean | undefined;
}

export interface RemovePolicyOptions extends TimescaleOption {
  readonly ifExists?: boolean | undefined;
}

const POLICY_DECLARE = [...LOOKUP_DECLARE, 'job_config jsonb;'];

/** What a policy is added to: a hypertable, or a continuous aggregate. */
export interface PolicyTarget {
  /** plpgsql setting `target`, `rel_schema`, `rel_name`, running `ifNot` when it is not one. */
  readonly lookup: (table: TableArg, ifNot: string) => string[];
  /** What adding does when the relation is not one (see whenNotHypertable). */
  readonly whenNot: (mode: TimescaleMode, what: string, table: TableArg) => string;
  /** What it is, for messages: `a hypertable`. */
  readonly noun: string;
  /** SQL condition: the job `j` (timescaledb_information.jobs) is one of `rel_schema`.`rel_name`. */
  readonly jobOf: string;
}

export const HYPERTABLE_TARGET: PolicyTarget = Object.freeze({
  lookup: lookupHypertable,
  whenNot: whenNotHypertable,
  noun: 'a hypertable',
  jobOf: 'j.hypertable_schema = rel_schema AND j.hypertable_name = rel_name',
});

function findJob(kind: PolicyKind, target: PolicyTarget): string {
  return `SELECT j.config INTO job_config FROM timescaledb_information.jobs j WHERE j.proc_name = ${quoteLiteral(kind.proc)} AND ${target.jobOf} LIMIT 1;`;
}

export function addPolicySql(
  kind: PolicyKind,
  table: TableArg,
  amount: IntervalInput,
  options: AddPolicyOptions,
  target: PolicyTarget = HYPERTABLE_TARGET,
): string {
  const value = intervalSql(amount, kind.configKey);
  const cast = typeof amount === 'string' ? 'pg_catalog.interval' : 'bigint';
  const name = displayName(table);
  const stored = `(job_config ->> ${quoteLiteral(kind.configKey)})`;
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'licensed',
    what: `${kind.label} policy on ${name}`,
    declare: kind.dropsData ? [...POLICY_DECLARE, ...RETENTION_LOSS_DECLARE] : POLICY_DECLARE,
    body: [
      ...target.lookup(table, target.whenNot(mode, `add a ${kind.label} policy`, table)),
      findJob(kind, target),
      'IF job_config IS NOT NULL THEN',
      ...(options.ifNotExists
        ? [
            // Compared as durations: '1 mon' equals '30 days'.
            `  IF ${stored}::${cast} = ${value} THEN`,
            `    RAISE NOTICE '%', ${quoteLiteral(`prism: ${kind.label} policy on ${name} already exists with the same ${kind.configKey}, skipping`)};`,
            '    RETURN;',
            '  END IF;',
          ]
        : []),
      `  RAISE EXCEPTION USING MESSAGE = pg_catalog.format(${quoteLiteral(`prism: a ${kind.label} policy already exists on ${name.replaceAll('%', '%%')} with ${kind.configKey} = %s`)}, ${stored}),`,
      `    HINT = ${quoteLiteral(`remove it first (pgm.${kind.removeOperation}) and add the new one; existing chunks are not changed by either`)};`,
      'END IF;',
      ...(kind.dropsData && target === HYPERTABLE_TARGET
        ? refuseRetentionLoss(table, value, typeof amount !== 'string', String(amount))
        : []),
      ...byVersion(
        kind,
        kind.since218 &&
          execTs(
            tsFormat`CALL ${TS}.${kind.since218.addProcedure}(${regclass(table)}, ${kind.since218.argument} => ${value})`,
          ),
        execTs(
          tsFormat`SELECT ${TS}.${kind.addFunction}(${regclass(table)}, ${kind.configKey} => ${value})`,
        ),
      ),
    ],
  });
}

export function removePolicySql(
  kind: PolicyKind,
  table: TableArg,
  options: RemovePolicyOptions,
  target: PolicyTarget = HYPERTABLE_TARGET,
): string {
  const ifExists = options.ifExists === true;
  const mode = effectiveMode(options.timescale);
  return guarded({
    mode,
    feature: 'licensed',
    what: `removing the ${kind.label} policy on ${displayName(table)}`,
    declare: POLICY_DECLARE,
    body: [
      ...(ifExists
        ? target.lookup(
            table,
            `RAISE NOTICE '%', ${quoteLiteral(`prism: ${displayName(table)} is not ${target.noun}; no ${kind.label} policy to remove`)}; RETURN;`,
          )
        : target === HYPERTABLE_TARGET
          ? []
          : target.lookup(table, target.whenNot(mode, `remove the ${kind.label} policy`, table))),
      ...byVersion(
        kind,
        kind.since218 &&
          execTs(
            tsFormat`CALL ${TS}.${kind.since218.removeProcedure}(${regclass(table)}, if_exists => ${String(ifExists)})`,
          ),
        execTs(
          tsFormat`SELECT ${TS}.${kind.removeFunction}(${regclass(table)}, if_exists => ${String(ifExists)})`,
        ),
      ),
    ],
  });
}

export function cannotReverseRemove(kind: PolicyKind): never {
  throw new Error(
    `Impossible to reverse ${kind.removeOperation}() without the previous ${kind.configKey}: pass { ${kind.configKey === 'compress_after' ? 'after' : 'dropAfter'} } with the value being removed, or write an explicit down`,
  );
}

export const COMPRESSION_POLICY: PolicyKind = Object.freeze({
  label: 'compression',
  proc: 'policy_compression',
  configKey: 'compress_after',
  addFunction: 'add_compression_policy',
  removeFunction: 'remove_compression_policy',
  addOperation: 'addCompressionPolicy',
  removeOperation: 'removeCompressionPolicy',
  dropsData: false,
  since218: Object.freeze({
    addProcedure: 'add_columnstore_policy',
    removeProcedure: 'remove_columnstore_policy',
    argument: 'after',
  }),
});

export const RETENTION_POLICY: PolicyKind = Object.freeze({
  label: 'retention',
  proc: 'policy_retention',
  configKey: 'drop_after',
  addFunction: 'add_retention_policy',
  removeFunction: 'remove_retention_policy',
  addOperation: 'addRetentionPolicy',
  removeOperation: 'removeRetentionPolicy',
  dropsData: true,
});
