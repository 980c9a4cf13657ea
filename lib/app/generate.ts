/**
 * `generate`: writes one migration with the spec's changes since the last one and, with a
 * database at hand, previews what its destructive steps would lose there now.
 */
import type { DestructiveChange } from '../diff/destructive.js';
import { structureChanges, type StructuredChange } from '../diff/structured.js';
import {
  generateMigration,
  type GenerateOptions,
  type GenerateResult,
} from '../generate/generate.js';
import { connect } from '../db/connect.js';
import { assessDataLoss, type DataLoss } from '../introspect/data-loss.js';
import { databaseExists, withDatabase, type DatabaseOptions } from './database.js';

export type GenerateAppOptions = DatabaseOptions & Omit<GenerateOptions, 'now'>;

export interface GenerateAppResult {
  readonly migration: GenerateResult;
  /** The changes of the new migration (none when nothing was written), each with its description. */
  readonly changes: readonly StructuredChange[];
  /** The destructive steps of the new migration's `up`. */
  readonly destructiveUp: readonly DestructiveChange[];
  /** What they would lose in the database now (empty without a database to read). */
  readonly dataLoss: DataLoss[];
}

/**
 * Logs `warning: …` for each destructive step of `up` and `preview: …` for each loss it
 * would cause in the database.
 */
export async function generate(options: GenerateAppOptions): Promise<GenerateAppResult> {
  const log = options.log ?? (() => undefined);
  const migration = generateMigration({
    spec: options.spec,
    migrationsDir: options.migrationsDir,
    name: options.name,
    language: options.language,
  });
  const destructiveUp = migration.destructive.filter((x) => x.direction === 'up');
  for (const d of destructiveUp) log(`warning: ${d.code} ${d.message}`);
  // With a database at hand, say what those steps would lose there now.
  let dataLoss: DataLoss[] = [];
  if (migration.written && destructiveUp.length > 0 && databaseExists(options)) {
    dataLoss = await withDatabase(
      options,
      'generate',
      async (db) => {
        const client = await connect(db.url);
        try {
          return await assessDataLoss(client, destructiveUp);
        } finally {
          await client.end();
        }
      },
      true,
    );
    for (const loss of dataLoss) log(`preview: ${loss.change.code} would lose ${loss.detail}`);
  }
  const changes = migration.written ? structureChanges(migration.changes) : [];
  return { migration, changes, destructiveUp, dataLoss };
}
