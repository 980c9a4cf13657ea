/**
 * A comparable picture of a database schema: names, definitions, settings, policy
 * configs and row counts — never OIDs, job ids or chunk names.
 */
import type pg from 'pg';

export interface CatalogSnapshot {
  readonly columns: unknown[];
  readonly indexes: unknown[];
  readonly constraints: unknown[];
  readonly hypertables: unknown[];
  readonly compression: unknown[];
  readonly jobs: unknown[];
  readonly rowCounts: Record<string, number>;
}

/**
 * On a server whose TimescaleDB scheduler runs this database's jobs, waits until no
 * policy job of `tables` is running or due. A policy runs as soon as it is added there,
 * and a count taken while a chunk is being compressed is not to be compared (2.12 has
 * counted its rows twice then). Nothing to wait for without a scheduler (the embedded
 * database, or no TimescaleDB).
 */
export async function settleJobs(client: pg.Client, tables: readonly string[]): Promise<void> {
  const scheduler = await client.query(
    `SELECT 1 FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type LIKE 'TimescaleDB Background Worker Scheduler%'`,
  );
  if (!scheduler.rowCount) return;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const busy = await client.query<{ job_id: number }>(
      `SELECT j.job_id FROM timescaledb_information.jobs j
         LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
        WHERE j.hypertable_name = ANY($1) AND j.scheduled
          AND (s.job_status = 'Running' OR coalesce(s.next_start, j.next_start) <= now())`,
      [tables],
    );
    if (busy.rowCount === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `policy jobs ${busy.rows.map((r) => r.job_id).join(', ')} still due or running after 60 s`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function snapshotCatalog(
  client: pg.Client,
  tables: readonly string[],
  /** Where the tables are (spec `schema:`); each table name is looked for in all of them. */
  schemas: readonly string[] = ['public'],
): Promise<CatalogSnapshot> {
  const q = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows;
  const hasExtension =
    (await q(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`)).length > 0;
  if (hasExtension) await settleJobs(client, tables);
  const columns = await q(
    `SELECT table_name, column_name, data_type, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = ANY($2) AND table_name = ANY($1) ORDER BY 1, 2`,
    [tables, schemas],
  );
  const indexes = await q(
    `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = ANY($2) AND tablename = ANY($1) ORDER BY 1, 2`,
    [tables, schemas],
  );
  const constraints = await q(
    `SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) AS def FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($2) AND c.relname = ANY($1) ORDER BY 1, 2`,
    [tables, schemas],
  );
  const hasTimescale =
    (await q(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`)).length > 0;
  const hypertables = hasTimescale
    ? await q(
        `SELECT d.hypertable_name, d.column_name, d.time_interval::text, d.integer_interval::text, h.compression_enabled
           FROM timescaledb_information.dimensions d JOIN timescaledb_information.hypertables h
             ON h.hypertable_schema = d.hypertable_schema AND h.hypertable_name = d.hypertable_name
          WHERE d.hypertable_name = ANY($1) ORDER BY 1, d.dimension_number`,
        [tables],
      )
    : [];
  // compression_settings exists in every version (hypertable_compression_settings only
  // since 2.14); this spells its rows the way the newer view prints them.
  const compression = hasTimescale
    ? await q(
        `SELECT hypertable_name::text AS hypertable,
                string_agg(quote_ident(attname), ',' ORDER BY segmentby_column_index)
                  FILTER (WHERE segmentby_column_index IS NOT NULL) AS segmentby,
                string_agg(quote_ident(attname) || CASE
                             WHEN orderby_asc THEN CASE WHEN orderby_nullsfirst THEN ' NULLS FIRST' ELSE '' END
                             ELSE ' DESC' || CASE WHEN orderby_nullsfirst THEN '' ELSE ' NULLS LAST' END END,
                           ',' ORDER BY orderby_column_index)
                  FILTER (WHERE orderby_column_index IS NOT NULL) AS orderby
           FROM timescaledb_information.compression_settings
          WHERE hypertable_name = ANY($1) GROUP BY 1 ORDER BY 1`,
        [tables],
      )
    : [];
  const jobs = hasTimescale
    ? await q(
        `SELECT hypertable_name, proc_name, config - 'hypertable_id' AS config FROM timescaledb_information.jobs
          WHERE hypertable_name = ANY($1) ORDER BY 1, 2`,
        [tables],
      )
    : [];
  const rowCounts: Record<string, number> = {};
  for (const t of tables) {
    for (const schema of schemas) {
      const exists = (await q(`SELECT to_regclass($1) AS r`, [`"${schema}"."${t}"`]))[0] as {
        r: string | null;
      };
      if (exists.r)
        rowCounts[t] = Number(
          ((await q(`SELECT count(*) AS n FROM "${schema}"."${t}"`))[0] as { n: string }).n,
        );
    }
  }
  return { columns, indexes, constraints, hypertables, compression, jobs, rowCounts };
}

export interface TableState {
  /** The timescaledb extension's version, null when it is not created. */
  readonly extension: string | null;
  readonly rows: number;
  readonly hypertable: boolean;
  /** The proc names of the table's policy jobs, sorted. */
  readonly jobs: string[];
}

/** What TimescaleDB made of `table` (in the search path), and its rows. */
export async function tableState(client: pg.ClientBase, table: string): Promise<TableState> {
  const q = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows;
  const ext = await q(`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`);
  const rows = Number((await q(`SELECT count(*) AS n FROM "${table}"`))[0]?.n);
  if (ext.length === 0) return { extension: null, rows, hypertable: false, jobs: [] };
  return {
    extension: ext[0]?.extversion as string,
    rows,
    hypertable:
      (
        await q(`SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = $1`, [
          table,
        ])
      ).length === 1,
    jobs: (
      await q(
        `SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name = $1 ORDER BY 1`,
        [table],
      )
    ).map((r) => r.proc_name as string),
  };
}

/** The names of the applied migrations in the order they ran, without their timestamps. */
export async function appliedMigrations(client: pg.ClientBase): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    'SELECT name FROM pgmigrations ORDER BY run_on, id',
  );
  return r.rows.map((row) => row.name.replace(/^\d+_/, ''));
}
