/** Finds the YAML node for a document path, to report line and column (1-based). */
import type { Document, LineCounter, Node } from 'yaml';
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Path } from './findings.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

interface Step {
  readonly key: Node | undefined;
  readonly value: Node | undefined;
}

function resolve(node: unknown, doc: Document): Node | undefined {
  if (isAlias(node)) return node.resolve(doc) as Node | undefined;
  return node === null || node === undefined ? undefined : (node as Node);
}

function step(node: Node | undefined, part: string | number, doc: Document): Step | undefined {
  const target = resolve(node, doc);
  if (isMap(target)) {
    const pair = target.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
    return pair === undefined
      ? undefined
      : { key: pair.key as Node, value: pair.value as Node | undefined };
  }
  if (isSeq(target) && typeof part === 'number') {
    const item = target.items[part] as Node | undefined;
    return item === undefined ? undefined : { key: undefined, value: item };
  }
  return undefined;
}

/** An empty value (`fields:`) has a zero-width node just after the colon: report the key. */
function isEmpty(node: Node | undefined): boolean {
  return (
    node === undefined ||
    (isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1])
  );
}

/**
 * The node at `path`: its key node for at='key', else its value node. Where the path runs
 * out (a missing key), the deepest node found, i.e. the mapping that lacks the key.
 */
export function nodeAt(doc: Document, path: Path, at: 'key' | 'value'): Node | undefined {
  let current: Step = { key: undefined, value: doc.contents ?? undefined };
  for (const part of path) {
    const next = step(current.value, part, doc);
    if (next === undefined) return current.value ?? current.key;
    current = next;
  }
  if (at === 'key' && current.key !== undefined) return current.key;
  return isEmpty(current.value) ? (current.key ?? current.value) : current.value;
}

export function positionAt(
  doc: Document,
  lines: LineCounter,
  path: Path,
  at: 'key' | 'value',
): Position {
  const offset = nodeAt(doc, path, at)?.range?.[0];
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}
