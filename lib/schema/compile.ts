/**
 * Spec → Schema: the one place where a model becomes tables, PostgreSQL types, keys,
 * CHECKs, index names and hypertable settings. Pure. Everything downstream that needs a
 * derived name or a catalog type (diff, render, drift, pull, the query layer) reads it
 * from here.
 */
import { catalogType } from './column-types.js';
import {
  defaultIndexName,
  enumCheckName,
  foreignKeyName,
  integerNowFunctionBaseName,
  primaryKeyName,
} from '../spec/identifiers.js';
import type { Field, Model, Spec } from '../spec/types.js';
import type { SparseIndex } from '../spec/types.js';
import { parseInterval } from '../sql/interval.js';
import type { OrderByTerm } from '../sql/order-by.js';
import { deepFreeze } from '../util/freeze.js';
import {
  DEFAULT_SCHEMA,
  type Aggregate,
  type Column,
  type CompressionSettings,
  type EnumCheck,
  type ForeignKey,
  type Hypertable,
  type Index,
  type Schema,
  type Table,
} from './types.js';

/** A term with NULLS only where it differs from PostgreSQL's default for its direction. */
export function canonicalTerm(term: OrderByTerm): OrderByTerm {
  const defaultNulls = term.direction === 'DESC' ? 'FIRST' : 'LAST';
  return term.nulls === undefined || term.nulls === defaultNulls
    ? { column: term.column, direction: term.direction }
    : { column: term.column, direction: term.direction, nulls: term.nulls };
}

/** `ts`, `ts DESC`, `ts NULLS FIRST`: a term as prism.yaml and the catalog views write it. */
export function termText(term: OrderByTerm): string {
  const t = canonicalTerm(term);
  return `${t.column}${t.direction === 'DESC' ? ' DESC' : ''}${t.nulls ? ` NULLS ${t.nulls}` : ''}`;
}

/**
 * Compression's order_by with TimescaleDB's default left out: `[time DESC]` alone and no
 * order_by are one setting (2.12 stores the default, later versions store nothing).
 */
export function canonicalOrderBy(
  orderBy: readonly OrderByTerm[],
  timeColumn: string,
): OrderByTerm[] {
  const terms = orderBy.map(canonicalTerm);
  const only = terms[0];
  return terms.length === 1 &&
    only?.column === timeColumn &&
    only.direction === 'DESC' &&
    !only.nulls
    ? []
    : terms;
}

/** TimescaleDB's chunk interval when none is given (time and date columns). */
export const DEFAULT_CHUNK_INTERVAL = (() => {
  const parsed = parseInterval('7 days');
  if (!parsed.ok) throw new Error(parsed.reason);
  return Object.freeze({ kind: 'interval', interval: parsed.interval } as const);
})();

/** Whether a field's column is NOT NULL: required, part of the key, or the time column. */
export function isNotNull(model: Model, field: Field): boolean {
  return (
    !field.optional ||
    model.primaryKey.includes(field.name) ||
    model.timeseries?.timeColumn === field.name
  );
}

function compileColumn(model: Model, field: Field): Column {
  return {
    name: field.name,
    type: catalogType(field),
    notNull: isNotNull(model, field),
    ...(field.default === undefined ? {} : { default: field.default }),
  };
}

/** An index column of a spec; snapshots written before index orders hold plain names. */
function specTerm(column: OrderByTerm | string): OrderByTerm {
  return canonicalTerm(typeof column === 'string' ? { column, direction: 'ASC' } : column);
}

/**
 * Indexes of a model: `index`/`unique` fields (not a one-column primary key), then the
 * model's `indexes` and the timeseries `indexes` (validation refuses two with one name).
 */
export function compileIndexes(model: Model): Index[] {
  const byName = new Map<string, Index>();
  const soleKey = model.primaryKey.length === 1 ? model.primaryKey[0] : undefined;
  for (const f of model.fields) {
    if (!(f.index || f.unique) || soleKey === f.name) continue;
    const name = defaultIndexName(model.table, [f.name]);
    byName.set(name, {
      name,
      columns: [{ column: f.name, direction: 'ASC' }],
      method: 'btree',
      unique: f.unique,
    });
  }
  for (const i of [...(model.indexes ?? []), ...(model.timeseries?.indexes ?? [])]) {
    byName.set(i.name, {
      name: i.name,
      columns: i.columns.map(specTerm),
      method: i.type,
      unique: i.unique,
      ...(i.where === undefined ? {} : { where: i.where }),
      ...(i.include === undefined || i.include.length === 0 ? {} : { include: [...i.include] }),
    });
  }
  return [...byName.values()];
}

