/**
 * The definition of an aggregate's view, as `pg_get_viewdef` prints it, read back into
 * the parts prism.yaml states: the bucket, the group columns and the output columns. A
 * strict parser of the shapes prism-migrate's operations create — TimescaleDB's
 * `time_bucket(w, t)` or the fallbacks with its alignment (`date_bin` from 2000-01-03,
 * whole months from 2000-01, floor division for integer time), `first`/`last` or their
 * ordered `array_agg` picks, and the functions of AGGREGATE_FUNCTIONS — over one relation,
 * grouped by the bucket and the group columns. Anything else is not an aggregate
 * prism.yaml can state, and the reason says why. Pure.
 */
import { AGGREGATE_FUNCTIONS, type AggregateFunction } from '../sql/aggregate-call.js';
import type { AggregateColumn } from '../spec/types.js';

/** A bucket width as the definition writes it; an interval still as PostgreSQL prints it. */
export type DefinitionBucket =
  | { readonly kind: 'interval'; readonly text: string }
  | { readonly kind: 'months'; readonly months: number }
  | { readonly kind: 'integer'; readonly value: bigint };

export interface AggregateDefinition {
  /** The relation read, as printed: schema only where the search_path does not find it. */
  readonly source: { readonly schema?: string | undefined; readonly name: string };
  readonly timeColumn: string;
  readonly bucket: DefinitionBucket;
  /** `time_bucket` (TimescaleDB) or one of the fallbacks of plain PostgreSQL. */
  readonly bucketFunction: 'time_bucket' | 'fallback';
  readonly groupBy: readonly string[];
  readonly columns: readonly AggregateColumn[];
}

export type DefinitionParse =
  | { readonly ok: true; readonly definition: AggregateDefinition }
  | { readonly ok: false; readonly reason: string };

// ---------------------------------------------------------------------------------------
// Tokens

type Token =
  | { readonly t: 'word'; readonly v: string } // unquoted identifier or keyword, lower-cased
  | { readonly t: 'ident'; readonly v: string } // "quoted" identifier
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly v: string }
  | { readonly t: 'op'; readonly v: string };

class ParseError extends Error {}

/** Longest first. Comparisons only come in shapes refused later, with their reason. */
const OPERATORS = [
  '::',
  '=>',
  '<=',
  '>=',
  '<>',
  '!=',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  '+',
  '-',
  '*',
  '/',
  '%',
  ';',
  '<',
  '>',
  '=',
];

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s/.test(c)) {
      i += 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'word', v: m[0].toLowerCase() });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(sql.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'number', v: m[0] });
      i += m[0].length;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= sql.length) throw new ParseError('an unterminated quote');
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += sql[j];
        j += 1;
      }
      tokens.push({ t: c === '"' ? 'ident' : 'string', v: text });
      i = j + 1;
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (op === undefined) throw new ParseError(`the character ${JSON.stringify(c)}`);
      tokens.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------
// Expressions: the small part of PostgreSQL's printed grammar the shapes use

export type Expr =
  | { readonly k: 'column'; readonly qualifier?: string | undefined; readonly name: string }
  | { readonly k: 'string'; readonly v: string }
  | { readonly k: 'number'; readonly v: string }
  | { readonly k: 'star' }
  | { readonly k: 'cast'; readonly expr: Expr; readonly type: string }
  | {
      readonly k: 'call';
      readonly name: string;
      readonly args: readonly Expr[];
      /** `months => …` arguments by name. */
      readonly named?: Readonly<Record<string, Expr>> | undefined;
      readonly orderBy?: readonly { readonly expr: Expr; readonly desc: boolean }[] | undefined;
      /** `FILTER (WHERE …)`. */
      readonly filter?: Expr | undefined;
    }
  | { readonly k: 'isNull'; readonly expr: Expr; readonly not: boolean }
  | { readonly k: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly k: 'negate'; readonly expr: Expr }
  | { readonly k: 'subscript'; readonly expr: Expr; readonly index: Expr }
  | { readonly k: 'atTimeZone'; readonly expr: Expr; readonly zone: Expr }
  | { readonly k: 'extract'; readonly field: string; readonly expr: Expr };

