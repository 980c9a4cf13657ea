/** The lock on `.prism/db` under races: exactly one taker of a stale lock, ever. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { acquireLock, inspectLock, lockPath } from '../../lib/db/embedded/lock.js';
import { tempDir } from '../helpers/databases.js';

const LOCK_MODULE = pathToFileURL(resolve('dist/lib/db/embedded/lock.js')).href;

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

function racer(dataDir: string): Promise<string> {
  const script = `
    const { acquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
    try {
      const lock = acquireLock(${JSON.stringify(dataDir)}, 'race');
      process.stdout.write('got');
      await new Promise((r) => setTimeout(r, 1500));
      lock.release();
    } catch (e) { process.stdout.write(e.constructor.name); }`;
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => resolveRun(out));
  });
}

describe('the embedded database lock', function () {
  this.timeout(120_000);

  it('gives a stale lock to exactly one of twelve racing processes, five rounds in a row', async () => {
    for (let round = 0; round < 5; round += 1) {
      const dataDir = join(tempDir(), '.prism', 'db');
      mkdirSync(join(dataDir, '..'), { recursive: true });
      writeFileSync(
        lockPath(dataDir),
        JSON.stringify({
          pid: deadPid(),
          port: null,
          host: null,
          startedAt: 'then',
          command: 'up',
        }),
      );
      const results = await Promise.all(Array.from({ length: 12 }, () => racer(dataDir)));
      expect(
        results.filter((r) => r === 'got'),
        `round ${round}: ${results.join(',')}`,
      ).to.have.length(1);
      expect(results.filter((r) => r !== 'got').every((r) => r === 'EmbeddedLockedError')).to.equal(
        true,
      );
    }
  });

  it("treats this process's own pid in a lock it does not hold as stale (pid reuse)", () => {
    const dataDir = join(tempDir(), '.prism', 'db');
    mkdirSync(join(dataDir, '..'), { recursive: true });
    writeFileSync(
      lockPath(dataDir),
      JSON.stringify({
        pid: process.pid,
        port: null,
        host: null,
        startedAt: 'then',
        command: 'up',
      }),
    );
    expect(inspectLock(dataDir).state).to.equal('stale');
    const taken: unknown[] = [];
    const lock = acquireLock(dataDir, 'test', (previous) => taken.push(previous));
    expect(taken).to.have.length(1);
    expect(inspectLock(dataDir).state).to.equal('owned');
    lock.release();
    expect(inspectLock(dataDir).state).to.equal('free');
  });
});
