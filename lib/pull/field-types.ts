/**
 * Catalog types (as `format_type` prints them) → prism.yaml field types. A type maps only
 * when the field type gives back exactly the same catalog text.
 */
import { catalogType } from '../schema/column-types.js';
import { sqlTypeOfCatalog } from '../spec/sql-type.js';
import type { Field, FieldType } from '../spec/types.js';

export type FieldTypeDraft = Pick<
  Field,
  'type' | 'maxLength' | 'precision' | 'scale' | 'array' | 'sqlType'
>;

/** Catalog types with one field type each; `character varying` and `numeric` take modifiers. */
const PLAIN_TYPES: Readonly<Record<string, FieldType>> = Object.freeze({
  uuid: 'uuid',
  text: 'text',
  integer: 'int',
  bigint: 'bigint',
  smallint: 'smallint',
  real: 'real',
  // float and double both create double precision; pull keeps writing float.
  'double precision': 'float',
  boolean: 'boolean',
  'timestamp with time zone': 'datetime',
  'timestamp without time zone': 'timestamp',
  date: 'date',
  'time without time zone': 'time',
  jsonb: 'json',
  bytea: 'bytea',
  inet: 'inet',
});

/**
 * The field type of a catalog type, checked by turning it back into the catalog's text:
 * a prism.yaml type (an array of one with `[]`), else a sql_type when its grammar takes
 * the text, else undefined.
 */
export function fieldTypeOf(type: string): FieldTypeDraft | undefined {
  const named = namedFieldTypeOf(type);
  if (named !== undefined) return named;
  if (type.endsWith('[]')) {
    const element = namedFieldTypeOf(type.slice(0, -2));
    if (element !== undefined) {
      const draft = { ...element, array: true };
      if (catalogType(draft as Field) === type) return draft;
    }
  }
  const sqlType = sqlTypeOfCatalog(type);
  return sqlType === undefined ? undefined : { type: 'sql', sqlType };
}

function namedFieldTypeOf(type: string): FieldTypeDraft | undefined {
  const plain = PLAIN_TYPES[type];
  const varchar = /^character varying(?:\((\d+)\))?$/.exec(type);
  const numeric = /^numeric(?:\((\d+),(-?\d+)\))?$/.exec(type);
  let draft: FieldTypeDraft | undefined;
  if (plain !== undefined) draft = { type: plain };
  else if (varchar)
    draft = { type: 'string', ...(varchar[1] ? { maxLength: Number(varchar[1]) } : {}) };
  else if (numeric) {
    const precision = numeric[1] === undefined ? undefined : Number(numeric[1]);
    const scale = numeric[2] === undefined ? undefined : Number(numeric[2]);
    // numeric(5,-2) and numeric(2,5) exist in PostgreSQL 15; prism.yaml's decimal cannot say them.
    if (precision !== undefined && (scale === undefined || scale < 0 || scale > precision))
      return undefined;
    draft = {
      type: 'decimal',
      ...(precision === undefined ? {} : { precision, scale: scale ?? 0 }),
    };
  }
  if (draft === undefined) return undefined;
  return catalogType(draft as Field) === type ? draft : undefined;
}

/** Why prism.yaml's enum cannot hold these CHECK values, if it cannot. */
export function enumValuesProblem(values: readonly string[]): string | undefined {
  if (values.length === 0) return 'it allows no value';
  const bad = values.find((v) => v === '' || v.includes('\0') || Buffer.byteLength(v) > 63);
  if (bad !== undefined)
    return `its value ${JSON.stringify(bad)} is not 1 to 63 bytes of text, as prism.yaml's enum values are`;
  if (new Set(values).size !== values.length) return 'it lists a value twice';
  return undefined;
}
