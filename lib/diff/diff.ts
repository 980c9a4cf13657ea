/**
 * old spec × new spec → Change[]: pure, deterministic, and complete enough that the
 * `down` built from the inverses takes the database back exactly. Renames happen only
 * through an explicit `renamed_from`; anything else unmatched is a drop plus a create.
 */
import { sameAmount } from '../spec/time-amount.js';
import type { Field, Model, Spec } from '../spec/types.js';
import type { Change, CompressionSettings, IndexDef } from './changes.js';
import { hasDefaultTimeIndex } from '../schema/compile.js';
import { amountsByEnvironment, optionalMap, sameInEveryEnvironment } from './environments.js';
import { creationPlan, keptModelKeys } from './foreign-keys.js';
import {
  compressionSettingsOf,
  hypertableDefOf,
  indexesOf,
  integerNowOf,
  typeShape,
} from './model-steps.js';
import { aggregateChanges } from './aggregates.js';
import { inSchemaOf, invertAll } from './changes.js';
import { UsageError } from '../errors.js';

/** What of a field reaches the column definition. */
function columnShape(f: Field): string {
  return JSON.stringify([...typeShape(f), f.values, f.optional, f.default]);
}

/** Everything of an index but its name: any difference is a drop and a create. */
function sameIndex(a: IndexDef, b: IndexDef): boolean {
  const shape = (i: IndexDef) =>
    JSON.stringify([
      i.columns.map((t) => [t.column, t.direction, t.nulls ?? null]),
      i.type,
      i.unique,
      i.where ?? null,
      i.include ?? [],
    ]);
  return shape(a) === shape(b);
}

