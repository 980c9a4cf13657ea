/**
 * Request bodies for ingest: a JSON array of rows or NDJSON (one row per line), read from
 * the raw bytes so that nothing is lost on the way. A body is refused, naming the row or
 * line (and the field), when it is not UTF-8, not JSON, not rows (objects), holds a lone
 * surrogate (which would be stored as U+FFFD), uses `__proto__` as a key or a
 * `constructor` key holding `prototype`, or nests deeper than MAX_DEPTH.
 */
import type { FastifyInstance } from 'fastify';
import { UsageError } from '../errors.js';
import type { RowSource } from '../query/insert.js';
import { RequestRefusal } from './errors.js';

/** Rows one POST may carry. */
export const MAX_INGEST_ROWS = 50_000;
/** Levels of objects and arrays a row may nest, the row itself included. */
export const MAX_DEPTH = 100;
/**
 * Keys refused anywhere in a body, as they reach the prototype chain in careless code:
 * `__proto__`, and `constructor` when it holds a `prototype` key. A plain `constructor`
 * or `prototype` key is ordinary data (`{"constructor": "Ferrari"}`).
 */
export const UNSAFE_KEYS: readonly string[] = Object.freeze(['__proto__', 'constructor']);

/** The rows of a body and where each came from (`row 3`, `line 5`). */
export class IngestBody {
  constructor(
    /** Parsed rows, or (NDJSON) a source that parses each as it is read. */
    readonly rows: readonly Record<string, unknown>[] | RowSource,
    /** The line of each row for NDJSON; undefined for a JSON array. */
    private readonly lines?: readonly number[],
  ) {}

  /** `row 3` (index in the array, from 0) or `line 5` (NDJSON line, from 1). */
  placeOf(index: number): string {
    return this.lines === undefined ? `row ${index}` : `line ${this.lines[index] ?? index + 1}`;
  }

  /**
   * An error about a row, said by its place in this body: the query layer counts rows from 0
   * (`row 2: …`), an NDJSON sender counts lines.
   */
  locate(error: unknown): unknown {
    if (this.lines === undefined || !(error instanceof UsageError)) return error;
    const m = /^row (\d+): /.exec(error.message);
    if (m === null) return error;
    return new UsageError(`${this.placeOf(Number(m[1]))}: ${error.message.slice(m[0].length)}`, {
      hint: error.hint,
    });
  }
}

/** `an array`, `an object`, `null`, `a string`, … */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function loneSurrogate(text: string): string | undefined {
  // Most text has no surrogate at all; the exact test runs only on text that has one.
  if (!SURROGATE.test(text)) return undefined;
  const m = LONE_SURROGATE.exec(text);
  return m ? `\\u${(m[0].codePointAt(0) as number).toString(16)}` : undefined;
}

/** `metadata.tags[2]`, from the keys and indexes below a row. */
function pathText(path: readonly (string | number)[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else out += out === '' ? step : `.${step}`;
  }
  return out;
}

/**
 * Whether JSON text may hold a lone surrogate once parsed: a decoded body is well-formed, so
 * only a `\uD800`–`\uDFFF` escape can put one into a string.
 */
export function maySurrogate(text: string): boolean {
  return /\\u[dD][89a-fA-F]/.test(text);
}

const isUnsafeKey = (key: string, value: unknown): boolean =>
  key === '__proto__' ||
  (key === 'constructor' &&
    typeof value === 'object' &&
    value !== null &&
    Object.prototype.hasOwnProperty.call(value, 'prototype'));

