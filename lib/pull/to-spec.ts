/**
 * A schema read from a live database → prism.yaml text. Pure. Everything prism.yaml can
 * state is written so that compiling the loaded file gives back the same tables; what it
 * cannot state yet is named in a comment at its place and returned as a note, never
 * dropped silently.
 */
import { isDeepStrictEqual } from 'node:util';
import { catalogType } from '../schema/column-types.js';
import { canonicalOrderBy, canonicalTerm, termText } from '../schema/compile.js';
import type {
  Aggregate,
  Column,
  ForeignKey,
  Hypertable,
  Index,
  Schema,
  Table,
} from '../schema/types.js';
import { aggregateCallText } from '../sql/aggregate-call.js';
import { toOrderByTerm } from '../sql/order-by.js';
import { functionDefaultText, parseDefault } from '../spec/defaults.js';
import {
  defaultIndexName,
  enumCheckName,
  foreignKeyName,
  integerNowFunctionBaseName,
  isIdentifier,
  primaryKeyName,
} from '../spec/identifiers.js';
import { amountText } from '../spec/time-amount.js';
import { matchReorderIndex } from '../spec/timeseries.js';
import type { Field, FieldType, TimeAmount } from '../spec/types.js';
import { enumValuesProblem, fieldTypeOf } from './field-types.js';
import {
  renderSpec,
  type AggregateDraft,
  type FieldDraft,
  type ModelDraft,
  type SpecEntry,
  type IndexDraft,
  type TimeseriesDraft,
} from './yaml.js';
import { checkIndexes } from '../spec/indexes.js';
import type { RawField, RawIndex } from '../spec/raw.js';

/** Something of the database that prism.yaml cannot state (yet), at its place. */
export interface PullNote {
  readonly table: string;
  /** `column ip`, `default of column id`, `index readings_expr_idx`, `timeseries`, … */
  readonly what: string;
  /** What it is and what the written file holds instead. */
  readonly detail: string;
}

export interface PulledModel {
  readonly model: string;
  readonly table: string;
}

export interface PulledSpec {
  /** prism.yaml, with the notes as comments at their places. */
  readonly text: string;
  readonly models: readonly PulledModel[];
  readonly notes: readonly PullNote[];
}

export interface ToSpecOptions {
  /** The first comment lines, e.g. where the schema was read from. */
  readonly header?: string | undefined;
}

const TIME_TYPES: readonly FieldType[] = ['datetime', 'timestamp', 'date', 'int', 'bigint'];
const INT4_MAX = 2_147_483_647n;

/** `sensor_readings` → `SensorReadings`; a name with no letters or digits stays as it is. */
export function modelNameOf(table: string): string {
  const name = table
    .split('_')
    .filter((part) => part !== '')
    .map((part) => `${part.charAt(0).toUpperCase()}${part.slice(1)}`)
    .join('');
  return /^[A-Za-z]/.test(name) ? name : table;
}

/** One line: catalog text (default expressions, details) must not break the comment. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function amountValue(amount: TimeAmount): string | number | undefined {
  if (amount.kind === 'interval') return amount.interval.text;
  return amount.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(amount.value) : undefined;
}

function columnList(index: Index): string {
  return `(${index.columns.map(termText).join(', ')})`;
}

/** Builds one model; collects its notes. */
class ModelBuilder {
  readonly notes: PullNote[] = [];
  readonly draft: ModelDraft;
  private readonly fields = new Map<string, FieldDraft>();

  constructor(
    private readonly table: Table,
    modelName: string,
    /** The model a table of the same pull becomes, if any. */
    private readonly modelOf: (schema: string, table: string) => Table | undefined = () =>
      undefined,
    private readonly nameOf: (table: Table) => string | undefined = () => undefined,
  ) {
    this.draft = {
      name: modelName,
      table: table.name,
      ...(table.schema === 'public' ? {} : { schema: table.schema }),
      slots: [],
      indexes: [],
      trailing: [],
    };
  }

