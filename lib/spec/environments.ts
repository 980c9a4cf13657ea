/**
 * `environments:` — time amounts of timeseries models that differ per environment
 * (a smaller chunk interval in development, a shorter retention in staging, an aggregate
 * refreshed more often). Checked
 * against the built models; the values ride on each model's timeseries block, so the diff
 * sees a change of any environment's value, and the migration picks one when it runs.
 */
import { closest } from '../util/closest.js';
import { checkRefreshInEnvironment, refreshPastRetention } from './aggregates.js';
import type { Finding, Path } from './findings.js';
import { specError, specWarning } from './findings.js';
import type {
  RawAggregateRefresh,
  RawEnvironmentValues,
  RawModel,
  RawSpec,
  RawTimeAmount,
} from './raw.js';
import type { TimeColumn } from './time-amount.js';
import { amountText, compareAmounts, parseTimeAmount } from './time-amount.js';
import type {
  AggregateRefresh,
  ContinuousAggregate,
  EnvironmentValues,
  Model,
  Spec,
  TimeAmount,
} from './types.js';

export interface EnvironmentsCheck {
  readonly findings: readonly Finding[];
  /** Model name → environment name → its values there. */
  readonly byModel: ReadonlyMap<string, Readonly<Record<string, EnvironmentValues>>>;
}

interface Located {
  readonly model: Model;
  /** The model as written: an environment's refresh values go over its aggregates' own. */
  readonly raw: RawModel;
  readonly path: Path;
}

function timeColumnOf(model: Model): TimeColumn | undefined {
  const ts = model.timeseries;
  const field = model.fields.find((f) => f.name === ts?.timeColumn);
  return ts && field ? { name: field.name, type: field.type, unit: ts.timeUnit } : undefined;
}

function amount(
  raw: RawTimeAmount | undefined,
  key: string,
  column: TimeColumn,
  path: Path,
  findings: Finding[],
): TimeAmount | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseTimeAmount(raw, key, column, path);
  if (parsed.ok) return parsed.amount;
  findings.push(parsed.finding);
  return undefined;
}

function valuesOf(
  raw: RawEnvironmentValues,
  located: Located,
  environment: string,
  path: Path,
  findings: Finding[],
): EnvironmentValues {
  const { model } = located;
  const ts = model.timeseries;
  const column = timeColumnOf(model);
  if (!ts || !column) return {};
  const modelAt = `model '${model.name}'`;
  const chunkInterval = amount(
    raw.chunk_interval,
    'chunk_interval',
    column,
    [...path, 'chunk_interval'],
    findings,
  );
  // Merged chunks (compression.chunk_interval) are whole chunks in every environment.
  const merged = ts.compression?.enabled ? ts.compression.chunkInterval : undefined;
  if (
    chunkInterval?.kind === 'interval' &&
    merged?.kind === 'interval' &&
    merged.interval.micros % chunkInterval.interval.micros !== 0n
  ) {
    findings.push(
      specError(
        [...path, 'chunk_interval'],
        `in environment '${environment}', compression chunk_interval ${merged.interval.text} of ${modelAt} is not a multiple of the chunk interval ${chunkInterval.interval.text}`,
        `only whole chunks are rolled together: use a chunk interval that divides ${merged.interval.text}`,
      ),
    );
  }
  let compressAfter: TimeAmount | undefined;
  if (raw.compression?.after !== undefined) {
    const at = [...path, 'compression', 'after'];
    if (ts.compression?.enabled && ts.compression.after !== undefined) {
      compressAfter = amount(raw.compression.after, 'after', column, at, findings);
    } else {
      findings.push(
        specError(
          at,
          `${modelAt} has no compression policy, so environment '${environment}' cannot change its compression.after`,
          `give ${modelAt} \`timeseries.compression.after\` (its value everywhere else), or remove this key`,
        ),
      );
    }
  }
  let dropAfter: TimeAmount | undefined;
  if (raw.retention?.drop_after !== undefined) {
    const at = [...path, 'retention', 'drop_after'];
    if (ts.retention?.enabled) {
      dropAfter = amount(raw.retention.drop_after, 'drop_after', column, at, findings);
    } else {
      findings.push(
        specError(
          at,
          `${modelAt} has no retention policy, so environment '${environment}' cannot change its retention.drop_after`,
          `give ${modelAt} \`timeseries.retention.drop_after\` (its value everywhere else), or remove this key`,
        ),
      );
    }
  }
  const aggregates = aggregatesOf(raw.aggregates, located, environment, path, findings);
  const after = compressAfter ?? ts.compression?.after;
  const drop = dropAfter ?? (ts.retention?.enabled ? ts.retention.dropAfter : undefined);
  const order = after && drop ? compareAmounts(after, drop) : undefined;
  if ((compressAfter || dropAfter) && order !== undefined && order >= 0 && after && drop) {
    findings.push(
      specWarning(
        path,
        `in environment '${environment}', compression after (${amountText(after)}) is not shorter than retention drop_after (${amountText(drop)}): chunks are dropped before they would be compressed`,
      ),
    );
  }
  findings.push(
    ...retentionPastRefreshes(model, { dropAfter, drop, aggregates, raw }, environment, path),
  );
  return Object.freeze({
    ...(chunkInterval ? { chunkInterval } : {}),
    ...(compressAfter ? { compressAfter } : {}),
    ...(dropAfter ? { dropAfter } : {}),
    ...(aggregates ? { aggregates } : {}),
  });
}

