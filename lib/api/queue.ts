/**
 * A bounded queue for the API's database work: at most `concurrency` jobs run at once (one
 * per database session), at most `maxQueued` wait, none waits longer than `maxWaitMs`. A
 * job whose signal aborts while it waits is dropped, never started. Work that finds the
 * queue full or waits too long fails with OverloadedError (503 with Retry-After).
 */
import { OverloadedError } from '../errors.js';

export interface QueueLimits {
  /** Jobs that run at once. */
  readonly concurrency: number;
  /** Jobs that may wait for a free slot; one more is refused at once. */
  readonly maxQueued: number;
  /** Milliseconds a job may wait for a slot before it is refused. */
  readonly maxWaitMs: number;
}

export interface RunOptions {
  /** Aborted when the job's requester is gone: a waiting job is dropped, never started. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Goes ahead of every waiting job and is not counted against `maxQueued` (the health
   * check); it waits at most `maxWaitMs` of its own when given.
   */
  readonly priority?: boolean | undefined;
  readonly maxWaitMs?: number | undefined;
}

interface Waiting {
  readonly start: () => void;
  readonly priority: boolean;
}

export interface QueueStats {
  readonly running: number;
  readonly queued: number;
}

export class WorkQueue {
  readonly limits: QueueLimits;
  #running = 0;
  readonly #waiting: Waiting[] = [];

  constructor(limits: QueueLimits) {
    for (const [name, value, min] of [
      ['concurrency', limits.concurrency, 1],
      ['maxQueued', limits.maxQueued, 0],
      ['maxWaitMs', limits.maxWaitMs, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min)
        throw new RangeError(`${name} must be a whole number ≥ ${min}, got ${value}`);
    }
    this.limits = Object.freeze({ ...limits });
  }

  get stats(): QueueStats {
    return { running: this.#running, queued: this.#waiting.length };
  }

  /** Seconds a refused client should wait before trying again. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.limits.maxWaitMs / 1000));
  }

  run<T>(work: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { signal } = options;
    const priority = options.priority === true;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#running < this.limits.concurrency && (priority || this.#waiting.length === 0))
      return this.#start(work);
    const queuedNormally = this.#waiting.filter((w) => !w.priority).length;
    if (!priority && queuedNormally >= this.limits.maxQueued) {
      return Promise.reject(
        new OverloadedError(
          `the API is at capacity: ${this.#running} request(s) use the database and ${queuedNormally} wait`,
          {
            hint: `try again in ${this.retryAfterSeconds} s`,
            retryAfterSeconds: this.retryAfterSeconds,
          },
        ),
      );
    }
    const maxWaitMs = options.maxWaitMs ?? this.limits.maxWaitMs;
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.#waiting.indexOf(entry);
        if (at !== -1) this.#waiting.splice(at, 1);
      };
      const onAbort = () => {
        leave();
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        leave();
        reject(
          new OverloadedError(`waited ${maxWaitMs} ms for a database session`, {
            hint: `the database is busy; try again in ${this.retryAfterSeconds} s`,
            retryAfterSeconds: this.retryAfterSeconds,
          }),
        );
      }, maxWaitMs);
      const entry: Waiting = {
        priority,
        start: () => {
          leave();
          this.#start(work).then(resolve, reject);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (priority) {
        const firstNormal = this.#waiting.findIndex((w) => !w.priority);
        this.#waiting.splice(firstNormal === -1 ? this.#waiting.length : firstNormal, 0, entry);
      } else {
        this.#waiting.push(entry);
      }
    });
  }

  #start<T>(work: () => Promise<T>): Promise<T> {
    this.#running += 1;
    let result: Promise<T>;
    try {
      result = work();
    } catch (error) {
      result = Promise.reject(error as Error);
    }
    return result.finally(() => {
      this.#running -= 1;
      this.#waiting[0]?.start();
    });
  }
}
