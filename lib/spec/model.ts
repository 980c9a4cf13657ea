/** One model: its fields, its timeseries block, and the keys TimescaleDB will accept. */
import type { Finding, Path } from './findings.js';
import { hasErrors, specAdjustment, specError } from './findings.js';
import { buildField, duplicateNameFindings, fieldFindings } from './fields.js';
import { defaultIndexName, defaultTableName, primaryKeyName } from './identifiers.js';
import { columnCountFindings, primaryKeyWidthFindings } from './limits.js';
import type { RawField, RawIndex, RawModel } from './raw.js';
import { renameFindings } from './renames.js';
import { checkIndexes } from './indexes.js';
import { checkTimeseries, uniqueWithoutSpace, uniqueWithoutTime } from './timeseries.js';
import type { ModelInput } from './partial.js';
import type { Model, ModelIndex, TimescaleMode, Timeseries } from './types.js';

export interface ModelResult {
  readonly value: Model | undefined;
  readonly findings: readonly Finding[];
}

function firstByName(fields: readonly RawField[]): ReadonlyMap<string, RawField> {
  const map = new Map<string, RawField>();
  for (const f of fields) if (!map.has(f.name)) map.set(f.name, f);
  return map;
}

/** `unique: true` alone would be a unique index without the time column (TS103). */
function uniqueFieldFindings(raw: RawModel, path: Path, timeColumn: string): Finding[] {
  return raw.fields.flatMap((f, j) =>
    f.unique && f.name !== timeColumn
      ? [uniqueWithoutTime([...path, 'fields', j, 'unique'], [f.name], timeColumn)]
      : [],
  );
}

/** With a hash dimension, every unique key must also hold its column (TS103). */
function spaceKeyFindings(raw: RawModel, path: Path, key: readonly string[]): Finding[] {
  const space = raw.timeseries?.partitioning?.column;
  if (space === undefined || !raw.fields.some((f) => f.name === space)) return [];
  const findings: Finding[] = [];
  if (key.length > 0 && !key.includes(space)) {
    const at = raw.fields.findIndex((f) => f.primary_key);
    findings.push(
      uniqueWithoutSpace([...path, 'fields', at, 'primary_key'], 'the primary key', space),
    );
  }
  raw.fields.forEach((f, j) => {
    if (f.unique && f.name !== space)
      findings.push(uniqueWithoutSpace([...path, 'fields', j, 'unique'], 'a unique field', space));
  });
  return findings;
}

/** The primary key's index and the fields' indexes: what a reorder policy may name besides timeseries indexes. */
function fieldIndexes(
  raw: RawModel,
  table: string,
  key: readonly string[],
): { name: string; columns: string[] }[] {
  const sole = key.length === 1 ? key[0] : undefined;
  return [
    ...(key.length > 0 ? [{ name: primaryKeyName(table), columns: [...key] }] : []),
    ...raw.fields
      .filter((f) => (f.index || f.unique) && f.name !== sole)
      .map((f) => ({ name: defaultIndexName(table, [f.name]), columns: [f.name] })),
  ];
}

/**
 * The seed's `id uuid primary_key` on a hypertable cannot work as written (TS103), so the
 * time column joins the key and the user is told.
 */
function primaryKeyOf(
  raw: RawModel,
  path: Path,
  timeColumn: string | undefined,
): { key: string[]; findings: Finding[] } {
  const key = raw.fields.filter((f) => f.primary_key).map((f) => f.name);
  if (timeColumn === undefined || key.length === 0 || key.includes(timeColumn))
    return { key, findings: [] };
  const composite = [...key, timeColumn];
  const at = raw.fields.findIndex((f) => f.primary_key);
  const message = `primary key of model '${raw.name}' is (${composite.join(', ')}): TimescaleDB requires the time column '${timeColumn}' in every primary key of a hypertable`;
  return {
    key: composite,
    findings: [specAdjustment([...path, 'fields', at, 'primary_key'], message)],
  };
}

function timeColumnNullability(
  raw: RawModel,
  path: Path,
  timeColumn: string | undefined,
): Finding[] {
  const j = raw.fields.findIndex((f) => f.name === timeColumn);
  if (j < 0 || !raw.fields[j]?.optional) return [];
  return [
    specAdjustment(
      [...path, 'fields', j, 'optional'],
      `time column '${timeColumn}' is NOT NULL: TimescaleDB requires it, so optional: true is ignored`,
    ),
  ];
}

/**
 * While TimescaleDB makes its default index `<table>_<time>_idx` (no index on the time
 * column alone, create_default_indexes not false), no other index may take that name: on a
 * hypertable that exists, creating it would fail.
 */