/**
 * The refresh-past-retention warning of the model's aggregates, with what the environment
 * changes: its own drop_after, or an aggregate's refresh there. Pointed at what the
 * environment writes (the model's own values are warned about where they are written).
 */
function retentionPastRefreshes(
  model: Model,
  values: {
    readonly dropAfter: TimeAmount | undefined;
    readonly drop: TimeAmount | undefined;
    readonly aggregates: EnvironmentValues['aggregates'];
    readonly raw: RawEnvironmentValues;
  },
  environment: string,
  path: Path,
): Finding[] {
  const findings: Finding[] = [];
  const known = model.timeseries?.aggregates ?? [];
  for (const aggregate of known) {
    const ownRefresh = values.aggregates?.[aggregate.name]?.refresh;
    const refresh = ownRefresh ?? aggregate.refresh;
    const from =
      aggregate.from === undefined ? undefined : known.find((a) => a.name === aggregate.from);
    const source =
      from !== undefined
        ? from.retention && {
            kind: 'aggregate' as const,
            name: from.name,
            dropAfter: from.retention.dropAfter,
          }
        : values.drop && { kind: 'model' as const, name: model.name, dropAfter: values.drop };
    // Only what this environment changes: the table's retention, or this refresh.
    const changed =
      ownRefresh !== undefined || (from === undefined && values.dropAfter !== undefined);
    const past = changed && refresh && source ? refreshPastRetention(refresh, source) : undefined;
    if (past === undefined) continue;
    const refreshAt: Path = [...path, 'aggregates', aggregate.name, 'refresh'];
    const at: Path =
      ownRefresh === undefined
        ? [...path, 'retention', 'drop_after']
        : values.raw.aggregates?.[aggregate.name]?.refresh?.start_offset !== undefined
          ? [...refreshAt, 'start_offset']
          : refreshAt;
    findings.push(
      specWarning(
        at,
        `in environment '${environment}', aggregate '${aggregate.name}': ${past.message}`,
        at === refreshAt ? 'key' : 'value',
      ),
    );
  }
  return findings;
}

const REFRESH_KEYS = ['start_offset', 'end_offset', 'schedule_interval'] as const;

/**
 * A finding of the refresh checks pointed at what the environment writes: the key it sets,
 * else its `refresh` key (the value comes from the model).
 */
function locatedInEnvironment(
  finding: Finding,
  refreshPath: Path,
  written: Partial<RawAggregateRefresh>,
  environment: string,
  aggregate: string,
): Finding {
  const key = finding.path[refreshPath.length];
  const set = REFRESH_KEYS.filter((k) => written[k] !== undefined);
  const target =
    typeof key === 'string' && set.includes(key as (typeof REFRESH_KEYS)[number])
      ? key
      : key === 'after' && written.start_offset !== undefined
        ? 'start_offset'
        : undefined;
  return Object.freeze({
    ...finding,
    path: target === undefined ? refreshPath : [...refreshPath, target],
    at: target === undefined ? 'key' : 'value',
    message: `in environment '${environment}', aggregate '${aggregate}': ${finding.message}`,
  });
}

