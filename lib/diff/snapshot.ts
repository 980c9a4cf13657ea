/**
 * The spec as of the last generated migration, kept beside the migrations in
 * `.prism/snapshot.json`: versioned, naming the migration it belongs to and its parent,
 * with keys in a stable order so that diffs of it read well in review.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { parseInterval } from '../sql/interval.js';
import type { Spec } from '../spec/types.js';

export const SNAPSHOT_VERSION = 1;

export interface Snapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  /** The migration generated together with this snapshot. */
  readonly migration: string;
  /** The migration of the snapshot before it, or null for the first. */
  readonly parent: string | null;
  readonly spec: Spec;
}

export function snapshotPath(migrationsDir: string): string {
  return join(migrationsDir, '.prism', 'snapshot.json');
}

/** Sorted keys, no undefined, bigints as strings, intervals as their canonical text. */
function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record['kind'] === 'interval' && typeof record['text'] === 'string' && 'micros' in record) {
      return { kind: 'interval', text: record['text'] };
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      if (record[key] !== undefined) out[key] = toJson(record[key]);
    }
    return out;
  }
  return value;
}

export function serializeSnapshot(snapshot: Snapshot): string {
  // The spec file's path differs between machines: not part of the snapshot.
  const spec: { -readonly [K in keyof Spec]?: Spec[K] } = { ...snapshot.spec };
  delete spec.file;
  return `${JSON.stringify(toJson({ ...snapshot, spec }), null, 2)}\n`;
}

/** Turns the JSON forms back: `{kind:'interval', text}` and integer amounts as bigint. */
function fromJson(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map((v, i) => fromJson(v, `${path}[${i}]`)));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (
      record['kind'] === 'interval' &&
      typeof record['text'] === 'string' &&
      Object.keys(record).length === 2
    ) {
      const parsed = parseInterval(record['text']);
      if (!parsed.ok) throw new Error(`${path}: ${parsed.reason}`);
      return parsed.interval;
    }
    if (
      record['kind'] === 'integer' &&
      typeof record['value'] === 'string' &&
      Object.keys(record).length === 2
    ) {
      return Object.freeze({ kind: 'integer', value: BigInt(record['value']) });
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = fromJson(v, `${path}.${k}`);
    return Object.freeze(out);
  }
  return value;
}

export function parseSnapshot(text: string, file: string): Snapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`, {
      hint: 'restore it from version control; it is written by `prism-migrate generate`',
    });
  }
  const version = (raw as { version?: unknown })?.version;
  if (version !== SNAPSHOT_VERSION) {
    throw new UsageError(
      `${file} has snapshot format ${JSON.stringify(version)}; this prism-migrate reads format ${SNAPSHOT_VERSION}`,
      {
        hint: 'upgrade prism-migrate, or restore the snapshot from version control',
      },
    );
  }
  try {
    const snapshot = fromJson(raw, 'snapshot') as Omit<Snapshot, 'spec'> & {
      spec: Omit<Spec, 'file'>;
    };
    return { ...snapshot, spec: { ...snapshot.spec, file } };
  } catch (error) {
    throw new UsageError(`${file} is damaged: ${(error as Error).message}`, {
      hint: 'restore it from version control',
    });
  }
}

export function readSnapshot(migrationsDir: string): Snapshot | undefined {
  const file = snapshotPath(migrationsDir);
  if (!existsSync(file)) return undefined;
  return parseSnapshot(readFileSync(file, 'utf8'), file);
}
