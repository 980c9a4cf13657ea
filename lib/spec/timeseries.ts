/**
 * The `timeseries:` block: time column, chunk interval, compression, retention, indexes
 * and continuous aggregates, checked against the model's fields and normalized.
 */
import { checkAggregates } from './aggregates.js';
import type { Finding, Path } from './findings.js';
import { hasErrors, specError, specWarning } from './findings.js';
import { defaultIndexName } from './identifiers.js';
import { checkIndexes, missingField, repeated } from './indexes.js';
import { ORDER_BY_HINT, parseOrderBy } from './order-by.js';
import type {
  RawCompression,
  RawField,
  RawPartitioning,
  RawReorder,
  RawRetention,
  RawTimeAmount,
  RawTimeseries,
} from './raw.js';
import type { TimeColumn } from './time-amount.js';
import {
  amountAt,
  amountText,
  compareAmounts,
  INT_NOW_HINT,
  isIntegerTime,
} from './time-amount.js';
import type {
  Compression,
  OrderByItem,
  Partitioning,
  Reorder,
  Retention,
  SparseIndex,
  TimeAmount,
  Timeseries,
  TimeseriesIndex,
} from './types.js';

export interface TimeseriesContext {
  readonly modelName: string;
  readonly table: string;
  readonly fields: ReadonlyMap<string, RawField>;
  /** Fields whose type has a structural error: present, but their type is unknown. */
  readonly untyped?: ReadonlySet<string>;
  /** Path of the `timeseries` mapping. */
  readonly path: Path;
}

interface Checked<T> {
  readonly value: T;
  readonly findings: readonly Finding[];
}

const TIME_TYPES: readonly string[] = Object.freeze([
  'datetime',
  'timestamp',
  'date',
  'int',
  'bigint',
]);

function timeColumnOf(ts: RawTimeseries, ctx: TimeseriesContext): Checked<TimeColumn | undefined> {
  const path = [...ctx.path, 'time_column'];
  const missing = missingField(ctx, ts.time_column, path, 'time_column');
  const field = ctx.fields.get(ts.time_column);
  if (field === undefined) return { value: undefined, findings: missing };
  if (ctx.untyped?.has(field.name)) return { value: undefined, findings: [] };
  // No type at all: the field's own checks say so.
  if (field.type === undefined && field.sql_type === undefined)
    return { value: undefined, findings: [] };
  const fieldType = field.type ?? 'sql';
  if (!TIME_TYPES.includes(fieldType) || field.array) {
    const fitting = [...ctx.fields.values()]
      .filter((f) => TIME_TYPES.includes(f.type ?? 'sql') && !f.array)
      .map((f) => f.name);
    const hint =
      fitting.length > 0
        ? `use ${fitting.map((n) => `'${n}'`).join(' or ')}, or change the type of '${field.name}'`
        : `change the type of '${field.name}' to datetime`;
    return {
      value: undefined,
      findings: [
        specError(
          path,
          `time_column '${field.name}' is ${field.array ? `an array of ${fieldType}` : fieldType === 'sql' ? `sql_type ${String(field.sql_type)}` : fieldType}; a hypertable needs a datetime, timestamp, date, int or bigint column`,
          hint,
        ),
      ],
    };
  }
  return {
    value: { name: field.name, type: fieldType, unit: ts.time_unit },
    findings: timeUnitFindings(ts, field, ctx),
  };
}

function timeUnitFindings(ts: RawTimeseries, field: RawField, ctx: TimeseriesContext): Finding[] {
  const path = [...ctx.path, 'time_unit'];
  if (ts.time_unit === undefined) return [];
  if (!isIntegerTime(field.type)) {
    return [
      specError(
        path,
        `time_unit only applies to int/bigint time columns; '${field.name}' is ${field.type}`,
        'remove time_unit',
        'key',
      ),
    ];
  }
  if (field.type === 'int' && ts.time_unit !== 's') {
    return [
      specError(
        path,
        `an int time column cannot count ${ts.time_unit}: it overflows after ${ts.time_unit === 'ms' ? '25 days' : '36 minutes'}`,
        `make '${field.name}' bigint, or use time_unit: s`,
      ),
    ];
  }
  return field.type === 'int'
    ? [
        specWarning(
          path,
          `an int time column counting seconds overflows in January 2038; consider bigint for '${field.name}'`,
        ),
      ]
    : [];
}

