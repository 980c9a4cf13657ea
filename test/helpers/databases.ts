/**
 * Real databases for integration tests: the PostgreSQL 15 server at 127.0.0.1:5432
 * (no TimescaleDB) with a fresh database per suite, and embedded TimescaleDB in a fresh
 * temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type OpenDatabase } from '../../lib/db/open.js';

export const PG_SERVER_URL =
  process.env['PRISM_TEST_PG_URL'] ?? 'postgres://root@127.0.0.1:5432/test';

export interface TestDatabase {
  readonly url: string;
  readonly label: string;
  dispose(): Promise<void>;
}

function urlWithDatabase(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A new empty database on the PostgreSQL server; dropped by dispose(). */
export async function createServerDatabase(
  prefix = 'prism_test',
  serverUrl = PG_SERVER_URL,
): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: urlWithDatabase(serverUrl, name),
    label: 'PostgreSQL server',
    async dispose() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function tempDir(prefix = 'prism-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Embedded TimescaleDB in a new temporary directory, opened by this process. */
export async function createEmbeddedDatabase(): Promise<
  TestDatabase & { readonly dataDir: string; readonly db: OpenDatabase }
> {
  const root = tempDir('prism-embedded-');
  const dataDir = join(root, '.prism', 'db');
  const db = await openDatabase({ kind: 'embedded', dataDir }, { command: 'test' });
  return {
    url: db.url,
    label: 'embedded TimescaleDB',
    dataDir,
    db,
    async dispose() {
      await db.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function withClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * After one run of a property: drops what it made (`sql`) and its migrations folder, so the
 * next run starts from an empty database. A failure here is printed, not thrown, so that
 * the run's own failure is the one reported.
 */
export async function resetAfterRun(url: string, sql: string, dir: string): Promise<void> {
  await withClient(url, (c) =>
    c.query(sql).catch((e: Error) => console.error('cleanup failed:', e.message)),
  );
  rmSync(dir, { recursive: true, force: true });
}