  private note(what: string, detail: string): string {
    const clean = { table: this.table.name, what: oneLine(what), detail: oneLine(detail) };
    this.notes.push(clean);
    return `pull: ${clean.what}: ${clean.detail}`;
  }

  private trailing(what: string, detail: string): void {
    this.draft.trailing.push(this.note(what, detail));
  }

  /** What the catalog reader said prism.yaml cannot state about a column, if anything. */
  private unsupportedOf(column: string): string | undefined {
    const details = this.table.unsupported
      .filter((u) => u.what === `column ${column}`)
      .map((u) => u.detail);
    return details.length > 0 ? details.join('; ') : undefined;
  }

  build(): ModelDraft {
    for (const column of this.table.columns) this.addColumn(column);
    this.markPrimaryKey();
    const ts = this.table.hypertable ? this.timeseries(this.table.hypertable) : undefined;
    if (ts) this.draft.timeseries = ts;
    for (const index of this.table.indexes) this.addIndex(index);
    for (const key of this.table.foreignKeys ?? []) this.addForeignKey(key);
    if (ts && this.table.hypertable?.reorderIndex)
      this.reorder(ts, this.table.hypertable.timeColumn, this.table.hypertable.reorderIndex);
    if (ts && this.table.hypertable?.createDefaultIndexes === false && !this.timeIndexed(ts)) {
      ts.create_default_indexes = false;
    }
    for (const u of this.table.unsupported) {
      const column = /^column (.+)$/.exec(u.what)?.[1];
      const field = column === undefined ? undefined : this.fields.get(column);
      if (column !== undefined && field === undefined) continue; // said where it was left out
      if (field)
        field.comments.push(this.note(u.what, `${u.detail}; the field is written without it`));
      else this.trailing(u.what, `${u.detail}; left out`);
    }
    return this.draft;
  }

  private addColumn(column: Column): void {
    const type = fieldTypeOf(column.type);
    const told = this.unsupportedOf(column.name);
    const why = !isIdentifier(column.name)
      ? 'its name is not a prism.yaml identifier (letters, digits and underscores, not starting with a digit)'
      : type === undefined
        ? `prism.yaml has no field type for ${column.type}`
        : undefined;
    if (why !== undefined) {
      const detail = told ? `${told}; ${why}` : why;
      this.draft.slots.push({
        comment: this.note(`column ${column.name} (${column.type})`, `${detail}; left out`),
      });
      return;
    }
    const field: FieldDraft = {
      name: column.name,
      ...(type as NonNullable<typeof type>),
      primaryKey: false,
      optional: !column.notNull,
      index: false,
      unique: false,
      comments: [],
    };
    this.enumOf(field);
    this.defaultOf(field, column);
    if (column.identity !== undefined) {
      field.comments.push(
        this.note(
          `identity of column ${column.name}`,
          `GENERATED ${column.identity.toUpperCase()} AS IDENTITY: prism.yaml has no identity fields; written as a plain ${field.type} without it`,
        ),
      );
    }
    this.fields.set(field.name, field);
    this.draft.slots.push({ field });
  }

  private enumOf(field: FieldDraft): void {
    const checks = this.table.checks.filter((c) => c.column === field.name);
    const [check, ...more] = checks;
    for (const extra of more) {
      field.comments.push(
        this.note(
          `constraint ${extra.name}`,
          `a second CHECK of ${field.name} IN (${extra.values.join(', ')}); prism.yaml holds one enum per field; left out`,
        ),
      );
    }
    if (check === undefined) return;
    const problem =
      field.type !== 'text'
        ? `prism.yaml's enum fields are text, ${field.name} is ${catalogType(field as Field)}`
        : enumValuesProblem(check.values);
    if (problem !== undefined) {
      field.comments.push(
        this.note(
          `constraint ${check.name}`,
          `CHECK ${field.name} IN (${check.values.join(', ')}): ${problem}; left out`,
        ),
      );
      return;
    }
    (field as { type: FieldType }).type = 'enum';
    field.values = [...check.values];
    const expected = enumCheckName(this.table.name, field.name);
    if (check.name !== expected) {
      field.comments.push(
        this.note(
          `constraint ${check.name}`,
          `prism-migrate names this CHECK ${expected}; a migration that changes the values would look for that name (rename the constraint to match)`,
        ),
      );
    }
  }

