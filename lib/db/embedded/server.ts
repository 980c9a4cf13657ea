/**
 * Serves the embedded database over the PostgreSQL wire protocol, one client session at
 * a time. PGlite has a single backend: multiplexing clients onto it would share their
 * transactions, advisory locks, SET values and temp tables. So a client is given the
 * backend from its startup until it disconnects, the backend is reset, and the next
 * waiting client gets it. Waiting is bounded in number and time; the timeout error names
 * the client holding the session.
 *
 * Handled here rather than by PGlite: the SSLRequest (answered 'N', so psql needs no
 * flags), the password PGlite asks for (answered for the client, so no prompt), and
 * `COPY … FROM STDIN`, which PGlite cannot take over the wire: its data is collected and
 * run through PGlite's `/dev/blob` COPY.
 *
 * The engine runs in a worker thread (engine.ts), so this server keeps accepting, queueing
 * and refusing clients while a statement runs. When the engine dies, every client is
 * refused and `onEngineFailure` is called.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { COPY_FORM, planCopy } from './copy.js';
import { isEngineFailure, type EmbeddedEngine } from './engine.js';
import { resetSession } from './pglite.js';
import {
  backendMessages,
  CANCEL_REQUEST_CODE,
  commandComplete,
  copyInResponse,
  errorResponse,
  GSSENC_REQUEST_CODE,
  passwordMessage,
  PROTOCOL_3,
  readyForQuery,
  SSL_REQUEST_CODE,
  startupParameters,
  takeMessage,
} from './wire.js';

export interface SessionServerOptions {
  readonly host?: string | undefined;
  /** 0 picks a free port. */
  readonly port?: number | undefined;
  /** How long a client may wait for the session before it gets an error. */
  readonly waitTimeoutMs?: number | undefined;
  /** How many clients may wait at once; more are refused at once. */
  readonly maxWaiting?: number | undefined;
  readonly log?: ((line: string) => void) | undefined;
  /**
   * Called once when the engine dies (a WebAssembly trap, its thread crashed or ran out of
   * memory); the server then refuses everyone.
   */
  readonly onEngineFailure?: ((error: Error) => void) | undefined;
}

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** `-c key=value` and `--key=value` words of the startup `options` parameter. */
export function parseStartupOptions(options: string): [string, string][] {
  const words = options.match(/(?:\\.|\S)+/g) ?? [];
  const unescape = (w: string) => w.replace(/\\(.)/g, '$1');
  const settings: [string, string][] = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = unescape(words[i] as string);
    const setting =
      word === '-c'
        ? unescape(words[++i] ?? '')
        : word.startsWith('--')
          ? word.slice(2)
          : word.startsWith('-c')
            ? word.slice(2)
            : '';
    const eq = setting.indexOf('=');
    if (eq > 0) settings.push([setting.slice(0, eq).replaceAll('-', '_'), setting.slice(eq + 1)]);
  }
  return settings;
}

type Phase = 'startup' | 'waiting' | 'active' | 'closed';

class ClientSession {
  phase: Phase = 'startup';
  buffer: Buffer = Buffer.alloc(0);
  startup: Buffer | undefined;
  params: Record<string, string> = {};
  grantedAt = 0;
  waitTimer: NodeJS.Timeout | undefined;
  copy:
    { readonly target: string; readonly options: string; readonly chunks: Buffer[] } | undefined;
  /** After a refused extended-protocol message: ignore the rest until Sync. */
  skipUntilSync = false;
  /** Serializes this client's work on the backend. */
  chain: Promise<void> = Promise.resolve();

  constructor(readonly socket: Socket) {}

