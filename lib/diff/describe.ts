/** One line of plain English per change, for `check`, `generate` and file names. */
import type { AggregateRefresh } from '../spec/types.js';
import type { ByEnvironment, Change, RefreshByEnvironment, TimeAmount } from './changes.js';
import { assertNever, changeSubject, displayed } from './changes.js';
import { termText } from '../schema/compile.js';

function amount(a: TimeAmount | undefined): string {
  if (a === undefined) return 'the default';
  return a.kind === 'interval' ? a.interval.text : `${a.value} units`;
}

/** ` (development: 1 day, test: 1 hour)`: the environments that differ, or nothing. */
function perEnvironment(map: ByEnvironment | undefined, base?: TimeAmount | undefined): string {
  const names = Object.keys(map ?? {}).sort();
  if (names.length === 0) return '';
  return ` (${names.map((e) => `${e}: ${amount(map?.[e] ?? base)}`).join(', ')})`;
}

/** `from 30 days to 1 hour ago`: the window a refresh materializes. */
function refreshWindow(r: AggregateRefresh): string {
  const start = r.startOffset === null ? 'the first row' : `${amount(r.startOffset)} ago`;
  const end = r.endOffset === null ? 'the newest row' : `${amount(r.endOffset)} ago`;
  return `from ${start} to ${end}`;
}

/** `; development: every 5 minutes from 3 days ago to 1 hour ago`, per environment that sets one. */
function refreshPerEnvironment(map: RefreshByEnvironment | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((e) => {
      const r = map?.[e] as AggregateRefresh;
      return `; ${e}: every ${r.scheduleInterval.text} ${refreshWindow(r)}`;
    })
    .join('');
}

