/** One model: its fields, its timeseries block, and the keys TimescaleDB will accept. */
import type { Finding, Path } from './findings.js';
import { hasErrors, specAdjustment } from './findings.js';
import { buildField, duplicateNameFindings, fieldFindings } from './fields.js';
import { defaultTableName } from './identifiers.js';
import { columnCountFindings, primaryKeyWidthFindings } from './limits.js';
import type { RawField, RawModel } from './raw.js';
import { renameFindings } from './renames.js';
import { checkTimeseries, uniqueWithoutTime } from './timeseries.js';
import type { Model, TimescaleMode } from './types.js';

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

export function checkModel(raw: RawModel, path: Path, specMode: TimescaleMode): ModelResult {
  const table = raw.table ?? defaultTableName(raw.name);
  const fields = firstByName(raw.fields);
  const findings: Finding[] = raw.fields.flatMap((f, j) =>
    fieldFindings(f, [...path, 'fields', j]),
  );
  const names = raw.fields.map((f, j) => ({ name: f.name, path: [...path, 'fields', j, 'name'] }));
  findings.push(
    ...duplicateNameFindings(names, 'field name', 'each field of a model needs its own name'),
    ...renameFindings(
      raw.fields.map((f, j) => ({
        name: f.name,
        renamedFrom: f.renamed_from,
        path: [...path, 'fields', j],
      })),
      { kind: 'field', within: `model '${raw.name}'` },
    ),
  );
  const ts =
    raw.timeseries === undefined
      ? undefined
      : checkTimeseries(raw.timeseries, {
          modelName: raw.name,
          table,
          fields,
          path: [...path, 'timeseries'],
        });
  const timeColumn = raw.timeseries?.time_column;
  findings.push(...(ts?.findings ?? []));
  if (timeColumn !== undefined) findings.push(...uniqueFieldFindings(raw, path, timeColumn));
  const pk = primaryKeyOf(raw, path, timeColumn);
  findings.push(...pk.findings, ...timeColumnNullability(raw, path, timeColumn));
  findings.push(...columnCountFindings(raw, path), ...primaryKeyWidthFindings(raw, path, pk.key));
  if (hasErrors(findings)) return { value: undefined, findings };
  const model: Model = Object.freeze({
    name: raw.name,
    table,
    fields: Object.freeze(raw.fields.map((f) => buildField(f, f.name === timeColumn))),
    primaryKey: Object.freeze(pk.key),
    timeseries: ts?.value,
    timescale: raw.timescale ?? specMode,
    ...(raw.renamed_from === undefined ? {} : { renamedFrom: raw.renamed_from }),
  });
  return { value: model, findings };
}
