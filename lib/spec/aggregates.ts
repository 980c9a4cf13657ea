/**
 * `timeseries.aggregates`: continuous aggregates over the hypertable or over another
 * aggregate of the same model (`from`), checked against the model's fields and against
 * what TimescaleDB refuses when the view or its policies are created (bucket widths,
 * refresh windows, compression next to refresh), and normalized with sources listed
 * before the aggregates built on them.
 */
import {
  AGGREGATE_CALL_HINT,
  parseAggregateCall,
  type AggregateFunction,
} from '../sql/aggregate-call.js';
import { parseInterval } from '../sql/interval.js';
import { closest } from '../util/closest.js';
import type { Finding, Path } from './findings.js';
import { duplicateError, hasErrors, specError, specWarning } from './findings.js';
import { missingField, repeated } from './indexes.js';
import type { RawAggregate, RawAggregateRefresh, RawField } from './raw.js';
import type { TimeColumn } from './time-amount.js';
import {
  amountText,
  compareAmounts,
  amountAt,
  INT_NOW_HINT,
  isIntegerTime,
} from './time-amount.js';
import type {
  AggregateColumn,
  AggregateRefresh,
  ContinuousAggregate,
  FieldType,
  TimeAmount,
} from './types.js';

export interface AggregateContext {
  readonly modelName: string;
  readonly fields: ReadonlyMap<string, RawField>;
  /** Fields whose type has a structural error: present, but their type is unknown. */
  readonly untyped?: ReadonlySet<string> | undefined;
  /** The hypertable's time column; undefined when it has a problem reported elsewhere. */
  readonly timeColumn: TimeColumn | undefined;
  /** The hypertable's retention drop_after, when a retention policy is enabled. */
  readonly dropAfter?: TimeAmount | undefined;
  /** Path of the `aggregates` list. */
  readonly path: Path;
}

interface Checked<T> {
  readonly value: T;
  readonly findings: readonly Finding[];
}

/** The name of every aggregate's bucket column (and the time column of one built on it). */
export const BUCKET_COLUMN = 'bucket';

/** What an aggregate reads: the hypertable, a checked aggregate, or one that failed its checks. */
type Source =
  | { readonly kind: 'table' }
  | { readonly kind: 'aggregate'; readonly aggregate: ContinuousAggregate }
  | { readonly kind: 'unusable' };

const NUMERIC_TYPES: ReadonlySet<FieldType> = new Set<FieldType>([
  'smallint',
  'int',
  'bigint',
  'float',
  'real',
  'double',
  'decimal',
]);
/**
 * Types PostgreSQL has no min/max for (pg_aggregate lists numeric, string, date/time, inet,
 * enum types and arrays). Arrays of any field type compare element-wise, so they have one.
 */
const UNORDERED_TYPES: ReadonlySet<FieldType> = new Set<FieldType>([
  'boolean',
  'uuid',
  'json',
  'bytea',
]);

/** avg, sum and stddev read numbers. */
const NUMERIC_FUNCTIONS: ReadonlySet<AggregateFunction> = new Set<AggregateFunction>([
  'avg',
  'sum',
  'stddev',
]);

/**
 * Over an aggregate, the functions whose result equals the one over the raw rows, by the
 * function of the source column: min of mins, max of maxes, sum of sums, sum of counts,
 * first of firsts, last of lasts.
 */
const DERIVED: Readonly<Record<AggregateFunction, AggregateFunction | undefined>> = Object.freeze({
  min: 'min',
  max: 'max',
  sum: 'sum',
  count: 'sum',
  first: 'first',
  last: 'last',
  avg: undefined,
  stddev: undefined,
});

const DAY_MICROS = 86_400_000_000n;
const DURATION_UNITS: readonly (readonly [bigint, string])[] = [
  [DAY_MICROS, 'day'],
  [3_600_000_000n, 'hour'],
  [60_000_000n, 'minute'],
  [1_000_000n, 'second'],
  [1_000n, 'millisecond'],
  [1n, 'microsecond'],
];

/** A duration in microseconds as interval text (`29 days 23 hours`), for hints. */
function durationText(micros: bigint): string {
  const parts: string[] = [];
  let rest = micros;
  for (const [size, unit] of DURATION_UNITS) {
    const n = rest / size;
    rest %= size;
    if (n > 0n) parts.push(`${n} ${unit}${n === 1n ? '' : 's'}`);
  }
  return parts.length > 0 ? parts.join(' ') : '0 microseconds';
}

