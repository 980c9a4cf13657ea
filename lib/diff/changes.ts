/**
 * A schema change as frozen, tagged data. The diff produces them, the destructive-change
 * analyzer reads them, the renderer turns each into `pgm.*` calls. Every change carries
 * what its inverse needs, so `invert` is total and `invert(invert(c))` equals `c`.
 */
import type { OrderByTerm } from '../sql/order-by.js';
import type {
  AggregateColumn,
  AggregateRefresh,
  Compression,
  Field,
  IndexType,
  Model,
  ReferentialAction,
  Partitioning,
  TimeAmount,
  TimescaleMode,
  TimeseriesIndex,
} from '../spec/types.js';

/** An index in the table, from a field's `index`/`unique` or an `indexes` entry. */
export interface IndexDef {
  readonly name: string;
  /** Key columns; a direction or NULLS order only where it is not the default. */
  readonly columns: readonly OrderByTerm[];
  readonly type: IndexType;
  readonly unique: boolean;
  /** A partial index's condition (canonical text of lib/sql/predicate.ts). */
  readonly where?: string | undefined;
  readonly include?: readonly string[] | undefined;
}

/** Amounts that differ per environment (`environments:`), by environment name. */
export type ByEnvironment = Readonly<Record<string, TimeAmount>>;

/** An aggregate's refresh policy per environment that sets one of its values. */
export type RefreshByEnvironment = Readonly<Record<string, AggregateRefresh>>;

/** A single-column foreign key, with the referenced table under its name at that point. */
export interface ForeignKeyDef {
  readonly name: string;
  readonly column: string;
  readonly references: {
    readonly table: string;
    /** Left out for `public`. */
    readonly schema?: string | undefined;
    readonly column: string;
  };
  readonly onDelete: ReferentialAction;
  readonly onUpdate: ReferentialAction;
}

export interface HypertableDef {
  readonly timeColumn: string;
  readonly chunkInterval?: TimeAmount | undefined;
  readonly chunkIntervalByEnvironment?: ByEnvironment | undefined;
  /** A hash dimension, added with the hypertable (TimescaleDB cannot remove one later). */
  readonly partitioning?: Partitioning | undefined;
  /** false: made without TimescaleDB's default time index (`create_default_indexes`). */
  readonly createDefaultIndexes?: false | undefined;
}

/** Settings of compression, without its policy. */
export type CompressionSettings = Pick<
  Compression,
  'segmentBy' | 'orderBy' | 'chunkInterval' | 'sparseIndexes'
>;

/**
 * What defines a continuous aggregate's view: everything but its policies, compression
 * and realtime setting, which change in place. Any difference here is a drop and a create.
 */
export interface AggregateDef {
  readonly name: string;
  /** The hypertable (and its time column) or the aggregate, in the same schema, it reads. */
  readonly source:
    | { readonly kind: 'table'; readonly name: string; readonly timeColumn: string }
    | { readonly kind: 'aggregate'; readonly name: string };
  readonly bucket: TimeAmount;
  readonly groupBy: readonly string[];
  readonly columns: readonly AggregateColumn[];
  /** Made with it; changed later by `setAggregateRealtime`. */
  readonly realtime: boolean;
}

/**
 * A change, with the schema of its table where that is not `public` (left out there, so
 * the changes of public tables and old snapshots stay as they were).
 */
export type Change = ChangeOf & { readonly schema?: string | undefined };

