/** The pieces of one model as changes: its indexes and its timeseries setup. */
import { compileIndexes } from '../schema/compile.js';
import type { Model } from '../spec/types.js';
import type { Change, CompressionSettings, HypertableDef, IndexDef } from './changes.js';

/**
 * Indexes of a model as changes carry them, from the compiled schema's (see `compileIndexes`).
 */
export function indexesOf(model: Model): IndexDef[] {
  return compileIndexes(model).map((index) =>
    Object.freeze({
      name: index.name,
      columns: Object.freeze(index.columns.map((term) => Object.freeze({ ...term }))),
      type: index.method,
      unique: index.unique,
      ...(index.where === undefined ? {} : { where: index.where }),
      ...(index.include === undefined ? {} : { include: Object.freeze([...index.include]) }),
    }),
  );
}

/** The hypertable of a model as createHypertable carries it. */
export function hypertableDefOf(model: Model): HypertableDef | undefined {
  const ts = model.timeseries;
  if (!ts) return undefined;
  return {
    timeColumn: ts.timeColumn,
    chunkInterval: ts.chunkInterval,
    ...(ts.createDefaultIndexes === false ? { createDefaultIndexes: false as const } : {}),
  };
}

export function compressionSettingsOf(model: Model): CompressionSettings | undefined {
  const c = model.timeseries?.compression;
  return c?.enabled ? { segmentBy: c.segmentBy, orderBy: c.orderBy } : undefined;
}

export function integerNowOf(model: Model): Extract<Change, { kind: 'setIntegerNow' }> | undefined {
  const ts = model.timeseries;
  if (!ts?.timeUnit) return undefined;
  const column = model.fields.find((f) => f.name === ts.timeColumn);
  if (column?.type !== 'int' && column?.type !== 'bigint') return undefined;
  return {
    kind: 'setIntegerNow',
    table: model.table,
    timeColumn: ts.timeColumn,
    columnType: column.type,
    unit: ts.timeUnit,
    timescale: model.timescale,
  };
}

/** Hypertable, integer-now, compression and policies of a model whose table exists. */
export function timeseriesSteps(model: Model): Change[] {
  const ts = model.timeseries;
  if (!ts) return [];
  const { table, timescale } = model;
  const steps: Change[] = [
    {
      kind: 'createHypertable',
      table,
      hypertable: hypertableDefOf(model) as HypertableDef,
      timescale,
    },
  ];
  const integerNow = integerNowOf(model);
  if (integerNow) steps.push(integerNow);
  const settings = compressionSettingsOf(model);
  if (settings) {
    steps.push({ kind: 'enableCompression', table, settings, timescale });
    if (ts.compression?.after)
      steps.push({ kind: 'addCompressionPolicy', table, after: ts.compression.after, timescale });
  }
  if (ts.retention?.enabled)
    steps.push({ kind: 'addRetentionPolicy', table, dropAfter: ts.retention.dropAfter, timescale });
  return steps;
}

/**
 * Everything `createModel` stands for. Indexes come before the hypertable so that an
 * index on the time column keeps its name (TimescaleDB then adds no default index).
 */
export function modelCreationSteps(model: Model): Change[] {
  return [
    { kind: 'createTable', model },
    ...indexesOf(model).map((index): Change => ({ kind: 'addIndex', table: model.table, index })),
    ...timeseriesSteps(model),
  ];
}
