/**
 * Live schema × desired schema → the differences, each as data and as the change to the
 * live database that would remove it. Pure. Drift (`check`) and `pull`'s round trip use
 * it; what a live table holds that prism.yaml cannot state (`Table.unsupported`) is left
 * alone.
 */
import { amountText, sameAmount } from '../spec/time-amount.js';
import type { AggregateRefresh, TimeAmount } from '../spec/types.js';
import { aggregateCallText } from '../sql/aggregate-call.js';
import { describeDefault, sameDefault, sqlString } from './defaults.js';
import { termText } from './compile.js';
import type {
  Aggregate,
  Column,
  CompressionSettings,
  EnumCheck,
  ForeignKey,
  Hypertable,
  Index,
  PrimaryKey,
  Schema,
  SpacePartitioning,
  Table,
} from './types.js';
import { DEFAULT_SCHEMA } from './types.js';
import type { TableName } from '../sql/quote.js';

export const DIFFERENCE_KINDS = Object.freeze([
  'table',
  'column',
  'columnType',
  'nullability',
  'default',
  'identity',
  'primaryKey',
  'check',
  'index',
  'foreignKey',
  'hypertable',
  'timeColumn',
  'chunkInterval',
  'integerNow',
  'compression',
  'compressionSegmentBy',
  'compressionOrderBy',
  'compressionChunkInterval',
  'compressionSparseIndexes',
  'compressionPolicy',
  'retentionPolicy',
  'partitioning',
  'reorderPolicy',
  'aggregate',
  'aggregateDefinition',
  'aggregateRealtime',
  'aggregateRefreshPolicy',
  'aggregateCompression',
  'aggregateCompressionPolicy',
  'aggregateRetentionPolicy',
] as const);
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export interface SchemaDifference {
  readonly kind: DifferenceKind;
  /**
   * The table's name (qualified when it is not in the default schema); for the aggregate
   * kinds, the aggregate's.
   */
  readonly table: string;
  /** What differs: `column value`, `index reading_source_idx`, `retention policy`. */
  readonly what: string;
  /** What the desired schema has, or `absent`. */
  readonly expected: string;
  /** What the live database has, or `missing`. */
  readonly actual: string;
  /** The change to the live database that removes the difference. */
  readonly change: string;
}

export interface CompareOptions {
  /** Report live tables the desired schema does not have (a whole-schema comparison). */
  readonly extraTables?: boolean | undefined;
  /**
   * Report live aggregates the desired schema does not have, as drift does for those of
   * the spec's tables (implied by `extraTables`).
   */
  readonly extraAggregates?: boolean | undefined;
}

function tableLabel(t: Table): string {
  return t.schema === 'public' ? t.name : `${t.schema}.${t.name}`;
}

function columnText(c: Column): string {
  const parts = [c.type, c.notNull ? 'NOT NULL' : 'NULL'];
  if (c.default !== undefined) parts.push(`DEFAULT ${describeDefault(c.default)}`);
  if (c.identity !== undefined) parts.push(`GENERATED ${c.identity.toUpperCase()} AS IDENTITY`);
  return parts.join(' ');
}

function indexText(i: Index): string {
  const include = i.include?.length ? ` include (${i.include.join(', ')})` : '';
  const where = i.where === undefined ? '' : ` where ${i.where}`;
  return `${i.unique ? 'unique ' : ''}${i.method} on (${i.columns.map(termText).join(', ')})${include}${where}`;
}

function checkText(c: EnumCheck): string {
  return `${c.column} IN (${c.values.map(sqlString).join(', ')})`;
}

function keyText(k: PrimaryKey | undefined): string {
  return k === undefined ? 'none' : `${k.name} (${k.columns.join(', ')})`;
}

function same<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => eq(x, b[i] as T));
}

const sameText = (a: string, b: string): boolean => a === b;

function sameIndex(a: Index, b: Index): boolean {
  return (
    a.method === b.method &&
    a.unique === b.unique &&
    same(a.columns.map(termText), b.columns.map(termText), sameText) &&
    a.where === b.where &&
    same(a.include ?? [], b.include ?? [], sameText)
  );
}

function sameKey(a: PrimaryKey | undefined, b: PrimaryKey | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.name === b.name && same(a.columns, b.columns, sameText);
}

