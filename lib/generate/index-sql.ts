/**
 * An index as node-pg-migrate's `createIndex` arguments, or as SQL where `createIndex`
 * cannot say it (NULLS FIRST/LAST). Conditions are printed from the predicate grammar
 * (identifiers quoted, literals escaped), never copied from the spec.
 */
import type { IndexDef } from '../diff/changes.js';
import { canonicalTerm } from '../schema/compile.js';
import { whereSql } from '../sql/predicate.js';
import { quoteIdent, quoteTable, type TableName } from '../sql/quote.js';

/** Whether `pgm.createIndex` can express the index (it has no NULLS FIRST/LAST). */
export function createIndexExpressible(index: IndexDef): boolean {
  return index.columns.every((t) => canonicalTerm(t).nulls === undefined);
}

/** `CREATE [UNIQUE] INDEX "name" ON "table" USING method (…) [INCLUDE (…)] [WHERE …]`. */
export function createIndexSql(table: string | TableName, index: IndexDef): string {
  const columns = index.columns
    .map((term) => {
      const t = canonicalTerm(term);
      const direction = t.direction === 'DESC' ? ' DESC' : '';
      const nulls = t.nulls === undefined ? '' : ` NULLS ${t.nulls}`;
      return `${quoteIdent(t.column, 'index column')}${direction}${nulls}`;
    })
    .join(', ');
  const include =
    index.include && index.include.length > 0
      ? ` INCLUDE (${index.include.map((c) => quoteIdent(c, 'include column')).join(', ')})`
      : '';
  const where = index.where === undefined ? '' : ` WHERE ${whereSql(index.where)}`;
  return `CREATE${index.unique ? ' UNIQUE' : ''} INDEX ${quoteIdent(index.name, 'index name')} ON ${quoteTable(table)} USING ${index.type} (${columns})${include}${where}`;
}