/** `aggregates:` of one model in one environment: each one's refresh policy there. */
function aggregatesOf(
  raw: RawEnvironmentValues['aggregates'],
  located: Located,
  environment: string,
  path: Path,
  findings: Finding[],
): EnvironmentValues['aggregates'] {
  const { model } = located;
  const known = model.timeseries?.aggregates ?? [];
  const checked: Record<string, { refresh: AggregateRefresh }> = {};
  for (const [name, values] of Object.entries(raw ?? {})) {
    const at: Path = [...path, 'aggregates', name];
    const aggregate = known.find((a) => a.name === name);
    if (aggregate === undefined) {
      const names = known.map((a) => a.name);
      const near = closest(name, names);
      findings.push(
        specError(
          at,
          `environment '${environment}' names aggregate '${name}', which model '${model.name}' does not have`,
          near !== undefined
            ? `did you mean '${near}'?`
            : names.length > 0
              ? `aggregates of model '${model.name}': ${names.join(', ')}`
              : `model '${model.name}' has no timeseries.aggregates`,
          'key',
        ),
      );
      continue;
    }
    const written = values.refresh;
    if (written === undefined) continue;
    const own = located.raw.timeseries?.aggregates?.find((a) => a.name === name)?.refresh;
    if (aggregate.refresh === undefined || own === undefined) {
      findings.push(
        specError(
          [...at, 'refresh'],
          `aggregate '${name}' of model '${model.name}' has no refresh policy, so environment '${environment}' cannot change it`,
          `give aggregate '${name}' a \`refresh\` (its values everywhere else), or remove this key`,
          'key',
        ),
      );
      continue;
    }
    const result = checkRefreshInEnvironment(
      { ...own, ...withoutUndefined(written) },
      aggregate,
      timeColumnOf(model),
      at,
    );
    const refreshPath = [...at, 'refresh'];
    findings.push(
      ...result.findings.map((f) =>
        locatedInEnvironment(f, refreshPath, written, environment, name),
      ),
    );
    if (result.value !== undefined) checked[name] = Object.freeze({ refresh: result.value });
  }
  return Object.keys(checked).length === 0 ? undefined : Object.freeze(checked);
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Checks `environments:` against the models that were built. `known` names every model of
 * the document, built or not: a model with errors of its own is not reported again here.
 */
export function checkEnvironments(
  raw: RawSpec['environments'],
  built: readonly Located[],
  known: readonly string[],
): EnvironmentsCheck {
  const findings: Finding[] = [];
  const byModel = new Map<string, Record<string, EnvironmentValues>>();
  const models = new Map(built.map((b) => [b.model.name, b]));
  for (const [environment, entries] of Object.entries(raw ?? {})) {
    for (const [name, values] of Object.entries(entries)) {
      const path: Path = ['environments', environment, name];
      const located = models.get(name);
      if (located === undefined) {
        if (known.includes(name)) continue;
        const near = closest(name, known);
        findings.push(
          specError(
            path,
            `environment '${environment}' names model '${name}', which the spec does not have`,
            near === undefined ? `models: ${known.join(', ')}` : `did you mean '${near}'?`,
            'key',
          ),
        );
        continue;
      }
      if (located.model.timeseries === undefined) {
        findings.push(
          specError(
            path,
            `model '${name}' has no timeseries block: environments change only chunk_interval, compression.after, retention.drop_after and aggregates' refresh of timeseries models`,
            `remove '${name}' from environment '${environment}'`,
            'key',
          ),
        );
        continue;
      }
      const checked = valuesOf(values, located, environment, path, findings);
      if (Object.keys(checked).length === 0) continue;
      const forModel = byModel.get(name) ?? {};
      forModel[environment] = checked;
      byModel.set(name, forModel);
    }
  }
  return {
    findings,
    byModel: new Map([...byModel].map(([k, v]) => [k, Object.freeze(v)])),
  };
}

/** The model with its environments' values attached to its timeseries block. */
export function withEnvironments(
  model: Model,
  environments: Readonly<Record<string, EnvironmentValues>> | undefined,
): Model {
  if (!environments || !model.timeseries) return model;
  return Object.freeze({
    ...model,
    timeseries: Object.freeze({ ...model.timeseries, environments }),
  });
}

/** The environment names a spec gives values for, sorted. */
export function environmentNames(spec: Pick<Spec, 'models'>): string[] {
  const names = new Set<string>();
  for (const m of spec.models)
    for (const name of Object.keys(m.timeseries?.environments ?? {})) names.add(name);
  return [...names].sort();
}

/** Aggregates with the environment's refresh policies. */
function aggregatesInEnvironment(
  aggregates: readonly ContinuousAggregate[],
  values: EnvironmentValues | undefined,
): readonly ContinuousAggregate[] {
  const refreshes = values?.aggregates;
  if (refreshes === undefined) return aggregates;
  return Object.freeze(
    aggregates.map((a) => {
      const refresh = refreshes[a.name]?.refresh;
      return refresh === undefined || a.refresh === undefined
        ? a
        : Object.freeze({ ...a, refresh });
    }),
  );
}

/**
 * The spec as one environment sees it: each model's amounts replaced by that
 * environment's, and no per-environment values left. No environment: the models' own.
 */
export function specForEnvironment<S extends Pick<Spec, 'models'>>(
  spec: S,
  environment: string | undefined,
): S {
  const models = spec.models.map((m) => {
    const ts = m.timeseries;
    if (!ts?.environments) return m;
    const values = environment === undefined ? undefined : ts.environments[environment];
    return Object.freeze({
      ...m,
      timeseries: Object.freeze({
        ...ts,
        environments: undefined,
        chunkInterval: values?.chunkInterval ?? ts.chunkInterval,
        compression:
          ts.compression && values?.compressAfter
            ? Object.freeze({ ...ts.compression, after: values.compressAfter })
            : ts.compression,
        retention:
          ts.retention && values?.dropAfter
            ? Object.freeze({ ...ts.retention, dropAfter: values.dropAfter })
            : ts.retention,
        ...(ts.aggregates ? { aggregates: aggregatesInEnvironment(ts.aggregates, values) } : {}),
      }),
    });
  });
  return Object.freeze({ ...spec, models: Object.freeze(models) });
}
