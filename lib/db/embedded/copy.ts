/**
 * Finding `COPY … FROM STDIN` in a client's SQL. PGlite cannot take COPY data over the
 * wire (its WASM instance dies), so the server must see every such statement before
 * PGlite does: run the plain single-statement form itself, and refuse every other form.
 */

/** The SQL with string literals, quoted identifiers and comments blanked out. */
export function sqlSkeleton(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      out += ' ';
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        const pair = sql.slice(i, i + 2);
        if (pair === '/*' || pair === '*/') {
          depth += pair === '/*' ? 1 : -1;
          i += 2;
        } else {
          i += 1;
        }
      }
      out += ' ';
    } else if (c === "'" || c === '"') {
      const escapes = c === "'" && /[eE]/.test(sql[i - 1] ?? '') && !/[\w$]/.test(sql[i - 2] ?? '');
      i += 1;
      while (i < sql.length) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === c && sql[i + 1] === c) i += 2;
        else if (sql[i] === c) break;
        else i += 1;
      }
      i += 1;
      out += c === "'" ? "''" : '"x"';
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][\w]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? sql.length : end + tag.length;
        out += "''";
      } else {
        out += c;
        i += 1;
      }
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

export type CopyPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'copy'; readonly target: string; readonly options: string }
  | { readonly kind: 'refuse'; readonly reason: string };

const NAME = '(?:"(?:[^"]|"")+"|[A-Za-z_][\\w$]*)';
const SINGLE_COPY = new RegExp(
  `^\\s*COPY\\s+(${NAME}(?:\\.${NAME})?(?:\\s*\\([^)]*\\))?)\\s+FROM\\s+STDIN\\b([\\s\\S]*?)\\s*;?\\s*$`,
  'i',
);

export const COPY_FORM = 'COPY table [(columns)] FROM STDIN [options], alone in a simple query';

export function planCopy(sql: string): CopyPlan {
  const skeleton = sqlSkeleton(sql);
  if (!/\bCOPY\b[\s\S]*\bFROM\s+STDIN\b/i.test(skeleton)) return { kind: 'none' };
  const single = SINGLE_COPY.exec(sql);
  const oneStatement = !skeleton.replace(/;\s*$/, '').includes(';');
  if (single && oneStatement && /^\s*COPY\b/i.test(skeleton)) {
    return { kind: 'copy', target: single[1] as string, options: single[2] ?? '' };
  }
  return {
    kind: 'refuse',
    reason: `the embedded database takes COPY … FROM STDIN only as ${COPY_FORM}`,
  };
}
