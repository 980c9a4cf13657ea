/** `col [ASC|DESC] [NULLS FIRST|LAST]`: the only order-by form accepted for compression. */
import { UsageError } from '../errors.js';
import { quoteIdent } from './quote.js';

export interface OrderByTerm {
  readonly column: string;
  readonly direction: 'ASC' | 'DESC';
  readonly nulls?: 'FIRST' | 'LAST' | undefined;
}

const ORDER_BY = /^\s*(\S+?)(?:\s+(ASC|DESC))?(?:\s+NULLS\s+(FIRST|LAST))?\s*$/i;

/** Parses `ts DESC NULLS LAST`; returns undefined when the text does not fit the form. */
export function parseOrderByTerm(text: string): OrderByTerm | undefined {
  const m = ORDER_BY.exec(text);
  if (!m) return undefined;
  const [, column, direction, nulls] = m;
  return Object.freeze({
    column: column as string,
    direction: (direction?.toUpperCase() ?? 'ASC') as 'ASC' | 'DESC',
    nulls: nulls === undefined ? undefined : (nulls.toUpperCase() as 'FIRST' | 'LAST'),
  });
}

export function toOrderByTerm(term: string | OrderByTerm): OrderByTerm {
  if (typeof term !== 'string') return term;
  const parsed = parseOrderByTerm(term);
  if (!parsed) {
    throw new UsageError(`invalid order-by term ${JSON.stringify(term)}`, {
      hint: "write '<column> [ASC|DESC] [NULLS FIRST|LAST]', e.g. 'ts DESC'",
    });
  }
  return parsed;
}

export function orderByTermSql(term: OrderByTerm): string {
  const nulls = term.nulls ? ` NULLS ${term.nulls}` : '';
  return `${quoteIdent(term.column, 'order-by column')} ${term.direction}${nulls}`;
}
