/**
 * One process owns a PGlite data directory: two openers silently lose the second one's
 * writes. The owner is recorded in `<dataDir>.lock` (pid, port when serving, start
 * time), created atomically; a lock whose pid is gone is taken over.
 */
import { dirname } from 'node:path';
import {
  existsSync,
  linkSync,
  mkdirSync,
  rmSync,
  statSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { DatabaseError } from '../../errors.js';

export interface LockInfo {
  readonly pid: number;
  /** Set while `embedded start` serves the directory; other commands connect through it. */
  readonly port: number | null;
  readonly host: string | null;
  readonly startedAt: string;
  readonly command: string;
  /**
   * The owner's start time in clock ticks since boot (/proc/<pid>/stat), where the system
   * has /proc: a pid reused by another process then does not keep the lock.
   */
  readonly processStart?: string | undefined;
}

export type LockState =
  | { readonly state: 'free' }
  | { readonly state: 'owned'; readonly info: LockInfo }
  | { readonly state: 'stale'; readonly info: LockInfo | undefined };

export function lockPath(dataDir: string): string {
  return `${dataDir.replace(/[/\\]+$/, '')}.lock`;
}

interface ProcessStat {
  /** One letter: R running, S sleeping, Z zombie (dead, not yet reaped), X dead, … */
  readonly state: string;
  readonly startTicks: string;
}

/** The state and start time of `pid` from /proc, or undefined where there is none. */
function readProcessStat(pid: number): ProcessStat | 'gone' | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH')
      return existsSync('/proc/self/stat') ? 'gone' : undefined;
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses; the fields after
  // the last ')' start with the state (field 3); the start time is field 22.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  return state && startTicks ? { state, startTicks } : undefined;
}

/** This process's start time as recorded in the lock, where /proc has it. */
function ownStart(): string | undefined {
  const stat = readProcessStat(process.pid);
  return typeof stat === 'object' ? stat.startTicks : undefined;
}

/**
 * Whether `pid` is a live process (and, given its recorded start time, still the same
 * one). A killed process that its parent has not reaped yet is a zombie: `kill(pid, 0)`
 * still succeeds for it, but it will never release anything, so it counts as dead.
 */
export function isProcessAlive(pid: number, processStart?: string): boolean {
  const stat = readProcessStat(pid);
  if (stat === 'gone') return false;
  if (stat !== undefined) {
    if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
    return processStart === undefined || stat.startTicks === processStart;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLockFile(path: string): LockInfo | undefined | 'missing' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    // Locks are linked into place whole, so this is damage, e.g. a full disk.
    return undefined;
  }
}

/** Lock files this process holds. */
const heldHere = new Set<string>();

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes a stale lock under a takeover mutex (a directory, created atomically), after
 * checking again that it is still the stale one: two processes taking over the same
 * stale lock must not end up both believing they own the directory.
 */
function removeStaleLock(
  dataDir: string,
  stalePid: number | undefined,
): 'removed' | 'busy' | LockState {
  const mutex = `${lockPath(dataDir)}.takeover`;
  try {
    mkdirSync(mutex);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A taker that died mid-takeover leaves the mutex behind.
    if (Date.now() - statSync(mutex).mtimeMs > 10_000)
      rmSync(mutex, { recursive: true, force: true });
    return 'busy';
  }
  try {
    const state = inspectLock(dataDir);
    if (state.state !== 'stale' || state.info?.pid !== stalePid) return state;
    unlinkSync(lockPath(dataDir));
    return 'removed';
  } finally {
    rmSync(mutex, { recursive: true, force: true });
  }
}

export function inspectLock(dataDir: string): LockState {
  const path = lockPath(dataDir);
  const info = readLockFile(path);
  if (info === 'missing') return { state: 'free' };
  // Our own pid in a lock we do not hold is pid reuse (e.g. pid 1 in a new container).
  const ours = info?.pid === process.pid && !heldHere.has(path);
  if (info && !ours && isProcessAlive(info.pid, info.processStart)) return { state: 'owned', info };
  return { state: 'stale', info };
}

export class EmbeddedLockedError extends DatabaseError {
  readonly owner: LockInfo;
  constructor(dataDir: string, owner: LockInfo) {
    super(
      `the embedded database ${dataDir} is in use by another prism-migrate process (pid ${owner.pid}, \`${owner.command}\`, since ${owner.startedAt})`,
      {
        hint: 'wait for it to finish, or run `prism-migrate embedded start` in one terminal so that every other command connects through it',
      },
    );
    this.owner = owner;
  }
}

export interface LockHandle {
  readonly path: string;
  /** Records the port once the owner serves the directory. */
  setPort(host: string, port: number): void;
  release(): void;
}

/**
 * Takes the lock or throws EmbeddedLockedError naming the owner. A stale lock (dead pid)
 * is taken over, and `onTakeover` is told whose it was.
 */
export function acquireLock(
  dataDir: string,
  command: string,
  onTakeover: (previous: LockInfo | undefined) => void = () => undefined,
): LockHandle {
  const path = lockPath(dataDir);
  mkdirSync(dirname(path), { recursive: true });
  let info: LockInfo = {
    pid: process.pid,
    port: null,
    host: null,
    startedAt: new Date().toISOString(),
    command,
    processStart: ownStart(),
  };
  for (let attempt = 0; attempt < 200; attempt += 1) {
    try {
      // Written aside and linked into place, so no reader ever sees a half-written lock.
      const pending = `${path}.${process.pid}`;
      writeFileSync(pending, JSON.stringify(info));
      try {
        linkSync(pending, path);
      } finally {
        unlinkSync(pending);
      }
      let released = false;
      heldHere.add(path);
      return {
        path,
        setPort(host, port) {
          info = { ...info, host, port };
          const pending = `${path}.${process.pid}`;
          writeFileSync(pending, JSON.stringify(info));
          renameSync(pending, path);
        },
        release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          const current = readLockFile(path);
          if (current !== 'missing' && current?.pid === process.pid) unlinkSync(path);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const state = inspectLock(dataDir);
    if (state.state === 'owned') throw new EmbeddedLockedError(dataDir, state.info);
    if (state.state === 'stale') {
      const outcome = removeStaleLock(dataDir, state.info?.pid);
      if (outcome === 'removed') onTakeover(state.info);
      else if (outcome === 'busy') sleepSync(20);
      else if (outcome.state === 'owned') throw new EmbeddedLockedError(dataDir, outcome.info);
    }
  }
  throw new DatabaseError(`could not take the lock ${path}: another process keeps replacing it`);
}
