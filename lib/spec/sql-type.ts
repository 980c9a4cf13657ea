/**
 * `sql_type:`, the escape hatch for types prism.yaml does not name (PostGIS `geometry`,
 * `citext`, `ltree`, `vector(3)`, a domain…). Never passed on as text: a strict grammar
 * parses it into data, and SQL is printed from that data with every name quoted.
 *
 *   sql_type := [ident "."] ident [ "(" modifier [ "," modifier ] ")" ] [ "[]" ]
 *   modifier := digits | ident      (a word only as the first, as in geometry(Point,4326))
 *   ident    := [A-Za-z_][A-Za-z0-9_]*, at most 63 bytes
 */
import type { SqlType } from './types.js';

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const GRAMMAR = new RegExp(
  `^(?:(${IDENT})\\.)?(${IDENT})(?:\\( *(${IDENT}|\\d{1,9}) *(?:, *(\\d{1,9}) *)?\\))?(\\[\\])?$`,
);

/**
 * Built-in types that a prism.yaml type already names, or that PostgreSQL spells
 * differently from their name (`char(3)` prints as `character(3)`, a quoted `"char"` is
 * another type): through `sql_type:` they would never compare equal in `check`.
 */
const NAMED_TYPES: Readonly<Record<string, string>> = Object.freeze({
  int: 'int',
  int4: 'int',
  integer: 'int',
  serial: 'int',
  serial4: 'int',
  int8: 'bigint',
  bigserial: 'bigint',
  serial8: 'bigint',
  int2: 'smallint',
  smallserial: 'smallint',
  serial2: 'smallint',
  float4: 'real',
  float8: 'double',
  float: 'double',
  double: 'double',
  numeric: 'decimal',
  decimal: 'decimal',
  dec: 'decimal',
  text: 'text',
  varchar: 'string',
  uuid: 'uuid',
  bool: 'boolean',
  date: 'date',
  timestamptz: 'datetime',
  jsonb: 'json',
});

/** Other names format_type prints differently, or SQL reads as keywords. */
const SPELLED_DIFFERENTLY = Object.freeze(
  new Set([
    'char',
    'character',
    'nchar',
    'national',
    'bpchar',
    'bit',
    'varbit',
    'varying',
    'time',
    'timetz',
    'with',
    'without',
    'zone',
  ]),
);

/** FIELD_TYPES spelled the same as a PostgreSQL type. */
const SAME_NAME = Object.freeze(
  new Set(['bigint', 'smallint', 'real', 'boolean', 'timestamp', 'bytea', 'inet']),
);

export type SqlTypeResult =
  | { readonly ok: true; readonly value: SqlType }
  | { readonly ok: false; readonly message: string; readonly hint: string };

const HINT =
  "write a type name, optionally schema-qualified, with optional modifiers and [], e.g. 'citext', 'geometry(Point,4326)', 'vector(3)', 'ltree[]'";

