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

/**
 * What a row is held to. `throughput`: its rows/s over the baseline's at least `bound`;
 * `time`: its time over the baseline's at most `bound`; `figure`: a figure of its own
 * (`value`, a compression ratio say) at least `bound`. `of` names what it is compared with.
 */
export interface Goal {
  readonly kind: 'throughput' | 'time' | 'figure';
  readonly bound: number;
  readonly of: string;
  readonly value?: number | undefined;
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
  readonly target?: Goal | undefined;
}

export interface Verdict {
  /** The figure held to the target (a ratio). */
  readonly figure: number;
  readonly met: boolean;
  /** How far the figure is from the bound; 0 when met. */
  readonly gap: number;
  /** As printed: `≥ 0.90× COPY: 0.93× ✓` or `≥ 0.90× COPY: 0.71× — gap 0.19×`. */
  readonly text: string;
}

/** The row's target against its figures (after `record` set its ratio); undefined without one. */
export function verdict(r: Result): Verdict | undefined {
  const goal = r.target;
  if (goal === undefined) return undefined;
  const { bound } = goal;
  const atLeast = goal.kind !== 'time';
  const figure =
    goal.kind === 'throughput'
      ? r.ratio > 0
        ? 1 / r.ratio
        : 0
      : goal.kind === 'time'
        ? r.ratio
        : (goal.value ?? 0);
  const met = atLeast ? figure >= bound : figure <= bound;
  const gap = met ? 0 : Math.abs(figure - bound);
  // A whole bound reads as stated (≥ 10×), a fractional one with its decimals (≥ 0.90×).
  const stated = Number.isInteger(bound) ? `${bound}×` : fmtRatio(bound);
  const head = `${atLeast ? '≥' : '≤'} ${stated} ${goal.of}: ${fmtRatio(figure)}`;
  return { figure, met, gap, text: met ? `${head} ✓` : `${head} — gap ${fmtRatio(gap)}` };
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
    const target = verdict(r);
    log(
      `  ${r.variant.padEnd(40)} ${fmtMs(r.ms).padStart(10)}${extra}  (${fmtRatio(r.ratio)})${target ? `  target ${target.text}` : ''}`,
    );
  }
}

/** The results as a Markdown table, one row each, in the order recorded. */
export function resultTable(rows: readonly Result[]): string[] {
  return [
    '| Database | Benchmark | Variant | Time | Rows/s | Time vs baseline | Target |',
    '| --- | --- | --- | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.database} | ${r.benchmark} | ${r.variant}${r.note ? ` (${r.note})` : ''} | ${fmtMs(r.ms)} | ${r.rate !== undefined ? fmtInt(r.rate) : ''} | ${r.baseline ? 'baseline' : fmtRatio(r.ratio)} | ${verdict(r)?.text ?? ''} |`,
    ),
  ];
}

/** Bytes as MiB or GiB, for sizes in labels. */
export function fmtBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 10).toFixed(0)} KiB`;
}
