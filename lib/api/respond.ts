/**
 * Large answers written in slices: `{"data":[…],"meta":{…}}` for many rows is built a
 * slice of rows at a time, yielding to the event loop between slices, so that one answer
 * of 100,000 buckets (about 10 MB of JSON) never holds the process for long and /health
 * and other requests are answered meanwhile. Small answers go out as one JSON body.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Row } from '../query/repository.js';

/** Rows per slice: a few milliseconds of JSON.stringify. */
export const SLICE_ROWS = 1_000;

type Serialize = (rows: readonly Row[]) => Row[];

async function* pieces(
  rows: readonly Row[],
  meta: unknown,
  serialize: Serialize,
): AsyncGenerator<string> {
  yield '{"data":[';
  for (let at = 0; at < rows.length; at += SLICE_ROWS) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve));
    const slice = serialize(rows.slice(at, at + SLICE_ROWS));
    yield (at > 0 ? ',' : '') + slice.map((row) => JSON.stringify(row)).join(',');
  }
  yield `],"meta":${JSON.stringify(meta)}}`;
}

/** `{ data: serialize(rows), meta }`, streamed in slices when there are many rows. */
export function sendRows(
  reply: FastifyReply,
  rows: readonly Row[],
  meta: Record<string, unknown>,
  serialize: Serialize,
): FastifyReply {
  if (rows.length <= SLICE_ROWS) return reply.send({ data: serialize(rows), meta });
  return reply
    .type('application/json; charset=utf-8')
    .send(Readable.from(pieces(rows, meta, serialize), { objectMode: false }));
}
