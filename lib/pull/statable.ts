/**
 * What prism.yaml can state of live tables: each table as `pull` would write it and the
 * spec compiler would compile it back. `check` compares through it, so that what no spec
 * can hold (an `inet` column, a `nextval` default, a descending index, …) is left alone —
 * `pull` names those in comments instead — and `check` passes right after `pull`.
 */
import { compileSpec } from '../schema/compile.js';
import type { Schema, Table } from '../schema/types.js';
import { parseSpec } from '../spec/load.js';
import { schemaToSpec } from './to-spec.js';

/** The statable part of each live table, by table name; a table with none is absent. */
export function statableTables(live: Schema): ReadonlyMap<string, Table> {
  const pulled = schemaToSpec(live);
  const compiled = compileSpec(parseSpec(pulled.text, 'prism.yaml (pulled)').spec);
  return new Map(compiled.tables.map((t) => [t.name, t]));
}
