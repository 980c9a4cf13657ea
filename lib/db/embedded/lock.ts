/**
 * One process owns a PGlite data directory: two openers silently lose the second one's
 * writes. The owner is recorded in `<dataDir>.lock` (pid, port when serving, start
 * time), created atomically; a lock whose pid is gone is taken over.
 */
import { dirname } from 'node:path';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { DatabaseError } from '../../errors.js';

export interface LockInfo {
  readonly pid: number;
  /** Set while `embedded start` serves the directory; other commands connect through it. */
  readonly port: number | null;
  readonly host: string | null;
  readonly startedAt: string;
  readonly command: string;
}

export type LockState =
  | { readonly state: 'free' }
  | { readonly state: 'owned'; readonly info: LockInfo }
  | { readonly state: 'stale'; readonly info: LockInfo | undefined };

export function lockPath(dataDir: string): string {
  return `${dataDir.replace(/[/\\]+$/, '')}.lock`;
}

export function isProcessAlive(pid: number): boolean {
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

export function inspectLock(dataDir: string): LockState {
  const info = readLockFile(lockPath(dataDir));
  if (info === 'missing') return { state: 'free' };
  if (info && isProcessAlive(info.pid)) return { state: 'owned', info };
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
  };
  for (let attempt = 0; attempt < 3; attempt += 1) {
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
      onTakeover(state.info);
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
  throw new DatabaseError(`could not take the lock ${path}: another process keeps replacing it`);
}
