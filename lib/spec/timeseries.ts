/**
 * The `timeseries:` block: time column, chunk interval, compression, retention and
 * indexes, checked against the model's fields and normalized.
 */
import { closest } from '../util/closest.js';
import type { Finding, Path } from './findings.js';
import { duplicateError, hasErrors, specError, specWarning } from './findings.js';
import { checkIndexes } from './indexes.js';
import { ORDER_BY_HINT, parseOrderBy } from './order-by.js';
import type {
  RawCompression,
  RawField,
  RawRetention,
  RawTimeAmount,
  RawTimeseries,
} from './raw.js';
import type { TimeColumn } from './time-amount.js';
import { amountText, compareAmounts, isIntegerTime, parseTimeAmount } from './time-amount.js';
import type { Compression, OrderByItem, Retention, TimeAmount, Timeseries } from './types.js';

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

const TIME_TYPES = Object.freeze(['datetime', 'date', 'int', 'bigint']);
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
  if (!TIME_TYPES.includes(field.type)) {
    const fitting = [...ctx.fields.values()]
      .filter((f) => TIME_TYPES.includes(f.type))
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
          `time_column '${field.name}' is ${field.type}; a hypertable needs a datetime, date, int or bigint column`,
          hint,
        ),
      ],
    };
  }
  return {
    value: { name: field.name, type: field.type, unit: ts.time_unit },
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

function compressionOf(
  raw: RawCompression,
  ctx: TimeseriesContext,
  col: TimeColumn | undefined,
): Checked<Compression> {
  const path = [...ctx.path, 'compression'];
  const segmentBy = raw.segment_by ?? [];
  const segmentFindings = segmentBy.flatMap((c, k) =>
    missingColumn(ctx, c, [...path, 'segment_by', k], 'segment_by column'),
  );
  const orderBy = orderByOf(raw.order_by ?? [], segmentBy, ctx, [...path, 'order_by']);
  const after = amountOf(raw.after, 'after', col, [...path, 'after']);
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
    }),
    findings: [
      ...segmentFindings,
      ...repeatedColumns(segmentBy, [...path, 'segment_by'], 'segment_by'),
      ...orderBy.findings,
      ...after.findings,
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

export { uniqueWithoutTime } from './indexes.js';

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
): Checked<Timeseries | undefined> {
  const col = timeColumnOf(raw, ctx);
  const chunk = amountOf(raw.chunk_interval, 'chunk_interval', col.value, [
    ...ctx.path,
    'chunk_interval',
  ]);
  const compression =
    raw.compression === undefined ? undefined : compressionOf(raw.compression, ctx, col.value);
  const retention =
    raw.retention === undefined ? undefined : retentionOf(raw.retention, ctx, col.value);
  const indexes = checkIndexes(raw.indexes ?? [], { ...ctx, timeColumn: raw.time_column }, [
    ...ctx.path,
    'indexes',
  ]);
  const findings = [
    ...col.findings,
    ...chunk.findings,
    ...(compression?.findings ?? []),
    ...(retention?.findings ?? []),
    ...indexes.findings,
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
    ...(raw.create_default_indexes === false ? { createDefaultIndexes: false as const } : {}),
  });
  return { value, findings };
}