  private defaultOf(field: FieldDraft, column: Column): void {
    const value = column.default;
    if (value === undefined) return;
    const what = `default of column ${column.name}`;
    if (value.kind === 'expression') {
      field.comments.push(
        this.note(
          what,
          `DEFAULT ${value.sql} is not a value prism.yaml can state; the field is written without it`,
        ),
      );
      return;
    }
    const text = value.kind === 'function' ? functionDefaultText(value.name) : value.value;
    const parsed = parseDefault(text, {
      type: field.type,
      array: field.array,
      maxLength: field.maxLength,
      precision: field.precision,
      scale: field.scale,
      values: field.values,
    });
    if (parsed.ok && isDeepStrictEqual({ ...parsed.value }, { ...value })) {
      field.default = text;
      return;
    }
    const shown = typeof text === 'string' ? JSON.stringify(text) : String(text);
    field.comments.push(
      this.note(
        what,
        `DEFAULT ${shown} ${parsed.ok ? 'would read as a different default' : `is refused by prism.yaml (${parsed.message})`}; the field is written without it`,
      ),
    );
  }

  /**
   * `primary_key` on the key's fields. The loader adds a hypertable's time column to its
   * key itself, so a key ending in it may leave it unmarked when the fields order it
   * differently.
   */
  private markPrimaryKey(): void {
    const key = this.table.primaryKey;
    if (key === undefined) return;
    const columns = key.columns;
    const shown = `primary key ${key.name} (${columns.join(', ')})`;
    const missing = columns.filter((c) => !this.fields.has(c));
    if (missing.length > 0) {
      this.trailing(shown, `column ${missing.join(', ')} is left out, so the key is left out`);
      return;
    }
    const inFieldOrder = this.fieldNames().filter((n) => columns.includes(n));
    const time = this.table.hypertable?.timeColumn;
    let marked = columns;
    if (!isDeepStrictEqual(inFieldOrder, columns)) {
      const rest = columns.slice(0, -1);
      const restInOrder = this.fieldNames().filter((n) => rest.includes(n));
      if (time !== undefined && columns.at(-1) === time && isDeepStrictEqual(restInOrder, rest)) {
        marked = rest;
      } else {
        this.trailing(
          shown,
          `prism.yaml orders a key's columns as its fields; written as (${inFieldOrder.join(', ')})`,
        );
      }
    }
    for (const c of marked) (this.fields.get(c) as FieldDraft).primaryKey = true;
    const expected = primaryKeyName(this.table.name);
    if (key.name !== expected && marked.length > 0) {
      this.trailing(
        `primary key ${key.name}`,
        `prism-migrate names the key ${expected}; a migration that changes the key would look for that name (rename the constraint to match)`,
      );
    }
  }

  private fieldNames(): string[] {
    return [...this.fields.keys()];
  }

