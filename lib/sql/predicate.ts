/**
 * The partial-index predicate grammar (`where:` of an index): comparisons of a column with
 * literals, IS [NOT] NULL, [NOT] IN (…), a bare boolean column, AND/OR/NOT and parentheses.
 * Nothing else: no functions, no operators between columns, no casts, no subqueries. The
 * text is parsed into data and printed again, identifiers quoted and literals escaped, so
 * no spec text reaches SQL as written.
 *
 * The `catalog` dialect also reads what PostgreSQL prints for such a predicate
 * (`pg_get_expr`): casts (`'on'::text`, `(name)::text`), `= ANY (ARRAY[…])` for IN and
 * `<> ALL (ARRAY[…])` for NOT IN, quoted identifiers. Both dialects give the same
 * normalized data, so a spec's `where` and the database's predicate compare as text.
 */
import { quoteIdent, quoteLiteral } from './quote.js';

export type PredicateLiteral =
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean };

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Predicate =
  | { readonly kind: 'and' | 'or'; readonly items: readonly Predicate[] }
  | { readonly kind: 'not'; readonly item: Predicate }
  | {
      readonly kind: 'compare';
      readonly column: string;
      readonly op: ComparisonOperator;
      readonly value: PredicateLiteral;
    }
  | { readonly kind: 'null'; readonly column: string; readonly negated: boolean }
  | {
      readonly kind: 'in';
      readonly column: string;
      readonly values: readonly PredicateLiteral[];
      readonly negated: boolean;
    }
  | { readonly kind: 'column'; readonly column: string };

export const PREDICATE_HINT =
  "allowed: <field> = | <> | < | <= | > | >= <literal>, <field> IS [NOT] NULL, <field> [NOT] IN (<literal>, …), a boolean <field>, combined with AND, OR, NOT and parentheses; literals are numbers, 'single-quoted strings' (quote doubled inside), true and false";

export type PredicateParse =
  | { readonly ok: true; readonly predicate: Predicate }
  | { readonly ok: false; readonly reason: string };

type Dialect = 'spec' | 'catalog';

type Token =
  | { readonly t: 'ident'; readonly v: string; readonly quoted: boolean; readonly at: number }
  | { readonly t: 'number'; readonly v: string; readonly at: number }
  | { readonly t: 'string'; readonly v: string; readonly at: number }
  | { readonly t: 'op'; readonly v: string; readonly at: number }
  | { readonly t: 'end'; readonly at: number };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'NULL', 'IN', 'TRUE', 'FALSE', 'ANY', 'ALL']);
const MAX_LENGTH = 4000;
const MAX_DEPTH = 32;

class ParseError extends Error {}

function tokenize(text: string, dialect: Dialect): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new ParseError(`${what} at character ${i + 1}`);
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const at = i;
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'ident', v: m[0], quoted: false, at });
      i += m[0].length;
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)/.exec(text.slice(i)) as RegExpExecArray;
      i += m[0].length;
      if (/[A-Za-z_.]/.test(text[i] ?? ''))
        fail(`unexpected ${JSON.stringify(text[i])} after a number`);
      tokens.push({ t: 'number', v: m[0], at });
    } else if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated string');
        const c = text[i] as string;
        if (c === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        const code = c.charCodeAt(0);
        if (code === 0 || (dialect === 'spec' && (code < 0x20 || code === 0x7f))) {
          fail('a control character in a string');
        }
        value += c;
        i++;
      }
      tokens.push({ t: 'string', v: value, at });
    } else if (ch === '"' && dialect === 'catalog') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated quoted name');
        const c = text[i] as string;
        if (c === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      tokens.push({ t: 'ident', v: value, quoted: true, at });
    } else {
      const two = text.slice(i, i + 2);
      if (['<>', '!=', '<=', '>='].includes(two) || (dialect === 'catalog' && two === '::')) {
        tokens.push({ t: 'op', v: two, at });
        i += 2;
      } else if ('=<>(),-'.includes(ch) || (dialect === 'catalog' && '[]'.includes(ch))) {
        tokens.push({ t: 'op', v: ch, at });
        i++;
      } else {
        fail(`${JSON.stringify(ch)} is not allowed`);
      }
    }
  }
  tokens.push({ t: 'end', at: text.length });
  return tokens;
}

