/**
 * Foreign keys in the diff: which survive a change of spec, and in which order models that
 * reference each other are created and dropped. Referenced tables are created first, each
 * table's foreign keys added with it; in a cycle the first model of the spec's order goes
 * first and its keys to tables not made yet are added after every table exists. Drops run
 * that plan backwards, so a table goes only once nothing references it.
 */
import { compileForeignKeys, compileIndexes } from '../schema/compile.js';
import type { Field, Model, Spec } from '../spec/types.js';
import { schemaOf, type Change, type ForeignKeyDef } from './changes.js';

/** A model's foreign keys, with the referenced tables of `models`. */
export function foreignKeysOf(model: Model, models: readonly Model[]): ForeignKeyDef[] {
  const modelOf = (name: string) => models.find((m) => m.name === name);
  return compileForeignKeys(model, modelOf).map((fk) =>
    Object.freeze({
      name: fk.name,
      column: fk.column,
      references: Object.freeze({
        table: fk.references.table,
        ...(fk.references.schema === 'public' ? {} : { schema: fk.references.schema }),
        column: fk.references.column,
      }),
      onDelete: fk.onDelete,
      onUpdate: fk.onUpdate,
    }),
  );
}

function fieldShape(f: Field | undefined): unknown {
  return f === undefined ? null : [f.type, f.maxLength, f.precision, f.scale];
}

/**
 * What a foreign key depends on besides itself: both column types, the referenced key or
 * unique indexes (whole: a renamed table gets new index names, and a changed index is
 * dropped and made again), and whether the referenced table is a hypertable (turning it
 * into one or back replaces the table). When any of these changes, the key is dropped first
 * and added again last. The referencing table may become
 * a hypertable or a plain table again with its keys: TimescaleDB and revertHypertable keep
 * them.
 */
function dependencies(model: Model, fk: ForeignKeyDef, target: Model | undefined): string {
  const column = model.fields.find((f) => f.name === fk.column);
  const referenced = target?.fields.find((f) => f.name === fk.references.column);
  const byKey =
    target !== undefined &&
    target.primaryKey.length === 1 &&
    target.primaryKey[0] === fk.references.column;
  // Every index PostgreSQL could take for the key, as a whole: dropping or changing one
  // (its name, INCLUDE, order, …) needs the key gone first.
  const uniqueIndexes =
    target === undefined || byKey
      ? null
      : compileIndexes(target)
          .filter(
            (i) =>
              i.unique &&
              i.where === undefined &&
              i.columns.length === 1 &&
              i.columns[0]?.column === fk.references.column,
          )
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify([
    fieldShape(column),
    fieldShape(referenced),
    target?.primaryKey ?? null,
    uniqueIndexes,
    target?.timeseries?.timeColumn ?? null,
  ]);
}

/**
 * The name a key of table `from` has once the table is renamed `to`: renameTable renames
 * `<from>_…_fkey` to `<to>_…_fkey` (see lib/generate/rename-sql.ts).
 */
function renamedKeyName(name: string, from: string, to: string): string {
  return from !== to && name.startsWith(`${from}_`) && name.endsWith('_fkey')
    ? `${to}_${name.slice(from.length + 1)}`
    : name;
}

/** The same key, up to the referenced table's name (a renamed table keeps its keys). */
function sameKey(a: ForeignKeyDef, b: ForeignKeyDef): boolean {
  return (
    a.name === b.name &&
    a.column === b.column &&
    a.references.column === b.references.column &&
    a.onDelete === b.onDelete &&
    a.onUpdate === b.onUpdate
  );
}

interface Located {
  readonly model: Model;
  readonly fk: ForeignKeyDef;
  readonly target: Model | undefined;
  readonly targetName: string;
}

function locate(model: Model, spec: Spec | undefined): Located[] {
  const models = spec?.models ?? [];
  return foreignKeysOf(model, models).map((fk) => {
    const targetName = model.fields.find((f) => f.name === fk.column)?.references?.model ?? '';
    return { model, fk, target: models.find((m) => m.name === targetName), targetName };
  });
}

/**
 * The keys of models kept from `from` to `to` (`pairs`, old and new) that go away or change
 * (dropped first, under the old table names) and that are new or changed (added last).
 */
export function keptModelKeys(
  from: Spec | undefined,
  to: Spec,
  pairs: readonly [Model, Model][],
): { drops: Change[]; adds: Change[] } {
  const newOf = new Map(pairs.map(([o, n]) => [o.name, n.name]));
  const drops: Change[] = [];
  const adds: Change[] = [];
  const olds = pairs.flatMap(([o]) => locate(o, from));
  const news = pairs.flatMap(([, n]) => locate(n, to));
  const survives = (old: Located, now: Located): boolean =>
    newOf.get(old.model.name) === now.model.name &&
    newOf.get(old.targetName) === now.targetName &&
    sameKey(
      { ...old.fk, name: renamedKeyName(old.fk.name, old.model.table, now.model.table) },
      now.fk,
    ) &&
    dependencies(old.model, old.fk, old.target) === dependencies(now.model, now.fk, now.target);
  for (const old of olds) {
    if (!news.some((now) => survives(old, now)))
      drops.push({
        kind: 'dropForeignKey',
        table: old.model.table,
        ...schemaOf(old.model),
        foreignKey: old.fk,
      });
  }
  for (const now of news) {
    if (!olds.some((old) => survives(old, now)))
      adds.push({
        kind: 'addForeignKey',
        table: now.model.table,
        ...schemaOf(now.model),
        foreignKey: now.fk,
      });
  }
  return { drops, adds };
}

/**
 * `createModel` for each of `models` (of `spec`), referenced ones first, each with its keys
 * to tables already there; the keys left over in a cycle come as `addForeignKey` after.
 */
export function creationPlan(
  models: readonly Model[],
  spec: Spec,
): { creates: Change[]; deferred: Change[] } {
  const pending = new Set(models.map((m) => m.name));
  const remaining = [...models];
  const creates: Change[] = [];
  const deferred: Change[] = [];
  const waitsFor = (m: Model, l: Located) => l.targetName !== m.name && pending.has(l.targetName);
  while (remaining.length > 0) {
    const ready = remaining.findIndex((m) => !locate(m, spec).some((l) => waitsFor(m, l)));
    const [model] = remaining.splice(ready < 0 ? 0 : ready, 1) as [Model];
    const keys = locate(model, spec);
    const inline = keys.filter((l) => !waitsFor(model, l)).map((l) => l.fk);
    for (const l of keys.filter((k) => waitsFor(model, k)))
      deferred.push({
        kind: 'addForeignKey',
        table: model.table,
        ...schemaOf(model),
        foreignKey: l.fk,
      });
    creates.push(
      inline.length > 0
        ? { kind: 'createModel', model, foreignKeys: inline }
        : { kind: 'createModel', model },
    );
    pending.delete(model.name);
  }
  return { creates, deferred };
}
