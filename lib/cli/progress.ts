/**
 * A spinner with elapsed time for long steps (a migration converting a table, or
 * compressing chunks). One SQL statement reports no progress, so this shows time, not a
 * made-up percentage. Only on a terminal; silent with --json or when stderr is piped.
 */
export interface Progress {
  update(label: string): void;
  /** Erases the line so that a log line can be written; the next tick draws again. */
  clear(): void;
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function startProgress(
  stream: { isTTY?: boolean; write(text: string): unknown },
  enabled: boolean,
  now: () => number = Date.now,
  intervalMs = 100,
): Progress {
  if (!enabled || !stream.isTTY) {
    return { update: () => undefined, clear: () => undefined, stop: () => undefined };
  }
  let label = '';
  let stopped = false;
  let since = now();
  let frame = 0;
  const draw = () => {
    if (stopped || label === '') return;
    const seconds = ((now() - since) / 1000).toFixed(1);
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label} (${seconds} s)`);
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
      if (!stopped) stream.write('\r\x1b[2K');
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