function orderByOf(
  items: readonly string[],
  segmentBy: readonly string[],
  ctx: TimeseriesContext,
  path: Path,
): Checked<OrderByItem[]> {
  const value: OrderByItem[] = [];
  const findings: Finding[] = [];
  items.forEach((text, k) => {
    const parsed = parseOrderBy(text);
    if (!parsed.ok) {
      findings.push(
        specError(
          [...path, k],
          `invalid order_by ${JSON.stringify(text)}: ${parsed.reason}`,
          ORDER_BY_HINT,
        ),
      );
      return;
    }
    findings.push(...missingField(ctx, parsed.item.column, [...path, k], 'order_by column'));
    if (segmentBy.includes(parsed.item.column)) {
      findings.push(
        specError(
          [...path, k],
          `column '${parsed.item.column}' is in both segment_by and order_by`,
          'TimescaleDB refuses this; keep it in one of them',
        ),
      );
    }
    value.push(parsed.item);
  });
  findings.push(
    ...repeated(
      value.map((i) => i.column),
      path,
      'order_by',
    ),
  );
  return { value, findings };
}

/** TimescaleDB's chunk interval when a spec gives none. */
const DEFAULT_CHUNK_MICROS = 7n * 86_400_000_000n;

/**
 * `compression.chunk_interval`: an interval of fixed length (TimescaleDB refuses months and
 * years) that is a whole number of chunks, since only whole chunks are rolled together.
 */
function compressChunkIntervalOf(
  raw: RawTimeAmount | undefined,
  col: TimeColumn | undefined,
  chunk: TimeAmount | undefined,
  path: Path,
): Checked<TimeAmount | undefined> {
  if (raw === undefined || col === undefined) return { value: undefined, findings: [] };
  if (isIntegerTime(col.type)) {
    return {
      value: undefined,
      findings: [
        specError(
          path,
          `compression chunk_interval needs a datetime or date time column; '${col.name}' is ${col.type}`,
          'TimescaleDB takes it as an interval only; remove chunk_interval from compression',
        ),
      ],
    };
  }
  const amount = amountAt(raw, 'chunk_interval', col, path);
  const value = amount.value;
  if (value?.kind !== 'interval') return amount;
  if (/\b(?:month|year)s?\b/.test(value.interval.text)) {
    return {
      value: undefined,
      findings: [
        specError(
          path,
          `compression chunk_interval ${value.interval.text} is not a fixed duration (TimescaleDB refuses months and years here)`,
          "write it in weeks, days or hours, e.g. '28 days'",
        ),
      ],
    };
  }
  const chunkMicros = chunk?.kind === 'interval' ? chunk.interval.micros : DEFAULT_CHUNK_MICROS;
  if (value.interval.micros % chunkMicros !== 0n) {
    const chunkText = chunk ? amountText(chunk) : '7 days (the default)';
    return {
      value: undefined,
      findings: [
        specError(
          path,
          `compression chunk_interval ${value.interval.text} is not a multiple of the chunk interval ${chunkText}`,
          `only whole chunks are rolled together: use a multiple of ${chunkText}`,
        ),
      ],
    };
  }
  return amount;
}

/**
 * `compression.sparse_indexes`: one per column, on a column of the model that is neither
 * a segment_by column nor an order_by column (TimescaleDB refuses the first and keeps a
 * min/max of the second already; without order_by that is the time column).
 */
function sparseIndexesOf(
  raw: RawCompression,
  ctx: TimeseriesContext,
  orderBy: readonly OrderByItem[],
  timeColumn: string | undefined,
  path: Path,
): Checked<SparseIndex[]> {
  const segmentBy = raw.segment_by ?? [];
  const ordered = orderBy.length > 0 ? orderBy.map((o) => o.column) : [timeColumn];
  const findings: Finding[] = [];
  const value: SparseIndex[] = [];
  (raw.sparse_indexes ?? []).forEach((item, k) => {
    const at = [...path, k, 'column'];
    findings.push(...missingField(ctx, item.column, at, 'sparse index column'));
    if (segmentBy.includes(item.column)) {
      findings.push(
        specError(
          at,
          `column '${item.column}' is a segment_by column and cannot have a sparse index`,
          'TimescaleDB refuses this; segment_by columns are stored once per batch already',
        ),
      );
    } else if (ordered.includes(item.column)) {
      findings.push(
        specError(
          at,
          `column '${item.column}' is an order_by column${orderBy.length === 0 ? ' (the time column, the default order_by)' : ''} and has a min/max sparse index already`,
          'remove it from sparse_indexes',
        ),
      );
    }
    value.push(Object.freeze({ column: item.column, type: item.type as SparseIndex['type'] }));
  });
  findings.push(
    ...repeated(
      value.map((i) => i.column),
      path,
      'sparse_indexes',
    ),
  );
  return { value, findings };
}

