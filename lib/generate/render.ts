/**
 * Change[] → the text of one node-pg-migrate migration file, from the `generated.ts` /
 * `generated.js` template in migrations-templates/. Pure apart from reading that
 * template once: the same changes give the same file, byte for byte.
 *
 * `up` has one commented block per change; `down` renders the inverses, newest first, so
 * the file never relies on node-pg-migrate inferring reverses. Spec text reaches the file
 * only as JavaScript string literals made by `jsString` (JSON.stringify, then the quote
 * style the project's prettier prefers), and reaches SQL only through `quoteIdent` /
 * `quoteLiteral`: a default or enum value is an escaped SQL literal inside a JS string.
 */
import { PgLiteral } from 'node-pg-migrate';
import { assertNever, invertAll, type Change, type ForeignKeyDef } from '../diff/changes.js';
import { describeChange } from '../diff/describe.js';
import { integerNowOf, modelCreationSteps } from '../diff/model-steps.js';
import { quoteIdent } from '../sql/quote.js';
import type { Field, Model } from '../spec/types.js';
import {
  columnDefinition,
  columnType,
  defaultSql,
  enumCheck,
  enumCheckName,
  enumCheckSql,
  primaryKeyName,
} from './columns.js';
import { checkLanguage, readTemplate, type MigrationLanguage } from './templates.js';
import {
  BODY_INDENT,
  call,
  Code,
  comment,
  functionCall,
  jsString,
  sqlCall,
  type JsValue,
} from './js-source.js';
import { renameColumnCheckSql, renameTableConstraintsSql } from './rename-sql.js';
import { createIndexExpressible, createIndexSql } from './index-sql.js';
import { whereSql } from '../sql/predicate.js';

export { jsString } from './js-source.js';
import {
  aggregateOperationCall,
  isAggregateChange,
  DEFAULT_CHUNK_INTERVAL,
  isTimescaleChange,
  operationCall,
  type AggregateChange,
  type TimescaleChange,
} from './operation-calls.js';
import { PRISM_OPERATIONS } from '../operations/sql.js';

/** Where migrations import the operations from: the package's light entry. */
export const OPERATIONS_MODULE = 'prism-migrate/operations';

export interface RenderOptions {
  readonly language: MigrationLanguage;
  /**
   * Comment lines for the top of the file, each rendered verbatim after `// ` (e.g. the
   * `prism:destructive {...}` markers the runner reads).
   */
  readonly notes?: readonly string[] | undefined;
}

// ---------------------------------------------------------------------------------------
// Values of our operations

/** `<operation>(pgm, table, { … });` for a TimescaleDB change. */
function operationCallText(c: TimescaleChange): string {
  const { operation, table, options } = operationCall(c);
  const target = typeof table === 'string' ? table : tableValue(table.name, table.schema);
  return functionCall(operation, target, options as JsValue);
}

/** `<operation>(pgm, view, { … });` for a change of a continuous aggregate. */
function aggregateCallText(c: AggregateChange): string {
  const { operation, table, options } = aggregateOperationCall(c);
  const target = typeof table === 'string' ? table : tableValue(table.name, table.schema);
  return functionCall(operation, target, options as JsValue);
}

function columnValue(field: Field): JsValue {
  const def = columnDefinition(field);
  return { type: def.type, notNull: def.notNull ? true : undefined, default: def.default };
}

/** A foreign key as our operations take it; the actions only where not `no action`. */
function foreignKeyValue(fk: ForeignKeyDef): JsValue {
  return {
    name: fk.name,
    column: fk.column,
    references: {
      table: tableValue(fk.references.table, fk.references.schema),
      column: fk.references.column,
    },
    onDelete: fk.onDelete === 'no action' ? undefined : fk.onDelete,
    onUpdate: fk.onUpdate === 'no action' ? undefined : fk.onUpdate,
  };
}

/**
 * A table as node-pg-migrate and our operations take it: its name, or `{ schema, name }`
 * outside `public` (so the files of public tables read as before).
 */
function tableValue(table: string, schema: string | undefined): JsValue {
  return schema === undefined ? table : { schema, name: table };
}

function enumCheckCalls(table: string, field: Field, schema?: string): string[] {
  const check = enumCheck(table, field);
  return check
    ? [call('addConstraint', tableValue(table, schema), check.name, { check: check.check })]
    : [];
}

/** The SQL type without its modifiers: `varchar(100)` → `varchar`, `varchar(9)[]` → `varchar[]`. */
function baseType(type: string): string {
  return type.replace(/\([^)]*\)/, '');
}