/** Words that end an expression or a select item (never a column here). */
const RESERVED = new Set([
  'select',
  'from',
  'where',
  'group',
  'by',
  'having',
  'order',
  'as',
  'at',
  'asc',
  'desc',
  'nulls',
  'limit',
  'offset',
  'union',
  'join',
  'on',
  'window',
  'filter',
  'over',
  'distinct',
  'within',
  'and',
  'or',
  'not',
  'is',
  'with',
  'fetch',
  'for',
]);

/**
 * The words of RESERVED that PostgreSQL does not reserve: it prints a column of that name
 * unquoted (`r.at`, `… AS over`), so where a name is expected they are one.
 */
const UNRESERVED = new Set(['at', 'by', 'filter', 'nulls', 'over', 'within']);

/** Multi-word type names as format_type prints them. */
const TYPE_PHRASES = [
  ['timestamp', 'with', 'time', 'zone'],
  ['timestamp', 'without', 'time', 'zone'],
  ['time', 'with', 'time', 'zone'],
  ['time', 'without', 'time', 'zone'],
  ['double', 'precision'],
  ['character', 'varying'],
];

class Parser {
  private i = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }
  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }
  isWord(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.t === 'word' && t.v === v;
  }
  isOp(v: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.t === 'op' && t.v === v;
  }
  next(): Token {
    const t = this.tokens[this.i];
    if (t === undefined) throw new ParseError('an unexpected end');
    this.i += 1;
    return t;
  }
  word(v: string): void {
    if (!this.isWord(v))
      throw new ParseError(`${this.describe()} where ${v.toUpperCase()} was expected`);
    this.i += 1;
  }
  op(v: string): void {
    if (!this.isOp(v))
      throw new ParseError(`${this.describe()} where ${JSON.stringify(v)} was expected`);
    this.i += 1;
  }
  describe(): string {
    const t = this.peek();
    return t === undefined ? 'the end' : JSON.stringify(t.v);
  }

  /** An identifier: a word that is not reserved, or a quoted one. */
  identifier(): string {
    const t = this.next();
    if (t.t === 'ident') return t.v;
    if (t.t === 'word' && (!RESERVED.has(t.v) || UNRESERVED.has(t.v))) return t.v;
    throw new ParseError(`${JSON.stringify(t.v)} where a name was expected`);
  }

  typeName(): string {
    const phrase = TYPE_PHRASES.find((p) => p.every((w, k) => this.isWord(w, k)));
    let name: string;
    if (phrase) {
      this.i += phrase.length;
      name = phrase.join(' ');
    } else {
      name = this.identifier();
      if (this.isOp('.')) {
        this.i += 1;
        name = `${name}.${this.identifier()}`;
      }
    }
    if (this.isOp('(')) {
      this.i += 1;
      const mods = [this.next().v];
      while (this.isOp(',')) {
        this.i += 1;
        mods.push(this.next().v);
      }
      this.op(')');
      name += `(${mods.join(',')})`;
    }
    while (this.isOp('[') && this.isOp(']', 1)) {
      this.i += 2;
      name += '[]';
    }
    return name;
  }

  expression(): Expr {
    const expr = this.additive();
    if (!this.isWord('is')) return expr;
    this.i += 1;
    const not = this.isWord('not');
    if (not) this.i += 1;
    this.word('null');
    return { k: 'isNull', expr, not };
  }

  additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().v;
      left = { k: 'binary', op, left, right: this.multiplicative() };
    }
    return left;
  }

  multiplicative(): Expr {
    let left = this.atTimeZone();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.next().v;
      left = { k: 'binary', op, left, right: this.atTimeZone() };
    }
    return left;
  }

  atTimeZone(): Expr {
    let expr = this.unary();
    while (this.isWord('at') && this.isWord('time', 1) && this.isWord('zone', 2)) {
      this.i += 3;
      expr = { k: 'atTimeZone', expr, zone: this.unary() };
    }
    return expr;
  }

  unary(): Expr {
    if (this.isOp('-')) {
      this.i += 1;
      return { k: 'negate', expr: this.unary() };
    }
    return this.postfix();
  }

  postfix(): Expr {
    let expr = this.primary();
    for (;;) {
      if (this.isOp('::')) {
        this.i += 1;
        expr = { k: 'cast', expr, type: this.typeName() };
      } else if (this.isOp('[')) {
        this.i += 1;
        const index = this.expression();
        this.op(']');
        expr = { k: 'subscript', expr, index };
      } else {
        return expr;
      }
    }
  }

  primary(): Expr {
    const t = this.peek();
    if (t === undefined) throw new ParseError('an unexpected end');
    if (t.t === 'op' && t.v === '(') {
      this.i += 1;
      const inner = this.expression();
      this.op(')');
      return inner;
    }
    if (t.t === 'op' && t.v === '*') {
      this.i += 1;
      return { k: 'star' };
    }
    if (t.t === 'string') {
      this.i += 1;
      return { k: 'string', v: t.v };
    }
    if (t.t === 'number') {
      this.i += 1;
      return { k: 'number', v: t.v };
    }
    // A typed literal: timestamptz '2000-01-03 00:00:00+00', interval '1 hour'.
    const phrase = TYPE_PHRASES.find((p) => p.every((w, k) => this.isWord(w, k)));
    const typeWords = phrase?.length ?? (t.t === 'word' ? 1 : 0);
    if (typeWords > 0 && this.peek(typeWords)?.t === 'string' && !RESERVED.has(t.v)) {
      const type = this.typeName();
      const literal = this.next();
      return { k: 'cast', expr: { k: 'string', v: literal.v }, type };
    }
    if (this.isWord('extract') && this.isOp('(', 1)) {
      this.i += 2;
      const field = this.next();
      if (field.t !== 'word' && field.t !== 'string') throw new ParseError('an EXTRACT field');
      this.word('from');
      const expr = this.expression();
      this.op(')');
      return { k: 'extract', field: field.v.toLowerCase(), expr };
    }
    const first = this.identifier();
    if (this.isOp('(')) return this.call(first);
    if (this.isOp('.')) {
      this.i += 1;
      const second = this.identifier();
      if (this.isOp('(')) return this.call(second);
      if (this.isOp('.')) {
        this.i += 1;
        return { k: 'column', qualifier: second, name: this.identifier() };
      }
      return { k: 'column', qualifier: first, name: second };
    }
    return { k: 'column', name: first };
  }

  /** A call, its schema (if any) already read and dropped: the name alone identifies it. */
  call(name: string): Expr {
    this.op('(');
    const args: Expr[] = [];
    const named: Record<string, Expr> = {};
    let orderBy: { expr: Expr; desc: boolean }[] | undefined;
    if (this.isWord('distinct')) throw new ParseError(`${name}(DISTINCT …)`);
    while (!this.isOp(')')) {
      if (args.length + Object.keys(named).length > 0 && !this.isWord('order')) this.op(',');
      if (this.isWord('order')) {
        this.i += 1;
        this.word('by');
        orderBy = [];
        do {
          if (orderBy.length > 0) this.op(',');
          const expr = this.expression();
          let desc = false;
          if (this.isWord('asc')) this.i += 1;
          else if (this.isWord('desc')) {
            this.i += 1;
            desc = true;
          }
          if (this.isWord('nulls')) throw new ParseError('an ORDER BY with NULLS FIRST/LAST');
          orderBy.push({ expr, desc });
        } while (this.isOp(','));
        break;
      }
      const t = this.peek();
      if ((t?.t === 'word' || t?.t === 'ident') && this.isOp('=>', 1)) {
        this.i += 2;
        named[t.v] = this.expression();
      } else {
        args.push(this.expression());
      }
    }
    this.op(')');
    let filter: Expr | undefined;
    if (this.isWord('filter')) {
      this.i += 1;
      this.op('(');
      this.word('where');
      filter = this.expression();
      this.op(')');
    }
    if (this.isWord('over') || this.isWord('within')) {
      throw new ParseError(`${name}(…) ${this.describe()}`);
    }
    return {
      k: 'call',
      name,
      args,
      ...(Object.keys(named).length > 0 ? { named } : {}),
      ...(orderBy ? { orderBy } : {}),
      ...(filter ? { filter } : {}),
    };
  }
}

