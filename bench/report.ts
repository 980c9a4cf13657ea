/** The bench's log, timing and result table. */

export const t0 = Date.now();
export function log(line: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${s}s] ${line}\n`);
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

export interface Result {
  readonly database: string;
  readonly benchmark: string;
  readonly variant: string;
  readonly ms: number;
  readonly rows?: number | undefined;
  /** Throughput (rows/s) for ingest. */
  readonly rate?: number | undefined;
  /** Time relative to the group's baseline: above 1 is slower than the baseline. */
  ratio: number;
  baseline: boolean;
  readonly note?: string | undefined;
}

export const results: Result[] = [];

export function record(group: Result[], baselineVariant: string): void {
  const base = group.find((r) => r.variant === baselineVariant);
  if (!base) throw new Error(`no baseline ${baselineVariant}`);
  for (const r of group) {
    r.ratio = r.ms / base.ms;
    r.baseline = r === base;
    results.push(r);
    const extra = r.rate !== undefined ? `, ${fmtInt(r.rate)} rows/s` : '';
    log(`  ${r.variant.padEnd(40)} ${fmtMs(r.ms).padStart(10)}${extra}  (${fmtRatio(r.ratio)})`);
  }
}
