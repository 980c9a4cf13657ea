/**
 * The document as the joi schema guarantees it (defaults filled in), before semantic
 * checks. Names follow prism.yaml's snake_case keys.
 */
import type { FieldType, IndexType, ReferentialAction, TimescaleMode } from './types.js';

export type RawTimeAmount = string | number;

export interface RawField {
  readonly name: string;
  /** Undefined only with sql_type (the field checks say so otherwise). */
  readonly type?: Exclude<FieldType, 'sql'>;
  readonly sql_type?: string;
  readonly array: boolean;
  readonly max_length?: number;
  readonly precision?: number;
  readonly scale?: number;
  readonly values?: readonly string[];
  readonly primary_key: boolean;
  readonly index: boolean;
  readonly unique: boolean;
  readonly optional: boolean;
  readonly default?: string | number | boolean;
  readonly renamed_from?: string;
  /** `<Model>.<field>` */
  readonly references?: string;
  readonly on_delete?: ReferentialAction;
  readonly on_update?: ReferentialAction;
}

export interface RawCompression {
  readonly enabled: boolean;
  readonly after?: RawTimeAmount;
  readonly segment_by?: readonly string[];
  readonly order_by?: readonly string[];
  readonly chunk_interval?: RawTimeAmount;
  readonly sparse_indexes?: readonly { readonly column: string; readonly type: string }[];
}

export interface RawRetention {
  readonly enabled: boolean;
  readonly drop_after?: RawTimeAmount;
}

export interface RawIndex {
  readonly columns: readonly string[];
  readonly type: IndexType;
  readonly unique: boolean;
  readonly name?: string;
  readonly where?: string;
  readonly include?: readonly string[];
}

export interface RawPartitioning {
  readonly column: string;
  readonly partitions: number;
}

export interface RawReorder {
  readonly index: readonly string[];
}

export interface RawAggregateRefresh {
  readonly start_offset?: RawTimeAmount;
  readonly end_offset?: RawTimeAmount;
  readonly schedule_interval: string;
}

/** An entry of `timeseries.aggregates`. */
export interface RawAggregate {
  readonly name: string;
  readonly from?: string;
  readonly bucket: RawTimeAmount;
  readonly group_by?: readonly string[];
  /** Output column name → `function(column)`, in the order written. */
  readonly columns?: Readonly<Record<string, string>>;
  readonly refresh?: RawAggregateRefresh;
  readonly realtime: boolean;
  readonly compression?: {
    readonly after?: RawTimeAmount;
    readonly segment_by?: readonly string[];
  };
  readonly retention?: { readonly drop_after: RawTimeAmount };
}

export interface RawTimeseries {
  readonly time_column: string;
  readonly chunk_interval?: RawTimeAmount;
  readonly time_unit?: 's' | 'ms' | 'us';
  readonly compression?: RawCompression;
  readonly retention?: RawRetention;
  readonly indexes?: readonly RawIndex[];
  readonly partitioning?: RawPartitioning;
  readonly reorder?: RawReorder;
  readonly create_default_indexes?: boolean;
  readonly aggregates?: readonly RawAggregate[];
}

export interface RawModel {
  readonly name: string;
  readonly table?: string;
  readonly schema?: string;
  readonly timescale?: TimescaleMode;
  readonly fields: readonly RawField[];
  readonly timeseries?: RawTimeseries;
  readonly indexes?: readonly RawIndex[];
  readonly renamed_from?: string;
}

/** One model's time amounts in one environment. */
export interface RawEnvironmentValues {
  readonly chunk_interval?: RawTimeAmount;
  readonly compression?: { readonly after?: RawTimeAmount };
  readonly retention?: { readonly drop_after?: RawTimeAmount };
  readonly aggregates?: Readonly<
    Record<string, { readonly refresh?: Partial<RawAggregateRefresh> }>
  >;
}

export interface RawSpec {
  readonly timescale: TimescaleMode;
  readonly models: readonly RawModel[];
  /** Environment name → model name → its amounts there. */
  readonly environments?: Readonly<Record<string, Readonly<Record<string, RawEnvironmentValues>>>>;
}
