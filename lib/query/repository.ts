/**
 * A typed repository over one timeseries model: range queries, time-bucket aggregates,
 * latest rows, and validated bulk inserts. SQL comes from the pure builders in ./sql.ts.
 *
 * Rows come back as `pg` returns them: timestamptz as Date, bigint and decimal (numeric)
 * as strings (so is `sum`/`avg` over int, bigint and decimal fields), float as number,
 * json as parsed values. Aggregate `count` values are numbers. `prism-migrate types` writes
 * these shapes per model as TypeScript, for the repository's type parameter.
 */
import { readSchema } from '../catalog/read.js';
import { timescaleSchema } from '../catalog/relations.js';
import { UsageError } from '../errors.js';
import { quoteIdent } from '../sql/quote.js';
import type { Model } from '../spec/types.js';
import {
  materializedRangeQuery,
  microsToTimestamp,
  routeAggregateQuery,
  type MaterializedRange,
} from './aggregate-routing.js';
import {
  DEFAULT_BATCH_SIZE,
  INGEST_METHODS,
  insertMany,
  type IngestMethod,
  type Queryable,
} from './insert.js';
import {
  buildAggregateQuery,
  buildLatestQuery,
  buildRangeQuery,
  checkTimeZone,
  segmentKeyOf,
  timeColumnOf,
  type AggregateQueryInput,
  type BuiltQuery,
  type Dialect,
  type LatestQueryInput,
  type MaterializedPart,
  type RangeQueryInput,
  type TimeInput,
} from './sql.js';

export {
  COPY_MIN_ROWS,
  insertMany,
  validateRows,
  type IngestMethod,
  type InsertOptions,
  type Queryable,
  type RowSource,
} from './insert.js';

export type Row = Record<string, unknown>;

/**
 * The row shapes of one model: as queries return them (`row`) and as insertMany takes
 * them (`insert`). `prism-migrate types` writes one per model (`Models['DataPoint']`).
 */
export interface RowTypes {
  readonly row: object;
  readonly insert: object;
}

/** What a repository types its rows as when given no RowTypes. */
export interface UntypedRows {
  readonly row: Row;
  readonly insert: Row;
}

export interface RepositoryOptions {
  readonly dialect: Dialect;
  /** The TimescaleDB extension schema (timescale dialect); default `public`. */
  readonly schema?: string | undefined;
  /** Rows per unnest statement in insertMany; default 5,000. */
  readonly batchSize?: number | undefined;
  /** How insertMany sends rows (see insertMany); default `auto`. */
  readonly ingest?: IngestMethod | undefined;
}

/** The builders' inputs less what the repository supplies (dialect, schema, range, strategy). */
export type RangeOptions = Omit<RangeQueryInput, 'start' | 'end'>;
export type AggregateOptions = Omit<
  AggregateQueryInput,
  'dialect' | 'schema' | 'bucket' | 'start' | 'end' | 'materialized'
> & {
  /** false: always aggregate the table's rows, never a continuous aggregate. Default true. */
  readonly useAggregates?: boolean | undefined;
};

/** What answered an aggregate query: a continuous aggregate (with the table's rows it lacks), or the table. */
export interface AggregateSource {
  readonly kind: 'aggregate' | 'table';
  /** The view's name, or the model's table name. */
  readonly name: string;
  /** Why no continuous aggregate answered (kind `table`, when the model has any). */
  readonly reason?: string | undefined;
}

export interface TimeBucketAnswer {
  readonly rows: Row[];
  readonly source: AggregateSource;
}
export type LatestOptions = Omit<LatestQueryInput, 'strategy'>;

export interface Repository<T extends RowTypes = UntypedRows> {
  readonly model: Model;
  readonly dialect: Dialect;
  getByTimeRange(start: TimeInput, end: TimeInput, options?: RangeOptions): Promise<T['row'][]>;
  /** Rows `{ bucket: Date, [segment key…], '<aggregation>_<field>': value, … }`. */
  getTimeBucketAggregates(
    bucket: string,
    start: TimeInput,
    end: TimeInput,
    options?: AggregateOptions,
  ): Promise<Row[]>;
  /**
   * getTimeBucketAggregates' rows and what answered them: a continuous aggregate of the
   * model when that gives the table's exact answer (its materialized buckets inside the
   * range, the rest from the table), else the table.
   */
  answerTimeBucketAggregates(
    bucket: string,
    start: TimeInput,
    end: TimeInput,
    options?: AggregateOptions,
  ): Promise<TimeBucketAnswer>;
  getLatest(options?: LatestOptions): Promise<T['row'][]>;
  /**
   * Validates and inserts the rows, all or none (see insertMany); returns the number
   * inserted.
   */
  insertMany(rows: readonly T['insert'][]): Promise<number>;
}

