/**
 * A pulled spec as YAML text: the models built from the catalog, with comments where
 * something was left out. Keys in the order prism.yaml documents them; short lists on one
 * line; nothing written that prism.yaml takes as its default.
 */
import { Document, isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Index } from '../schema/types.js';
import { defaultTableName } from '../spec/identifiers.js';
import { sqlTypeText } from '../spec/sql-type.js';
import type { FieldType, SqlType } from '../spec/types.js';

/** The YAML value of one field, keys in the order prism.yaml documents them. */
export interface FieldDraft {
  readonly name: string;
  readonly type: FieldType;
  readonly array?: boolean | undefined;
  readonly sqlType?: SqlType | undefined;
  maxLength?: number;
  precision?: number;
  scale?: number;
  values?: readonly string[];
  primaryKey: boolean;
  optional: boolean;
  index: boolean;
  unique: boolean;
  default?: string | number | boolean;
  /** `<Model>.<field>` of a foreign key, with its actions where not `no action`. */
  references?: string;
  onDelete?: string;
  onUpdate?: string;
  /** Comments placed just before the field. */
  readonly comments: string[];
}

export interface IndexDraft {
  /** `column [DESC] [NULLS FIRST|LAST]`. */
  readonly columns: readonly string[];
  readonly type: Index['method'];
  readonly unique: boolean;
  readonly name?: string;
  readonly where?: string;
  readonly include?: readonly string[];
}

export interface TimeseriesDraft {
  readonly time_column: string;
  chunk_interval?: string | number;
  time_unit?: 's' | 'ms' | 'us';
  compression?: {
    enabled: true;
    segment_by?: string[];
    order_by?: string[];
    after?: string | number;
    chunk_interval?: string;
    sparse_indexes?: { column: string; type: 'minmax' | 'bloom' }[];
  };
  retention?: { enabled: true; drop_after: string | number };
  indexes: IndexDraft[];
  partitioning?: { column: string; partitions: number };
  reorder?: { index: string[] };
  create_default_indexes?: false;
  /** Continuous aggregates over the hypertable, sources first. */
  aggregates?: AggregateDraft[];
}

/** An entry of `timeseries.aggregates`, keys in the order prism.yaml documents them. */
export interface AggregateDraft {
  readonly name: string;
  readonly from?: string;
  readonly bucket: string | number;
  readonly group_by: readonly string[];
  /** `output column: function(argument)`, in the view's order. */
  readonly columns: Readonly<Record<string, string>>;
  /** Offsets left out where unbounded (null). */
  readonly refresh?: {
    readonly start_offset?: string | number;
    readonly end_offset?: string | number;
    readonly schedule_interval: string;
  };
  /** Written only when true (the default is false). */
  readonly realtime?: true;
  readonly compression?: {
    readonly after?: string | number;
    readonly segment_by: readonly string[];
  };
  readonly retention?: { readonly drop_after: string | number };
}

/** A column's place in the field list: a field, or a comment where a column was left out. */
export type Slot = { readonly field: FieldDraft } | { readonly comment: string };

export interface ModelDraft {
  readonly name: string;
  readonly table: string;
  /** The table's schema where it is not `public`. */
  readonly schema?: string | undefined;
  readonly slots: Slot[];
  timeseries?: TimeseriesDraft;
  /** The model's own `indexes:` (plain tables; a hypertable's go to timeseries.indexes). */
  readonly indexes: IndexDraft[];
  /** Comments after the model's fields: indexes, constraints, the hypertable. */
  readonly trailing: string[];
}

/** A model, or a comment where a table was left out. */
export type SpecEntry = { readonly model: ModelDraft } | { readonly comment: string };

function fieldValue(f: FieldDraft): Record<string, unknown> {
  return {
    name: f.name,
    ...(f.type === 'sql' && f.sqlType !== undefined
      ? { sql_type: sqlTypeText(f.sqlType) }
      : { type: f.type }),
    ...(f.array === true ? { array: true } : {}),
    ...(f.maxLength === undefined ? {} : { max_length: f.maxLength }),
    ...(f.precision === undefined ? {} : { precision: f.precision, scale: f.scale ?? 0 }),
    ...(f.values === undefined ? {} : { values: f.values }),
    ...(f.primaryKey ? { primary_key: true } : {}),
    ...(f.optional && !f.primaryKey ? { optional: true } : {}),
    ...(f.index ? { index: true } : {}),
    ...(f.unique ? { unique: true } : {}),
    ...(f.default === undefined ? {} : { default: f.default }),
    ...(f.references === undefined ? {} : { references: f.references }),
    ...(f.onDelete === undefined ? {} : { on_delete: f.onDelete }),
    ...(f.onUpdate === undefined ? {} : { on_update: f.onUpdate }),
  };
}

