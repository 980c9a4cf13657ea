import { UsageError } from '../../errors.js';
import { parseInterval } from '../../sql/interval.js';
import { orderByTermSql, toOrderByTerm, type OrderByTerm } from '../../sql/order-by.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';

/** The sparse index kinds TimescaleDB (2.22+) lets a table choose per column. */
export const SPARSE_INDEX_TYPES = Object.freeze(['minmax', 'bloom'] as const);
export type SparseIndexType = (typeof SPARSE_INDEX_TYPES)[number];

export interface SparseIndex {
  readonly column: string;
  readonly type: SparseIndexType;
}

export interface CompressionSettings {
  readonly segmentBy?: readonly string[] | undefined;
  readonly orderBy?: readonly (string | OrderByTerm)[] | undefined;
  /**
   * `compress_chunk_time_interval`: chunks are rolled together into chunks of this span as
   * they are compressed. `null` clears it; left out, it is not changed.
   */
  readonly chunkInterval?: string | null | undefined;
  /** Sparse indexes (TimescaleDB 2.22+). An empty list clears them; left out, not changed. */
  readonly sparseIndexes?: readonly SparseIndex[] | undefined;
}

/**
 * Storage parameter names: the columnstore names of 2.18+, or the compression names
 * every release since 2.0 accepts.
 */
export type SettingNames = 'columnstore' | 'compression';

const NAMES = Object.freeze({
  columnstore: {
    enable: 'timescaledb.enable_columnstore',
    segmentBy: 'timescaledb.segmentby',
    orderBy: 'timescaledb.orderby',
  },
  compression: {
    enable: 'timescaledb.compress',
    segmentBy: 'timescaledb.compress_segmentby',
    orderBy: 'timescaledb.compress_orderby',
  },
});

/** Same name under both APIs (TimescaleDB has no columnstore alias for it). */
const CHUNK_INTERVAL = 'timescaledb.compress_chunk_time_interval';
const SPARSE_INDEX = 'timescaledb.sparse_index';

/** The interval text for `compress_chunk_time_interval`; months and years have no fixed span. */
export function compressChunkIntervalText(input: unknown): string {
  const parsed = parseInterval(input);
  if (!parsed.ok) {
    throw new UsageError(`chunkInterval: ${parsed.reason}`, { hint: parsed.hint });
  }
  if (/\b(?:month|year)s?\b/.test(parsed.interval.text)) {
    throw new UsageError(
      `chunkInterval: ${parsed.interval.text} is not a fixed duration (TimescaleDB refuses months and years here)`,
      { hint: "write it in weeks, days or hours, e.g. '30 days'" },
    );
  }
  return parsed.interval.text;
}

function sparseIndexList(indexes: readonly SparseIndex[]): string {
  if (!Array.isArray(indexes)) throw new UsageError('sparseIndexes must be an array');
  return indexes
    .map((i) => {
      if (!(SPARSE_INDEX_TYPES as readonly string[]).includes(i.type)) {
        throw new UsageError(
          `sparse index type must be one of ${SPARSE_INDEX_TYPES.join(', ')}, got ${String(i.type)}`,
        );
      }
      return `${i.type}(${quoteIdent(i.column, 'sparse index column')})`;
    })
    .join(', ');
}

/** Whether applying `settings` needs sparse index support (TimescaleDB 2.22+). */
export function setsSparseIndexes(settings: CompressionSettings): boolean {
  return Array.isArray(settings.sparseIndexes) && settings.sparseIndexes.length > 0;
}

/** The storage parameters for ALTER TABLE … SET (…), under the given names. */
export function compressionParameters(
  settings: CompressionSettings,
  names: SettingNames = 'compression',
): string {
  const n = NAMES[names];
  const params = [n.enable];
  const segmentBy = settings.segmentBy ?? [];
  const orderBy = settings.orderBy ?? [];
  if (!Array.isArray(segmentBy) || !Array.isArray(orderBy)) {
    throw new UsageError('segmentBy and orderBy must be arrays of column names');
  }
  if (segmentBy.length > 0) {
    const list = segmentBy.map((c) => quoteIdent(c, 'segmentBy column')).join(', ');
    params.push(`${n.segmentBy} = ${quoteLiteral(list)}`);
  }
  if (orderBy.length > 0) {
    const list = orderBy.map((t) => orderByTermSql(toOrderByTerm(t))).join(', ');
    params.push(`${n.orderBy} = ${quoteLiteral(list)}`);
  }
  if (settings.chunkInterval !== undefined) {
    // '0' is how TimescaleDB clears it: RESET is refused for this option.
    const value =
      settings.chunkInterval === null ? '0' : compressChunkIntervalText(settings.chunkInterval);
    params.push(`${CHUNK_INTERVAL} = ${quoteLiteral(value)}`);
  }
  if (setsSparseIndexes(settings)) {
    params.push(
      `${SPARSE_INDEX} = ${quoteLiteral(sparseIndexList(settings.sparseIndexes as SparseIndex[]))}`,
    );
  }
  return params.join(', ');
}

/**
 * Settings given as empty lists must be cleared: leaving them out of SET would keep the
 * previous ones (e.g. when a migration goes back to no segment-by).
 */
export function clearedParameters(
  settings: CompressionSettings,
  names: SettingNames = 'compression',
): string[] {
  const n = NAMES[names];
  const cleared: string[] = [];
  if (Array.isArray(settings.segmentBy) && settings.segmentBy.length === 0)
    cleared.push(n.segmentBy);
  if (Array.isArray(settings.orderBy) && settings.orderBy.length === 0) cleared.push(n.orderBy);
  return cleared;
}

/** Whether the settings clear the sparse indexes (only where the server has them). */
export function clearsSparseIndexes(settings: CompressionSettings): boolean {
  return Array.isArray(settings.sparseIndexes) && settings.sparseIndexes.length === 0;
}

export const SPARSE_INDEX_PARAMETER = SPARSE_INDEX;
