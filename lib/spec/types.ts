/**
 * The normalized, validated form of prism.yaml. Everything here has been checked:
 * identifiers are plain strings that will still be quoted when they reach SQL, intervals
 * passed the interval grammar, and every referenced column exists.
 */
import type { Interval } from '../sql/interval.js';
import type { OrderByTerm } from '../sql/order-by.js';

export type TimescaleMode = 'auto' | 'require' | 'off';

export const FIELD_TYPES = Object.freeze([
  'uuid',
  'string',
  'text',
  'int',
  'bigint',
  'float',
  'decimal',
  'boolean',
  'datetime',
  'date',
  'time',
  'json',
  'enum',
] as const);
export type FieldType = (typeof FIELD_TYPES)[number];

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
  readonly primaryKey: boolean;
  readonly index: boolean;
  readonly unique: boolean;
  readonly optional: boolean;
  readonly default?: FieldDefault | undefined;
  /** The field's previous name in the same model (`renamed_from`): the column is renamed. */
  readonly renamedFrom?: string | undefined;
}

/** An integer-time amount or a validated interval. */
export type TimeAmount =
  | { readonly kind: 'interval'; readonly interval: Interval }
  | { readonly kind: 'integer'; readonly value: bigint };

/** `col [ASC|DESC] [NULLS FIRST|LAST]`, as parsed by the shared grammar. */
export type OrderByItem = OrderByTerm;

export interface Compression {
  readonly enabled: boolean;
  readonly after?: TimeAmount | undefined;
  readonly segmentBy: readonly string[];
  readonly orderBy: readonly OrderByItem[];
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
  /** `create_default_indexes: false`: TimescaleDB does not add its `(time DESC)` index. */
  readonly createDefaultIndexes?: false | undefined;
}

export interface Model {
  readonly name: string;
  readonly table: string;
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
