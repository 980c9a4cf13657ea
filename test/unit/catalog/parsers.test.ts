/**
 * The catalog reader's pure parts: defaults as pg_get_expr prints them, enum CHECKs as
 * pg_get_constraintdef prints them, and interval parts put together as the grammar's text.
 * The texts are PostgreSQL 15's output for the defaults and constraints named.
 */
import { expect } from 'chai';
import { integerAmount, intervalFromParts } from '../../../lib/catalog/amounts.js';
import { parseEnumCheck } from '../../../lib/catalog/checks.js';
import { parseColumnDefault } from '../../../lib/catalog/defaults.js';

describe('parseColumnDefault', () => {
  it('knows the spec functions and nothing that merely looks like them', () => {
    expect(parseColumnDefault('now()', 'timestamp with time zone')).to.deep.equal({
      kind: 'function',
      name: 'now',
    });
    expect(parseColumnDefault('gen_random_uuid()', 'uuid')).to.deep.equal({
      kind: 'function',
      name: 'gen_random_uuid',
    });
    expect(parseColumnDefault('CURRENT_DATE', 'date')).to.deep.equal({
      kind: 'function',
      name: 'current_date',
    });
    for (const sql of [
      'CURRENT_TIMESTAMP',
      'public.now()',
      'now() ',
      "(now() + '1 day'::interval)",
    ]) {
      expect(parseColumnDefault(sql, 'timestamp with time zone'), sql).to.deep.equal({
        kind: 'expression',
        sql,
      });
    }
  });

  it('reads constants: numbers and booleans where the column type says so, else their text', () => {
    const cases: [string, string, string | number | boolean][] = [
      ["'it''s'::character varying", 'character varying(20)', "it's"],
      ['42', 'integer', 42],
      ["'-5'::integer", 'integer', -5],
      ["'10000000000'::bigint", 'bigint', 10_000_000_000],
      ["'9007199254740993'::bigint", 'bigint', '9007199254740993'],
      ['1.5', 'double precision', 1.5],
      ["'-2.5'::numeric", 'double precision', -2.5],
      ["'NaN'::double precision", 'double precision', 'NaN'],
      ['1.50', 'numeric(10,2)', '1.50'],
      ['3', 'smallint', 3],
      ['true', 'boolean', true],
      ['false', 'boolean', false],
      [
        "'2024-01-01 00:00:00+00'::timestamp with time zone",
        'timestamp with time zone',
        '2024-01-01 00:00:00+00',
      ],
      ["'12:00:00'::time(3) without time zone", 'time(3) without time zone', '12:00:00'],
      ['\'{"a": [1, 2]}\'::jsonb', 'jsonb', '{"a": [1, 2]}'],
      ["'line1\nline2\\x'::text", 'text', 'line1\nline2\\x'],
      ["''::text", 'text', ''],
      ["'{a,b}'::text[]", 'text[]', '{a,b}'],
      ['\'x\'::"char"', '"char"', 'x'],
    ];
    for (const [sql, type, value] of cases) {
      expect(parseColumnDefault(sql, type), sql).to.deep.equal({ kind: 'literal', value });
    }
  });

  it('keeps anything else as the expression text, never evaluating it', () => {
    for (const sql of [
      "nextval('t_id_seq'::regclass)",
      '(1 + 2)',
      "('now'::text)::date",
      "'a'::text || 'b'::text",
      '\'a\'::text COLLATE "C"',
      'NULL::text',
      "'x'::text::character varying",
      "'it''s'",
      '-1',
    ]) {
      expect(parseColumnDefault(sql, 'text'), sql).to.deep.equal({ kind: 'expression', sql });
    }
  });
});

describe('parseEnumCheck', () => {
  it('reads IN lists and single values on text and varchar columns', () => {
    expect(
      parseEnumCheck("CHECK ((status = ANY (ARRAY['new'::text, 'O''Brien'::text])))"),
    ).to.deep.equal({
      column: 'status',
      values: ['new', "O'Brien"],
    });
    expect(parseEnumCheck("CHECK ((status = 'x'::text))")).to.deep.equal({
      column: 'status',
      values: ['x'],
    });
    expect(
      parseEnumCheck(
        "CHECK (((ah)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[])))",
      ),
    ).to.deep.equal({ column: 'ah', values: ['x', 'y'] });
    expect(parseEnumCheck("CHECK (((aj)::text = 'z'::text))")).to.deep.equal({
      column: 'aj',
      values: ['z'],
    });
  });

  it('keeps quoted names, separators and line breaks inside values', () => {
    expect(
      parseEnumCheck(
        `CHECK (("Kind ""A""" = ANY (ARRAY['a''::text, ''b'::text, 'two\nlines'::text])))`,
      ),
    ).to.deep.equal({ column: 'Kind "A"', values: ["a'::text, 'b", 'two\nlines'] });
  });

  it('refuses every other CHECK', () => {
    for (const def of [
      'CHECK ((n > 0))',
      'CHECK ((n = ANY (ARRAY[1, 2])))',
      "CHECK ((status = ANY (ARRAY['a'::text, 'b'::text]))) NOT VALID",
      "CHECK (((status = 'a'::text) OR (other = 'b'::text)))",
      "CHECK ((lower(status) = 'a'::text))",
      "CHECK ((status <> ALL (ARRAY['a'::text])))",
    ]) {
      expect(parseEnumCheck(def), def).to.equal(undefined);
    }
  });
});

describe('intervalFromParts and integerAmount', () => {
  const interval = (parts: (string | number)[]) => {
    const amount = intervalFromParts(parts);
    return amount?.kind === 'interval' ? amount.interval : undefined;
  };

  it('puts years, months, days, hours, minutes and microseconds together as the grammar writes them', () => {
    expect(interval(['0', '0', '7', '0', '0', '0'])?.text).to.equal('7 days');
    expect(interval(['0', '1', '0', '0', '0', '0'])?.text).to.equal('1 month');
    expect(interval(['1', '0', '2', '0', '0', '0'])?.text).to.equal('1 year 2 days');
    expect(interval(['0', '0', '1', '12', '0', '0'])?.text).to.equal('1 day 12 hours');
    expect(interval(['0', '0', '0', '0', '0', '1500000'])?.text).to.equal(
      '1 second 500000 microseconds',
    );
  });

  it('counts months as 30 days and years as 360, as TimescaleDB does', () => {
    expect(interval(['0', '1', '0', '0', '0', '0'])?.micros).to.equal(30n * 86_400_000_000n);
    expect(interval(['1', '0', '0', '0', '0', '0'])?.micros).to.equal(360n * 86_400_000_000n);
  });

  it('gives nothing for what the grammar cannot state', () => {
    expect(intervalFromParts(['0', '0', '0', '0', '0', '0'])).to.equal(undefined);
    expect(intervalFromParts(['0', '0', '1', '-2', '0', '0'])).to.equal(undefined);
    expect(intervalFromParts(['2000', '0', '0', '0', '0', '0'])).to.equal(undefined);
    expect(intervalFromParts(['0', '0', '1'])).to.equal(undefined);
  });

  it('reads integer amounts as bigints', () => {
    expect(integerAmount('7776000000')).to.deep.equal({ kind: 'integer', value: 7_776_000_000n });
    expect(integerAmount('0')).to.equal(undefined);
    expect(integerAmount('-5')).to.equal(undefined);
    expect(integerAmount('1.5')).to.equal(undefined);
    expect(integerAmount(null)).to.equal(undefined);
  });
});