type ChangeOf =
  /**
   * A whole model: its table, keys, indexes, hypertable, compression and policies
   * (rendered as the steps of `modelCreationSteps`). Its inverse drops the table, which
   * takes chunks, jobs and indexes with it — no decompressing or copying first.
   */
  | {
      readonly kind: 'createModel';
      readonly model: Model;
      /**
       * Foreign keys added with the table, before its hypertable and compression (TimescaleDB
       * before 2.20 refuses a foreign key on a hypertable with compression). The table
       * dropped by the inverse takes them along.
       */
      readonly foreignKeys?: readonly ForeignKeyDef[] | undefined;
    }
  | {
      readonly kind: 'dropModel';
      readonly model: Model;
      readonly foreignKeys?: readonly ForeignKeyDef[] | undefined;
    }
  /** The plain table with its columns and primary key only. */
  | { readonly kind: 'createTable'; readonly model: Model }
  | { readonly kind: 'dropTable'; readonly model: Model }
  | { readonly kind: 'renameTable'; readonly from: string; readonly to: string }
  | { readonly kind: 'addColumn'; readonly table: string; readonly field: Field }
  | { readonly kind: 'dropColumn'; readonly table: string; readonly field: Field }
  | {
      readonly kind: 'renameColumn';
      readonly table: string;
      readonly from: string;
      readonly to: string;
    }
  | {
      readonly kind: 'alterColumn';
      readonly table: string;
      readonly from: Field;
      readonly to: Field;
    }
  | {
      readonly kind: 'setPrimaryKey';
      readonly table: string;
      readonly from: readonly string[];
      readonly to: readonly string[];
    }
  | { readonly kind: 'addForeignKey'; readonly table: string; readonly foreignKey: ForeignKeyDef }
  | { readonly kind: 'dropForeignKey'; readonly table: string; readonly foreignKey: ForeignKeyDef }
  | { readonly kind: 'addIndex'; readonly table: string; readonly index: IndexDef }
  | { readonly kind: 'dropIndex'; readonly table: string; readonly index: IndexDef }
  /** TimescaleDB's default `(time DESC)` index of a hypertable that exists. */
  | {
      readonly kind: 'addDefaultTimeIndex';
      readonly table: string;
      readonly timeColumn: string;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'dropDefaultTimeIndex';
      readonly table: string;
      readonly timeColumn: string;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'createHypertable';
      readonly table: string;
      readonly hypertable: HypertableDef;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'revertHypertable';
      readonly table: string;
      readonly hypertable: HypertableDef;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'setChunkInterval';
      readonly table: string;
      readonly from: TimeAmount | undefined;
      readonly to: TimeAmount | undefined;
      readonly fromByEnvironment?: ByEnvironment | undefined;
      readonly toByEnvironment?: ByEnvironment | undefined;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'enableCompression';
      readonly table: string;
      readonly settings: CompressionSettings;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'disableCompression';
      readonly table: string;
      readonly settings: CompressionSettings;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'alterCompression';
      readonly table: string;
      readonly from: CompressionSettings;
      readonly to: CompressionSettings;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'addCompressionPolicy';
      readonly table: string;
      readonly after: TimeAmount;
      readonly afterByEnvironment?: ByEnvironment | undefined;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'removeCompressionPolicy';
      readonly table: string;
      readonly after: TimeAmount;
      readonly afterByEnvironment?: ByEnvironment | undefined;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'addRetentionPolicy';
      readonly table: string;
      readonly dropAfter: TimeAmount;
      readonly dropAfterByEnvironment?: ByEnvironment | undefined;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'removeRetentionPolicy';
      readonly table: string;
      readonly dropAfter: TimeAmount;
      readonly dropAfterByEnvironment?: ByEnvironment | undefined;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'setNumberPartitions';
      readonly table: string;
      readonly column: string;
      readonly from: number;
      readonly to: number;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'addReorderPolicy';
      readonly table: string;
      /** The index's name. */
      readonly index: string;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'removeReorderPolicy';
      readonly table: string;
      readonly index: string;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'setIntegerNow';
      readonly table: string;
      readonly timeColumn: string;
      readonly columnType: 'int' | 'bigint';
      readonly unit: 's' | 'ms' | 'us';
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'dropIntegerNow';
      readonly table: string;
      readonly timeColumn: string;
      readonly columnType: 'int' | 'bigint';
      readonly unit: 's' | 'ms' | 'us';
      readonly timescale: TimescaleMode;
    }
  /**
   * A continuous aggregate's view, created WITH NO DATA in the migration's transaction and
   * refreshed by the runner once that transaction has committed. Its inverse drops it.
   */
  | {
      readonly kind: 'createContinuousAggregate';
      readonly aggregate: AggregateDef;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'dropContinuousAggregate';
      readonly aggregate: AggregateDef;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'setAggregateRealtime';
      readonly view: string;
      readonly from: boolean;
      readonly to: boolean;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'addContinuousAggregatePolicy';
      readonly view: string;
      readonly refresh: AggregateRefresh;
      readonly refreshByEnvironment?: RefreshByEnvironment | undefined;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'removeContinuousAggregatePolicy';
      readonly view: string;
      readonly refresh: AggregateRefresh;
      readonly refreshByEnvironment?: RefreshByEnvironment | undefined;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'enableAggregateCompression';
      readonly view: string;
      readonly segmentBy: readonly string[];
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'disableAggregateCompression';
      readonly view: string;
      readonly segmentBy: readonly string[];
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'addAggregateCompressionPolicy';
      readonly view: string;
      readonly after: TimeAmount;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'removeAggregateCompressionPolicy';
      readonly view: string;
      readonly after: TimeAmount;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'addAggregateRetentionPolicy';
      readonly view: string;
      readonly dropAfter: TimeAmount;
      readonly timescale: TimescaleMode;
    }
  | {
      readonly kind: 'removeAggregateRetentionPolicy';
      readonly view: string;
      readonly dropAfter: TimeAmount;
      readonly timescale: TimescaleMode;
    };

