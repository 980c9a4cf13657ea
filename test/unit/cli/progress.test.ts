/** The spinner: drawn only on a terminal, with elapsed time, erased when done. */
import { expect } from 'chai';
import { startProgress } from '../../../lib/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (t: string) => writes.push(t) };
}

describe('startProgress', () => {
  it('writes nothing when stderr is not a terminal, or with --json', () => {
    for (const [tty, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const stream = fakeStream(tty);
      const p = startProgress(stream, enabled);
      p.update('applying 1_a');
      p.stop();
      expect(stream.writes).to.deep.equal([]);
    }
  });

  it('shows the step and the seconds since it started, and erases the line at the end', async () => {
    const stream = fakeStream(true);
    let t = 1_000;
    const p = startProgress(stream, true, () => t, 5);
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
