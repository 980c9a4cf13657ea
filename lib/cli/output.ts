/**
 * Printing: results on stdout, progress and errors on stderr. With --json, stdout holds one
 * JSON document per command: its result, or `{ formatVersion, error }` when it failed before
 * it had one (spec/cli/*.schema.json). Readable errors stay on stderr either way.
 */
import { CommanderError } from 'commander';
import { PrismError, SpecError, type ErrorCode } from '../errors.js';

/** The version of every `--json` document; raised only when a field changes meaning or goes. */
export const FORMAT_VERSION = 1;

export interface Output {
  readonly json: boolean;
  /** A result line (human mode only). */
  line(text: string): void;
  /**
   * The command's result (json mode only), written when the command ends; if the command
   * then fails (a failed check, a failed job), the error is added to the same document.
   */
  result(value: object): void;
  /** Writes the result now, for a command that keeps running once it is ready. */
  flush(): void;
  /** Progress and notices; always stderr. */
  info(text: string): void;
  /** Ends the command: writes its result, or says why it failed. */
  finish(error?: unknown): void;
}

export interface JsonLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface JsonIssue extends JsonLocation {
  readonly message: string;
  readonly hint: string | null;
}

/** The `error` of a `--json` document. */
export interface JsonError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint: string | null;
  /** Where a spec error is (its first issue); null for other errors. */
  readonly location: JsonLocation | null;
  /** Every problem found in the spec; empty for other errors. */
  readonly issues: readonly JsonIssue[];
}

const UNEXPECTED_HINT = 'this is unexpected; rerun with PRISM_DEBUG=1 for details and report it';

const USAGE_HINT = 'see `prism-migrate --help`, or `prism-migrate <command> --help`';

/** Commander's own failures: an unknown option or command, a missing or invalid argument. */
function isUsageFailure(error: unknown): error is CommanderError {
  return error instanceof CommanderError;
}

/** Any failure as the `error` of a `--json` document. */
export function jsonError(error: unknown): JsonError {
  if (isUsageFailure(error)) {
    return {
      code: 'usage',
      message: error.message.replace(/^error: /, ''),
      hint: USAGE_HINT,
      location: null,
      issues: [],
    };
  }
  if (error instanceof SpecError) {
    const issues = error.issues.map((i) => ({
      file: i.file,
      line: i.line,
      column: i.column,
      message: i.message,
      hint: i.hint ?? null,
    }));
    const first = issues[0];
    if (first === undefined) {
      return { code: error.code, message: error.message, hint: null, location: null, issues };
    }
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    return {
      code: error.code,
      message: `${first.file}:${first.line}:${first.column}: ${first.message}${more}`,
      hint: first.hint,
      location: { file: first.file, line: first.line, column: first.column },
      issues,
    };
  }
  if (error instanceof PrismError) {
    return {
      code: error.code,
      message: error.message,
      hint: error.hint ?? null,
      location: null,
      issues: [],
    };
  }
  return {
    code: 'internal',
    message: error instanceof Error ? error.message : String(error),
    hint: UNEXPECTED_HINT,
    location: null,
    issues: [],
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
  return `error: ${message}${stack}\n  hint: ${UNEXPECTED_HINT}`;
}

function serialize(document: object): string {
  return `${JSON.stringify(document, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

export function createOutput(
  json: boolean,
  stdout: { write(text: string): unknown } = process.stdout,
  stderr: { write(text: string): unknown } = process.stderr,
): Output {
  let pending: object | undefined;
  let written = false;
  const write = (document: object) => {
    written = true;
    stdout.write(serialize({ formatVersion: FORMAT_VERSION, ...document }));
  };
  const flush = () => {
    if (json && !written && pending !== undefined) write(pending);
  };
  return {
    json,
    line: (text) => {
      if (!json) stdout.write(`${text}\n`);
    },
    result: (value) => {
      if (json) pending = value;
    },
    flush,
    info: (text) => stderr.write(`${text}\n`),
    finish: (error) => {
      if (error === undefined) {
        flush();
        return;
      }
      // Commander has printed its own message already.
      if (!isUsageFailure(error)) stderr.write(`${describeFailure(error)}\n`);
      // A document already written (a server that was ready) is not followed by another.
      if (json && !written) write({ ...pending, error: jsonError(error) });
    },
  };
}
