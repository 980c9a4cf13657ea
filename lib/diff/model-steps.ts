/** The pieces of one model as changes: its indexes and its timeseries setup. */
import { compileIndexes } from '../schema/compile.js';
import { sqlTypeText } from '../spec/sql-type.js';
import type { Field, Model } from '../spec/types.js';
import {
  inSchemaOf,
  schemaOf,
  type Change,
  type CompressionSettings,
  type ForeignKeyDef,
  type HypertableDef,
  type IndexDef,
} from './changes.js';
import { amountsByEnvironment, optionalMap } from './environments.js';

/** What of a field makes its column type; `float` and `double` are one type. */
export function typeShape(f: Field): unknown[] {
  return [
    f.type === 'float' ? 'double' : f.type,
    f.maxLength,
    f.precision,
    f.scale,
    f.array === true,
    // As text: a snapshot read back orders an object's keys differently.
    f.sqlType === undefined ? undefined : sqlTypeText(f.sqlType),
  ];
}

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

export function compressionSettingsOf(model: Model): CompressionSettings | undefined {
  const c = model.timeseries?.compression;
  if (!c?.enabled) return undefined;
  return {
    segmentBy: c.segmentBy,
    orderBy: c.orderBy,
    ...(c.chunkInterval ? { chunkInterval: c.chunkInterval } : {}),
    ...(c.sparseIndexes?.length ? { sparseIndexes: c.sparseIndexes } : {}),
  };
}

export function integerNowOf(model: Model): Extract<Change, { kind: 'setIntegerNow' }> | undefined {
  const ts = model.timeseries;
  if (!ts?.timeUnit) return undefined;
  const column = model.fields.find((f) => f.name === ts.timeColumn);
  if (column?.type !== 'int' && column?.type !== 'bigint') return undefined;
  return {
    kind: 'setIntegerNow',
    table: model.table,
    ...schemaOf(model),
    timeColumn: ts.timeColumn,
    columnType: column.type,
    unit: ts.timeUnit,
    timescale: model.timescale,
  };
}

/** The hypertable of a timeseries model: its time column and chunk intervals. */
export function hypertableDefOf(model: Model): HypertableDef {
  const ts = model.timeseries;
  if (!ts) throw new Error(`model ${model.name} has no timeseries block`);
  return {
    timeColumn: ts.timeColumn,
    chunkInterval: ts.chunkInterval,
    ...optionalMap('chunkIntervalByEnvironment', amountsByEnvironment(model, 'chunkInterval')),
    ...(ts.partitioning ? { partitioning: ts.partitioning } : {}),
    ...(ts.createDefaultIndexes === false ? { createDefaultIndexes: false as const } : {}),
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
      hypertable: hypertableDefOf(model),
      timescale,
    },
  ];
  const integerNow = integerNowOf(model);
  if (integerNow) steps.push(integerNow);
  const settings = compressionSettingsOf(model);
  if (settings) {
    steps.push({ kind: 'enableCompression', table, settings, timescale });
    if (ts.compression?.after)
      steps.push({
        kind: 'addCompressionPolicy',
        table,
        after: ts.compression.after,
        ...optionalMap('afterByEnvironment', amountsByEnvironment(model, 'compressAfter')),
        timescale,
      });
  }
  if (ts.retention?.enabled)
    steps.push({
      kind: 'addRetentionPolicy',
      table,
      dropAfter: ts.retention.dropAfter,
      ...optionalMap('dropAfterByEnvironment', amountsByEnvironment(model, 'dropAfter')),
      timescale,
    });
  if (ts.reorder)
    steps.push({ kind: 'addReorderPolicy', table, index: ts.reorder.indexName, timescale });
  return inSchemaOf(model, steps);
}

/**
 * Everything `createModel` stands for. Indexes come before the hypertable so that an
 * index on the time column keeps its name (TimescaleDB then adds no default index), and
 * foreign keys before compression (TimescaleDB before 2.20 refuses them after it).
 */
export function modelCreationSteps(
  model: Model,
  foreignKeys: readonly ForeignKeyDef[] = [],
): Change[] {
  return inSchemaOf(model, [
    { kind: 'createTable', model },
    ...indexesOf(model).map((index): Change => ({ kind: 'addIndex', table: model.table, index })),
    ...foreignKeys.map((foreignKey): Change => ({
      kind: 'addForeignKey',
      table: model.table,
      foreignKey,
    })),
    ...timeseriesSteps(model),
  ]);
}
