/** The bench's data: one year of readings, row i a pure function of i, and COPY into a table. */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Model, Spec } from '../lib/spec/types.js';

export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;
/** The data covers [START, END): 365 days. */
export const END = Date.UTC(2026, 0, 1);
export const START = END - 365 * DAY;
export const SOURCES = 10;
export const LATEST_SOURCES = 1_000;
export const SEED = 0x5eed;

// ---------------------------------------------------------------------------------------
// Deterministic data: row i is a pure function of i (and the seed), so every method gets
// exactly the same rows without holding them all in memory.

export function hash(i: number, salt: number): number {
  let x = Math.imul(i ^ SEED, 0x9e3779b1) ^ salt;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

export interface DataSet {
  readonly sources: number;
  readonly stepMinutes: number;
  readonly start: number;
  readonly rows: number;
  readonly sourceName: (s: number) => string;
}

export function dataSet(sources: number, stepMinutes: number, start: number, end: number): DataSet {
  const width = String(sources - 1).length;
  return {
    sources,
    stepMinutes,
    start,
    rows: Math.floor((end - start) / (stepMinutes * MINUTE)) * sources,
    sourceName: (s) => `s${String(s).padStart(width, '0')}`,
  };
}

export function rowAt(d: DataSet, i: number): { time: number; source: string; value: number } {
  const s = i % d.sources;
  const step = Math.floor(i / d.sources);
  const time = d.start + step * d.stepMinutes * MINUTE;
  const daily = Math.sin((2 * Math.PI * (time % DAY)) / DAY);
  const value = Math.round((20 + s + 8 * daily + 4 * hash(i, 0x1234)) * 1000) / 1000;
  return { time, source: d.sourceName(s), value };
}

export function copyText(d: DataSet, from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    const r = rowAt(d, i);
    lines.push(`${new Date(r.time).toISOString()}\t${r.source}\t${r.value}\n`);
  }
  return lines.join('');
}

export async function count(client: pg.ClientBase, table: string, where = 'true'): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${table} WHERE ${where}`,
  );
  return Number(rows[0]?.n);
}

export async function copyIn(
  client: pg.ClientBase,
  table: string,
  d: DataSet,
  from: number,
  to: number,
) {
  const CHUNK = 20_000;
  let at = from;
  const source = new Readable({
    read() {
      if (at >= to) {
        this.push(null);
        return;
      }
      const next = Math.min(to, at + CHUNK);
      this.push(copyText(d, at, next));
      at = next;
    },
  });
  const sink = client.query(copyFrom(`COPY ${table} ("time", "source", "value") FROM STDIN`));
  await pipeline(source, sink);
}

/** COPY of rows already rendered as text (the timed ingest: no generation inside). */
export async function copyBuffers(client: pg.ClientBase, table: string, chunks: readonly string[]) {
  const sink = client.query(copyFrom(`COPY ${table} ("time", "source", "value") FROM STDIN`));
  await pipeline(Readable.from(chunks), sink);
}

/** The model of bench.yaml named `name`. */
export function modelOf(spec: Spec, name: string): Model {
  const m = spec.models.find((x) => x.name === name);
  if (!m) throw new Error(`bench.yaml has no model ${name}`);
  return m;
}