// ---------------------------------------------------------------------------------------
// The SELECT

interface SelectItem {
  readonly expr: Expr;
  readonly alias?: string | undefined;
}

interface Select {
  readonly items: readonly SelectItem[];
  readonly from: {
    readonly schema?: string | undefined;
    readonly name: string;
    readonly alias: string;
  };
  readonly groupBy: readonly Expr[];
}

function parseSelect(sql: string): Select {
  const p = new Parser(tokenize(sql));
  p.word('select');
  if (p.isWord('distinct')) throw new ParseError('SELECT DISTINCT');
  const items: SelectItem[] = [];
  do {
    if (items.length > 0) p.op(',');
    const expr = p.expression();
    let alias: string | undefined;
    if (p.isWord('as')) {
      p.next();
      alias = p.identifier();
    }
    items.push({ expr, alias });
  } while (p.isOp(','));
  p.word('from');
  let name = p.identifier();
  let schema: string | undefined;
  if (p.isOp('.')) {
    p.next();
    schema = name;
    name = p.identifier();
  }
  let alias = name;
  if (p.isWord('as')) {
    p.next();
    alias = p.identifier();
  } else if (
    p.peek()?.t === 'ident' ||
    (p.peek()?.t === 'word' && !RESERVED.has(p.peek()?.v ?? ''))
  ) {
    alias = p.identifier();
  }
  if (!p.isWord('group')) {
    throw new ParseError(
      p.atEnd() || p.isOp(';')
        ? 'no GROUP BY'
        : `${p.describe().toUpperCase()} after the relation (only one relation, grouped, is an aggregate)`,
    );
  }
  p.word('group');
  p.word('by');
  const groupBy: Expr[] = [];
  do {
    if (groupBy.length > 0) p.op(',');
    groupBy.push(p.expression());
  } while (p.isOp(','));
  if (p.isOp(';')) p.next();
  if (!p.atEnd()) throw new ParseError(`${p.describe()} after GROUP BY`);
  return { items, from: { ...(schema ? { schema } : {}), name, alias }, groupBy };
}

