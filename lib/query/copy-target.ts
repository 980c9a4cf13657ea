/**
 * Whether `COPY … FROM STDIN` into a table stores exactly what `INSERT` would. COPY is
 * refused for a role under row-level security (0A000) and into a view (42809), and it
 * skips rewrite rules (an INSTEAD rule would silently not run); triggers, constraints and
 * hypertable routing it keeps. So COPY only into a plain or partitioned table (a
 * hypertable is a plain one) without rules and with no row security applying to the
 * current role; anything else goes by INSERT.
 */
import type pg from 'pg';

/**
 * Asked on the session before each COPY rather than remembered: the role (SET ROLE), the
 * table's policies and rules may change within a session, and one catalog query is
 * little beside a batch of a thousand rows or more. `row_security_active` says whether
 * policies apply to the current role (owner, FORCE, BYPASSRLS, superuser, row_security).
 * A table that does not exist goes by INSERT, which reports it.
 */
export async function copyKeepsInsertSemantics(
  session: pg.ClientBase,
  table: string,
): Promise<boolean> {
  const { rows } = await session.query<{ copy: boolean }>(
    `SELECT c.relkind IN ('r', 'p') AND NOT c.relhasrules AND NOT row_security_active(c.oid) AS copy
       FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)`,
    [table],
  );
  return rows[0]?.copy === true;
}
