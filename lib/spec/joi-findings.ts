/**
 * Turns joi's error details into findings with a message and a hint each. The joi schema
 * description supplies what the user could have written (valid keys, allowed values).
 */
import type Joi from 'joi';
import { closest } from '../util/closest.js';
import type { Finding, Path } from './findings.js';
import { pathText, specError } from './findings.js';
import { identifierHint } from './identifiers.js';
import { describeValue, identifierNoun, objectNoun } from './nouns.js';
import { FIELD_TYPES } from './types.js';

const INTERVAL_EXAMPLE =
  "e.g. '7 days' or '1 day 12 hours' (datetime/timestamp/date time column) or 86400 (integer time column)";

const AMOUNT_KEYS: ReadonlySet<string> = new Set([
  'chunk_interval',
  'after',
  'drop_after',
  'bucket',
  'start_offset',
  'end_offset',
]);

const REQUIRED_HINTS: Readonly<Record<string, string>> = Object.freeze({
  models: 'e.g.\nmodels:\n  - name: DataPoint\n    fields:\n      - name: id\n        type: uuid',
  name: 'add a name, e.g. `name: DataPoint` for a model or `name: created_at` for a field',
  type: `add a type, one of: ${FIELD_TYPES.join(', ')}`,
  fields: 'list at least one field, e.g. `fields: [{name: id, type: uuid}]`',
  time_column:
    'name the datetime, timestamp, date, int or bigint field that partitions the hypertable',
  columns: 'list the indexed columns, e.g. `columns: [source, timestamp]`',
});

const BASE_HINTS: Readonly<Record<string, string>> = Object.freeze({
  'boolean.base': 'write true or false',
  'array.base': 'write a YAML list, e.g. `[a, b]` or one `- item` per line',
  'object.base': 'write a mapping of `key: value` lines',
  'string.base': 'write a text value (quote it if YAML reads it as a number or boolean)',
  'number.base': 'write a number',
});

type Description = Joi.Description;

function describeAt(root: Description, path: Path): Description | undefined {
  let d: Description | undefined = root;
  for (const part of path) {
    if (d === undefined) return undefined;
    d =
      typeof part === 'number'
        ? d.items?.[0]
        : (d.keys?.[part] ?? (d.patterns as PatternDescription[] | undefined)?.[0]?.rule);
  }
  return d;
}

/** A mapping whose keys are names (`environments:`): its key's and its value's schema. */
interface PatternDescription {
  readonly schema?: Description;
  readonly rule: Description;
}

function lastKey(path: Path): string {
  const last = path[path.length - 1];
  return typeof last === 'string' ? last : pathText(path);
}

function unknownKey(detail: Joi.ValidationErrorItem, raw: unknown, desc: Description): Finding {
  const key = String(detail.context?.key ?? lastKey(detail.path));
  const parent = detail.path.slice(0, -1);
  const holder = describeAt(desc, parent);
  const named = (holder?.patterns as PatternDescription[] | undefined)?.[0]?.schema;
  if (named !== undefined) {
    // Any name matching the pattern is valid here: this one does not.
    const what = (named.flags as { description?: string } | undefined)?.description;
    return specError(
      detail.path,
      `'${key}' is not a valid name in ${objectNoun(raw, parent)}`,
      what ?? 'use letters, digits and underscores',
      'key',
    );
  }
  const valid = Object.keys(holder?.keys ?? {});
  const near = closest(key, valid);
  const list = `valid keys: ${valid.join(', ')}`;
  return specError(
    detail.path,
    `unknown key '${key}' in ${objectNoun(raw, parent)}`,
    near === undefined ? list : `did you mean '${near}'? ${list}`,
    'key',
  );
}

function missingKey(detail: Joi.ValidationErrorItem, raw: unknown, desc: Description): Finding {
  const key = lastKey(detail.path);
  const parent = detail.path.slice(0, -1);
  const described = describeAt(desc, detail.path)?.flags as { description?: string } | undefined;
  return specError(
    detail.path,
    `${objectNoun(raw, parent)} is missing required key '${key}'`,
    REQUIRED_HINTS[key] ?? described?.description,
  );
}

function notAllowedValue(detail: Joi.ValidationErrorItem): Finding {
  const valids = (detail.context?.valids ?? []) as unknown[];
  const allowed = valids.map(String);
  const value = detail.context?.value;
  const near = typeof value === 'string' ? closest(value, allowed) : undefined;
  const list = `allowed: ${allowed.join(', ')}`;
  return specError(
    detail.path,
    `${describeValue(value)} is not a valid ${lastKey(detail.path)}`,
    near === undefined ? list : `did you mean '${near}'? ${list}`,
  );
}

function badIdentifier(detail: Joi.ValidationErrorItem): Finding {
  const value = String(detail.context?.value);
  return specError(
    detail.path,
    `${JSON.stringify(value)} is not a valid ${identifierNoun(detail.path)}`,
    identifierHint(value),
  );
}