/** An amount as TimescaleDB compares them: microseconds (a month is 30 days) or units. */
function magnitude(a: TimeAmount): bigint {
  return a.kind === 'interval' ? a.interval.micros : a.value;
}

function magnitudeText(kind: TimeAmount['kind'], value: bigint): string {
  return kind === 'interval' ? durationText(value) : value.toString();
}

/** A month or year bucket: its width varies, unlike days, hours and shorter units. */
function isVariableWidth(a: TimeAmount): boolean {
  return a.kind === 'interval' && /\b(?:month|year)s?\b/.test(a.interval.text);
}

function hasFixedUnits(a: TimeAmount): boolean {
  return (
    a.kind === 'interval' &&
    /\b(?:week|day|hour|minute|second|millisecond|microsecond)s?\b/.test(a.interval.text)
  );
}

function hasSubDayUnits(a: TimeAmount): boolean {
  return (
    a.kind === 'interval' &&
    /\b(?:hour|minute|second|millisecond|microsecond)s?\b/.test(a.interval.text)
  );
}

function bucketOf(
  raw: RawAggregate,
  ctx: AggregateContext,
  path: Path,
): Checked<TimeAmount | undefined> {
  const at = [...path, 'bucket'];
  const col = ctx.timeColumn;
  const bucket = amountAt(raw.bucket, 'bucket', col, at);
  const value = bucket.value;
  if (value === undefined || col === undefined) return bucket;
  const findings: Finding[] = [];
  if (isVariableWidth(value) && hasFixedUnits(value)) {
    findings.push(
      specError(
        at,
        `bucket ${amountText(value)} mixes months with days or shorter units, which TimescaleDB refuses`,
        "use whole months or years (e.g. '1 month'), or a fixed width (e.g. '30 days')",
      ),
    );
  }
  if (col.type === 'date' && hasSubDayUnits(value)) {
    findings.push(
      specError(
        at,
        `bucket ${amountText(value)} is shorter than whole days, but time_column '${col.name}' is a date`,
        "time_bucket on a date takes days, weeks, months or years only: e.g. '1 day'",
      ),
    );
  }
  // The hierarchy's lowest aggregate says it once: every level reads the same column.
  if (raw.from === undefined && isIntegerTime(col.type) && col.unit === undefined) {
    findings.push(
      specError(
        at,
        `a continuous aggregate on integer time column '${col.name}' needs an integer-now function, which TimescaleDB cannot infer from the column`,
        INT_NOW_HINT,
      ),
    );
  }
  return { value: findings.length > 0 ? undefined : value, findings };
}

/**
 * TimescaleDB's rule for an aggregate on an aggregate: its bucket is at least the source's
 * and a multiple of it, a month counting as 30 days; a fixed width (days and shorter) is
 * refused on a month-based source, whose width varies.
 */
function bucketOnSourceFindings(
  bucket: TimeAmount,
  source: ContinuousAggregate,
  path: Path,
): Finding[] {
  const at = [...path, 'bucket'];
  const own = amountText(bucket);
  const theirs = amountText(source.bucket);
  if (isVariableWidth(source.bucket) && !isVariableWidth(bucket)) {
    return [
      specError(
        at,
        `bucket ${own} is a fixed width, but aggregate '${source.name}' has month-based buckets (${theirs}), which TimescaleDB refuses to build on`,
        `use a multiple of ${theirs} in months or years, or build on an aggregate with fixed-width buckets`,
      ),
    ];
  }
  const width = magnitude(bucket);
  const sourceWidth = magnitude(source.bucket);
  if (width >= sourceWidth && width % sourceWidth === 0n) return [];
  const smaller = width < sourceWidth;
  const next = ((width + sourceWidth - 1n) / sourceWidth) * sourceWidth;
  const month = isVariableWidth(bucket) ? ' (TimescaleDB counts a month as 30 days here)' : '';
  return [
    specError(
      at,
      smaller
        ? `bucket ${own} is smaller than the bucket of aggregate '${source.name}' (${theirs})`
        : `bucket ${own} is not a multiple of the bucket of aggregate '${source.name}' (${theirs})${month}`,
      `an aggregate on an aggregate combines whole buckets of it: use a multiple of ${theirs}, e.g. ${magnitudeText(bucket.kind, next)}`,
    ),
  ];
}

