/**
 * The API's one error shape, `{ "error": { "message": …, "hint": … } }`, for every error it
 * answers: its own (typed errors), the database's refusals (said in the model's terms,
 * without internal constraint or chunk names), and those Fastify and Node's HTTP parser
 * produce (404, 405, 413, 415, 431, 408, malformed requests and URLs).
 */
import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import { DatabaseError, OverloadedError, PrismError, UsageError } from '../errors.js';
import type { Model } from '../spec/types.js';

export interface ErrorBody {
  readonly error: { readonly message: string; readonly hint: string | null };
}

export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** A request refused with a status other than 400 (still a usage error: exit code 2 in a CLI). */
export class RequestRefusal extends UsageError {
  constructor(
    readonly status: number,
    message: string,
    options: { hint?: string | undefined } = {},
  ) {
    super(message, options);
  }
}

export function errorBody(message: string, hint?: string | null): ErrorBody {
  return { error: { message, hint: hint ?? null } };
}

/** Text a client sent, shortened for a message. */
function excerpt(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `a`, `a and b`, `a, b and c`. */
function names(list: readonly string[]): string {
  return list.length < 2
    ? (list[0] ?? '')
    : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1] as string}`;
}

const CHUNK = /(?:"?_timescaledb_internal"?\.)?"?_hyper_\d+_\d+_chunk"?/g;
/**
 * A constraint or index of a chunk (`1_datapoint_pkey`, `1_1_datapoint_pkey`,
 * `constraint_7`) where the database names one, never a quoted value of the user's.
 */
const CHUNK_CONSTRAINT = /\b(constraint|index) "(?:\d+_[^"]*|constraint_\d+)"/g;

/** A database message with chunk names replaced by the model's table and constraint names dropped. */
export function scrubDatabaseText(text: string, table: string): string {
  return text
    .replace(CHUNK, `"${table}"`)
    .replace(CHUNK_CONSTRAINT, (_m, kind: string) => `${kind} of ${table}`);
}

/**
 * `Key (id, "timestamp")=(…, …) already exists.` → the key columns, unquoted, and the values
 * as the database printed them; undefined when the detail has another form.
 */
export function parseKeyDetail(
  detail: string,
): { readonly columns: string[]; readonly values: string; readonly rest: string } | undefined {
  if (!detail.startsWith('Key (')) return undefined;
  const columns: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  for (let at = 5; at < detail.length; at++) {
    const c = detail[at] as string;
    if (quoted) {
      if (c === '"' && detail[at + 1] === '"') {
        current += '"';
        at++;
      } else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === '(') {
      depth++;
      current += c;
    } else if (c === ')' && depth > 0) {
      depth--;
      current += c;
    } else if (c === ',' && depth === 0) {
      columns.push(current.trim());
      current = '';
    } else if (c === ')') {
      columns.push(current.trim());
      if (detail.slice(at, at + 3) !== ')=(') return undefined;
      const tail = detail.slice(at + 3);
      const close = tail.lastIndexOf(')');
      if (close === -1) return undefined;
      return { columns, values: tail.slice(0, close), rest: tail.slice(close + 1).trim() };
    } else current += c;
  }
  return undefined;
}

interface PgError {
  readonly code?: unknown;
  readonly detail?: unknown;
  readonly column?: unknown;
  readonly constraint?: unknown;
  readonly message?: unknown;
}

/**
 * The answer to an error the database raised for a request: data it refused (class 22) 400,
 * a broken integrity rule (class 23) 409 or 400, a cancelled query (57014) 503; undefined for
 * other errors. Messages name the model's table and fields, never a constraint or a chunk.
 */
export function databaseRefusal(error: unknown, model?: Model): ErrorReply | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as PgError;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === '57014') {
    return { status: 503, body: errorBody('the query ran longer than the statement timeout') };
  }
  if (!/^2[23][0-9A-Z]{3}$/.test(code)) return undefined;
  const table = model?.table ?? 'the table';
  const detail = typeof e.detail === 'string' ? e.detail : undefined;
  const key = detail === undefined ? undefined : parseKeyDetail(detail);
  const fields = new Set(model?.fields.map((f) => f.name));
  const keyNames = key && key.columns.every((c) => model === undefined || fields.has(c));
  const keyHint = key ? `(${key.columns.join(', ')}) = (${excerpt(key.values, 200)})` : null;
  const column = typeof e.column === 'string' && e.column !== '' ? e.column : undefined;
  switch (code) {
    case '23505':
      return {
        status: 409,
        body: errorBody(
          keyNames
            ? `a row with this ${names((key as { columns: string[] }).columns)} already exists`
            : 'a row with the same primary key or unique key already exists',
          keyHint
            ? `${keyHint}; no row of this request was stored`
            : 'no row of this request was stored',
        ),
      };
    case '23502':
      return {
        status: 400,
        body: errorBody(
          column ? `field ${column} must not be null` : `a row of ${table} lacks a required value`,
        ),
      };
    case '23503': {
      const target = key ? /present in table "((?:[^"]|"")+)"/.exec(key.rest)?.[1] : undefined;
      return {
        status: 409,
        body: errorBody(
          keyNames && target
            ? `no ${target.replaceAll('""', '"')} row has this ${names((key as { columns: string[] }).columns)}`
            : `a row of ${table} refers to a row that does not exist`,
          keyHint,
        ),
      };
    }
    case '23514':
      return { status: 400, body: errorBody(`a row fails a check of table ${table}`) };
    case '23P01':
      return { status: 409, body: errorBody(`a row conflicts with another row of ${table}`) };
  }
  if (code.startsWith('23')) {
    return { status: 400, body: errorBody(`the database refused a row of ${table}`) };
  }
  // Class 22, data exceptions: the database's words, which name types and values, not objects.
  const message = scrubDatabaseText(String(e.message ?? 'a value was refused'), table);
  return {
    status: 400,
    body: errorBody(
      column ? `field ${column}: ${message}` : message,
      detail === undefined ? null : scrubDatabaseText(detail, table),
    ),
  };
}

/** What a POST may carry, for hints. */
export const INGEST_TYPES =
  'application/json (an array of rows) or application/x-ndjson (one row per line)';

export interface ErrorContext {
  /** The model of the route the request reached, if any. */
  readonly model?: Model | undefined;
  /** The request's Content-Type header. */
  readonly contentType?: string | undefined;
  /** The most bytes a body may have. */
  readonly bodyLimit?: number | undefined;
}

/** `16777216` → `16 MiB`. */
function bytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / 1024 / 1024} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** The reply to any error a request met: ours, the database's, or one Fastify raised. */
export function errorReply(error: unknown, context: ErrorContext = {}): ErrorReply {
  if (error instanceof RequestRefusal) {
    return { status: error.status, body: errorBody(error.message, error.hint) };
  }
  if (error instanceof UsageError) {
    return { status: 400, body: errorBody(error.message, error.hint) };
  }
  if (error instanceof OverloadedError) {
    return {
      status: 503,
      body: errorBody(error.message, error.hint),
      headers: { 'retry-after': String(error.retryAfterSeconds) },
    };
  }
  if (error instanceof DatabaseError) {
    return { status: 503, body: errorBody(error.message, error.hint) };
  }
  if (error instanceof PrismError) {
    return { status: 400, body: errorBody(error.message, error.hint) };
  }
  const refusal = databaseRefusal(error, context.model);
  if (refusal) return refusal;
  const e = (error ?? {}) as Partial<FastifyError>;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: errorBody(
          context.bodyLimit === undefined
            ? 'the body is larger than the API accepts'
            : `the body is larger than ${bytes(context.bodyLimit)}`,
          'send the rows in several requests',
        ),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: errorBody(
          context.contentType === undefined || context.contentType.trim() === ''
            ? 'the body has no Content-Type header'
            : `the content type ${JSON.stringify(excerpt(context.contentType))} is not accepted`,
          `send ${INGEST_TYPES}`,
        ),
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        body: errorBody('the body is not as long as its Content-Length header says'),
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: errorBody('the body is empty', `send ${INGEST_TYPES}`) };
    case 'FST_ERR_BAD_URL':
      return {
        status: 400,
        body: errorBody('the URL is not valid: a percent sign must start an escape such as %20'),
      };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      status: e.statusCode,
      body: errorBody(
        typeof e.message === 'string' && e.message !== ''
          ? e.message
          : (STATUS_CODES[e.statusCode] ?? 'the request was refused'),
      ),
    };
  }
  if (databaseUnavailable(error)) {
    return {
      status: 503,
      body: errorBody(
        'the database is not available right now',
        'try again in 5 s; /health says whether the database answers',
      ),
      headers: { 'retry-after': '5' },
    };
  }
  return { status: 500, body: errorBody('the server could not answer this request') };
}

/**
 * The database cannot serve the request now, through no fault of the request: it refused
 * or lost the connection (class 08, socket errors) or stopped answering, is out of
 * resources or sessions (class 53, e.g. the embedded database's one session held too
 * long), or is shutting down or restarting (57P01–57P03).
 */
function databaseUnavailable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)$/.test(code))
      return true;
  }
  const message = (error as { message?: unknown }).message;
  // pg's own words when the server closed the connection, a connect timed out, a query got
  // no answer in time (a server that stopped answering), or the session is already gone.
  return (
    typeof message === 'string' &&
    /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed)/.test(
      message,
    )
  );
}

/**
 * The answer to a request Node's HTTP parser refused before Fastify saw it (431 for headers
 * over the limit, 408 for a request too slow to arrive, 400 for anything not HTTP), written
 * to the socket in the API's shape; the connection is then closed, as Node does.
 */
export function clientErrorReply(error: { code?: unknown }): ErrorReply {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        body: errorBody(
          `the request's headers are larger than ${bytes(maxHeaderSize)}`,
          'send fewer or shorter headers (a long URL counts too)',
        ),
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, body: errorBody('the request took too long to arrive') };
    default:
      return { status: 400, body: errorBody('the request is not valid HTTP/1.1') };
  }
}