/**
 * The model's index with exactly these key columns (names, in order), if any: field
 * indexes, `indexes` and `timeseries.indexes` alike, under the name the migrations give it.
 */
export function findIndexByColumns(model: Model, columns: readonly string[]): Index | undefined {
  return compileIndexes(model).find(
    (i) =>
      i.columns.length === columns.length && i.columns.every((t, k) => t.column === columns[k]),
  );
}

/**
 * TimescaleDB's default index on a hypertable: `(time DESC)`, and `(space, time DESC)` for
 * a space dimension: a plain non-unique btree exactly so, whatever its name.
 */
export function isDefaultTimeIndex(
  index: Index,
  timeColumn: string,
  spaceColumns: readonly string[] = [],
): boolean {
  if (index.method !== 'btree' || index.unique || index.where !== undefined) return false;
  if ((index.include?.length ?? 0) > 0) return false;
  const cols = index.columns;
  const last = cols.at(-1);
  if (last?.column !== timeColumn || last.direction !== 'DESC' || last.nulls !== undefined) {
    return false;
  }
  if (cols.length === 1) return true;
  const first = cols[0];
  return (
    cols.length === 2 &&
    first !== undefined &&
    spaceColumns.includes(first.column) &&
    first.direction === 'ASC' &&
    first.nulls === undefined
  );
}

/**
 * Whether TimescaleDB creates its `(time DESC)` index for a model: unless turned off, and
 * unless an index with the time column as its only column exists (TimescaleDB looks for
 * one when the hypertable is made; the migrations create the model's indexes first).
 */
export function hasDefaultTimeIndex(model: Model): boolean {
  const ts = model.timeseries;
  if (ts === undefined || ts.createDefaultIndexes === false) return false;
  const soleKey = model.primaryKey.length === 1 && model.primaryKey[0] === ts.timeColumn;
  return (
    !soleKey &&
    !compileIndexes(model).some(
      (i) => i.columns.length === 1 && i.columns[0]?.column === ts.timeColumn && !i.include?.length,
    )
  );
}

/**
 * A hypertable's indexes without TimescaleDB's default ones, and whether it has one: the
 * form both `compileSpec` and the catalog reader give, so that a spec index `(time DESC)`
 * and TimescaleDB's own compare equal.
 */
export function splitDefaultIndexes(
  indexes: readonly Index[],
  timeColumn: string,
  spaceColumns: readonly string[] = [],
  defaultPresent = false,
): { indexes: Index[]; createDefaultIndexes?: false } {
  const own = indexes.filter((i) => !isDefaultTimeIndex(i, timeColumn, spaceColumns));
  const present =
    defaultPresent ||
    indexes.some((i) => i.columns.length === 1 && isDefaultTimeIndex(i, timeColumn));
  return present ? { indexes: own } : { indexes: own, createDefaultIndexes: false };
}

function compileChecks(model: Model): EnumCheck[] {
  return model.fields
    .filter((f) => f.type === 'enum')
    .map((f) => ({
      name: enumCheckName(model.table, f.name),
      column: f.name,
      values: [...(f.values ?? [])],
    }));
}

/** By column: the catalog keeps them in no order prism.yaml can rely on. */
export function sortedSparseIndexes(list: readonly SparseIndex[]): SparseIndex[] {
  return [...list]
    .map((i) => ({ column: i.column, type: i.type }))
    .sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0));
}

function compileCompression(model: Model): CompressionSettings | undefined {
  const ts = model.timeseries;
  const c = ts?.compression;
  if (!ts || !c?.enabled) return undefined;
  return {
    segmentBy: [...c.segmentBy],
    orderBy: canonicalOrderBy(c.orderBy, ts.timeColumn),
    ...(c.chunkInterval ? { chunkInterval: c.chunkInterval } : {}),
    ...(c.sparseIndexes?.length ? { sparseIndexes: sortedSparseIndexes(c.sparseIndexes) } : {}),
  };
}