/** Lists the items of two named collections: missing, extra and changed, by name. */
function byName<T extends { readonly name: string }>(
  live: readonly T[],
  desired: readonly T[],
  eq: (a: T, b: T) => boolean,
): { missing: T[]; extra: T[]; changed: [T, T][] } {
  const liveByName = new Map(live.map((x) => [x.name, x]));
  const desiredNames = new Set(desired.map((x) => x.name));
  const missing: T[] = [];
  const changed: [T, T][] = [];
  for (const d of desired) {
    const l = liveByName.get(d.name);
    if (l === undefined) missing.push(d);
    else if (!eq(l, d)) changed.push([l, d]);
  }
  return { missing, extra: live.filter((l) => !desiredNames.has(l.name)), changed };
}

class Differences {
  readonly list: SchemaDifference[] = [];
  constructor(private readonly table: string) {}
  add(kind: DifferenceKind, what: string, expected: string, actual: string, change: string): void {
    this.list.push(Object.freeze({ kind, table: this.table, what, expected, actual, change }));
  }
}

function compareColumns(out: Differences, table: string, live: Table, desired: Table): void {
  const { missing, extra, changed } = byName(live.columns, desired.columns, () => false);
  for (const c of missing) {
    out.add(
      'column',
      `column ${c.name}`,
      columnText(c),
      'missing',
      `add column ${table}.${c.name} ${columnText(c)}`,
    );
  }
  for (const [l, d] of changed) {
    const at = `${table}.${d.name}`;
    if (l.type !== d.type) {
      out.add(
        'columnType',
        `column ${d.name} type`,
        d.type,
        l.type,
        `alter column ${at} to type ${d.type}`,
      );
    }
    if (l.notNull !== d.notNull) {
      out.add(
        'nullability',
        `column ${d.name} nullability`,
        d.notNull ? 'NOT NULL' : 'nullable',
        l.notNull ? 'NOT NULL' : 'nullable',
        d.notNull ? `set ${at} NOT NULL` : `drop NOT NULL of ${at}`,
      );
    }
    if (!sameDefault(d.type, l.default, d.default)) {
      out.add(
        'default',
        `column ${d.name} default`,
        d.default === undefined ? 'none' : describeDefault(d.default),
        l.default === undefined ? 'none' : describeDefault(l.default),
        d.default === undefined
          ? `drop the default of ${at}`
          : `set the default of ${at} to ${describeDefault(d.default)}`,
      );
    }
    if (l.identity !== d.identity) {
      out.add(
        'identity',
        `column ${d.name} identity`,
        d.identity ?? 'none',
        l.identity ?? 'none',
        d.identity === undefined
          ? `drop the identity of ${at}`
          : `make ${at} GENERATED ${d.identity.toUpperCase()} AS IDENTITY`,
      );
    }
  }
  for (const c of extra) {
    out.add(
      'column',
      `column ${c.name}`,
      'absent (not in the spec)',
      'present',
      `drop column ${table}.${c.name}`,
    );
  }
}

function compareChecks(out: Differences, table: string, live: Table, desired: Table): void {
  const eq = (a: EnumCheck, b: EnumCheck) =>
    a.column === b.column && same(a.values, b.values, sameText);
  const { missing, extra, changed } = byName(live.checks, desired.checks, eq);
  for (const c of missing) {
    out.add(
      'check',
      `check ${c.name}`,
      checkText(c),
      'missing',
      `add CHECK ${c.name} on ${table}: ${checkText(c)}`,
    );
  }
  for (const [l, d] of changed) {
    out.add(
      'check',
      `check ${d.name}`,
      checkText(d),
      checkText(l),
      `replace CHECK ${d.name} on ${table} with ${checkText(d)}`,
    );
  }
  for (const c of extra) {
    out.add(
      'check',
      `check ${c.name}`,
      'absent (not in the spec)',
      checkText(c),
      `drop CHECK ${c.name} of ${table}`,
    );
  }
}

