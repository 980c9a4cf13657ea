/**
 * `function(argument)`: the one grammar of a continuous aggregate's output columns, for
 * prism.yaml and for the operations that build the view. Only the functions of
 * AGGREGATE_FUNCTIONS, and one plain column name (or `*` for count); never SQL text.
 */
/** The functions an aggregate column may apply (`name: function(argument)`). */
export const AGGREGATE_FUNCTIONS = Object.freeze([
  'avg',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
  'stddev',
] as const);
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];

export const AGGREGATE_CALL_HINT = `write 'function(column)' with one of ${AGGREGATE_FUNCTIONS.join(', ')}, e.g. 'avg(temperature)', or 'count(*)'`;

const CALL = /^\s*([A-Za-z_]+)\s*\(\s*(\*|[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/;

export type AggregateCallParse =
  | { readonly ok: true; readonly function: AggregateFunction; readonly argument?: string }
  | { readonly ok: false; readonly reason: string };

/** Parses `avg(temperature)` or `count(*)`. Callers check that the argument exists. */
export function parseAggregateCall(text: string): AggregateCallParse {
  const m = CALL.exec(text);
  if (m === null)
    return {
      ok: false,
      reason: `${JSON.stringify(text)} is not a call of one function on one column`,
    };
  const name = (m[1] ?? '').toLowerCase();
  const argument = m[2] ?? '';
  const fn = AGGREGATE_FUNCTIONS.find((f) => f === name);
  if (fn === undefined)
    return {
      ok: false,
      reason: `${JSON.stringify(m[1])} is not a function an aggregate may use`,
    };
  if (argument === '*')
    return fn === 'count'
      ? { ok: true, function: fn }
      : { ok: false, reason: `only count takes *; ${fn} takes a column` };
  return { ok: true, function: fn, argument };
}

/** The text prism.yaml and the operations write: `avg(temperature)`, `count(*)`. */
export function aggregateCallText(column: {
  readonly function: AggregateFunction;
  readonly argument?: string | undefined;
}): string {
  return `${column.function}(${column.argument ?? '*'})`;
}