function groupByFindings(
  groupBy: readonly string[],
  source: Source,
  ctx: AggregateContext,
  path: Path,
): Finding[] {
  const at = [...path, 'group_by'];
  const findings: Finding[] = [];
  groupBy.forEach((column, k) => {
    if (column === BUCKET_COLUMN) {
      findings.push(
        specError(
          [...at, k],
          `group_by cannot name '${BUCKET_COLUMN}': it is the name of the aggregate's bucket column`,
          source.kind === 'aggregate'
            ? `the bucket of '${source.aggregate.name}' is grouped already, by this aggregate's own bucket`
            : `rename field '${BUCKET_COLUMN}' of model '${ctx.modelName}', or leave it out of group_by`,
        ),
      );
      return;
    }
    if (source.kind === 'table') {
      findings.push(...missingField(ctx, column, [...at, k], 'group_by column'));
      if (column === ctx.timeColumn?.name) {
        findings.push(
          specError(
            [...at, k],
            `group_by names the time column '${column}': the aggregate groups it into buckets already`,
            'remove it from group_by; the bucket column holds the start of each bucket',
          ),
        );
      }
    } else if (source.kind === 'aggregate' && !source.aggregate.groupBy.includes(column)) {
      const { name, groupBy: theirs } = source.aggregate;
      const near = closest(column, theirs);
      findings.push(
        specError(
          [...at, k],
          `group_by column '${column}' is not a group_by column of aggregate '${name}'`,
          theirs.length === 0
            ? `aggregate '${name}' groups by its bucket only, so an aggregate built on it can group by nothing else`
            : near === undefined
              ? `an aggregate on an aggregate groups by some of its group_by columns: ${theirs.join(', ')}`
              : `did you mean '${near}'?`,
        ),
      );
    }
  });
  return [...findings, ...repeated(groupBy, at, 'group_by')];
}

function typeText(field: RawField): string {
  const type = field.type ?? `sql_type ${field.sql_type ?? ''}`;
  return field.array ? `an array of ${type}` : type;
}

/** A function on a field of the model: does PostgreSQL have it for the field's type? */
function fieldTypeFindings(
  name: string,
  fn: AggregateFunction,
  argument: string,
  ctx: AggregateContext,
  at: Path,
): Finding[] {
  const field = ctx.fields.get(argument);
  // A sql_type field's aggregates are PostgreSQL's to decide; untyped ones are reported already.
  if (field?.type === undefined || ctx.untyped?.has(argument)) return [];
  if (NUMERIC_FUNCTIONS.has(fn) && (field.array || !NUMERIC_TYPES.has(field.type))) {
    const numeric = [...ctx.fields.values()]
      .filter((f) => f.type !== undefined && NUMERIC_TYPES.has(f.type) && !f.array)
      .map((f) => f.name);
    return [
      specError(
        at,
        `column '${name}': ${fn}() needs a numeric field; '${argument}' is ${typeText(field)}`,
        numeric.length > 0
          ? `use count, min, max, first or last on '${argument}', or ${fn}() of a numeric field: ${numeric.join(', ')}`
          : `use count, min, max, first or last on '${argument}'`,
      ),
    ];
  }
  if ((fn === 'min' || fn === 'max') && !field.array && UNORDERED_TYPES.has(field.type)) {
    return [
      specError(
        at,
        `column '${name}': PostgreSQL has no ${fn}() for ${field.type} fields like '${argument}'`,
        `use first(${argument}) or last(${argument}) (by time), or count(${argument})`,
      ),
    ];
  }
  return [];
}

/** The exact forms over a source column; none over avg and stddev columns. */
function derivableHint(source: ContinuousAggregate): string {
  const forms = source.columns.flatMap((c) => {
    const fn = DERIVED[c.function];
    return fn === undefined ? [] : [`${fn}(${c.name})`];
  });
  return forms.length > 0
    ? `over aggregate '${source.name}' these are exact: ${forms.join(', ')}`
    : `aggregate '${source.name}' has no column an aggregate can combine exactly (min, max, sum, count, first or last)`;
}