  describe(): string {
    const app = this.params['application_name'];
    const who = `${this.params['user'] ?? 'postgres'}@${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
    return app ? `${app} (${who})` : who;
  }
}

export class SessionServer {
  readonly #engine: EmbeddedEngine;
  readonly #options: Required<Omit<SessionServerOptions, 'log' | 'onEngineFailure'>> &
    Pick<SessionServerOptions, 'log' | 'onEngineFailure'>;
  #engineFailure: Error | undefined;
  #server: Server | undefined;
  #active: ClientSession | undefined;
  readonly #waiting: ClientSession[] = [];
  readonly #sockets = new Set<Socket>();
  #stopping = false;
  #unsubscribe: (() => void) | undefined;

  constructor(engine: EmbeddedEngine, options: SessionServerOptions = {}) {
    this.#engine = engine;
    this.#options = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      waitTimeoutMs: options.waitTimeoutMs ?? 30_000,
      maxWaiting: options.maxWaiting ?? 32,
      log: options.log,
      onEngineFailure: options.onEngineFailure,
    };
  }

  async start(): Promise<ServerAddress> {
    this.#unsubscribe = this.#engine.onFailure((error) => this.#engineFailed(error));
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string')
      throw new Error('server has no TCP address');
    return { host: this.#options.host, port: address.port };
  }

  /** Stops accepting, ends every client, and waits for the session's work to finish. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#unsubscribe?.();
    const active = this.#active;
    for (const socket of this.#sockets) socket.destroy();
    if (active) await active.chain.catch(() => undefined);
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    );
  }

  #accept(socket: Socket): void {
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.#sockets.add(socket);
    const session = new ClientSession(socket);
    socket.on('data', (data: Buffer) => {
      session.buffer = session.buffer.length === 0 ? data : Buffer.concat([session.buffer, data]);
      this.#pump(session);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      this.#end(session);
    });
  }

  #pump(session: ClientSession): void {
    session.chain = session.chain
      .then(() => this.#process(session))
      .catch((error: unknown) => this.#fail(session, error));
  }

  async #process(session: ClientSession): Promise<void> {
    while (session.phase === 'startup' || session.phase === 'active') {
      const taken = takeMessage(session.buffer, session.phase === 'startup');
      if (!taken) return;
      if ('invalid' in taken) {
        this.#refuse(session, '08P01', taken.invalid);
        return;
      }
      session.buffer = taken.rest;
      if (session.phase === 'startup') this.#handleStartup(session, taken.message);
      else await this.#handleMessage(session, taken.message);
    }
  }

  #handleStartup(session: ClientSession, message: Buffer): void {
    const code = message.length >= 8 ? message.readInt32BE(4) : 0;
    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
      session.socket.write('N');
      return;
    }
    if (code === CANCEL_REQUEST_CODE) {
      session.socket.end();
      session.phase = 'closed';
      return;
    }
    if (code !== PROTOCOL_3) {
      this.#refuse(
        session,
        '08P01',
        `unsupported frontend protocol ${code >> 16}.${code & 0xffff}`,
      );
      return;
    }
    session.startup = Buffer.from(message);
    session.params = startupParameters(message);
    session.phase = 'waiting';
    this.#enqueue(session);
  }

  #enqueue(session: ClientSession): void {
    if (this.#engineFailure) {
      this.#refuse(
        session,
        '57P01',
        `the embedded database engine stopped: ${this.#engineFailure.message}`,
        'restart `prism-migrate embedded start`; committed rows are kept',
      );
      return;
    }
    if (!this.#active) {
      this.#grant(session);
      return;
    }
    if (this.#waiting.length >= this.#options.maxWaiting) {
      this.#refuse(
        session,
        '53300',
        `the embedded database serves one session at a time and ${this.#waiting.length} clients are already waiting`,
        this.#holderHint(),
      );
      return;
    }
    this.#waiting.push(session);
    session.waitTimer = setTimeout(() => {
      this.#removeWaiting(session);
      this.#refuse(
        session,
        '53300',
        `timed out after ${this.#options.waitTimeoutMs} ms waiting for the embedded database: it serves one session at a time`,
        this.#holderHint(),
      );
    }, this.#options.waitTimeoutMs);
  }

  #holderHint(): string {
    const holder = this.#active;
    if (!holder) return 'try again';
    const seconds = Math.round((Date.now() - holder.grantedAt) / 1000);
    return `the session is held by ${holder.describe()} for ${seconds} s; an idle client (psql, a GUI) holds it until it disconnects`;
  }

  #grant(session: ClientSession): void {
    clearTimeout(session.waitTimer);
    this.#active = session;
    session.grantedAt = Date.now();
    session.chain = session.chain
      .then(async () => {
        await this.#authenticate(session);
        session.phase = 'active';
        this.#options.log?.(`session granted to ${session.describe()}`);
        await this.#process(session);
      })
      .catch((error: unknown) => this.#fail(session, error));
  }

  /** Forwards the startup to PGlite and answers its password request for the client. */
  async #authenticate(session: ClientSession): Promise<void> {
    let response = await this.#engine.execProtocolRaw(session.startup as Buffer);
    const auth = [...backendMessages(response)].find((m) => m.type === 'R');
    if (auth && auth.body.readInt32BE(0) !== 0) {
      response = await this.#engine.execProtocolRaw(passwordMessage('embedded'));
    }
    await this.#applyStartupSettings(session);
    this.#write(session, response);
  }

  /**
   * PGlite's backend started long ago, so it ignores the settings in a client's startup
   * message; apply them (application_name, `options=-c key=value`, …) as PostgreSQL would.
   */
  async #applyStartupSettings(session: ClientSession): Promise<void> {
    const settings: [string, string][] = [];
    for (const [key, value] of Object.entries(session.params)) {
      if (key === 'user' || key === 'database' || key === 'replication') continue;
      if (key === 'options') settings.push(...parseStartupOptions(value));
      else settings.push([key, value]);
    }
    for (const [key, value] of settings) {
      await this.#engine.query('SELECT pg_catalog.set_config($1, $2, false)', [key, value]);
    }
  }

  async #handleMessage(session: ClientSession, message: Buffer): Promise<void> {
    const type = String.fromCharCode(message[0] as number);
    if (session.copy) {
      await this.#handleCopyMessage(session, type, message);
      return;
    }
    if (type === 'X') {
      session.phase = 'closed';
      session.socket.end();
      return;
    }
    if (session.skipUntilSync) {
      if (type === 'S') {
        session.skipUntilSync = false;
        this.#write(session, readyForQuery(this.#engine.isInTransaction() ? 'T' : 'I'));
      }
      return;
    }
    if (type === 'Q' || type === 'P') {
      // Query: the SQL follows the type and length. Parse: a statement name comes first.
      const body = message.subarray(5);
      const text =
        (type === 'Q' ? body : body.subarray(body.indexOf(0) + 1))
          .toString('utf8')
          .split('\0')[0] ?? '';
      const plan = planCopy(text);
      if (plan.kind === 'copy' && type === 'Q') {
        session.copy = { target: plan.target, options: plan.options, chunks: [] };
        this.#write(session, copyInResponse());
        return;
      }
      if (plan.kind !== 'none') {
        const reason =
          plan.kind === 'refuse'
            ? plan.reason
            : `the embedded database takes COPY … FROM STDIN only as ${COPY_FORM}`;
        const error = errorResponse(
          'ERROR',
          '0A000',
          reason,
          'psql: use \\copy table from stdin; node: send the COPY as its own simple query (pg-copy-streams)',
        );
        if (type === 'Q') {
          this.#write(
            session,
            Buffer.concat([error, readyForQuery(this.#engine.isInTransaction() ? 'T' : 'I')]),
          );
        } else {
          session.skipUntilSync = true;
          this.#write(session, error);
        }
        return;
      }
    }
    const response = await this.#engine.execProtocolRaw(message);
    this.#write(session, response);
  }

  async #handleCopyMessage(session: ClientSession, type: string, message: Buffer): Promise<void> {
    const copy = session.copy;
    if (!copy) return;
    if (type === 'd') {
      copy.chunks.push(message.subarray(5));
      return;
    }
    if (type === 'H' || type === 'S') return;
    session.copy = undefined;
    const inTransaction = this.#engine.isInTransaction();
    if (type === 'f') {
      const reason = message.subarray(5, message.length - 1).toString('utf8');
      this.#write(
        session,
        Buffer.concat([
          errorResponse('ERROR', '57014', `COPY from stdin failed: ${reason}`),
          readyForQuery(inTransaction ? 'E' : 'I'),
        ]),
      );
      return;
    }
    try {
      const result = await this.#engine.copyFrom(
        `COPY ${copy.target} FROM '/dev/blob'${copy.options}`,
        copy.chunks,
      );
      const status = this.#engine.isInTransaction() ? 'T' : 'I';
      this.#write(
        session,
        Buffer.concat([commandComplete(`COPY ${result.affectedRows ?? 0}`), readyForQuery(status)]),
      );
    } catch (error) {
      const e = error as { code?: string; message?: string };
      this.#write(
        session,
        Buffer.concat([
          errorResponse('ERROR', e.code ?? 'XX000', e.message ?? String(error)),
          readyForQuery(inTransaction ? 'E' : 'I'),
        ]),
      );
    }
  }

  #write(session: ClientSession, data: Uint8Array): void {
    if (data.length > 0 && !session.socket.destroyed) session.socket.write(data);
  }

  #refuse(session: ClientSession, code: string, text: string, hint?: string): void {
    session.phase = 'closed';
    if (!session.socket.destroyed && !session.socket.writableEnded)
      session.socket.end(errorResponse('FATAL', code, text, hint));
  }

  /** The engine is dead: nobody can be served; refuse the client holding it and all waiting. */
  #engineFailed(error: Error): void {
    if (this.#engineFailure) return;
    this.#engineFailure = error;
    this.#options.log?.(`the embedded database engine stopped: ${error.message}`);
    const text = `the embedded database engine stopped: ${error.message}`;
    const hint = 'restart `prism-migrate embedded start`; committed rows are kept';
    for (const session of this.#waiting.splice(0)) {
      clearTimeout(session.waitTimer);
      this.#refuse(session, '57P01', text, hint);
    }
    if (this.#active) this.#refuse(this.#active, '57P01', text, hint);
    this.#options.onEngineFailure?.(error);
  }

  #fail(session: ClientSession, error: unknown): void {
    if (isEngineFailure(error)) this.#engineFailed(error);
    if (!this.#stopping)
      this.#options.log?.(
        `session of ${session.describe()} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    this.#refuse(
      session,
      'XX000',
      `embedded database error: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  #removeWaiting(session: ClientSession): void {
    const i = this.#waiting.indexOf(session);
    if (i >= 0) this.#waiting.splice(i, 1);
  }

  #end(session: ClientSession): void {
    clearTimeout(session.waitTimer);
    session.phase = 'closed';
    if (this.#active !== session) {
      this.#removeWaiting(session);
      return;
    }
    // Reset only after the client's last message has been answered; a stopping server
    // closes the engine instead, which discards the session anyway.
    session.chain = session.chain
      .then(() => (this.#stopping ? undefined : resetSession(this.#engine)))
      .catch((error: unknown) =>
        this.#options.log?.(`resetting the session failed: ${String(error)}`),
      )
      .then(() => {
        this.#active = undefined;
        const next = this.#waiting.shift();
        if (next && !this.#stopping) this.#grant(next);
      });
  }
}