/**
 * Whether a type change needs `USING "<col>::<type>"`. Not within one type
 * (`varchar(100)` → `varchar(50)`, `numeric(10,2)` → `numeric(8,2)`), and not into a text
 * type, which every type reaches by an assignment cast: there the assignment cast refuses
 * a value that does not fit, where an explicit cast to `varchar(n)` would silently cut it.
 */
function needsUsing(fromType: string, toType: string): boolean {
  const to = baseType(toType);
  return to !== 'varchar' && to !== 'text' && baseType(fromType) !== to;
}

// ---------------------------------------------------------------------------------------
// One block per change

function createTableCalls(model: Model): string[] {
  const columns: { [key: string]: JsValue } = {};
  for (const f of model.fields) columns[f.name] = columnValue(f);
  const table = tableValue(model.table, model.schema);
  const calls = [call('createTable', table, columns)];
  if (model.primaryKey.length > 0) {
    calls.push(
      call('addConstraint', table, primaryKeyName(model.table), {
        primaryKey: [...model.primaryKey],
      }),
    );
  }
  for (const f of model.fields) calls.push(...enumCheckCalls(model.table, f, model.schema));
  return calls;
}

function alterColumnCalls(name: string, from: Field, to: Field, schema?: string): string[] {
  const table = tableValue(name, schema);
  const column = to.name;
  const calls: string[] = [];
  const fromType = columnType(from);
  const toType = columnType(to);
  const typeChanged = fromType !== toType;
  const fromCheck = enumCheckSql({ ...from, name: column });
  const toCheck = enumCheckSql(to);
  const checkChanged = fromCheck !== toCheck;
  const fromDefault = from.default === undefined ? undefined : defaultSql(from.default);
  const toDefault = to.default === undefined ? undefined : defaultSql(to.default);

  if (fromCheck !== undefined && checkChanged)
    calls.push(call('dropConstraint', table, enumCheckName(name, column)));
  const options: { [key: string]: JsValue } = {};
  if (typeChanged) {
    // The old default may not convert to the new type: drop it before, set the new one after.
    if (fromDefault !== undefined)
      calls.push(call('alterColumn', table, column, { default: null }));
    options['type'] = toType;
    if (needsUsing(fromType, toType))
      options['using'] = `${quoteIdent(column, 'column name')}::${toType}`;
  }
  if (toDefault !== undefined && (toDefault !== fromDefault || typeChanged)) {
    options['default'] = PgLiteral.create(toDefault);
  } else if (toDefault === undefined && fromDefault !== undefined && !typeChanged) {
    options['default'] = null;
  }
  if (from.optional !== to.optional) options['notNull'] = !to.optional;
  if (Object.keys(options).length > 0) calls.push(call('alterColumn', table, column, options));
  if (toCheck !== undefined && checkChanged) calls.push(...enumCheckCalls(name, to, schema));
  return calls;
}

