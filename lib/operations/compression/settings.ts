import { UsageError } from '../../errors.js';
import { orderByTermSql, toOrderByTerm, type OrderByTerm } from '../../sql/order-by.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';

export interface CompressionSettings {
  readonly segmentBy?: readonly string[] | undefined;
  readonly orderBy?: readonly (string | OrderByTerm)[] | undefined;
}

/** The `timescaledb.compress_*` storage parameters for ALTER TABLE … SET (…). */
export function compressionParameters(settings: CompressionSettings): string {
  const params = ['timescaledb.compress'];
  const segmentBy = settings.segmentBy ?? [];
  const orderBy = settings.orderBy ?? [];
  if (!Array.isArray(segmentBy) || !Array.isArray(orderBy)) {
    throw new UsageError('segmentBy and orderBy must be arrays of column names');
  }
  if (segmentBy.length > 0) {
    const list = segmentBy.map((c) => quoteIdent(c, 'segmentBy column')).join(', ');
    params.push(`timescaledb.compress_segmentby = ${quoteLiteral(list)}`);
  }
  if (orderBy.length > 0) {
    const list = orderBy.map((t) => orderByTermSql(toOrderByTerm(t))).join(', ');
    params.push(`timescaledb.compress_orderby = ${quoteLiteral(list)}`);
  }
  return params.join(', ');
}

/**
 * Settings given as empty lists must be cleared: leaving them out of SET would keep the
 * previous ones (e.g. when a migration goes back to no segment-by).
 */
export function clearedParameters(settings: CompressionSettings): string[] {
  const cleared: string[] = [];
  if (Array.isArray(settings.segmentBy) && settings.segmentBy.length === 0)
    cleared.push('timescaledb.compress_segmentby');
  if (Array.isArray(settings.orderBy) && settings.orderBy.length === 0)
    cleared.push('timescaledb.compress_orderby');
  return cleared;
}
