/**
 * The PostgreSQL side of the catalog reader: which tables a selection names, and their
 * columns, constraints, indexes and triggers, each read for all tables in one query (the
 * embedded database serves one session: the queries run one after another).
 */
import { toTableName, type TableName } from '../sql/quote.js';
import type pg from 'pg';

export type Queryable = pg.ClientBase | pg.Pool;

export interface RelationRow {
  readonly oid: string;
  readonly schema: string;
  readonly name: string;
  /** `PARTITION BY …` of a partitioned table. */
  readonly partition_key: string | null;
  /** `"schema"."parent" FOR VALUES …` of a partition. */
  readonly partition_of: string | null;
}

/**
 * What TimescaleDB and PostgreSQL make by themselves is never a user's table: system and
 * TimescaleDB schemas, chunks, and tables an extension owns.
 */
function ownTablesOnly(timescale: boolean): string {
  return `c.relkind IN ('r', 'p')
     AND n.nspname !~ '^pg_' AND n.nspname !~ '^_timescaledb_'
     AND n.nspname NOT IN ('information_schema', 'timescaledb_information', 'timescaledb_experimental')
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                        AND d.objid = c.oid AND d.deptype = 'e')${
                          timescale
                            ? `
     AND NOT EXISTS (SELECT 1 FROM _timescaledb_catalog.chunk ch
                      WHERE ch.schema_name = n.nspname AND ch.table_name = c.relname)`
                            : ''
                        }`;
}

export async function hasTimescale(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ installed: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb') AS installed`,
  );
  return rows[0]?.installed === true;
}

/** The schema the timescaledb extension lives in, or undefined where it is not created. */
export async function timescaleSchema(client: Queryable): Promise<string | undefined> {
  const { rows } = await client.query<{ schema: string }>(
    `SELECT n.nspname::text AS schema FROM pg_catalog.pg_extension e
       JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb'`,
  );
  return rows[0]?.schema;
}

/**
 * The tables of the selection: `tables` resolved as unqualified names (the search path),
 * else every table of `schemas`, else of the current schema.
 */
export async function selectRelations(
  client: Queryable,
  tables: readonly (string | TableName)[] | undefined,
  schemas: readonly string[] | undefined,
  timescale: boolean,
): Promise<RelationRow[]> {
  const names = tables?.map((t) => toTableName(t));
  const { rows } = await client.query<RelationRow>(
    `WITH wanted AS (
       SELECT pg_catalog.to_regclass(CASE WHEN t.schema IS NULL
                THEN pg_catalog.quote_ident(t.name)
                ELSE pg_catalog.quote_ident(t.schema) || '.' || pg_catalog.quote_ident(t.name)
              END) AS oid
         FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($3::text[])) AS t(name, schema)
       UNION
       SELECT c.oid FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE $1::text[] IS NULL
          AND n.nspname = ANY (coalesce($2::text[], ARRAY[pg_catalog.current_schema()::text]))
     )
     SELECT c.oid::text AS oid, n.nspname::text AS schema, c.relname::text AS name,
            CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
            CASE WHEN c.relispartition THEN (
              SELECT pg_catalog.format('%I.%I ', pn.nspname, p.relname) || pg_catalog.pg_get_expr(c.relpartbound, c.oid)
                FROM pg_catalog.pg_inherits i
                JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
                JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
               WHERE i.inhrelid = c.oid LIMIT 1) END AS partition_of
       FROM wanted w
       JOIN pg_catalog.pg_class c ON c.oid = w.oid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE ${ownTablesOnly(timescale)}`,
    [
      names === undefined ? null : names.map((t) => t.name),
      schemas === undefined ? null : [...schemas],
      names === undefined ? null : names.map((t) => t.schema ?? null),
    ],
  );
  return rows;
}

export interface ColumnRow {
  readonly rel: string;
  readonly name: string;
  readonly type: string;
  readonly not_null: boolean;
  /** `a` always, `d` by default, empty otherwise. */
  readonly identity: string;
  /** `s` for a stored generated column (its expression is then `default`). */
  readonly generated: string;
  readonly default: string | null;
  /** A collation other than the type's, by name. */
  readonly collation: string | null;
}