/** A column over an aggregate: the same result as over the raw rows, or refused. */
function derivedFindings(
  name: string,
  fn: AggregateFunction,
  argument: string | undefined,
  source: ContinuousAggregate,
  at: Path,
): Finding[] {
  const counts = source.columns.filter((c) => c.function === 'count').map((c) => c.name);
  const sumOfCounts =
    counts.length > 0
      ? `write sum(${counts[0]}) to add up the counts of '${source.name}'`
      : `add a count column to '${source.name}' (e.g. samples: count(*)) and write sum(samples) here`;
  if (argument === undefined) {
    return [
      specError(
        at,
        `column '${name}': count(*) over aggregate '${source.name}' counts its rows (one per bucket and group), not the raw rows`,
        sumOfCounts,
      ),
    ];
  }
  const column = source.columns.find((c) => c.name === argument);
  if (column === undefined) {
    const names = [...source.groupBy, ...source.columns.map((c) => c.name)];
    if (names.includes(argument) || argument === BUCKET_COLUMN) {
      return [
        specError(
          at,
          `column '${name}': ${fn}(${argument}) reads the ${argument === BUCKET_COLUMN ? 'bucket' : 'group_by'} column of aggregate '${source.name}', not one of its aggregated columns`,
          derivableHint(source),
        ),
      ];
    }
    const near = closest(argument, names);
    return [
      specError(
        at,
        `column '${name}': ${fn}() argument '${argument}' is not a column of aggregate '${source.name}'`,
        near === undefined
          ? `columns of '${source.name}': ${names.join(', ')}`
          : `did you mean '${near}'?`,
      ),
    ];
  }
  if (DERIVED[column.function] === fn) return [];
  const what = `${fn}(${argument}) over aggregate '${source.name}', whose '${argument}' is ${column.function}(${column.argument ?? '*'}),`;
  let hint = derivableHint(source);
  if (fn === 'avg') {
    const raw = column.argument ?? 'value';
    hint = `an average over buckets is not the average of the raw rows: add sum and count columns to '${source.name}' (e.g. ${raw}_sum: sum(${raw}), ${raw}_count: count(${raw})), sum each here and divide them when reading`;
  } else if (fn === 'count') {
    hint = sumOfCounts;
  } else if (fn === 'stddev') {
    hint = `a standard deviation cannot be combined from per-bucket values: compute it over the hypertable (an aggregate without from)`;
  }
  return [specError(at, `column '${name}': ${what} is not the ${fn} of the raw rows`, hint)];
}

function columnsOf(
  raw: RawAggregate,
  groupBy: readonly string[],
  source: Source,
  ctx: AggregateContext,
  path: Path,
): Checked<AggregateColumn[]> {
  const entries = Object.entries(raw.columns ?? {});
  if (entries.length === 0) {
    return {
      value: [],
      findings: [
        specError(
          raw.columns === undefined ? path : [...path, 'columns'],
          `aggregate '${raw.name}' has no columns`,
          'add output columns, e.g. `columns: { avg_temp: avg(temperature), samples: count(*) }`',
          raw.columns === undefined ? 'value' : 'key',
        ),
      ],
    };
  }
  const findings: Finding[] = [];
  const value: AggregateColumn[] = [];
  for (const [name, text] of entries) {
    const at = [...path, 'columns', name];
    if (name === BUCKET_COLUMN) {
      findings.push(
        specError(
          at,
          `column name '${BUCKET_COLUMN}' is taken by the aggregate's bucket column`,
          'choose another name for this column',
          'key',
        ),
      );
    } else if (groupBy.includes(name)) {
      findings.push(
        specError(
          at,
          `column name '${name}' is a group_by column, which the view has already`,
          `choose another name for this column, e.g. '${name}_${text.trim().split('(')[0] ?? 'value'}'`,
          'key',
        ),
      );
    }
    const call = parseAggregateCall(text);
    if (!call.ok) {
      findings.push(specError(at, `column '${name}': ${call.reason}`, AGGREGATE_CALL_HINT));
      continue;
    }
    const { function: fn, argument } = call;
    if (source.kind === 'table' && argument !== undefined) {
      const missing = missingField(ctx, argument, at, `${fn}() argument`);
      findings.push(...missing);
      if (missing.length === 0) findings.push(...fieldTypeFindings(name, fn, argument, ctx, at));
    } else if (source.kind === 'aggregate') {
      findings.push(...derivedFindings(name, fn, argument, source.aggregate, at));
    }
    value.push(
      Object.freeze(
        argument === undefined ? { name, function: fn } : { name, function: fn, argument },
      ),
    );
  }
  return { value, findings };
}