function compressionOf(
  raw: RawCompression,
  ctx: TimeseriesContext,
  col: TimeColumn | undefined,
  chunk?: TimeAmount,
): Checked<Compression> {
  const path = [...ctx.path, 'compression'];
  const segmentBy = raw.segment_by ?? [];
  const segmentFindings = segmentBy.flatMap((c, k) =>
    missingField(ctx, c, [...path, 'segment_by', k], 'segment_by column'),
  );
  const orderBy = orderByOf(raw.order_by ?? [], segmentBy, ctx, [...path, 'order_by']);
  const after = amountAt(raw.after, 'after', col, [...path, 'after']);
  const chunkInterval = compressChunkIntervalOf(raw.chunk_interval, col, chunk, [
    ...path,
    'chunk_interval',
  ]);
  const sparse = sparseIndexesOf(raw, ctx, orderBy.value, col?.name, [...path, 'sparse_indexes']);
  const needsIntNow =
    raw.enabled &&
    raw.after !== undefined &&
    col !== undefined &&
    isIntegerTime(col.type) &&
    col.unit === undefined;
  const warning = needsIntNow
    ? [
        specWarning(
          [...path, 'after'],
          `the compression policy on integer time column '${col.name}' needs an integer-now function to run; without time_unit its job will fail`,
        ),
      ]
    : [];
  return {
    value: Object.freeze({
      enabled: raw.enabled,
      after: after.value,
      segmentBy: Object.freeze([...segmentBy]),
      // Sparse indexes and merged chunks need an explicit order (TimescaleDB refuses sparse
      // indexes without one, and merges badly without the time column first): its default.
      orderBy: Object.freeze(
        orderBy.value.length === 0 &&
          col !== undefined &&
          (sparse.value.length > 0 || chunkInterval.value !== undefined)
          ? [Object.freeze({ column: col.name, direction: 'DESC' as const })]
          : orderBy.value,
      ),
      ...(chunkInterval.value ? { chunkInterval: chunkInterval.value } : {}),
      ...(sparse.value.length > 0 ? { sparseIndexes: Object.freeze(sparse.value) } : {}),
    }),
    findings: [
      ...segmentFindings,
      ...repeated(segmentBy, [...path, 'segment_by'], 'segment_by'),
      ...orderBy.findings,
      ...after.findings,
      ...chunkInterval.findings,
      ...sparse.findings,
      ...warning,
    ],
  };
}

function retentionOf(
  raw: RawRetention,
  ctx: TimeseriesContext,
  col: TimeColumn | undefined,
): Checked<Retention | undefined> {
  const path = [...ctx.path, 'retention'];
  if (raw.drop_after === undefined) {
    return raw.enabled
      ? {
          value: undefined,
          findings: [
            specError(
              path,
              'retention needs drop_after when it is enabled',
              'add e.g. `drop_after: 1 year`, or set `enabled: false`',
            ),
          ],
        }
      : { value: undefined, findings: [] };
  }
  const dropAfter = amountAt(raw.drop_after, 'drop_after', col, [...path, 'drop_after']);
  const needsIntNow =
    raw.enabled && col !== undefined && isIntegerTime(col.type) && col.unit === undefined;
  const intNow = needsIntNow
    ? [
        specError(
          [...path, 'drop_after'],
          `a retention policy on integer time column '${col.name}' needs an integer-now function, which TimescaleDB cannot infer from the column`,
          INT_NOW_HINT,
        ),
      ]
    : [];
  const value =
    dropAfter.value === undefined
      ? undefined
      : Object.freeze({ enabled: raw.enabled, dropAfter: dropAfter.value });
  return { value, findings: [...dropAfter.findings, ...intNow] };
}

export { uniqueWithoutSpace, uniqueWithoutTime } from './indexes.js';

