/** One line of plain English per change, for `check`, `generate` and file names. */
import type { Change, TimeAmount } from './changes.js';
import { assertNever } from './changes.js';
import { termText } from '../schema/compile.js';

function amount(a: TimeAmount | undefined): string {
  if (a === undefined) return 'the default';
  return a.kind === 'interval' ? a.interval.text : `${a.value} units`;
}

export function describeChange(c: Change): string {
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
    case 'addDefaultTimeIndex':
      return `add TimescaleDB's default index on ${c.table} (${c.timeColumn} DESC)`;
    case 'dropDefaultTimeIndex':
      return `drop TimescaleDB's default index on ${c.table} (${c.timeColumn} DESC)`;
    case 'createHypertable':
      return `make ${c.table} a hypertable on ${c.hypertable.timeColumn}`;
    case 'revertHypertable':
      return `turn hypertable ${c.table} back into a plain table`;
    case 'setChunkInterval':
      return `chunk interval of ${c.table}: ${amount(c.from)} -> ${amount(c.to)} (new chunks only)`;
    case 'enableCompression':
      return `enable compression on ${c.table}`;
    case 'disableCompression':
      return `disable compression on ${c.table}`;
    case 'alterCompression':
      return `change compression settings of ${c.table}`;
    case 'addCompressionPolicy':
      return `compress ${c.table} after ${amount(c.after)}`;
    case 'removeCompressionPolicy':
      return `remove the compression policy of ${c.table} (after ${amount(c.after)})`;
    case 'addRetentionPolicy':
      return `drop chunks of ${c.table} after ${amount(c.dropAfter)}`;
    case 'removeRetentionPolicy':
      return `remove the retention policy of ${c.table} (drop after ${amount(c.dropAfter)})`;
    case 'setIntegerNow':
      return `integer-now function for ${c.table} (${c.unit})`;
    case 'dropIntegerNow':
      return `drop the integer-now function of ${c.table}`;
    default:
      return assertNever(c);
  }
}

/** A file-name slug for a set of changes, e.g. `create-datapoint` or `alter-datapoint`. */
export function migrationSlug(changes: readonly Change[]): string {
  const first = changes[0];
  if (!first) return 'no-changes';
  const table = 'model' in first ? first.model.table : 'table' in first ? first.table : first.to;
  const verb =
    first.kind === 'createModel' ? 'create' : first.kind === 'dropModel' ? 'drop' : 'alter';
  const slug = `${verb}-${table}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return changes.length > 1 && verb !== 'alter' && changes.some((c) => c.kind !== first.kind)
    ? `${slug}-and-more`
    : slug;
}