function compileHypertable(model: Model, defaults: false | undefined): Hypertable | undefined {
  const ts = model.timeseries;
  if (!ts) return undefined;
  const timeField = model.fields.find((f) => f.name === ts.timeColumn);
  const integerTime = timeField?.type === 'int' || timeField?.type === 'bigint';
  const compression = compileCompression(model);
  return {
    timeColumn: ts.timeColumn,
    chunkInterval: ts.chunkInterval ?? (integerTime ? undefined : DEFAULT_CHUNK_INTERVAL),
    ...(integerTime && ts.timeUnit
      ? { integerNow: { function: integerNowFunctionBaseName(model.table), unit: ts.timeUnit } }
      : {}),
    ...(compression ? { compression } : {}),
    ...(compression && ts.compression?.after ? { compressAfter: ts.compression.after } : {}),
    ...(ts.retention?.enabled ? { dropAfter: ts.retention.dropAfter } : {}),
    ...(ts.partitioning ? { partitioning: { ...ts.partitioning } } : {}),
    ...(ts.reorder ? { reorderIndex: ts.reorder.indexName } : {}),
    ...(defaults === false ? { createDefaultIndexes: false as const } : {}),
  };
}

export function compileModel(model: Model): Table {
  const ts = model.timeseries;
  const split = ts
    ? splitDefaultIndexes(compileIndexes(model), ts.timeColumn, [], hasDefaultTimeIndex(model))
    : { indexes: compileIndexes(model) };
  const hypertable = compileHypertable(model, split.createDefaultIndexes);
  return deepFreeze({
    schema: model.schema ?? DEFAULT_SCHEMA,
    name: model.table,
    model: model.name,
    timescale: model.timescale,
    columns: model.fields.map((f) => compileColumn(model, f)),
    ...(model.primaryKey.length > 0
      ? { primaryKey: { name: primaryKeyName(model.table), columns: [...model.primaryKey] } }
      : {}),
    checks: compileChecks(model),
    indexes: split.indexes,
    ...(hypertable ? { hypertable } : {}),
    unsupported: [],
  });
}

/**
 * The foreign keys of a model's `references`, by name; `tableOf` gives a model's table
 * (a reference to a model it does not know is left out).
 */
export function compileForeignKeys(
  model: Model,
  modelOf: (modelName: string) => Pick<Model, 'table' | 'schema'> | undefined,
): ForeignKey[] {
  return model.fields
    .flatMap((f): ForeignKey[] => {
      const ref = f.references;
      const target = ref === undefined ? undefined : modelOf(ref.model);
      if (ref === undefined || target === undefined) return [];
      const { table } = target;
      return [
        {
          name: foreignKeyName(model.table, f.name),
          column: f.name,
          references: { schema: target.schema ?? DEFAULT_SCHEMA, table, column: ref.field },
          onDelete: ref.onDelete,
          onUpdate: ref.onUpdate,
        },
      ];
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A model's `timeseries.aggregates` as the Schema's aggregates, sources first: each reads
 * the model's hypertable, or the aggregate of the model it names in `from`.
 */
export function compileAggregates(model: Model): Aggregate[] {
  const timeseries = model.timeseries;
  const schema = model.schema ?? DEFAULT_SCHEMA;
  return (timeseries?.aggregates ?? []).map((a): Aggregate => ({
    schema,
    name: a.name,
    model: model.name,
    timescale: model.timescale,
    source:
      a.from === undefined
        ? { kind: 'table', schema, name: model.table, timeColumn: timeseries?.timeColumn ?? '' }
        : { kind: 'aggregate', schema, name: a.from, timeColumn: 'bucket' },
    bucket: a.bucket,
    groupBy: a.groupBy,
    columns: a.columns,
    realtime: a.realtime,
    ...(a.refresh ? { refresh: a.refresh } : {}),
    ...(a.compression ? { compression: { segmentBy: a.compression.segmentBy } } : {}),
    ...(a.compression?.after ? { compressAfter: a.compression.after } : {}),
    ...(a.retention ? { dropAfter: a.retention.dropAfter } : {}),
  }));
}

/** The schema a spec describes, as it would be on a server with every TimescaleDB feature. */
export function compileSpec(spec: Spec): Schema {
  const tables = new Map(spec.models.map((m) => [m.name, m]));
  const aggregates = spec.models.flatMap(compileAggregates);
  return deepFreeze({
    tables: spec.models.map((m) => {
      const foreignKeys = compileForeignKeys(m, (name) => tables.get(name));
      return { ...compileModel(m), ...(foreignKeys.length > 0 ? { foreignKeys } : {}) };
    }),
    ...(aggregates.length > 0 ? { aggregates } : {}),
  });
}