function compareIndexes(out: Differences, table: string, live: Table, desired: Table): void {
  const { missing, extra, changed } = byName(live.indexes, desired.indexes, sameIndex);
  for (const i of missing) {
    out.add(
      'index',
      `index ${i.name}`,
      indexText(i),
      'missing',
      `create index ${i.name} on ${table}: ${indexText(i)}`,
    );
  }
  for (const [l, d] of changed) {
    out.add(
      'index',
      `index ${d.name}`,
      indexText(d),
      indexText(l),
      `recreate index ${d.name} on ${table} as ${indexText(d)}`,
    );
  }
  for (const i of extra) {
    out.add(
      'index',
      `index ${i.name}`,
      'absent (not in the spec)',
      indexText(i),
      `drop index ${i.name} of ${table}`,
    );
  }
}

function foreignKeyText(k: ForeignKey): string {
  const r = k.references;
  const target = r.schema === 'public' ? r.table : `${r.schema}.${r.table}`;
  const actions = [
    k.onDelete === 'no action' ? '' : ` ON DELETE ${k.onDelete.toUpperCase()}`,
    k.onUpdate === 'no action' ? '' : ` ON UPDATE ${k.onUpdate.toUpperCase()}`,
  ].join('');
  return `(${k.column}) REFERENCES ${target} (${r.column})${actions}`;
}

function compareForeignKeys(out: Differences, table: string, live: Table, desired: Table): void {
  const eq = (a: ForeignKey, b: ForeignKey) => foreignKeyText(a) === foreignKeyText(b);
  const { missing, extra, changed } = byName(live.foreignKeys ?? [], desired.foreignKeys ?? [], eq);
  for (const k of missing) {
    const text = foreignKeyText(k);
    out.add(
      'foreignKey',
      `foreign key ${k.name}`,
      text,
      'missing',
      `add foreign key ${k.name} on ${table}: ${text}`,
    );
  }
  for (const [l, d] of changed) {
    out.add(
      'foreignKey',
      `foreign key ${d.name}`,
      foreignKeyText(d),
      foreignKeyText(l),
      `replace foreign key ${d.name} on ${table} with ${foreignKeyText(d)}`,
    );
  }
  for (const k of extra) {
    out.add(
      'foreignKey',
      `foreign key ${k.name}`,
      'absent (not in the spec)',
      foreignKeyText(k),
      `drop foreign key ${k.name} of ${table}`,
    );
  }
}

function compressionText(c: CompressionSettings | undefined): string {
  if (c === undefined) return 'disabled';
  return 'enabled';
}

function segmentText(c: CompressionSettings | undefined): string {
  return (c?.segmentBy ?? []).join(',') || 'none';
}

function orderText(c: CompressionSettings | undefined): string {
  return (c?.orderBy ?? []).map(termText).join(',') || 'default';
}

function policyText(key: string, amount: TimeAmount | undefined): string {
  return amount === undefined ? 'none' : `${key} ${amountText(amount)}`;
}

function comparePolicy(
  out: Differences,
  kind: 'compressionPolicy' | 'retentionPolicy',
  table: string,
  live: TimeAmount | undefined,
  desired: TimeAmount | undefined,
  plain: boolean,
): void {
  if (sameAmount(live, desired)) return;
  const [label, key] =
    kind === 'compressionPolicy' ? ['compression', 'compress_after'] : ['retention', 'drop_after'];
  out.add(
    kind,
    `${label} policy`,
    policyText(key, desired),
    plain ? 'none (plain table)' : live === undefined ? 'none (removed?)' : policyText(key, live),
    desired === undefined
      ? `remove the ${label} policy of ${table}`
      : live === undefined
        ? `add a ${label} policy to ${table} (${policyText(key, desired)})`
        : `replace the ${label} policy of ${table} (${policyText(key, desired)})`,
  );
}

