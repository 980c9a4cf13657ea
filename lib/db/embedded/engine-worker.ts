/**
 * The worker thread that runs the embedded engine (see engine.ts for the other side).
 * Requests run one after another, in the order they arrive; each answer carries the
 * transaction status. A WebAssembly trap is answered like any error (its name says
 * `RuntimeError`); the main side then ends this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  serializeError,
  type EngineReply,
  type EngineRequest,
  type EngineWorkerData,
} from './engine.js';
import { closePGlite, openPGlite, type PGliteEngine } from './pglite.js';

const port = parentPort;
if (!port) throw new Error('engine-worker.js runs only as a worker thread');

function post(reply: EngineReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(reply, transfer);
}

function plain<T extends { rows: unknown[]; fields: unknown[]; affectedRows?: number }>(
  result: T,
): { rows: unknown[]; fields: unknown[]; affectedRows: number | undefined } {
  return { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows };
}

async function run(
  engine: PGliteEngine,
  request: EngineRequest,
): Promise<[unknown, ArrayBuffer[]]> {
  switch (request.op) {
    case 'raw': {
      // PGlite answers in a receive buffer it reuses: copy the answer out, then transfer it.
      const response = (await engine.execProtocolRaw(request.message)).slice();
      return [response, [response.buffer]];
    }
    case 'query':
      return [plain(await engine.query(request.sql, [...request.params])), []];
    case 'exec':
      return [(await engine.exec(request.sql)).map(plain), []];
    case 'copy': {
      const result = await engine.query(request.sql, [], { blob: new Blob([request.data]) });
      return [{ affectedRows: result.affectedRows ?? 0 }, []];
    }
    case 'close':
      await closePGlite(engine);
      return [undefined, []];
  }
}

async function main(): Promise<void> {
  const { dataDir } = workerData as EngineWorkerData;
  let engine: PGliteEngine;
  try {
    engine = await openPGlite(dataDir);
  } catch (error) {
    post({ kind: 'openFailed', error: serializeError(error) });
    return;
  }
  let chain: Promise<void> = Promise.resolve();
  port?.on('message', (request: EngineRequest) => {
    chain = chain.then(async () => {
      try {
        const [value, transfer] = await run(engine, request);
        post(
          { kind: 'result', id: request.id, value, inTransaction: engine.isInTransaction() },
          transfer,
        );
      } catch (error) {
        let inTransaction = false;
        try {
          inTransaction = engine.isInTransaction();
        } catch {
          // a dead instance may not even say that
        }
        post({ kind: 'error', id: request.id, error: serializeError(error), inTransaction });
      }
      if (request.op === 'close') port?.close();
    });
  });
  post({ kind: 'ready', inTransaction: engine.isInTransaction() });
}

void main();