// ---------------------------------------------------------------------------------------
// Matching the shapes

/** Casts dropped: the shapes are told apart by their calls and constants, not by types. */
function bare(e: Expr): Expr {
  return e.k === 'cast' ? bare(e.expr) : e;
}

function numberOf(e: Expr): bigint | undefined {
  const b = bare(e);
  if (b.k === 'number' && /^\d+$/.test(b.v)) return BigInt(b.v);
  if (b.k === 'negate') {
    const n = numberOf(b.expr);
    return n === undefined ? undefined : -n;
  }
  return undefined;
}

function stringOf(e: Expr): string | undefined {
  const b = bare(e);
  return b.k === 'string' ? b.v : undefined;
}

/** A whole number, also as a typed literal (`'10'::bigint`, `CAST('10' AS bigint)`). */
function integerOf(e: Expr): bigint | undefined {
  const n = numberOf(e);
  if (n !== undefined) return n;
  const text = e.k === 'cast' ? stringOf(e) : undefined;
  return text !== undefined && /^\d+$/.test(text) ? BigInt(text) : undefined;
}

/** The months of an interval as PostgreSQL prints one of whole months: `3 mons`, `1 year 6 mons`. */
function monthsOfText(text: string): number | undefined {
  const m = /^(?:(\d+) years?)? ?(?:(\d+) mons?)?$/.exec(text.trim());
  if (m === null || (m[1] === undefined && m[2] === undefined)) return undefined;
  return Number(m[1] ?? 0) * 12 + Number(m[2] ?? 0);
}