function timeseriesValue(ts: TimeseriesDraft): Record<string, unknown> {
  return {
    time_column: ts.time_column,
    ...(ts.chunk_interval === undefined ? {} : { chunk_interval: ts.chunk_interval }),
    ...(ts.time_unit === undefined ? {} : { time_unit: ts.time_unit }),
    ...(ts.compression === undefined ? {} : { compression: ts.compression }),
    ...(ts.retention === undefined ? {} : { retention: ts.retention }),
    ...(ts.indexes.length === 0 ? {} : { indexes: ts.indexes.map(indexValue) }),
    ...(ts.create_default_indexes === false ? { create_default_indexes: false } : {}),
    ...(ts.partitioning === undefined ? {} : { partitioning: ts.partitioning }),
    ...(ts.reorder === undefined ? {} : { reorder: ts.reorder }),
    ...(ts.aggregates === undefined || ts.aggregates.length === 0
      ? {}
      : { aggregates: ts.aggregates.map(aggregateValue) }),
  };
}

function aggregateValue(a: AggregateDraft): Record<string, unknown> {
  return {
    name: a.name,
    ...(a.from === undefined ? {} : { from: a.from }),
    bucket: a.bucket,
    group_by: a.group_by,
    columns: a.columns,
    ...(a.refresh === undefined ? {} : { refresh: a.refresh }),
    ...(a.realtime === true ? { realtime: true } : {}),
    ...(a.compression === undefined ? {} : { compression: a.compression }),
    ...(a.retention === undefined ? {} : { retention: a.retention }),
  };
}

function indexValue(i: IndexDraft): Record<string, unknown> {
  return {
    columns: i.columns,
    ...(i.type === 'btree' ? {} : { type: i.type }),
    ...(i.unique ? { unique: true } : {}),
    ...(i.name === undefined ? {} : { name: i.name }),
    ...(i.where === undefined ? {} : { where: i.where }),
    ...(i.include === undefined ? {} : { include: i.include }),
  };
}

function comment(lines: readonly string[]): string {
  return lines.map((l) => ` ${l}`).join('\n');
}

const FLOW_KEYS = new Set([
  'values',
  'segment_by',
  'order_by',
  'columns',
  'index',
  'include',
  'group_by',
]);
/** An aggregate's maps, each on one line as prism.yaml documents them. */
const AGGREGATE_FLOW_MAPS = new Set(['columns', 'refresh', 'compression', 'retention']);

/** Short lists (`values`, `segment_by`, index columns) and an aggregate's maps on one line. */
function flowLists(node: unknown, inAggregate = false): void {
  if (isSeq(node)) {
    for (const item of node.items) flowLists(item, inAggregate);
  } else if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (isSeq(pair.value) && typeof key === 'string' && FLOW_KEYS.has(key))
        pair.value.flow = true;
      else if (
        inAggregate &&
        isMap(pair.value) &&
        typeof key === 'string' &&
        AGGREGATE_FLOW_MAPS.has(key)
      ) {
        pair.value.flow = true;
        flowLists(pair.value);
      } else flowLists(pair.value, key === 'aggregates');
    }
  }
}

function modelNode(doc: Document, draft: ModelDraft): YAMLMap {
  const fields = draft.slots.flatMap((s) => ('field' in s ? [s.field] : []));
  const value: Record<string, unknown> = {
    name: draft.name,
    ...(defaultTableName(draft.name) === draft.table ? {} : { table: draft.table }),
    ...(draft.schema === undefined ? {} : { schema: draft.schema }),
    fields: fields.map(fieldValue),
    ...(draft.timeseries ? { timeseries: timeseriesValue(draft.timeseries) } : {}),
    ...(draft.indexes.length > 0 ? { indexes: draft.indexes.map(indexValue) } : {}),
  };
  const node = doc.createNode(value) as YAMLMap;
  flowLists(node);
  const seq = node.get('fields') as YAMLSeq<YAMLMap>;
  let pending: string[] = [];
  let k = 0;
  for (const slot of draft.slots) {
    if ('comment' in slot) {
      pending.push(slot.comment);
      continue;
    }
    const item = seq.items[k++] as YAMLMap;
    const lines = [...pending, ...slot.field.comments];
    if (lines.length > 0) item.commentBefore = comment(lines);
    pending = [];
  }
  if (pending.length > 0) seq.comment = comment(pending);
  if (draft.trailing.length > 0) node.comment = comment(draft.trailing);
  return node;
}

export function renderSpec(entries: readonly SpecEntry[], header: readonly string[]): string {
  const doc = new Document({ timescale: 'auto', models: [] });
  const models = doc.get('models') as YAMLSeq<YAMLMap>;
  let pending: string[] = [];
  for (const entry of entries) {
    if ('comment' in entry) {
      pending.push(entry.comment);
      continue;
    }
    const node = modelNode(doc, entry.model);
    if (pending.length > 0) node.commentBefore = comment(pending);
    pending = [];
    models.items.push(node);
  }
  if (pending.length > 0) models.comment = comment(pending);
  if (header.length > 0) doc.commentBefore = comment(header);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
