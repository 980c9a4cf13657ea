/** `validate`: the spec checked and loaded, with a summary of its models. */
import { loadSpec } from '../spec/load.js';
import type { LoadedSpec } from '../spec/types.js';

export interface ModelSummary {
  readonly name: string;
  readonly table: string;
  /** The hypertable's time column; null for a plain table. */
  readonly timeColumn: string | null;
  readonly fields: number;
  readonly primaryKey: readonly string[];
  /** Its continuous aggregates' names, sources first. */
  readonly aggregates: readonly string[];
}

export interface ValidateResult extends LoadedSpec {
  readonly models: readonly ModelSummary[];
}

/** Throws a SpecError listing every problem, with its line and column. */
export async function validateSpec(specFile: string): Promise<ValidateResult> {
  const loaded = await loadSpec(specFile);
  return {
    ...loaded,
    models: loaded.spec.models.map((m) => ({
      name: m.name,
      table: m.table,
      timeColumn: m.timeseries?.timeColumn ?? null,
      fields: m.fields.length,
      primaryKey: m.primaryKey,
      aggregates: (m.timeseries?.aggregates ?? []).map((a) => a.name),
    })),
  };
}
