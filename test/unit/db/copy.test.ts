/** Which COPY … FROM STDIN statements the embedded server runs itself, and which it refuses. */
import { expect } from 'chai';
import { planCopy, sqlSkeleton } from '../../../lib/db/embedded/copy.js';
import { takeMessage } from '../../../lib/db/embedded/wire.js';

describe('planCopy', () => {
  it('runs the plain single-statement form', () => {
    expect(planCopy('COPY t FROM STDIN')).to.deep.equal({ kind: 'copy', target: 't', options: '' });
    expect(planCopy('copy "My ""T""" (a, b) from stdin with (format csv);')).to.deep.equal({
      kind: 'copy',
      target: '"My ""T""" (a, b)',
      options: ' with (format csv)',
    });
    expect(planCopy('COPY app.t FROM STDIN')).to.include({ kind: 'copy', target: 'app.t' });
  });

  it('refuses every other form that would reach PGlite', () => {
    for (const sql of [
      '/* c */ COPY t FROM STDIN',
      '-- c\nCOPY t FROM STDIN',
      'SELECT 1; COPY t FROM STDIN',
      'COPY t FROM STDIN; SELECT 1',
      'COPY (SELECT 1) FROM STDIN',
    ]) {
      expect(planCopy(sql).kind, sql).to.equal('refuse');
    }
  });

  it('leaves COPY TO STDOUT and words inside literals, identifiers and comments alone', () => {
    for (const sql of [
      "COPY (SELECT ' x FROM STDIN') TO STDOUT",
      'SELECT 1 AS "copy x from stdin"',
      'SELECT 1 -- copy t from stdin',
      "SELECT $$ COPY t FROM STDIN $$, E'\\' COPY t FROM STDIN'",
      'COPY t TO STDOUT',
    ]) {
      expect(planCopy(sql).kind, sql).to.equal('none');
    }
  });

  it('blanks literals and comments in the skeleton', () => {
    expect(sqlSkeleton('SELECT \'a;b\' /* x; */ -- y;\n, "c;d"')).to.not.include(';');
  });
});

describe('takeMessage', () => {
  it('marks lengths outside the protocol bounds invalid instead of waiting forever', () => {
    expect(takeMessage(Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff]), false)).to.deep.equal({
      invalid: 'invalid message length -1',
    });
    expect(takeMessage(Buffer.from([0x51, 0, 0, 0, 2]), false)).to.deep.equal({
      invalid: 'invalid message length 2',
    });
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(1_000_000, 0);
    expect(takeMessage(startup, true)).to.deep.equal({
      invalid: 'invalid startup packet length 1000000',
    });
    expect(takeMessage(Buffer.from([0x51, 0, 0, 0, 9, 0x41]), false)).to.equal(undefined);
  });
});
