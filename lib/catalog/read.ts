/**
 * The one catalog reader: a live database → the Schema type that `compileSpec` makes of
 * prism.yaml (lib/schema/types.ts). Tables come sorted by schema then name, columns in
 * their order, indexes by name; everything frozen. What TimescaleDB makes by itself
 * (chunks, its schemas, its default time index, its insert blocker) is left out; what
 * prism.yaml cannot state is named in `unsupported`.
 *
 * Works on PostgreSQL without TimescaleDB, TimescaleDB 2.12 through 2.28 (Apache build
 * too) and the embedded database. Catalog objects are schema-qualified, names passed as
 * parameters, and the queries run one after another (the embedded database serves one
 * session at a time).
 */
import { canonicalTerm, splitDefaultIndexes } from '../schema/compile.js';
import { isIdentifier } from '../spec/identifiers.js';
import { parseCatalogPredicate, parsePredicate, predicateText } from '../sql/predicate.js';
import type {
  Aggregate,
  Column,
  EnumCheck,
  ForeignKey,
  Index,
  IndexMethod,
  PrimaryKey,
  Schema,
  Table,
  Unsupported,
} from '../schema/types.js';
import type { OrderByTerm } from '../sql/order-by.js';
import { deepFreeze } from '../util/freeze.js';
import type { TableName } from '../sql/quote.js';
import { parseEnumCheck } from './checks.js';
import { parseColumnDefault } from './defaults.js';
import { readAggregates, type AggregateReading, type LiveAggregate } from './aggregates.js';
import { readHypertables, type HypertableFacts } from './hypertables.js';
import {
  hasTimescale,
  readOtherObjects,
  readColumns,
  readConstraints,
  readIndexes,
  readTriggers,
  selectRelations,
  type ColumnRow,
  type ConstraintRow,
  type IndexRow,
  type Queryable,
  type RelationRow,
  type TriggerRow,
} from './relations.js';

export type { Queryable } from './relations.js';
export { timescaleSchema } from './relations.js';