  private timeseries(h: Hypertable): TimeseriesDraft | undefined {
    const time = this.fields.get(h.timeColumn);
    const settings = [
      h.chunkInterval ? `chunk_interval ${amountText(h.chunkInterval)}` : '',
      h.compression ? 'compression' : '',
      h.compressAfter ? `compression after ${amountText(h.compressAfter)}` : '',
      h.dropAfter ? `retention drop_after ${amountText(h.dropAfter)}` : '',
      h.partitioning
        ? `space partitioning on ${h.partitioning.column} into ${h.partitioning.partitions} partitions`
        : '',
      h.reorderIndex ? `reorder policy by index ${h.reorderIndex}` : '',
    ].filter((s) => s !== '');
    if (time === undefined || !TIME_TYPES.includes(time.type) || time.array === true) {
      this.trailing(
        `hypertable on ${h.timeColumn}`,
        `${time === undefined ? 'its time column is left out' : `its time column is ${time.type}`}, so no timeseries block is written (${settings.join(', ') || 'default settings'})`,
      );
      return undefined;
    }
    const integer = time.type === 'int' || time.type === 'bigint';
    const ts: TimeseriesDraft = { time_column: h.timeColumn, indexes: [] };
    if (h.partitioning) {
      if (this.present(h.partitioning.column, 'space partitioning'))
        ts.partitioning = { ...h.partitioning };
    }
    if (h.chunkInterval)
      ts.chunk_interval = this.amount(h.chunkInterval, integer, time, 'chunk_interval');
    const unit = integer ? this.timeUnit(h, time) : undefined;
    if (unit) ts.time_unit = unit;
    const policiesRun = !integer || unit !== undefined;
    if (h.compression) {
      const compression: NonNullable<TimeseriesDraft['compression']> = { enabled: true };
      const segmentBy = this.presentColumns(h.compression.segmentBy, 'compression segment_by');
      if (segmentBy.length > 0) compression.segment_by = segmentBy;
      const orderBy = canonicalOrderBy(h.compression.orderBy, h.timeColumn).filter((t) =>
        this.present(t.column, 'compression order_by'),
      );
      if (orderBy.length > 0) compression.order_by = orderBy.map(termText);
      const merged = h.compression.chunkInterval;
      if (merged?.kind === 'interval') {
        // prism.yaml takes a whole number of chunks only (TimescaleDB just warns).
        const chunk = h.chunkInterval?.kind === 'interval' ? h.chunkInterval.interval.micros : 0n;
        if (chunk > 0n && merged.interval.micros % chunk === 0n) {
          compression.chunk_interval = merged.interval.text;
        } else {
          this.trailing(
            'compression chunk_interval',
            `compress_chunk_time_interval ${merged.interval.text} is not a multiple of the chunk interval; left out`,
          );
        }
      }
      const sparse = (h.compression.sparseIndexes ?? []).filter((i) =>
        this.present(i.column, 'compression sparse index'),
      );
      if (sparse.length > 0) {
        compression.sparse_indexes = sparse.map((i) => ({ column: i.column, type: i.type }));
      }
      if (h.compressAfter) {
        if (policiesRun) {
          const after = this.amount(h.compressAfter, integer, time, 'compression after');
          if (after !== undefined) compression.after = after;
        } else {
          this.trailing(
            'compression policy',
            `compress after ${amountText(h.compressAfter)} needs an integer-now function prism-migrate makes (time_unit); left out`,
          );
        }
      }
      ts.compression = compression;
    }
    if (h.dropAfter) {
      const dropAfter = policiesRun
        ? this.amount(h.dropAfter, integer, time, 'retention drop_after')
        : undefined;
      if (dropAfter !== undefined) ts.retention = { enabled: true, drop_after: dropAfter };
      else if (!policiesRun)
        this.trailing(
          'retention policy',
          `drop_after ${amountText(h.dropAfter)} needs an integer-now function prism-migrate makes (time_unit); left out`,
        );
    }
    return ts;
  }

