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
import { assertNever, invertAll, type Change } from '../diff/changes.js';
import { describeChange } from '../diff/describe.js';
import { integerNowOf, modelCreationSteps } from '../diff/model-steps.js';
import { dollarQuote, quoteIdent, quoteLiteral } from '../sql/quote.js';
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
import { DEFAULT_CHUNK_INTERVAL, operationCall, type TimescaleChange } from './operation-calls.js';

export interface RenderOptions {
  readonly language: MigrationLanguage;
  /**
   * Comment lines for the top of the file, each rendered verbatim after `// ` (e.g. the
   * `prism:destructive {...}` markers the runner reads).
   */
  readonly notes?: readonly string[] | undefined;
}

const WIDTH = 100;
const BODY_INDENT = 2;

// ---------------------------------------------------------------------------------------
// JavaScript source for values

/** Source code placed as it is; only ever built from fixed text and `jsString` output. */
class Code {
  constructor(readonly text: string) {}
}

type JsValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | Code
  | PgLiteral
  | readonly JsValue[]
  | { readonly [key: string]: JsValue | undefined };

/**
 * A JavaScript string literal for `value`: JSON.stringify's escaping, in single quotes
 * unless the text holds more single than double quotes (prettier's rule).
 */
export function jsString(value: string): string {
  const json = JSON.stringify(value);
  let singles = 0;
  let doubles = 0;
  for (const ch of value) {
    if (ch === "'") singles += 1;
    else if (ch === '"') doubles += 1;
  }
  if (singles > doubles) return json;
  let body = '';
  for (let i = 1; i < json.length - 1; i += 1) {
    const ch = json[i] as string;
    if (ch === '\\') {
      const next = json[i + 1] as string;
      body += next === '"' ? '"' : `\\${next}`;
      i += 1;
    } else {
      body += ch === "'" ? "\\'" : ch;
    }
  }
  return `'${body}'`;
}

const IDENTIFIER_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function jsKey(key: string): string {
  // `__proto__: …` in an object literal sets the prototype; a computed key does not.
  if (key === '__proto__') return `[${jsString(key)}]`;
  return IDENTIFIER_KEY.test(key) ? key : jsString(key);
}

function isComposite(
  v: JsValue,
): v is readonly JsValue[] | { readonly [key: string]: JsValue | undefined } {
  return typeof v === 'object' && v !== null && !(v instanceof Code) && !(v instanceof PgLiteral);
}

function entriesOf(v: { readonly [key: string]: JsValue | undefined }): [string, JsValue][] {
  return Object.entries(v).filter((e): e is [string, JsValue] => e[1] !== undefined);
}

function inline(v: JsValue): string {
  if (typeof v === 'string') return jsString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`cannot render the number ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null) return 'null';
  if (v instanceof Code) return v.text;
  if (v instanceof PgLiteral) return `pgm.func(${jsString(v.value)})`;
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  const entries = entriesOf(v as { readonly [key: string]: JsValue | undefined });
  return entries.length === 0
    ? '{}'
    : `{ ${entries.map(([k, x]) => `${jsKey(k)}: ${inline(x)}`).join(', ')} }`;
}

/**
 * `v` starting at column `start` (its line indented by `indent`), followed by `tail`
 * characters: on one line when that fits in WIDTH, else spread over lines.
 */
function format(v: JsValue, indent: number, start: number, tail: number): string {
  const flat = inline(v);
  if (!isComposite(v) || start + flat.length + tail <= WIDTH) return flat;
  return expanded(v, indent);
}

function expanded(
  v: readonly JsValue[] | { readonly [key: string]: JsValue | undefined },
  indent: number,
): string {
  const inner = ' '.repeat(indent + 2);
  const lines: string[] = [];
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    for (const item of v as readonly JsValue[])
      lines.push(`${inner}${format(item, indent + 2, indent + 2, 1)},`);
    return `[\n${lines.join('\n')}\n${' '.repeat(indent)}]`;
  }
  const entries = entriesOf(v as { readonly [key: string]: JsValue | undefined });
  if (entries.length === 0) return '{}';
  for (const [k, x] of entries) {
    const head = `${jsKey(k)}: `;
    lines.push(`${inner}${head}${format(x, indent + 2, indent + 2 + head.length, 1)},`);
  }
  return `{\n${lines.join('\n')}\n${' '.repeat(indent)}}`;
}

/** `pgm.<name>(…);` at the body's indentation: on one line, hugging a last object, or one argument a line. */
function call(name: string, ...args: JsValue[]): string {
  const head = `pgm.${name}(`;
  const flat = `${head}${args.map(inline).join(', ')});`;
  if (BODY_INDENT + flat.length <= WIDTH) return flat;
  const last = args[args.length - 1];
  if (last !== undefined && isComposite(last)) {
    const before = `${head}${args
      .slice(0, -1)
      .map((a) => `${inline(a)}, `)
      .join('')}`;
    if (BODY_INDENT + before.length + 1 <= WIDTH && !before.includes('\n')) {
      return `${before}${expanded(last, BODY_INDENT)});`;
    }
  }
  const lines = args.map(
    (a) => `${' '.repeat(BODY_INDENT + 2)}${format(a, BODY_INDENT + 2, BODY_INDENT + 2, 1)},`,
  );
  return `${head}\n${lines.join('\n')}\n${' '.repeat(BODY_INDENT)});`;
}

/** `// text` lines; line breaks in the text start new comment lines, so nothing escapes the comment. */
function comment(text: string): string[] {
  return text.split(/\r\n|[\n\r\u2028\u2029]/).map((line) => `// ${line}`.trimEnd());
}