function tooLong(detail: Joi.ValidationErrorItem): Finding {
  return specError(
    detail.path,
    `${identifierNoun(detail.path)} ${JSON.stringify(detail.context?.value)} is longer than 63 bytes`,
    'PostgreSQL would silently truncate it; choose a shorter name',
  );
}

function wrongType(detail: Joi.ValidationErrorItem): Finding {
  const expected = detail.type.split('.')[0];
  const article =
    expected === 'array' ? 'a list' : expected === 'object' ? 'a mapping' : `a ${expected}`;
  return specError(
    detail.path,
    `${pathText(detail.path)} must be ${article}, got ${describeValue(detail.context?.value)}`,
    BASE_HINTS[detail.type],
  );
}

function noAlternative(detail: Joi.ValidationErrorItem): Finding {
  const key = lastKey(detail.path);
  const got = describeValue(detail.context?.value);
  if (key === 'default') {
    return specError(
      detail.path,
      `default must be a single value, got ${got}`,
      'write a literal of the field type, or now(), gen_random_uuid(), current_date',
    );
  }
  return specError(
    detail.path,
    `${pathText(detail.path)} must be an interval or a positive integer, got ${got}`,
    INTERVAL_EXAMPLE,
  );
}

function emptyList(detail: Joi.ValidationErrorItem): Finding {
  const key = lastKey(detail.path);
  const hint =
    key === 'values'
      ? 'list the allowed values, e.g. `values: [draft, published]`'
      : REQUIRED_HINTS[key];
  return specError(detail.path, `${pathText(detail.path)} must not be empty`, hint);
}

function isIdentifierSchema(d: Description | undefined): boolean {
  const rules = (d?.rules ?? []) as { name: string; args?: { options?: { name?: string } } }[];
  return rules.some((r) => r.name === 'pattern' && r.args?.options?.name === 'identifier');
}

function emptyStringHint(path: Path, desc: Description): string | undefined {
  if (isIdentifierSchema(describeAt(desc, path))) return identifierHint('');
  return AMOUNT_KEYS.has(lastKey(path)) ? INTERVAL_EXAMPLE : undefined;
}

/** Joi's own sentence, with its quoted label replaced by our path text. */
function fallback(detail: Joi.ValidationErrorItem): Finding {
  const message = detail.message.replace(/^"[^"]*"/, pathText(detail.path));
  const hint = AMOUNT_KEYS.has(lastKey(detail.path)) ? INTERVAL_EXAMPLE : undefined;
  return specError(detail.path, message, hint);
}

export function joiFinding(
  detail: Joi.ValidationErrorItem,
  raw: unknown,
  desc: Description,
): Finding {
  switch (detail.type) {
    case 'object.unknown':
      return unknownKey(detail, raw, desc);
    case 'any.required':
      return missingKey(detail, raw, desc);
    case 'any.only':
      return notAllowedValue(detail);
    case 'string.pattern.name':
      return detail.context?.name === 'Model.field'
        ? specError(
            detail.path,
            `${JSON.stringify(String(detail.context?.value))} is not <Model>.<field>`,
            'name the referenced model and field joined by a dot, e.g. `references: Device.id`',
          )
        : badIdentifier(detail);
    case 'string.max':
      return tooLong(detail);
    case 'string.empty':
      return specError(
        detail.path,
        `${pathText(detail.path)} must not be empty`,
        emptyStringHint(detail.path, desc),
      );
    case 'array.min':
      return emptyList(detail);
    case 'alternatives.types':
    case 'alternatives.match':
      return noAlternative(detail);
    default:
      return detail.type.endsWith('.base') ? wrongType(detail) : fallback(detail);
  }
}

/** Where the structure is wrong; an unknown key, unlike a wrong value, spoils nothing else. */
export interface StructureProblem {
  readonly path: Path;
  readonly unknownKey: boolean;
}

export interface StructureCheck {
  /** With defaults filled in when `findings` is empty; else as written, mostly. */
  readonly value: unknown;
  readonly findings: readonly Finding[];
  readonly problems: readonly StructureProblem[];
}

export const STRUCTURE_OPTIONS: Joi.ValidationOptions = Object.freeze({
  abortEarly: false,
  convert: false,
});

/** Validates the structure; returns the value and one finding per problem. */
export function validateStructure(schema: Joi.Schema, raw: unknown): StructureCheck {
  const { value, error } = schema.validate(raw, STRUCTURE_OPTIONS);
  const desc = schema.describe();
  const details = error?.details ?? [];
  return {
    value,
    findings: details.map((d) => joiFinding(d, raw, desc)),
    problems: details.map((d) => ({ path: d.path, unknownKey: d.type === 'object.unknown' })),
  };
}
