/**
 * `prism-migrate generate`: spec × snapshot → one migration file and the new snapshot,
 * written together or not at all.
 */
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Change } from '../diff/changes.js';
import { invertAll } from '../diff/changes.js';
import { describeChange, migrationSlug } from '../diff/describe.js';
import { destructiveChanges, type DestructiveChange } from '../diff/destructive.js';
import { diffSpecs } from '../diff/diff.js';
import {
  readSnapshot,
  serializeSnapshot,
  snapshotPath,
  SNAPSHOT_VERSION,
} from '../diff/snapshot.js';
import type { Spec } from '../spec/types.js';
import { renderMigration } from './render.js';
import { checkMigrationName, type MigrationLanguage } from './templates.js';

export interface PendingChanges {
  readonly changes: readonly Change[];
  readonly descriptions: readonly string[];
  readonly destructive: readonly DestructiveChange[];
}

/** What the spec holds that no generated migration does. */
export function pendingChanges(spec: Spec, migrationsDir: string): PendingChanges {
  const snapshot = readSnapshot(migrationsDir);
  const changes = diffSpecs(snapshot?.spec, spec);
  return {
    changes,
    descriptions: changes.map(describeChange),
    destructive: [
      ...destructiveChanges(changes, 'up'),
      ...destructiveChanges(invertAll(changes), 'down'),
    ],
  };
}

export interface GenerateOptions {
  readonly spec: Spec;
  readonly migrationsDir: string;
  readonly name?: string | undefined;
  readonly language?: MigrationLanguage | undefined;
  readonly now?: Date | undefined;
}

export type GenerateResult =
  | ({ readonly written: false } & PendingChanges)
  | ({ readonly written: true; readonly file: string; readonly snapshot: string } & PendingChanges);

/** Writes `data` to a temporary file beside `path`; returns its name. */
function stage(path: string, data: string): string {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(temp, data, { flag: 'wx' });
  return temp;
}

export function generateMigration(options: GenerateOptions): GenerateResult {
  const { spec, migrationsDir } = options;
  const language = options.language ?? 'ts';
  const pending = pendingChanges(spec, migrationsDir);
  if (pending.changes.length === 0) return { written: false, ...pending };
  const slug = options.name ?? migrationSlug(pending.changes);
  checkMigrationName(slug);
  const name = `${(options.now ?? new Date()).getTime()}_${slug}`;
  const file = join(migrationsDir, `${name}.${language}`);
  const previous = readSnapshot(migrationsDir);
  const notes = pending.destructive.map((d) => `prism:destructive ${JSON.stringify(d)}`);
  const source = renderMigration(pending.changes, { language, notes });
  const snapshotText = serializeSnapshot({
    version: SNAPSHOT_VERSION,
    migration: name,
    parent: previous?.migration ?? null,
    spec,
  });

  const stagedFile = stage(file, source);
  const snapshotFile = snapshotPath(migrationsDir);
  let stagedSnapshot: string | undefined;
  try {
    stagedSnapshot = stage(snapshotFile, snapshotText);
    renameSync(stagedFile, file);
    try {
      renameSync(stagedSnapshot, snapshotFile);
    } catch (error) {
      unlinkSync(file);
      throw error;
    }
  } catch (error) {
    for (const temp of [stagedFile, stagedSnapshot]) {
      try {
        if (temp) unlinkSync(temp);
      } catch {
        // already renamed or never written
      }
    }
    throw error;
  }
  return { written: true, file, snapshot: snapshotFile, ...pending };
}