function defaultIndexNameFindings(
  raw: RawModel,
  table: string,
  timeColumn: string,
  key: readonly string[],
  lists: readonly { list: readonly ModelIndex[]; at: Path; raws: readonly RawIndex[] }[],
): Finding[] {
  if (raw.timeseries?.create_default_indexes === false) return [];
  const all = lists.flatMap((l) => l.list);
  const timeAlone = (i: ModelIndex) =>
    i.columns.length === 1 && i.columns[0]?.column === timeColumn && !i.include?.length;
  const fieldOnTime = raw.fields.some((f) => f.name === timeColumn && (f.index || f.unique));
  const keyOnTime = key.length === 1 && key[0] === timeColumn;
  if (fieldOnTime || keyOnTime || all.some(timeAlone)) return [];
  const name = defaultIndexName(table, [timeColumn]);
  return lists.flatMap(({ list, at, raws }) =>
    list.flatMap((index, k) =>
      index.name === name
        ? [
            specError(
              raws[k]?.name === undefined ? [...at, k] : [...at, k, 'name'],
              `index name '${name}' is the name of TimescaleDB's default index on (${timeColumn} DESC) of this hypertable`,
              'give this index another `name:`, or set `create_default_indexes: false`',
            ),
          ]
        : [],
    ),
  );
}

/** The checks that read every field and the timeseries block. */
function acrossFieldFindings(
  input: ModelInput,
  table: string,
): {
  findings: Finding[];
  timeseries: Timeseries | undefined;
  indexes: ModelIndex[];
  primaryKey: string[];
} {
  const { raw, path } = input;
  const names = raw.fields.map((f, j) => ({ name: f.name, path: [...path, 'fields', j, 'name'] }));
  const findings: Finding[] = [
    ...duplicateNameFindings(names, 'field name', 'each field of a model needs its own name'),
    ...renameFindings(
      raw.fields.map((f, j) => ({
        name: f.name,
        renamedFrom: f.renamed_from,
        path: [...path, 'fields', j],
      })),
      { kind: 'field', within: `model '${raw.name}'` },
    ),
  ];
  const timeColumn = raw.timeseries?.time_column;
  const pk = primaryKeyOf(raw, path, timeColumn);
  const indexes = checkIndexes(
    raw.indexes ?? [],
    {
      modelName: raw.name,
      table,
      fields: firstByName(raw.fields),
      untyped: input.untyped,
      timeColumn,
      spaceColumn: raw.timeseries?.partitioning?.column,
    },
    [...path, 'indexes'],
  );
  findings.push(...indexes.findings);
  const ts =
    raw.timeseries === undefined
      ? undefined
      : checkTimeseries(
          raw.timeseries,
          {
            modelName: raw.name,
            table,
            fields: firstByName(raw.fields),
            untyped: input.untyped,
            path: [...path, 'timeseries'],
          },
          // The model's own `indexes:` may be reordered by as well.
          [...fieldIndexes(raw, table, pk.key), ...indexes.value],
        );
  findings.push(...(ts?.findings ?? []));
  if (timeColumn !== undefined) findings.push(...uniqueFieldFindings(raw, path, timeColumn));
  findings.push(...spaceKeyFindings(raw, path, pk.key));
  findings.push(...pk.findings, ...timeColumnNullability(raw, path, timeColumn));
  if (ts?.value && timeColumn !== undefined) {
    findings.push(
      ...defaultIndexNameFindings(raw, table, timeColumn, pk.key, [
        { list: indexes.value, at: [...path, 'indexes'], raws: raw.indexes ?? [] },
        {
          list: ts.value.indexes,
          at: [...path, 'timeseries', 'indexes'],
          raws: raw.timeseries?.indexes ?? [],
        },
      ]),
    );
  }
  findings.push(...columnCountFindings(raw, path), ...primaryKeyWidthFindings(raw, path, pk.key));
  return { findings, timeseries: ts?.value, indexes: indexes.value, primaryKey: pk.key };
}

/**
 * A model's checks. Those that would read a part with a structural error are skipped (see
 * partial.ts), and such a model is never built.
 */
export function checkModel(input: ModelInput, specMode: TimescaleMode): ModelResult {
  const { raw, path } = input;
  const table = raw.table ?? defaultTableName(raw.name);
  const findings: Finding[] = raw.fields.flatMap((f, j) =>
    input.checkedFields.has(j) ? fieldFindings(f, [...path, 'fields', j]) : [],
  );
  if (!input.acrossFields) return { value: undefined, findings };
  const across = acrossFieldFindings(input, table);
  findings.push(...across.findings);
  if (!input.sound || hasErrors(findings)) return { value: undefined, findings };
  const timeColumn = raw.timeseries?.time_column;
  const model: Model = Object.freeze({
    name: raw.name,
    table,
    ...(raw.schema === undefined || raw.schema === 'public' ? {} : { schema: raw.schema }),
    fields: Object.freeze(raw.fields.map((f) => buildField(f, f.name === timeColumn))),
    primaryKey: Object.freeze(across.primaryKey),
    timeseries: across.timeseries,
    ...(across.indexes.length > 0 ? { indexes: Object.freeze(across.indexes) } : {}),
    timescale: raw.timescale ?? specMode,
    ...(raw.renamed_from === undefined ? {} : { renamedFrom: raw.renamed_from }),
  });
  return { value: model, findings };
}
