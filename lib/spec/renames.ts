/**
 * Explicit renames: `renamed_from` on a model (its previous model name) or on a field (its
 * previous name in the same model). The migration generator trusts them and never guesses,
 * so each must be unambiguous: a different name, claimed once, and no longer present.
 */
import type { Finding, Path } from './findings.js';
import { duplicateError, relatedError, specError } from './findings.js';

export interface RenameItem {
  readonly name: string;
  readonly renamedFrom?: string | undefined;
  /** The path of the model's or field's mapping. */
  readonly path: Path;
}

export interface RenameScope {
  readonly kind: 'model' | 'field';
  /** Where the names live, for messages: "the spec", "model 'DataPoint'". */
  readonly within: string;
}

function selfRename(at: Path, old: string, kind: string): Finding {
  return specError(
    at,
    `renamed_from '${old}' is the ${kind}'s own name`,
    `remove renamed_from: '${old}' is the current name, so nothing is renamed`,
  );
}

function stillExists(item: RenameItem, old: string, existing: Path, scope: RenameScope): Finding {
  const { kind } = scope;
  return relatedError(
    [...item.path, 'renamed_from'],
    [...existing, 'name'],
    'at',
    `renamed_from '${old}' names a ${kind} that still exists in ${scope.within}`,
    `a rename means the old name is gone: remove ${kind} '${old}', or remove renamed_from if '${item.name}' is a new ${kind}. ` +
      `Remove renamed_from once the migration is generated; it may stay harmlessly after that only while no ${kind} is named '${old}'`,
  );
}

/** Problems with the `renamed_from` keys of sibling models, or of the fields of one model. */
export function renameFindings(items: readonly RenameItem[], scope: RenameScope): Finding[] {
  const byName = new Map<string, Path>();
  for (const item of items) if (!byName.has(item.name)) byName.set(item.name, item.path);
  const claimed = new Map<string, Path>();
  const findings: Finding[] = [];
  for (const item of items) {
    const old = item.renamedFrom;
    if (old === undefined) continue;
    const at: Path = [...item.path, 'renamed_from'];
    if (old === item.name) {
      findings.push(selfRename(at, old, scope.kind));
      continue;
    }
    const first = claimed.get(old);
    if (first === undefined) claimed.set(old, at);
    else
      findings.push(
        duplicateError(
          at,
          first,
          `duplicate renamed_from '${old}'`,
          `only one ${scope.kind} can be renamed from '${old}'; remove renamed_from from the other`,
        ),
      );
    const existing = byName.get(old);
    if (existing !== undefined) findings.push(stillExists(item, old, existing, scope));
  }
  return findings;
}