/**
 * A width in months: a number, or `extract(year from w)::int * 12 + extract(month from w)::int`
 * of an interval literal `w`.
 */
function monthWidth(e: Expr): number | undefined {
  const n = numberOf(e);
  if (n !== undefined) return Number(n);
  const plus = binary(e, '+');
  const times = plus === undefined ? undefined : binary(plus.left, '*');
  if (plus === undefined || times === undefined || numberOf(times.right) !== 12n) return undefined;
  const year = bare(times.left);
  const month = bare(plus.right);
  if (year.k !== 'extract' || year.field !== 'year') return undefined;
  if (month.k !== 'extract' || month.field !== 'month') return undefined;
  const a = stringOf(year.expr);
  const b = stringOf(month.expr);
  return a !== undefined && a === b ? monthsOfText(a) : undefined;
}

type Call = Extract<Expr, { k: 'call' }>;

/** The call `name(…)` with `arity` plain arguments, or undefined. */
function callOf(e: Expr, name: string, arity: number): Call | undefined {
  const b = bare(e);
  return b.k === 'call' &&
    b.name === name &&
    b.args.length === arity &&
    !b.orderBy &&
    !b.named &&
    !b.filter
    ? b
    : undefined;
}

function binary(e: Expr, op: string): { left: Expr; right: Expr } | undefined {
  const b = bare(e);
  return b.k === 'binary' && b.op === op ? { left: b.left, right: b.right } : undefined;
}

/** A column of the relation read (`r.t` or `t`). */
function columnOf(e: Expr, alias: string): string | undefined {
  const b = bare(e);
  if (b.k !== 'column') return undefined;
  return b.qualifier === undefined || b.qualifier === alias ? b.name : undefined;
}

/** `(t AT TIME ZONE 'UTC')` or `t` → the column, for the month fallback. */
function localColumn(e: Expr, alias: string): string | undefined {
  const b = bare(e);
  if (b.k === 'atTimeZone') return stringOf(b.zone) === 'UTC' ? columnOf(b.expr, alias) : undefined;
  return columnOf(b, alias);
}

/**
 * `((extract(year from t)::int - 2000) * 12 + extract(month from t)::int - 1)`: the months
 * since 2000-01 of the column (in UTC for timestamptz).
 */
function monthsSince2000(e: Expr, alias: string): string | undefined {
  const minusOne = binary(e, '-');
  if (minusOne === undefined || numberOf(minusOne.right) !== 1n) return undefined;
  const plus = binary(minusOne.left, '+');
  if (plus === undefined) return undefined;
  const times12 = binary(plus.left, '*');
  if (times12 === undefined || numberOf(times12.right) !== 12n) return undefined;
  const minus2000 = binary(times12.left, '-');
  if (minus2000 === undefined || numberOf(minus2000.right) !== 2000n) return undefined;
  const year = bare(minus2000.left);
  const month = bare(plus.right);
  if (year.k !== 'extract' || year.field !== 'year') return undefined;
  if (month.k !== 'extract' || month.field !== 'month') return undefined;
  const a = localColumn(year.expr, alias);
  const b = localColumn(month.expr, alias);
  return a !== undefined && a === b ? a : undefined;
}

interface BucketMatch {
  readonly timeColumn: string;
  readonly bucket: DefinitionBucket;
  readonly bucketFunction: 'time_bucket' | 'fallback';
}

const ORIGIN_TZ = /^2000-01-03 00:00:00(\+00(:00)?)?$/;

