/**
 * Who may read a relation, for the tests of steps that drop a relation and make it again:
 * two roles made for the test (roles belong to the whole server, so their names are
 * unique, and they hold a `"` and a space to test the quoting), and the privileges, owner
 * and comment of relations as the catalog states them.
 */
import type pg from 'pg';
import { quoteIdent } from '../../lib/sql/quote.js';

export interface TestRoles {
  /** Granted SELECT on what it reports from. */
  readonly reader: string;
  /**
   * Owns some of the relations instead of the user running the migrations. It can log in
   * unless made with `ownerLogsIn` false: a continuous aggregate made again is not given
   * back to an owner who cannot (TimescaleDB would refuse its policies).
   */
  readonly owner: string;
}

export async function createTestRoles(
  client: pg.ClientBase,
  ownerLogsIn = true,
): Promise<TestRoles> {
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const roles = { reader: `prism "reader" ${suffix}`, owner: `prism owner ${suffix}` };
  await client.query(`CREATE ROLE ${quoteIdent(roles.reader)}`);
  await client.query(`CREATE ROLE ${quoteIdent(roles.owner)} ${ownerLogsIn ? 'LOGIN' : 'NOLOGIN'}`);
  return roles;
}

/**
 * Gives back what the roles own in this database and drops them; the roles must hold
 * nothing in any other database.
 */
export async function dropTestRoles(client: pg.ClientBase, roles: TestRoles): Promise<void> {
  const both = `${quoteIdent(roles.reader)}, ${quoteIdent(roles.owner)}`;
  await client.query(`REASSIGN OWNED BY ${both} TO CURRENT_USER`);
  await client.query(`DROP OWNED BY ${both}`);
  await client.query(`DROP ROLE ${both}`);
}

export interface RelationAccess {
  readonly relation: string;
  readonly owner: string;
  /** `grantee privilege by grantor [grantable]`, sorted; the owner's implicit ones included. */
  readonly privileges: readonly string[];
  /** `column: aclitem[]` for each column with privileges of its own. */
  readonly columns: readonly string[];
  readonly comment: string | null;
}

/** The privileges, owner and comment of these relations of `public`, by name. */
export async function relationAccess(
  client: pg.ClientBase,
  relations: readonly string[],
): Promise<RelationAccess[]> {
  const { rows } = await client.query<RelationAccess>(
    `SELECT c.relname AS relation, pg_get_userbyid(c.relowner) AS owner,
            ARRAY(SELECT format('%s %s by %s%s', CASE e.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_get_userbyid(e.grantee) END,
                                e.privilege_type, pg_get_userbyid(e.grantor), CASE WHEN e.is_grantable THEN ' grantable' ELSE '' END)
                    FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) e ORDER BY 1) AS privileges,
            ARRAY(SELECT a.attname || ': ' || a.attacl::text FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attacl IS NOT NULL ORDER BY a.attnum) AS columns,
            obj_description(c.oid, 'pg_class') AS comment
       FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY ($1)
      ORDER BY 1`,
    [relations],
  );
  return rows;
}

/** Runs `sql` as `role`, in a transaction rolled back after; the error when it is refused. */
export async function runAs(
  client: pg.ClientBase,
  role: string,
  sql: string,
): Promise<Error | undefined> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL ROLE ${quoteIdent(role)}`);
    await client.query(sql);
    return undefined;
  } catch (error) {
    return error as Error;
  } finally {
    await client.query('ROLLBACK');
  }
}

/** `runAs` for each statement in turn: 'ok', or the message of the error. */
export async function outcomesAs(
  client: pg.ClientBase,
  role: string,
  statements: readonly string[],
): Promise<string[]> {
  const outcomes: string[] = [];
  for (const sql of statements) outcomes.push((await runAs(client, role, sql))?.message ?? 'ok');
  return outcomes;
}
