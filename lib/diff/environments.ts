/** Per-environment amounts (`environments:` in prism.yaml) as the diff compares them. */
import { sameAmount } from '../spec/time-amount.js';
import type { EnvironmentValues, Model, TimeAmount } from '../spec/types.js';
import type { ByEnvironment, RefreshByEnvironment } from './changes.js';

/** One amount of a model per environment that sets it; undefined when none does. */
export function amountsByEnvironment(
  model: Model,
  key: Exclude<keyof EnvironmentValues, 'aggregates'>,
): ByEnvironment | undefined {
  const entries = Object.entries(model.timeseries?.environments ?? {}).flatMap(
    ([environment, values]) => {
      const amount = values[key];
      return amount === undefined ? [] : [[environment, amount] as const];
    },
  );
  return entries.length === 0 ? undefined : Object.freeze(Object.fromEntries(entries));
}

/**
 * Whether every environment (and none) gets the same amount before and after: the model's
 * own value where an environment sets none.
 */
export function sameInEveryEnvironment(
  before: TimeAmount | undefined,
  beforeByEnvironment: ByEnvironment | undefined,
  after: TimeAmount | undefined,
  afterByEnvironment: ByEnvironment | undefined,
): boolean {
  if (!sameAmount(before, after)) return false;
  const names = new Set([
    ...Object.keys(beforeByEnvironment ?? {}),
    ...Object.keys(afterByEnvironment ?? {}),
  ]);
  return [...names].every((e) =>
    sameAmount(beforeByEnvironment?.[e] ?? before, afterByEnvironment?.[e] ?? after),
  );
}

/** `{ key: map }` when there is a map, else nothing: changes carry the key only when set. */
export function optionalMap<K extends string>(
  key: K,
  map: ByEnvironment | undefined,
): { [P in K]?: ByEnvironment } {
  return (map === undefined ? {} : { [key]: map }) as { [P in K]?: ByEnvironment };
}

/** An aggregate's refresh policy per environment that sets one; undefined when none does. */
export function refreshByEnvironment(
  model: Model,
  aggregate: string,
): RefreshByEnvironment | undefined {
  const entries = Object.entries(model.timeseries?.environments ?? {}).flatMap(
    ([environment, values]) => {
      const refresh = values.aggregates?.[aggregate]?.refresh;
      return refresh === undefined ? [] : [[environment, refresh] as const];
    },
  );
  return entries.length === 0 ? undefined : Object.freeze(Object.fromEntries(entries));
}