/**
 * The bucket expression: `time_bucket(w, t)`, or a fallback with its alignment —
 * `date_bin(w, t, '2000-01-03 00:00:00+00')`, `date_trunc('month'|'year', t[, 'UTC'])`,
 * whole months counted from 2000-01, `floor(t / n) * n` for integer time.
 */
function matchBucket(e: Expr, alias: string): BucketMatch | undefined {
  const b = bare(e);
  const timeBucket = callOf(b, 'time_bucket', 2);
  if (timeBucket !== undefined) {
    const timeColumn = columnOf(timeBucket.args[1] as Expr, alias);
    if (timeColumn === undefined) return undefined;
    const width = timeBucket.args[0] as Expr;
    // An integer width may come as a typed literal: '10'::bigint.
    const typed = width.k === 'cast' && /^(bigint|integer|smallint)$/.test(width.type);
    const n = typed ? integerOf(width) : numberOf(width);
    if (n !== undefined) {
      return n > 0n
        ? { timeColumn, bucket: { kind: 'integer', value: n }, bucketFunction: 'time_bucket' }
        : undefined;
    }
    const text = stringOf(width);
    return text === undefined
      ? undefined
      : { timeColumn, bucket: { kind: 'interval', text }, bucketFunction: 'time_bucket' };
  }
  const dateBin = callOf(b, 'date_bin', 3);
  if (dateBin !== undefined) {
    const timeColumn = columnOf(dateBin.args[1] as Expr, alias);
    const text = stringOf(dateBin.args[0] as Expr);
    const origin = stringOf(dateBin.args[2] as Expr);
    if (timeColumn === undefined || text === undefined || origin === undefined) return undefined;
    if (!ORIGIN_TZ.test(origin)) return undefined;
    return { timeColumn, bucket: { kind: 'interval', text }, bucketFunction: 'fallback' };
  }
  const dateTrunc = callOf(b, 'date_trunc', 2) ?? callOf(b, 'date_trunc', 3);
  if (dateTrunc !== undefined) {
    const unit = stringOf(dateTrunc.args[0] as Expr);
    const timeColumn = columnOf(dateTrunc.args[1] as Expr, alias);
    const zone = dateTrunc.args[2] === undefined ? 'UTC' : stringOf(dateTrunc.args[2]);
    if (timeColumn === undefined || zone !== 'UTC') return undefined;
    if (unit === 'month' || unit === 'year') {
      const months = unit === 'month' ? 1 : 12;
      return { timeColumn, bucket: { kind: 'months', months }, bucketFunction: 'fallback' };
    }
    return undefined;
  }
  if (b.k === 'atTimeZone' && stringOf(b.zone) === 'UTC') {
    const inner = monthBucket(b.expr, alias);
    return inner;
  }
  const naiveMonths = monthBucket(b, alias);
  if (naiveMonths !== undefined) return naiveMonths;
  const modulo = integerBucket(b, alias);
  if (modulo !== undefined) return modulo;
  // floor(t / n) * n
  const times = binary(b, '*');
  const floor = times === undefined ? undefined : callOf(times.left, 'floor', 1);
  if (times !== undefined && floor !== undefined) {
    const divide = binary(floor.args[0] as Expr, '/');
    const n = numberOf(times.right);
    if (divide === undefined || n === undefined || n <= 0n || numberOf(divide.right) !== n) {
      return undefined;
    }
    const timeColumn = columnOf(divide.left, alias);
    return timeColumn === undefined
      ? undefined
      : { timeColumn, bucket: { kind: 'integer', value: n }, bucketFunction: 'fallback' };
  }
  return undefined;
}

