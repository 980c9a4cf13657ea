/**
 * Continuous aggregates of old × new spec → changes. A view's definition (AggregateDef)
 * cannot change in place: a different one, or a source PostgreSQL would not alter under a
 * dependent view, is a drop and a create of that aggregate and of every aggregate built on
 * it. Realtime, compression and policies change in place. Drops come before the model
 * steps (dependents first, each one's policies removed before it), creates after them
 * (sources first, each followed by its compression and policies), so `down` — the inverses
 * in reverse — restores every aggregate with what it had.
 */
import { sameAmount } from '../spec/time-amount.js';
import type { AggregateRefresh, ContinuousAggregate, Model, TimeAmount } from '../spec/types.js';
import {
  invertAll,
  schemaOf,
  type AggregateDef,
  type Change,
  type RefreshByEnvironment,
} from './changes.js';
import { refreshByEnvironment } from './environments.js';
import { typeShape } from './model-steps.js';

/** A model present before and after, with the steps the diff makes for its table. */
export interface KeptModel {
  readonly from: Model;
  readonly to: Model;
  readonly steps: readonly Change[];
}

/** One aggregate where it is declared: its model gives the schema, source table and mode. */
interface Placed {
  readonly key: string;
  readonly model: Model;
  readonly aggregate: ContinuousAggregate;
  readonly def: AggregateDef;
}

/** What an aggregate of `table` (time column `timeColumn`) is made of, as the change carries it. */
export function aggregateDefOf(
  table: string,
  timeColumn: string,
  aggregate: ContinuousAggregate,
): AggregateDef {
  return {
    name: aggregate.name,
    source:
      aggregate.from === undefined
        ? { kind: 'table', name: table, timeColumn }
        : { kind: 'aggregate', name: aggregate.from },
    bucket: aggregate.bucket,
    groupBy: aggregate.groupBy,
    columns: aggregate.columns,
    realtime: aggregate.realtime,
  };
}

function keyOf(schema: string | undefined, name: string): string {
  return `${schema ?? 'public'}.${name}`;
}

function placed(models: readonly Model[]): Placed[] {
  return models.flatMap((model) => {
    const ts = model.timeseries;
    if (ts === undefined) return [];
    return (ts.aggregates ?? []).map((aggregate) => ({
      key: keyOf(model.schema, aggregate.name),
      model,
      aggregate,
      def: aggregateDefOf(model.table, ts.timeColumn, aggregate),
    }));
  });
}

function sameNullableAmount(a: TimeAmount | null, b: TimeAmount | null): boolean {
  return a === null || b === null ? a === b : sameAmount(a, b);
}

/** Everything but realtime (changed in place), and the mode it is made under. */
function sameDefinition(a: Placed, b: Placed): boolean {
  const shape = (p: Placed) =>
    JSON.stringify([
      p.def.name,
      p.def.source,
      p.def.groupBy,
      p.def.columns.map((c) => [c.name, c.function, c.argument ?? null]),
      p.model.timescale,
    ]);
  return shape(a) === shape(b) && sameAmount(a.def.bucket, b.def.bucket);
}

function sameRefreshPolicy(
  x: AggregateRefresh | undefined,
  y: AggregateRefresh | undefined,
): boolean {
  if (x === undefined || y === undefined) return x === y;
  return (
    sameNullableAmount(x.startOffset, y.startOffset) &&
    sameNullableAmount(x.endOffset, y.endOffset) &&
    sameAmount(
      { kind: 'interval', interval: x.scheduleInterval },
      { kind: 'interval', interval: y.scheduleInterval },
    )
  );
}

/** The same policy in every environment (and none): the aggregate's own where one sets none. */
function sameRefresh(o: Placed, n: Placed): boolean {
  const a = o.aggregate.refresh;
  const b = n.aggregate.refresh;
  if (!sameRefreshPolicy(a, b)) return false;
  const before = refreshByEnvironment(o.model, o.aggregate.name);
  const after = refreshByEnvironment(n.model, n.aggregate.name);
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...names].every((e) => sameRefreshPolicy(before?.[e] ?? a, after?.[e] ?? b));
}