const NUMERIC_TYPES = new Set([
  'integer',
  'bigint',
  'smallint',
  'numeric',
  'real',
  'double precision',
]);

/** `1.50` → `1.5`, `007` → `7`, `-0` → `0`: numbers compared by value. */
function canonicalNumber(text: string): string {
  const negative = text.startsWith('-');
  let body = negative ? text.slice(1) : text;
  if (body.startsWith('.')) body = `0${body}`;
  let [int = '0', frac = ''] = body.split('.');
  int = int.replace(/^0+(?=[0-9])/, '');
  frac = frac.replace(/0+$/, '');
  const abs = frac === '' ? int : `${int}.${frac}`;
  return negative && abs !== '0' ? `-${abs}` : abs;
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly dialect: Dialect,
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const tok = this.peek();
    if (tok.t !== 'end') this.pos++;
    return tok;
  }

  private isWord(tok: Token, word: string): boolean {
    return tok.t === 'ident' && !tok.quoted && tok.v.toUpperCase() === word;
  }

  private isOp(tok: Token, op: string): boolean {
    return tok.t === 'op' && tok.v === op;
  }

  private fail(tok: Token, expected: string): never {
    const found =
      tok.t === 'end' ? 'the end' : tok.t === 'string' ? `'${tok.v}'` : JSON.stringify(tok.v);
    throw new ParseError(`expected ${expected} at character ${tok.at + 1}, found ${found}`);
  }

  private expectOp(op: string): void {
    const tok = this.next();
    if (!this.isOp(tok, op)) this.fail(tok, `"${op}"`);
  }

  parse(): Predicate {
    const p = this.or();
    const tok = this.peek();
    if (tok.t !== 'end') this.fail(tok, 'AND, OR or the end');
    return p;
  }

  private or(): Predicate {
    if (++this.depth > MAX_DEPTH) throw new ParseError('the expression is nested too deeply');
    const items = [this.and()];
    while (this.isWord(this.peek(), 'OR')) {
      this.next();
      items.push(this.and());
    }
    this.depth--;
    return items.length === 1 ? (items[0] as Predicate) : { kind: 'or', items };
  }

  private and(): Predicate {
    const items = [this.not()];
    while (this.isWord(this.peek(), 'AND')) {
      this.next();
      items.push(this.not());
    }
    return items.length === 1 ? (items[0] as Predicate) : { kind: 'and', items };
  }

  private not(): Predicate {
    if (this.isWord(this.peek(), 'NOT')) {
      this.next();
      if (++this.depth > MAX_DEPTH) throw new ParseError('the expression is nested too deeply');
      const item = this.not();
      this.depth--;
      return { kind: 'not', item };
    }
    return this.primary();
  }

  private primary(): Predicate {
    const tok = this.peek();
    if (this.isOp(tok, '(')) {
      this.next();
      const inner = this.or();
      this.expectOp(')');
      if (this.dialect === 'catalog' && this.isOp(this.peek(), '::')) {
        // `(name)::text = …`: a cast column, printed by PostgreSQL for varchar columns.
        if (inner.kind !== 'column') this.fail(this.peek(), 'a column before "::"');
        this.skipCast();
        return this.tail(inner.column);
      }
      return inner;
    }
    if (tok.t !== 'ident' || (!tok.quoted && KEYWORDS.has(tok.v.toUpperCase()))) {
      this.fail(tok, 'a field name, NOT or "("');
    }
    this.next();
    if (this.dialect === 'catalog' && this.isOp(this.peek(), '::')) this.skipCast();
    return this.tail(tok.v);
  }

  /** What follows a column: a comparison, IS [NOT] NULL, [NOT] IN (…), or nothing. */
  private tail(column: string): Predicate {
    const tok = this.peek();
    if (this.isWord(tok, 'IS')) {
      this.next();
      let negated = false;
      if (this.isWord(this.peek(), 'NOT')) {
        this.next();
        negated = true;
      }
      const n = this.next();
      if (!this.isWord(n, 'NULL')) this.fail(n, 'NULL');
      return { kind: 'null', column, negated };
    }
    if (this.isWord(tok, 'NOT') && this.isWord(this.peek(1), 'IN')) {
      this.next();
      this.next();
      return { kind: 'in', column, values: this.list(), negated: true };
    }
    if (this.isWord(tok, 'IN')) {
      this.next();
      return { kind: 'in', column, values: this.list(), negated: false };
    }
    if (tok.t === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(tok.v)) {
      this.next();
      const op = (tok.v === '!=' ? '<>' : tok.v) as ComparisonOperator;
      const quantifier = this.peek();
      if (
        this.dialect === 'catalog' &&
        (this.isWord(quantifier, 'ANY') || this.isWord(quantifier, 'ALL'))
      ) {
        const any = this.isWord(quantifier, 'ANY');
        if ((any && op !== '=') || (!any && op !== '<>')) this.fail(quantifier, 'a literal');
        this.next();
        this.expectOp('(');
        const values = this.array();
        this.expectOp(')');
        return { kind: 'in', column, values, negated: !any };
      }
      return { kind: 'compare', column, op, value: this.literal() };
    }
    return { kind: 'column', column };
  }

  private list(): PredicateLiteral[] {
    this.expectOp('(');
    const values = [this.literal()];
    while (this.isOp(this.peek(), ',')) {
      this.next();
      values.push(this.literal());
    }
    this.expectOp(')');
    return values;
  }

  /** `ARRAY[…]` or `(ARRAY[…])::type[]`, as PostgreSQL prints IN lists. */
  private array(): PredicateLiteral[] {
    if (this.isOp(this.peek(), '(')) {
      this.next();
      const values = this.array();
      this.expectOp(')');
      if (this.isOp(this.peek(), '::')) this.skipCast();
      return values;
    }
    const tok = this.next();
    if (!this.isWord(tok, 'ARRAY')) this.fail(tok, 'ARRAY');
    this.expectOp('[');
    const values = [this.literal()];
    while (this.isOp(this.peek(), ',')) {
      this.next();
      values.push(this.literal());
    }
    this.expectOp(']');
    return values;
  }

  /** `::type words[(n[,m])][[]]`; returns the type's words in lower case. */
  private skipCast(): string {
    this.expectOp('::');
    const words: string[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.t !== 'ident' || (!tok.quoted && KEYWORDS.has(tok.v.toUpperCase()))) break;
      words.push(tok.v.toLowerCase());
      this.next();
    }
    if (words.length === 0) this.fail(this.peek(), 'a type name');
    if (this.isOp(this.peek(), '(')) {
      this.next();
      while (!this.isOp(this.peek(), ')')) {
        const tok = this.next();
        if (tok.t !== 'number' && !this.isOp(tok, ',')) this.fail(tok, 'a type modifier');
      }
      this.next();
    }
    while (this.isOp(this.peek(), '[') && this.isOp(this.peek(1), ']')) {
      this.next();
      this.next();
    }
    return words.join(' ');
  }

  private literal(): PredicateLiteral {
    const tok = this.next();
    let lit: PredicateLiteral;
    if (this.isOp(tok, '-')) {
      const n = this.next();
      if (n.t !== 'number') this.fail(n, 'a number after "-"');
      lit = { kind: 'number', text: canonicalNumber(`-${n.v}`) };
    } else if (tok.t === 'number') {
      lit = { kind: 'number', text: canonicalNumber(tok.v) };
    } else if (tok.t === 'string') {
      lit = { kind: 'string', value: tok.v };
    } else if (this.isWord(tok, 'TRUE') || this.isWord(tok, 'FALSE')) {
      lit = { kind: 'boolean', value: this.isWord(tok, 'TRUE') };
    } else if (this.dialect === 'catalog' && this.isOp(tok, '(')) {
      lit = this.literal();
      this.expectOp(')');
    } else {
      return this.fail(tok, 'a literal (a number, a quoted string, true or false)');
    }
    if (this.dialect === 'catalog' && this.isOp(this.peek(), '::')) {
      const type = this.skipCast();
      // `'-1'::integer`, `'3000000000'::bigint`: numbers PostgreSQL prints quoted.
      if (
        lit.kind === 'string' &&
        NUMERIC_TYPES.has(type) &&
        /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(lit.value)
      ) {
        lit = { kind: 'number', text: canonicalNumber(lit.value) };
      }
    }
    return lit;
  }
}