/** `t - ((t % w) + w) % w`: time_bucket's floor for integer time, negative values too. */
function integerBucket(e: Expr, alias: string): BucketMatch | undefined {
  const minus = binary(e, '-');
  const outer = minus === undefined ? undefined : binary(minus.right, '%');
  const plus = outer === undefined ? undefined : binary(outer.left, '+');
  const inner = plus === undefined ? undefined : binary(plus.left, '%');
  if (minus === undefined || outer === undefined || plus === undefined || inner === undefined) {
    return undefined;
  }
  const timeColumn = columnOf(minus.left, alias);
  const n = integerOf(outer.right);
  if (timeColumn === undefined || n === undefined || n <= 0n) return undefined;
  if (columnOf(inner.left, alias) !== timeColumn) return undefined;
  if (integerOf(inner.right) !== n || integerOf(plus.right) !== n) return undefined;
  return { timeColumn, bucket: { kind: 'integer', value: n }, bucketFunction: 'fallback' };
}

/** `timestamp '2000-01-01' + make_interval(months => floor(<months> / n) * n)`. */
function monthBucket(e: Expr, alias: string): BucketMatch | undefined {
  const plus = binary(e, '+');
  if (plus === undefined || stringOf(plus.left) !== '2000-01-01 00:00:00') return undefined;
  const make = bare(plus.right);
  if (make.k !== 'call' || make.name !== 'make_interval' || make.args.length > 0) return undefined;
  const named = make.named ?? {};
  if (Object.keys(named).join() !== 'months') return undefined;
  const times = binary(named['months'] as Expr, '*');
  const floor = times === undefined ? undefined : callOf(times.left, 'floor', 1);
  if (times === undefined || floor === undefined) return undefined;
  const divide = binary(floor.args[0] as Expr, '/');
  const n = monthWidth(times.right);
  if (divide === undefined || n === undefined || n <= 0 || monthWidth(divide.right) !== n) {
    return undefined;
  }
  const timeColumn = monthsSince2000(divide.left, alias);
  return timeColumn === undefined
    ? undefined
    : { timeColumn, bucket: { kind: 'months', months: n }, bucketFunction: 'fallback' };
}

const PLAIN_FUNCTIONS: ReadonlySet<string> = new Set(
  AGGREGATE_FUNCTIONS.filter((f) => f !== 'first' && f !== 'last'),
);

/**
 * An output column: `avg(x)`, `count(*)`, `first(x, t)` / `last(x, t)`, or their
 * fallbacks `(array_agg(x ORDER BY t))[1]` / `(array_agg(x ORDER BY t DESC))[1]`.
 */
function matchColumn(
  e: Expr,
  alias: string,
  timeColumn: string,
): { function: AggregateFunction; argument?: string } | string {
  const b = bare(e);
  if (b.k === 'subscript') {
    const call = bare(b.expr);
    if (numberOf(b.index) !== 1n || call.k !== 'call' || call.name !== 'array_agg') {
      return 'an expression that is not an aggregate prism.yaml states';
    }
    const order = call.orderBy ?? [];
    const argument = call.args.length === 1 ? columnOf(call.args[0] as Expr, alias) : undefined;
    const by = order.length === 1 ? columnOf((order[0] as { expr: Expr }).expr, alias) : undefined;
    // first/last ignore rows without a time, as TimescaleDB's do.
    const filter = call.filter === undefined ? undefined : bare(call.filter);
    const filterOk =
      filter === undefined ||
      (filter.k === 'isNull' && filter.not && columnOf(filter.expr, alias) === timeColumn);
    if (argument === undefined || by !== timeColumn || call.named || !filterOk) {
      return 'an array_agg that is not a first/last pick by the time column';
    }
    return { function: (order[0] as { desc: boolean }).desc ? 'last' : 'first', argument };
  }
  if (b.k !== 'call' || b.named || b.orderBy) {
    return 'an expression that is not an aggregate prism.yaml states';
  }
  if (b.filter) return `${b.name}(…) FILTER (…)`;
  if (b.name === 'first' || b.name === 'last') {
    const argument = b.args.length === 2 ? columnOf(b.args[0] as Expr, alias) : undefined;
    if (argument === undefined || columnOf(b.args[1] as Expr, alias) !== timeColumn) {
      return `${b.name}(…) not ordered by the time column ${timeColumn}`;
    }
    return { function: b.name, argument };
  }
  if (!PLAIN_FUNCTIONS.has(b.name)) return `the function ${b.name}, which prism.yaml cannot state`;
  if (b.args.length !== 1) return `${b.name} with ${b.args.length} arguments`;
  const arg = bare(b.args[0] as Expr);
  if (arg.k === 'star') {
    return b.name === 'count' ? { function: 'count' } : `${b.name}(*)`;
  }
  const argument = columnOf(arg, alias);
  if (argument === undefined) return `${b.name} of an expression`;
  return { function: b.name as AggregateFunction, argument };
}