function onClientError(error: Error & { code?: unknown }, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, body } = clientErrorReply(error);
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}

function send(reply: FastifyReply, answer: ErrorReply): FastifyReply {
  if (answer.headers) void reply.headers(answer.headers);
  return reply.status(answer.status).send(answer.body);
}

/** Fastify options that make the errors raised before routing take the API's shape. */
export const errorShapeOptions = Object.freeze({
  clientErrorHandler: onClientError,
  frameworkErrors: (error: FastifyError, _req: FastifyRequest, reply: FastifyReply): void => {
    void send(reply, errorReply(error));
  },
} satisfies Partial<FastifyServerOptions>);

/**
 * Sets the error and not-found handlers of `app`. `models` gives the model of a route by its
 * URL, so that database refusals can be said in its terms.
 */
export function installErrorShape(
  app: FastifyInstance,
  models: ReadonlyMap<string, Model>,
  bodyLimit: number,
): void {
  app.setErrorHandler((error: unknown, req, reply) => {
    const url = req.routeOptions.url;
    const answer = errorReply(error, {
      model: url === undefined ? undefined : models.get(url),
      contentType: req.headers['content-type'],
      bodyLimit,
    });
    return send(reply, answer);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = excerpt(req.url.split('?')[0] ?? '', 200);
    const allowed = ['GET', 'POST'].filter((method) => app.hasRoute({ method, url: path }));
    if (allowed.length > 0) {
      return send(reply, {
        status: 405,
        headers: { allow: allowed.join(', ') },
        body: errorBody(`${path} does not take ${req.method}`, `use ${names(allowed)}`),
      });
    }
    const routes = [...models.keys()].filter(
      (u) => !u.endsWith('/aggregate') && !u.endsWith('/latest'),
    );
    return send(reply, {
      status: 404,
      body: errorBody(
        `no route ${req.method} ${path}`,
        `routes: /health, /openapi.json${routes.map((r) => `, ${r}, ${r}/aggregate, ${r}/latest`).join('')}`,
      ),
    });
  });
}
