import { reversible, type TableArg } from '../common.js';
import { addForeignKeySql, dropForeignKeySql, type ForeignKeyOptions } from './foreign-key.js';

/** Adds a single-column foreign key (checked against the server's TimescaleDB). Reverse: drops it. */
export const addForeignKey = reversible(
  (table: TableArg, options: ForeignKeyOptions) => addForeignKeySql(table, options),
  (table: TableArg, options: ForeignKeyOptions) => dropForeignKeySql(table, options),
);
