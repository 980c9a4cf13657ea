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
 * Chunks made between turns of the event loop. Over a local socket every write is taken at
 * once, so the stream would otherwise make all its chunks without a turn: no timer would
 * fire, and the server's error (a duplicate key at row 10) would be read only after the
 * last row was made and sent.
 */
const CHUNKS_PER_TURN = 4;

/**
 * The lines of `count` rows as a stream of chunks, made only when the reader asks, so that
 * making the next chunk overlaps with the server taking the last. `line(i)` gives row i's
 * line or throws; the stream then fails with that error. Every CHUNKS_PER_TURN chunks it
 * lets the event loop turn; once the stream is destroyed (the COPY failed) it makes no more.
 */
export function copyStream(count: number, line: (index: number) => string): Readable {
  let at = 0;
  let chunks = 0;
  const produce = (stream: Readable): void => {
    if (stream.destroyed) return;
    try {
      let text = '';
      while (at < count && text.length < CHUNK_CHARS) text += line(at++);
      if (text !== '') stream.push(Buffer.from(text, 'utf8'));
      if (at >= count) stream.push(null);
    } catch (error) {
      stream.destroy(error as Error);
    }
  };
  return new Readable({
    read() {
      chunks += 1;
      if (chunks % CHUNKS_PER_TURN === 0) setImmediate(produce, this);
      else produce(this);
    },
  });
}
