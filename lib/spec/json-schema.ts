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
    additionalProperties: (d.flags as { unknown?: boolean } | undefined)?.unknown === true,
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
