/**
 * Child processes for the embedded-database tests: the real CLI (`bin/prism-migrate.js`,
 * which needs `npx tsc` first), `embedded start` kept running until the test stops it,
 * and psql. Everything is asynchronous: an in-process server must keep serving while a
 * child talks to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './databases.js';

/** The repository root (this file runs from dist/test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(REPO_ROOT, 'bin', 'prism-migrate.js');

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The environment for children: no DATABASE_URL or libpq settings leak in from the caller. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key === 'DATABASE_URL' || key.startsWith('PG') || key === 'PRISM_DEBUG') delete env[key];
  }
  return { ...env, ...extra };
}

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunOptions {
  readonly cwd?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Written to stdin, which is then closed; stdin is closed at once without it. */
  readonly input?: string | undefined;
  /** Killed (SIGKILL) after this long; the result then has signal SIGKILL. */
  readonly timeoutMs?: number | undefined;
}

/** Runs a program to completion without blocking the event loop. */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `node bin/prism-migrate.js …` in `cwd`. */
export function runCli(
  cwd: string,
  args: readonly string[],
  options: Omit<RunOptions, 'cwd'> = {},
): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], { ...options, cwd });
}

/** psql with its defaults, except that it may never prompt and gives up connecting after 10 s. */
export function runPsql(
  url: string,
  args: readonly string[],
  options: Omit<RunOptions, 'env'> = {},
): Promise<RunResult> {
  return run('psql', [url, ...args], {
    timeoutMs: 30_000,
    ...options,
    env: cleanEnv({ PGCONNECT_TIMEOUT: '10' }),
  });
}

/** A temporary project directory (ESM, so `.js` migrations may use `export`). */
export function projectDir(migrations: Record<string, string> = {}): string {
  const dir = tempDir('prism-project-');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'prism-test-project', private: true, type: 'module' }),
  );
  mkdirSync(join(dir, 'migrations'));
  for (const [name, text] of Object.entries(migrations))
    writeFileSync(join(dir, 'migrations', name), text);
  return dir;
}

/** A child process whose output is collected while it runs. */
export class Spawned {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the child has no pid');
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Resolves with the first match of `pattern` on stdout (or stderr); rejects on exit or timeout. */
  async waitFor(
    pattern: RegExp,
    {
      stream = 'stdout',
      timeoutMs = 30_000,
    }: { stream?: 'stdout' | 'stderr'; timeoutMs?: number } = {},
  ): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(stream === 'stdout' ? this.stdout : this.stderr);
      if (match) return match;
      if (!this.running) {
        throw new Error(
          `the child exited (${JSON.stringify(this.#exit)}) before printing ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs` if it is still running. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    graceMs = 15_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function spawnNode(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = cleanEnv(),
): Spawned {
  return new Spawned(
    spawn(process.execPath, [...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] }),
  );
}

export type EmbeddedServerProcess = Spawned & { readonly port: number; readonly url: string };

/**
 * `prism-migrate embedded start --port <free port>` in `cwd`, resolved once it prints
 * its `psql postgres://…` line.
 */
export async function startEmbeddedProcess(
  cwd: string,
  extraArgs: readonly string[] = [],
): Promise<EmbeddedServerProcess> {
  const port = await freePort();
  const spawned = spawnNode(cwd, [CLI, 'embedded', 'start', '--port', String(port), ...extraArgs]);
  try {
    const match = await spawned.waitFor(/psql (postgres:\/\/\S+)/, { timeoutMs: 60_000 });
    return Object.assign(spawned, { port, url: match[1] as string });
  } catch (error) {
    await spawned.stop('SIGKILL');
    throw error;
  }
}