export type ChangeKind = Change['kind'];

function assertNever(x: never): never {
  throw new Error(`unhandled change ${JSON.stringify(x)}`);
}

export function invert(change: Change): Change {
  const c = change;
  switch (c.kind) {
    case 'createModel':
      return { ...c, kind: 'dropModel' };
    case 'dropModel':
      return { ...c, kind: 'createModel' };
    case 'createTable':
      return { ...c, kind: 'dropTable' };
    case 'dropTable':
      return { ...c, kind: 'createTable' };
    case 'renameTable':
      return { ...c, from: c.to, to: c.from };
    case 'addColumn':
      return { ...c, kind: 'dropColumn' };
    case 'dropColumn':
      return { ...c, kind: 'addColumn' };
    case 'renameColumn':
      return { ...c, from: c.to, to: c.from };
    case 'alterColumn':
      return { ...c, from: c.to, to: c.from };
    case 'setPrimaryKey':
      return { ...c, from: c.to, to: c.from };
    case 'addForeignKey':
      return { ...c, kind: 'dropForeignKey' };
    case 'dropForeignKey':
      return { ...c, kind: 'addForeignKey' };
    case 'addIndex':
      return { ...c, kind: 'dropIndex' };
    case 'dropIndex':
      return { ...c, kind: 'addIndex' };
    case 'addDefaultTimeIndex':
      return { ...c, kind: 'dropDefaultTimeIndex' };
    case 'dropDefaultTimeIndex':
      return { ...c, kind: 'addDefaultTimeIndex' };
    case 'createHypertable':
      return { ...c, kind: 'revertHypertable' };
    case 'revertHypertable':
      return { ...c, kind: 'createHypertable' };
    case 'setChunkInterval': {
      const { fromByEnvironment, toByEnvironment, ...rest } = c;
      return {
        ...rest,
        from: c.to,
        to: c.from,
        ...(toByEnvironment ? { fromByEnvironment: toByEnvironment } : {}),
        ...(fromByEnvironment ? { toByEnvironment: fromByEnvironment } : {}),
      };
    }
    case 'enableCompression':
      return { ...c, kind: 'disableCompression' };
    case 'disableCompression':
      return { ...c, kind: 'enableCompression' };
    case 'alterCompression':
      return { ...c, from: c.to, to: c.from };
    case 'addCompressionPolicy':
      return { ...c, kind: 'removeCompressionPolicy' };
    case 'removeCompressionPolicy':
      return { ...c, kind: 'addCompressionPolicy' };
    case 'addRetentionPolicy':
      return { ...c, kind: 'removeRetentionPolicy' };
    case 'removeRetentionPolicy':
      return { ...c, kind: 'addRetentionPolicy' };
    case 'setNumberPartitions':
      return { ...c, from: c.to, to: c.from };
    case 'addReorderPolicy':
      return { ...c, kind: 'removeReorderPolicy' };
    case 'removeReorderPolicy':
      return { ...c, kind: 'addReorderPolicy' };
    case 'setIntegerNow':
      return { ...c, kind: 'dropIntegerNow' };
    case 'dropIntegerNow':
      return { ...c, kind: 'setIntegerNow' };
    case 'createContinuousAggregate':
      return { ...c, kind: 'dropContinuousAggregate' };
    case 'dropContinuousAggregate':
      return { ...c, kind: 'createContinuousAggregate' };
    case 'setAggregateRealtime':
      return { ...c, from: c.to, to: c.from };
    case 'addContinuousAggregatePolicy':
      return { ...c, kind: 'removeContinuousAggregatePolicy' };
    case 'removeContinuousAggregatePolicy':
      return { ...c, kind: 'addContinuousAggregatePolicy' };
    case 'enableAggregateCompression':
      return { ...c, kind: 'disableAggregateCompression' };
    case 'disableAggregateCompression':
      return { ...c, kind: 'enableAggregateCompression' };
    case 'addAggregateCompressionPolicy':
      return { ...c, kind: 'removeAggregateCompressionPolicy' };
    case 'removeAggregateCompressionPolicy':
      return { ...c, kind: 'addAggregateCompressionPolicy' };
    case 'addAggregateRetentionPolicy':
      return { ...c, kind: 'removeAggregateRetentionPolicy' };
    case 'removeAggregateRetentionPolicy':
      return { ...c, kind: 'addAggregateRetentionPolicy' };
    default:
      return assertNever(c);
  }
}

