/**
 * The whole document in one pass: structure (joi), each model (as far as its structure
 * allows: see partial.ts), then names that must be unique across models (see namespace.ts).
 */
import type { Finding } from './findings.js';
import { hasErrors } from './findings.js';
import { checkEnvironments, withEnvironments } from './environments.js';
import { duplicateNameFindings } from './fields.js';
import { validateStructure, type StructureProblem } from './joi-findings.js';
import { checkModel } from './model.js';
import { namespaceFindings, type LocatedModel } from './namespace.js';
import { modelInputs, type ModelInput } from './partial.js';
import type { RawSpec } from './raw.js';
import { referenceFindings } from './references.js';
import { renameFindings } from './renames.js';
import { specSchema } from './schema.js';
import type { Model, TimescaleMode } from './types.js';

export interface CheckedSpec {
  readonly timescale: TimescaleMode;
  readonly models: readonly Model[];
}

export interface SpecCheck {
  readonly spec: CheckedSpec | undefined;
  readonly findings: readonly Finding[];
}

/** A structural error in `models` itself (not a list, or empty): no model can be checked. */
function modelsUnusable(problems: readonly StructureProblem[]): boolean {
  return problems.some(
    (p) => !p.unknownKey && p.path[0] === 'models' && typeof p.path[1] !== 'number',
  );
}

function tableFindings(models: readonly LocatedModel[]): Finding[] {
  const items = models.map((m) => ({
    // Per schema: `public` and unnamed are the same schema.
    name: m.model.schema === undefined ? m.model.table : `${m.model.schema}.${m.model.table}`,
    path: m.raw.table === undefined ? [...m.path, 'name'] : [...m.path, 'table'],
  }));
  return duplicateNameFindings(
    items,
    'table name',
    'two models would share one table; set `table:` on one of them',
  );
}

export function checkSpec(document: unknown): SpecCheck {
  const structure = validateStructure(specSchema, document);
  const models = (document as { models?: unknown } | null | undefined)?.models;
  if (!Array.isArray(models) || modelsUnusable(structure.problems))
    return { spec: undefined, findings: structure.findings };
  const inputs = modelInputs(models, structure.problems);
  // A wrong mode is a structural error, so no spec is returned with it.
  const mode = (structure.value as RawSpec).timescale;
  const results = inputs.map((input) => checkModel(input, mode));
  const findings = [...structure.findings, ...results.flatMap((r) => r.findings)];
  const names = inputs.map((r) => ({ name: r.raw.name, path: [...r.path, 'name'] }));
  findings.push(...duplicateNameFindings(names, 'model name', 'each model needs its own name'));
  findings.push(
    ...renameFindings(
      inputs.map((r) => ({ name: r.raw.name, renamedFrom: r.raw.renamed_from, path: r.path })),
      { kind: 'model', within: 'the spec' },
    ),
  );
  const built = results.flatMap((r, k) => {
    const input = inputs[k] as ModelInput;
    return r.value === undefined ? [] : [{ model: r.value, raw: input.raw, path: input.path }];
  });
  findings.push(...tableFindings(built), ...namespaceFindings(built));
  findings.push(
    ...referenceFindings(
      built,
      inputs.map((r) => r.raw.name),
    ),
  );
  // Read only when its structure is sound (a structural error there is reported already).
  const environmentsSound = !structure.problems.some((p) => p.path[0] === 'environments');
  const environments = checkEnvironments(
    environmentsSound ? (structure.value as RawSpec | undefined)?.environments : undefined,
    built,
    inputs.map((r) => r.raw.name),
  );
  findings.push(...environments.findings);
  if (hasErrors(findings)) return { spec: undefined, findings };
  return {
    spec: Object.freeze({
      timescale: mode,
      models: Object.freeze(
        built.map((b) => withEnvironments(b.model, environments.byModel.get(b.model.name))),
      ),
    }),
    findings,
  };
}