/** The sql_type text parsed by the grammar above; refusals say why and how. */
export function parseSqlType(text: unknown): SqlTypeResult {
  if (typeof text !== 'string') {
    return { ok: false, message: 'sql_type must be text', hint: HINT };
  }
  const m = GRAMMAR.exec(text);
  if (m === null) {
    const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
    return {
      ok: false,
      message: `sql_type ${shown} is not a type name this grammar takes`,
      hint: HINT,
    };
  }
  const [, schema, name, first, second, brackets] = m as unknown as [
    string,
    string | undefined,
    string,
    string | undefined,
    string | undefined,
    string | undefined,
  ];
  const long = [schema, name, first].find(
    (part) => part !== undefined && Buffer.byteLength(part) > 63,
  );
  if (long !== undefined) {
    return {
      ok: false,
      message: `sql_type: ${JSON.stringify(long)} is longer than 63 bytes`,
      hint: 'PostgreSQL names are at most 63 bytes',
    };
  }
  const bare = name.toLowerCase();
  if (schema === undefined || schema.toLowerCase() === 'pg_catalog') {
    const named = NAMED_TYPES[bare] ?? (SAME_NAME.has(bare) ? bare : undefined);
    if (named !== undefined) {
      return {
        ok: false,
        message: `sql_type ${name} is a type prism.yaml names`,
        hint: `write \`type: ${named}\`${brackets ? ' with `array: true`' : ''}${first !== undefined ? ' and its keys (max_length, precision, scale)' : ''} instead`,
      };
    }
    if (SPELLED_DIFFERENTLY.has(bare)) {
      return {
        ok: false,
        message: `sql_type ${name} is not supported: PostgreSQL reads or prints it differently from its name, so \`check\` could not compare it`,
        hint: 'use one of the field types (text, string, datetime, …) instead',
      };
    }
  }
  if (bare === 'interval' && first !== undefined && (schema ?? 'pg_catalog') === 'pg_catalog') {
    // interval(p) is SQL syntax of its own; a quoted "interval"(p) means something else.
    return {
      ok: false,
      message: 'sql_type interval takes no modifiers',
      hint: "write sql_type: 'interval'",
    };
  }
  const modifiers: (string | number)[] = [];
  if (first !== undefined) modifiers.push(/^\d/.test(first) ? Number(first) : first);
  if (second !== undefined) modifiers.push(Number(second));
  return {
    ok: true,
    value: Object.freeze({
      ...(schema === undefined ? {} : { schema }),
      name,
      modifiers: Object.freeze(modifiers),
      array: brackets !== undefined,
    }),
  };
}

/** A name as generated SQL writes it: always double-quoted (the grammar allows no quote). */
function quoted(name: string): string {
  return `"${name}"`;
}

/** A name as format_type prints it: bare when lowercase letters, digits and underscores. */
function printed(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name}"`;
}

function modifierText(type: SqlType): string {
  return type.modifiers.length === 0 ? '' : `(${type.modifiers.join(',')})`;
}

/** The type in generated SQL: `"public"."geometry"(Point,4326)[]`. */
export function sqlTypeSql(type: SqlType): string {
  const name = `${type.schema === undefined ? '' : `${quoted(type.schema)}.`}${quoted(type.name)}`;
  return `${name}${modifierText(type)}${type.array ? '[]' : ''}`;
}

/**
 * The type as the catalog's format_type prints it. A schema on the default search path
 * (`public`, `pg_catalog`) is left out, as format_type leaves it out for visible types.
 */
export function sqlTypeCatalog(type: SqlType): string {
  const schema =
    type.schema === undefined || type.schema === 'public' || type.schema === 'pg_catalog'
      ? ''
      : `${printed(type.schema)}.`;
  return `${schema}${printed(type.name)}${modifierText(type)}${type.array ? '[]' : ''}`;
}

/** The type as prism.yaml writes it: `geometry(Point,4326)`, `ext.citext[]`. */
export function sqlTypeText(type: SqlType): string {
  const schema = type.schema === undefined ? '' : `${type.schema}.`;
  return `${schema}${type.name}${modifierText(type)}${type.array ? '[]' : ''}`;
}

const CATALOG_IDENT = `(?:${IDENT}|"${IDENT}")`;
const CATALOG = new RegExp(
  `^(?:(${CATALOG_IDENT})\\.)?(${CATALOG_IDENT})(\\((?:${IDENT}|\\d{1,9})(?:,\\d{1,9})?\\))?(\\[\\])?$`,
);

/**
 * The sql_type of a catalog type that format_type printed, when the grammar takes it and
 * prints it back the same; undefined otherwise (`pull` leaves such columns out).
 */
export function sqlTypeOfCatalog(text: string): SqlType | undefined {
  const m = CATALOG.exec(text);
  if (m === null) return undefined;
  const unquote = (s: string | undefined) => s?.replace(/^"(.*)"$/, '$1');
  const schema = unquote(m[1]);
  const source = `${schema === undefined ? '' : `${schema}.`}${unquote(m[2]) as string}${m[3] ?? ''}${m[4] ?? ''}`;
  const parsed = parseSqlType(source);
  if (!parsed.ok) return undefined;
  return sqlTypeCatalog(parsed.value) === text ? parsed.value : undefined;
}