  /** The reorder policy's index as prism.yaml names it: by the columns of an index it writes. */
  private reorder(ts: TimeseriesDraft, time: string, indexName: string): void {
    const table = this.table.name;
    const fields = [...this.fields.values()];
    const key = fields.filter((f) => f.primaryKey).map((f) => f.name);
    // As the spec makes it: the time column joins a key without it.
    if (key.length > 0 && !key.includes(time)) key.push(time);
    // In the order the spec matches them: timeseries indexes, the key, fields' indexes.
    const candidates = [
      ...ts.indexes.map((i) => ({
        name: i.name ?? defaultIndexName(table, i.columns),
        columns: [...i.columns],
      })),
      ...(key.length > 0 ? [{ name: primaryKeyName(table), columns: key }] : []),
      ...fields
        .filter((f) => (f.index || f.unique) && !(key.length === 1 && key[0] === f.name))
        .map((f) => ({ name: defaultIndexName(table, [f.name]), columns: [f.name] })),
    ];
    const found = candidates.find((c) => c.name === indexName);
    const terms = found
      ? found.columns
      : indexName === defaultIndexName(table, [time])
        ? [`${time} DESC`]
        : undefined;
    // Terms with their directions, as the spec's validation matches them: `time DESC` is
    // the column `time`, descending, and picks that index over an ascending one.
    const matched =
      terms === undefined
        ? undefined
        : matchReorderIndex(
            terms.map(toOrderByTerm),
            candidates.map((c) => ({ ...c, columns: c.columns.map(toOrderByTerm) })),
            table,
            time,
          );
    if (terms === undefined || matched !== indexName) {
      this.trailing(
        'reorder policy',
        `by index ${indexName}, which prism.yaml cannot name (no index of the model written here has its columns alone); left out`,
      );
      return;
    }
    ts.reorder = { index: terms };
  }

  private timeUnit(h: Hypertable, time: FieldDraft): 's' | 'ms' | 'us' | undefined {
    const now = h.integerNow;
    if (now === undefined) return undefined;
    const made = integerNowFunctionBaseName(this.table.name);
    if (now.unit === undefined || now.function !== made) {
      this.trailing(
        `integer-now function ${now.function}`,
        `not one prism-migrate makes (${made}, from time_unit); time_unit is not written and the baseline does not set it`,
      );
      return undefined;
    }
    if (time.type === 'int' && now.unit !== 's') {
      this.trailing(
        `integer-now function ${now.function}`,
        `counts ${now.unit}, which prism.yaml allows only on bigint time columns; time_unit is not written`,
      );
      return undefined;
    }
    return now.unit;
  }

  private amount(
    amount: TimeAmount,
    integer: boolean,
    time: FieldDraft,
    what: string,
  ): string | number | undefined {
    const value = amountValue(amount);
    const fits =
      value !== undefined &&
      (amount.kind === 'integer') === integer &&
      (amount.kind !== 'integer' || time.type !== 'int' || amount.value <= INT4_MAX);
    if (fits) return value;
    this.trailing(
      what,
      `${amountText(amount)} does not fit the ${time.type} time column as prism.yaml states it; left out`,
    );
    return undefined;
  }

  private addForeignKey(key: ForeignKey): void {
    const what = `foreign key ${key.name}`;
    const ref = key.references;
    const field = this.fields.get(key.column);
    const target = this.modelOf(ref.schema, ref.table);
    const targetModel = target === undefined ? undefined : this.nameOf(target);
    const targetColumn = target?.columns.find((c) => c.name === ref.column);
    const why =
      field === undefined
        ? `its column ${key.column} is left out`
        : target === undefined || targetModel === undefined
          ? `${ref.schema}.${ref.table} is not a model of this file`
          : targetColumn === undefined ||
              !isIdentifier(targetColumn.name) ||
              fieldTypeOf(targetColumn.type) === undefined
            ? `${ref.table}.${ref.column} is not a field of this file`
            : undefined;
    if (why !== undefined || field === undefined || targetModel === undefined) {
      this.trailing(
        what,
        `(${key.column}) REFERENCES ${ref.schema}.${ref.table} (${ref.column}): ${why ?? ''}; left out`,
      );
      return;
    }
    field.references = `${targetModel}.${ref.column}`;
    if (key.onDelete !== 'no action') field.onDelete = key.onDelete;
    if (key.onUpdate !== 'no action') field.onUpdate = key.onUpdate;
    const expected = foreignKeyName(this.table.name, key.column);
    if (key.name !== expected) {
      field.comments.push(
        this.note(
          what,
          `prism-migrate names this foreign key ${expected}; a migration that changes it would look for that name (rename the constraint to match)`,
        ),
      );
    }
  }

  private present(column: string, role: string): boolean {
    if (this.fields.has(column)) return true;
    this.trailing(`${role} ${column}`, 'the column is left out, so it is left out here too');
    return false;
  }