/** Whether a row holds anything checkRow refuses; fast, as it keeps no paths. */
function suspicious(row: object, surrogates: boolean): boolean {
  const values: unknown[] = [row];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop() as number;
    if (typeof value !== 'object' || value === null) {
      if (surrogates && typeof value === 'string' && loneSurrogate(value) !== undefined)
        return true;
      continue;
    }
    if (depth >= MAX_DEPTH) return true;
    if (Array.isArray(value)) {
      for (const item of value) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key in value) {
      if (
        isUnsafeKey(key, (value as Record<string, unknown>)[key]) ||
        (surrogates && loneSurrogate(key) !== undefined)
      )
        return true;
      values.push((value as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return false;
}

/**
 * Checks one row (already parsed) for what must not be stored; throws a UsageError that
 * starts with `place`. Walks without recursion, so a deep value cannot exhaust the stack.
 * `surrogates` false (see maySurrogate) skips looking for lone surrogates.
 */
export function checkRow(row: unknown, place: string, surrogates = true): Record<string, unknown> {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    throw new UsageError(`${place}: expected an object, got ${describeJson(row)}`, {
      hint: 'each row is an object of field values, e.g. {"timestamp": "…", "value": 1}',
    });
  }
  if (!suspicious(row, surrogates)) return row as Record<string, unknown>;
  // Walk again, with paths, to say where.
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: row, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    const where = path.length === 0 ? place : `${place}: field ${pathText(path)}`;
    if (typeof value === 'string') {
      const lone = loneSurrogate(value);
      if (lone !== undefined) {
        throw new UsageError(`${where}: holds a lone surrogate (${lone}), which is not text`, {
          hint: 'a character beyond U+FFFF is written as a pair, e.g. \\ud83d\\ude00; a half of a pair cannot be stored',
        });
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    // The row's own depth is 1; a field's object 2; and so on.
    if (path.length >= MAX_DEPTH) {
      throw new UsageError(
        `${place}: field ${String(path[0])}: nests deeper than ${MAX_DEPTH} levels`,
      );
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      if (isUnsafeKey(key, (value as Record<string, unknown>)[key])) {
        throw new UsageError(`${where}: the key ${JSON.stringify(key)} is not accepted`, {
          hint: '__proto__, and constructor holding prototype, are refused as keys anywhere in a body',
        });
      }
      const lone = loneSurrogate(key);
      if (lone !== undefined) {
        throw new UsageError(`${where}: a key holds a lone surrogate (${lone}), which is not text`);
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return row as Record<string, unknown>;
}

/** The byte offset of the first byte that is not part of well-formed UTF-8, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let at = 0; at < bytes.length;) {
    const b = bytes[at] as number;
    if (b < 0x80) {
      at++;
      continue;
    }
    let length: number;
    let min: number;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      length = 2;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      // No overlong forms; U+D800–U+DFFF (ED A0–BF …) are surrogates, not characters.
      min = b === 0xe0 ? 0xa0 : 0x80;
      if (b === 0xed) max = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      min = b === 0xf0 ? 0x90 : 0x80;
      if (b === 0xf4) max = 0x8f;
    } else return at;
    const second = bytes[at + 1];
    if (second === undefined || second < min || second > max) return at;
    for (let k = 2; k < length; k++) {
      const c = bytes[at + k];
      if (c === undefined || c < 0x80 || c > 0xbf) return at;
    }
    at += length;
  }
  return -1;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The body as text; refused, with its line and byte, unless it is UTF-8. */
export function decodeBody(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    const offset = invalidUtf8Offset(bytes);
    let line = 1;
    let lineStart = 0;
    for (let at = 0; at < offset; at++) {
      if (bytes[at] === 0x0a) {
        line++;
        lineStart = at + 1;
      }
    }
    throw new UsageError(
      `line ${line}, byte ${offset - lineStart + 1}: the body is not UTF-8 (an encoded lone surrogate or a broken sequence)`,
      { hint: 'send UTF-8 text; characters beyond U+FFFF as one 4-byte sequence' },
    );
  }
}

function jsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

/** A JSON array of rows. */
export function parseJsonRows(text: string): IngestBody {
  if (text.trim() === '') {
    throw new UsageError('the body is empty', { hint: 'send a JSON array of rows' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`the body is not valid JSON: ${jsonError(error)}`);
  }
  if (!Array.isArray(value)) {
    throw new UsageError(`the body must be a JSON array of rows, got ${describeJson(value)}`, {
      hint: 'wrap a single row in [ ], or send NDJSON (one row per line) as application/x-ndjson',
    });
  }
  if (value.length > MAX_INGEST_ROWS) {
    throw new UsageError(`at most ${MAX_INGEST_ROWS} rows per request, got ${value.length}`, {
      hint: 'send the rest in further requests',
    });
  }
  const surrogates = maySurrogate(text);
  return new IngestBody(value.map((row, index) => checkRow(row, `row ${index}`, surrogates)));
}

/** One NDJSON line (trimmed, not empty) as a checked row. */
function ndjsonRow(line: string, lineNumber: number, surrogates: boolean): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line) as unknown;
  } catch (error) {
    throw new UsageError(`line ${lineNumber}: not valid JSON: ${jsonError(error)}`);
  }
  return checkRow(value, `line ${lineNumber}`, surrogates && maySurrogate(line));
}

/**
 * The non-empty lines of NDJSON, each parsed as it is met (`eager`) or only noted; stops at
 * the row cap instead of reading on.
 */
function ndjsonLines(
  text: string,
  eager: boolean,
): { rows: Record<string, unknown>[]; lines: number[]; starts: number[]; ends: number[] } {
  const rows: Record<string, unknown>[] = [];
  const lines: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const surrogates = maySurrogate(text);
  let lineNumber = 0;
  for (let at = 0; at < text.length;) {
    const newline = text.indexOf('\n', at);
    const end = newline === -1 ? text.length : newline;
    lineNumber += 1;
    const start = at;
    at = end + 1;
    // A line that starts with a visible ASCII character is not blank: no need to trim it here.
    const first = text.charCodeAt(start);
    const visible = first > 0x20 && first < 0x7f;
    const line = eager || !visible ? text.slice(start, end).trim() : undefined;
    if (line === '') continue;
    if (lines.length === MAX_INGEST_ROWS) {
      throw new UsageError(`at most ${MAX_INGEST_ROWS} rows per request`, {
        hint: 'send the rest in further requests',
      });
    }
    if (eager) rows.push(ndjsonRow(line as string, lineNumber, surrogates));
    lines.push(lineNumber);
    starts.push(start);
    ends.push(end);
  }
  return { rows, lines, starts, ends };
}

/** NDJSON: one row per non-empty line; stops at the row cap instead of reading on. */
export function parseNdjsonRows(text: string): IngestBody {
  const { rows, lines } = ndjsonLines(text, true);
  return new IngestBody(rows, lines);
}

/**
 * NDJSON whose lines are parsed and checked only when insertMany reads them, so that
 * parsing overlaps with the server storing the rows before; each refusal is the one
 * parseNdjsonRows gives for that line (the first refused line or row is reported, and
 * nothing is stored). A body over the row cap is refused as parseNdjsonRows refuses it.
 */
export function parseNdjsonRowsLazily(text: string): IngestBody {
  let scanned: ReturnType<typeof ndjsonLines>;
  try {
    scanned = ndjsonLines(text, false);
  } catch {
    return parseNdjsonRows(text);
  }
  const { lines, starts, ends } = scanned;
  const surrogates = maySurrogate(text);
  const source: RowSource = {
    length: lines.length,
    row: (i) => ndjsonRow(text.slice(starts[i], ends[i]).trim(), lines[i] as number, surrogates),
  };
  return new IngestBody(source, lines);
}

/**
 * Replaces Fastify's body parsers with those for ingest: JSON and NDJSON, both required to be
 * UTF-8. Any other content type (text/plain included) is answered 415.
 */
export function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const parse =
    (rows: (text: string) => IngestBody) =>
    (
      req: { headers: Record<string, unknown> },
      body: Buffer,
      done: (error: Error | null, value?: unknown) => void,
    ): void => {
      try {
        checkCharset(String(req.headers['content-type'] ?? ''));
        done(null, rows(decodeBody(body)));
      } catch (error) {
        done(error as Error, undefined);
      }
    };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parse(parseJsonRows));
  app.addContentTypeParser(
    ['application/x-ndjson', 'application/ndjson'],
    { parseAs: 'buffer' },
    parse(parseNdjsonRowsLazily),
  );
}

/** A charset other than UTF-8 in a Content-Type header is refused (415). */
export function checkCharset(contentType: string): void {
  const m = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType);
  if (m && !/^utf-?8$/i.test(m[1] ?? '')) {
    throw new RequestRefusal(415, `the charset ${JSON.stringify(m[1])} is not accepted`, {
      hint: 'send UTF-8 text, with charset=utf-8 or no charset',
    });
  }
}

/** The rows of a request's body, refused unless a body parser above produced them. */
export function ingestBody(body: unknown): IngestBody {
  if (body instanceof IngestBody) return body;
  throw new UsageError('the body must be a JSON array of rows or NDJSON (one row per line)', {
    hint: 'send Content-Type application/json or application/x-ndjson',
  });
}
