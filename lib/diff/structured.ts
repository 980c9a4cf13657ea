/**
 * Changes as data, beside their sentence: what `check --json` and `generate --json` print
 * for each change (spec/cli/*.schema.json, `$defs/change`). Pure.
 */
import type { AggregateRefresh, TimeAmount } from '../spec/types.js';
import { aggregateCallText } from '../sql/aggregate-call.js';
import type {
  AggregateDef,
  Change,
  ChangeKind,
  CompressionSettings,
  Field,
  ForeignKeyDef,
  IndexDef,
} from './changes.js';
import { assertNever, displayed } from './changes.js';
import { describeChange } from './describe.js';
import { destructiveByChange, type DestructiveCode } from './destructive.js';
import { amountText } from '../spec/time-amount.js';
import { functionDefaultText } from '../spec/defaults.js';
import { columnType } from '../schema/column-types.js';
import { termText } from '../schema/compile.js';
import type { SchemaDifference } from '../schema/compare.js';

export interface StructuredChange {
  readonly kind: ChangeKind;
  /** The table the change acts on (its name before a rename). */
  readonly table: string;
  readonly column?: string;
  readonly index?: string;
  /** What the changed thing was, as prism.yaml or PostgreSQL writes it; absent when created. */
  readonly before?: string;
  /** What it becomes; absent when dropped. */
  readonly after?: string;
  /** The code of what it destroys going forward (`PM101` a dropped table, …). */
  readonly destructive?: DestructiveCode;
  readonly description: string;
}

/** `varchar(64) NOT NULL DEFAULT 'x'`: a column as the spec defines it. */
export function fieldText(f: Field): string {
  const parts = [columnType(f)];
  if (!f.optional || f.primaryKey) parts.push('NOT NULL');
  if (f.default !== undefined) {
    parts.push(
      `DEFAULT ${f.default.kind === 'function' ? functionDefaultText(f.default.name) : JSON.stringify(f.default.value)}`,
    );
  }
  return parts.join(' ');
}

/** `1 hour buckets of reading by (sensor): avg_temp avg(temperature), samples count(*)`. */
function aggregateText(a: AggregateDef): string {
  const by = a.groupBy.length > 0 ? ` by (${a.groupBy.join(', ')})` : '';
  const columns = a.columns.map((c) => `${c.name} ${aggregateCallText(c)}`).join(', ');
  return `${amountText(a.bucket)} buckets of ${a.source.name}${by}: ${columns}${a.realtime ? ' (realtime)' : ''}`;
}

/** `start_offset 30 days, end_offset 1 hour, every 30 minutes`. */
function refreshText(r: AggregateRefresh): string {
  const offset = (a: TimeAmount | null) => (a === null ? 'none' : amountText(a));
  return `start_offset ${offset(r.startOffset)}, end_offset ${offset(r.endOffset)}, every ${r.scheduleInterval.text}`;
}

function indexText(i: IndexDef): string {
  const include = i.include?.length ? ` include (${i.include.join(', ')})` : '';
  const where = i.where === undefined ? '' : ` where ${i.where}`;
  return `${i.unique ? 'unique ' : ''}${i.type} (${i.columns.map(termText).join(', ')})${include}${where}`;
}

function foreignKeyText(fk: ForeignKeyDef): string {
  const actions = [
    fk.onDelete === 'no action' ? '' : ` ON DELETE ${fk.onDelete.toUpperCase()}`,
    fk.onUpdate === 'no action' ? '' : ` ON UPDATE ${fk.onUpdate.toUpperCase()}`,
  ].join('');
  return `${fk.name} REFERENCES ${fk.references.table} (${fk.references.column})${actions}`;
}

function compressionText(s: CompressionSettings): string {
  const segment = s.segmentBy.length > 0 ? s.segmentBy.join(', ') : 'none';
  const order = s.orderBy.length > 0 ? s.orderBy.map(termText).join(', ') : 'default';
  const extra = [
    ...(s.chunkInterval ? [`; chunk interval ${amountText(s.chunkInterval)}`] : []),
    ...(s.sparseIndexes?.length
      ? [`; sparse ${s.sparseIndexes.map((i) => `${i.type}(${i.column})`).join(', ')}`]
      : []),
  ];
  return `segment by ${segment}; order by ${order}${extra.join('')}`;
}

type Detail = Omit<StructuredChange, 'kind' | 'destructive' | 'description'>;