function compareHypertable(out: Differences, table: string, live: Table, desired: Table): void {
  const d = desired.hypertable;
  const l = live.hypertable;
  if (d === undefined) {
    if (l !== undefined) {
      out.add(
        'hypertable',
        'hypertable',
        'plain table',
        `hypertable on ${l.timeColumn}`,
        `turn ${table} back into a plain table`,
      );
    }
    return;
  }
  if (l === undefined) {
    out.add(
      'hypertable',
      'hypertable',
      `hypertable on ${d.timeColumn}`,
      'plain table',
      `make ${table} a hypertable on ${d.timeColumn}`,
    );
    if (d.compression) {
      out.add(
        'compression',
        'compression',
        'enabled',
        'none (plain table)',
        `enable compression on ${table}`,
      );
    }
    comparePolicy(out, 'compressionPolicy', table, undefined, d.compressAfter, true);
    comparePolicy(out, 'retentionPolicy', table, undefined, d.dropAfter, true);
    compareReorder(out, table, undefined, d.reorderIndex, true);
    return;
  }
  compareDimension(out, table, l, d);
  if (Boolean(l.compression) !== Boolean(d.compression)) {
    out.add(
      'compression',
      'compression',
      compressionText(d.compression),
      compressionText(l.compression),
      d.compression ? `enable compression on ${table}` : `disable compression on ${table}`,
    );
  } else if (l.compression && d.compression) {
    if (!same(l.compression.segmentBy, d.compression.segmentBy, sameText)) {
      out.add(
        'compressionSegmentBy',
        'compression segment_by',
        segmentText(d.compression),
        segmentText(l.compression),
        `set compression segment_by of ${table} to ${segmentText(d.compression)}`,
      );
    }
    if (!same(l.compression.orderBy.map(termText), d.compression.orderBy.map(termText), sameText)) {
      out.add(
        'compressionOrderBy',
        'compression order_by',
        orderText(d.compression),
        orderText(l.compression),
        `set compression order_by of ${table} to ${orderText(d.compression)}`,
      );
    }
    if (!sameAmount(l.compression.chunkInterval, d.compression.chunkInterval)) {
      const text = (c: CompressionSettings): string =>
        c.chunkInterval ? amountText(c.chunkInterval) : 'none';
      out.add(
        'compressionChunkInterval',
        'compression chunk_interval',
        text(d.compression),
        text(l.compression),
        `set compression chunk_interval of ${table} to ${text(d.compression)}`,
      );
    }
    const sparse = (c: CompressionSettings): string =>
      (c.sparseIndexes ?? []).map((i) => `${i.type}(${i.column})`).join(', ') || 'none';
    if (sparse(l.compression) !== sparse(d.compression)) {
      out.add(
        'compressionSparseIndexes',
        'compression sparse_indexes',
        sparse(d.compression),
        sparse(l.compression),
        `set the sparse indexes of ${table} to ${sparse(d.compression)}`,
      );
    }
  }
  comparePolicy(out, 'compressionPolicy', table, l.compressAfter, d.compressAfter, false);
  comparePolicy(out, 'retentionPolicy', table, l.dropAfter, d.dropAfter, false);
  if ((l.createDefaultIndexes ?? true) !== (d.createDefaultIndexes ?? true)) {
    const text = (on: boolean) => (on ? `btree on (${d.timeColumn} DESC)` : 'none');
    const wanted = d.createDefaultIndexes !== false;
    out.add(
      'index',
      "TimescaleDB's default time index",
      text(wanted),
      text(!wanted),
      wanted
        ? `create TimescaleDB's default index on ${table} (${d.timeColumn} DESC)`
        : `drop TimescaleDB's default index on ${table} (${d.timeColumn} DESC)`,
    );
  }
  compareReorder(out, table, l.reorderIndex, d.reorderIndex, false);
}

function partitioningText(p: SpacePartitioning | undefined): string {
  return p === undefined ? 'none' : `${p.column} into ${p.partitions} partitions`;
}

function comparePartitioning(out: Differences, table: string, l: Hypertable, d: Hypertable): void {
  const lp = l.partitioning;
  const dp = d.partitioning;
  if (lp?.column === dp?.column && lp?.partitions === dp?.partitions) return;
  out.add(
    'partitioning',
    'space partitioning',
    partitioningText(dp),
    partitioningText(lp),
    dp !== undefined && lp?.column === dp.column
      ? `set the number of partitions of ${table} to ${dp.partitions} (new chunks only)`
      : `rebuild ${table} with ${dp === undefined ? 'no space partitioning' : `space partitioning on ${dp.column}`}: TimescaleDB cannot remove or move a dimension`,
  );
}

function compareReorder(
  out: Differences,
  table: string,
  live: string | undefined,
  desired: string | undefined,
  plain: boolean,
): void {
  if (live === desired) return;
  out.add(
    'reorderPolicy',
    'reorder policy',
    desired === undefined ? 'none' : `by index ${desired}`,
    plain ? 'none (plain table)' : live === undefined ? 'none (removed?)' : `by index ${live}`,
    desired === undefined
      ? `remove the reorder policy of ${table}`
      : live === undefined
        ? `add a reorder policy to ${table} (index ${desired})`
        : `replace the reorder policy of ${table} (index ${desired})`,
  );
}

