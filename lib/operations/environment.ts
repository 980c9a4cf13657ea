/**
 * Which environment's values a migration applies (`environments:` in prism.yaml): the
 * runner's `--env` for one run, else PRISM_ENV, else none (the models' own values).
 */
import type { ReversibleOperation, TableArg } from './common.js';

/** Kept on the global object, as the TimescaleDB mode is (see mode.ts): one per process. */
const OVERRIDE = Symbol.for('prism-migrate.environment-override');
const shared = globalThis as { [OVERRIDE]?: string | null | undefined };

/**
 * Set by the runner for the duration of one run: a name, `null` for none (the models' own
 * values even when PRISM_ENV is set), `undefined` to clear it.
 */
export function setEnvironmentOverride(environment: string | null | undefined): void {
  shared[OVERRIDE] = environment;
}

export function currentEnvironment(): string | undefined {
  const chosen = shared[OVERRIDE];
  if (chosen !== undefined) return chosen ?? undefined;
  const fromEnv = process.env['PRISM_ENV'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** Options whose values may differ per environment: `{ after, environments: { dev: { after } } }`. */
export interface EnvironmentOptions<V> {
  /** Values that replace the ones beside them when the migration runs in that environment. */
  readonly environments?: { readonly [environment: string]: Partial<V> } | undefined;
}

/** The options as the current environment sees them. */
export function resolveEnvironment<O>(options: O): O {
  if (options === null || typeof options !== 'object') return options;
  const { environments, ...rest } = options as EnvironmentOptions<unknown>;
  if (environments === undefined) return options;
  const environment = currentEnvironment();
  const values = environment === undefined ? undefined : environments[environment];
  return { ...rest, ...(values ?? {}) } as O;
}

/** The operation, both ways, run with the current environment's values. */
export function byEnvironment<A extends [TableArg, ...unknown[]]>(
  operation: ReversibleOperation<A>,
): ReversibleOperation<A> {
  const resolved = (args: A) => [args[0], ...args.slice(1).map(resolveEnvironment)] as A;
  return Object.assign((...args: A) => operation(...resolved(args)), {
    reverse: (...args: A) => operation.reverse(...resolved(args)),
  });
}
