import { expect } from 'chai';
import {
  MAX_DEPTH,
  MAX_INGEST_ROWS,
  checkCharset,
  decodeBody,
  invalidUtf8Offset,
  maySurrogate,
  parseJsonRows,
  parseNdjsonRows,
  parseNdjsonRowsLazily,
} from '../../../lib/api/body.js';
import type { RowSource } from '../../../lib/query/insert.js';
import { RequestRefusal } from '../../../lib/api/errors.js';
import { UsageError } from '../../../lib/errors.js';

const refused = (work: () => unknown): UsageError => {
  try {
    work();
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a refusal');
};
const row = { timestamp: '2026-01-01T00:00:00Z', value: 1 };

describe('ingest bodies', () => {
  it('reads a JSON array of rows and NDJSON, keeping each row’s line', () => {
    expect(parseJsonRows(JSON.stringify([row, row])).rows).to.deep.equal([row, row]);
    const nd = parseNdjsonRows(`\n${JSON.stringify(row)}\r\n\n${JSON.stringify(row)}`);
    expect(nd.rows).to.deep.equal([row, row]);
    expect([nd.placeOf(0), nd.placeOf(1)]).to.deep.equal(['line 2', 'line 4']);
    expect(parseNdjsonRows('').rows).to.deep.equal([]);
    expect(parseJsonRows('[]').rows).to.deep.equal([]);
    // A pair escaped in JSON is one character beyond U+FFFF, and is kept.
    expect(parseJsonRows('[{"s":"\\ud83d\\ude00"}]').rows).to.deep.equal([{ s: '😀' }]);
  });

  it('says what a row is when it is not an object, by row or by line', () => {
    expect(refused(() => parseNdjsonRows(`${JSON.stringify(row)}\n{}\n[1, 2]\n`)).message).to.equal(
      'line 3: expected an object, got an array',
    );
    expect(refused(() => parseNdjsonRows('null')).message).to.equal(
      'line 1: expected an object, got null',
    );
    expect(refused(() => parseNdjsonRows('{}\n"a"')).message).to.equal(
      'line 2: expected an object, got a string',
    );
    expect(refused(() => parseJsonRows('[{}, 7]')).message).to.equal(
      'row 1: expected an object, got a number',
    );
    expect(refused(() => parseJsonRows('{"a": 1}')).message).to.equal(
      'the body must be a JSON array of rows, got an object',
    );
    expect(refused(() => parseNdjsonRows('{}\n{"a": }')).message).to.match(
      /^line 2: not valid JSON: /,
    );
    expect(refused(() => parseJsonRows('[{')).message).to.match(/^the body is not valid JSON: /);
    expect(refused(() => parseJsonRows(' \n')).message).to.equal('the body is empty');
  });

  it('refuses __proto__ and constructor.prototype as keys anywhere, by name', () => {
    const cases: [string, string][] = [
      ['[{"__proto__": {"polluted": 1}}]', 'row 0: the key "__proto__" is not accepted'],
      ['[{}, {"constructor": {"prototype": {}}}]', 'row 1: the key "constructor" is not accepted'],
      [
        '[{"metadata": {"a": [{"constructor": {"prototype": 1}}]}}]',
        'row 0: field metadata.a[0]: the key "constructor" is not accepted',
      ],
    ];
    for (const [body, message] of cases) {
      expect(refused(() => parseJsonRows(body)).message, body).to.equal(message);
    }
    expect(refused(() => parseNdjsonRows('{}\n\n{"__proto__": 1}')).message).to.equal(
      'line 3: the key "__proto__" is not accepted',
    );
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
    // Ordinary data that merely uses these words as keys.
    const data = '[{"metadata": {"constructor": "Ferrari", "prototype": 1}}]';
    expect(parseJsonRows(data).rows).to.deep.equal([
      { metadata: { constructor: 'Ferrari', prototype: 1 } },
    ]);
  });

  it('refuses lone surrogates in values and keys, naming the row or line and the field', () => {
    expect(refused(() => parseJsonRows('[{"source": "a\\ud800b"}]')).message).to.equal(
      'row 0: field source: holds a lone surrogate (\\ud800), which is not text',
    );
    expect(refused(() => parseNdjsonRows('{}\n{"metadata": {"n": ["\\udc00"]}}')).message).to.equal(
      'line 2: field metadata.n[0]: holds a lone surrogate (\\udc00), which is not text',
    );
    expect(refused(() => parseJsonRows('[{"metadata": {"\\ud83d": 1}}]')).message).to.equal(
      'row 0: field metadata: a key holds a lone surrogate (\\ud83d), which is not text',
    );
    // Only an escape can put a lone surrogate into well-formed text.
    expect(maySurrogate('{"s": "😀 \\ud83d\\ude00"}')).to.equal(true);
    expect(maySurrogate('{"s": "😀 \\u00e9"}')).to.equal(false);
    // A pair in the wrong order is two lone halves.
    expect(refused(() => parseJsonRows('[{"s": "\\ude00\\ud83d"}]')).message).to.include(
      '(\\ude00)',
    );
  });

  it('refuses bytes that are not UTF-8, encoded surrogates included, with line and byte', () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    expect(decodeBody(bytes('[{"s":"é😀"}]'))).to.equal('[{"s":"é😀"}]');
    // ED A0 80 is U+D800 written as if it were a character (CESU-8).
    const cesu = bytes('{}\n{"s":"', [0xed, 0xa0, 0x80], '"}');
    expect(invalidUtf8Offset(cesu)).to.equal(9);
    expect(refused(() => decodeBody(cesu)).message).to.equal(
      'line 2, byte 7: the body is not UTF-8 (an encoded lone surrogate or a broken sequence)',
    );
    for (const bad of [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xf4, 0x90, 0x80, 0x80],
      [0xff],
      [0xe2, 0x82],
    ]) {
      expect(invalidUtf8Offset(bytes('ab', bad)), String(bad)).to.equal(2);
      expect(() => decodeBody(bytes('ab', bad))).to.throw(UsageError);
    }
    for (const good of [
      '\u007f',
      '\u0080',
      '\u07ff',
      '\u0800',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '😀',
      '\u{10ffff}',
    ]) {
      expect(invalidUtf8Offset(Buffer.from(good)), good).to.equal(-1);
    }
  });

  it('refuses nesting beyond the limit without exhausting the stack, and too many rows', () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(() => parseJsonRows(`[{"m": ${deep(MAX_DEPTH - 1)}}]`)).to.not.throw();
    expect(refused(() => parseJsonRows(`[{"m": ${deep(MAX_DEPTH)}}]`)).message).to.equal(
      `row 0: field m: nests deeper than ${MAX_DEPTH} levels`,
    );
    expect(refused(() => parseJsonRows(`[{"m": ${deep(1_000_000)}}]`)).message).to.include(
      'nests deeper',
    );
    expect(refused(() => parseJsonRows(`[${'{},'.repeat(MAX_INGEST_ROWS)}{}]`)).message).to.equal(
      `at most ${MAX_INGEST_ROWS} rows per request, got ${MAX_INGEST_ROWS + 1}`,
    );
    expect(refused(() => parseNdjsonRows('{}\n'.repeat(MAX_INGEST_ROWS + 1))).message).to.equal(
      `at most ${MAX_INGEST_ROWS} rows per request`,
    );
  });

  it('reads NDJSON lazily: each line parsed when read, refused as parseNdjsonRows refuses it', () => {
    const text = ` \n${JSON.stringify(row)}\r\n\n  ${JSON.stringify(row)}\n{"a": }\n\u00a0\n["x"]`;
    const lazy = parseNdjsonRowsLazily(text);
    const source = lazy.rows as RowSource;
    expect(source.length).to.equal(4);
    expect([0, 1, 2, 3].map((i) => lazy.placeOf(i))).to.deep.equal([
      'line 2',
      'line 4',
      'line 5',
      'line 7',
    ]);
    expect([source.row(0), source.row(1)]).to.deep.equal([row, row]);
    expect(refused(() => source.row(2)).message).to.equal(
      refused(() => parseNdjsonRows(text)).message,
    );
    expect(refused(() => source.row(3)).message).to.equal(
      'line 7: expected an object, got an array',
    );
    expect(
      refused(() => (parseNdjsonRowsLazily('{"s": "\\udc00"}').rows as RowSource).row(0)).message,
    ).to.match(/^line 1: field s: holds a lone surrogate/);
    // Over the cap: refused at once, as parseNdjsonRows refuses it.
    expect(
      refused(() => parseNdjsonRowsLazily('{}\n'.repeat(MAX_INGEST_ROWS + 1))).message,
    ).to.equal(`at most ${MAX_INGEST_ROWS} rows per request`);
    expect(
      refused(() => parseNdjsonRowsLazily(`{\n${'{}\n'.repeat(MAX_INGEST_ROWS + 1)}`)).message,
    ).to.match(/^line 1: not valid JSON/);
  });

  it('says a query-layer error about a row by its NDJSON line', () => {
    const nd = parseNdjsonRows('\n{}\n\n{}');
    const located = nd.locate(new UsageError('row 1: field value: expected a finite number'));
    expect((located as Error).message).to.equal('line 4: field value: expected a finite number');
    const json = parseJsonRows('[{}, {}]');
    const same = new UsageError('row 1: field value: expected a finite number');
    expect(json.locate(same)).to.equal(same);
  });

  it('takes UTF-8 only: another charset is refused with 415', () => {
    expect(() => checkCharset('application/json')).to.not.throw();
    expect(() => checkCharset('application/json; charset=UTF-8')).to.not.throw();
    expect(() => checkCharset('application/x-ndjson;charset="utf8"')).to.not.throw();
    const error = refused(() => checkCharset('application/json; charset=latin1'));
    expect(error).to.be.instanceOf(RequestRefusal);
    expect((error as RequestRefusal).status).to.equal(415);
  });
});