export async function readColumns(
  client: Queryable,
  oids: readonly string[],
): Promise<ColumnRow[]> {
  const { rows } = await client.query<ColumnRow>(
    `SELECT a.attrelid::text AS rel, a.attname::text AS name,
            pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null, a.attidentity::text AS identity, a.attgenerated::text AS generated,
            pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "default",
            CASE WHEN a.attcollation <> t.typcollation THEN
              (SELECT pg_catalog.format('%I', co.collname) FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation)
            END AS collation
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  return rows;
}

export interface ConstraintRow {
  readonly rel: string;
  readonly name: string;
  /** `p` primary key, `c` check, `f` foreign key, `x` exclusion (unique ones come as indexes). */
  readonly type: string;
  readonly definition: string;
  /** The key columns in key order. */
  readonly columns: string[];
  /** Foreign keys: the referenced table and columns, the actions (`a` no action, `r`, `c`, `n`, `d`), the match type. */
  readonly ref_schema: string | null;
  readonly ref_table: string | null;
  readonly ref_columns: string[] | null;
  readonly on_update: string | null;
  readonly on_delete: string | null;
  readonly match_type: string | null;
  readonly deferrable: boolean;
}

export async function readConstraints(
  client: Queryable,
  oids: readonly string[],
): Promise<ConstraintRow[]> {
  const { rows } = await client.query<ConstraintRow>(
    `SELECT k.conrelid::text AS rel, k.conname::text AS name, k.contype::text AS type,
            pg_catalog.pg_get_constraintdef(k.oid) AS definition,
            ARRAY(SELECT a.attname::text
                    FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
                   ORDER BY u.ord) AS columns,
            rn.nspname::text AS ref_schema, r.relname::text AS ref_table,
            CASE WHEN k.contype = 'f' THEN ARRAY(SELECT a.attname::text
                    FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
                   ORDER BY u.ord) END AS ref_columns,
            CASE WHEN k.contype = 'f' THEN k.confupdtype::text END AS on_update,
            CASE WHEN k.contype = 'f' THEN k.confdeltype::text END AS on_delete,
            CASE WHEN k.contype = 'f' THEN k.confmatchtype::text END AS match_type,
            k.condeferrable AS deferrable
       FROM pg_catalog.pg_constraint k
       LEFT JOIN pg_catalog.pg_class r ON r.oid = k.confrelid AND k.contype = 'f'
       LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
      WHERE k.conrelid = ANY ($1::oid[]) AND k.contype IN ('p', 'c', 'f', 'x')
        -- A key to a hypertable comes with one child key per chunk (TimescaleDB 2.16+).
        AND NOT (k.contype = 'f' AND k.conparentid <> 0)
      ORDER BY k.conrelid, k.conname`,
    [oids],
  );
  return rows;
}

export interface IndexRow {
  readonly rel: string;
  readonly name: string;
  readonly method: string;
  readonly unique: boolean;
  readonly definition: string;
  /** Key columns (null for an expression) and their indoption bits (1 DESC, 2 NULLS FIRST). */
  readonly columns: (string | null)[];
  readonly options: number[];
  /** INCLUDE columns (null for an expression). */
  readonly include: (string | null)[];
  /** A partial index's condition as `pg_get_expr` prints it, or null. */
  readonly predicate: string | null;
  /** Why the index is not a plain one prism.yaml can state, or null. */
  readonly unusual: string | null;
}

/**
 * Every index but the primary key's and an exclusion constraint's (those are read as
 * constraints). `unusual` names the first trait prism.yaml cannot state.
 */
export async function readIndexes(client: Queryable, oids: readonly string[]): Promise<IndexRow[]> {
  const { rows } = await client.query<IndexRow>(
    `SELECT i.indrelid::text AS rel, ic.relname::text AS name, am.amname::text AS method,
            i.indisunique AS "unique", pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
            ARRAY(SELECT a.attname::text
                    FROM pg_catalog.generate_series(0, i.indnkeyatts - 1) AS s(n)
                    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[s.n]
                   ORDER BY s.n) AS columns,
            ARRAY(SELECT i.indoption[s.n]::int FROM pg_catalog.generate_series(0, i.indnkeyatts - 1) AS s(n)
                   ORDER BY s.n) AS options,
            ARRAY(SELECT a.attname::text
                    FROM pg_catalog.generate_series(i.indnkeyatts, i.indnatts - 1) AS s(n)
                    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[s.n]
                   ORDER BY s.n) AS include,
            pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS predicate,
            CASE
              WHEN NOT i.indisvalid THEN 'not valid'
              WHEN i.indexprs IS NOT NULL THEN 'on an expression'
              WHEN NOT i.indimmediate THEN 'a deferrable constraint'
              WHEN coalesce((pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) THEN 'NULLS NOT DISTINCT'
              WHEN am.amname NOT IN ('btree', 'brin', 'hash', 'gin', 'gist') THEN pg_catalog.format('method %s', am.amname)
              WHEN EXISTS (
                SELECT 1 FROM pg_catalog.generate_series(0, i.indnkeyatts - 1) AS s(n)
                  JOIN pg_catalog.pg_opclass opc ON opc.oid = i.indclass[s.n]
                 WHERE NOT opc.opcdefault) THEN 'a non-default operator class'
              WHEN EXISTS (
                SELECT 1 FROM pg_catalog.generate_series(0, i.indnkeyatts - 1) AS s(n)
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[s.n]
                 WHERE i.indcollation[s.n] NOT IN (0, a.attcollation)) THEN 'a collation of its own'
            END AS unusual
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_catalog.pg_am am ON am.oid = ic.relam
      WHERE i.indrelid = ANY ($1::oid[]) AND NOT i.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                         WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype = 'x')
      ORDER BY i.indrelid, ic.relname`,
    [oids],
  );
  return rows;
}

export interface TriggerRow {
  readonly rel: string;
  readonly name: string;
  readonly definition: string;
}

/** Triggers users made: not PostgreSQL's internal ones, not TimescaleDB's own (ts_insert_blocker, …). */
export async function readTriggers(
  client: Queryable,
  oids: readonly string[],
): Promise<TriggerRow[]> {
  const { rows } = await client.query<TriggerRow>(
    `SELECT t.tgrelid::text AS rel, t.tgname::text AS name, pg_catalog.pg_get_triggerdef(t.oid) AS definition
       FROM pg_catalog.pg_trigger t
       JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
       JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
      WHERE t.tgrelid = ANY ($1::oid[]) AND NOT t.tgisinternal AND pn.nspname !~ '^_timescaledb_'
      ORDER BY t.tgrelid, t.tgname`,
    [oids],
  );
  return rows;
}

/**
 * Views, materialized views (continuous aggregates are views in the user's schema) and
 * types made with CREATE TYPE in `schemas`, not an extension's: what a schema holds besides
 * its tables.
 */
export async function readOtherObjects(
  client: Queryable,
  schemas: readonly string[] | undefined,
): Promise<{ kind: string; schema: string; name: string }[]> {
  const { rows } = await client.query<{ kind: string; schema: string; name: string }>(
    `WITH wanted AS (
       SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
        WHERE n.nspname = ANY (coalesce($1::text[], ARRAY[pg_catalog.current_schema()::text]))
     ), owned AS (
       SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
     )
     SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END AS kind,
            w.nspname::text AS schema, c.relname::text AS name
       FROM pg_catalog.pg_class c JOIN wanted w ON w.oid = c.relnamespace
      WHERE c.relkind IN ('v', 'm')
        AND (c.oid, 'pg_catalog.pg_class'::pg_catalog.regclass) NOT IN (SELECT objid, classid FROM owned)
     UNION ALL
     SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' ELSE 'type' END,
            w.nspname::text, t.typname::text
       FROM pg_catalog.pg_type t JOIN wanted w ON w.oid = t.typnamespace
      WHERE t.typtype IN ('e', 'd', 'r', 'm')
        AND (t.oid, 'pg_catalog.pg_type'::pg_catalog.regclass) NOT IN (SELECT objid, classid FROM owned)
      ORDER BY 2, 3`,
    [schemas === undefined ? null : [...schemas]],
  );
  return rows;
}
