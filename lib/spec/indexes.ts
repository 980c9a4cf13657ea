/**
 * Index entries of a model's `indexes:` and of `timeseries.indexes`: key columns with
 * their order, method, uniqueness, a partial index's `where`, `include` columns. Checked
 * against the model's fields and what PostgreSQL accepts for each method.
 */
import { closest } from '../util/closest.js';
import type { Finding, Path } from './findings.js';
import { duplicateError, specError } from './findings.js';
import { defaultIndexName } from './identifiers.js';
import { indexWidthFindings } from './limits.js';
import { ORDER_BY_HINT, parseOrderBy } from './order-by.js';
import type { RawField, RawIndex } from './raw.js';
import {
  PREDICATE_HINT,
  parsePredicate,
  predicateColumns,
  predicateComparisons,
  predicateText,
  type PredicateLiteral,
} from '../sql/predicate.js';
import type { FieldType, OrderByItem, TimeseriesIndex } from './types.js';

export interface IndexContext {
  readonly modelName: string;
  readonly table: string;
  readonly fields: ReadonlyMap<string, RawField>;
  /** Fields whose type has a structural error: present, but their type is unknown. */
  readonly untyped?: ReadonlySet<string> | undefined;
  /** The hypertable's time column: unique indexes must include it. */
  readonly timeColumn?: string | undefined;
  /** The hash dimension's column: unique indexes must include it too. */
  readonly spaceColumn?: string | undefined;
}

interface Checked<T> {
  readonly value: T;
  readonly findings: readonly Finding[];
}

/**
 * Field types with a default gist operator class in PostgreSQL itself (geometric types,
 * ranges, tsvector): none of prism.yaml's field types has one yet.
 */
export const GIST_FIELD_TYPES: ReadonlySet<FieldType> = new Set<FieldType>();

/** Methods that store INCLUDE columns (PostgreSQL 11+: btree; 12+: gist). */
const INCLUDE_METHODS = new Set(['btree', 'gist']);

const LITERAL_TYPES: Record<PredicateLiteral['kind'] | 'boolean column', readonly FieldType[]> = {
  number: ['smallint', 'int', 'bigint', 'float', 'real', 'double', 'decimal'],
  string: ['string', 'text', 'enum'],
  boolean: ['boolean'],
  'boolean column': ['boolean'],
};

function literalWhat(l: PredicateLiteral | 'boolean column'): string {
  if (l === 'boolean column') return 'is used as a condition on its own';
  if (l.kind === 'number') return `is compared with the number ${l.text}`;
  if (l.kind === 'boolean') return `is compared with ${String(l.value)}`;
  return `is compared with a string`;
}

/** `<role> '<name>' is not a field of model …`, with the closest field's name. */
export function missingField(
  ctx: Pick<IndexContext, 'modelName' | 'fields'>,
  name: string,
  path: Path,
  role: string,
): Finding[] {
  if (ctx.fields.has(name)) return [];
  const names = [...ctx.fields.keys()];
  const near = closest(name, names);
  return [
    specError(
      path,
      `${role} '${name}' is not a field of model '${ctx.modelName}'`,
      near === undefined
        ? `fields of '${ctx.modelName}': ${names.join(', ')}`
        : `did you mean '${near}'?`,
    ),
  ];
}

/** A column listed twice, pointing at the second and naming the first. */
export function repeated(columns: readonly string[], path: Path, role: string): Finding[] {
  return columns.flatMap((c, k) => {
    const first = columns.indexOf(c);
    return first < k
      ? [
          duplicateError(
            [...path, k],
            [...path, first],
            `column '${c}' appears twice in ${role}`,
            'list each column once',
          ),
        ]
      : [];
  });
}

function typeOf(ctx: IndexContext, name: string): FieldType | undefined {
  return ctx.untyped?.has(name) ? undefined : ctx.fields.get(name)?.type;
}

function termsOf(raw: RawIndex, ctx: IndexContext, path: Path): Checked<OrderByItem[]> {
  const value: OrderByItem[] = [];
  const findings: Finding[] = [];
  raw.columns.forEach((text, k) => {
    const at = [...path, 'columns', k];
    const parsed = parseOrderBy(text);
    if (!parsed.ok) {
      findings.push(
        specError(
          at,
          `invalid index column ${JSON.stringify(text)}: ${parsed.reason}`,
          ORDER_BY_HINT,
        ),
      );
      return;
    }
    findings.push(...missingField(ctx, parsed.item.column, at, 'index column'));
    const ordered = text.trim().split(/\s+/).length > 1;
    if (ordered && raw.type !== 'btree') {
      findings.push(
        specError(
          at,
          `a ${raw.type} index has no column order: ASC, DESC and NULLS are for btree indexes`,
          `write the column alone ('${parsed.item.column}'), or use type: btree`,
        ),
      );
    }
    const { column, direction, nulls } = parsed.item;
    value.push(
      Object.freeze(nulls === undefined ? { column, direction } : { column, direction, nulls }),
    );
  });
  return { value, findings };
}

