/**
 * The project's settings file: `prism.config.json`, or the `"prism"` key of package.json.
 * Parsing only: each key checked for its type, unknown keys refused with the nearest
 * known one, so a typo never silently falls back to a default.
 */
import { UsageError } from '../errors.js';
import { identifierHint, isIdentifier } from '../spec/identifiers.js';
import { closest } from '../util/closest.js';

export const CONFIG_FILE = 'prism.config.json';

export interface PrismConfig {
  /** How messages name it: `prism.config.json`, or `package.json ("prism" key)`. */
  readonly file: string;
  /** The folder its relative paths are relative to. */
  readonly dir: string;
  readonly spec?: string | undefined;
  readonly migrationsDir?: string | undefined;
  readonly databaseUrl?: string | undefined;
  readonly migrationsTable?: string | undefined;
  readonly migrationsSchema?: string | undefined;
  /** `production` turns off the embedded database (as NODE_ENV=production does). */
  readonly environment?: string | undefined;
  /** false: never use the embedded database; true: use it even in production. */
  readonly embedded?: boolean | undefined;
}

type Kind = 'path' | 'text' | 'identifier' | 'boolean';

const KEYS = {
  spec: 'path',
  migrationsDir: 'path',
  databaseUrl: 'text',
  migrationsTable: 'identifier',
  migrationsSchema: 'identifier',
  environment: 'text',
  embedded: 'boolean',
} as const satisfies Record<string, Kind>;

export type ConfigKey = keyof typeof KEYS;
export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];

function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(KEYS, key);
}

function checkValue(file: string, key: ConfigKey, value: unknown): string | boolean {
  const kind: Kind = KEYS[key];
  const where = `${file}: "${key}"`;
  if (kind === 'boolean') {
    if (typeof value === 'boolean') return value;
    throw new UsageError(`${where} must be true or false, not ${JSON.stringify(value)}`);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`${where} must be a non-empty string, not ${JSON.stringify(value)}`);
  }
  if (kind === 'identifier' && !isIdentifier(value)) {
    throw new UsageError(`${where} ${JSON.stringify(value)} is not a valid name`, {
      hint: identifierHint(value),
    });
  }
  return value;
}

/** The settings in `value` (the parsed JSON), checked; `file` and `dir` say where they came from. */
export function parseConfig(value: unknown, file: string, dir: string): PrismConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${file} must hold an object of settings`, {
      hint: `e.g. { "spec": "prism.yaml", "migrationsDir": "migrations" }; the keys are ${CONFIG_KEYS.join(', ')}`,
    });
  }
  const settings: Record<string, string | boolean> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (!isConfigKey(key)) {
      const near = closest(key, CONFIG_KEYS);
      throw new UsageError(`${file}: unknown key "${key}"`, {
        hint: near
          ? `did you mean "${near}"? The keys are ${CONFIG_KEYS.join(', ')}`
          : `the keys are ${CONFIG_KEYS.join(', ')}`,
      });
    }
    settings[key] = checkValue(file, key, entry);
  }
  return Object.freeze({ ...settings, file, dir }) as PrismConfig;
}

/** `text` (the file's contents) parsed as JSON, with the place of a syntax error. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`, {
      hint: 'fix the JSON syntax (double-quoted keys and strings, no trailing commas)',
    });
  }
}
