import { expect } from 'chai';
import { UsageError } from '../../../lib/errors.js';
import { dollarQuote, quoteIdent, quoteLiteral, quoteTable } from '../../../lib/sql/quote.js';

describe('quoteIdent', () => {
  it('wraps in double quotes', () => {
    expect(quoteIdent('datapoint')).to.equal('"datapoint"');
    expect(quoteIdent('DataPoint')).to.equal('"DataPoint"');
  });

  it('doubles a " inside a name', () => {
    expect(quoteIdent('a"b')).to.equal('"a""b"');
    expect(quoteIdent('"; drop table x; --')).to.equal('"""; drop table x; --"');
  });

  it('refuses NUL, empty names and names over 63 bytes', () => {
    expect(() => quoteIdent('a\0b')).to.throw(UsageError, /NUL/);
    expect(() => quoteIdent('')).to.throw(UsageError, 'identifier must be a non-empty string');
    expect(() => quoteIdent('x'.repeat(64), 'column name')).to.throw(
      UsageError,
      /^column name "x+" is longer than 63 bytes$/,
    );
    expect(quoteIdent('x'.repeat(63))).to.have.length(65);
  });

  it('counts bytes, not characters', () => {
    expect(quoteIdent('é'.repeat(31))).to.equal(`"${'é'.repeat(31)}"`);
    expect(() => quoteIdent('é'.repeat(32))).to.throw(UsageError, /longer than 63 bytes/);
  });
});

describe('quoteTable', () => {
  it('quotes schema and table separately', () => {
    expect(quoteTable('t')).to.equal('"t"');
    expect(quoteTable({ schema: 'app', name: 'my"t' })).to.equal('"app"."my""t"');
  });
});

describe('quoteLiteral', () => {
  it("doubles ' inside a literal", () => {
    expect(quoteLiteral("it's")).to.equal("'it''s'");
    expect(quoteLiteral("1 day'; DROP TABLE x; --")).to.equal("'1 day''; DROP TABLE x; --'");
    expect(quoteLiteral('')).to.equal("''");
  });

  it('leaves backslashes alone (standard_conforming_strings)', () => {
    expect(quoteLiteral('a\\b')).to.equal("'a\\b'");
  });

  it('refuses NUL', () => {
    expect(() => quoteLiteral('a\0')).to.throw(UsageError, /NUL/);
  });
});

describe('dollarQuote', () => {
  it('uses $prism$ when the body does not contain it', () => {
    expect(dollarQuote('SELECT 1')).to.equal('$prism$SELECT 1$prism$');
  });

  it('picks a tag that does not occur in the body', () => {
    expect(dollarQuote('x $prism$ y')).to.equal('$prism_1$x $prism$ y$prism_1$');
    const body = 'a $prism$ b $prism_1$ c';
    const quoted = dollarQuote(body);
    expect(quoted).to.equal(`$prism_2$${body}$prism_2$`);
  });

  it('the body cannot end the block early', () => {
    const body = '$prism$; DROP TABLE x; $prism$';
    const quoted = dollarQuote(body);
    const tag = quoted.slice(0, quoted.indexOf('$', 1) + 1);
    expect(quoted.slice(tag.length, -tag.length)).to.equal(body);
    expect(body.includes(tag)).to.equal(false);
  });

  it('accepts another base tag', () => {
    expect(dollarQuote('$$', 'body')).to.equal('$body$$$$body$');
  });
});