/**
 * Whether an index of the model's table starts with the first segment key column, which
 * the per-key latest lookup probes once per value; without one each probe would scan.
 * Only a whole-table btree in the column's own collation serves `ORDER BY key`: a
 * partial index (read with its `where`) does not, and the catalog reader lists invalid
 * and collated indexes as unsupported, not as indexes. The primary key's index serves too.
 */
export async function hasSegmentKeyIndex(client: Queryable, model: Model): Promise<boolean> {
  const [first] = segmentKeyOf(model);
  if (first === undefined) return false;
  const table = (
    await readSchema(client, {
      tables: [
        model.schema === undefined ? model.table : { schema: model.schema, name: model.table },
      ],
    })
  ).tables[0];
  if (table === undefined) return false;
  return (
    table.primaryKey?.columns[0] === first ||
    table.indexes.some(
      (i) => i.method === 'btree' && i.where === undefined && i.columns[0]?.column === first,
    )
  );
}

async function run(client: Queryable, q: BuiltQuery): Promise<Row[]> {
  const result = await client.query<Row>(q.sql, q.parameters as unknown[]);
  return result.rows;
}

/**
 * A repository over `client` (a client, or a pool). `T` types the rows, e.g.
 * `createRepository<Models['DataPoint']>(…)` with the types `prism-migrate types` writes;
 * it is not checked against `model`.
 */
