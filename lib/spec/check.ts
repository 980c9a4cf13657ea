/**
 * The whole document: structure (joi), then each structurally sound model, then names
 * that must be unique across models (see namespace.ts).
 */
import type { Finding, Path } from './findings.js';
import { hasErrors } from './findings.js';
import { duplicateNameFindings } from './fields.js';
import { validateStructure } from './joi-findings.js';
import { checkModel } from './model.js';
import { namespaceFindings } from './namespace.js';
import type { RawModel, RawSpec } from './raw.js';
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

interface Located<T> {
  readonly value: T;
  readonly path: Path;
}

/** Models with a structural error are skipped by later checks, which trust the structure. */
function brokenModels(findings: readonly Finding[]): Set<number> | 'all' {
  const broken = new Set<number>();
  for (const f of findings) {
    if (f.path[0] !== 'models') continue;
    if (typeof f.path[1] !== 'number') return 'all';
    broken.add(f.path[1]);
  }
  return broken;
}

function tablePath(model: RawModel, path: Path): Path {
  return model.table === undefined ? [...path, 'name'] : [...path, 'table'];
}

function tableFindings(
  models: readonly Located<Model>[],
  raws: readonly Located<RawModel>[],
): Finding[] {
  const items = models.map((m, k) => ({
    name: m.value.table,
    path: tablePath((raws[k] as Located<RawModel>).value, m.path),
  }));
  return duplicateNameFindings(
    items,
    'table name',
    'two models would share one table; set `table:` on one of them',
  );
}

export function checkSpec(document: unknown): SpecCheck {
  const structure = validateStructure(specSchema, document);
  const broken = brokenModels(structure.findings);
  const value = structure.value as RawSpec | null | undefined;
  if (broken === 'all' || !Array.isArray(value?.models))
    return { spec: undefined, findings: structure.findings };
  const raws = value.models
    .map((m, i) => ({ value: m, path: ['models', i] as Path }))
    .filter((_, i) => !broken.has(i));
  const results = raws.map((r) => checkModel(r.value, r.path, value.timescale));
  const findings = [...structure.findings, ...results.flatMap((r) => r.findings)];
  const names = raws.map((r) => ({ name: r.value.name, path: [...r.path, 'name'] }));
  findings.push(...duplicateNameFindings(names, 'model name', 'each model needs its own name'));
  findings.push(
    ...renameFindings(
      raws.map((r) => ({ name: r.value.name, renamedFrom: r.value.renamed_from, path: r.path })),
      { kind: 'model', within: 'the spec' },
    ),
  );
  const built = results.flatMap((r, k) =>
    r.value === undefined ? [] : [{ value: r.value, path: (raws[k] as Located<RawModel>).path }],
  );
  const builtRaws = results.flatMap((r, k) =>
    r.value === undefined ? [] : [raws[k] as Located<RawModel>],
  );
  findings.push(
    ...tableFindings(built, builtRaws),
    ...namespaceFindings(
      built.map((b, k) => ({
        model: b.value,
        raw: (builtRaws[k] as Located<RawModel>).value,
        path: b.path,
      })),
    ),
  );
  if (hasErrors(findings)) return { spec: undefined, findings };
  return {
    spec: Object.freeze({
      timescale: value.timescale,
      models: Object.freeze(built.map((b) => b.value)),
    }),
    findings,
  };
}