function compareDimension(out: Differences, table: string, l: Hypertable, d: Hypertable): void {
  if (l.timeColumn !== d.timeColumn) {
    out.add(
      'timeColumn',
      'time column',
      d.timeColumn,
      l.timeColumn,
      `partition ${table} by ${d.timeColumn}`,
    );
  }
  comparePartitioning(out, table, l, d);
  if (d.chunkInterval !== undefined && !sameAmount(l.chunkInterval, d.chunkInterval)) {
    const expected = amountText(d.chunkInterval);
    out.add(
      'chunkInterval',
      'chunk interval',
      expected,
      l.chunkInterval === undefined ? 'none' : amountText(l.chunkInterval),
      `set the chunk interval of ${table} to ${expected} (new chunks only)`,
    );
  }
  const wanted = d.integerNow;
  if (wanted !== undefined && (l.integerNow === undefined || l.integerNow.unit !== wanted.unit)) {
    out.add(
      'integerNow',
      'integer-now function',
      `${wanted.function} (${wanted.unit ?? 'unknown unit'})`,
      l.integerNow === undefined
        ? 'none'
        : `${l.integerNow.function} (${l.integerNow.unit ?? 'not made by prism-migrate'})`,
      `set the integer-now function of ${table} to ${wanted.function}`,
    );
  }
}

/** The differences of one table; `live` undefined when the database lacks it. */
export function compareTables(live: Table | undefined, desired: Table): SchemaDifference[] {
  const table = tableLabel(desired);
  const out = new Differences(table);
  if (live === undefined) {
    out.add('table', 'table', `table ${table}`, 'missing', `create table ${table}`);
    return out.list;
  }
  compareColumns(out, table, live, desired);
  if (!sameKey(live.primaryKey, desired.primaryKey)) {
    out.add(
      'primaryKey',
      'primary key',
      keyText(desired.primaryKey),
      keyText(live.primaryKey),
      desired.primaryKey === undefined
        ? `drop the primary key of ${table}`
        : live.primaryKey !== undefined &&
            same(live.primaryKey.columns, desired.primaryKey.columns, sameText)
          ? `rename the primary key ${live.primaryKey.name} of ${table} to ${desired.primaryKey.name}`
          : `set the primary key of ${table} to (${desired.primaryKey.columns.join(', ')})`,
    );
  }
  compareChecks(out, table, live, desired);
  compareIndexes(out, table, live, desired);
  compareForeignKeys(out, table, live, desired);
  compareHypertable(out, table, live, desired);
  return out.list;
}

function aggregateLabel(a: Pick<Aggregate, 'schema' | 'name'>): string {
  return a.schema === DEFAULT_SCHEMA ? a.name : `${a.schema}.${a.name}`;
}

/**
 * What defines an aggregate's view, as one line: `1 hour buckets of readings.recorded_at
 * by sensor: avg_temp avg(temperature), samples count(*)`.
 */
export function aggregateDefinitionText(a: Aggregate): string {
  const source = `${a.source.kind === 'aggregate' ? 'aggregate ' : ''}${a.source.name}.${a.source.timeColumn}`;
  const by = a.groupBy.length > 0 ? ` by ${a.groupBy.join(', ')}` : '';
  const columns = a.columns.map((c) => `${c.name} ${aggregateCallText(c)}`).join(', ');
  return `${amountText(a.bucket)} buckets of ${source}${by}: ${columns}`;
}

/** `start_offset 30 days, end_offset 1 hour, schedule_interval 30 minutes`, or `none`. */
export function refreshText(r: AggregateRefresh | undefined): string {
  if (r === undefined) return 'none';
  const offset = (a: TimeAmount | null): string => (a === null ? 'none' : amountText(a));
  return `start_offset ${offset(r.startOffset)}, end_offset ${offset(r.endOffset)}, schedule_interval ${r.scheduleInterval.text}`;
}

function sameOffset(a: TimeAmount | null, b: TimeAmount | null): boolean {
  return a === null || b === null ? a === b : sameAmount(a, b);
}

