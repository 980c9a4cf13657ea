/**
 * The `timeseries:` block: time column, chunk interval, compression, retention and
 * indexes, checked against the model's fields and normalized.
 */
import { closest } from '../util/closest.js';
import type { Finding, Path } from './findings.js';
import { duplicateError, hasErrors, specError, specWarning } from './findings.js';
import { defaultIndexName } from './identifiers.js';
import { indexWidthFindings } from './limits.js';
import { ORDER_BY_HINT, parseOrderBy } from './order-by.js';
import type {
  RawCompression,
  RawField,
  RawIndex,
  RawPartitioning,
  RawReorder,
  RawRetention,
  RawTimeAmount,
  RawTimeseries,
} from './raw.js';
import type { TimeColumn } from './time-amount.js';
import { amountText, compareAmounts, isIntegerTime, parseTimeAmount } from './time-amount.js';
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
const INT_NOW_HINT =
  "set time_unit (s, ms or us: the unit the integer counts) so prism-migrate creates TimescaleDB's integer-now function";

function missingColumn(ctx: TimeseriesContext, name: string, path: Path, role: string): Finding[] {
  if (ctx.fields.has(name)) return [];
  const names = [...ctx.fields.keys()];
  const near = closest(name, names);
  return [
    specError(
      path,
      `${role} '${name}' is not a field of model '${ctx.modelName}'`,
      near === undefined
        ? `fields of '${ctx.modelName}': ${names.join(', ')}`
        : `did you mean '${near}'?`,
    ),
  ];
}

function repeatedColumns(columns: readonly string[], path: Path, role: string): Finding[] {
  return columns.flatMap((c, k) => {
    const first = columns.indexOf(c);
    return first < k
      ? [
          duplicateError(
            [...path, k],
            [...path, first],
            `column '${c}' appears twice in ${role}`,
            'list each column once',
          ),
        ]
      : [];
  });
}