function methodFindings(
  raw: RawIndex,
  columns: readonly string[],
  ctx: IndexContext,
  path: Path,
): Finding[] {
  const problems: Finding[] = [];
  if (raw.unique && raw.type !== 'btree') {
    problems.push(
      specError(
        [...path, 'type'],
        `a ${raw.type} index cannot be unique`,
        'PostgreSQL only builds unique btree indexes; use type: btree',
      ),
    );
  }
  if (raw.type === 'hash' && columns.length > 1) {
    problems.push(
      specError(
        [...path, 'columns'],
        'a hash index covers exactly one column',
        'use type: btree for several columns',
      ),
    );
  }
  // A sql_type field has no type here: it may have a gin operator class (tsvector).
  const typed = columns.filter((c) => typeOf(ctx, c) !== undefined);
  const nonJson = typed.filter(
    (c) => typeOf(ctx, c) !== 'json' && ctx.fields.get(c)?.array !== true,
  );
  if (raw.type === 'gin' && nonJson.length > 0) {
    problems.push(
      specError(
        [...path, 'type'],
        `a gin index needs json or array columns; '${nonJson[0]}' is ${typeOf(ctx, nonJson[0] as string)}`,
        'use type: btree, or index a json or array field',
      ),
    );
  }
  // PostgreSQL has no brin operator class for these (nor for any array).
  const noBrin = columns.filter(
    (c) =>
      ctx.fields.get(c)?.array === true ||
      ['json', 'boolean'].includes(typeOf(ctx, c) as FieldType),
  );
  if (raw.type === 'brin' && noBrin.length > 0) {
    const field = ctx.fields.get(noBrin[0] as string);
    problems.push(
      specError(
        [...path, 'type'],
        `a brin index needs a column type with a brin operator class; '${noBrin[0]}' is ${field?.array ? `an array of ${field.type ?? field.sql_type}` : typeOf(ctx, noBrin[0] as string)}, which has none in PostgreSQL`,
        'use type: btree (or gin for json and array fields)',
      ),
    );
  }
  const noGist = typed.filter((c) => !GIST_FIELD_TYPES.has(typeOf(ctx, c) as FieldType));
  if (raw.type === 'gist' && noGist.length > 0) {
    problems.push(
      specError(
        [...path, 'type'],
        `a gist index needs a column type with a gist operator class (geometric types, ranges, tsvector); '${noGist[0]}' is ${typeOf(ctx, noGist[0] as string)}, which has none in PostgreSQL`,
        'use type: btree (or brin for large, time-ordered data)',
      ),
    );
  }
  return problems;
}

function includeOf(
  raw: RawIndex,
  keys: readonly string[],
  ctx: IndexContext,
  path: Path,
): Finding[] {
  const include = raw.include ?? [];
  if (include.length === 0) return [];
  const at = [...path, 'include'];
  const problems: Finding[] = [];
  if (!INCLUDE_METHODS.has(raw.type)) {
    problems.push(
      specError(
        at,
        `a ${raw.type} index cannot include columns`,
        'INCLUDE works with btree and gist indexes; remove include or use type: btree',
        'key',
      ),
    );
  }
  include.forEach((c, k) => {
    problems.push(...missingField(ctx, c, [...at, k], 'include column'));
    if (keys.includes(c)) {
      problems.push(
        specError(
          [...at, k],
          `column '${c}' is a key column of the index and in include`,
          'list it in one of columns and include',
        ),
      );
    }
  });
  problems.push(...repeated(include, at, 'include'));
  return problems;
}

