/**
 * Limits of PostgreSQL that the structure cannot express: columns per table and columns
 * per index key. A spec past them would be accepted here and refused halfway through `up`.
 */
import type { Finding, Path } from './findings.js';
import { specError, specWarning } from './findings.js';
import type { RawModel } from './raw.js';

/** PostgreSQL's MaxHeapAttributeNumber: columns a table can have. */
export const MAX_COLUMNS = 1600;
/** PostgreSQL's INDEX_MAX_KEYS: columns in one index, a primary key included. */
export const MAX_INDEX_KEYS = 32;

/**
 * The table gets exactly the model's fields (no column is added for it). Columns dropped
 * later still count against PostgreSQL's limit until the table is rewritten, so the error
 * points at the first field past it.
 */
export function columnCountFindings(raw: RawModel, path: Path): Finding[] {
  const count = raw.fields.length;
  if (count > MAX_COLUMNS) {
    return [
      specError(
        [...path, 'fields', MAX_COLUMNS],
        `model '${raw.name}' has ${count} fields; a PostgreSQL table has at most ${MAX_COLUMNS} columns (this is field ${MAX_COLUMNS + 1})`,
        'split the model into several, or keep values that belong together in a json field',
      ),
    ];
  }
  return compressionWidthWarning(raw, path, count);
}

/**
 * TimescaleDB's compressed table holds every column plus bookkeeping columns (a row count,
 * and min/max and first/last values per order_by column, more per sparse index), so a
 * hypertable near the limit cannot enable compression.
 */
function compressionWidthWarning(raw: RawModel, path: Path, count: number): Finding[] {
  const compression = raw.timeseries?.compression;
  if (compression === undefined || !compression.enabled) return [];
  const orderBy = Math.max(1, compression.order_by?.length ?? 0);
  const estimate = count + 1 + 4 * orderBy;
  if (estimate <= MAX_COLUMNS) return [];
  return [
    specWarning(
      [...path, 'timeseries', 'compression'],
      `model '${raw.name}' has ${count} fields: TimescaleDB's compressed table adds bookkeeping columns (about ${estimate - count} here) and may refuse to enable compression past ${MAX_COLUMNS} columns`,
    ),
  ];
}

/** A primary key is an index: at most MAX_INDEX_KEYS columns, the time column included. */
export function primaryKeyWidthFindings(
  raw: RawModel,
  path: Path,
  key: readonly string[],
): Finding[] {
  if (key.length <= MAX_INDEX_KEYS) return [];
  const at = raw.fields.findIndex((f) => f.primary_key);
  return [
    specError(
      [...path, 'fields', at, 'primary_key'],
      `the primary key of model '${raw.name}' has ${key.length} columns; a PostgreSQL index key has at most ${MAX_INDEX_KEYS}`,
      `mark at most ${MAX_INDEX_KEYS} fields primary_key: true (a timeseries model's time column counts too)`,
    ),
  ];
}

/** An index over more than MAX_INDEX_KEYS columns, at its `columns` key. */
export function indexWidthFindings(columns: readonly string[], path: Path): Finding[] {
  if (columns.length <= MAX_INDEX_KEYS) return [];
  return [
    specError(
      [...path, 'columns'],
      `the index has ${columns.length} columns; a PostgreSQL index key has at most ${MAX_INDEX_KEYS}`,
      `index at most ${MAX_INDEX_KEYS} columns; split it into several indexes`,
      'key',
    ),
  ];
}
