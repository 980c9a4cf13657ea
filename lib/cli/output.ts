/** Printing: results on stdout (JSON with --json), progress and errors on stderr. */
import { PrismError } from '../errors.js';

export interface Output {
  readonly json: boolean;
  /** A result line (human mode only). */
  line(text: string): void;
  /** The whole result as JSON (json mode only). */
  result(value: unknown): void;
  /** Progress and notices; always stderr. */
  info(text: string): void;
}

export function createOutput(
  json: boolean,
  stdout = process.stdout,
  stderr = process.stderr,
): Output {
  return {
    json,
    line: (text) => {
      if (!json) stdout.write(`${text}\n`);
    },
    result: (value) => {
      if (json)
        stdout.write(
          `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
        );
    },
    info: (text) => stderr.write(`${text}\n`),
  };
}

/** One readable message for any failure; a stack only with PRISM_DEBUG=1. */
export function describeFailure(error: unknown): string {
  if (error instanceof PrismError) {
    return error.hint
      ? `error: ${error.message}\n  hint: ${error.hint}`
      : `error: ${error.message}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack =
    process.env['PRISM_DEBUG'] === '1' && error instanceof Error ? `\n${error.stack}` : '';
  return `error: ${message}${stack}\n  hint: this is unexpected; rerun with PRISM_DEBUG=1 for details and report it`;
}
