import { expect } from 'chai';
import {
  parseCatalogPredicate,
  parsePredicate,
  predicateSql,
  predicateText,
  whereSql,
} from '../../../lib/sql/predicate.js';

function text(source: string): string {
  const parsed = parsePredicate(source);
  if (!parsed.ok) throw new Error(parsed.reason);
  return predicateText(parsed.predicate);
}

function catalog(source: string): string {
  const parsed = parseCatalogPredicate(source);
  if (!parsed.ok) throw new Error(parsed.reason);
  return predicateText(parsed.predicate);
}

function refused(source: string): string {
  const parsed = parsePredicate(source);
  expect(parsed.ok, source).to.equal(false);
  return parsed.ok ? '' : parsed.reason;
}

describe('sql/predicate: the partial-index condition grammar', () => {
  it('reads comparisons, IS [NOT] NULL, [NOT] IN, boolean fields, AND/OR/NOT and parentheses', () => {
    expect(text("status = 'on'")).to.equal("status = 'on'");
    expect(text('value >= 1.50 and value != -2')).to.equal('value >= 1.5 AND value <> -2');
    expect(text('deleted_at IS NULL')).to.equal('deleted_at IS NULL');
    expect(text('x is not null or (a = 1 AND b = 2)')).to.equal(
      'x IS NOT NULL OR (a = 1 AND b = 2)',
    );
    expect(text("kind IN ('a', 'b')")).to.equal("kind IN ('a', 'b')");
    expect(text('n NOT IN (1, 2, 3)')).to.equal('n NOT IN (1, 2, 3)');
    expect(text('NOT active')).to.equal('NOT active');
    expect(text('active = TRUE AND NOT (n < 0)')).to.equal('active = true AND NOT n < 0');
    expect(text("name = 'O''Brien'")).to.equal("name = 'O''Brien'");
  });

  it('normalizes as PostgreSQL stores conditions: flat AND/OR, one-value IN as a comparison', () => {
    expect(text('a = 1 AND (b = 2 AND c = 3)')).to.equal('a = 1 AND b = 2 AND c = 3');
    expect(text("kind IN ('a')")).to.equal("kind = 'a'");
    expect(text('n NOT IN (7)')).to.equal('n <> 7');
    expect(text('(((x IS NULL)))')).to.equal('x IS NULL');
  });

  it('prints SQL with quoted names and escaped literals', () => {
    const parsed = parsePredicate("status = 'x''); DROP TABLE t; --' AND n > 0");
    expect(parsed.ok).to.equal(true);
    if (!parsed.ok) return;
    expect(predicateSql(parsed.predicate)).to.equal(
      `"status" = 'x''); DROP TABLE t; --' AND "n" > 0`,
    );
    expect(whereSql('NOT (a = 1 OR b IS NULL)')).to.equal('NOT ("a" = 1 OR "b" IS NULL)');
  });

  it('refuses anything else, saying where', () => {
    expect(refused('1=1; DROP TABLE x')).to.equal('";" is not allowed at character 4');
    expect(refused('1=1')).to.equal('expected a field name, NOT or "(" at character 1, found "1"');
    expect(refused('a = 1; DROP TABLE x')).to.equal('";" is not allowed at character 6');
    expect(refused('a = b')).to.match(/^expected a literal .* at character 5, found "b"/);
    expect(refused("lower(name) = 'x'")).to.match(/^expected AND, OR or the end at character 6/);
    expect(refused("a = 'x'::text")).to.equal('":" is not allowed at character 8');
    expect(refused('a = $1')).to.equal('"$" is not allowed at character 5');
    expect(refused('a = "b"')).to.equal('"\\"" is not allowed at character 5');
    expect(refused("a = E'\\x'")).to.match(/^expected a literal .* at character 5, found "E"/);
    expect(refused('a = 1 -- comment')).to.match(/^expected AND, OR or the end at character 7/);
    expect(refused('a = 1 OR')).to.equal(
      'expected a field name, NOT or "(" at character 9, found the end',
    );
    expect(refused('a = 1 /* c */')).to.equal('"/" is not allowed at character 7');
    expect(refused("a = 'unterminated")).to.equal('unterminated string at character 18');
    expect(refused("a = 'line\nbreak'")).to.equal(
      'a control character in a string at character 10',
    );
    expect(refused('a = 1e5')).to.equal('unexpected "e" after a number at character 6');
    expect(refused('a IN ()')).to.match(/^expected a literal/);
    expect(refused('a IS 1')).to.match(/^expected NULL/);
    expect(refused('')).to.equal('the condition is empty');
    expect(refused('AND a = 1')).to.match(/^expected a field name/);
    expect(refused('a = (SELECT 1)')).to.match(/^expected a literal/);
    expect(refused(`${'('.repeat(40)}a${')'.repeat(40)}`)).to.equal(
      'the expression is nested too deeply',
    );
    expect(refused(`a = '${'x'.repeat(4000)}'`)).to.match(/longer than 4000/);
  });

  it("reads PostgreSQL's printing of the same conditions into the same text", () => {
    const pairs: [string, string][] = [
      ["(status = 'on'::text)", "status = 'on'"],
      ["((status)::text = 'on'::text)", "status = 'on'"],
      ['(value > (0)::double precision)', 'value > 0'],
      ["(n > '-1'::integer)", 'n > -1'],
      ["(big > '3000000000'::bigint)", 'big > 3000000000'],
      ['(price >= 1.50)', 'price >= 1.5'],
      ['(deleted_at IS NULL)', 'deleted_at IS NULL'],
      ["((a = 1) AND (b = 2) AND ((c)::text <> 'x'::text))", "a = 1 AND b = 2 AND c <> 'x'"],
      ["(kind = ANY (ARRAY['a'::text, 'b'::text]))", "kind IN ('a', 'b')"],
      [
        "((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
        "kind IN ('a', 'b')",
      ],
      ["(kind <> ALL (ARRAY['a'::text, 'b'::text]))", "kind NOT IN ('a', 'b')"],
      ['active', 'active'],
      ['(NOT active)', 'NOT active'],
      ['(NOT ((n < 0) OR (x IS NULL)))', 'NOT (n < 0 OR x IS NULL)'],
      ['(active = true)', 'active = true'],
      ['("Time" IS NOT NULL)', 'Time IS NOT NULL'],
    ];
    for (const [printed, expected] of pairs) expect(catalog(printed), printed).to.equal(expected);
    expect(parseCatalogPredicate("(lower(name) = 'x'::text)").ok).to.equal(false);
    expect(parseCatalogPredicate('(a = b)').ok).to.equal(false);
    expect(
      parseCatalogPredicate("(ts > '2024-01-01 00:00:00+00'::timestamp with time zone)"),
    ).to.deep.include({ ok: true });
  });
});
