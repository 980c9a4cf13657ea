/**
 * TimescaleDB statements wrapped so that one migration file runs on TimescaleDB and on
 * plain PostgreSQL. What the server can do is decided when the SQL runs: a DO block
 * looks up the extension's schema (every TimescaleDB function is called qualified with
 * it, so an empty search_path cannot break the call), its version and its licence.
 *
 * - `auto`: what the server cannot do is skipped with a NOTICE.
 * - `require`: the block raises an error naming what is missing; the migration's
 *   transaction rolls back, so nothing changes.
 * - `off`: nothing TimescaleDB-specific is emitted.
 */
import { dollarQuote, quoteLiteral } from '../sql/quote.js';
import type { TimescaleMode } from './mode.js';

/** `hypertable`: needs the extension. `licensed`: also needs the non-Apache build. */
export type TimescaleFeature = 'hypertable' | 'licensed';

/** Marks where the extension's schema goes in a statement built with `tsFormat`. */
export const TS = Symbol('timescaledb schema');

/**
 * Builds a `format()` template: interpolated SQL (already quoted) has `%` escaped and
 * `TS` becomes the schema placeholder `%1$I`.
 */
export function tsFormat(strings: TemplateStringsArray, ...parts: (string | typeof TS)[]): string {
  let out = escapePercent(strings[0] as string);
  parts.forEach((part, i) => {
    out += part === TS ? '%1$I' : escapePercent(part);
    out += escapePercent(strings[i + 1] as string);
  });
  return out;
}

function escapePercent(s: string): string {
  return s.replaceAll('%', '%%');
}

/** A plpgsql statement that runs a `tsFormat` template with the extension schema filled in. */
export function execTs(template: string): string {
  return `EXECUTE pg_catalog.format(${quoteLiteral(template)}, ts_schema);`;
}

/** A plpgsql statement running a template and storing its single result in `into`. */
export function execTsInto(template: string, into: string): string {
  return `EXECUTE pg_catalog.format(${quoteLiteral(template)}, ts_schema) INTO ${into};`;
}

export interface GuardedBlock {
  readonly mode: TimescaleMode;
  readonly feature: TimescaleFeature;
  /** Human description used in NOTICE/error texts, e.g. `retention policy on "metrics"`. */
  readonly what: string;
  /**
   * Create the extension in this database when the server has it (`CREATE EXTENSION IF
   * NOT EXISTS`, in the migration's transaction). Steps that build TimescaleDB objects
   * set it; steps that remove them never create the extension.
   */
  readonly ensureExtension?: boolean | undefined;
  /** Extra DECLARE lines. */
  readonly declare?: readonly string[];
  /** plpgsql statements; may use `ts_schema`, `ts_version` (int[]) and `ts_license`. */
  readonly body: readonly string[];
}

const MISSING_EXTENSION = 'TimescaleDB is not installed in this database';
const UNAVAILABLE = 'TimescaleDB is not available on this server';
const NOT_PRELOADED =
  'the timescaledb package is on this server but not loaded: add timescaledb to shared_preload_libraries in postgresql.conf and restart the server';
const NO_PRIVILEGE =
  'this user may not create the timescaledb extension here (it needs CREATE on the database and on schema public, or a superuser to run CREATE EXTENSION timescaledb): ';
const UNLICENSED =
  'the TimescaleDB build here is Apache-only (timescaledb.license is not "timescale"); compression and policies need the Timescale License build';
const DEFAULT_HINT =
  'install the timescaledb extension with the Timescale License build, or run with --timescale auto to skip TimescaleDB features';

/** plpgsql: reads `ts_schema`, `ts_version`, `ts_version_text` (NULL without the extension). */
export const FIND_EXTENSION = Object.freeze([
  "  SELECT n.nspname, pg_catalog.string_to_array(pg_catalog.split_part(e.extversion, '-', 1), '.')::int[], e.extversion",
  '    INTO ts_schema, ts_version, ts_version_text',
  '    FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace',
  "    WHERE e.extname = 'timescaledb';",
]);

export function guarded(block: GuardedBlock): string {
  if (block.mode === 'off') {
    // A line comment ends at CR or LF (and PostgreSQL also treats \f, \v as space-ish);
    // names may hold any of them, so none may reach the comment.
    return `-- prism: timescale mode is off: ${block.what.replace(/[\r\n\f\v\u2028\u2029]/g, ' ')} skipped`;
  }
  /** `reason` is SQL: a literal, or a text expression. */
  const skipWith = (reason: string, hint = DEFAULT_HINT): string =>
    block.mode === 'require'
      ? `RAISE EXCEPTION USING MESSAGE = ${quoteLiteral(`prism: ${block.what} needs TimescaleDB: `)} || ${reason}, HINT = ${quoteLiteral(hint)};`
      : `RAISE NOTICE '%', ${quoteLiteral(`prism: ${block.what} skipped: `)} || ${reason}; RETURN;`;
  const skip = (reason: string, hint?: string): string => skipWith(quoteLiteral(reason), hint);
  const ensure = block.ensureExtension
    ? [
        // Creating it without the preloaded library ends the session (FATAL): ask first.
        "  IF ts_schema IS NULL AND EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'timescaledb') THEN",
        `    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = 'timescaledb.disable_load') THEN ${skip(NOT_PRELOADED, 'add timescaledb to shared_preload_libraries and restart the server, or run with --timescale auto to skip TimescaleDB features')} END IF;`,
        '    BEGIN',
        // Older versions greet with a WARNING banner: the NOTICE below says it instead.
        "      ts_messages := pg_catalog.current_setting('client_min_messages');",
        "      PERFORM pg_catalog.set_config('client_min_messages', 'error', true);",
        // In public, where every role finds it (the first schema of the search_path may be
        // the deploying user's own); it cannot be moved once created.
        "      EXECUTE pg_catalog.format('CREATE EXTENSION IF NOT EXISTS timescaledb SCHEMA %I', COALESCE((SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = 'public'), pg_catalog.current_schema()));",
        "      PERFORM pg_catalog.set_config('client_min_messages', ts_messages, true);",
        `    EXCEPTION WHEN insufficient_privilege THEN ${skipWith(`${quoteLiteral(NO_PRIVILEGE)} || SQLERRM`, 'grant the user CREATE on the database and on schema public, or have a superuser run CREATE EXTENSION timescaledb there; or run with --timescale auto to skip TimescaleDB features')}`,
        '    END;',
        ...FIND_EXTENSION.map((l) => `  ${l}`),
        "    RAISE NOTICE 'prism: created the timescaledb extension % in database %', ts_version_text, pg_catalog.current_database();",
        '  END IF;',
      ]
    : [];
  const lines = [
    'DECLARE',
    '  ts_schema text;',
    '  ts_version int[];',
    '  ts_version_text text;',
    '  ts_license text;',
    ...(block.ensureExtension ? ['  ts_messages text;'] : []),
    ...(block.declare ?? []).map((d) => `  ${d}`),
    'BEGIN',
    ...FIND_EXTENSION,
    ...ensure,
    `  IF ts_schema IS NULL THEN ${skip(block.ensureExtension ? UNAVAILABLE : MISSING_EXTENSION)} END IF;`,
    "  ts_license := pg_catalog.current_setting('timescaledb.license', true);",
    ...(block.feature === 'licensed'
      ? [`  IF ts_license IS DISTINCT FROM 'timescale' THEN ${skip(UNLICENSED)} END IF;`]
      : []),
    ...block.body.map((b) => `  ${b}`),
    'END',
  ];
  return `DO ${dollarQuote(`\n${lines.join('\n')}\n`)};`;
}
