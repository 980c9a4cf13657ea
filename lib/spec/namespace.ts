/**
 * Names that share one PostgreSQL namespace must differ after PostgreSQL keeps their first
 * 63 bytes: tables, indexes (`indexes` entries, the indexes of `index`/`unique` fields),
 * primary keys, whose index is named like the key, and the views of continuous aggregates
 * all live in the schema's relation namespace; integer-now functions share the function
 * namespace. The names derived here are the ones the migrations create.
 */
import type { Finding, Path } from './findings.js';
import { duplicateError } from './findings.js';
import {
  defaultIndexName,
  integerNowFunctionBaseName,
  primaryKeyName,
  truncatedName,
} from './identifiers.js';
import type { RawModel } from './raw.js';
import type { Model } from './types.js';

export interface LocatedModel {
  readonly model: Model;
  readonly raw: RawModel;
  readonly path: Path;
}

type Relation =
  | { readonly kind: 'table'; readonly name: string; readonly path: Path }
  | {
      readonly kind: 'aggregate';
      readonly name: string;
      readonly path: Path;
      readonly model: string;
    }
  | {
      readonly kind: 'primary key';
      readonly name: string;
      readonly path: Path;
      readonly table: string;
    }
  | {
      readonly kind: 'field index' | 'index';
      readonly name: string;
      readonly path: Path;
      readonly table: string;
      readonly columns: readonly string[];
      readonly field?: string;
    };

const HINT =
  'tables, indexes and primary keys (named <table>_pkey) share one namespace per schema: set `table:` on a model, or `name:` on an index';
const AGGREGATE_HINT =
  "an aggregate is a view, which shares the schema's namespace with tables, indexes and primary keys (<table>_pkey): give the aggregate another name";

function tablePath(located: LocatedModel): Path {
  return located.raw.table === undefined ? [...located.path, 'name'] : [...located.path, 'table'];
}

/** Indexes of `index`/`unique` fields, as lib/diff creates them (not a lone primary-key column). */
function fieldIndexes(located: LocatedModel): Relation[] {
  const { model, raw, path } = located;
  return raw.fields.flatMap((f, j): Relation[] => {
    if (!(f.index || f.unique)) return [];
    if (model.primaryKey.length === 1 && model.primaryKey[0] === f.name) return [];
    return [
      {
        kind: 'field index',
        name: defaultIndexName(model.table, [f.name]),
        path: [...path, 'fields', j, f.index ? 'index' : 'unique'],
        table: model.table,
        columns: [f.name],
        field: f.name,
      },
    ];
  });
}

/** Entries of the model's `indexes:` and of `timeseries.indexes`, as the migrations name them. */
function listedIndexes(located: LocatedModel): Relation[] {
  const { model, raw, path } = located;
  const lists = [
    { entries: model.indexes ?? [], raws: raw.indexes, at: [...path, 'indexes'] },
    {
      entries: model.timeseries?.indexes ?? [],
      raws: raw.timeseries?.indexes,
      at: [...path, 'timeseries', 'indexes'],
    },
  ];
  return lists.flatMap(({ entries, raws, at }) =>
    entries.map((index, n): Relation => ({
      kind: 'index',
      name: index.name,
      path: raws?.[n]?.name === undefined ? [...at, n] : [...at, n, 'name'],
      table: model.table,
      columns: index.columns.map((t) => t.column),
    })),
  );
}

/** `timeseries.aggregates`: each a view (or materialized view) in the model's schema. */
function aggregates(located: LocatedModel): Relation[] {
  const { model, path } = located;
  return (model.timeseries?.aggregates ?? []).map((a) => ({
    kind: 'aggregate',
    name: a.name,
    path: [
      ...path,
      'timeseries',
      'aggregates',
      (located.raw.timeseries?.aggregates ?? []).findIndex((r) => r.name === a.name),
      'name',
    ],
    model: model.name,
  }));
}

function primaryKey(located: LocatedModel): Relation[] {
  const { model, raw, path } = located;
  if (model.primaryKey.length === 0) return [];
  const at = raw.fields.findIndex((f) => f.primary_key);
  return [
    {
      kind: 'primary key',
      name: primaryKeyName(model.table),
      path: [...path, 'fields', at, 'primary_key'],
      table: model.table,
    },
  ];
}

