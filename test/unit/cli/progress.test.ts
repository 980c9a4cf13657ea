/** The spinner: drawn only on a terminal that takes escape codes, erased when done. */
import { expect } from 'chai';
import { drawsEscapeCodes, startProgress } from '../../../lib/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (t: string) => writes.push(t) };
}

const TERMINAL = { TERM: 'xterm-256color' };

describe('startProgress', () => {
  it('writes nothing with --json, even on a terminal', () => {
    const stream = fakeStream(true);
    const p = startProgress(stream, false, Date.now, 5, TERMINAL);
    p.update('applying 1_a');
    p.stop();
    expect(stream.writes).to.deep.equal([]);
  });

  it('writes one plain line per step, without escape codes, when stderr is not a terminal', () => {
    const stream = fakeStream(false);
    const p = startProgress(stream, true, Date.now, 5, TERMINAL);
    p.update('applying 1_a');
    p.clear();
    p.update('applying 2_b');
    p.stop();
    p.update('applying 3_c');
    expect(stream.writes).to.deep.equal(['applying 1_a\n', 'applying 2_b\n']);
  });

  for (const [what, env] of [
    ['TERM=dumb', { TERM: 'dumb' }],
    ['NO_COLOR', { TERM: 'xterm', NO_COLOR: '1' }],
  ] as const) {
    it(`on a terminal with ${what}: plain lines, no spinner frames or escape codes`, async () => {
      const stream = fakeStream(true);
      const p = startProgress(stream, true, Date.now, 5, env);
      p.update('applying 1_a');
      await new Promise((r) => setTimeout(r, 20));
      p.clear();
      p.stop();
      expect(stream.writes).to.deep.equal(['applying 1_a\n']);
    });
  }

  it('shows the step and the seconds since it started, and erases the line at the end', async () => {
    const stream = fakeStream(true);
    let t = 1_000;
    const p = startProgress(stream, true, () => t, 5, TERMINAL);
    p.update('applying 1_a');
    t += 2_500;
    await new Promise((r) => setTimeout(r, 20));
    p.stop();
    // eslint-disable-next-line no-control-regex -- the ANSI erase-line sequence is what is tested
    expect(stream.writes[0]).to.match(/^\r\x1b\[2K. applying 1_a \(0\.0 s\)$/);
    expect(stream.writes.some((w) => w.endsWith('applying 1_a (2.5 s)'))).to.equal(true);
    expect(stream.writes.at(-1)).to.equal('\r\x1b[2K');
    const count = stream.writes.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(stream.writes.length).to.equal(count);
  });
});

describe('drawsEscapeCodes', () => {
  it('only on a terminal, not TERM=dumb, and not with a non-empty NO_COLOR', () => {
    expect(drawsEscapeCodes({ isTTY: true }, {})).to.equal(true);
    expect(drawsEscapeCodes({ isTTY: true }, { NO_COLOR: '' })).to.equal(true);
    expect(drawsEscapeCodes({ isTTY: false }, {})).to.equal(false);
    expect(drawsEscapeCodes({}, {})).to.equal(false);
    expect(drawsEscapeCodes({ isTTY: true }, { TERM: 'dumb' })).to.equal(false);
    expect(drawsEscapeCodes({ isTTY: true }, { NO_COLOR: '0' })).to.equal(false);
  });
});