function refreshOf(
  raw: RawAggregateRefresh,
  bucket: TimeAmount | undefined,
  col: TimeColumn | undefined,
  path: Path,
): Checked<AggregateRefresh | undefined> {
  const at = [...path, 'refresh'];
  const start = amountAt(raw.start_offset, 'start_offset', col, [...at, 'start_offset']);
  const end = amountAt(raw.end_offset, 'end_offset', col, [...at, 'end_offset']);
  const schedule = parseInterval(raw.schedule_interval);
  const findings: Finding[] = [...start.findings, ...end.findings];
  if (!schedule.ok) {
    findings.push(
      specError(
        [...at, 'schedule_interval'],
        `schedule_interval: ${schedule.reason}`,
        schedule.hint,
      ),
    );
  }
  const s = start.value;
  const e = end.value;
  if (s !== undefined && e !== undefined) {
    const order = compareAmounts(s, e) ?? 0;
    if (order <= 0) {
      findings.push(
        specError(
          [...at, 'start_offset'],
          `refresh start_offset (${amountText(s)}) must be larger than end_offset (${amountText(e)}): a refresh covers from start_offset behind now up to end_offset behind now`,
          bucket === undefined
            ? 'start_offset is where the window starts, end_offset where it ends, both behind now: make start_offset the larger'
            : `start_offset is where the window starts, end_offset where it ends, both behind now: make start_offset at least ${magnitudeText(s.kind, magnitude(e) + 2n * magnitude(bucket))} (end_offset plus two buckets)`,
        ),
      );
    } else if (bucket !== undefined && magnitude(s) < magnitude(e) + 2n * magnitude(bucket)) {
      // TimescaleDB's policy check: end_offset + 2 buckets must not pass start_offset.
      const least = magnitudeText(s.kind, magnitude(e) + 2n * magnitude(bucket));
      findings.push(
        specError(
          [...at, 'start_offset'],
          `the refresh window from ${amountText(s)} to ${amountText(e)} behind now covers less than two buckets of ${amountText(bucket)}`,
          `TimescaleDB refuses a refresh policy whose window cannot hold a whole bucket at every run: make start_offset at least ${least}, or end_offset smaller`,
        ),
      );
    }
  }
  if (hasErrors(findings) || !schedule.ok) return { value: undefined, findings };
  return {
    value: Object.freeze({
      startOffset: s ?? null,
      endOffset: e ?? null,
      scheduleInterval: schedule.interval,
    }),
    findings,
  };
}

/**
 * How far back a refresh reaches as TimescaleDB counts it when it checks policies against
 * retention: start_offset, plus the schedule interval for intervals (a run may come that
 * much later); undefined when unbounded.
 */
function refreshReach(refresh: AggregateRefresh): bigint | undefined {
  const start = refresh.startOffset;
  if (start === null) return undefined;
  return start.kind === 'interval'
    ? start.interval.micros + refresh.scheduleInterval.micros
    : start.value;
}

function reachText(refresh: AggregateRefresh): string {
  const start = refresh.startOffset;
  if (start === null) return 'no start_offset (back to the oldest data)';
  return start.kind === 'interval'
    ? `start_offset ${amountText(start)} plus schedule_interval ${refresh.scheduleInterval.text}`
    : `start_offset ${amountText(start)}`;
}

function reachesPast(refresh: AggregateRefresh, dropAfter: TimeAmount): boolean {
  const reach = refreshReach(refresh);
  return reach === undefined || reach > magnitude(dropAfter);
}

/** What a refresh reads from, with its retention: the model's table or a `from` aggregate. */
export interface RetainedSource {
  readonly dropAfter: TimeAmount;
  /** 'model' or 'aggregate', and its name. */
  readonly kind: 'model' | 'aggregate';
  readonly name: string;
}

/**
 * A refresh over a range whose source rows were dropped deletes what was materialized
 * there: the message and fix, or undefined when `refresh` stays within `source`'s retention.
 */
export function refreshPastRetention(
  refresh: AggregateRefresh,
  source: RetainedSource,
): { readonly message: string; readonly onStartOffset: boolean } | undefined {
  const { dropAfter } = source;
  if (!reachesPast(refresh, dropAfter)) return undefined;
  const rows = source.kind === 'aggregate' ? 'source buckets' : 'raw rows';
  const fix =
    dropAfter.kind === 'interval' && refresh.startOffset?.kind === 'interval'
      ? `set start_offset to at most ${durationText(magnitude(dropAfter) - refresh.scheduleInterval.micros)} (drop_after minus schedule_interval)`
      : `set start_offset to at most ${amountText(dropAfter)}`;
  return {
    message: `the refresh reaches back past the retention of ${source.kind} '${source.name}' (drop_after ${amountText(dropAfter)}): ${reachText(refresh)}. A refresh over a range whose ${rows} were dropped deletes the buckets materialized there; ${fix}, or keep the source data longer`,
    onStartOffset: refresh.startOffset !== null,
  };
}