function describe(r: Relation): string {
  switch (r.kind) {
    case 'table':
      return `table '${r.name}'`;
    case 'aggregate':
      return `aggregate '${r.name}' of model '${r.model}'`;
    case 'primary key':
      return `the primary key of table '${r.table}'`;
    case 'field index':
      return `the index of field '${r.field ?? ''}' of table '${r.table}'`;
    case 'index':
      return `index '${r.name}' of table '${r.table}'`;
  }
}

function collision(r: Relation, first: Relation): Finding {
  const shown = truncatedName(r.name);
  const cut = shown === r.name ? '' : ` (PostgreSQL keeps its first 63 bytes, '${shown}')`;
  if (r.kind === 'aggregate' || first.kind === 'aggregate') {
    return duplicateError(
      r.path,
      first.path,
      `${describe(r)} is named '${r.name}'${cut}, which is already the name of ${describe(first)}`,
      AGGREGATE_HINT,
    );
  }
  if (first.kind === 'table' && r.kind === 'index') {
    return duplicateError(
      r.path,
      first.path,
      `index name '${r.name}' is already a table name`,
      HINT,
    );
  }
  if (r.kind === 'index' && first.kind === 'index') {
    return duplicateError(r.path, first.path, `duplicate index name '${r.name}'${cut}`, HINT);
  }
  if (r.kind === 'index' && first.kind === 'field index' && r.table === first.table) {
    return duplicateError(
      r.path,
      first.path,
      `index '${r.name}' of table '${r.table}' has the name of the index of field '${first.field ?? ''}' (<table>_<column>_idx)`,
      `remove \`index\`/\`unique\` from field '${first.field ?? ''}' and keep this entry, or give this index another \`name:\``,
    );
  }
  return duplicateError(
    r.path,
    first.path,
    `${describe(r)} is named '${r.name}'${cut}, which is already the name of ${describe(first)}`,
    HINT,
  );
}

/** Names collide only within one schema. */
function inSchema(m: LocatedModel, name: string): string {
  return `${m.model.schema ?? 'public'}.${name}`;
}

function relationFindings(models: readonly LocatedModel[]): Finding[] {
  // Table names among themselves are checked with the models (duplicate table name).
  const tables = new Map<string, Relation>();
  for (const m of models) {
    const key = inSchema(m, truncatedName(m.model.table));
    if (!tables.has(key))
      tables.set(key, { kind: 'table', name: m.model.table, path: tablePath(m) });
  }
  const seen = new Map<string, Relation>();
  const findings: Finding[] = [];
  // Aggregates last, so that a collision is reported at the aggregate, the view's name.
  const relations = [
    ...models.flatMap((m) =>
      [...primaryKey(m), ...fieldIndexes(m), ...listedIndexes(m)].map((r) => ({ m, r })),
    ),
    ...models.flatMap((m) => aggregates(m).map((r) => ({ m, r }))),
  ];
  for (const { m, r } of relations) {
    const key = inSchema(m, truncatedName(r.name));
    const first = tables.get(key) ?? seen.get(key);
    if (first === undefined) seen.set(key, r);
    else findings.push(collision(r, first));
  }
  return findings;
}

/** Integer-now functions of tables whose names agree in the characters the name keeps. */
function integerNowFindings(models: readonly LocatedModel[]): Finding[] {
  const seen = new Map<string, LocatedModel>();
  const findings: Finding[] = [];
  for (const m of models) {
    const ts = m.model.timeseries;
    const time = m.model.fields.find((f) => f.name === ts?.timeColumn);
    if (ts?.timeUnit === undefined || (time?.type !== 'int' && time?.type !== 'bigint')) continue;
    const name = integerNowFunctionBaseName(m.model.table);
    const first = seen.get(inSchema(m, name));
    if (first === undefined) {
      seen.set(inSchema(m, name), m);
      continue;
    }
    findings.push(
      duplicateError(
        [...m.path, 'timeseries', 'time_unit'],
        [...first.path, 'timeseries', 'time_unit'],
        `the integer-now functions of tables '${first.model.table}' and '${m.model.table}' would both be named '${name}' (from the first 48 characters of the table name)`,
        'give one of the tables a name that differs in its first 48 characters (`table:`)',
      ),
    );
  }
  return findings;
}

export function namespaceFindings(models: readonly LocatedModel[]): Finding[] {
  return [...relationFindings(models), ...integerNowFindings(models)];
}
