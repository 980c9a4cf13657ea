/** One compression order_by item: `column [ASC|DESC] [NULLS FIRST|LAST]`. */
import { isIdentifier } from './identifiers.js';
import type { OrderByItem } from './types.js';

export const ORDER_BY_HINT = "write 'column [ASC|DESC] [NULLS FIRST|LAST]', e.g. 'timestamp DESC'";

export type OrderByResult =
  | { readonly ok: true; readonly item: OrderByItem }
  | { readonly ok: false; readonly reason: string };

function directionOf(word: string | undefined): 'ASC' | 'DESC' | undefined {
  const w = word?.toUpperCase();
  return w === 'ASC' || w === 'DESC' ? w : undefined;
}

export function parseOrderBy(text: string): OrderByResult {
  const words = text.trim().split(/\s+/);
  const column = words[0] ?? '';
  if (!isIdentifier(column)) {
    return { ok: false, reason: `${JSON.stringify(column)} is not a valid column name` };
  }
  let i = 1;
  const direction = directionOf(words[i]);
  if (direction !== undefined) i += 1;
  let nulls: 'FIRST' | 'LAST' | undefined;
  if (words[i]?.toUpperCase() === 'NULLS') {
    const which = words[i + 1]?.toUpperCase();
    if (which !== 'FIRST' && which !== 'LAST') {
      return { ok: false, reason: 'NULLS must be followed by FIRST or LAST' };
    }
    nulls = which;
    i += 2;
  }
  if (i < words.length) {
    return { ok: false, reason: `unexpected ${JSON.stringify(words.slice(i).join(' '))}` };
  }
  return { ok: true, item: Object.freeze({ column, direction: direction ?? 'ASC', nulls }) };
}