function partitioningOf(
  raw: RawPartitioning,
  ctx: TimeseriesContext,
  timeColumn: string,
): Checked<Partitioning> {
  const path = [...ctx.path, 'partitioning'];
  const findings = missingField(ctx, raw.column, [...path, 'column'], 'partitioning column');
  if (raw.column === timeColumn) {
    findings.push(
      specError(
        [...path, 'column'],
        `the partitioning column '${raw.column}' is the time column: a hash dimension needs another column`,
        'partition by the column your queries filter on besides time, e.g. a device or tenant id',
      ),
    );
  }
  return { value: Object.freeze({ column: raw.column, partitions: raw.partitions }), findings };
}

/** An index a reorder policy may name: its key columns, with their order where known. */
export interface ReorderCandidate {
  readonly name: string;
  readonly columns: readonly (string | OrderByItem)[];
}

/**
 * The index a reorder policy's terms name: the model's index with exactly these terms,
 * else the first with these column names, else TimescaleDB's default `(<time> DESC)`
 * index for the time column alone (when the hypertable has it).
 */
export function matchReorderIndex(
  terms: readonly OrderByItem[],
  indexes: readonly ReorderCandidate[],
  table: string,
  timeColumn: string,
  defaultIndex = true,
): string | undefined {
  const text = (c: string | OrderByItem) =>
    typeof c === 'string' ? c : `${c.column} ${c.direction}${c.nulls ? ` NULLS ${c.nulls}` : ''}`;
  const name = (c: string | OrderByItem) => (typeof c === 'string' ? c : c.column);
  const key = (columns: readonly (string | OrderByItem)[], f: typeof text) =>
    JSON.stringify(columns.map(f));
  const wanted = key(terms, (t) => text(canonicalDirection(t)));
  const exact = indexes.find((i) => key(i.columns.map(canonicalDirection), text) === wanted);
  if (exact) return exact.name;
  // Else the first with these column names: the timeseries indexes come first.
  const byNames = indexes.find((i) => key(i.columns, name) === key(terms, name));
  if (byNames) return byNames.name;
  // TimescaleDB creates `<table>_<time>_idx` on (time DESC) with the hypertable.
  return defaultIndex && key(terms, name) === JSON.stringify([timeColumn])
    ? defaultIndexName(table, [timeColumn])
    : undefined;
}

/** A term as an index lists it: a bare name is ascending, NULLS only when not the default. */
function canonicalDirection(c: string | OrderByItem): OrderByItem {
  if (typeof c === 'string') return { column: c, direction: 'ASC' };
  const defaultNulls = c.direction === 'DESC' ? 'FIRST' : 'LAST';
  return c.nulls === undefined || c.nulls === defaultNulls
    ? { column: c.column, direction: c.direction }
    : c;
}

function reorderOf(
  raw: RawReorder,
  ctx: TimeseriesContext,
  timeColumn: string,
  indexes: readonly TimeseriesIndex[],
  fieldIndexes: readonly ReorderCandidate[],
  defaultIndex: boolean,
): Checked<Reorder | undefined> {
  const path = [...ctx.path, 'reorder', 'index'];
  const findings: Finding[] = [];
  const terms: OrderByItem[] = [];
  raw.index.forEach((text, k) => {
    const parsed = parseOrderBy(text);
    if (!parsed.ok) {
      findings.push(
        specError(
          [...path, k],
          `invalid index column ${JSON.stringify(text)}: ${parsed.reason}`,
          ORDER_BY_HINT,
        ),
      );
      return;
    }
    findings.push(...missingField(ctx, parsed.item.column, [...path, k], 'reorder index column'));
    terms.push(parsed.item);
  });
  findings.push(
    ...repeated(
      terms.map((t) => t.column),
      path,
      'the reorder index',
    ),
  );
  if (hasErrors(findings)) return { value: undefined, findings };
  // The timeseries indexes first: they are the ones written for it.
  const candidates = [...indexes, ...fieldIndexes];
  const indexName = matchReorderIndex(terms, candidates, ctx.table, timeColumn, defaultIndex);
  if (indexName === undefined) {
    const termText = (c: string | OrderByItem) =>
      typeof c === 'string' ? c : `${c.column}${c.direction === 'DESC' ? ' DESC' : ''}`;
    const listed = [...new Set(candidates.map((i) => `(${i.columns.map(termText).join(', ')})`))];
    return {
      value: undefined,
      findings: [
        specError(
          path,
          `no index of model '${ctx.modelName}' has the columns (${terms.map((t) => t.column).join(', ')}): a reorder policy needs an index to reorder by`,
          `add it under timeseries.indexes, or use one of: ${[...(defaultIndex ? [`(${timeColumn} DESC)`] : []), ...listed].join(', ') || 'none yet'}`,
        ),
      ],
    };
  }
  const matched = indexes.find((i) => i.name === indexName);
  if (matched?.where !== undefined) {
    return {
      value: undefined,
      findings: [
        specError(
          path,
          `index ${indexName} is partial (where: ${matched.where}): a reorder policy orders whole chunks, which PostgreSQL does not do by a partial index`,
          'reorder by an index without `where`',
        ),
      ],
    };
  }
  const method = matched?.type ?? 'btree';
  if (method !== 'btree') {
    return {
      value: undefined,
      findings: [
        specError(
          path,
          `index ${indexName} is a ${method} index: a reorder policy clusters chunks, which only a btree index can order`,
          'reorder by a btree index (type: btree, the default)',
        ),
      ],
    };
  }
  return { value: Object.freeze({ index: Object.freeze(terms), indexName }), findings };
}

