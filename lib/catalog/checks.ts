/**
 * CHECK constraints that hold an enum's values on one column, read back from
 * `pg_get_constraintdef`. PostgreSQL prints `col IN ('a', 'b')` as
 * `CHECK ((col = ANY (ARRAY['a'::text, 'b'::text])))`, one value as
 * `CHECK ((col = 'a'::text))`, and on a varchar column with casts to text. Anything else
 * is not an enum's CHECK.
 */

/** A column name as PostgreSQL prints it: bare, or double-quoted with `""` inside. */
const IDENT = String.raw`(?:[a-z_][a-z0-9_$]*|"(?:[^"]|"")+")`;
const STRING = String.raw`'(?:[^']|'')*'`;
const TEXT_LITERAL = String.raw`${STRING}::text`;
const VARCHAR_LITERAL = String.raw`${STRING}::character varying`;
const list = (literal: string): string => String.raw`${literal}(?:, ${literal})*`;

const FORMS: readonly RegExp[] = [
  new RegExp(
    String.raw`^CHECK \(\((${IDENT}) = ANY \(ARRAY\[(${list(TEXT_LITERAL)})\]\)\)\)$`,
    's',
  ),
  new RegExp(String.raw`^CHECK \(\((${IDENT}) = (${TEXT_LITERAL})\)\)$`, 's'),
  new RegExp(
    String.raw`^CHECK \(\(\((${IDENT})\)::text = ANY \(\(ARRAY\[(${list(VARCHAR_LITERAL)})\]\)::text\[\]\)\)\)$`,
    's',
  ),
  new RegExp(String.raw`^CHECK \(\(\((${IDENT})\)::text = (${TEXT_LITERAL})\)\)$`, 's'),
];

function unquoteIdent(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replaceAll('""', '"') : ident;
}

export interface EnumValues {
  readonly column: string;
  readonly values: readonly string[];
}

/** The column and values of an enum's CHECK, or undefined for any other constraint. */
export function parseEnumCheck(definition: string): EnumValues | undefined {
  for (const form of FORMS) {
    const m = form.exec(definition);
    if (!m) continue;
    const values = [...(m[2] as string).matchAll(new RegExp(STRING, 'gs'))].map((v) =>
      v[0].slice(1, -1).replaceAll("''", "'"),
    );
    return { column: unquoteIdent(m[1] as string), values };
  }
  return undefined;
}