/** Lines of one change: `// description`, notes, then its pgm calls (at the body's indentation). */
function block(c: Change, language: MigrationLanguage, inNewModel = false): string[] {
  const lines = comment(describeChange(c));
  const note = (text: string) => lines.push(...comment(text));
  if (
    (isTimescaleChange(c) && 'environments' in operationCall(c).options) ||
    (isAggregateChange(c) && 'environments' in aggregateOperationCall(c).options)
  )
    note('`environments`: the values used instead when run with --env <name> or PRISM_ENV=<name>');
  const emit = (...calls: string[]) => lines.push(...calls);
  switch (c.kind) {
    case 'createModel':
      if (c.model.schema !== undefined) {
        note(`schema ${c.model.schema} is made when missing; down leaves it (it may hold more)`);
        emit(call('createSchema', c.model.schema, { ifNotExists: true }));
      }
      for (const step of modelCreationSteps(c.model, c.foreignKeys))
        lines.push(...block(step, language, true));
      break;
    case 'dropModel': {
      if (c.model.timeseries) note('chunks, compression and policy jobs go with the table');
      if ((c.foreignKeys ?? []).length > 0) note('its foreign keys go with the table');
      emit(call('dropTable', tableValue(c.model.table, c.model.schema)));
      const integerNow = integerNowOf(c.model);
      if (integerNow) {
        note('the integer-now function is not part of the table: it goes separately');
        emit(operationCallText({ ...integerNow, kind: 'dropIntegerNow' }));
      }
      break;
    }
    case 'createTable':
      emit(...createTableCalls(c.model));
      break;
    case 'dropTable':
      emit(call('dropTable', tableValue(c.model.table, c.model.schema)));
      break;
    case 'renameTable':
      emit(call('renameTable', tableValue(c.from, c.schema), c.to));
      note(
        'the primary key, enum checks and foreign keys named after the table follow its new name',
      );
      emit(sqlCall(renameTableConstraintsSql(c.from, c.to, c.schema)));
      break;
    case 'addColumn':
      emit(
        call('addColumns', tableValue(c.table, c.schema), {
          [c.field.name]: columnValue(c.field),
        }),
        ...enumCheckCalls(c.table, c.field, c.schema),
      );
      break;
    case 'dropColumn':
      if (c.field.type === 'enum') note('its CHECK constraint goes with it');
      emit(call('dropColumns', tableValue(c.table, c.schema), [c.field.name]));
      break;
    case 'renameColumn':
      emit(call('renameColumn', tableValue(c.table, c.schema), c.from, c.to));
      note("an enum's CHECK constraint, if the column has one, follows the new name");
      emit(sqlCall(renameColumnCheckSql(c.table, c.from, c.to, c.schema)));
      break;
    case 'alterColumn':
      emit(...alterColumnCalls(c.table, c.from, c.to, c.schema));
      break;
    case 'setPrimaryKey':
      if (c.from.length > 0)
        emit(call('dropConstraint', tableValue(c.table, c.schema), primaryKeyName(c.table)));
      if (c.to.length > 0)
        emit(
          call('addConstraint', tableValue(c.table, c.schema), primaryKeyName(c.table), {
            primaryKey: [...c.to],
          }),
        );
      break;
    case 'addIndex': {
      const { name, columns, type, unique, where, include } = c.index;
      if (!createIndexExpressible(c.index)) {
        note("node-pg-migrate's createIndex has no NULLS FIRST/LAST");
        emit(sqlCall(createIndexSql({ schema: c.schema, name: c.table }, c.index)));
        break;
      }
      let method: JsValue = type;
      if (type === 'brin' && language === 'ts') {
        note("node-pg-migrate's types list no 'brin' method; PostgreSQL has it");
        method = new Code(`${jsString(type)} as never`);
      }
      emit(
        call(
          'createIndex',
          tableValue(c.table, c.schema),
          columns.map((t): JsValue =>
            t.direction === 'DESC' ? { name: t.column, sort: 'DESC' } : t.column,
          ),
          {
            name,
            unique: unique ? true : undefined,
            method,
            where: where === undefined ? undefined : whereSql(where),
            include: include === undefined ? undefined : [...include],
          },
        ),
      );
      break;
    }
    case 'dropIndex':
      emit(
        call(
          'dropIndex',
          tableValue(c.table, c.schema),
          c.index.columns.map((t) => t.column),
          { name: c.index.name },
        ),
      );
      break;
    case 'addDefaultTimeIndex':
      note('as create_hypertable makes it (create_default_indexes); nothing if one is there');
      emit(operationCallText(c));
      break;
    case 'dropDefaultTimeIndex':
      note(`create_default_indexes: false; every plain (${c.timeColumn} DESC) index goes`);
      emit(operationCallText(c));
      break;
    case 'addForeignKey':
      emit(
        functionCall('addForeignKey', tableValue(c.table, c.schema), foreignKeyValue(c.foreignKey)),
      );
      break;
    case 'dropForeignKey':
      emit(
        functionCall(
          'dropForeignKey',
          tableValue(c.table, c.schema),
          foreignKeyValue(c.foreignKey),
        ),
      );
      break;
    case 'createHypertable':
      if (!inNewModel) {
        note('converts the rows already there into chunks, under a lock that blocks the table');
        note(`(migrate_data); ${c.hypertable.timeColumn} becomes NOT NULL`);
      }
      if (c.hypertable.partitioning) {
        note('the hash dimension cannot be removed later: only a rebuild of the table undoes it');
      }
      emit(operationCallText(c));
      break;
    case 'setNumberPartitions':
      note('applies to chunks created from now on; existing chunks keep their partitions');
      emit(operationCallText(c));
      break;
    case 'addReorderPolicy':
      note('needs the Timescale License build: skipped under timescale auto without it');
      emit(operationCallText(c));
      break;
    case 'revertHypertable':
      note('copies every row back into a plain table under lock; compression and policies go');
      note('with the hypertable');
      emit(operationCallText(c));
      break;
    case 'setChunkInterval':
      note('applies to chunks created from now on; existing chunks keep their size');
      if (c.from === undefined || c.to === undefined) {
        note(
          `no chunk_interval in the spec means TimescaleDB's default, ${DEFAULT_CHUNK_INTERVAL}`,
        );
      }
      emit(operationCallText(c));
      break;
    case 'disableCompression':
      note('decompresses every compressed chunk first');
      emit(operationCallText(c));
      break;
    case 'alterCompression':
      note('chunks already compressed keep their settings until recompressed');
      emit(operationCallText(c));
      break;
    case 'addRetentionPolicy':
      if (!inNewModel) note('its first run drops every chunk older than that');
      emit(operationCallText(c));
      break;
    case 'enableCompression':
    case 'addCompressionPolicy':
    case 'removeCompressionPolicy':
    case 'removeRetentionPolicy':
    case 'removeReorderPolicy':
    case 'setIntegerNow':
    case 'dropIntegerNow':
      emit(operationCallText(c));
      break;
    case 'createContinuousAggregate':
      note("created WITH NO DATA in this migration's transaction; `prism-migrate up` refreshes it");
      note("once the transaction has committed; under node-pg-migrate's own CLI, run");
      note('`prism-migrate jobs run` afterwards');
      emit(aggregateCallText(c));
      break;
    case 'dropContinuousAggregate':
      note('its materialized rows go with it: made again, it has only what its source still has');
      emit(aggregateCallText(c));
      break;
    case 'setAggregateRealtime':
    case 'addContinuousAggregatePolicy':
    case 'removeContinuousAggregatePolicy':
    case 'enableAggregateCompression':
    case 'disableAggregateCompression':
    case 'addAggregateCompressionPolicy':
    case 'removeAggregateCompressionPolicy':
    case 'addAggregateRetentionPolicy':
    case 'removeAggregateRetentionPolicy':
      emit(aggregateCallText(c));
      break;
    default:
      return assertNever(c);
  }
  return lines;
}

