/**
 * The normalized, validated form of prism.yaml. Everything here has been checked:
 * identifiers are plain strings that will still be quoted when they reach SQL, intervals
 * passed the interval grammar, and every referenced column exists.
 */
import type { AggregateFunction } from '../sql/aggregate-call.js';
import type { Interval } from '../sql/interval.js';
import type { OrderByTerm } from '../sql/order-by.js';

export type TimescaleMode = 'auto' | 'require' | 'off';

export const FIELD_TYPES = Object.freeze([
  'uuid',
  'string',
  'text',
  'int',
  'bigint',
  'smallint',
  'float',
  'real',
  'double',
  'decimal',
  'boolean',
  'datetime',
  'timestamp',
  'date',
  'time',
  'json',
  'bytea',
  'inet',
  'enum',
] as const);
/** A field type: one of FIELD_TYPES, or `sql` for a field written with `sql_type:` instead. */
export type FieldType = (typeof FIELD_TYPES)[number] | 'sql';

/**
 * A type prism.yaml does not name, as `sql_type:` wrote it and its grammar parsed it:
 * `[schema.]name[(modifier[,modifier])][[]]`. Only identifier characters and whole numbers.
 */
export interface SqlType {
  readonly schema?: string | undefined;
  readonly name: string;
  /** Whole numbers; the first may also be a word (PostGIS: `geometry(Point,4326)`). */
  readonly modifiers: readonly (string | number)[];
  readonly array: boolean;
}

/** What a foreign key does when the referenced row is deleted or its key updated. */
export const REFERENTIAL_ACTIONS = Object.freeze([
  'no action',
  'restrict',
  'cascade',
  'set null',
  'set default',
] as const);
export type ReferentialAction = (typeof REFERENTIAL_ACTIONS)[number];

/** `references: <Model>.<field>`: a single-column foreign key to another model (or the same). */
export interface FieldReference {
  readonly model: string;
  readonly field: string;
  readonly onDelete: ReferentialAction;
  readonly onUpdate: ReferentialAction;
}

/** A default value: a literal of the field's type, or one of a few SQL functions. */
export type FieldDefault =
  | { readonly kind: 'literal'; readonly value: string | number | boolean }
  | { readonly kind: 'function'; readonly name: 'now' | 'gen_random_uuid' | 'current_date' };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly maxLength?: number | undefined;
  readonly precision?: number | undefined;
  readonly scale?: number | undefined;
  readonly values?: readonly string[] | undefined;
  /** `array: true`: a one-dimensional array of the type (`integer[]`). */
  readonly array?: boolean | undefined;
  /** For type `sql`: the type from `sql_type:`. */
  readonly sqlType?: SqlType | undefined;
  readonly primaryKey: boolean;
  readonly index: boolean;
  readonly unique: boolean;
  readonly optional: boolean;
  readonly default?: FieldDefault | undefined;
  /** The field's previous name in the same model (`renamed_from`): the column is renamed. */
  readonly renamedFrom?: string | undefined;
  /** A foreign key on this column (`references:`). */
  readonly references?: FieldReference | undefined;
}

/** An integer-time amount or a validated interval. */
export type TimeAmount =
  | { readonly kind: 'interval'; readonly interval: Interval }
  | { readonly kind: 'integer'; readonly value: bigint };

/** `col [ASC|DESC] [NULLS FIRST|LAST]`, as parsed by the shared grammar. */
export type OrderByItem = OrderByTerm;

export const SPARSE_INDEX_TYPES = Object.freeze(['minmax', 'bloom'] as const);

/** A sparse index on a compressed column (TimescaleDB 2.22+). */
export interface SparseIndex {
  readonly column: string;
  readonly type: (typeof SPARSE_INDEX_TYPES)[number];
}

export interface Compression {
  readonly enabled: boolean;
  readonly after?: TimeAmount | undefined;
  readonly segmentBy: readonly string[];
  readonly orderBy: readonly OrderByItem[];
  /** `compress_chunk_time_interval`: chunks are rolled together up to this span when compressed. */
  readonly chunkInterval?: TimeAmount | undefined;
  /** Left out when the spec names none. */
  readonly sparseIndexes?: readonly SparseIndex[] | undefined;
}

export interface Retention {
  readonly enabled: boolean;
  readonly dropAfter: TimeAmount;
}

export type IndexType = 'btree' | 'brin' | 'hash' | 'gin' | 'gist';

/** An entry of a model's `indexes` or of `timeseries.indexes`. */
export interface TimeseriesIndex {
  readonly name: string;
  /** Key columns with their order; direction and NULLS only on btree indexes. */
  readonly columns: readonly OrderByTerm[];
  readonly type: IndexType;
  readonly unique: boolean;
  /** A partial index's condition, in the canonical text of lib/sql/predicate.ts. */
  readonly where?: string | undefined;
  /** Non-key columns stored in the index (`INCLUDE`). */
  readonly include?: readonly string[] | undefined;
}

/**
 * A timeseries model's time amounts in one environment (`environments:` in prism.yaml);
 * what is left out is the model's own value.
 */
