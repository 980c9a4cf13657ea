/**
 * JSON Schema (draft 2020-12) generated from the joi schema, for editor completion of
 * prism.yaml. Generated, never hand-edited, so the two cannot disagree; a joi feature this
 * walker does not know throws instead of being dropped silently.
 */
import type Joi from 'joi';
import { specSchema } from './schema.js';

export type JsonSchema = { readonly [key: string]: unknown };

type Description = Joi.Description;
type Rule = { readonly name: string; readonly args?: Record<string, unknown> };

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const GENERATED =
  'Generated from lib/spec/schema.ts by `npm run spec:schema`; do not edit by hand.';

function patternSource(regex: unknown): string {
  const text = String(regex);
  const end = text.lastIndexOf('/');
  // JSON Schema patterns carry no flags: /i or /m would change what matches.
  if (text.slice(end + 1) !== '')
    throw new Error(`jsonSchemaFromJoi: regex flags '${text.slice(end + 1)}' are not supported`);
  return text.slice(1, end);
}

function stringRules(rules: readonly Rule[], out: Record<string, unknown>): void {
  for (const rule of rules) {
    if (rule.name === 'pattern') out.pattern = patternSource(rule.args?.regex);
    else if (rule.name === 'max') out.maxLength = rule.args?.limit;
    else if (rule.name === 'min') out.minLength = rule.args?.limit;
    else throw new Error(`jsonSchemaFromJoi: string rule '${rule.name}' is not supported`);
  }
}

function numberRules(rules: readonly Rule[], out: Record<string, unknown>): void {
  for (const rule of rules) {
    if (rule.name === 'integer') out.type = 'integer';
    else if (rule.name === 'min') out.minimum = rule.args?.limit;
    else if (rule.name === 'max') out.maximum = rule.args?.limit;
    else if (rule.name === 'sign' && rule.args?.sign === 'positive') out.exclusiveMinimum = 0;
    else throw new Error(`jsonSchemaFromJoi: number rule '${rule.name}' is not supported`);
  }
}

function arrayRules(rules: readonly Rule[], out: Record<string, unknown>): void {
  for (const rule of rules) {
    if (rule.name === 'min') out.minItems = rule.args?.limit;
    else if (rule.name === 'max') out.maxItems = rule.args?.limit;
    else throw new Error(`jsonSchemaFromJoi: array rule '${rule.name}' is not supported`);
  }
}

type Pattern = { readonly schema?: Description; readonly rule?: Description };

/**
 * `Joi.object().pattern(key, value)`: keys not listed must match the key schema and their
 * values the value schema. Only one string key schema: joi uses the first matching pattern
 * per key while patternProperties applies every matching one, so several patterns could
 * differ.
 */
function patternKeys(d: Description, additional: boolean): Record<string, unknown> {
  const patterns = (d.patterns ?? []) as Pattern[];
  if (patterns.length === 0) return { additionalProperties: additional };
  const [pattern] = patterns;
  const extra = Object.keys(pattern ?? {}).filter((k) => k !== 'schema' && k !== 'rule');
  if (patterns.length > 1 || pattern?.schema === undefined || pattern.rule === undefined)
    throw new Error('jsonSchemaFromJoi: object pattern other than one (key schema, value)');
  if (extra.length > 0)
    throw new Error(`jsonSchemaFromJoi: object pattern option '${extra.join("', '")}'`);
  if (additional) throw new Error('jsonSchemaFromJoi: object pattern with unknown keys allowed');
  const key = pattern.schema;
  if (key.type !== 'string')
    throw new Error(`jsonSchemaFromJoi: object pattern key of type '${key.type}'`);
  const names = convert(key);
  const value = convert(pattern.rule);
  if (typeof names.pattern !== 'string')
    return { propertyNames: names, additionalProperties: value };
  // patternProperties gives editors the value schema; propertyNames the key's other rules.
  return {
    propertyNames: names,
    patternProperties: { [names.pattern]: value },
    additionalProperties: false,
  };
}

function objectSchema(d: Description): Record<string, unknown> {
  const keys = (d.keys ?? {}) as Record<string, Description>;
  const properties = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, convert(v)]));
  const required = Object.entries(keys)
    .filter(([, v]) => (v.flags as { presence?: string } | undefined)?.presence === 'required')
    .map(([k]) => k);
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...patternKeys(d, (d.flags as { unknown?: boolean } | undefined)?.unknown === true),
  };
}

function byType(d: Description): Record<string, unknown> {
  const rules = (d.rules ?? []) as Rule[];
  const out: Record<string, unknown> = {};
  switch (d.type) {
    case 'object':
      return objectSchema(d);
    case 'array':
      out.type = 'array';
      if (d.items !== undefined)
        out.items = d.items.length === 1 ? convert(d.items[0]) : { anyOf: d.items.map(convert) };
      arrayRules(rules, out);
      return out;
    case 'string':
      out.type = 'string';
      // joi refuses '' unless allowed explicitly.
      if (!(d.allow ?? []).includes('')) out.minLength = 1;
      stringRules(rules, out);
      return out;
    case 'number':
      out.type = 'number';
      numberRules(rules, out);
      return out;
    case 'boolean':
      return { type: 'boolean' };
    case 'alternatives':
      return { anyOf: (d.matches as { schema: Description }[]).map((m) => convert(m.schema)) };
    case 'any':
      return {};
    default:
      throw new Error(`jsonSchemaFromJoi: joi type '${d.type}' is not supported`);
  }
}

function convert(d: Description): Record<string, unknown> {
  const flags = (d.flags ?? {}) as { description?: string; default?: unknown; only?: boolean };
  const out: Record<string, unknown> = {};
  if (flags.description !== undefined) out.description = flags.description;
  Object.assign(out, byType(d));
  if (flags.only === true) {
    delete out.minLength;
    out.enum = d.allow;
  }
  if (flags.default !== undefined) out.default = flags.default;
  // What joi states across keys (e.g. one of two keys) is given as JSON Schema in meta.
  for (const meta of (d.metas ?? []) as { jsonSchema?: Record<string, unknown> }[])
    Object.assign(out, meta.jsonSchema ?? {});
  return out;
}

/** The JSON Schema of a joi schema (the subset of joi that specSchema uses). */
export function jsonSchemaFromJoi(schema: Joi.Schema, title: string): JsonSchema {
  return { $schema: DIALECT, $comment: GENERATED, title, ...convert(schema.describe()) };
}

/** The JSON Schema of prism.yaml, as committed in spec/prism.schema.json. */
export function prismJsonSchema(): JsonSchema {
  return jsonSchemaFromJoi(specSchema, 'prism.yaml');
}
