/**
 * JavaScript source for generated migrations: values as literals, `pgm.<name>(…)` and
 * `<operation>(pgm, …)` calls laid
 * out as the project's prettier would (100 columns), comments that nothing escapes.
 */
import { PgLiteral } from 'node-pg-migrate';

const WIDTH = 100;
export const BODY_INDENT = 2;

// ---------------------------------------------------------------------------------------
// JavaScript source for values

/** Source code placed as it is; only ever built from fixed text and `jsString` output. */
export class Code {
  constructor(readonly text: string) {}
}

export type JsValue =
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
export function call(name: string, ...args: JsValue[]): string {
  return callText(`pgm.${name}(`, args);
}

/** `name(pgm, …args);`: a function imported into the migration that takes `pgm`. */
export function functionCall(name: string, ...args: JsValue[]): string {
  return callText(`${name}(`, [new Code('pgm'), ...args]);
}

function callText(head: string, args: readonly JsValue[]): string {
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
export function comment(text: string): string[] {
  return text.split(/\r\n|[\n\r\u2028\u2029]/).map((line) => `// ${line}`.trimEnd());
}

/** A `pgm.sql(...)` call for a multi-line statement, one string per line. */
export function sqlCall(sql: string): string {
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