export interface EnvironmentValues {
  readonly chunkInterval?: TimeAmount | undefined;
  readonly compressAfter?: TimeAmount | undefined;
  readonly dropAfter?: TimeAmount | undefined;
  /** Aggregate name → its refresh policy in this environment (the model's values where it sets none). */
  readonly aggregates?:
    Readonly<Record<string, { readonly refresh: AggregateRefresh }>> | undefined;
}

/** A hash (space) dimension beside the time dimension. */
export interface Partitioning {
  readonly column: string;
  readonly partitions: number;
}

/** A reorder policy: chunks are reordered by the model's index on these terms. */
export interface Reorder {
  readonly index: readonly OrderByItem[];
  /** The name of the index those terms match (a model index, or TimescaleDB's time index). */
  readonly indexName: string;
}

export { AGGREGATE_FUNCTIONS, type AggregateFunction } from '../sql/aggregate-call.js';

/** One output column of a continuous aggregate: `avg_temp: avg(temperature)`. */
export interface AggregateColumn {
  readonly name: string;
  readonly function: AggregateFunction;
  /**
   * A field of the model, or a column of the `from` aggregate; absent for `count(*)`.
   * `first`/`last` order by the time column (`bucket` on a `from` aggregate).
   */
  readonly argument?: string | undefined;
}

/** An aggregate's refresh policy: the window behind now it keeps materialized, and how often. */
export interface AggregateRefresh {
  /** How far back a refresh reaches; null: from the first row on. */
  readonly startOffset: TimeAmount | null;
  /** How far behind now a refresh stops; null: up to the newest row. */
  readonly endOffset: TimeAmount | null;
  readonly scheduleInterval: Interval;
}

/**
 * An entry of `timeseries.aggregates`: a continuous aggregate over the model's hypertable,
 * or over another aggregate of the same model (`from`). Its bucket column is `bucket`.
 */
export interface ContinuousAggregate {
  /** The view's name, in the model's schema. */
  readonly name: string;
  /** The aggregate of the same model it is built on (hierarchical); absent: the hypertable. */
  readonly from?: string | undefined;
  readonly bucket: TimeAmount;
  /** Fields of the model (or columns of the `from` aggregate), in order. */
  readonly groupBy: readonly string[];
  /** Output columns in the order prism.yaml lists them. */
  readonly columns: readonly AggregateColumn[];
  readonly refresh?: AggregateRefresh | undefined;
  /** `realtime: true`: rows newer than the materialized range are aggregated when read. */
  readonly realtime: boolean;
  readonly compression?:
    { readonly after?: TimeAmount | undefined; readonly segmentBy: readonly string[] } | undefined;
  readonly retention?: { readonly dropAfter: TimeAmount } | undefined;
}

/** An index of any model, plain or hypertable. */
export type ModelIndex = TimeseriesIndex;

export interface Timeseries {
  readonly timeColumn: string;
  readonly chunkInterval?: TimeAmount | undefined;
  /** For int/bigint time columns: the unit of the integer, enabling an integer-now function. */
  readonly timeUnit?: 's' | 'ms' | 'us' | undefined;
  readonly compression?: Compression | undefined;
  readonly retention?: Retention | undefined;
  readonly indexes: readonly TimeseriesIndex[];
  /** Amounts that differ per environment, by environment name; chosen when applied. */
  readonly environments?: Readonly<Record<string, EnvironmentValues>> | undefined;
  readonly partitioning?: Partitioning | undefined;
  readonly reorder?: Reorder | undefined;
  /** `create_default_indexes: false`: TimescaleDB does not add its `(time DESC)` index. */
  readonly createDefaultIndexes?: false | undefined;
  /** Continuous aggregates over the hypertable, sources before the aggregates built on them. */
  readonly aggregates?: readonly ContinuousAggregate[] | undefined;
}

export interface Model {
  readonly name: string;
  readonly table: string;
  /** The table's PostgreSQL schema (`schema:`); left out for `public`. */
  readonly schema?: string | undefined;
  readonly fields: readonly Field[];
  /** Primary key columns in order; includes the time column for hypertables. */
  readonly primaryKey: readonly string[];
  readonly timeseries?: Timeseries | undefined;
  /** The model's own `indexes:` list (a hypertable's may also come from timeseries.indexes). */
  readonly indexes?: readonly ModelIndex[] | undefined;
  readonly timescale: TimescaleMode;
  /** The model's previous name (`renamed_from`): its table is renamed from the old model's. */
  readonly renamedFrom?: string | undefined;
}

export interface Spec {
  readonly file: string;
  readonly timescale: TimescaleMode;
  readonly models: readonly Model[];
}

/** Something the user should know but that does not stop validation. */
export interface SpecNotice {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface LoadedSpec {
  readonly spec: Spec;
  readonly warnings: readonly SpecNotice[];
  /** Decisions the loader made for the user, e.g. a primary key made composite. */
  readonly adjustments: readonly SpecNotice[];
}