export function createRepository<T extends RowTypes = UntypedRows>(
  client: Queryable,
  model: Model,
  options: RepositoryOptions,
): Repository<T> {
  if (options.dialect !== 'timescale' && options.dialect !== 'postgres') {
    throw new UsageError(`dialect must be 'timescale' or 'postgres'`);
  }
  timeColumnOf(model);
  const { dialect, schema } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new UsageError(`batchSize must be a whole number of at least 1`);
  }
  const ingest = options.ingest ?? 'auto';
  if (!INGEST_METHODS.includes(ingest)) {
    throw new UsageError(`ingest must be one of ${INGEST_METHODS.join(', ')}`);
  }
  const knownZones = new Set<string>();
  let keyIndexed: boolean | undefined;

  async function checkZone(tz: string | undefined): Promise<void> {
    if (tz === undefined || knownZones.has(tz)) return;
    checkTimeZone(tz);
    const { rowCount } = await client.query(
      'SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = $1',
      [tz],
    );
    if (!rowCount) throw new UsageError(`unknown time zone ${JSON.stringify(tz)}`);
    knownZones.add(tz);
  }

  let materializationRanges: boolean | undefined;

  /** The materialized part of a query from the first usable aggregate, with the reasons of the others. */
  async function materializedPart(
    bucket: string,
    start: TimeInput,
    end: TimeInput,
    o: AggregateOptions,
  ): Promise<{ part?: MaterializedPart; view?: string; reason: string }> {
    if (o.useAggregates === false) return { reason: 'the table was asked for' };
    if ((model.timeseries?.aggregates ?? []).length === 0) return { reason: '' };
    if (dialect !== 'timescale') {
      return {
        reason:
          'without TimescaleDB an aggregate is a view or materialized view, with no watermark that proves it current',
      };
    }
    const routing = routeAggregateQuery(model, { ...o, bucket });
    const reasons = routing.refused.map((r) =>
      r.aggregate === undefined ? r.reason : `${r.aggregate}: ${r.reason}`,
    );
    for (const candidate of routing.candidates) {
      materializationRanges ??=
        (
          await client.query<{ present: boolean }>(
            `SELECT to_regclass('_timescaledb_catalog.continuous_aggs_materialization_ranges') IS NOT NULL AS present`,
          )
        ).rows[0]?.present === true;
      const view = { schema: model.schema, name: candidate.aggregate.name };
      const q = materializedRangeQuery(
        model,
        view,
        candidate.bucket,
        start,
        end,
        quoteIdent(schema ?? 'public', 'TimescaleDB schema'),
        materializationRanges,
      );
      const range = (await client.query<MaterializedRange>(q.sql, q.parameters as unknown[]))
        .rows[0];
      const refuse = (why: string): void => {
        reasons.push(`${candidate.aggregate.name}: ${why}`);
      };
      if (range === undefined || range.levels === 0) {
        refuse(
          'not a continuous aggregate on this server (a view or materialized view, or missing)',
        );
      } else if (!range.onTable) {
        refuse(`it does not read ${model.table}`);
      } else if (BigInt(range.from) >= BigInt(range.to)) {
        refuse('none of its materialized buckets lies inside the range');
      } else if (range.standby) {
        refuse(
          'on a streaming replica, changes the primary collects from the WAL cannot be seen, so nothing proves it current',
        );
      } else if (range.pending) {
        refuse(
          'changes to rows in the range may not be materialized yet (pending invalidations, or changes collected from the WAL)',
        );
      } else {
        return {
          view: candidate.aggregate.name,
          reason: '',
          part: {
            view,
            bucket: candidate.bucket.text,
            from: microsToTimestamp(range.from),
            to: microsToTimestamp(range.to),
            columns: candidate.columns,
          },
        };
      }
    }
    return { reason: reasons.join('; ') };
  }

  async function answer(
    bucket: string,
    start: TimeInput,
    end: TimeInput,
    o: AggregateOptions,
  ): Promise<TimeBucketAnswer> {
    // useAggregates is not an input of the builder; it ignores the key.
    const input = o;
    // Built first: it checks the request before anything is read.
    let q = buildAggregateQuery(model, { dialect, schema, bucket, start, end, ...input });
    await checkZone(o.tz);
    const chosen = await materializedPart(bucket, start, end, o);
    if (chosen.part !== undefined) {
      q = buildAggregateQuery(model, {
        dialect,
        schema,
        bucket,
        start,
        end,
        ...input,
        materialized: chosen.part,
      });
    }
    const rows = (await run(client, q)).map((r) => {
      const out: Row = {};
      for (const c of q.columns) {
        const v = r[c.alias];
        out[c.name] = c.aggregation === 'count' && v !== null && v !== undefined ? Number(v) : v;
      }
      return out;
    });
    const source: AggregateSource =
      chosen.view !== undefined
        ? { kind: 'aggregate', name: chosen.view }
        : {
            kind: 'table',
            name: model.table,
            ...(chosen.reason === '' ? {} : { reason: chosen.reason }),
          };
    return { rows, source };
  }

  const repository: Repository = {
    model,
    dialect,
    getByTimeRange: (start: TimeInput, end: TimeInput, o: RangeOptions = {}) =>
      run(client, buildRangeQuery(model, { start, end, ...o })),
    async getTimeBucketAggregates(
      bucket: string,
      start: TimeInput,
      end: TimeInput,
      o: AggregateOptions = {},
    ) {
      return (await answer(bucket, start, end, o)).rows;
    },
    answerTimeBucketAggregates: (
      bucket: string,
      start: TimeInput,
      end: TimeInput,
      o: AggregateOptions = {},
    ) => answer(bucket, start, end, o),
    async getLatest(o: LatestOptions = {}) {
      // Checked once per repository: an index created later is used by a new repository.
      if (o.perSegment && keyIndexed === undefined)
        keyIndexed = await hasSegmentKeyIndex(client, model);
      const strategy = keyIndexed === false ? 'scan' : 'index';
      return run(client, buildLatestQuery(model, { ...o, strategy }));
    },
    insertMany: (rows: readonly object[]) => insertMany(client, model, rows, { batchSize, ingest }),
  };
  // The rows are what `run` returns; T only names their shape for the caller.
  return Object.freeze(repository) as Repository<T>;
}

/** The dialect of the connected database: `timescale` when the extension is installed. */
export async function detectDialect(
  client: Queryable,
): Promise<{ dialect: Dialect; schema: string | undefined }> {
  const schema = await timescaleSchema(client);
  return schema !== undefined
    ? { dialect: 'timescale', schema }
    : { dialect: 'postgres', schema: undefined };
}

/**
 * createRepository with the dialect (and TimescaleDB schema) detected from the database,
 * over a client or a pool.
 */
export async function createRepositoryFor<T extends RowTypes = UntypedRows>(
  client: Queryable,
  model: Model,
  options: Pick<RepositoryOptions, 'batchSize' | 'ingest'> = {},
): Promise<Repository<T>> {
  const { dialect, schema } = await detectDialect(client);
  return createRepository<T>(client, model, { ...options, dialect, schema });
}
