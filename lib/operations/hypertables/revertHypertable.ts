import type { IntervalInput } from '../../sql/interval.js';
import { byEnvironment, type EnvironmentOptions } from '../environment.js';
import { quoteLiteral } from '../../sql/quote.js';
import {
  displayName,
  lookupHypertable,
  LOOKUP_DECLARE,
  reversible,
  type ReversibleOperation,
  type TableArg,
  type TimescaleOption,
} from '../common.js';
import { guarded } from '../guard.js';
import { accessOf, ACCESS_DECLARE, restoreAccess } from '../access.js';
import { effectiveMode } from '../mode.js';
import { createHypertable } from './createHypertable.js';
import type { SpacePartitioningOptions } from './addDimension.js';

export interface RevertHypertableOptions
  extends TimescaleOption, EnvironmentOptions<{ chunkInterval: IntervalInput }> {
  /** Needed only to reverse this operation (re-create the hypertable). */
  readonly timeColumn?: string | undefined;
  readonly chunkInterval?: IntervalInput | undefined;
  readonly partitioning?: SpacePartitioningOptions | undefined;
}

/**
 * TimescaleDB has no function that turns a hypertable back into a plain table, so this
 * copies it inside the migration's transaction: a new table LIKE the old one (defaults,
 * CHECK constraints, identity, column comments), every row, then the old indexes (but
 * the `<table>_<time>_idx` that create_hypertable adds by default) and
 * key/foreign-key constraints under their old names, the table's privileges (and its
 * columns'), owner and comment, and the serial and identity sequences. Policies and
 * chunks go with the old table. Dependent views or foreign keys from other tables make
 * the DROP fail, which rolls the migration back.
 */
function forward(table: TableArg, options: RevertHypertableOptions = {}): string {
  const name = displayName(table);
  return guarded({
    mode: effectiveMode(options.timescale),
    feature: 'hypertable',
    what: `reverting hypertable ${name} to a plain table`,
    declare: [
      ...LOOKUP_DECLARE,
      'tmp_name text;',
      'time_column text;',
      'qualified text;',
      'tmp_qualified text;',
      'table_access jsonb;',
      ...ACCESS_DECLARE,
      'index_defs text[];',
      'constraint_defs text[];',
      'owned_sequences text[];',
      'identity_columns text[];',
      'stmt text;',
      'col text;',
    ],
    body: [
      ...lookupHypertable(
        table,
        `RAISE NOTICE '%', ${quoteLiteral(`prism: ${name} is not a hypertable; nothing to revert`)}; RETURN;`,
      ),
      "qualified := pg_catalog.format('%I.%I', rel_schema, rel_name);",
      'SELECT d.column_name INTO time_column FROM timescaledb_information.dimensions d',
      '  WHERE d.hypertable_schema = rel_schema AND d.hypertable_name = rel_name AND d.dimension_number = 1;',
      "tmp_name := pg_catalog.left(rel_name, 40) || '_prism_revert';",
      "tmp_qualified := pg_catalog.format('%I.%I', rel_schema, tmp_name);",
      `table_access := ${accessOf('target')};`,
      'SELECT pg_catalog.array_agg(pg_catalog.pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid) INTO index_defs',
      '  FROM pg_catalog.pg_index i WHERE i.indrelid = target',
      '  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = target)',
      // The index create_hypertable adds by default goes with the hypertable.
      "  AND pg_catalog.pg_get_indexdef(i.indexrelid) IS DISTINCT FROM pg_catalog.format('CREATE INDEX %I ON %I.%I USING btree (%I DESC)', rel_name || '_' || time_column || '_idx', rel_schema, rel_name, time_column);",
      "SELECT pg_catalog.array_agg(pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', qualified, k.conname, pg_catalog.pg_get_constraintdef(k.oid)) ORDER BY k.contype DESC, k.oid)",
      "  INTO constraint_defs FROM pg_catalog.pg_constraint k WHERE k.conrelid = target AND k.contype IN ('p', 'u', 'x', 'f');",
      "SELECT pg_catalog.array_agg(pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.%I', d.objid::pg_catalog.regclass, tmp_qualified, a.attname))",
      '  INTO owned_sequences FROM pg_catalog.pg_depend d',
      '  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid',
      "  JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'",
      "  WHERE d.refobjid = target AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a';",
      "SELECT pg_catalog.array_agg(a.attname::text) INTO identity_columns FROM pg_catalog.pg_attribute a WHERE a.attrelid = target AND a.attidentity <> '' AND NOT a.attisdropped;",
      "EXECUTE pg_catalog.format('CREATE TABLE %s (LIKE %s INCLUDING ALL EXCLUDING INDEXES)', tmp_qualified, qualified);",
      // Its owner first: a serial sequence can only belong to a table of its owner.
      ...restoreAccess({
        relation: 'tmp_qualified',
        saved: 'table_access',
        alterKind: "'TABLE'",
        commentKind: "'TABLE'",
      }),
      "EXECUTE pg_catalog.format('INSERT INTO %s OVERRIDING SYSTEM VALUE SELECT * FROM %s', tmp_qualified, qualified);",
      'FOREACH stmt IN ARRAY coalesce(owned_sequences, ARRAY[]::text[]) LOOP',
      // Re-own serial sequences (they are still named after the old table) before the drop.
      '  EXECUTE stmt;',
      'END LOOP;',
      "EXECUTE pg_catalog.format('DROP TABLE %s', qualified);",
      "EXECUTE pg_catalog.format('ALTER TABLE %s RENAME TO %I', tmp_qualified, rel_name);",
      'FOREACH stmt IN ARRAY coalesce(constraint_defs, ARRAY[]::text[]) LOOP EXECUTE stmt; END LOOP;',
      'FOREACH stmt IN ARRAY coalesce(index_defs, ARRAY[]::text[]) LOOP EXECUTE stmt; END LOOP;',
      'FOREACH col IN ARRAY coalesce(identity_columns, ARRAY[]::text[]) LOOP',
      "  EXECUTE pg_catalog.format('SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %s), 0) + 1, false)', qualified, col, col, qualified);",
      'END LOOP;',
    ],
  });
}

export const revertHypertable: ReversibleOperation<[TableArg, RevertHypertableOptions?]> =
  byEnvironment(
    reversible(
      forward,
      (table: TableArg, options: RevertHypertableOptions = {}): string | string[] => {
        if (options.timeColumn === undefined) {
          throw new Error(
            'Impossible to reverse revertHypertable() without the time column: pass { timeColumn, chunkInterval } or write an explicit down',
          );
        }
        return createHypertable(table, {
          timeColumn: options.timeColumn,
          chunkInterval: options.chunkInterval,
          partitioning: options.partitioning,
          timescale: options.timescale,
        });
      },
    ),
  );
