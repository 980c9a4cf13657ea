/**
 * TypeScript types of each model's rows, as the repository returns them and as insertMany
 * takes them (what `prism-migrate types` writes). They follow what `pg` returns: bigint
 * (int8) and decimal (numeric) as strings, timestamptz and date as `Date`, time as text,
 * jsonb parsed. Pure: spec in, source text out.
 */
import type { Field, Model, Spec } from '../spec/types.js';

export interface RowTypesOptions {
  /** Named in the header, e.g. `prism.yaml`. */
  readonly specFile?: string | undefined;
}

/**
 * A field's type as a query returns it (without the `| null` of an optional field). Arrays
 * are arrays of the element type (elements may be NULL). sql_type values are what `pg`
 * makes of them: text for types it does not know, parsed for some built-in ones.
 */
function readType(field: Field): string {
  if (field.array === true) {
    // pg parses numeric[] into JavaScript numbers (numeric alone stays text).
    return `(${field.type === 'decimal' ? 'number' : elementReadType(field)} | null)[]`;
  }
  return elementReadType(field);
}

function elementReadType(field: Field): string {
  switch (field.type) {
    case 'uuid':
    case 'string':
    case 'text':
    case 'time':
    case 'bigint':
    case 'decimal':
      return 'string';
    case 'enum':
      return literalUnion(field);
    case 'inet':
      return 'string';
    case 'sql':
      // pg parses some built-in types (interval, json, point…) and a domain as its base type.
      return 'unknown';
    case 'int':
    case 'smallint':
    case 'float':
    case 'real':
    case 'double':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'datetime':
    case 'timestamp':
    case 'date':
      return 'Date';
    case 'bytea':
      return 'Buffer';
    case 'json':
      return 'unknown';
    default:
      return unknownType(field.type);
  }
}

/** A field's type as insertMany takes it: also the other forms it converts. */
function insertType(field: Field): string {
  if (field.array === true) return `(${elementInsertType(field)} | null)[]`;
  return elementInsertType(field);
}

function elementInsertType(field: Field): string {
  switch (field.type) {
    case 'bigint':
    case 'decimal':
      return 'string | number | bigint';
    case 'datetime':
    case 'timestamp':
    case 'date':
      return 'Date | string';
    case 'bytea':
      return 'Uint8Array | string';
    case 'sql':
      return 'string';
    default:
      return elementReadType(field);
  }
}

function literalUnion(field: Field): string {
  const values = field.values ?? [];
  return values.length === 0 ? 'string' : values.map(stringLiteral).join(' | ');
}

/** A string literal quoted as the project's formatter would: single, unless that needs more escapes. */
function stringLiteral(value: string): string {
  const json = JSON.stringify(value);
  const count = (quote: string) => value.split(quote).length - 1;
  if (count("'") > count('"')) return json;
  return `'${json.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

function unknownType(type: never): never {
  throw new TypeError(`unknown field type ${JSON.stringify(type)}`);
}

/** `T | null` for an optional field; `unknown` already holds null. */
function nullable(type: string, field: Field): string {
  return field.optional && type !== 'unknown' ? `${type} | null` : type;
}

export function rowTypeName(model: Model): string {
  return `${model.name}Row`;
}

export function insertTypeName(model: Model): string {
  return `${model.name}Insert`;
}

function modelTypes(model: Model): string[] {
  const row = model.fields.map((f) => `  ${f.name}: ${nullable(readType(f), f)};`);
  const insert = model.fields.map((f) => {
    const leaveOut = f.optional || f.default !== undefined;
    return `  ${f.name}${leaveOut ? '?' : ''}: ${nullable(insertType(f), f)};`;
  });
  return [
    `/** A row of ${model.name} (table ${model.table}) as queries return it. */`,
    `export interface ${rowTypeName(model)} {`,
    ...row,
    '}',
    '',
    `/** A row of ${model.name} as insertMany takes it; optional and defaulted fields may be left out. */`,
    `export interface ${insertTypeName(model)} {`,
    ...insert,
    '}',
    '',
  ];
}

/** The row types of every model of `spec`, and maps from model name to them. */
export function renderRowTypes(spec: Spec, options: RowTypesOptions = {}): string {
  const from = options.specFile === undefined ? '' : ` from ${options.specFile}`;
  const lines = [
    `// Row types written by \`prism-migrate types\`${from}; run it again after changing the spec.`,
    '// bigint and decimal fields are strings (exact), datetime and date fields are Dates.',
    '',
    ...spec.models.flatMap(modelTypes),
    "/** Each model's row types by model name: `createRepository<Models['DataPoint']>(…)`. */",
    'export interface Models {',
    ...spec.models.map(
      (m) => `  ${m.name}: { row: ${rowTypeName(m)}; insert: ${insertTypeName(m)} };`,
    ),
    '}',
    '',
    "/** Each model's row as queries return it, by model name. */",
    'export interface Rows {',
    ...spec.models.map((m) => `  ${m.name}: ${rowTypeName(m)};`),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}