  private presentColumns(columns: readonly string[], role: string): string[] {
    return columns.filter((c) => this.present(c, role));
  }

  private addIndex(index: Index): void {
    const ts = this.draft.timeseries;
    const what = `index ${index.name} ${columnList(index)}`;
    const terms = index.columns.map(canonicalTerm);
    const columns = terms.map((t) => t.column);
    const missing = [...columns, ...(index.include ?? [])].filter((c) => !this.fields.has(c));
    if (missing.length > 0) {
      this.trailing(what, `column ${missing.join(', ')} is left out, so the index is left out`);
      return;
    }
    const key = this.table.primaryKey?.columns;
    const soleKey = key?.length === 1 ? key[0] : undefined;
    const only = columns.length === 1 ? columns[0] : undefined;
    const field = only === undefined ? undefined : this.fields.get(only);
    if (
      field !== undefined &&
      index.method === 'btree' &&
      terms[0]?.direction === 'ASC' &&
      terms[0].nulls === undefined &&
      index.where === undefined &&
      index.include === undefined &&
      index.name === defaultIndexName(this.table.name, columns) &&
      only !== soleKey &&
      (!index.unique || ts === undefined || only === ts.time_column)
    ) {
      if (index.unique) field.unique = true;
      else field.index = true;
      return;
    }
    const name = defaultIndexName(this.table.name, columns);
    const draft: IndexDraft = {
      columns: terms.map(termText),
      type: index.method,
      unique: index.unique,
      ...(index.name === name ? {} : { name: index.name }),
      ...(index.where === undefined ? {} : { where: index.where }),
      ...(index.include === undefined ? {} : { include: [...index.include] }),
    };
    const problem = this.indexProblem(draft, ts?.time_column);
    if (problem !== undefined) {
      this.trailing(what, `${problem}; left out`);
      return;
    }
    (ts?.indexes ?? this.draft.indexes).push(draft);
  }

  /**
   * Whether the spec has an index on the time column alone: TimescaleDB then makes no
   * default index anyway, and `create_default_indexes: false` would say nothing.
   */
  private timeIndexed(ts: TimeseriesDraft): boolean {
    const time = ts.time_column;
    const field = this.fields.get(time);
    const key = this.table.primaryKey?.columns;
    return (
      field?.index === true ||
      field?.unique === true ||
      (key?.length === 1 && key[0] === time) ||
      [...ts.indexes, ...this.draft.indexes].some(
        (i) =>
          i.columns.length === 1 && i.include === undefined && i.columns[0]?.split(' ')[0] === time,
      )
    );
  }

  /** What validation would refuse of an index, checked by the spec's own index checks. */
  private indexProblem(draft: IndexDraft, timeColumn: string | undefined): string | undefined {
    const fields = new Map<string, RawField>(
      [...this.fields.values()].map((f) => [
        f.name,
        {
          name: f.name,
          // A sql_type field has no field type: the index checks then say nothing of its type.
          ...(f.sqlType === undefined ? { type: f.type as Exclude<FieldType, 'sql'> } : {}),
          array: f.array === true,
          primary_key: f.primaryKey,
          index: f.index,
          unique: f.unique,
          optional: f.optional,
        },
      ]),
    );
    const raw: RawIndex = {
      columns: draft.columns,
      type: draft.type,
      unique: draft.unique,
      ...(draft.name === undefined ? {} : { name: draft.name }),
      ...(draft.where === undefined ? {} : { where: draft.where }),
      ...(draft.include === undefined ? {} : { include: draft.include }),
    };
    const { findings } = checkIndexes(
      [raw],
      { modelName: this.draft.name, table: this.table.name, fields, timeColumn },
      [],
    );
    const error = findings.find((f) => f.severity === 'error');
    return error?.message;
  }
}

/** Unique model names: a second `foo_bar` (from `foo__bar`) becomes `FooBar2`. */
function modelNames(tables: readonly Table[]): Map<Table, string> {
  const used = new Set<string>();
  const names = new Map<Table, string>();
  for (const t of tables) {
    const base = modelNameOf(t.name);
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n += 1) name = `${base}${n}`;
    used.add(name.toLowerCase());
    names.set(t, name);
  }
  return names;
}

