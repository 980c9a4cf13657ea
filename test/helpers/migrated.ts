/** A new database with a spec's migrations applied, and a client on it in the expected dialect. */
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { generateMigration } from '../../lib/generate/generate.js';
import { detectDialect } from '../../lib/query/repository.js';
import type { Dialect } from '../../lib/query/sql.js';
import { migrate } from '../../lib/runner/migrate.js';
import type { Spec } from '../../lib/spec/types.js';
import { tempDir, type TestDatabase } from './databases.js';

export interface MigratedDatabase {
  readonly db: TestDatabase;
  readonly client: pg.Client;
  readonly schema: string | undefined;
}

export async function migratedDatabase(
  create: () => Promise<TestDatabase>,
  spec: Spec,
  dialect: Dialect,
): Promise<MigratedDatabase> {
  const db = await create();
  const dir = join(tempDir(), 'migrations');
  generateMigration({ spec, migrationsDir: dir });
  await migrate({ url: db.url, migrationsDir: dir, direction: 'up' });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const detected = await detectDialect(client);
  expect(detected.dialect, 'the dialect of the migrated database').to.equal(dialect);
  return { db, client, schema: detected.schema };
}
