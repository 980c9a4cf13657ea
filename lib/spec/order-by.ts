/** One compression order_by item of a spec: the shared grammar, with a plain identifier as column. */
import { parseOrderByTerm } from '../sql/order-by.js';
import { isIdentifier } from './identifiers.js';
import type { OrderByItem } from './types.js';

export { ORDER_BY_HINT } from '../sql/order-by.js';

export type OrderByResult =
  | { readonly ok: true; readonly item: OrderByItem }
  | { readonly ok: false; readonly reason: string };

export function parseOrderBy(text: string): OrderByResult {
  const column = text.trim().split(/\s+/)[0] ?? '';
  if (!isIdentifier(column)) {
    return { ok: false, reason: `${JSON.stringify(column)} is not a valid column name` };
  }
  const parsed = parseOrderByTerm(text);
  return parsed.ok ? { ok: true, item: parsed.term } : parsed;
}