export function describeChange(change: Change): string {
  const c = displayed(change);
  switch (c.kind) {
    case 'createModel':
      return `create ${c.model.timeseries ? 'hypertable' : 'table'} ${c.model.table} (model ${c.model.name})`;
    case 'dropModel':
      return `drop table ${c.model.table} (model ${c.model.name} removed)`;
    case 'createTable':
      return `create table ${c.model.table}`;
    case 'dropTable':
      return `drop table ${c.model.table}`;
    case 'renameTable':
      return `rename table ${c.from} to ${c.to}`;
    case 'addColumn':
      return `add column ${c.table}.${c.field.name}`;
    case 'dropColumn':
      return `drop column ${c.table}.${c.field.name}`;
    case 'renameColumn':
      return `rename column ${c.table}.${c.from} to ${c.to}`;
    case 'alterColumn':
      return `alter column ${c.table}.${c.to.name}`;
    case 'setPrimaryKey':
      return `primary key of ${c.table}: (${c.from.join(', ')}) -> (${c.to.join(', ')})`;
    case 'addIndex':
      return `add index ${c.index.name} on ${c.table} (${c.index.columns.map(termText).join(', ')})${c.index.where === undefined ? '' : ` where ${c.index.where}`}`;
    case 'dropIndex':
      return `drop index ${c.index.name}`;
    case 'addForeignKey':
      return `add foreign key ${c.foreignKey.name}: ${c.table}.${c.foreignKey.column} references ${c.foreignKey.references.table}.${c.foreignKey.references.column}`;
    case 'dropForeignKey':
      return `drop foreign key ${c.foreignKey.name} of ${c.table}`;
    case 'addDefaultTimeIndex':
      return `add TimescaleDB's default index on ${c.table} (${c.timeColumn} DESC)`;
    case 'dropDefaultTimeIndex':
      return `drop TimescaleDB's default index on ${c.table} (${c.timeColumn} DESC)`;
    case 'createHypertable':
      return `make ${c.table} a hypertable on ${c.hypertable.timeColumn}${c.hypertable.partitioning ? ` and ${c.hypertable.partitioning.column} (${c.hypertable.partitioning.partitions} partitions)` : ''}${c.hypertable.chunkIntervalByEnvironment ? `, chunks of ${amount(c.hypertable.chunkInterval)}${perEnvironment(c.hypertable.chunkIntervalByEnvironment)}` : ''}`;
    case 'revertHypertable':
      return `turn hypertable ${c.table} back into a plain table`;
    case 'setChunkInterval':
      return `chunk interval of ${c.table}: ${amount(c.from)}${perEnvironment(c.fromByEnvironment)} -> ${amount(c.to)}${perEnvironment(c.toByEnvironment)} (new chunks only)`;
    case 'enableCompression':
      return `enable compression on ${c.table}`;
    case 'disableCompression':
      return `disable compression on ${c.table}`;
    case 'alterCompression':
      return `change compression settings of ${c.table}`;
    case 'addCompressionPolicy':
      return `compress ${c.table} after ${amount(c.after)}${perEnvironment(c.afterByEnvironment)}`;
    case 'removeCompressionPolicy':
      return `remove the compression policy of ${c.table} (after ${amount(c.after)}${perEnvironment(c.afterByEnvironment).replace(/^ \(/, '; ').replace(/\)$/, '')})`;
    case 'addRetentionPolicy':
      return `drop chunks of ${c.table} after ${amount(c.dropAfter)}${perEnvironment(c.dropAfterByEnvironment)}`;
    case 'removeRetentionPolicy':
      return `remove the retention policy of ${c.table} (drop after ${amount(c.dropAfter)}${perEnvironment(c.dropAfterByEnvironment).replace(/^ \(/, '; ').replace(/\)$/, '')})`;
    case 'setNumberPartitions':
      return `partitions of ${c.table} by ${c.column}: ${c.from} -> ${c.to} (new chunks only)`;
    case 'addReorderPolicy':
      return `reorder chunks of ${c.table} by index ${c.index}`;
    case 'removeReorderPolicy':
      return `remove the reorder policy of ${c.table} (index ${c.index})`;
    case 'setIntegerNow':
      return `integer-now function for ${c.table} (${c.unit})`;
    case 'dropIntegerNow':
      return `drop the integer-now function of ${c.table}`;
    case 'createContinuousAggregate':
      return `create continuous aggregate ${c.aggregate.name} (${amount(c.aggregate.bucket)} buckets of ${c.aggregate.source.name})`;
    case 'dropContinuousAggregate':
      return `drop continuous aggregate ${c.aggregate.name}`;
    case 'setAggregateRealtime':
      return `${c.to ? 'turn on' : 'turn off'} real-time aggregation of ${c.view}`;
    case 'addContinuousAggregatePolicy':
      return `refresh ${c.view} every ${c.refresh.scheduleInterval.text} (${refreshWindow(c.refresh)}${refreshPerEnvironment(c.refreshByEnvironment)})`;
    case 'removeContinuousAggregatePolicy':
      return `remove the refresh policy of ${c.view} (${refreshWindow(c.refresh)}${refreshPerEnvironment(c.refreshByEnvironment)})`;
    case 'enableAggregateCompression':
      return `enable compression on ${c.view}`;
    case 'disableAggregateCompression':
      return `disable compression on ${c.view}`;
    case 'addAggregateCompressionPolicy':
      return `compress ${c.view} after ${amount(c.after)}`;
    case 'removeAggregateCompressionPolicy':
      return `remove the compression policy of ${c.view} (after ${amount(c.after)})`;
    case 'addAggregateRetentionPolicy':
      return `drop buckets of ${c.view} after ${amount(c.dropAfter)}`;
    case 'removeAggregateRetentionPolicy':
      return `remove the retention policy of ${c.view} (drop after ${amount(c.dropAfter)})`;
    default:
      return assertNever(c);
  }
}

/** A file-name slug for a set of changes, e.g. `create-datapoint` or `alter-datapoint`. */
export function migrationSlug(changes: readonly Change[]): string {
  const first = changes[0];
  if (!first) return 'no-changes';
  const table = first.kind === 'renameTable' ? first.to : changeSubject(first);
  // The schema is left out of file names: the table names the migration well enough.
  const verb =
    first.kind === 'createModel' || first.kind === 'createContinuousAggregate'
      ? 'create'
      : first.kind === 'dropModel' || first.kind === 'dropContinuousAggregate'
        ? 'drop'
        : 'alter';
  const slug = `${verb}-${table}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return changes.length > 1 && verb !== 'alter' && changes.some((c) => c.kind !== first.kind)
    ? `${slug}-and-more`
    : slug;
}
