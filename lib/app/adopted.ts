/**
 * What `pull` could not state when it adopted a database, kept beside the snapshot in
 * `.prism/adopted.json`: the differences between that database and the pulled spec
 * (a `serial` default, a renamed key, …). `check` leaves them alone while they stay exactly
 * as they were; anything changed since is drift again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { DIFFERENCE_KINDS, type SchemaDifference } from '../schema/compare.js';

export const ADOPTED_VERSION = 1;

export function adoptedPath(migrationsDir: string): string {
  return join(migrationsDir, '.prism', 'adopted.json');
}

export function serializeAdopted(
  migration: string,
  differences: readonly SchemaDifference[],
): string {
  const list = differences.map(({ kind, table, what, expected, actual, change }) => ({
    kind,
    table,
    what,
    expected,
    actual,
    change,
  }));
  return `${JSON.stringify({ version: ADOPTED_VERSION, migration, differences: list }, null, 2)}\n`;
}

function isDifference(value: unknown): value is SchemaDifference {
  const d = value as Record<string, unknown> | null;
  return (
    d !== null &&
    typeof d === 'object' &&
    (DIFFERENCE_KINDS as readonly unknown[]).includes(d['kind']) &&
    ['table', 'what', 'expected', 'actual', 'change'].every((k) => typeof d[k] === 'string')
  );
}

/** The accepted differences of a migrations folder; none when it was not pulled. */
export function readAdopted(migrationsDir: string): readonly SchemaDifference[] {
  const file = adoptedPath(migrationsDir);
  if (!existsSync(file)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`, {
      hint: 'restore it from version control; `prism-migrate pull` wrote it',
    });
  }
  const r = raw as { version?: unknown; differences?: unknown };
  if (
    r?.version !== ADOPTED_VERSION ||
    !Array.isArray(r.differences) ||
    !r.differences.every(isDifference)
  ) {
    throw new UsageError(
      `${file} is damaged or of another format (this prism-migrate reads format ${ADOPTED_VERSION})`,
      {
        hint: 'restore it from version control; `prism-migrate pull` wrote it',
      },
    );
  }
  return Object.freeze(r.differences.map((d) => Object.freeze({ ...d })));
}
