/**
 * Typed failures. Every error the CLI can meet is one of these; the CLI maps `exitCode`
 * to the process exit code and prints `message` (plus `hint`) without a stack trace.
 */

export const ExitCode = Object.freeze({
  ok: 0,
  checkFailed: 1,
  badInput: 2,
  database: 3,
} as const);
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class PrismError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** One problem at one place in a spec file. */
export interface SpecIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly hint?: string | undefined;
}

export function formatSpecIssue(issue: SpecIssue): string {
  const head = `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`;
  return issue.hint ? `${head}\n  hint: ${issue.hint}` : head;
}

/** prism.yaml is malformed or inconsistent; carries every problem found, each with its place. */
export class SpecError extends PrismError {
  readonly exitCode = ExitCode.badInput;
  readonly issues: readonly SpecIssue[];

  constructor(issues: readonly SpecIssue[]) {
    super(issues.map(formatSpecIssue).join('\n'));
    this.issues = Object.freeze([...issues]);
  }
}

/** A flag, argument or operation option is invalid. */
export class UsageError extends PrismError {
  readonly exitCode = ExitCode.badInput;
}

/** The database refused something, could not be reached, or is owned by another process. */
export class DatabaseError extends PrismError {
  readonly exitCode = ExitCode.database;
}

/** A check found a difference or a safety rule refused to go on. */
export class CheckFailedError extends PrismError {
  readonly exitCode = ExitCode.checkFailed;
}

/**
 * The API has more database work than it takes: a request found the queue full or waited
 * too long for a session. The API answers 503 with `Retry-After`.
 */
export class OverloadedError extends DatabaseError {
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { hint?: string | undefined; retryAfterSeconds: number }) {
    super(message, { hint: options.hint });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