function sourceRetentionWarnings(
  refresh: AggregateRefresh | undefined,
  source: Source,
  ctx: AggregateContext,
  path: Path,
): Finding[] {
  const retained: RetainedSource | undefined =
    source.kind === 'table' && ctx.dropAfter !== undefined
      ? { kind: 'model', name: ctx.modelName, dropAfter: ctx.dropAfter }
      : source.kind === 'aggregate' && source.aggregate.retention !== undefined
        ? {
            kind: 'aggregate',
            name: source.aggregate.name,
            dropAfter: source.aggregate.retention.dropAfter,
          }
        : undefined;
  const past = refresh && retained ? refreshPastRetention(refresh, retained) : undefined;
  if (past === undefined) return [];
  return [
    specWarning(
      past.onStartOffset ? [...path, 'refresh', 'start_offset'] : [...path, 'refresh'],
      past.message,
      past.onStartOffset ? 'value' : 'key',
    ),
  ];
}

interface PolicyInput {
  readonly raw: RawAggregate;
  readonly groupBy: readonly string[];
  readonly refresh: AggregateRefresh | undefined;
  readonly path: Path;
}

function compressionOf(
  input: PolicyInput,
  ctx: AggregateContext,
): Checked<ContinuousAggregate['compression']> {
  const { raw, groupBy, refresh } = input;
  if (raw.compression === undefined) return { value: undefined, findings: [] };
  const at = [...input.path, 'compression'];
  const findings: Finding[] = [];
  const segmentBy = raw.compression.segment_by ?? groupBy;
  (raw.compression.segment_by ?? []).forEach((column, k) => {
    if (groupBy.includes(column)) return;
    const near = closest(column, groupBy);
    findings.push(
      specError(
        [...at, 'segment_by', k],
        `segment_by column '${column}' is not a group_by column of aggregate '${raw.name}'`,
        groupBy.length === 0
          ? `aggregate '${raw.name}' has no group_by column to segment by; remove segment_by`
          : near === undefined
            ? `segment by group_by columns: ${groupBy.join(', ')}`
            : `did you mean '${near}'?`,
      ),
    );
  });
  findings.push(...repeated(raw.compression.segment_by ?? [], [...at, 'segment_by'], 'segment_by'));
  const after = amountAt(raw.compression.after, 'after', ctx.timeColumn, [...at, 'after']);
  findings.push(...after.findings);
  // A refresh with problems of its own is reported there.
  if (raw.refresh === undefined || refresh !== undefined)
    findings.push(...policyOverlapFindings(after.value, refresh, raw.name, at));
  if (hasErrors(findings)) return { value: undefined, findings };
  return {
    value: Object.freeze({
      ...(after.value === undefined ? {} : { after: after.value }),
      segmentBy: Object.freeze([...segmentBy]),
    }),
    findings,
  };
}

/**
 * TimescaleDB before 2.28 adds a compression policy to an aggregate only when it has a
 * refresh policy, and before 2.19 only when `after` is past the refresh window's start:
 * a spec should migrate on every supported server.
 */
function policyOverlapFindings(
  after: TimeAmount | undefined,
  refresh: AggregateRefresh | undefined,
  name: string,
  at: Path,
): Finding[] {
  if (after === undefined) return [];
  const path = [...at, 'after'];
  const start = refresh?.startOffset;
  if (refresh === undefined) {
    return [
      specError(
        path,
        `a compression policy on aggregate '${name}' needs a refresh policy: TimescaleDB before 2.28 refuses one without it`,
        `add refresh with a start_offset smaller than ${amountText(after)}, or remove compression.after`,
      ),
    ];
  }
  if (start === null || start === undefined) {
    return [
      specError(
        path,
        `compression after ${amountText(after)} overlaps the refresh window of aggregate '${name}', which has no start_offset: TimescaleDB before 2.19 refuses a compression policy on buckets the refresh still rewrites`,
        `set refresh.start_offset smaller than ${amountText(after)}`,
      ),
    ];
  }
  if ((compareAmounts(after, start) ?? 1) > 0) return [];
  return [
    specError(
      path,
      `compression after (${amountText(after)}) must be larger than refresh start_offset (${amountText(start)}): TimescaleDB before 2.19 refuses a compression policy on buckets the refresh still rewrites`,
      `make after larger than ${amountText(start)}, or start_offset smaller than ${amountText(after)}`,
    ),
  ];
}

