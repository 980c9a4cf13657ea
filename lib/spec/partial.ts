/**
 * What the semantic checks can still read of each model when the structure has errors, so
 * that one pass reports every problem. Nothing reads an unknown key, so it is left out and
 * spoils nothing. A wrong value is left out too, and only the checks that would read it are
 * skipped: a field's own checks when one of its keys is wrong, the timeseries block's when
 * one of its keys is, and the checks across fields (names, primary key, limits, timeseries)
 * when a field has no usable name. A field whose type is wrong is still there by name, with
 * its type unknown. A model that is not a mapping, or has no name or no list of fields, is
 * skipped whole.
 */
import Joi from 'joi';
import type { Path } from './findings.js';
import type { StructureProblem } from './joi-findings.js';
import { STRUCTURE_OPTIONS } from './joi-findings.js';
import type { RawField, RawModel, RawTimeseries } from './raw.js';
import { fieldSchema, indexSchema, modelSchema, timeseriesSchema } from './schema.js';

export interface ModelInput {
  /** Defaults filled in wherever the structure is sound. */
  readonly raw: RawModel;
  readonly path: Path;
  /** No structural error: the model can be built. */
  readonly sound: boolean;
  /** Fields (by position) whose own checks run. */
  readonly checkedFields: ReadonlySet<number>;
  /** Fields present by name whose type is wrong: nothing is said about their type. */
  readonly untyped: ReadonlySet<string>;
  /** Whether the checks that read every field run. */
  readonly acrossFields: boolean;
}

type Plain = Record<string, unknown>;

/** Stands in for a name that is text but not an identifier while defaults are filled in. */
const NAME_STAND_IN = 'name';
/** Stands in for a wrong field type while defaults are filled in; the type stays unknown. */
const TYPE_STAND_IN = 'text';

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value with defaults, or undefined when the structure is still wrong. */
function withDefaults(schema: Joi.Schema, value: unknown): Plain | undefined {
  const { value: checked, error } = schema.validate(value, STRUCTURE_OPTIONS);
  return error === undefined ? (checked as Plain) : undefined;
}

/**
 * Deletes the key that holds an unknown key or a wrong value (for a wrong list item, the
 * list). A wrong name that is still text stays: the checks only compare names. A wrong item
 * of `fields` or `indexes` stays too, as deleting the list would lose the others; its part
 * is then unusable.
 */
function leaveOut(model: Plain, rel: Path): void {
  let last = rel.length - 1;
  while (last >= 0 && typeof rel[last] === 'number') last--;
  if (last < 0) return;
  const key = rel[last] as string;
  const holder = walk(model, rel.slice(0, last));
  if (!isPlain(holder)) return;
  if (last === rel.length - 2 && (key === 'fields' || key === 'indexes')) return;
  if (last === rel.length - 1 && key === 'name' && typeof holder[key] === 'string') return;
  delete holder[key];
}

function walk(root: unknown, path: Path): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

interface FieldInput {
  readonly field: RawField | undefined;
  readonly untyped: boolean;
}

function fieldInput(value: unknown): FieldInput {
  if (!isPlain(value) || typeof value['name'] !== 'string')
    return { field: undefined, untyped: false };
  const typed = withDefaults(fieldSchema, { ...value, name: NAME_STAND_IN });
  if (typed !== undefined)
    return { field: { ...typed, name: value['name'] } as RawField, untyped: false };
  const rest: Plain = { ...value };
  delete rest['type'];
  const untyped = withDefaults(fieldSchema, { ...rest, name: NAME_STAND_IN, type: TYPE_STAND_IN });
  return untyped === undefined
    ? { field: undefined, untyped: false }
    : {
        field: { ...untyped, name: value['name'], type: value['type'] } as RawField,
        untyped: true,
      };
}

function soundModel(model: unknown, path: Path): ModelInput | undefined {
  const raw = withDefaults(modelSchema, model) as RawModel | undefined;
  if (raw === undefined) return undefined;
  return {
    raw,
    path,
    sound: true,
    checkedFields: new Set(raw.fields.map((_, j) => j)),
    untyped: new Set(),
    acrossFields: true,
  };
}

function partialModel(
  model: unknown,
  path: Path,
  problems: readonly StructureProblem[],
): ModelInput | undefined {
  if (!isPlain(model)) return undefined;
  const copy = structuredClone(model);
  for (const p of problems) leaveOut(copy, p.path.slice(path.length));
  const wrong = problems.filter((p) => !p.unknownKey).map((p) => p.path.slice(path.length));
  if (typeof copy['name'] !== 'string' || !Array.isArray(copy['fields'])) return undefined;
  const touched = (prefix: Path) => wrong.some((rel) => prefix.every((part, k) => rel[k] === part));
  const inputs = (copy['fields'] as unknown[]).map(fieldInput);
  const timeseries =
    copy['timeseries'] === undefined || touched(['timeseries'])
      ? undefined
      : (withDefaults(timeseriesSchema, copy['timeseries']) as RawTimeseries | undefined);
  // Unusable fields stay in place (paths count positions); only checkedFields are read then.
  const raw: Plain = {
    ...copy,
    fields: inputs.map((i, j) => i.field ?? (copy['fields'] as unknown[])[j]),
  };
  if (timeseries === undefined) delete raw['timeseries'];
  else raw['timeseries'] = timeseries;
  const indexes =
    copy['indexes'] === undefined || touched(['indexes'])
      ? undefined
      : withDefaults(Joi.array().items(indexSchema), copy['indexes']);
  if (indexes === undefined) delete raw['indexes'];
  else raw['indexes'] = indexes;
  return {
    raw: raw as unknown as RawModel,
    path,
    sound: false,
    checkedFields: new Set(
      inputs.flatMap((i, j) =>
        i.field !== undefined && !i.untyped && !touched(['fields', j]) ? [j] : [],
      ),
    ),
    untyped: new Set(inputs.flatMap((i) => (i.untyped && i.field ? [i.field.name] : []))),
    acrossFields: inputs.every((i) => i.field !== undefined),
  };
}

/**
 * One input per model that can be checked at all, given the structure's problems. The
 * caller handles problems outside `models[i]` (a `models` that is not a list).
 */
export function modelInputs(
  models: readonly unknown[],
  problems: readonly StructureProblem[],
): ModelInput[] {
  return models.flatMap((model, i) => {
    const path: Path = ['models', i];
    const own = problems.filter((p) => p.path[0] === 'models' && p.path[1] === i);
    const input = own.length === 0 ? soundModel(model, path) : partialModel(model, path, own);
    return input === undefined ? [] : [input];
  });
}
