/**
 * The data-loss guard inside a migration's transaction. The runner counts what a new
 * retention drops before the run, but only on the database as it is then: a table that
 * becomes a hypertable earlier in the same migration or the same run, or a policy added
 * by a hand-written migration, escapes that count. Inside the transaction, just before
 * the policy is added, the chunks its first run drops can be counted exactly.
 *
 * `addRetentionPolicy` counts the rows in the chunks older than its interval and raises
 * DATA_LOSS_SQLSTATE when there are any, unless the session allows data loss
 * (`--allow-data-loss` sets ALLOW_DATA_LOSS_SETTING). `createHypertable` notes the table
 * in a transaction-local setting, so the refusal can say that the rows came with the
 * conversion.
 */
import { quoteLiteral } from '../sql/quote.js';
import { displayName, regclass, type TableArg } from './common.js';
import { tsFormat, TS } from './guard.js';

/** Space-separated OIDs of the tables made hypertables in this transaction. */
export const NEW_HYPERTABLES_SETTING = 'prism.new_hypertables';
/** `on`: a retention policy may be added although its first run drops rows. */
export const ALLOW_DATA_LOSS_SETTING = 'prism.allow_data_loss';
/** Raised when a retention policy's first run would drop rows. */
export const DATA_LOSS_SQLSTATE = 'PR103';

const CUT_OFF = '\u0000cut-off\u0000';

const setting = (name: string) => `pg_catalog.current_setting(${quoteLiteral(name)}, true)`;

/** plpgsql: notes `table` as made a hypertable in this transaction. */
export function noteNewHypertable(table: TableArg): string {
  return `PERFORM pg_catalog.set_config(${quoteLiteral(NEW_HYPERTABLES_SETTING)}, COALESCE(${setting(NEW_HYPERTABLES_SETTING)}, '') || ' ' || (${regclass(table)})::pg_catalog.oid::text, true);`;
}

export const RETENTION_LOSS_DECLARE = Object.freeze([
  'loss_chunk pg_catalog.regclass;',
  'loss_now_fn text;',
  'loss_now bigint;',
  'loss_n bigint;',
  'loss_rows bigint := 0;',
  'loss_chunks int := 0;',
]);

/**
 * plpgsql (after `lookupHypertable`, which sets `target`, `rel_schema` and `rel_name`):
 * refuses a retention policy whose first run would drop rows. `amount` is the SQL of the interval, or for integer time the whole
 * number of units: show_chunks takes an integer as a point in time, so the cut-off is
 * the table's integer-now function minus it (without that function TimescaleDB refuses
 * the policy itself).
 */
export function refuseRetentionLoss(
  table: TableArg,
  amount: string,
  integer: boolean,
  amountText: string,
): string[] {
  const name = displayName(table);
  const chunks = tsFormat`SELECT c FROM ${TS}.show_chunks(${regclass(table)}, older_than => ${integer ? CUT_OFF : amount}) c`;
  // The integer cut-off is the format() argument %2$s: put in after tsFormat escaped `%`.
  const template = integer
    ? `${chunks.slice(0, chunks.lastIndexOf(CUT_OFF))}%2$s${chunks.slice(chunks.lastIndexOf(CUT_OFF) + CUT_OFF.length)}`
    : chunks;
  const message = `prism: the retention policy on ${name.replaceAll('%', '%%')} would drop %s row(s) in %s chunk(s) older than ${amountText.replaceAll('%', '%%')} on its first run%s`;
  const converted = `pg_catalog.strpos(' ' || COALESCE(${setting(NEW_HYPERTABLES_SETTING)}, '') || ' ', ' ' || target::pg_catalog.oid::text || ' ') > 0`;
  const cutOff = integer
    ? [
        "  SELECT pg_catalog.format('%I.%I', d.integer_now_func_schema, d.integer_now_func) INTO loss_now_fn",
        '    FROM _timescaledb_catalog.dimension d JOIN _timescaledb_catalog.hypertable h ON h.id = d.hypertable_id',
        '   WHERE h.schema_name = rel_schema AND h.table_name = rel_name AND d.integer_now_func IS NOT NULL LIMIT 1;',
        "  IF loss_now_fn IS NOT NULL THEN EXECUTE 'SELECT ' || loss_now_fn || '()::bigint' INTO loss_now; END IF;",
      ]
    : [];
  const chunkQuery = integer
    ? `pg_catalog.format(${quoteLiteral(template)}, ts_schema, (loss_now - ${amount})::text)`
    : `pg_catalog.format(${quoteLiteral(template)}, ts_schema)`;
  return [
    `IF COALESCE(${setting(ALLOW_DATA_LOSS_SETTING)}, '') <> 'on' THEN`,
    ...cutOff,
    ...(integer ? ['  IF loss_now IS NOT NULL THEN'] : []),
    `  FOR loss_chunk IN EXECUTE ${chunkQuery} LOOP`,
    "    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', loss_chunk) INTO loss_n;",
    '    loss_rows := loss_rows + loss_n;',
    '    loss_chunks := loss_chunks + 1;',
    '  END LOOP;',
    ...(integer ? ['  END IF;'] : []),
    '  IF loss_rows > 0 THEN',
    `    RAISE EXCEPTION USING ERRCODE = ${quoteLiteral(DATA_LOSS_SQLSTATE)},`,
    `      MESSAGE = pg_catalog.format(${quoteLiteral(message)}, loss_rows, loss_chunks,`,
    `        CASE WHEN ${converted} THEN ': the table became a hypertable with those rows in this migration' ELSE '' END),`,
    `      HINT = ${quoteLiteral(`back the rows up, or run again with --allow-data-loss (it sets ${ALLOW_DATA_LOSS_SETTING} = on) to add the policy anyway`)};`,
    '  END IF;',
    'END IF;',
  ];
}
