/**
 * `references: <Model>.<field>` across models: the referenced model and field exist, the
 * field is unique on its own (PostgreSQL needs a unique constraint or index on exactly the
 * referenced column), the types agree, and the actions fit the referencing column.
 */
import { closest } from '../util/closest.js';
import type { Finding, Path } from './findings.js';
import { specError } from './findings.js';
import type { LocatedModel } from './namespace.js';
import type { Field, FieldReference, Model } from './types.js';

/** Whether `field` alone is unique in `model`: its one-column primary key, or a unique field or index. */
export function isUniqueAlone(model: Model, field: string): boolean {
  if (model.primaryKey.length === 1 && model.primaryKey[0] === field) return true;
  if (model.fields.some((f) => f.name === field && f.unique)) return true;
  // A partial unique index does not make a column referenceable (PostgreSQL needs a full one).
  return [...(model.timeseries?.indexes ?? []), ...(model.indexes ?? [])].some(
    (i) =>
      i.unique && i.where === undefined && i.columns.length === 1 && i.columns[0]?.column === field,
  );
}

function didYouMean(word: string, candidates: readonly string[], what: string): string {
  const guess = closest(word, candidates);
  if (guess !== undefined) return `did you mean '${guess}'?`;
  return candidates.length === 0 ? `no ${what}s here` : `${what}s: ${candidates.join(', ')}`;
}

function notUniqueFinding(at: Path, target: Model, field: string, text: string): Finding {
  const ts = target.timeseries;
  if (ts !== undefined && ts.timeColumn === field) {
    return specError(
      at,
      `references ${text}: the time column of hypertable ${target.name} is not unique on its own (PostgreSQL needs a unique constraint on exactly the referenced column)`,
      `make ${target.name}.${field} its primary key alone or \`unique: true\``,
    );
  }
  if (ts !== undefined) {
    return specError(
      at,
      `references ${text}: ${target.name} is a hypertable, and there every primary key and unique index includes its time column '${ts.timeColumn}', so '${field}' alone is not unique (PostgreSQL needs a unique constraint on exactly the referenced column)`,
      `reference a plain table; a hypertable can only be referenced on its time column, when that alone is its primary key or unique`,
    );
  }
  const key = target.primaryKey.length === 1 ? target.primaryKey[0] : undefined;
  return specError(
    at,
    `references ${text}: '${field}' is neither the primary key of ${target.name} nor unique (PostgreSQL needs a unique constraint on exactly the referenced column)`,
    key === undefined
      ? `add \`unique: true\` to ${target.name}.${field}`
      : `reference ${target.name}.${key} (its primary key), or add \`unique: true\` to ${target.name}.${field}`,
  );
}

function typeText(f: Field): string {
  return f.type === 'string' && f.maxLength !== undefined ? `string(${f.maxLength})` : f.type;
}

function actionFindings(field: Field, ref: FieldReference, fieldPath: Path): Finding[] {
  const findings: Finding[] = [];
  for (const [key, action] of [
    ['on_delete', ref.onDelete],
    ['on_update', ref.onUpdate],
  ] as const) {
    if (action === 'set null' && !field.optional) {
      findings.push(
        specError(
          [...fieldPath, key],
          `${key}: set null needs a column that may be NULL, and '${field.name}' is NOT NULL`,
          'add `optional: true` to the field, or choose another action',
        ),
      );
    }
    if (action === 'set default' && field.default === undefined && !field.optional) {
      findings.push(
        specError(
          [...fieldPath, key],
          `${key}: set default needs a default, and '${field.name}' has none (PostgreSQL would set NULL into a NOT NULL column)`,
          'add `default:` to the field, or choose another action',
        ),
      );
    }
  }
  return findings;
}

/** The references of one field; `models` are the models that were built. */
function fieldReferenceFindings(
  located: LocatedModel,
  field: Field,
  fieldPath: Path,
  models: ReadonlyMap<string, Model>,
  unbuilt: ReadonlySet<string>,
): Finding[] {
  const ref = field.references;
  if (ref === undefined) return [];
  const at: Path = [...fieldPath, 'references'];
  const text = `${ref.model}.${ref.field}`;
  const target = models.get(ref.model);
  if (target === undefined) {
    // A model with its own errors is not built; those errors are reported already.
    if (unbuilt.has(ref.model)) return [];
    return [
      specError(
        at,
        `references ${text}: there is no model '${ref.model}'`,
        `write <Model>.<field> with a model of this spec; ${didYouMean(ref.model, [...models.keys()], 'model')}`,
      ),
    ];
  }
  const referenced = target.fields.find((f) => f.name === ref.field);
  if (referenced === undefined) {
    return [
      specError(
        at,
        `references ${text}: model ${target.name} has no field '${ref.field}'`,
        didYouMean(
          ref.field,
          target.fields.map((f) => f.name),
          'field',
        ),
      ),
    ];
  }
  if (target.name === located.model.name && referenced.name === field.name) {
    return [
      specError(
        at,
        `references ${text}: a field cannot reference itself`,
        'a self-reference names another field of the same model, e.g. `parent_id` referencing `id`',
      ),
    ];
  }
  const findings: Finding[] = [];
  if (!isUniqueAlone(target, referenced.name))
    findings.push(notUniqueFinding(at, target, referenced.name, text));
  if (referenced.type !== field.type) {
    findings.push(
      specError(
        at,
        `references ${text}: '${field.name}' is ${typeText(field)} but ${text} is ${typeText(referenced)}`,
        `give '${field.name}' type ${referenced.type}: a foreign key joins columns of the same type (int and bigint are not mixed either)`,
      ),
    );
  }
  findings.push(...actionFindings(field, ref, fieldPath));
  return findings;
}

/** Problems with the `references` of every field of the built models. */
export function referenceFindings(
  built: readonly LocatedModel[],
  allModelNames: readonly string[],
): Finding[] {
  const models = new Map(built.map((b) => [b.model.name, b.model]));
  const unbuilt = new Set(allModelNames.filter((n) => !models.has(n)));
  return built.flatMap((located) =>
    located.model.fields.flatMap((field) => {
      const j = located.raw.fields.findIndex((f) => f.name === field.name);
      return fieldReferenceFindings(
        located,
        field,
        [...located.path, 'fields', j],
        models,
        unbuilt,
      );
    }),
  );
}
