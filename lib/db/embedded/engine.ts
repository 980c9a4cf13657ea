/**
 * The embedded database engine as the rest of the process sees it. PGlite runs a query
 * synchronously on the thread that calls it, so it runs in a worker thread of its own
 * (engine-worker.ts) and this proxy forwards the few operations the session server needs.
 * The process's event loop stays free while the engine works: the server can still accept
 * and queue clients, and `serve` can still answer `/health`.
 *
 * Buffers cross the thread boundary by transfer, not copy: a request is copied once into
 * a buffer the worker then owns, a response once out of PGlite's reused receive buffer.
 * Every response carries the transaction status, so `isInTransaction()` stays synchronous.
 */
import { Worker } from 'node:worker_threads';

export interface EngineQueryResult<T> {
  readonly rows: T[];
  readonly affectedRows?: number | undefined;
  readonly fields: readonly { readonly name: string; readonly dataTypeID: number }[];
}

/** The operations of the embedded engine (PGlite) that this project uses. */
export interface EmbeddedEngine {
  /** One frontend protocol message in, the backend's raw answer out. */
  execProtocolRaw(message: Uint8Array): Promise<Uint8Array>;
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<EngineQueryResult<T>>;
  exec(sql: string): Promise<readonly EngineQueryResult<Record<string, unknown>>[]>;
  /** Runs `sql` — a `COPY … FROM '/dev/blob' …` — with `data` as the blob it reads. */
  copyFrom(sql: string, data: readonly Uint8Array[]): Promise<{ affectedRows: number }>;
  /** The transaction status after the last operation. */
  isInTransaction(): boolean;
  readonly closed: boolean;
  close(): Promise<void>;
  /** Called once if the engine dies (a WebAssembly trap, a crashed or out-of-memory thread). */
  onFailure(listener: (error: Error) => void): () => void;
}

/** The engine is gone: its thread exited, crashed or ran out of memory, or it trapped earlier. */
export class EngineStoppedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineStoppedError';
  }
}

/** Whether `error` means the engine cannot serve anyone any more. */
export function isEngineFailure(error: unknown): error is Error {
  // A WebAssembly trap (`RuntimeError: unreachable`) leaves the PGlite instance dead.
  return (
    error instanceof EngineStoppedError || (error instanceof Error && error.name === 'RuntimeError')
  );
}

/** An error thrown in the worker, fields and all (PGlite's carry PostgreSQL's fields). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly fields: Record<string, string | number | boolean | null>;
}

/** An error as thrown by the engine, with the same name, message and PostgreSQL fields. */
export class EmbeddedEngineError extends Error {
  [field: string]: unknown;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'name' || key === 'message' || key === 'stack') continue;
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    )
      fields[key] = value;
  }
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