/** The aggregates built on `table`, directly or on each other, sources first. */
function aggregatesOn(table: Table, aggregates: readonly Aggregate[]): Aggregate[] {
  const included = new Set<string>();
  const result: Aggregate[] = [];
  for (const a of aggregates) {
    if (a.source.schema !== table.schema) continue;
    const onTable = a.source.kind === 'table' && a.source.name === table.name;
    if (onTable || (a.source.kind === 'aggregate' && included.has(a.source.name))) {
      included.add(a.name);
      result.push(a);
    }
  }
  return result;
}

/**
 * The `timeseries.aggregates` of a model: each aggregate over its hypertable (or over
 * one written before it) whose columns are the model's fields (or the source
 * aggregate's); why each other one is left out.
 */
function aggregateDrafts(
  draft: ModelDraft,
  aggregates: readonly Aggregate[],
): { drafts: AggregateDraft[]; leftOut: { what: string; detail: string }[] } {
  const drafts: AggregateDraft[] = [];
  const leftOut: { what: string; detail: string }[] = [];
  const ts = draft.timeseries;
  const fields = new Set(draft.slots.flatMap((s) => ('field' in s ? [s.field.name] : [])));
  const columnsOf = new Map<string, Set<string>>();
  for (const a of aggregates) {
    const what = `aggregate ${a.name}`;
    if (ts === undefined) {
      leftOut.push({
        what,
        detail: `${draft.table} has no timeseries block here (not a hypertable), so nothing holds the aggregate; left out`,
      });
      continue;
    }
    const available =
      a.source.kind === 'table' ? fields : (columnsOf.get(a.source.name) ?? undefined);
    if (available === undefined) {
      leftOut.push({
        what,
        detail: `it is built on ${a.source.name}, which is left out; left out`,
      });
      continue;
    }
    if (a.source.kind === 'table' && a.source.timeColumn !== ts.time_column) {
      leftOut.push({
        what,
        detail: `it buckets ${a.source.timeColumn}, not the time column ${ts.time_column}; left out`,
      });
      continue;
    }
    const read = [...a.groupBy, ...a.columns.flatMap((c) => (c.argument ? [c.argument] : []))];
    const missing = read.filter((c) => !available.has(c));
    const amounts = [
      a.bucket,
      a.refresh?.startOffset ?? undefined,
      a.refresh?.endOffset ?? undefined,
      a.compressAfter,
      a.dropAfter,
    ].filter((x): x is TimeAmount => x !== undefined);
    if (missing.length > 0 || amounts.some((x) => amountValue(x) === undefined)) {
      leftOut.push({
        what,
        detail:
          missing.length > 0
            ? `column ${missing.join(', ')} is left out, so the aggregate is left out`
            : 'an amount larger than prism.yaml can write; left out',
      });
      continue;
    }
    const value = (x: TimeAmount): string | number => amountValue(x) as string | number;
    drafts.push({
      name: a.name,
      ...(a.source.kind === 'aggregate' ? { from: a.source.name } : {}),
      bucket: value(a.bucket),
      group_by: [...a.groupBy],
      columns: Object.fromEntries(a.columns.map((c) => [c.name, aggregateCallText(c)])),
      ...(a.refresh
        ? {
            refresh: {
              ...(a.refresh.startOffset === null
                ? {}
                : { start_offset: value(a.refresh.startOffset) }),
              ...(a.refresh.endOffset === null ? {} : { end_offset: value(a.refresh.endOffset) }),
              schedule_interval: a.refresh.scheduleInterval.text,
            },
          }
        : {}),
      ...(a.realtime ? { realtime: true as const } : {}),
      ...(a.compression
        ? {
            compression: {
              ...(a.compressAfter ? { after: value(a.compressAfter) } : {}),
              segment_by: [...a.compression.segmentBy],
            },
          }
        : {}),
      ...(a.dropAfter ? { retention: { drop_after: value(a.dropAfter) } } : {}),
    });
    columnsOf.set(a.name, new Set([...a.groupBy, ...a.columns.map((c) => c.name)]));
  }
  return { drafts, leftOut };
}