function sameSettings(a: CompressionSettings, b: CompressionSettings): boolean {
  return (
    JSON.stringify([a.segmentBy, a.orderBy, a.sparseIndexes ?? []]) ===
      JSON.stringify([b.segmentBy, b.orderBy, b.sparseIndexes ?? []]) &&
    sameAmount(a.chunkInterval, b.chunkInterval)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** TimescaleDB refuses to change the type of a hash-partitioned column in place (TS101). */
function typeChanged(pairs: readonly [Field, Field][], column: string): boolean {
  const pair = pairs.find(([, b]) => b.name === column);
  return (
    pair !== undefined &&
    JSON.stringify([pair[0].type, pair[0].maxLength, pair[0].precision, pair[0].scale]) !==
      JSON.stringify([pair[1].type, pair[1].maxLength, pair[1].precision, pair[1].scale])
  );
}

/** Pairs old and new items by name, or by the new item's `renamed_from`. */
function match<T extends Model | Field>(
  olds: readonly T[],
  news: readonly T[],
): { pairs: [T, T][]; dropped: T[]; added: T[] } {
  const oldByName = new Map(olds.map((o) => [o.name, o]));
  const used = new Set<string>();
  const pairs: [T, T][] = [];
  const added: T[] = [];
  for (const n of news) {
    const key = oldByName.has(n.name) ? n.name : n.renamedFrom;
    const o = key === undefined ? undefined : oldByName.get(key);
    if (o && !used.has(o.name)) {
      used.add(o.name);
      pairs.push([o, n]);
    } else {
      added.push(n);
    }
  }
  return { pairs, dropped: olds.filter((o) => !used.has(o.name)), added };
}

/** Whether column changes need compression off first (TimescaleDB refuses them otherwise). */
function needsDecompression(
  o: Model,
  n: Model,
  fieldChanges: { pairs: [Field, Field][]; dropped: Field[]; added: Field[] },
): boolean {
  if (!compressionSettingsOf(o) || !compressionSettingsOf(n)) return false;
  const typeChanged = fieldChanges.pairs.some(
    ([a, b]) => JSON.stringify(typeShape(a)) !== JSON.stringify(typeShape(b)),
  );
  const addedNotNullWithoutDefault = fieldChanges.added.some(
    (f) => !f.optional && f.default === undefined,
  );
  const renamed = fieldChanges.pairs.some(([a, b]) => a.name !== b.name);
  return typeChanged || fieldChanges.dropped.length > 0 || addedNotNullWithoutDefault || renamed;
}

function diffModel(o: Model, n: Model): Change[] {
  if ((o.schema ?? 'public') !== (n.schema ?? 'public'))
    throw new UsageError(
      `model ${n.name}: its table would move from schema ${o.schema ?? 'public'} to ${n.schema ?? 'public'}; prism-migrate does not move tables between schemas`,
      {
        hint: `keep \`schema: ${o.schema ?? 'public'}\` on the model, or give it a new name (a new table in ${n.schema ?? 'public'}, the old one dropped)`,
      },
    );
  return inSchemaOf(n, modelSteps(o, n));
}

function modelSteps(o: Model, n: Model): Change[] {
  const table = n.table;
  const timescale = n.timescale;
  const steps: Change[] = [];
  if (o.table !== n.table) steps.push({ kind: 'renameTable', from: o.table, to: n.table });

  const fields = match(o.fields, n.fields);
  const oTs = o.timeseries;
  const nTs = n.timeseries;
  const newName = (column: string) =>
    fields.pairs.find(([a]) => a.name === column)?.[1].name ?? column;
  // The same hypertable: partitioned on the same column (possibly renamed) before and after.
  // TimescaleDB cannot remove a dimension, so a different partitioning column is another
  // hypertable too: the table is rebuilt (revert + create), as for another time column.
  const sameHypertable =
    oTs !== undefined &&
    nTs !== undefined &&
    newName(oTs.timeColumn) === nTs.timeColumn &&
    (oTs.partitioning === undefined
      ? nTs.partitioning === undefined
      : newName(oTs.partitioning.column) === nTs.partitioning?.column &&
        !typeChanged(fields.pairs, nTs.partitioning.column));
  const wrap = sameHypertable && needsDecompression(o, n, fields);

  // 1. policies that go away or change, then compression that goes away.
  const oCompression = compressionSettingsOf(o);
  const nCompression = compressionSettingsOf(n);
  const oAfter = oCompression ? oTs?.compression?.after : undefined;
  const nAfter = nCompression ? nTs?.compression?.after : undefined;
  const oDrop = oTs?.retention?.enabled ? oTs.retention.dropAfter : undefined;
  const nDrop = nTs?.retention?.enabled ? nTs.retention.dropAfter : undefined;
  const oAfterEnv = oAfter ? amountsByEnvironment(o, 'compressAfter') : undefined;
  const nAfterEnv = nAfter ? amountsByEnvironment(n, 'compressAfter') : undefined;
  const oDropEnv = oDrop ? amountsByEnvironment(o, 'dropAfter') : undefined;
  const nDropEnv = nDrop ? amountsByEnvironment(n, 'dropAfter') : undefined;
  const keepCompressionPolicy =
    sameHypertable && !wrap && sameInEveryEnvironment(oAfter, oAfterEnv, nAfter, nAfterEnv);
  const keepRetention = sameHypertable && sameInEveryEnvironment(oDrop, oDropEnv, nDrop, nDropEnv);
  const keepCompression =
    sameHypertable && !wrap && oCompression !== undefined && nCompression !== undefined;
  // 0. a reorder policy whose index goes or changes (the policy needs its index).
  const oIndexes = indexesOf(o);
  const nIndexes = indexesOf(n);
  const nIndexByName = new Map(nIndexes.map((i) => [i.name, i]));
  const oIndexByName = new Map(oIndexes.map((i) => [i.name, i]));
  const indexKept = (name: string) => {
    const before = oIndexByName.get(name);
    const after = nIndexByName.get(name);
    return before === undefined
      ? after === undefined
      : after !== undefined && sameIndex(before, after);
  };
  const oReorder = oTs?.reorder?.indexName;
  const nReorder = nTs?.reorder?.indexName;
  const keepReorder =
    sameHypertable && oReorder === nReorder && (oReorder === undefined || indexKept(oReorder));
  if (oReorder && !keepReorder)
    steps.push({ kind: 'removeReorderPolicy', table, index: oReorder, timescale });
  if (oDrop && !keepRetention)
    steps.push({
      kind: 'removeRetentionPolicy',
      table,
      dropAfter: oDrop,
      ...optionalMap('dropAfterByEnvironment', oDropEnv),
      timescale,
    });
  if (oAfter && !keepCompressionPolicy)
    steps.push({
      kind: 'removeCompressionPolicy',
      table,
      after: oAfter,
      ...optionalMap('afterByEnvironment', oAfterEnv),
      timescale,
    });
  if (oCompression && !keepCompression)
    steps.push({ kind: 'disableCompression', table, settings: oCompression, timescale });

  // 2. indexes that go away or change.
  // Old indexes under the names they have in the database (a renamed table keeps them).
  // A rebuilt hypertable drops them once it is a plain table again (step 3), so that the
  // inverse adds them before the hypertable is made: an index on the time column then
  // keeps TimescaleDB from making its default index under the same name.
  const rebuilt = oTs !== undefined && !sameHypertable;
  const indexDrops: Change[] = [];
  for (const i of oIndexes) {
    const next = nIndexByName.get(i.name);
    if (!next || !sameIndex(i, next)) indexDrops.push({ kind: 'dropIndex', table, index: i });
  }
  if (!rebuilt) steps.push(...indexDrops);
  // TimescaleDB's default time index, on a hypertable that stays: as a new one would have it.
  const oDefault = sameHypertable && hasDefaultTimeIndex(o);
  const nDefault = sameHypertable && hasDefaultTimeIndex(n);
  if (oDefault && !nDefault && oTs) {
    steps.push({
      kind: 'dropDefaultTimeIndex',
      table,
      timeColumn: oTs.timeColumn, // columns are renamed later (step 4)
      timescale,
    });
  }

  // 3. the hypertable itself, when it goes away.
  const oIntegerNow = integerNowOf({ ...o, table });
  const nIntegerNow = integerNowOf(n);
  const keepIntegerNow =
    sameHypertable && JSON.stringify(oIntegerNow) === JSON.stringify(nIntegerNow);
  if (oIntegerNow && !keepIntegerNow) steps.push({ ...oIntegerNow, kind: 'dropIntegerNow' });
  if (oTs && !sameHypertable) {
    steps.push({
      kind: 'revertHypertable',
      table,
      hypertable: hypertableDefOf(o),
      timescale: o.timescale,
    });
  }
  if (rebuilt) steps.push(...indexDrops);

  // 4. columns: renames, additions, alterations, the key, then drops.
  for (const [a, b] of fields.pairs)
    if (a.name !== b.name) steps.push({ kind: 'renameColumn', table, from: a.name, to: b.name });
  for (const f of fields.added) steps.push({ kind: 'addColumn', table, field: f });
  for (const [a, b] of fields.pairs) {
    if (columnShape(a) !== columnShape(b))
      steps.push({ kind: 'alterColumn', table, from: { ...a, name: b.name }, to: b });
  }
  const renamedKey = o.primaryKey.map(newName);
  if (!sameList(renamedKey, n.primaryKey))
    steps.push({ kind: 'setPrimaryKey', table, from: renamedKey, to: n.primaryKey });
  for (const f of fields.dropped) steps.push({ kind: 'dropColumn', table, field: f });

  // 5. indexes that are new or changed.
  for (const i of nIndexes) {
    const before = oIndexByName.get(i.name);
    if (!before || !sameIndex(before, i)) steps.push({ kind: 'addIndex', table, index: i });
  }
  if (nDefault && !oDefault && nTs) {
    steps.push({ kind: 'addDefaultTimeIndex', table, timeColumn: nTs.timeColumn, timescale });
  }

  // 6. the hypertable, when it is new, and its settings.
  if (nTs && !sameHypertable) {
    steps.push({
      kind: 'createHypertable',
      table,
      hypertable: hypertableDefOf(n),
      timescale,
    });
  } else if (nTs && oTs) {
    const fromByEnvironment = amountsByEnvironment(o, 'chunkInterval');
    const toByEnvironment = amountsByEnvironment(n, 'chunkInterval');
    if (
      !sameInEveryEnvironment(
        oTs.chunkInterval,
        fromByEnvironment,
        nTs.chunkInterval,
        toByEnvironment,
      )
    ) {
      steps.push({
        kind: 'setChunkInterval',
        table,
        from: oTs.chunkInterval,
        to: nTs.chunkInterval,
        ...optionalMap('fromByEnvironment', fromByEnvironment),
        ...optionalMap('toByEnvironment', toByEnvironment),
        timescale,
      });
    }
  }
  const oParts = oTs?.partitioning;
  const nParts = nTs?.partitioning;
  if (sameHypertable && oParts && nParts && oParts.partitions !== nParts.partitions) {
    steps.push({
      kind: 'setNumberPartitions',
      table,
      column: nParts.column,
      from: oParts.partitions,
      to: nParts.partitions,
      timescale,
    });
  }
  if (nIntegerNow && !keepIntegerNow) steps.push(nIntegerNow);
  if (nCompression && !keepCompression)
    steps.push({ kind: 'enableCompression', table, settings: nCompression, timescale });
  if (
    keepCompression &&
    oCompression &&
    nCompression &&
    !sameSettings(oCompression, nCompression)
  ) {
    steps.push({
      kind: 'alterCompression',
      table,
      from: oCompression,
      to: nCompression,
      timescale,
    });
  }
  if (nAfter && !keepCompressionPolicy)
    steps.push({
      kind: 'addCompressionPolicy',
      table,
      after: nAfter,
      ...optionalMap('afterByEnvironment', nAfterEnv),
      timescale,
    });
  if (nDrop && !keepRetention)
    steps.push({
      kind: 'addRetentionPolicy',
      table,
      dropAfter: nDrop,
      ...optionalMap('dropAfterByEnvironment', nDropEnv),
      timescale,
    });
  if (nReorder && !keepReorder)
    steps.push({ kind: 'addReorderPolicy', table, index: nReorder, timescale });
  return steps;
}

/**
 * The changes that take a database from `from` (undefined: empty) to `to`. Foreign keys
 * that go away are dropped before anything else and new ones added after everything else,
 * so no step meets a key in its way; new tables come referenced first (see foreign-keys.ts).
 * Continuous aggregates go before everything and come after everything (see aggregates.ts).
 */
export function diffSpecs(from: Spec | undefined, to: Spec): Change[] {
  const models = match(from?.models ?? [], to.models);
  const kept = keptModelKeys(from, to, models.pairs);
  const dropped =
    from === undefined ? { creates: [], deferred: [] } : creationPlan(models.dropped, from);
  const added = creationPlan(models.added, to);
  const modelSteps = models.pairs.map(([o, n]) => ({ from: o, to: n, steps: diffModel(o, n) }));
  const aggregates = aggregateChanges(from?.models ?? [], to.models, modelSteps);
  return [
    ...aggregates.drops,
    ...kept.drops,
    ...invertAll([...dropped.creates, ...dropped.deferred]),
    ...modelSteps.flatMap((m) => m.steps),
    ...added.creates,
    ...kept.adds,
    ...added.deferred,
    ...aggregates.creates,
  ];
}
