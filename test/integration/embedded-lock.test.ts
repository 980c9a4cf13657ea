/** The lock on `.prism/db` under races: exactly one taker of a stale lock, ever. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { acquireLock, inspectLock, lockPath } from '../../lib/db/embedded/lock.js';
import { tempDir } from '../helpers/databases.js';
import { CLI, cleanEnv, freePort, projectDir, runCli } from '../helpers/embedded-process.js';

const LOCK_MODULE = pathToFileURL(resolve('dist/lib/db/embedded/lock.js')).href;

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

interface Racer {
  /** What the racer says once it has tried: `got` or the name of the error it met. */
  readonly result: Promise<string>;
  /** Lets a racer that got the lock release it and exit. */
  finish(): Promise<void>;
}

/**
 * A process that tries to take the lock and, if it got it, holds it until told to finish:
 * however slowly the racers start, no one releases before every one has tried.
 */
function racer(dataDir: string): Racer {
  const script = `
    const { acquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
    try {
      const lock = acquireLock(${JSON.stringify(dataDir)}, 'race');
      process.stdout.write('got');
      process.stdin.resume();
      await new Promise((r) => process.stdin.once('end', r));
      lock.release();
    } catch (e) { process.stdout.write(e.constructor.name); }
    process.exit(0);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const result = new Promise<string>((resolveRun) => {
    child.stdout.once('data', (d: Buffer) => resolveRun(d.toString()));
    void exited.then(() => resolveRun('exited without a word'));
  });
  return {
    result,
    async finish() {
      child.stdin.end();
      await exited;
    },
  };
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
      const racers = Array.from({ length: 12 }, () => racer(dataDir));
      const results = await Promise.all(racers.map((r) => r.result));
      await Promise.all(racers.map((r) => r.finish()));
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

  it('takes over at once from an owner killed but not yet reaped (a zombie)', async function () {
    if (!existsSync('/proc/self/stat')) this.skip();
    const dataDir = join(tempDir(), '.prism', 'db');
    mkdirSync(join(dataDir, '..'), { recursive: true });
    const script = `
      const { acquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
      acquireLock(${JSON.stringify(dataDir)}, 'zombie');
      process.stdout.write('held');
      setInterval(() => undefined, 1000);`;
    // The shell starts the owner, prints its pid and becomes `sleep`, which never waits
    // for children: once killed, the owner stays a zombie for as long as sleep lives.
    const parent = spawn(
      'sh',
      [
        '-c',
        `"$0" --input-type=module -e "$1" & echo "$!"; exec sleep 60`,
        process.execPath,
        script,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
      while (!out.includes('held')) await new Promise((r) => setTimeout(r, 20));
      const owner = Number(out.split('\n')[0]);
      expect(inspectLock(dataDir)).to.deep.include({ state: 'owned' });
      process.kill(owner, 'SIGKILL');
      while (!/^State:\s+Z/m.test(readFileSync(`/proc/${owner}/status`, 'utf8')))
        await new Promise((r) => setTimeout(r, 10));
      expect(inspectLock(dataDir).state).to.equal('stale');
      const lock = acquireLock(dataDir, 'next');
      expect(inspectLock(dataDir).state).to.equal('owned');
      lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('lets the next command in at once after `embedded start` is killed and left unreaped', async function () {
    if (!existsSync('/proc/self/stat')) this.skip();
    const dir = projectDir();
    const port = await freePort();
    const parent = spawn(
      'sh',
      [
        '-c',
        `"$0" "$1" embedded start --port "$2" & echo "pid $!"; exec sleep 120`,
        process.execPath,
        CLI,
        String(port),
      ],
      { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 60_000;
      while (!/psql postgres:/.test(out) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const owner = Number(/pid (\d+)/.exec(out)?.[1]);
      expect(out, out).to.match(/psql postgres:/);
      process.kill(owner, 'SIGKILL');
      while (!/^State:\s+Z/m.test(readFileSync(`/proc/${owner}/status`, 'utf8')))
        await new Promise((r) => setTimeout(r, 10));
      const status = await runCli(dir, ['status']);
      expect(status.code, status.stderr).to.equal(0);
      expect(status.stderr + status.stdout).to.match(new RegExp(`pid ${owner}`));
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('treats a live process whose start time differs from the recorded one as a reused pid', () => {
    if (!existsSync('/proc/self/stat')) return;
    const dataDir = join(tempDir(), '.prism', 'db');
    mkdirSync(join(dataDir, '..'), { recursive: true });
    const sleeper = spawn('sleep', ['30']);
    try {
      const base = { pid: sleeper.pid, port: null, host: null, startedAt: 'then', command: 'up' };
      writeFileSync(lockPath(dataDir), JSON.stringify(base));
      expect(inspectLock(dataDir).state).to.equal('owned');
      writeFileSync(lockPath(dataDir), JSON.stringify({ ...base, processStart: '1' }));
      expect(inspectLock(dataDir).state).to.equal('stale');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
