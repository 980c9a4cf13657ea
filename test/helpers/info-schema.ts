/**
 * spec/timescale-info.schema.json, and a minimal checker for the subset of JSON Schema
 * (draft 2020-12) it uses: type (with type arrays for null), const, enum, properties,
 * required, additionalProperties, items, minimum, local $ref, and annotations. Any other
 * keyword is refused, so the schema cannot silently rely on something unchecked.
 * `checkTimescaleInfoSchema` is also used by test/integration/timescale-info.test.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

type Schema = { readonly [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$comment', 'title', 'description', '$defs']);
const CHECKED = new Set([
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minimum',
  '$ref',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

export function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[part];
  }
  if (node === undefined || node === null || typeof node !== 'object') {
    throw new Error(`unresolvable $ref ${ref}`);
  }
  return node as Schema;
}

/** Every violation of `schema` by `value`, as `path: message`; empty when it conforms. */
export function checkSchema(root: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) {
    if (!ANNOTATIONS.has(k) && !CHECKED.has(k)) {
      throw new Error(`${path}: the schema uses '${k}', which this checker does not implement`);
    }
  }
  const errors: string[] = [];
  if (typeof schema['$ref'] === 'string') {
    errors.push(...checkSchema(root, resolveRef(root, schema['$ref']), value, path));
  }
  if (schema['type'] !== undefined) {
    const types = Array.isArray(schema['type'])
      ? (schema['type'] as string[])
      : [schema['type'] as string];
    if (!types.some((t) => matchesType(value, t))) {
      errors.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`);
      return errors;
    }
  }
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema['const'])) {
    errors.push(`${path}: expected ${JSON.stringify(schema['const'])}`);
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].some((e) => e === value)) {
    errors.push(
      `${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema['enum'])}`,
    );
  }
  if (
    typeof schema['minimum'] === 'number' &&
    typeof value === 'number' &&
    value < schema['minimum']
  ) {
    errors.push(`${path}: ${value} is below ${schema['minimum']}`);
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const name of (schema['required'] ?? []) as string[]) {
      if (!(name in obj)) errors.push(`${path}: missing required property '${name}'`);
    }
    for (const [name, v] of Object.entries(obj)) {
      const sub = properties[name];
      if (sub !== undefined) errors.push(...checkSchema(root, sub, v, `${path}.${name}`));
      else if (schema['additionalProperties'] === false) {
        errors.push(`${path}: unexpected property '${name}'`);
      } else if (typeof schema['additionalProperties'] === 'object') {
        errors.push(
          ...checkSchema(root, schema['additionalProperties'] as Schema, v, `${path}.${name}`),
        );
      }
    }
  }
  if (Array.isArray(value) && schema['items'] !== undefined) {
    value.forEach((item, i) => {
      errors.push(...checkSchema(root, schema['items'] as Schema, item, `${path}[${i}]`));
    });
  }
  return errors;
}

export const TIMESCALE_INFO_SCHEMA = JSON.parse(
  readFileSync(resolve('spec/timescale-info.schema.json'), 'utf8'),
) as Schema;

/** Violations of spec/timescale-info.schema.json by a value (JSON round-tripped first). */
export function checkTimescaleInfoSchema(value: unknown): string[] {
  const json: unknown = JSON.parse(JSON.stringify(value));
  return checkSchema(TIMESCALE_INFO_SCHEMA, TIMESCALE_INFO_SCHEMA, json);
}
