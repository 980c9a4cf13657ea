/** Human names for places in the document, so messages say "field 'value'", not "fields[3]". */
import type { Path } from './findings.js';
import { pathText } from './findings.js';

export function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

function nameOf(root: unknown, path: Path): string | undefined {
  const name = valueAt(root, [...path, 'name']);
  return typeof name === 'string' ? name : undefined;
}

/** What the mapping at `path` is: "model 'DataPoint'", "field 'value'", "'compression'". */
export function objectNoun(root: unknown, path: Path): string {
  if (path.length === 0) return 'the top level';
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (typeof last === 'number') {
    const name = nameOf(root, path);
    const kind =
      parent === 'models'
        ? 'model'
        : parent === 'fields'
          ? 'field'
          : parent === 'indexes'
            ? 'index'
            : parent === 'aggregates'
              ? 'aggregate'
              : 'item';
    return name === undefined ? `${kind} ${pathText(path)}` : `${kind} '${name}'`;
  }
  const owner = path.findLastIndex((part) => typeof part === 'number');
  if (owner < 0) return `'${pathText(path)}'`;
  return `'${path.slice(owner + 1).join('.')}' of ${objectNoun(root, path.slice(0, owner + 1))}`;
}

/** What an identifier at `path` names: "model name", "field name", "column name", … */
export function identifierNoun(path: Path): string {
  const last = path[path.length - 1];
  const owner = path[path.length - 3];
  if (last === 'table') return 'table name';
  if (last === 'schema' && owner === 'models') return 'schema name';
  if (last === 'renamed_from')
    return owner === 'models' ? 'model name in renamed_from' : 'field name in renamed_from';
  if (last === 'from') return 'aggregate name in from';
  if (last === 'name') {
    if (owner === 'aggregates') return 'aggregate name';
    return owner === 'models' ? 'model name' : owner === 'indexes' ? 'index name' : 'field name';
  }
  return 'column name';
}

/** `"text"`, `123`, `a list`… for "got …" in messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
