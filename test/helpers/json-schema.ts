/**
 * The schemas of `--json` output (spec/cli/*.schema.json, spec/timescale-info.schema.json),
 * and a minimal checker for the subset of JSON Schema (draft 2020-12) they use: type (with
 * type arrays for null), const, enum, properties, patternProperties, propertyNames, required,
 * additionalProperties, items, minItems, maxItems, minProperties, minimum, maximum, exclusiveMinimum,
 * minLength, maxLength, pattern, oneOf, anyOf, local $ref, and annotations (the CLI schemas
 * and spec/prism.schema.json). Any other keyword is refused, so a schema
 * cannot silently rely on something unchecked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Schema = { readonly [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$comment', 'title', 'description', '$defs', 'default']);
const CHECKED = new Set([
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'patternProperties',
  'propertyNames',
  'oneOf',
  'anyOf',
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
  if (Array.isArray(schema['oneOf'])) {
    errors.push(...checkOneOf(root, schema['oneOf'] as Schema[], value, path));
  }
  if (Array.isArray(schema['anyOf'])) {
    const results = (schema['anyOf'] as Schema[]).map((b) => checkSchema(root, b, value, path));
    if (!results.some((r) => r.length === 0)) {
      const closest = results.reduce((a, b) => (b.length < a.length ? b : a));
      errors.push(`${path}: matches no branch of anyOf; the closest says:`, ...closest);
    }
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
  errors.push(...checkBounds(schema, value, path));
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    const patterns = Object.entries((schema['patternProperties'] ?? {}) as Record<string, Schema>);
    if (schema['propertyNames'] !== undefined) {
      for (const name of Object.keys(obj)) {
        const bad = checkSchema(root, schema['propertyNames'] as Schema, name, `${path}[${name}]`);
        if (bad.length > 0) errors.push(`${path}: property name '${name}' is invalid`, ...bad);
      }
    }
    for (const name of (schema['required'] ?? []) as string[]) {
      if (!(name in obj)) errors.push(`${path}: missing required property '${name}'`);
    }
    const least = schema['minProperties'];
    if (typeof least === 'number' && Object.keys(obj).length < least) {
      errors.push(`${path}: fewer than ${least} properties`);
    }
    for (const [name, v] of Object.entries(obj)) {
      const sub = properties[name];
      const matching = patterns.filter(([p]) => new RegExp(p, 'u').test(name));
      for (const [, s] of matching) errors.push(...checkSchema(root, s, v, `${path}.${name}`));
      if (sub !== undefined) errors.push(...checkSchema(root, sub, v, `${path}.${name}`));
      else if (matching.length > 0) continue;
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

/** minimum … maxItems: the bounds on numbers, strings (in code points) and arrays. */
function checkBounds(schema: Schema, value: unknown, path: string): string[] {
  const errors: string[] = [];
  const n = (k: string): number | undefined =>
    typeof schema[k] === 'number' ? (schema[k] as number) : undefined;
  if (typeof value === 'number') {
    const max = n('maximum');
    const above = n('exclusiveMinimum');
    if (max !== undefined && value > max) errors.push(`${path}: ${value} is above ${max}`);
    if (above !== undefined && value <= above)
      errors.push(`${path}: ${value} is not above ${above}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    const [min, max] = [n('minLength'), n('maxLength')];
    if (min !== undefined && length < min) errors.push(`${path}: shorter than ${min}`);
    if (max !== undefined && length > max) errors.push(`${path}: longer than ${max}`);
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value))
      errors.push(`${path}: ${JSON.stringify(value)} does not match ${schema['pattern']}`);
  }
  if (Array.isArray(value)) {
    const [min, max] = [n('minItems'), n('maxItems')];
    if (min !== undefined && value.length < min) errors.push(`${path}: fewer than ${min} items`);
    if (max !== undefined && value.length > max) errors.push(`${path}: more than ${max} items`);
  }
  return errors;
}

/** Exactly one branch matches; when none does, the violations of the closest one. */
function checkOneOf(root: Schema, branches: Schema[], value: unknown, path: string): string[] {
  const results = branches.map((b) => checkSchema(root, b, value, path));
  const matching = results.filter((r) => r.length === 0).length;
  if (matching === 1) return [];
  if (matching > 1) return [`${path}: matches ${matching} branches of oneOf, expected one`];
  const closest = results.reduce((a, b) => (b.length < a.length ? b : a));
  return [`${path}: matches no branch of oneOf; the closest says:`, ...closest];
}

export function readSchema(file: string): Schema {
  return JSON.parse(readFileSync(resolve(file), 'utf8')) as Schema;
}

export const TIMESCALE_INFO_SCHEMA = readSchema('spec/timescale-info.schema.json');

/** Violations of spec/timescale-info.schema.json by a value (JSON round-tripped first). */
export function checkTimescaleInfoSchema(value: unknown): string[] {
  const json: unknown = JSON.parse(JSON.stringify(value));
  return checkSchema(TIMESCALE_INFO_SCHEMA, TIMESCALE_INFO_SCHEMA, json);
}

/** The schema files of the CLI's --json output, by name: `check`, `migrate`, `jobs-run`, … */
export const CLI_SCHEMAS: Readonly<Record<string, Schema>> = Object.freeze(
  Object.fromEntries(
    readdirSync(resolve('spec/cli'))
      .filter((f) => f.endsWith('.schema.json'))
      .map((f) => [f.replace(/\.schema\.json$/, ''), readSchema(join('spec/cli', f))]),
  ),
);

/** Violations of spec/cli/<name>.schema.json by a --json document (the text on stdout). */
export function checkCliOutput(name: string, stdout: string): string[] {
  const schema = CLI_SCHEMAS[name];
  if (schema === undefined) throw new Error(`no schema spec/cli/${name}.schema.json`);
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    return [`stdout is not one JSON document: ${stdout.slice(0, 200)}`];
  }
  return checkSchema(schema, schema, document);
}

/** The schema of a command's output: `up`, `down` and `redo` share `migrate`; `jobs run` is `jobs-run`. */
export function schemaOf(command: string): string {
  return ['up', 'down', 'redo'].includes(command) ? 'migrate' : command.replace(/ /g, '-');
}