function whereOf(raw: RawIndex, ctx: IndexContext, path: Path): Checked<string | undefined> {
  if (raw.where === undefined) return { value: undefined, findings: [] };
  const at = [...path, 'where'];
  const parsed = parsePredicate(raw.where);
  if (!parsed.ok) {
    return {
      value: undefined,
      findings: [
        specError(
          at,
          `index condition ${JSON.stringify(raw.where)} is refused: ${parsed.reason}`,
          PREDICATE_HINT,
        ),
      ],
    };
  }
  const findings: Finding[] = [];
  for (const name of new Set(predicateColumns(parsed.predicate))) {
    findings.push(...missingField(ctx, name, at, 'condition field'));
  }
  for (const { column, literal } of predicateComparisons(parsed.predicate)) {
    const field = ctx.fields.get(column);
    // Arrays and sql_type fields have no literal the grammar could check: IS [NOT] NULL only.
    if (
      field !== undefined &&
      !ctx.untyped?.has(column) &&
      (field.array || field.type === undefined)
    ) {
      findings.push(
        specError(
          at,
          `in the index condition, field '${column}' (${field.array ? `an array of ${field.type ?? field.sql_type}` : `sql_type ${field.sql_type}`}) ${literalWhat(literal)}`,
          `an ${field.array ? 'array' : 'sql_type'} field takes only IS [NULL | NOT NULL] in a condition`,
        ),
      );
      continue;
    }
    const type = typeOf(ctx, column);
    const kind = literal === 'boolean column' ? literal : literal.kind;
    if (type === undefined || LITERAL_TYPES[kind].includes(type)) continue;
    findings.push(
      specError(
        at,
        `in the index condition, field '${column}' (${type}) ${literalWhat(literal)}`,
        type === 'datetime' ||
          type === 'date' ||
          type === 'time' ||
          type === 'uuid' ||
          type === 'json'
          ? `a ${type} field takes only IS [NULL | NOT NULL] in a condition (PostgreSQL rewrites such literals, so they could not be compared with the database)`
          : `compare ${type} fields with ${type === 'boolean' ? 'true or false' : LITERAL_TYPES.number.includes(type) ? 'numbers' : "'quoted strings'"}`,
      ),
    );
  }
  return { value: predicateText(parsed.predicate), findings };
}

function indexOf(raw: RawIndex, ctx: IndexContext, path: Path): Checked<TimeseriesIndex> {
  const terms = termsOf(raw, ctx, path);
  const columns = terms.value.map((t) => t.column);
  const findings: Finding[] = [...terms.findings];
  findings.push(...repeated(columns, [...path, 'columns'], 'the index'));
  findings.push(...indexWidthFindings([...raw.columns, ...(raw.include ?? [])], path));
  findings.push(...methodFindings(raw, columns, ctx, path));
  findings.push(...includeOf(raw, columns, ctx, path));
  const where = whereOf(raw, ctx, path);
  findings.push(...where.findings);
  if (raw.unique && ctx.timeColumn !== undefined && !columns.includes(ctx.timeColumn)) {
    findings.push(uniqueWithoutTime([...path, 'unique'], columns, ctx.timeColumn));
  }
  if (raw.unique && ctx.spaceColumn !== undefined && !columns.includes(ctx.spaceColumn)) {
    findings.push(uniqueWithoutSpace([...path, 'unique'], 'a unique index', ctx.spaceColumn));
  }
  const value: TimeseriesIndex = Object.freeze({
    name: raw.name ?? defaultIndexName(ctx.table, columns),
    columns: Object.freeze(terms.value),
    type: raw.type,
    unique: raw.unique,
    ...(where.value === undefined ? {} : { where: where.value }),
    ...(raw.include === undefined || raw.include.length === 0
      ? {}
      : { include: Object.freeze([...raw.include]) }),
  });
  return { value, findings };
}

/** TimescaleDB error TS103: unique indexes on a hypertable must contain the time column. */
export function uniqueWithoutTime(
  path: Path,
  columns: readonly string[],
  timeColumn: string,
): Finding {
  return specError(
    path,
    `a unique index on a hypertable must include the time column '${timeColumn}': TimescaleDB refuses unique indexes without the partitioning column`,
    `use a timeseries index instead: \`indexes: [{columns: [${[...columns, timeColumn].join(', ')}], unique: true}]\``,
  );
}

/** TimescaleDB error TS103 again: unique keys must contain every partitioning column. */
export function uniqueWithoutSpace(path: Path, what: string, spaceColumn: string): Finding {
  return specError(
    path,
    `${what} on a space-partitioned hypertable must include the partitioning column '${spaceColumn}': TimescaleDB refuses unique indexes without every partitioning column`,
    `add '${spaceColumn}' to it, or remove timeseries.partitioning`,
  );
}

/** The entries of one `indexes:` list (at `path`), checked and normalized. */
export function checkIndexes(
  raw: readonly RawIndex[],
  ctx: IndexContext,
  path: Path,
): Checked<TimeseriesIndex[]> {
  const checked = raw.map((index, k) => indexOf(index, ctx, [...path, k]));
  return { value: checked.map((c) => c.value), findings: checked.flatMap((c) => c.findings) };
}