function sameRefresh(a: AggregateRefresh | undefined, b: AggregateRefresh | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    sameOffset(a.startOffset, b.startOffset) &&
    sameOffset(a.endOffset, b.endOffset) &&
    a.scheduleInterval.micros === b.scheduleInterval.micros
  );
}

/**
 * Same view: source, bucket (by its text: `1 month` and `30 days` bucket differently),
 * group columns and output columns in order.
 */
function sameDefinition(a: Aggregate, b: Aggregate): boolean {
  return (
    a.source.kind === b.source.kind &&
    a.source.name === b.source.name &&
    a.source.timeColumn === b.source.timeColumn &&
    a.bucket.kind === b.bucket.kind &&
    amountText(a.bucket) === amountText(b.bucket) &&
    aggregateDefinitionText(a) === aggregateDefinitionText(b)
  );
}

const FORM_TEXT: Readonly<Record<NonNullable<Aggregate['form']>, string>> = Object.freeze({
  continuous: 'continuous aggregate',
  'materialized view': 'materialized view (standing in for a continuous aggregate)',
  view: 'view (standing in for a continuous aggregate)',
});

/**
 * The differences of one aggregate; `live` undefined when the database lacks it. A
 * desired `form` (what this server makes of it) is compared too; left out, any form is
 * the aggregate. A degraded form has no policies or compression to compare: the desired
 * aggregate says so by having none (see `expectedOn` of drift).
 */
export function compareAggregates(
  live: Aggregate | undefined,
  desired: Aggregate,
): SchemaDifference[] {
  const name = aggregateLabel(desired);
  const out = new Differences(name);
  const definition = aggregateDefinitionText(desired);
  if (live === undefined) {
    out.add(
      'aggregate',
      'aggregate',
      desired.form === undefined
        ? `aggregate ${definition}`
        : `${FORM_TEXT[desired.form]} ${definition}`,
      'missing',
      `create the aggregate ${name} (${definition})`,
    );
    return out.list;
  }
  if (desired.form !== undefined && live.form !== undefined && desired.form !== live.form) {
    out.add(
      'aggregate',
      'aggregate form',
      FORM_TEXT[desired.form],
      FORM_TEXT[live.form],
      `recreate ${name} as a ${FORM_TEXT[desired.form].replace(/ \(.*\)$/, '')}`,
    );
  }
  if (!sameDefinition(live, desired)) {
    out.add(
      'aggregateDefinition',
      'aggregate definition',
      definition,
      aggregateDefinitionText(live),
      `drop ${name} and create it again as ${definition}, then refresh it`,
    );
  }
  const degraded = live.form === 'view' || live.form === 'materialized view';
  // Between degraded forms, realtime is the form (a view or a materialized view): said above.
  const formSaysIt = degraded && desired.form !== undefined && desired.form !== 'continuous';
  if (live.realtime !== desired.realtime && !formSaysIt) {
    const text = (on: boolean): string => (on ? 'realtime' : 'materialized only');
    out.add(
      'aggregateRealtime',
      'aggregate realtime',
      text(desired.realtime),
      text(live.realtime),
      `set timescaledb.materialized_only of ${name} to ${String(!desired.realtime)}`,
    );
  }
  if (!sameRefresh(live.refresh, desired.refresh)) {
    out.add(
      'aggregateRefreshPolicy',
      'refresh policy',
      refreshText(desired.refresh),
      live.refresh === undefined ? 'none (removed?)' : refreshText(live.refresh),
      desired.refresh === undefined
        ? `remove the refresh policy of ${name}`
        : live.refresh === undefined
          ? `add a refresh policy to ${name} (${refreshText(desired.refresh)})`
          : `replace the refresh policy of ${name} (${refreshText(desired.refresh)})`,
    );
  }
  const segments = (a: Aggregate): string =>
    a.compression === undefined
      ? 'disabled'
      : `segment_by ${a.compression.segmentBy.join(',') || 'none'}`;
  if (segments(live) !== segments(desired)) {
    out.add(
      'aggregateCompression',
      'aggregate compression',
      segments(desired),
      segments(live),
      desired.compression === undefined
        ? `disable compression on ${name}`
        : `enable compression on ${name} (${segments(desired)})`,
    );
  }
  for (const [kind, label, key, l, d] of [
    [
      'aggregateCompressionPolicy',
      'compression',
      'compress_after',
      live.compressAfter,
      desired.compressAfter,
    ],
    ['aggregateRetentionPolicy', 'retention', 'drop_after', live.dropAfter, desired.dropAfter],
  ] as const) {
    if (sameAmount(l, d)) continue;
    out.add(
      kind,
      `${label} policy`,
      policyText(key, d),
      l === undefined ? 'none (removed?)' : policyText(key, l),
      d === undefined
        ? `remove the ${label} policy of ${name}`
        : l === undefined
          ? `add a ${label} policy to ${name} (${policyText(key, d)})`
          : `replace the ${label} policy of ${name} (${policyText(key, d)})`,
    );
  }
  return out.list;
}