// ---------------------------------------------------------------------------------------
// Values of our operations

/** `pgm.<operation>(table, { … });` for a TimescaleDB change. */
function operationCallText(c: TimescaleChange): string {
  const { operation, table, options } = operationCall(c);
  return call(operation, table, options as JsValue);
}

function columnValue(field: Field): JsValue {
  const def = columnDefinition(field);
  return { type: def.type, notNull: def.notNull ? true : undefined, default: def.default };
}

function enumCheckCalls(table: string, field: Field): string[] {
  const check = enumCheck(table, field);
  return check ? [call('addConstraint', table, check.name, { check: check.check })] : [];
}

/** The SQL type without its modifiers: `varchar(100)` → `varchar`. */
function baseType(type: string): string {
  return type.replace(/\(.*$/, '');
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
// Names we derive from a table or column name follow renames

/** A `pgm.sql(...)` call for a multi-line statement, one string per line. */
function sqlCall(sql: string): string {
  const lines = sql.split('\n');
  const inner = ' '.repeat(BODY_INDENT + 4);
  return [
    'pgm.sql(',
    `${' '.repeat(BODY_INDENT + 2)}[`,
    ...lines.map((line) => `${inner}${jsString(line)},`),
    `${' '.repeat(BODY_INDENT + 2)}].join('\\n'),`,
    `${' '.repeat(BODY_INDENT)});`,
  ].join('\n');
}

function doBlock(body: readonly string[]): string {
  return `DO ${dollarQuote(`\n${body.join('\n')}\n`)}`;
}

/** Renames `<from>_pkey` and the enum checks `<from>_<column>_check` of a renamed table. */
function renameTableConstraintsSql(from: string, to: string): string {
  const table = `${quoteLiteral(quoteIdent(to, 'table name'))}::pg_catalog.regclass`;
  const prefix = quoteLiteral(`${from}_`);
  return doBlock([
    'DECLARE',
    '  r record;',
    'BEGIN',
    '  FOR r IN',
    '    SELECT conname, contype FROM pg_catalog.pg_constraint',
    `    WHERE conrelid = ${table}`,
    `      AND ((contype = 'p' AND conname = ${quoteLiteral(primaryKeyName(from))})`,
    `        OR (contype = 'c' AND left(conname, char_length(${prefix})) = ${prefix}`,
    `          AND right(conname, 6) = '_check'))`,
    '  LOOP',
    "    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I',",
    `      ${table}, r.conname,`,
    `      CASE WHEN r.contype = 'p' THEN ${quoteLiteral(primaryKeyName(to))}`,
    `      ELSE ${quoteLiteral(`${to}_`)} || substr(r.conname, char_length(${prefix}) + 1) END);`,
    '  END LOOP;',
    'END',
  ]);
}

/** Renames the enum check `<table>_<from>_check` of a renamed column, when there is one. */
function renameColumnCheckSql(table: string, from: string, to: string): string {
  const oldName = enumCheckName(table, from);
  return doBlock([
    'BEGIN',
    '  IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint',
    `      WHERE conrelid = ${quoteLiteral(quoteIdent(table, 'table name'))}::pg_catalog.regclass`,
    `        AND contype = 'c' AND conname = ${quoteLiteral(oldName)}) THEN`,
    `    ALTER TABLE ${quoteIdent(table, 'table name')} RENAME CONSTRAINT ${quoteIdent(oldName)}`,
    `      TO ${quoteIdent(enumCheckName(table, to))};`,
    '  END IF;',
    'END',
  ]);
}

// ---------------------------------------------------------------------------------------
// One block per change

function createTableCalls(model: Model): string[] {
  const columns: { [key: string]: JsValue } = {};
  for (const f of model.fields) columns[f.name] = columnValue(f);
  const calls = [call('createTable', model.table, columns)];
  if (model.primaryKey.length > 0) {
    calls.push(
      call('addConstraint', model.table, primaryKeyName(model.table), {
        primaryKey: [...model.primaryKey],
      }),
    );
  }
  for (const f of model.fields) calls.push(...enumCheckCalls(model.table, f));
  return calls;
}

function alterColumnCalls(table: string, from: Field, to: Field): string[] {
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
    calls.push(call('dropConstraint', table, enumCheckName(table, column)));
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
  if (toCheck !== undefined && checkChanged) calls.push(...enumCheckCalls(table, to));
  return calls;
}

/** Lines of one change: `// description`, notes, then its pgm calls (at the body's indentation). */
function block(c: Change, language: MigrationLanguage, inNewModel = false): string[] {
  const lines = comment(describeChange(c));
  const note = (text: string) => lines.push(...comment(text));
  const emit = (...calls: string[]) => lines.push(...calls);
  switch (c.kind) {
    case 'createModel':
      for (const step of modelCreationSteps(c.model)) lines.push(...block(step, language, true));
      break;
    case 'dropModel': {
      if (c.model.timeseries) note('chunks, compression and policy jobs go with the table');
      emit(call('dropTable', c.model.table));
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
      emit(call('dropTable', c.model.table));
      break;
    case 'renameTable':
      emit(call('renameTable', c.from, c.to));
      note('the primary key and enum checks are named after the table: they follow its new name');
      emit(sqlCall(renameTableConstraintsSql(c.from, c.to)));
      break;
    case 'addColumn':
      emit(
        call('addColumns', c.table, { [c.field.name]: columnValue(c.field) }),
        ...enumCheckCalls(c.table, c.field),
      );
      break;
    case 'dropColumn':
      if (c.field.type === 'enum') note('its CHECK constraint goes with it');
      emit(call('dropColumns', c.table, [c.field.name]));
      break;
    case 'renameColumn':
      emit(call('renameColumn', c.table, c.from, c.to));
      note("an enum's CHECK constraint, if the column has one, follows the new name");
      emit(sqlCall(renameColumnCheckSql(c.table, c.from, c.to)));
      break;
    case 'alterColumn':
      emit(...alterColumnCalls(c.table, c.from, c.to));
      break;
    case 'setPrimaryKey':
      if (c.from.length > 0) emit(call('dropConstraint', c.table, primaryKeyName(c.table)));
      if (c.to.length > 0)
        emit(call('addConstraint', c.table, primaryKeyName(c.table), { primaryKey: [...c.to] }));
      break;
    case 'addIndex': {
      const { name, columns, type, unique } = c.index;
      let method: JsValue = type;
      if (type === 'brin' && language === 'ts') {
        note("node-pg-migrate's types list no 'brin' method; PostgreSQL has it");
        method = new Code(`${jsString(type)} as never`);
      }
      emit(
        call('createIndex', c.table, [...columns], {
          name,
          unique: unique ? true : undefined,
          method,
        }),
      );
      break;
    }
    case 'dropIndex':
      emit(call('dropIndex', c.table, [...c.index.columns], { name: c.index.name }));
      break;
    case 'createHypertable':
      if (!inNewModel) {
        note('converts the rows already there into chunks, under a lock that blocks the table');
        note(`(migrate_data); ${c.hypertable.timeColumn} becomes NOT NULL`);
      }
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
    case 'setIntegerNow':
    case 'dropIntegerNow':
      emit(operationCallText(c));
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

const PLACEHOLDERS = ['// prism:notes', '// prism:up', '// prism:down'] as const;

/** A complete migration file whose `up` applies `changes` and whose `down` undoes them. */
export function renderMigration(changes: readonly Change[], options: RenderOptions): string {
  const { language } = options;
  checkLanguage(language);
  const fill: Record<(typeof PLACEHOLDERS)[number], string[]> = {
    '// prism:notes': (options.notes ?? []).flatMap(comment),
    '// prism:up': body(changes, language),
    '// prism:down': body(invertAll(changes), language),
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