function retentionOf(
  input: PolicyInput,
  compressAfter: TimeAmount | undefined,
  ctx: AggregateContext,
): Checked<ContinuousAggregate['retention']> {
  const { raw, refresh } = input;
  if (raw.retention === undefined) return { value: undefined, findings: [] };
  const at = [...input.path, 'retention', 'drop_after'];
  const dropAfter = amountAt(raw.retention.drop_after, 'drop_after', ctx.timeColumn, at);
  const value = dropAfter.value;
  if (value === undefined) return { value: undefined, findings: dropAfter.findings };
  const warnings: Finding[] = [];
  if (refresh !== undefined && reachesPast(refresh, value)) {
    warnings.push(
      specWarning(
        at,
        `the refresh of aggregate '${raw.name}' reaches back past its own retention (${reachText(refresh)}, drop_after ${amountText(value)}): buckets retention drops are materialized again while the source still has their rows`,
      ),
    );
  }
  if (compressAfter !== undefined && (compareAmounts(compressAfter, value) ?? -1) >= 0) {
    warnings.push(
      specWarning(
        [...input.path, 'compression', 'after'],
        `compression after (${amountText(compressAfter)}) is not shorter than retention drop_after (${amountText(value)}) of aggregate '${raw.name}': buckets are dropped before they would be compressed`,
      ),
    );
  }
  return { value: Object.freeze({ dropAfter: value }), findings: warnings };
}

function aggregateOf(
  raw: RawAggregate,
  source: Source,
  ctx: AggregateContext,
  path: Path,
): Checked<ContinuousAggregate | undefined> {
  const groupBy = raw.group_by ?? [];
  const bucket = bucketOf(raw, ctx, path);
  const findings: Finding[] = [...bucket.findings];
  if (bucket.value !== undefined && source.kind === 'aggregate') {
    findings.push(...bucketOnSourceFindings(bucket.value, source.aggregate, path));
  }
  findings.push(...groupByFindings(groupBy, source, ctx, path));
  const columns = columnsOf(raw, groupBy, source, ctx, path);
  findings.push(...columns.findings);
  const refresh =
    raw.refresh === undefined
      ? undefined
      : refreshOf(raw.refresh, bucket.value, ctx.timeColumn, path);
  findings.push(...(refresh?.findings ?? []));
  const policy = { raw, groupBy, refresh: refresh?.value, path };
  const compression = compressionOf(policy, ctx);
  const retention = retentionOf(policy, compression.value?.after, ctx);
  findings.push(...compression.findings, ...retention.findings);
  findings.push(...sourceRetentionWarnings(refresh?.value, source, ctx, path));
  if (hasErrors(findings) || bucket.value === undefined) return { value: undefined, findings };
  const value: ContinuousAggregate = Object.freeze({
    name: raw.name,
    ...(raw.from === undefined ? {} : { from: raw.from }),
    bucket: bucket.value,
    groupBy: Object.freeze([...groupBy]),
    columns: Object.freeze(columns.value),
    ...(refresh?.value === undefined ? {} : { refresh: refresh.value }),
    realtime: raw.realtime,
    ...(compression.value === undefined ? {} : { compression: compression.value }),
    ...(retention.value === undefined ? {} : { retention: retention.value }),
  });
  return { value, findings };
}

/**
 * Where each aggregate's `from` leads: the index of its source, or a finding (unknown
 * name, itself, a cycle). An aggregate whose source is refused is checked without it.
 */