export function schemaToSpec(schema: Schema, options: ToSpecOptions = {}): PulledSpec {
  const placed = new Set<Aggregate>();
  const entries: SpecEntry[] = [];
  const notes: PullNote[] = [];
  const pulled: PulledModel[] = [];
  const names = modelNames(schema.tables.filter((t) => isIdentifier(t.name)));
  for (const table of schema.tables) {
    // A partitioned table or a partition: no model can be one, so none is written.
    const whole = table.unsupported.filter((u) => u.what === 'table').map((u) => u.detail);
    if (whole.length > 0) {
      const note = {
        table: table.name,
        what: `table ${table.name}`,
        detail: oneLine(`${whole.join('; ')}: prism.yaml cannot state it; left out`),
      };
      notes.push(note);
      entries.push({ comment: `pull: ${note.what}: ${note.detail}` });
      continue;
    }
    const name = names.get(table);
    const builder =
      name === undefined
        ? undefined
        : new ModelBuilder(
            table,
            name,
            (refSchema, t) => schema.tables.find((x) => x.schema === refSchema && x.name === t),
            (t) => names.get(t),
          );
    const draft = builder?.build();
    const fieldCount = draft?.slots.filter((s) => 'field' in s).length ?? 0;
    if (builder === undefined || draft === undefined || fieldCount === 0) {
      const note = {
        table: table.name,
        what: `table ${table.name}`,
        detail: oneLine(
          name === undefined
            ? 'its name is not a prism.yaml identifier (letters, digits and underscores, not starting with a digit); left out'
            : 'none of its columns has a field type in prism.yaml; left out',
        ),
      };
      notes.push(note);
      entries.push({ comment: `pull: ${note.what}: ${note.detail}` });
      continue;
    }
    notes.push(...builder.notes);
    const onTable = aggregatesOn(table, schema.aggregates ?? []);
    onTable.forEach((a) => placed.add(a));
    const { drafts, leftOut } = aggregateDrafts(draft, onTable);
    if (draft.timeseries && drafts.length > 0) draft.timeseries.aggregates = drafts;
    for (const l of leftOut) {
      const note = { table: table.name, what: l.what, detail: oneLine(l.detail) };
      notes.push(note);
      draft.trailing.push(`pull: ${note.what}: ${note.detail}`);
    }
    entries.push({ model: draft });
    pulled.push({ model: draft.name, table: draft.table });
  }
  for (const a of schema.aggregates ?? []) {
    if (placed.has(a)) continue;
    const note = {
      table: a.name,
      what: `aggregate ${a.name}`,
      detail: oneLine(`it is built on ${a.source.name}, which is left out; left out`),
    };
    notes.push(note);
    entries.push({ comment: `pull: ${note.what}: ${note.detail}` });
  }
  for (const other of schema.unsupported ?? []) {
    const note = {
      table: other.what.replace(/^.* /, ''),
      what: other.what,
      // The catalog reader may have said so already.
      detail: oneLine(
        other.detail.includes('prism.yaml cannot state')
          ? `${other.detail}; left out`
          : `${other.detail}: prism.yaml cannot state it; left out`,
      ),
    };
    notes.push(note);
    entries.push({ comment: `pull: ${note.what}: ${note.detail}` });
  }
  const header = [
    ...(options.header === undefined ? [] : options.header.split('\n').map(oneLine)),
    ...(notes.length > 0
      ? [
          `Comments starting with "pull:" name what prism.yaml cannot state yet (${notes.length} in all); the file holds everything else.`,
        ]
      : []),
  ];
  return Object.freeze({
    text: renderSpec(entries, header),
    models: Object.freeze(pulled),
    notes: Object.freeze(notes),
  });
}
