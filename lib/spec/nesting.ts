/**
 * How deeply the YAML text nests, measured on the parser's token tree before anything
 * recursive reads it. Building the document and converting it to plain values recurse
 * once per level, so thousands of nested `[` or mappings would exhaust the call stack;
 * such a spec is refused at the place where it passes MAX_NESTING instead.
 *
 * Flow collections (`[[[…`) are counted first on the lexer's tokens, which stops at the
 * first one too deep: a megabyte of `[` is refused at once, and the token tree, which
 * counts block and flow levels together, is built only for the text before it.
 */
import type { CST } from 'yaml';
import { Lexer, Parser } from 'yaml';

/** The deepest nesting of mappings and lists a spec may have; prism.yaml needs about 7. */
export const MAX_NESTING = 64;

export interface TooDeep {
  /** Offset of the mapping or list that is one level too deep. */
  readonly offset: number;
}

type Token = CST.Token;

function children(token: Token): Token[] {
  switch (token.type) {
    case 'document':
      return token.value === undefined ? [] : [token.value];
    case 'block-map':
    case 'block-seq':
    case 'flow-collection':
      return token.items.flatMap((item) => {
        const found: Token[] = [];
        if ('key' in item && item.key) found.push(item.key);
        if (item.value) found.push(item.value);
        return found;
      });
    default:
      return [];
  }
}

function isCollection(token: Token): boolean {
  return (
    token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection'
  );
}

/** The lexer's zero-width markers (document, flow end, scalar); every other token is source text. */
const MARKERS: ReadonlySet<string> = new Set(['\u0002', '\u0018', '\u001f']);

/** The first `[` or `{` nested more than `limit` flow collections deep. */
function tooDeepInFlow(text: string, limit: number): TooDeep | undefined {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      depth += 1;
      if (depth > limit) return { offset };
    } else if (token === ']' || token === '}') {
      depth = Math.max(0, depth - 1);
    }
    if (!MARKERS.has(token)) offset += token.length;
  }
  return undefined;
}

/**
 * The first mapping or list (in document order) nested deeper than `limit`, or undefined.
 * `onNewLine` receives line starts, e.g. a yaml LineCounter's `addNewLine`.
 */
export function findTooDeep(
  text: string,
  limit: number = MAX_NESTING,
  onNewLine?: (offset: number) => void,
): TooDeep | undefined {
  // Past a flow collection too deep, only the text up to it matters: the first level too
  // deep is at or before it, and the parser need not build the rest.
  const flow = tooDeepInFlow(text, limit);
  const source = flow === undefined ? text : text.slice(0, flow.offset + 1);
  let found: TooDeep | undefined;
  for (const top of new Parser(onNewLine).parse(source)) {
    if (found !== undefined) continue; // keep consuming, so every line start is reported
    const stack: { token: Token; depth: number }[] = [{ token: top, depth: 0 }];
    while (stack.length > 0 && found === undefined) {
      const { token, depth } = stack.pop() as { token: Token; depth: number };
      const level = isCollection(token) ? depth + 1 : depth;
      if (level > limit) {
        found = { offset: token.offset };
        break;
      }
      const next = children(token);
      for (let k = next.length - 1; k >= 0; k--)
        stack.push({ token: next[k] as Token, depth: level });
    }
  }
  return found ?? flow;
}
