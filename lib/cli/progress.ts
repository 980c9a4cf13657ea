/**
 * A spinner with elapsed time for long steps (a migration converting a table, or
 * compressing chunks). One SQL statement reports no progress, so this shows time, not a
 * made-up percentage. The spinner redraws its line with escape codes, so it is drawn only
 * on a terminal that takes them; elsewhere (stderr piped, TERM=dumb, NO_COLOR set) each
 * step is one plain line. Silent with --json.
 */
export interface Progress {
  update(label: string): void;
  /** Erases the line so that a log line can be written; the next tick draws again. */
  clear(): void;
  stop(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ERASE_LINE = '\r\x1b[2K';

/**
 * Escape codes only for a terminal that is not TERM=dumb, and not when the user asked for
 * no colour (https://no-color.org: NO_COLOR set to anything but the empty string).
 */
export function drawsEscapeCodes(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  if (stream.isTTY !== true) return false;
  if (env['TERM'] === 'dumb') return false;
  return env['NO_COLOR'] === undefined || env['NO_COLOR'] === '';
}

const SILENT: Progress = { update: () => undefined, clear: () => undefined, stop: () => undefined };

function plainLines(stream: ProgressStream): Progress {
  let stopped = false;
  return {
    update(label) {
      if (!stopped) stream.write(`${label}\n`);
    },
    clear: () => undefined,
    stop() {
      stopped = true;
    },
  };
}

export function startProgress(
  stream: ProgressStream,
  enabled: boolean,
  now: () => number = Date.now,
  intervalMs = 100,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Progress {
  if (!enabled) return SILENT;
  if (!drawsEscapeCodes(stream, env)) return plainLines(stream);
  let label = '';
  let stopped = false;
  let since = now();
  let frame = 0;
  const draw = () => {
    if (stopped || label === '') return;
    const seconds = ((now() - since) / 1000).toFixed(1);
    stream.write(`${ERASE_LINE}${FRAMES[frame++ % FRAMES.length]} ${label} (${seconds} s)`);
  };
  const timer = setInterval(draw, intervalMs);
  timer.unref();
  return {
    update(next) {
      label = next;
      since = now();
      draw();
    },
    clear() {
      if (!stopped) stream.write(ERASE_LINE);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write(ERASE_LINE);
    },
  };
}
