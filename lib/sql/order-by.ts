/** `col [ASC|DESC] [NULLS FIRST|LAST]`: the one order-by grammar, for specs and operations. */
import { UsageError } from '../errors.js';
import { quoteIdent } from './quote.js';

export interface OrderByTerm {
  readonly column: string;
  readonly direction: 'ASC' | 'DESC';
  readonly nulls?: 'FIRST' | 'LAST' | undefined;
}

export const ORDER_BY_HINT = "write 'column [ASC|DESC] [NULLS FIRST|LAST]', e.g. 'timestamp DESC'";

export type OrderByParse =
  | { readonly ok: true; readonly term: OrderByTerm }
  | { readonly ok: false; readonly reason: string };

function directionOf(word: string | undefined): 'ASC' | 'DESC' | undefined {
  const w = word?.toUpperCase();
  return w === 'ASC' || w === 'DESC' ? w : undefined;
}

/** Parses `ts DESC NULLS LAST`. The column is any name; callers decide what names they allow. */
export function parseOrderByTerm(text: string): OrderByParse {
  const words = text.trim().split(/\s+/);
  const column = words[0] ?? '';
  if (column === '') return { ok: false, reason: 'the column name is missing' };
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
  return { ok: true, term: Object.freeze({ column, direction: direction ?? 'ASC', nulls }) };
}

export function toOrderByTerm(term: string | OrderByTerm): OrderByTerm {
  if (typeof term !== 'string') {
    // Objects come from hand-written migrations: check what would reach SQL.
    if (term?.direction !== 'ASC' && term?.direction !== 'DESC') {
      throw new UsageError(
        `order-by direction must be ASC or DESC, got ${JSON.stringify(term?.direction)}`,
      );
    }
    if (term.nulls !== undefined && term.nulls !== 'FIRST' && term.nulls !== 'LAST') {
      throw new UsageError(
        `order-by nulls must be FIRST or LAST, got ${JSON.stringify(term.nulls)}`,
      );
    }
    return term;
  }
  const parsed = parseOrderByTerm(term);
  if (!parsed.ok) {
    throw new UsageError(`invalid order-by term ${JSON.stringify(term)}: ${parsed.reason}`, {
      hint: ORDER_BY_HINT,
    });
  }
  return parsed.term;
}

export function orderByTermSql(term: OrderByTerm): string {
  const nulls = term.nulls ? ` NULLS ${term.nulls}` : '';
  return `${quoteIdent(term.column, 'order-by column')} ${term.direction}${nulls}`;
}