/** The change's `refreshByEnvironment`, when an environment sets one. */
function refreshOption(p: Placed): { refreshByEnvironment?: RefreshByEnvironment } {
  const map = refreshByEnvironment(p.model, p.aggregate.name);
  return map === undefined ? {} : { refreshByEnvironment: map };
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The columns of its table an aggregate over a hypertable reads (none for a `from` one). */
function readColumns(def: AggregateDef): Set<string> {
  if (def.source.kind !== 'table') return new Set();
  return new Set([
    def.source.timeColumn,
    ...def.groupBy,
    ...def.columns.flatMap((c) => (c.argument === undefined ? [] : [c.argument])),
  ]);
}

/**
 * Whether the model's steps do something to the table that PostgreSQL refuses under a view
 * reading `columns`: a read column dropped or given another type, or the table rebuilt.
 */
function breaksReader(kept: KeptModel, columns: ReadonlySet<string>): boolean {
  // Later steps name the columns as renamed.
  const current = new Set(columns);
  for (const step of kept.steps) {
    switch (step.kind) {
      case 'revertHypertable':
      case 'dropTable':
      case 'dropModel':
        return true;
      case 'renameColumn':
        if (current.delete(step.from)) current.add(step.to);
        break;
      case 'dropColumn':
        if (current.has(step.field.name)) return true;
        break;
      case 'alterColumn':
        if (
          current.has(step.to.name) &&
          JSON.stringify(typeShape(step.from)) !== JSON.stringify(typeShape(step.to))
        )
          return true;
        break;
      default:
        break;
    }
  }
  return false;
}

/**
 * An aggregate's definition as its view reads after the model's renames: PostgreSQL keeps a
 * view over a renamed table or column (it refers to them by number), so only a renamed
 * group-by column, which is also an output column of the view, makes it differ.
 */
function followRenames(def: AggregateDef, kept: KeptModel): AggregateDef {
  if (def.source.kind !== 'table') return def;
  const names = new Map<string, string>();
  for (const step of kept.steps) {
    if (step.kind !== 'renameColumn') continue;
    const original = [...names].find(([, now]) => now === step.from)?.[0] ?? step.from;
    names.set(original, step.to);
  }
  const renamed = (column: string) => names.get(column) ?? column;
  return {
    ...def,
    source: {
      ...def.source,
      name: kept.to.table,
      timeColumn: renamed(def.source.timeColumn),
    },
    columns: def.columns.map((c) =>
      c.argument === undefined ? c : { ...c, argument: renamed(c.argument) },
    ),
  };
}

/** The aggregate made with its compression and policies, in the order they need. */
function creationSteps(p: Placed): Change[] {
  const view = p.aggregate.name;
  const timescale = p.model.timescale;
  const { refresh, compression, retention } = p.aggregate;
  const steps: Change[] = [{ kind: 'createContinuousAggregate', aggregate: p.def, timescale }];
  if (compression)
    steps.push({
      kind: 'enableAggregateCompression',
      view,
      segmentBy: compression.segmentBy,
      timescale,
    });
  if (refresh)
    steps.push({
      kind: 'addContinuousAggregatePolicy',
      view,
      refresh,
      ...refreshOption(p),
      timescale,
    });
  if (compression?.after)
    steps.push({
      kind: 'addAggregateCompressionPolicy',
      view,
      after: compression.after,
      timescale,
    });
  if (retention)
    steps.push({
      kind: 'addAggregateRetentionPolicy',
      view,
      dropAfter: retention.dropAfter,
      timescale,
    });
  return steps.map((s) => ({ ...s, ...schemaOf(p.model) }));
}

/**
 * An aggregate of `model` made with its compression and policies (`apply-timescale` makes
 * one again as a continuous aggregate where a stand-in was made).
 */
export function aggregateCreationSteps(model: Model, aggregate: ContinuousAggregate): Change[] {
  const p = placed([model]).find((x) => x.aggregate.name === aggregate.name);
  if (p === undefined) throw new Error(`${aggregate.name} is not an aggregate of ${model.name}`);
  return creationSteps(p);
}

/** What changes in place on an aggregate kept as it is: removals, then additions. */
function inPlaceSteps(o: Placed, n: Placed): { removals: Change[]; additions: Change[] } {
  const a = o.aggregate;
  const b = n.aggregate;
  const view = b.name;
  const timescale = n.model.timescale;
  const compressionChanged =
    (a.compression === undefined) !== (b.compression === undefined) ||
    !sameList(a.compression?.segmentBy, b.compression?.segmentBy);
  const compressionPolicyChanged =
    compressionChanged || !sameAmount(a.compression?.after, b.compression?.after);
  const refreshChanged = !sameRefresh(o, n);
  const retentionChanged = !sameAmount(a.retention?.dropAfter, b.retention?.dropAfter);

  const removals: Change[] = [];
  if (a.retention && retentionChanged)
    removals.push({
      kind: 'removeAggregateRetentionPolicy',
      view,
      dropAfter: a.retention.dropAfter,
      timescale,
    });
  if (a.compression?.after && compressionPolicyChanged)
    removals.push({
      kind: 'removeAggregateCompressionPolicy',
      view,
      after: a.compression.after,
      timescale,
    });
  if (a.refresh && refreshChanged)
    removals.push({
      kind: 'removeContinuousAggregatePolicy',
      view,
      refresh: a.refresh,
      ...refreshOption(o),
      timescale,
    });
  if (a.compression && compressionChanged)
    removals.push({
      kind: 'disableAggregateCompression',
      view,
      segmentBy: a.compression.segmentBy,
      timescale,
    });

  const additions: Change[] = [];
  if (a.realtime !== b.realtime)
    additions.push({
      kind: 'setAggregateRealtime',
      view,
      from: a.realtime,
      to: b.realtime,
      timescale,
    });
  if (b.compression && compressionChanged)
    additions.push({
      kind: 'enableAggregateCompression',
      view,
      segmentBy: b.compression.segmentBy,
      timescale,
    });
  if (b.refresh && refreshChanged)
    additions.push({
      kind: 'addContinuousAggregatePolicy',
      view,
      refresh: b.refresh,
      ...refreshOption(n),
      timescale,
    });
  if (b.compression?.after && compressionPolicyChanged)
    additions.push({
      kind: 'addAggregateCompressionPolicy',
      view,
      after: b.compression.after,
      timescale,
    });
  if (b.retention && retentionChanged)
    additions.push({
      kind: 'addAggregateRetentionPolicy',
      view,
      dropAfter: b.retention.dropAfter,
      timescale,
    });
  const inSchema = (steps: Change[]) => steps.map((s) => ({ ...s, ...schemaOf(n.model) }));
  return { removals: inSchema(removals), additions: inSchema(additions) };
}

/**
 * The aggregate changes between the models `from` and `to`. `kept` are the models present
 * on both sides (matched as the diff matches them), with their table's steps; a model not
 * among them is dropped or new, and so is its table.
 */
export function aggregateChanges(
  from: readonly Model[],
  to: readonly Model[],
  kept: readonly KeptModel[],
): { drops: Change[]; creates: Change[] } {
  const olds = placed(from);
  const news = placed(to);
  const newByKey = new Map(news.map((p) => [p.key, p]));
  const oldByKey = new Map(olds.map((p) => [p.key, p]));
  const keptByOld = new Map(kept.map((k) => [k.from, k]));

  // Aggregates made anew: changed, or on a source that goes or changes under them.
  const remade = new Set<string>();
  for (const o of olds) {
    const n = newByKey.get(o.key);
    if (n === undefined) continue;
    const keptModel = keptByOld.get(o.model);
    const sourceGone =
      o.def.source.kind === 'table'
        ? keptModel === undefined || breaksReader(keptModel, readColumns(o.def))
        : remade.has(keyOf(o.model.schema, o.def.source.name));
    const before = keptModel === undefined ? o : { ...o, def: followRenames(o.def, keptModel) };
    if (sourceGone || !sameDefinition(before, n)) remade.add(o.key);
  }
  // Built on one made anew, in the new spec (a new source order may name a remade one).
  for (const n of news) {
    if (
      n.def.source.kind === 'aggregate' &&
      oldByKey.has(n.key) &&
      remade.has(keyOf(n.model.schema, n.def.source.name))
    )
      remade.add(n.key);
  }

  const removals: Change[][] = [];
  for (const o of olds) {
    const n = newByKey.get(o.key);
    if (n === undefined || remade.has(o.key)) removals.push(invertAll(creationSteps(o)));
    else removals.push(inPlaceSteps(o, n).removals);
  }
  const creates: Change[] = [];
  for (const n of news) {
    const o = oldByKey.get(n.key);
    if (o === undefined || remade.has(n.key)) creates.push(...creationSteps(n));
    else creates.push(...inPlaceSteps(o, n).additions);
  }
  // Dependents before their sources: the old spec lists sources first.
  return { drops: removals.reverse().flat(), creates };
}