export function deserializeError(serialized: SerializedError): Error {
  const error = new EmbeddedEngineError(serialized.message);
  Object.assign(error, serialized.fields);
  Object.defineProperty(error, 'name', {
    value: serialized.name,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}

export type EngineRequest =
  | { readonly id: number; readonly op: 'raw'; readonly message: Uint8Array<ArrayBuffer> }
  | {
      readonly id: number;
      readonly op: 'query';
      readonly sql: string;
      readonly params: readonly unknown[];
    }
  | { readonly id: number; readonly op: 'exec'; readonly sql: string }
  | {
      readonly id: number;
      readonly op: 'copy';
      readonly sql: string;
      readonly data: Uint8Array<ArrayBuffer>;
    }
  | { readonly id: number; readonly op: 'close' };

export type EngineReply =
  | { readonly kind: 'ready'; readonly inTransaction: boolean }
  | { readonly kind: 'openFailed'; readonly error: SerializedError }
  | {
      readonly kind: 'result';
      readonly id: number;
      readonly value: unknown;
      readonly inTransaction: boolean;
    }
  | {
      readonly kind: 'error';
      readonly id: number;
      readonly error: SerializedError;
      readonly inTransaction: boolean;
    };

export interface EngineWorkerData {
  readonly dataDir: string;
}

/** A fresh buffer holding `parts`, owned by nobody else, so that it can be transferred. */
function ownedCopy(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(new ArrayBuffer(length));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface OpenEngineOptions {
  /** Limits of the worker thread's JavaScript heap (PGlite's WebAssembly memory is apart). */
  readonly resourceLimits?: import('node:worker_threads').ResourceLimits | undefined;
}

class EngineProxy implements EmbeddedEngine {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(error: Error) => void>();
  #nextId = 1;
  #inTransaction = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #failure: Error | undefined;

  constructor(worker: Worker, inTransaction: boolean) {
    this.#worker = worker;
    this.#inTransaction = inTransaction;
    worker.on('message', (reply: EngineReply) => this.#receive(reply));
    worker.on('error', (error: Error) =>
      this.#die(
        new EngineStoppedError(`its thread failed: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    worker.on('exit', (code: number) => {
      if (!this.#closed)
        this.#die(new EngineStoppedError(`its thread exited unexpectedly (code ${code})`));
    });
    worker.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  isInTransaction(): boolean {
    return this.#inTransaction;
  }

  onFailure(listener: (error: Error) => void): () => void {
    if (this.#failure) {
      const failure = this.#failure;
      queueMicrotask(() => listener(failure));
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  execProtocolRaw(message: Uint8Array): Promise<Uint8Array> {
    const owned = ownedCopy([message]);
    return this.#call<Uint8Array>({ id: 0, op: 'raw', message: owned }, [owned.buffer]);
  }

  query<T = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<EngineQueryResult<T>> {
    return this.#call({ id: 0, op: 'query', sql, params });
  }

  exec(sql: string): Promise<readonly EngineQueryResult<Record<string, unknown>>[]> {
    return this.#call({ id: 0, op: 'exec', sql });
  }

  copyFrom(sql: string, data: readonly Uint8Array[]): Promise<{ affectedRows: number }> {
    const owned = ownedCopy(data);
    return this.#call({ id: 0, op: 'copy', sql, data: owned }, [owned.buffer]);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#failure) {
        await this.#call({ id: 0, op: 'close' }).catch(() => undefined);
      }
      this.#closed = true;
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  #call<T>(request: EngineRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#failure) {
      return Promise.reject(
        new EngineStoppedError(`the embedded database engine stopped: ${this.#failure.message}`, {
          cause: this.#failure,
        }),
      );
    }
    if (this.#closed || (this.#closing && request.op !== 'close')) {
      return Promise.reject(new EngineStoppedError('the embedded database engine is closed'));
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage({ ...request, id }, transfer);
    });
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    return pending;
  }

  #receive(reply: EngineReply): void {
    if (reply.kind !== 'result' && reply.kind !== 'error') return;
    this.#inTransaction = reply.inTransaction;
    const pending = this.#settle(reply.id);
    if (reply.kind === 'result') {
      pending?.resolve(reply.value);
      return;
    }
    const error = deserializeError(reply.error);
    pending?.reject(error);
    if (isEngineFailure(error)) this.#die(error);
  }

  /** The engine is dead: fail everything in flight, stop the thread, tell the listeners. */
  #die(error: Error): void {
    if (this.#failure || this.#closed) return;
    this.#failure = error;
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id)?.reject(
        new EngineStoppedError(`the embedded database engine stopped: ${error.message}`, {
          cause: error,
        }),
      );
    }
    void this.#worker.terminate();
    for (const listener of this.#listeners) listener(error);
    this.#listeners.clear();
  }
}

/**
 * The process's Node options, less those a worker started from a file refuses: a process
 * run as `node --input-type=module -e …` passes that flag on to its workers.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i] as string;
    if (arg === '--input-type') i += 1;
    else if (!arg.startsWith('--input-type=')) kept.push(arg);
  }
  return kept;
}

/**
 * Opens (creating on first use) the embedded database in `dataDir`, its engine running in
 * a worker thread. Rejects with the engine's own error when it cannot open.
 */
export async function openEngine(
  dataDir: string,
  options: OpenEngineOptions = {},
): Promise<EmbeddedEngine> {
  const worker = new Worker(new URL('./engine-worker.js', import.meta.url), {
    workerData: { dataDir } satisfies EngineWorkerData,
    execArgv: workerExecArgv(process.execArgv),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });
  let onMessage: (reply: EngineReply) => void = () => undefined;
  let onError: (error: Error) => void = () => undefined;
  let onExit: (code: number) => void = () => undefined;
  try {
    const inTransaction = await new Promise<boolean>((resolve, reject) => {
      onMessage = (reply) => {
        if (reply.kind === 'ready') resolve(reply.inTransaction);
        else if (reply.kind === 'openFailed') reject(deserializeError(reply.error));
      };
      onError = reject;
      onExit = (code) =>
        reject(
          new EngineStoppedError(
            `the embedded database engine's thread exited while opening (code ${code})`,
          ),
        );
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
    return new EngineProxy(worker, inTransaction);
  } catch (error) {
    await worker.terminate();
    throw error;
  } finally {
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
  }
}

export async function closeEngine(engine: EmbeddedEngine): Promise<void> {
  if (!engine.closed) await engine.close();
}
