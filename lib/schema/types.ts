/**
 * What a schema is, whether compiled from prism.yaml or read from a live database: tables
 * with PostgreSQL column types, keys, CHECKs, indexes with their final names, and the
 * hypertable with its dimension, compression settings and policies. Frozen data; compared
 * by `compareSchemas`, never by text.
 */
import type {
  AggregateColumn,
  AggregateRefresh,
  FieldDefault,
  ReferentialAction,
  SparseIndex,
  TimeAmount,
  TimescaleMode,
} from '../spec/types.js';
import type { OrderByTerm } from '../sql/order-by.js';

/**
 * A column default: a spec literal or function, or an expression prism.yaml cannot state
 * (`nextval(…)`, arithmetic, …), kept as the catalog prints it.
 */
export type ColumnDefault = FieldDefault | { readonly kind: 'expression'; readonly sql: string };

export interface Column {
  readonly name: string;
  /** As `format_type(atttypid, atttypmod)` prints it: `character varying(100)`, `numeric(10,2)`. */
  readonly type: string;
  readonly notNull: boolean;
  readonly default?: ColumnDefault | undefined;
  /** `GENERATED … AS IDENTITY` (`a` always, `d` by default): prism.yaml has no such field. */
  readonly identity?: 'always' | 'by default' | undefined;
}

export interface PrimaryKey {
  readonly name: string;
  readonly columns: readonly string[];
}

/** A CHECK holding an enum's values: `<column> IN (…)`. */
export interface EnumCheck {
  readonly name: string;
  readonly column: string;
  readonly values: readonly string[];
}

export type IndexMethod = 'btree' | 'brin' | 'hash' | 'gin' | 'gist';

export interface Index {
  readonly name: string;
  /** Key columns; a direction or NULLS order only where it is not the default. */
  readonly columns: readonly OrderByTerm[];
  readonly method: IndexMethod;
  readonly unique: boolean;
  /** A partial index's condition, in the canonical text of lib/sql/predicate.ts. */
  readonly where?: string | undefined;
  /** INCLUDE columns, in order. */
  readonly include?: readonly string[] | undefined;
}

/** A single-column foreign key (several columns: `unsupported`). */
export interface ForeignKey {
  readonly name: string;
  readonly column: string;
  readonly references: {
    readonly schema: string;
    readonly table: string;
    readonly column: string;
  };
  readonly onDelete: ReferentialAction;
  readonly onUpdate: ReferentialAction;
}

export interface CompressionSettings {
  readonly segmentBy: readonly string[];
  /** Empty: TimescaleDB's default, the time column descending. */
  readonly orderBy: readonly OrderByTerm[];
  /** `compress_chunk_time_interval`; absent when not set. */
  readonly chunkInterval?: TimeAmount | undefined;
  /** The sparse indexes the table was given (not TimescaleDB's own); absent when none. */
  readonly sparseIndexes?: readonly SparseIndex[] | undefined;
}

export interface IntegerNow {
  /** The function's name without schema. */
  readonly function: string;
  /** What one unit of the time column is, when the function is one prism-migrate made. */
  readonly unit?: 's' | 'ms' | 'us' | undefined;
}

export interface Hypertable {
  readonly timeColumn: string;
  /** The first dimension's interval (TimescaleDB's default, 7 days, when a spec gives none). */
  readonly chunkInterval?: TimeAmount | undefined;
  readonly integerNow?: IntegerNow | undefined;
  /** Compression enabled, with its settings; undefined when off. */
  readonly compression?: CompressionSettings | undefined;
  readonly compressAfter?: TimeAmount | undefined;
  readonly dropAfter?: TimeAmount | undefined;
  /** A hash (space) dimension beside the time dimension. */
  readonly partitioning?: SpacePartitioning | undefined;
  /** The index a reorder policy reorders chunks by. */
  readonly reorderIndex?: string | undefined;
  /**
   * false: the table has no TimescaleDB default time index `(time DESC)` (see
   * `splitDefaultIndexes`); absent when it has one. That index is never in `indexes`.
   */
  readonly createDefaultIndexes?: false | undefined;
}

export interface SpacePartitioning {
  readonly column: string;
  readonly partitions: number;
}

/**
 * Something of a live table that prism.yaml cannot state yet (an index on an expression,
 * a foreign key, a column type without a field type, …): named so that `pull` can say so
 * at its place and `check` can leave it alone.
 */
export interface Unsupported {
  /** Where: `column ip`, `index readings_expr_idx`, `constraint readings_fk`. */
  readonly what: string;
  /** Why prism.yaml cannot state it, and what it is in SQL. */
  readonly detail: string;
}

export interface Table {
  readonly schema: string;
  readonly name: string;
  /** The spec model the table comes from; undefined for a table read from a database. */
  readonly model?: string | undefined;
  /** The spec's TimescaleDB mode for it; undefined for a table read from a database. */
  readonly timescale?: TimescaleMode | undefined;
  readonly columns: readonly Column[];
  readonly primaryKey?: PrimaryKey | undefined;
  readonly checks: readonly EnumCheck[];
  readonly indexes: readonly Index[];
  /** Foreign keys by name; absent means none. */
  readonly foreignKeys?: readonly ForeignKey[] | undefined;
  readonly hypertable?: Hypertable | undefined;
  readonly unsupported: readonly Unsupported[];
}

/**
 * A continuous aggregate, compiled from `timeseries.aggregates` or read from a database.
 * Where TimescaleDB cannot make one (no TimescaleDB, or an Apache-only build, under
 * `auto`), the same name is a view (`realtime`) or a materialized view.
 */
export interface Aggregate {
  readonly schema: string;
  readonly name: string;
  /** The spec model whose `timeseries.aggregates` declares it; undefined when read. */
  readonly model?: string | undefined;
  readonly timescale?: TimescaleMode | undefined;
  /** What it reads: the hypertable, or another aggregate (whose time column is `bucket`). */
  readonly source: {
    readonly kind: 'table' | 'aggregate';
    readonly schema: string;
    readonly name: string;
    readonly timeColumn: string;
  };
  readonly bucket: TimeAmount;
  readonly groupBy: readonly string[];
  readonly columns: readonly AggregateColumn[];
  readonly realtime: boolean;
  readonly refresh?: AggregateRefresh | undefined;
  /** Compression on the aggregate's own hypertable; undefined when off. */
  readonly compression?: { readonly segmentBy: readonly string[] } | undefined;
  readonly compressAfter?: TimeAmount | undefined;
  readonly dropAfter?: TimeAmount | undefined;
  /**
   * How it exists in a database: a TimescaleDB continuous aggregate, or the degraded
   * forms. Compiled aggregates leave it out (the mode and the server decide).
   */
  readonly form?: 'continuous' | 'materialized view' | 'view' | undefined;
}

export interface Schema {
  readonly tables: readonly Table[];
  /** Continuous aggregates (and their degraded forms); absent means none. */
  readonly aggregates?: readonly Aggregate[] | undefined;
  /**
   * Objects of a schema read from a database that are not tables and that prism.yaml cannot
   * state: views, materialized views (continuous aggregates among them), enum and other types.
   */
  readonly unsupported?: readonly Unsupported[] | undefined;
}

/** The schema every unqualified spec table lives in. */
export const DEFAULT_SCHEMA = 'public';