function sourcesOf(
  raws: readonly RawAggregate[],
  path: Path,
): { sources: (number | 'table' | 'unusable')[]; findings: Finding[] } {
  const byName = new Map<string, number>();
  raws.forEach((r, k) => {
    if (!byName.has(r.name)) byName.set(r.name, k);
  });
  const findings: Finding[] = [];
  const direct = raws.map((r, k): number | 'table' | 'unusable' => {
    if (r.from === undefined) return 'table';
    const at = [...path, k, 'from'];
    if (r.from === r.name) {
      findings.push(
        specError(
          at,
          `aggregate '${r.name}' is built on itself`,
          'name another aggregate of this model in from, or leave from out to read the hypertable',
        ),
      );
      return 'unusable';
    }
    const target = byName.get(r.from);
    if (target === undefined) {
      const names = raws.map((a) => a.name).filter((n) => n !== r.name);
      const near = closest(r.from, names);
      findings.push(
        specError(
          at,
          `from '${r.from}' is not an aggregate of this model`,
          near !== undefined
            ? `did you mean '${near}'?`
            : names.length > 0
              ? `aggregates of this model: ${names.join(', ')}`
              : 'from names another entry of timeseries.aggregates; leave it out to read the hypertable',
        ),
      );
      return 'unusable';
    }
    return target;
  });
  // Each aggregate has one source at most, so a cycle is found by following `from`.
  const inCycle = new Set<number>();
  direct.forEach((first, k) => {
    const chain = [k];
    let next = first;
    while (typeof next === 'number' && !chain.includes(next)) {
      chain.push(next);
      next = direct[next] ?? 'unusable';
    }
    if (next !== k) return;
    inCycle.add(k);
    const names = [...chain, k].map((j) => raws[j]?.name ?? '').join(' → ');
    findings.push(
      specError(
        [...path, k, 'from'],
        `aggregates built on each other form a cycle: ${names}`,
        'the lowest aggregate of a hierarchy reads the hypertable: leave from out on one of them',
      ),
    );
  });
  return { sources: direct.map((s, k) => (inCycle.has(k) ? 'unusable' : s)), findings };
}

/** Sources before the aggregates built on them; otherwise as listed. */
function dependencyOrder(sources: readonly (number | 'table' | 'unusable')[]): number[] {
  const order: number[] = [];
  const visit = (k: number, seen: Set<number>): void => {
    if (order.includes(k) || seen.has(k)) return;
    seen.add(k);
    const s = sources[k];
    if (typeof s === 'number') visit(s, seen);
    order.push(k);
  };
  sources.forEach((_, k) => visit(k, new Set()));
  return order;
}

/** The entries of `timeseries.aggregates`, checked and normalized. */
export function checkAggregates(
  raws: readonly RawAggregate[],
  ctx: AggregateContext,
): Checked<ContinuousAggregate[]> {
  const names = raws.map((r, k) => ({ name: r.name, k }));
  const findings: Finding[] = names.flatMap(({ name, k }) => {
    const first = raws.findIndex((r) => r.name === name);
    return first < k
      ? [
          duplicateError(
            [...ctx.path, k, 'name'],
            [...ctx.path, first, 'name'],
            `duplicate aggregate name '${name}'`,
            'each aggregate needs its own name',
          ),
        ]
      : [];
  });
  const { sources, findings: sourceFindings } = sourcesOf(raws, ctx.path);
  findings.push(...sourceFindings);
  const order = dependencyOrder(sources);
  const checked = new Map<number, ContinuousAggregate | undefined>();
  const perAggregate = new Map<number, readonly Finding[]>();
  for (const k of order) {
    const s = sources[k];
    const sourceValue = typeof s === 'number' ? checked.get(s) : undefined;
    const source: Source =
      s === 'table'
        ? { kind: 'table' }
        : sourceValue === undefined
          ? { kind: 'unusable' }
          : { kind: 'aggregate', aggregate: sourceValue };
    const result = aggregateOf(raws[k] as RawAggregate, source, ctx, [...ctx.path, k]);
    checked.set(k, result.value);
    perAggregate.set(k, result.findings);
  }
  // Findings in the order the aggregates are written.
  raws.forEach((_, k) => findings.push(...(perAggregate.get(k) ?? [])));
  const value = order.flatMap((k) => {
    const aggregate = checked.get(k);
    return aggregate === undefined ? [] : [aggregate];
  });
  return { value, findings };
}

/**
 * An aggregate's refresh policy in one environment: `raw` (its refresh with the
 * environment's values over it) checked as the aggregate's own is — offsets, a window of at
 * least two buckets — and against the aggregate's compression policy. `path` is the
 * aggregate's entry in the environment; findings point under `[...path, 'refresh']`.
 */
export function checkRefreshInEnvironment(
  raw: RawAggregateRefresh,
  aggregate: ContinuousAggregate,
  timeColumn: TimeColumn | undefined,
  path: Path,
): Checked<AggregateRefresh | undefined> {
  const refresh = refreshOf(raw, aggregate.bucket, timeColumn, path);
  if (refresh.value === undefined) return refresh;
  const overlap = policyOverlapFindings(
    aggregate.compression?.after,
    refresh.value,
    aggregate.name,
    [...path, 'refresh'],
  );
  const findings = [...refresh.findings, ...overlap];
  return { value: hasErrors(findings) ? undefined : refresh.value, findings };
}