export interface CatalogSelection {
  /** Read every table of these schemas; default: the connection's current_schema(). */
  readonly schemas?: readonly string[] | undefined;
  /** Only these tables, each resolved as an unqualified name is in SQL (the search_path)
   *  or in its schema when given; names not found are simply absent from the result.
   *  Overrides `schemas`. */
  readonly tables?: readonly (string | TableName)[] | undefined;
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function groupByRel<T extends { readonly rel: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(r.rel, [...(groups.get(r.rel) ?? []), r]);
  return groups;
}

function column(row: ColumnRow, unsupported: Unsupported[]): Column {
  const identity =
    row.identity === 'a' ? 'always' : row.identity === 'd' ? 'by default' : undefined;
  const generated = row.generated === 's';
  if (generated) {
    unsupported.push({
      what: `column ${row.name}`,
      detail: `a generated column: GENERATED ALWAYS AS (${row.default ?? ''}) STORED`,
    });
  }
  if (row.collation !== null) {
    unsupported.push({ what: `column ${row.name}`, detail: `collation ${row.collation}` });
  }
  return {
    name: row.name,
    type: row.type,
    notNull: row.not_null,
    ...(row.default !== null && !generated
      ? { default: parseColumnDefault(row.default, row.type) }
      : {}),
    ...(identity ? { identity } : {}),
  };
}

interface Constraints {
  primaryKey?: PrimaryKey;
  checks: EnumCheck[];
  foreignKeys: ForeignKey[];
}

const ACTIONS: Readonly<Record<string, ForeignKey['onDelete']>> = Object.freeze({
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
});

/** A foreign key prism.yaml can state: one column, MATCH SIMPLE, not deferrable. */
function foreignKey(row: ConstraintRow): ForeignKey | undefined {
  const [column, ...moreColumns] = row.columns;
  const [refColumn, ...moreRefs] = row.ref_columns ?? [];
  const onDelete = ACTIONS[row.on_delete ?? ''];
  const onUpdate = ACTIONS[row.on_update ?? ''];
  if (column === undefined || refColumn === undefined || moreColumns.length + moreRefs.length > 0)
    return undefined;
  if (row.ref_schema === null || row.ref_table === null || row.match_type !== 's') return undefined;
  if (row.deferrable || onDelete === undefined || onUpdate === undefined) return undefined;
  return {
    name: row.name,
    column,
    references: { schema: row.ref_schema, table: row.ref_table, column: refColumn },
    onDelete,
    onUpdate,
  };
}

function constraints(
  rows: readonly ConstraintRow[],
  columns: readonly Column[],
  unsupported: Unsupported[],
): Constraints {
  const result: Constraints = { checks: [], foreignKeys: [] };
  for (const row of rows) {
    const what = `constraint ${row.name}`;
    if (row.type === 'p') {
      result.primaryKey = { name: row.name, columns: row.columns };
    } else if (row.type === 'c') {
      const check = parseEnumCheck(row.definition);
      if (check && columns.some((c) => c.name === check.column)) {
        result.checks.push({ name: row.name, column: check.column, values: check.values });
      } else {
        unsupported.push({
          what,
          detail: `a CHECK that is not an enum's values: ${row.definition}`,
        });
      }
    } else if (row.type === 'f') {
      const key = foreignKey(row);
      if (key) result.foreignKeys.push(key);
      else
        unsupported.push({
          what,
          detail: `a foreign key on several columns, deferrable or MATCH FULL: ${row.definition}`,
        });
    } else {
      unsupported.push({ what, detail: `an exclusion constraint: ${row.definition}` });
    }
  }
  result.checks.sort((a, b) => byCodeUnits(a.name, b.name));
  result.foreignKeys.sort((a, b) => byCodeUnits(a.name, b.name));
  return result;
}

function term(column: string, option: number): OrderByTerm {
  // indoption bits: 1 DESC, 2 NULLS FIRST.
  return canonicalTerm({
    column,
    direction: (option & 1) === 1 ? 'DESC' : 'ASC',
    nulls: (option & 2) === 2 ? 'FIRST' : 'LAST',
  });
}

const METHODS: ReadonlySet<string> = new Set<IndexMethod>(['btree', 'brin', 'hash', 'gin', 'gist']);

/**
 * A partial index's condition in the spec grammar's canonical text, or why prism.yaml
 * cannot state it. PostgreSQL prints it its own way (`(status = 'on'::text)`); the
 * catalog dialect of the grammar reads that into the same data a spec's `where` gives.
 */
function predicateOf(printed: string): { where: string } | { reason: string } {
  const parsed = parseCatalogPredicate(printed);
  if (!parsed.ok)
    return {
      reason: `a partial index whose condition is not in prism.yaml's grammar (${parsed.reason})`,
    };
  const text = predicateText(parsed.predicate);
  const again = parsePredicate(text);
  // Names that are not plain identifiers (or are keywords) cannot be written back.
  if (!again.ok || predicateText(again.predicate) !== text) {
    return { reason: 'a partial index naming columns prism.yaml cannot write in a condition' };
  }
  return { where: text };
}

function indexes(
  rows: readonly IndexRow[],
  facts: HypertableFacts | undefined,
  unsupported: Unsupported[],
): { indexes: Index[]; createDefaultIndexes?: false } {
  const result: Index[] = [];
  for (const row of rows) {
    const where = row.predicate === null ? undefined : predicateOf(row.predicate);
    const problem =
      row.unusual ??
      (!METHODS.has(row.method)
        ? `method ${row.method}`
        : row.columns.includes(null) || row.include.includes(null)
          ? 'on an expression'
          : where !== undefined && 'reason' in where
            ? where.reason
            : row.include.some((c) => !isIdentifier(c as string))
              ? 'INCLUDE columns prism.yaml cannot name'
              : null);
    if (problem !== null) {
      unsupported.push({ what: `index ${row.name}`, detail: `${problem}: ${row.definition}` });
      continue;
    }
    result.push({
      name: row.name,
      columns: row.columns.map((c, i) => term(c as string, row.options[i] ?? 0)),
      method: row.method as IndexMethod,
      unique: row.unique,
      ...(where !== undefined && 'where' in where ? { where: where.where } : {}),
      ...(row.include.length > 0 ? { include: row.include as string[] } : {}),
    });
  }
  result.sort((a, b) => byCodeUnits(a.name, b.name));
  if (facts === undefined) return { indexes: result };
  // Only the time index: TimescaleDB's (space, time DESC) index comes only from the old
  // create_hypertable(partitioning_column => …), which migrations never use (add_dimension
  // makes none), so such an index is read as the table's own, as a spec states it.
  return splitDefaultIndexes(result, facts.hypertable.timeColumn);
}

function tableUnsupported(relation: RelationRow, triggers: readonly TriggerRow[]): Unsupported[] {
  return [
    ...(relation.partition_key !== null
      ? [{ what: 'table', detail: `a partitioned table: PARTITION BY ${relation.partition_key}` }]
      : []),
    ...(relation.partition_of !== null
      ? [{ what: 'table', detail: `a partition of ${relation.partition_of}` }]
      : []),
    ...triggers.map((t) => ({ what: `trigger ${t.name}`, detail: t.definition })),
  ];
}

const tableKey = (schema: string, name: string): string => JSON.stringify([schema, name]);

async function currentSchema(client: Queryable): Promise<string> {
  const { rows } = await client.query<{ schema: string }>(
    'SELECT pg_catalog.current_schema()::text AS schema',
  );
  return rows[0]?.schema ?? 'public';
}

/**
 * The aggregates of the selection: every one of the schemas read whole; with `tables`,
 * those built (directly or on other aggregates) on the selected tables.
 */
function selectedAggregates(
  reading: AggregateReading,
  tableOids: ReadonlySet<string> | undefined,
): Aggregate[] {
  if (tableOids === undefined) return reading.aggregates.map((a) => a.aggregate);
  const byOid = new Map(reading.aggregates.map((a) => [a.oid, a]));
  const rootOf = (a: LiveAggregate): string => {
    let current = a;
    for (let depth = 0; depth < 100; depth += 1) {
      const parent = byOid.get(current.sourceOid);
      if (parent === undefined) break;
      current = parent;
    }
    return current.sourceOid;
  };
  return reading.aggregates.filter((a) => tableOids.has(rootOf(a))).map((a) => a.aggregate);
}

/** A view or materialized view named in `unsupported`, unless it is an aggregate read. */
function otherObject(
  o: { kind: string; schema: string; name: string },
  reading: AggregateReading,
): Unsupported | undefined {
  const read = reading.aggregates.some(
    (a) => a.aggregate.schema === o.schema && a.aggregate.name === o.name,
  );
  if (read && (o.kind === 'view' || o.kind === 'materialized view')) return undefined;
  const refused = reading.refused.get(`${o.schema}.${o.name}`);
  if (refused !== undefined && (o.kind === 'view' || o.kind === 'materialized view')) {
    return { what: `${refused.kind} ${o.schema}.${o.name}`, detail: refused.detail };
  }
  return {
    what: `${o.kind} ${o.schema}.${o.name}`,
    detail: `${/^[aeiou]/.test(o.kind) ? 'an' : 'a'} ${o.kind}`,
  };
}

/** The tables of the selection as the Schema type (see CatalogSelection). */
export async function readSchema(
  client: Queryable,
  selection: CatalogSelection = {},
): Promise<Schema> {
  const timescale = await hasTimescale(client);
  const relations = await selectRelations(client, selection.tables, selection.schemas, timescale);
  const aggregateSchemas =
    selection.tables !== undefined
      ? [...new Set(relations.map((r) => r.schema))]
      : (selection.schemas ?? [await currentSchema(client)]);
  const reading = await readAggregates(client, aggregateSchemas, timescale);
  const aggregates = selectedAggregates(
    reading,
    selection.tables === undefined ? undefined : new Set(relations.map((r) => r.oid)),
  );
  const withAggregates = aggregates.length > 0 ? { aggregates } : {};
  // A whole schema is read: say what it holds besides tables.
  const others =
    selection.tables === undefined
      ? (await readOtherObjects(client, selection.schemas)).flatMap((o) => {
          const other = otherObject(o, reading);
          return other === undefined ? [] : [other];
        })
      : [];
  const withOthers = others.length > 0 ? { unsupported: others } : {};
  if (relations.length === 0) return deepFreeze({ tables: [], ...withAggregates, ...withOthers });
  const oids = relations.map((r) => r.oid);
  const columnRows = groupByRel(await readColumns(client, oids));
  const constraintRows = groupByRel(await readConstraints(client, oids));
  const indexRows = groupByRel(await readIndexes(client, oids));
  const triggerRows = groupByRel(await readTriggers(client, oids));
  const hypertables = timescale
    ? await readHypertables(client, relations)
    : new Map<string, HypertableFacts>();

  const tables = relations.map((relation): Table => {
    const unsupported = tableUnsupported(relation, triggerRows.get(relation.oid) ?? []);
    const columns = (columnRows.get(relation.oid) ?? []).map((r) => column(r, unsupported));
    const { primaryKey, checks, foreignKeys } = constraints(
      constraintRows.get(relation.oid) ?? [],
      columns,
      unsupported,
    );
    const facts = hypertables.get(tableKey(relation.schema, relation.name));
    const { indexes: tableIndexes, createDefaultIndexes } = indexes(
      indexRows.get(relation.oid) ?? [],
      facts,
      unsupported,
    );
    unsupported.push(...(facts?.unsupported ?? []));
    return {
      schema: relation.schema,
      name: relation.name,
      columns,
      ...(primaryKey ? { primaryKey } : {}),
      checks,
      indexes: tableIndexes,
      ...(foreignKeys.length > 0 ? { foreignKeys } : {}),
      ...(facts
        ? {
            hypertable:
              createDefaultIndexes === false
                ? { ...facts.hypertable, createDefaultIndexes }
                : facts.hypertable,
          }
        : {}),
      unsupported: unsupported.sort(
        (a, b) => byCodeUnits(a.what, b.what) || byCodeUnits(a.detail, b.detail),
      ),
    };
  });
  tables.sort((a, b) => byCodeUnits(a.schema, b.schema) || byCodeUnits(a.name, b.name));
  return deepFreeze({ tables, ...withAggregates, ...withOthers });
}