/** Whether a GROUP BY term is the bucket item, by position or by expression. */
function sameExpr(a: Expr, b: Expr): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Reads a view's definition as `pg_get_viewdef` prints it. */
export function parseAggregateDefinition(sql: string): DefinitionParse {
  let select: Select;
  try {
    select = parseSelect(sql);
  } catch (e) {
    if (e instanceof ParseError)
      return { ok: false, reason: `not in an aggregate's shape: ${e.message}` };
    throw e;
  }
  const { alias } = select.from;
  const bucketItems = select.items.filter((i) => i.alias === 'bucket');
  const bucketItem = bucketItems[0];
  if (bucketItem === undefined || bucketItems.length > 1) {
    return { ok: false, reason: 'no single output column named bucket' };
  }
  const bucket = matchBucket(bucketItem.expr, alias);
  if (bucket === undefined) {
    return {
      ok: false,
      reason: 'its bucket is not time_bucket(width, time) or the fallback with its alignment',
    };
  }
  const groupBy: string[] = [];
  const columns: AggregateColumn[] = [];
  const names = new Set<string>(['bucket']);
  for (const item of select.items) {
    if (item === bucketItem) continue;
    const plain = columnOf(item.expr, alias);
    if (plain !== undefined && bare(item.expr).k === 'column') {
      if (item.alias !== undefined && item.alias !== plain) {
        return { ok: false, reason: `the group column ${plain} is renamed to ${item.alias}` };
      }
      groupBy.push(plain);
      if (names.has(plain)) return { ok: false, reason: `the column ${plain} twice` };
      names.add(plain);
      continue;
    }
    const column = matchColumn(item.expr, alias, bucket.timeColumn);
    if (typeof column === 'string') return { ok: false, reason: column };
    const name = item.alias;
    if (name === undefined) return { ok: false, reason: 'an output column without a name' };
    if (names.has(name)) return { ok: false, reason: `the column ${name} twice` };
    names.add(name);
    columns.push({ name, ...column });
  }
  if (columns.length === 0) return { ok: false, reason: 'no aggregate column' };
  // GROUP BY: the bucket (by position or expression) and exactly the group columns.
  const bucketPosition = select.items.indexOf(bucketItem) + 1;
  const grouped = new Set<string>();
  let bucketGrouped = false;
  for (const term of select.groupBy) {
    const position = numberOf(term);
    const item = position === undefined ? undefined : select.items[Number(position) - 1];
    if (position === BigInt(bucketPosition) || sameExpr(bare(term), bare(bucketItem.expr))) {
      bucketGrouped = true;
      continue;
    }
    const column = columnOf(item?.expr ?? term, alias);
    if (column === undefined || !groupBy.includes(column)) {
      return {
        ok: false,
        reason: 'it groups by something other than the bucket and its group columns',
      };
    }
    grouped.add(column);
  }
  if (!bucketGrouped || grouped.size !== groupBy.length) {
    return { ok: false, reason: 'it does not group by the bucket and each group column' };
  }
  return {
    ok: true,
    definition: {
      source: select.from.schema
        ? { schema: select.from.schema, name: select.from.name }
        : { name: select.from.name },
      timeColumn: bucket.timeColumn,
      bucket: bucket.bucket,
      bucketFunction: bucket.bucketFunction,
      groupBy,
      columns,
    },
  };
}
