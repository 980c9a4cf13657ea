import { reversible, type TableArg } from '../common.js';
import { addForeignKeySql, dropForeignKeySql, type ForeignKeyOptions } from './foreign-key.js';

/** Drops a foreign key. Reverse: adds it again as `options` describe it. */
export const dropForeignKey = reversible(
  (table: TableArg, options: ForeignKeyOptions) => dropForeignKeySql(table, options),
  (table: TableArg, options: ForeignKeyOptions) => addForeignKeySql(table, options),
);