function detail(c: Change): Detail {
  switch (c.kind) {
    case 'createModel':
    case 'dropModel':
    case 'createTable':
    case 'dropTable':
      return { table: c.model.table };
    case 'renameTable':
      return { table: c.from, before: c.from, after: c.to };
    case 'addColumn':
      return { table: c.table, column: c.field.name, after: fieldText(c.field) };
    case 'dropColumn':
      return { table: c.table, column: c.field.name, before: fieldText(c.field) };
    case 'renameColumn':
      return { table: c.table, column: c.from, before: c.from, after: c.to };
    case 'alterColumn':
      return {
        table: c.table,
        column: c.to.name,
        before: fieldText(c.from),
        after: fieldText(c.to),
      };
    case 'setPrimaryKey':
      return { table: c.table, before: c.from.join(', '), after: c.to.join(', ') };
    case 'addIndex':
      return { table: c.table, index: c.index.name, after: indexText(c.index) };
    case 'dropIndex':
      return { table: c.table, index: c.index.name, before: indexText(c.index) };
    case 'addForeignKey':
      return { table: c.table, column: c.foreignKey.column, after: foreignKeyText(c.foreignKey) };
    case 'dropForeignKey':
      return { table: c.table, column: c.foreignKey.column, before: foreignKeyText(c.foreignKey) };
    case 'addDefaultTimeIndex':
      return { table: c.table, column: c.timeColumn, after: `btree (${c.timeColumn} DESC)` };
    case 'dropDefaultTimeIndex':
      return { table: c.table, column: c.timeColumn, before: `btree (${c.timeColumn} DESC)` };
    case 'createHypertable':
      return { table: c.table, column: c.hypertable.timeColumn, after: 'hypertable' };
    case 'revertHypertable':
      return { table: c.table, column: c.hypertable.timeColumn, before: 'hypertable' };
    case 'setChunkInterval':
      return {
        table: c.table,
        ...(c.from !== undefined && { before: amountText(c.from) }),
        ...(c.to !== undefined && { after: amountText(c.to) }),
      };
    case 'enableCompression':
      return { table: c.table, after: compressionText(c.settings) };
    case 'disableCompression':
      return { table: c.table, before: compressionText(c.settings) };
    case 'alterCompression':
      return { table: c.table, before: compressionText(c.from), after: compressionText(c.to) };
    case 'addCompressionPolicy':
      return { table: c.table, after: amountText(c.after) };
    case 'removeCompressionPolicy':
      return { table: c.table, before: amountText(c.after) };
    case 'addRetentionPolicy':
      return { table: c.table, after: amountText(c.dropAfter) };
    case 'removeRetentionPolicy':
      return { table: c.table, before: amountText(c.dropAfter) };
    case 'setNumberPartitions':
      return { table: c.table, column: c.column, before: String(c.from), after: String(c.to) };
    case 'addReorderPolicy':
      return { table: c.table, index: c.index, after: `reorder by ${c.index}` };
    case 'removeReorderPolicy':
      return { table: c.table, index: c.index, before: `reorder by ${c.index}` };
    case 'setIntegerNow':
      return { table: c.table, column: c.timeColumn, after: c.unit };
    case 'dropIntegerNow':
      return { table: c.table, column: c.timeColumn, before: c.unit };
    case 'createContinuousAggregate':
      return { table: c.aggregate.name, after: aggregateText(c.aggregate) };
    case 'dropContinuousAggregate':
      return { table: c.aggregate.name, before: aggregateText(c.aggregate) };
    case 'setAggregateRealtime':
      return { table: c.view, before: `realtime ${c.from}`, after: `realtime ${c.to}` };
    case 'addContinuousAggregatePolicy':
      return { table: c.view, after: refreshText(c.refresh) };
    case 'removeContinuousAggregatePolicy':
      return { table: c.view, before: refreshText(c.refresh) };
    case 'enableAggregateCompression':
      return { table: c.view, after: `segment_by (${c.segmentBy.join(', ')})` };
    case 'disableAggregateCompression':
      return { table: c.view, before: `segment_by (${c.segmentBy.join(', ')})` };
    case 'addAggregateCompressionPolicy':
      return { table: c.view, after: amountText(c.after) };
    case 'removeAggregateCompressionPolicy':
      return { table: c.view, before: amountText(c.after) };
    case 'addAggregateRetentionPolicy':
      return { table: c.view, after: amountText(c.dropAfter) };
    case 'removeAggregateRetentionPolicy':
      return { table: c.view, before: amountText(c.dropAfter) };
    default:
      return assertNever(c);
  }
}

/** The changes of one migration's `up`, in order, each with its destructive code if any. */
export function structureChanges(changes: readonly Change[]): StructuredChange[] {
  const destructive = destructiveByChange(changes, 'up');
  return changes.map((c, i) => {
    const code = destructive[i]?.code;
    return {
      kind: c.kind,
      ...detail(displayed(c)),
      ...(code !== undefined && { destructive: code }),
      description: describeChange(c),
    };
  });
}

/** The column a difference is about, from the `what` that `compareTables` writes for its kind. */
function differenceColumn(d: SchemaDifference): string | undefined {
  switch (d.kind) {
    case 'column':
      return d.what.replace(/^column /, '');
    case 'columnType':
    case 'nullability':
    case 'default':
    case 'identity': {
      const suffix = d.kind === 'columnType' ? ' type' : ` ${d.kind}`;
      return d.what.replace(/^column /, '').slice(0, -suffix.length);
    }
    case 'timeColumn':
      return d.expected;
    default:
      return undefined;
  }
}

/** What making the change that removes a difference would destroy in the live database. */
function differenceDestructive(d: SchemaDifference): DestructiveCode | undefined {
  const dropsIt = d.expected.startsWith('absent');
  switch (d.kind) {
    case 'table':
      return dropsIt ? 'PM101' : undefined;
    case 'column':
      return dropsIt ? 'PM102' : undefined;
    case 'retentionPolicy':
      return d.expected === 'none' ? undefined : 'PM103';
    case 'hypertable':
      return d.expected === 'plain table' ? 'PM104' : undefined;
    case 'partitioning':
      // TimescaleDB cannot remove or move a dimension: the table is rebuilt.
      return d.change.startsWith('rebuild ') ? 'PM104' : undefined;
    case 'columnType':
      return 'PM105';
    case 'aggregate':
      // Dropped, or made again in another form: its materialized buckets go with it.
      return dropsIt || d.what === 'aggregate form' ? 'PM106' : undefined;
    case 'aggregateDefinition':
      return 'PM106';
    default:
      return undefined;
  }
}

/** The column and destructive code of a difference between a live table and the spec. */
export function differenceDetails(d: SchemaDifference): {
  readonly column?: string;
  readonly destructive?: DestructiveCode;
} {
  const column = differenceColumn(d);
  const destructive = differenceDestructive(d);
  return {
    ...(column !== undefined && { column }),
    ...(destructive !== undefined && { destructive }),
  };
}