/** The lines of one change's block, indented for a function body. */
export function renderChange(change: Change, language: MigrationLanguage): string[] {
  return block(change, language).flatMap((text) =>
    text.split('\n').map((line) => indentLine(line)),
  );
}

function indentLine(line: string): string {
  // Calls spread over lines already carry the body's indentation after their first line.
  return line.startsWith(' ') || line === '' ? line : `${' '.repeat(BODY_INDENT)}${line}`;
}

function body(changes: readonly Change[], language: MigrationLanguage): string[] {
  if (changes.length === 0) return [`${' '.repeat(BODY_INDENT)}// nothing to do`];
  return changes.flatMap((c, i) => [...(i === 0 ? [] : ['']), ...renderChange(c, language)]);
}

// ---------------------------------------------------------------------------------------
// The file

const PLACEHOLDERS = [
  '// prism:notes',
  '// prism:imports',
  '// prism:up',
  '// prism:down',
] as const;

/** The import of the operations the bodies call, if any. */
function operationImports(bodies: readonly string[]): string[] {
  const names = Object.keys(PRISM_OPERATIONS);
  const used = names.filter((name) =>
    bodies.some((text) => new RegExp(`^\\s*${name}\\(pgm\\b`, 'm').test(text)),
  );
  if (used.length === 0) return [];
  const flat = `import { ${used.sort().join(', ')} } from '${OPERATIONS_MODULE}';`;
  if (flat.length <= 100) return [flat];
  return ['import {', ...used.map((name) => `  ${name},`), `} from '${OPERATIONS_MODULE}';`];
}

/** A complete migration file whose `up` applies `changes` and whose `down` undoes them. */
export function renderMigration(changes: readonly Change[], options: RenderOptions): string {
  const { language } = options;
  checkLanguage(language);
  const up = body(changes, language);
  const down = body(invertAll(changes), language);
  const fill: Record<(typeof PLACEHOLDERS)[number], string[]> = {
    '// prism:notes': (options.notes ?? []).flatMap(comment),
    '// prism:imports': operationImports([up.join('\n'), down.join('\n')]),
    '// prism:up': up,
    '// prism:down': down,
  };
  const lines = readTemplate('generated', language).split('\n');
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const key = PLACEHOLDERS.find((p) => line.trim() === p);
    if (key === undefined) {
      out.push(line);
    } else {
      seen.add(key);
      out.push(...fill[key]);
    }
  }
  const missing = PLACEHOLDERS.filter((p) => !seen.has(p));
  if (missing.length > 0) {
    throw new Error(
      `migrations-templates/generated.${language} lacks the line(s) ${missing.join(', ')}`,
    );
  }
  const text = out.join('\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}
