/**
 * SQL that makes the names prism-migrate derives from a table or column name follow its
 * rename: `<table>_pkey`, the enum CHECKs `<table>_<column>_check` and the foreign keys
 * `<table>_<column>_fkey`.
 */
import { enumCheckName, primaryKeyName } from '../spec/identifiers.js';
import { dollarQuote, quoteIdent, quoteLiteral, quoteTable } from '../sql/quote.js';

function doBlock(body: readonly string[]): string {
  return `DO ${dollarQuote(`\n${body.join('\n')}\n`)}`;
}

/** Renames `<from>_pkey`, the enum checks `<from>_<column>_check` and the foreign keys `<from>_<column>_fkey` of a renamed table. */
export function renameTableConstraintsSql(from: string, to: string, schema?: string): string {
  const table = `${quoteLiteral(quoteTable({ schema, name: to }))}::pg_catalog.regclass`;
  const prefix = quoteLiteral(`${from}_`);
  return doBlock([
    'DECLARE',
    '  r record;',
    'BEGIN',
    '  FOR r IN',
    '    SELECT conname, contype FROM pg_catalog.pg_constraint',
    `    WHERE conrelid = ${table}`,
    `      AND ((contype = 'p' AND conname = ${quoteLiteral(primaryKeyName(from))})`,
    `        OR (contype = 'c' AND left(conname, char_length(${prefix})) = ${prefix}`,
    `          AND right(conname, 6) = '_check')`,
    `        OR (contype = 'f' AND left(conname, char_length(${prefix})) = ${prefix}`,
    `          AND right(conname, 5) = '_fkey'))`,
    '  LOOP',
    "    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I',",
    `      ${table}, r.conname,`,
    `      CASE WHEN r.contype = 'p' THEN ${quoteLiteral(primaryKeyName(to))}`,
    `      ELSE ${quoteLiteral(`${to}_`)} || substr(r.conname, char_length(${prefix}) + 1) END);`,
    '  END LOOP;',
    'END',
  ]);
}

/** Renames the enum check `<table>_<from>_check` of a renamed column, when there is one. */
export function renameColumnCheckSql(
  table: string,
  from: string,
  to: string,
  schema?: string,
): string {
  const oldName = enumCheckName(table, from);
  const qualified = quoteTable({ schema, name: table });
  return doBlock([
    'BEGIN',
    '  IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint',
    `      WHERE conrelid = ${quoteLiteral(qualified)}::pg_catalog.regclass`,
    `        AND contype = 'c' AND conname = ${quoteLiteral(oldName)}) THEN`,
    `    ALTER TABLE ${qualified} RENAME CONSTRAINT ${quoteIdent(oldName)}`,
    `      TO ${quoteIdent(enumCheckName(table, to))};`,
    '  END IF;',
    'END',
  ]);
}