/** `{ schema }` of a model outside `public`; nothing for `public`. */
export function schemaOf(model: { readonly schema?: string | undefined }): {
  schema?: string;
} {
  return model.schema === undefined ? {} : { schema: model.schema };
}

/** The steps of one model's table, each with the model's schema. */
export function inSchemaOf(
  model: { readonly schema?: string | undefined },
  steps: readonly Change[],
): Change[] {
  return model.schema === undefined ? [...steps] : steps.map((s) => ({ ...s, ...schemaOf(model) }));
}

/** `schema.table` outside `public`, else the table's name: how messages name a table. */
export function qualifiedName(table: string, schema: string | undefined): string {
  return schema === undefined ? table : `${schema}.${table}`;
}

/**
 * The change with its table names qualified where they are not in `public`: for the
 * descriptions, data-loss markers and --json output, never for SQL.
 */
export function displayed(change: Change): Change {
  const c = change;
  const fk = 'foreignKey' in c ? c.foreignKey : undefined;
  const foreignKey =
    fk === undefined || fk.references.schema === undefined
      ? {}
      : {
          foreignKey: {
            ...fk,
            references: {
              ...fk.references,
              table: qualifiedName(fk.references.table, fk.references.schema),
            },
          },
        };
  if ('model' in c)
    return c.model.schema === undefined
      ? c
      : { ...c, model: { ...c.model, table: qualifiedName(c.model.table, c.model.schema) } };
  if (c.kind === 'renameTable') return { ...c, from: qualifiedName(c.from, c.schema) };
  if ('aggregate' in c)
    return c.schema === undefined
      ? c
      : { ...c, aggregate: { ...c.aggregate, name: qualifiedName(c.aggregate.name, c.schema) } };
  if ('view' in c)
    return c.schema === undefined ? c : { ...c, view: qualifiedName(c.view, c.schema) };
  return c.schema === undefined && Object.keys(foreignKey).length === 0
    ? c
    : { ...c, table: qualifiedName(c.table, c.schema), ...foreignKey };
}

/** The table, view or aggregate a change acts on (its name before a rename), unqualified. */
export function changeSubject(c: Change): string {
  if ('model' in c) return c.model.table;
  if ('aggregate' in c) return c.aggregate.name;
  if ('view' in c) return c.view;
  return 'table' in c ? c.table : c.from;
}

/** The steps of `down`: the inverses, newest first. */
export function invertAll(changes: readonly Change[]): Change[] {
  return [...changes].reverse().map(invert);
}

export { assertNever };
export type { Field, Model, TimeAmount, TimeseriesIndex };
