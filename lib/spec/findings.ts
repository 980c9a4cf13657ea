/**
 * Problems found while checking a spec, addressed by their path in the YAML document
 * (`['models', 0, 'fields', 2, 'type']`); load.ts turns paths into line:column.
 */
export type Path = readonly (string | number)[];

export type Severity = 'error' | 'warning' | 'adjustment';

export interface Finding {
  readonly severity: Severity;
  readonly path: Path;
  /** 'key' points at the key of the last path element (unknown keys), 'value' at its value. */
  readonly at: 'key' | 'value';
  readonly message: string;
  readonly hint?: string | undefined;
  /** For duplicates: where the first one is, so the message can name its line. */
  readonly firstAt?: Path | undefined;
  /** How the message names `firstAt`'s position; 'first at' unless given. */
  readonly firstAtLabel?: string | undefined;
}

export function specError(
  path: Path,
  message: string,
  hint?: string,
  at: 'key' | 'value' = 'value',
): Finding {
  return Object.freeze({ severity: 'error', path, at, message, hint });
}

export function specWarning(path: Path, message: string, at: 'key' | 'value' = 'value'): Finding {
  return Object.freeze({ severity: 'warning', path, at, message });
}

export function specAdjustment(path: Path, message: string, at: 'key' | 'value' = 'key'): Finding {
  return Object.freeze({ severity: 'adjustment', path, at, message });
}

/** A second use of a name that must be unique; points at the second, names the first. */
export function duplicateError(path: Path, firstAt: Path, message: string, hint: string): Finding {
  return Object.freeze({ severity: 'error', path, at: 'value', message, hint, firstAt });
}

/** An error about the value at `path` that involves another place, named as `label` line:column. */
export function relatedError(
  path: Path,
  relatedAt: Path,
  label: string,
  message: string,
  hint: string,
): Finding {
  return Object.freeze({
    severity: 'error',
    path,
    at: 'value',
    message,
    hint,
    firstAt: relatedAt,
    firstAtLabel: label,
  });
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** `models[0].fields[2].type`, for messages that have no better subject. */
export function pathText(path: Path): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out === '' ? 'the document' : out;
}