/** Flattens nested AND/OR and writes one-value IN lists as comparisons, as PostgreSQL does. */
function normalize(p: Predicate): Predicate {
  switch (p.kind) {
    case 'and':
    case 'or': {
      const items = p.items.flatMap((i) => {
        const n = normalize(i);
        return n.kind === p.kind ? n.items : [n];
      });
      return Object.freeze({ kind: p.kind, items: Object.freeze(items) });
    }
    case 'not':
      return Object.freeze({ kind: 'not', item: normalize(p.item) });
    case 'in':
      if (p.values.length === 1) {
        return Object.freeze({
          kind: 'compare',
          column: p.column,
          op: p.negated ? '<>' : '=',
          value: p.values[0] as PredicateLiteral,
        });
      }
      return Object.freeze({ ...p, values: Object.freeze([...p.values]) });
    default:
      return Object.freeze({ ...p });
  }
}

function parseWith(text: string, dialect: Dialect): PredicateParse {
  if (typeof text !== 'string' || text.trim() === '') {
    return { ok: false, reason: 'the condition is empty' };
  }
  if (text.length > MAX_LENGTH) {
    return { ok: false, reason: `the condition is longer than ${MAX_LENGTH} characters` };
  }
  try {
    const predicate = new Parser(tokenize(text, dialect), dialect).parse();
    return { ok: true, predicate: normalize(predicate) };
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** A spec's `where:`: the strict grammar. */
export function parsePredicate(text: string): PredicateParse {
  return parseWith(text, 'spec');
}

/** An index predicate as `pg_get_expr(indpred, indrelid)` prints it. */
export function parseCatalogPredicate(text: string): PredicateParse {
  return parseWith(text, 'catalog');
}

/** The columns a predicate names, in order of appearance. */
export function predicateColumns(p: Predicate): string[] {
  switch (p.kind) {
    case 'and':
    case 'or':
      return p.items.flatMap(predicateColumns);
    case 'not':
      return predicateColumns(p.item);
    default:
      return [p.column];
  }
}

/** Every column-literal pair of a predicate, for type checks. */
export function predicateComparisons(
  p: Predicate,
): { column: string; literal: PredicateLiteral | 'boolean column' }[] {
  switch (p.kind) {
    case 'and':
    case 'or':
      return p.items.flatMap(predicateComparisons);
    case 'not':
      return predicateComparisons(p.item);
    case 'compare':
      return [{ column: p.column, literal: p.value }];
    case 'in':
      return p.values.map((literal) => ({ column: p.column, literal }));
    case 'column':
      return [{ column: p.column, literal: 'boolean column' }];
    case 'null':
      return [];
  }
}

function literalText(l: PredicateLiteral): string {
  if (l.kind === 'number') return l.text;
  if (l.kind === 'boolean') return l.value ? 'true' : 'false';
  return quoteLiteral(l.value);
}

function print(p: Predicate, ident: (name: string) => string, top: boolean): string {
  switch (p.kind) {
    case 'and':
    case 'or': {
      const text = p.items
        .map((i) => print(i, ident, false))
        .join(p.kind === 'and' ? ' AND ' : ' OR ');
      return top ? text : `(${text})`;
    }
    case 'not':
      return `NOT ${print(p.item, ident, false)}`;
    case 'compare':
      return `${ident(p.column)} ${p.op} ${literalText(p.value)}`;
    case 'null':
      return `${ident(p.column)} IS ${p.negated ? 'NOT ' : ''}NULL`;
    case 'in':
      return `${ident(p.column)} ${p.negated ? 'NOT ' : ''}IN (${p.values.map(literalText).join(', ')})`;
    case 'column':
      return ident(p.column);
  }
}

/**
 * The canonical text of a predicate in the spec's own grammar (plain names): what Spec,
 * Schema and changes carry, and what `pull` writes. Parsing it again gives the same data.
 */
export function predicateText(p: Predicate): string {
  return print(p, (name) => name, true);
}

/** The predicate as SQL: identifiers quoted, literals escaped. */
export function predicateSql(p: Predicate): string {
  return print(p, (name) => quoteIdent(name, 'index condition column'), true);
}

/** Canonical spec text → SQL; throws on text the grammar refuses (never from a checked spec). */
export function whereSql(text: string): string {
  const parsed = parsePredicate(text);
  if (!parsed.ok)
    throw new Error(`invalid index condition ${JSON.stringify(text)}: ${parsed.reason}`);
  return predicateSql(parsed.predicate);
}