/** A live aggregate the desired schema does not have. */
export function extraAggregate(live: Aggregate): SchemaDifference {
  const name = aggregateLabel(live);
  return Object.freeze({
    kind: 'aggregate' as const,
    table: name,
    what: 'aggregate',
    expected: 'absent (not in the spec)',
    actual: `${FORM_TEXT[live.form ?? 'continuous'].replace(/ \(.*\)$/, '')} ${aggregateDefinitionText(live)}`,
    change: `drop the aggregate ${name}`,
  });
}

/**
 * The live aggregate each desired one is: in its own schema, or for one of `public` in
 * the schema where its model's table was found (`tableSchema`), as tables are matched.
 */
export function liveAggregateOf(
  live: readonly Aggregate[],
  tableSchema: (desired: Aggregate) => string | undefined,
): (d: Aggregate) => Aggregate | undefined {
  return (d) => {
    const schema = d.schema === DEFAULT_SCHEMA ? (tableSchema(d) ?? d.schema) : d.schema;
    return live.find((a) => a.name === d.name && a.schema === schema);
  };
}

/**
 * How to read the desired tables from a database: a table of `public` unqualified (the
 * connection's search_path finds it, as the migrations' unqualified names do), any other
 * in its schema.
 */
export function liveSelection(desired: readonly Table[]): (string | TableName)[] {
  return desired.map((t) =>
    t.schema === DEFAULT_SCHEMA ? t.name : { schema: t.schema, name: t.name },
  );
}

/**
 * The live table each desired one is: one in its own schema; for one of `public`, the
 * table of that name outside the schemas other desired tables name.
 */
export function liveTableOf(
  live: readonly Table[],
  desired: readonly Table[],
): (d: Table) => Table | undefined {
  const named = new Set(desired.map((t) => t.schema).filter((s) => s !== DEFAULT_SCHEMA));
  return (d) =>
    d.schema === DEFAULT_SCHEMA
      ? live.find((t) => t.name === d.name && !named.has(t.schema))
      : live.find((t) => t.name === d.name && t.schema === d.schema);
}

/**
 * Every difference between a live schema and the desired one. Tables are matched by name
 * and schema (see liveTableOf): prism.yaml places a table without `schema:` in the
 * connection's schema.
 */
export function compareSchemas(
  live: Schema,
  desired: Schema,
  options: CompareOptions = {},
): SchemaDifference[] {
  const liveOf = liveTableOf(live.tables, desired.tables);
  const differences = desired.tables.flatMap((d) => compareTables(liveOf(d), d));
  const liveAggregates = live.aggregates ?? [];
  const aggregateOf = liveAggregateOf(liveAggregates, (a) => {
    const table = desired.tables.find((t) => t.model !== undefined && t.model === a.model);
    return table === undefined ? undefined : liveOf(table)?.schema;
  });
  const matched = new Set<Aggregate>();
  for (const d of desired.aggregates ?? []) {
    const l = aggregateOf(d);
    if (l !== undefined) matched.add(l);
    differences.push(...compareAggregates(l, d));
  }
  if (options.extraTables) {
    const wanted = new Set(desired.tables.map(liveOf));
    for (const t of live.tables) {
      if (wanted.has(t)) continue;
      const table = tableLabel(t);
      differences.push(
        Object.freeze({
          kind: 'table' as const,
          table,
          what: 'table',
          expected: 'absent (not in the spec)',
          actual: `table ${table}`,
          change: `drop table ${table}`,
        }),
      );
    }
  }
  if (options.extraTables || options.extraAggregates) {
    for (const a of liveAggregates) if (!matched.has(a)) differences.push(extraAggregate(a));
  }
  return differences;
}