function lifecycleWarning(
  c: Compression | undefined,
  r: Retention | undefined,
  path: Path,
): Finding[] {
  if (c?.after === undefined || r === undefined || !c.enabled || !r.enabled) return [];
  const order = compareAmounts(c.after, r.dropAfter);
  if (order === undefined || order < 0) return [];
  return [
    specWarning(
      [...path, 'compression', 'after'],
      `compression after (${amountText(c.after)}) is not shorter than retention drop_after (${amountText(r.dropAfter)}): chunks are dropped before they would be compressed`,
    ),
  ];
}

export function checkTimeseries(
  raw: RawTimeseries,
  ctx: TimeseriesContext,
  fieldIndexes: readonly ReorderCandidate[] = [],
): Checked<Timeseries | undefined> {
  const col = timeColumnOf(raw, ctx);
  const chunk = amountAt(raw.chunk_interval, 'chunk_interval', col.value, [
    ...ctx.path,
    'chunk_interval',
  ]);
  const compression =
    raw.compression === undefined
      ? undefined
      : compressionOf(raw.compression, ctx, col.value, chunk.value);
  const retention =
    raw.retention === undefined ? undefined : retentionOf(raw.retention, ctx, col.value);
  const partitioning =
    raw.partitioning === undefined
      ? undefined
      : partitioningOf(raw.partitioning, ctx, raw.time_column);
  const indexes = checkIndexes(
    raw.indexes ?? [],
    { ...ctx, timeColumn: raw.time_column, spaceColumn: raw.partitioning?.column },
    [...ctx.path, 'indexes'],
  );
  const reorder =
    raw.reorder === undefined
      ? undefined
      : reorderOf(
          raw.reorder,
          ctx,
          raw.time_column,
          indexes.value,
          fieldIndexes,
          raw.create_default_indexes !== false,
        );
  const aggregates = checkAggregates(raw.aggregates ?? [], {
    modelName: ctx.modelName,
    fields: ctx.fields,
    untyped: ctx.untyped,
    timeColumn: col.value,
    dropAfter: retention?.value?.enabled ? retention.value.dropAfter : undefined,
    path: [...ctx.path, 'aggregates'],
  });
  const findings = [
    ...col.findings,
    ...chunk.findings,
    ...(compression?.findings ?? []),
    ...(retention?.findings ?? []),
    ...indexes.findings,
    ...(partitioning?.findings ?? []),
    ...(reorder?.findings ?? []),
    ...aggregates.findings,
  ];
  findings.push(...lifecycleWarning(compression?.value, retention?.value, ctx.path));
  if (hasErrors(findings)) return { value: undefined, findings };
  const value: Timeseries = Object.freeze({
    timeColumn: raw.time_column,
    chunkInterval: chunk.value,
    timeUnit: raw.time_unit,
    compression: compression?.value,
    retention: retention?.value,
    indexes: Object.freeze(indexes.value),
    ...(partitioning ? { partitioning: partitioning.value } : {}),
    ...(reorder?.value ? { reorder: reorder.value } : {}),
    ...(raw.create_default_indexes === false ? { createDefaultIndexes: false as const } : {}),
    ...(aggregates.value.length > 0 ? { aggregates: Object.freeze(aggregates.value) } : {}),
  });
  return { value, findings };
}