function timeColumnOf(ts: RawTimeseries, ctx: TimeseriesContext): Checked<TimeColumn | undefined> {
  const path = [...ctx.path, 'time_column'];
  const missing = missingColumn(ctx, ts.time_column, path, 'time_column');
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

function amountOf(
  raw: RawTimeAmount | undefined,
  key: string,
  col: TimeColumn | undefined,
  path: Path,
): Checked<TimeAmount | undefined> {
  if (raw === undefined || col === undefined) return { value: undefined, findings: [] };
  const result = parseTimeAmount(raw, key, col, path);
  return result.ok
    ? { value: result.amount, findings: [] }
    : { value: undefined, findings: [result.finding] };
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
    findings.push(...missingColumn(ctx, parsed.item.column, [...path, k], 'order_by column'));
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
    ...repeatedColumns(
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
  const amount = amountOf(raw, 'chunk_interval', col, path);
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
    findings.push(...missingColumn(ctx, item.column, at, 'sparse index column'));
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
    ...repeatedColumns(
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
    missingColumn(ctx, c, [...path, 'segment_by', k], 'segment_by column'),
  );
  const orderBy = orderByOf(raw.order_by ?? [], segmentBy, ctx, [...path, 'order_by']);
  const after = amountOf(raw.after, 'after', col, [...path, 'after']);
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
      orderBy: Object.freeze(orderBy.value),
      ...(chunkInterval.value ? { chunkInterval: chunkInterval.value } : {}),
      ...(sparse.value.length > 0 ? { sparseIndexes: Object.freeze(sparse.value) } : {}),
    }),
    findings: [
      ...segmentFindings,
      ...repeatedColumns(segmentBy, [...path, 'segment_by'], 'segment_by'),
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
  const dropAfter = amountOf(raw.drop_after, 'drop_after', col, [...path, 'drop_after']);
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

function indexProblems(
  raw: RawIndex,
  ctx: TimeseriesContext,
  timeColumn: string,
  path: Path,
  spaceColumn: string | undefined,
): Finding[] {
  const problems: Finding[] = raw.columns.flatMap((c, k) =>
    missingColumn(ctx, c, [...path, 'columns', k], 'index column'),
  );
  problems.push(...repeatedColumns(raw.columns, [...path, 'columns'], 'the index'));
  problems.push(...indexWidthFindings(raw.columns, path));
  if (raw.unique && raw.type !== 'btree') {
    problems.push(
      specError(
        [...path, 'type'],
        `a ${raw.type} index cannot be unique`,
        'PostgreSQL only builds unique btree indexes; use type: btree',
      ),
    );
  }
  if (raw.type === 'hash' && raw.columns.length > 1) {
    problems.push(
      specError(
        [...path, 'columns'],
        'a hash index covers exactly one column',
        'use type: btree for several columns',
      ),
    );
  }
  const nonJson = raw.columns.filter(
    (c) =>
      ctx.fields.has(c) &&
      !ctx.untyped?.has(c) &&
      ctx.fields.get(c)?.type !== undefined && // sql_type: e.g. tsvector takes gin
      ctx.fields.get(c)?.type !== 'json' &&
      ctx.fields.get(c)?.array !== true,
  );
  if (raw.type === 'gin' && nonJson.length > 0) {
    problems.push(
      specError(
        [...path, 'type'],
        `a gin index needs json or array columns; '${nonJson[0]}' is ${ctx.fields.get(nonJson[0] as string)?.type}`,
        'use type: btree, or index a json or array field',
      ),
    );
  }
  if (raw.unique && !raw.columns.includes(timeColumn)) {
    problems.push(uniqueWithoutTime([...path, 'unique'], raw.columns, timeColumn));
  }
  if (raw.unique && spaceColumn !== undefined && !raw.columns.includes(spaceColumn)) {
    problems.push(uniqueWithoutSpace([...path, 'unique'], 'a unique index', spaceColumn));
  }
  return problems;
}

/** TimescaleDB error TS103 again: unique keys must contain every partitioning column. */
export function uniqueWithoutSpace(path: Path, what: string, spaceColumn: string): Finding {
  return specError(
    path,
    `${what} on a space-partitioned hypertable must include the partitioning column '${spaceColumn}': TimescaleDB refuses unique indexes without every partitioning column`,
    `add '${spaceColumn}' to it, or remove timeseries.partitioning`,
  );
}

/** TimescaleDB error TS103: unique indexes on a hypertable must contain the time column. */
export function uniqueWithoutTime(
  path: Path,
  columns: readonly string[],
  timeColumn: string,
): Finding {
  return specError(
    path,
    `a unique index on a hypertable must include the time column '${timeColumn}': TimescaleDB refuses unique indexes without the partitioning column`,
    `use a timeseries index instead: \`indexes: [{columns: [${[...columns, timeColumn].join(', ')}], unique: true}]\``,
  );
}

function indexesOf(
  raw: readonly RawIndex[],
  ctx: TimeseriesContext,
  timeColumn: string,
  spaceColumn: string | undefined,
): Checked<TimeseriesIndex[]> {
  const path = [...ctx.path, 'indexes'];
  const findings = raw.flatMap((index, k) =>
    indexProblems(index, ctx, timeColumn, [...path, k], spaceColumn),
  );
  const value = raw.map((index) =>
    Object.freeze({
      name: index.name ?? defaultIndexName(ctx.table, index.columns),
      columns: Object.freeze([...index.columns]),
      type: index.type,
      unique: index.unique,
    }),
  );
  return { value, findings };
}

function partitioningOf(
  raw: RawPartitioning,
  ctx: TimeseriesContext,
  timeColumn: string,
): Checked<Partitioning> {
  const path = [...ctx.path, 'partitioning'];
  const findings = missingColumn(ctx, raw.column, [...path, 'column'], 'partitioning column');
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

/**
 * The index a reorder policy's terms name: an index of the model with these columns, or
 * TimescaleDB's default `(<time> DESC)` index for the time column alone. Matched by column
 * names only (index columns carry no direction yet).
 */
export function matchReorderIndex(
  terms: readonly OrderByItem[],
  indexes: readonly { readonly name: string; readonly columns: readonly string[] }[],
  table: string,
  timeColumn: string,
): string | undefined {
  const names = terms.map((t) => t.column);
  const same = (columns: readonly string[]) =>
    columns.length === names.length && columns.every((c, i) => c === names[i]);
  const found = indexes.find((i) => same(i.columns));
  if (found) return found.name;
  // TimescaleDB creates `<table>_<time>_idx` on (time DESC) with the hypertable.
  return same([timeColumn]) ? defaultIndexName(table, [timeColumn]) : undefined;
}

function reorderOf(
  raw: RawReorder,
  ctx: TimeseriesContext,
  timeColumn: string,
  indexes: readonly TimeseriesIndex[],
  fieldIndexes: readonly { readonly name: string; readonly columns: readonly string[] }[],
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
    findings.push(...missingColumn(ctx, parsed.item.column, [...path, k], 'reorder index column'));
    terms.push(parsed.item);
  });
  findings.push(
    ...repeatedColumns(
      terms.map((t) => t.column),
      path,
      'the reorder index',
    ),
  );
  if (hasErrors(findings)) return { value: undefined, findings };
  // The timeseries indexes first: they are the ones written for it.
  const candidates = [...indexes, ...fieldIndexes];
  const indexName = matchReorderIndex(terms, candidates, ctx.table, timeColumn);
  if (indexName === undefined) {
    const listed = [...new Set(candidates.map((i) => `(${i.columns.join(', ')})`))];
    return {
      value: undefined,
      findings: [
        specError(
          path,
          `no index of model '${ctx.modelName}' has the columns (${terms.map((t) => t.column).join(', ')}): a reorder policy needs an index to reorder by`,
          `add it under timeseries.indexes, or use one of: (${timeColumn} DESC)${listed.length > 0 ? `, ${listed.join(', ')}` : ''}`,
        ),
      ],
    };
  }
  const method = indexes.find((i) => i.name === indexName)?.type ?? 'btree';
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
  fieldIndexes: readonly { readonly name: string; readonly columns: readonly string[] }[] = [],
): Checked<Timeseries | undefined> {
  const col = timeColumnOf(raw, ctx);
  const chunk = amountOf(raw.chunk_interval, 'chunk_interval', col.value, [
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
  const indexes = indexesOf(raw.indexes ?? [], ctx, raw.time_column, raw.partitioning?.column);
  const reorder =
    raw.reorder === undefined
      ? undefined
      : reorderOf(raw.reorder, ctx, raw.time_column, indexes.value, fieldIndexes);
  const findings = [
    ...col.findings,
    ...chunk.findings,
    ...(compression?.findings ?? []),
    ...(retention?.findings ?? []),
    ...indexes.findings,
    ...(partitioning?.findings ?? []),
    ...(reorder?.findings ?? []),
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
  });
  return { value, findings };
}
