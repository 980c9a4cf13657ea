/**
 * Rows as `COPY … FROM STDIN` text: one line per row, values separated by tabs, each value
 * the text PostgreSQL's input function of its column takes (as fieldValue gives it: the
 * same text the unnest path sends as an array element) with COPY's escapes, NULL as `\N`.
 */
import { Readable } from 'node:stream';

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/**
 * One value in COPY's text format. A checked value is null, text, a number or a boolean;
 * numbers and booleans become text as `pg` sends them (String()). Left out (undefined) is
 * NULL, as the unnest path sends it.
 */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value as number | boolean);
  const text = value;
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPED, (c) => ESCAPES[c] as string) : text;
}

/** One row's line: the values at `columns` (indexes into `values`), ending in a newline. */
export function copyLine(values: readonly unknown[], columns: readonly number[]): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += '\t';
    line += copyValue(values[columns[i] as number]);
  }
  return `${line}\n`;
}

/** About this many bytes of text per chunk: large enough to be cheap, small enough to overlap. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The lines of `count` rows as a stream of chunks, made only when the reader asks, so that
 * making the next chunk overlaps with the server taking the last. `line(i)` gives row i's
 * line or throws; the stream then fails with that error.
 */
export function copyStream(count: number, line: (index: number) => string): Readable {
  let at = 0;
  return new Readable({
    read() {
      try {
        let text = '';
        while (at < count && text.length < CHUNK_CHARS) text += line(at++);
        if (text !== '') this.push(Buffer.from(text, 'utf8'));
        if (at >= count) this.push(null);
      } catch (error) {
        this.destroy(error as Error);
      }
    },
  });
}
