/**
 * Durations given on the command line, such as `--lock-timeout`: `0`, a number with a
 * short unit (`500ms`, `30s`, `10m`, `1h`), or the interval grammar (`10 minutes`).
 */
import { UsageError } from '../errors.js';
import { parseInterval } from '../sql/interval.js';

const SHORT_UNITS: Readonly<Record<string, number>> = Object.freeze({
  ms: 1,
  s: 1_000,
  sec: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
});

/** Longer than any wait a command would want (and than PostgreSQL's lock_timeout allows). */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** Milliseconds; a UsageError naming the accepted forms otherwise. */
export function parseDuration(input: string, what = 'duration'): number {
  const text = input.trim();
  const short = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)$/i.exec(text);
  let ms: number | undefined;
  if (text === '0') ms = 0;
  else if (short) ms = Math.round(Number(short[1]) * (SHORT_UNITS[short[2]!.toLowerCase()] ?? 0));
  else {
    const interval = parseInterval(text);
    if (interval.ok) ms = Number(interval.interval.micros / 1000n);
  }
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new UsageError(`invalid ${what} ${JSON.stringify(input)}`, {
      hint: "write it as 0, 500ms, 30s, 10m or 1h (or '10 minutes')",
    });
  }
  if (ms > MAX_DURATION_MS) {
    throw new UsageError(`${what} ${JSON.stringify(input)} is longer than 24 hours`, {
      hint: 'use a shorter duration',
    });
  }
  return ms;
}

/** `1.5 s`, `10 min`: for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${Number((ms / 1_000).toFixed(1))} s`;
  if (ms < 7_200_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
}
