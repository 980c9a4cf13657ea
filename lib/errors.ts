/**
 * Typed failures. Every error the CLI can meet is one of these; the CLI maps `exitCode`
 * to the process exit code and prints `message` (plus `hint`) without a stack trace.
 */

export const ExitCode = Object.freeze({
  ok: 0,
  checkFailed: 1,
  badInput: 2,
  database: 3,
  aggregateRefresh: 4,
} as const);
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The stable names of failures: `error.code` of `--json` output. Each class has its own;
 * a throw site may name a narrower one (a data-loss refusal is a failed check).
 */
export const ERROR_CODES = Object.freeze([
  'spec-invalid',
  'usage',
  'database',
  'migration-failed',
  'lock-timeout',
  'check-failed',
  'data-loss',
  'aggregate-refresh-failed',
  'internal',
] as const);
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface PrismErrorOptions {
  readonly hint?: string | undefined;
  readonly cause?: unknown;
  /** Narrower than the class's own code. */
  readonly code?: ErrorCode | undefined;
}

export abstract class PrismError extends Error {
  /** The code of every error of this class (subclasses override it). */
  static readonly code: ErrorCode = 'internal';
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly code: ErrorCode;

  constructor(message: string, options: PrismErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.code = options.code ?? (new.target as unknown as { readonly code: ErrorCode }).code;
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
  static override readonly code: ErrorCode = 'spec-invalid';
  readonly exitCode = ExitCode.badInput;
  readonly issues: readonly SpecIssue[];

  constructor(issues: readonly SpecIssue[]) {
    super(issues.map(formatSpecIssue).join('\n'));
    this.issues = Object.freeze([...issues]);
  }
}

/** A flag, argument or operation option is invalid. */
export class UsageError extends PrismError {
  static override readonly code: ErrorCode = 'usage';
  readonly exitCode = ExitCode.badInput;
}

/** The database refused something, could not be reached, or is owned by another process. */
export class DatabaseError extends PrismError {
  static override readonly code: ErrorCode = 'database';
  readonly exitCode = ExitCode.database;
}

/** A check found a difference or a safety rule refused to go on. */
export class CheckFailedError extends PrismError {
  static override readonly code: ErrorCode = 'check-failed';
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

/**
 * Migrations committed, but filling an aggregate they created failed: it exists, empty.
 * Its own exit code: nothing needs rolling back, only the refresh needs running again.
 */
export class AggregateRefreshError extends PrismError {
  static override readonly code: ErrorCode = 'aggregate-refresh-failed';
  readonly exitCode = ExitCode.aggregateRefresh;
}

/** What a file-system error code means, for a path the user gave. */
const FILE_SYSTEM_REASONS: Readonly<Record<string, string>> = Object.freeze({
  ENOENT: 'no such file or directory',
  ENOTDIR: 'it, or a folder on its path, is a file, not a directory',
  EEXIST: 'a file is in the way of a directory',
  EISDIR: 'it is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'the name is too long',
});

/** What the failed call was doing, by its name. */
const FILE_SYSTEM_CALLS: Readonly<Record<string, string>> = Object.freeze({
  access: 'access',
  copyfile: 'copy',
  lstat: 'read',
  mkdir: 'create the directory',
  open: 'open',
  opendir: 'read the directory',
  read: 'read',
  rename: 'rename',
  rmdir: 'remove the directory',
  scandir: 'read the directory',
  stat: 'read',
  unlink: 'remove',
  write: 'write',
});

/**
 * A file-system failure on a path the command was given (`--migrations-dir` naming a file,
 * `types --out` under one, a folder without write permission) as the bad input it is,
 * naming the path; undefined for anything else.
 */
export function fileSystemFailure(error: unknown): UsageError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  const reason = code === undefined ? undefined : FILE_SYSTEM_REASONS[code];
  const doing = syscall === undefined ? undefined : FILE_SYSTEM_CALLS[syscall];
  if (reason === undefined || path === undefined || doing === undefined) return undefined;
  return new UsageError(`cannot ${doing} ${path}: ${reason} (${code})`, {
    hint: 'check the paths given (--spec, --migrations-dir, --config, --env-path, --out) and their permissions',
    cause: error,
  });
}
