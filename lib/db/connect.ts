/**
 * Opening a connection, and saying in the user's terms why one failed: which host did not
 * answer, which password or database is wrong and what to change — never the driver's
 * internals (`SASL: SCRAM-SERVER-FIRST-MESSAGE: …`, `getaddrinfo ENOTFOUND`).
 */
import pg from 'pg';
import { DatabaseError } from '../errors.js';
import { redactUrl } from './url.js';

/** The URL for messages: no password, and not the application_name the CLI adds. */
export function displayUrl(url: string): string {
  return redactUrl(url).replace(
    /([?&])application_name=[^&#]*(&?)/,
    (_m, sep: string, next: string) => (next ? sep : ''),
  );
}

export interface ConnectionFailure {
  /** What went wrong, e.g. `nothing listens on 127.0.0.1:5432`. */
  readonly reason: string;
  readonly hint: string;
}

const CHECK_URL =
  'check --database-url / DATABASE_URL (or the PG* variables, or "databaseUrl" in prism.config.json)';

const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface NetError {
  readonly code?: string;
  readonly address?: string;
  readonly port?: number;
  readonly hostname?: string;
  readonly path?: string;
  readonly message: string;
}

function place(error: NetError): string {
  if (error.address === undefined) return 'the server';
  return error.port === undefined ? error.address : `${error.address}:${error.port}`;
}

/** The server's own words on a refused login or a missing database, told plainly. */
function serverFailure(error: pg.DatabaseError): ConnectionFailure {
  // A server that gives a hint knows best (the embedded server names who holds its session).
  if (error.hint) return { reason: error.message, hint: error.hint };
  switch (error.code) {
    case '28P01':
      return {
        reason: `the server refused the password: ${error.message}`,
        hint: 'check the password in the URL (or PGPASSWORD)',
      };
    case '28000':
      return {
        reason: `the server refused the login: ${error.message}`,
        hint: /pg_hba/.test(error.message)
          ? "the server's pg_hba.conf does not let this client in: allow it there, or connect with another user, host or sslmode"
          : 'check the user name in the URL (or PGUSER), or create that role on the server',
      };
    case '3D000':
      return {
        reason: error.message,
        hint: 'create it first (createdb <name>, or CREATE DATABASE <name>) or fix the database name in the URL (or PGDATABASE)',
      };
    case '53300':
      return {
        reason: `the server has no free connection slot: ${error.message}`,
        hint: 'close other sessions, or raise max_connections on the server',
      };
    case '57P03':
      return {
        reason: `the server does not accept connections now: ${error.message}`,
        hint: 'it is starting or stopping: try again in a moment',
      };
    default:
      return { reason: error.message, hint: CHECK_URL };
  }
}

/** Why a connection could not be opened, in the user's terms. */
export function describeConnectionFailure(error: unknown): ConnectionFailure {
  if (error instanceof pg.DatabaseError) return serverFailure(error);
  const e = error as NetError;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (/password must be a string|SASL: .*password/i.test(message)) {
    return {
      reason: 'the server asks for a password and none was given (add it to the URL or PGPASSWORD)',
      hint: 'e.g. postgres://user:password@host:5432/database (percent-encode @ : / # ? in the password)',
    };
  }
  if (/SCRAM-SERVER-FINAL-MESSAGE/.test(message)) {
    return {
      reason: 'the server could not prove it knows the password (SCRAM signature mismatch)',
      hint: 'check that the URL points at the server you mean, not a proxy that answers for it',
    };
  }
  switch (e?.code) {
    case 'ENOTFOUND':
      return {
        reason: `host ${e.hostname ?? '?'} not found`,
        hint: 'check the host name in the URL (or PGHOST)',
      };
    case 'EAI_AGAIN':
      return {
        reason: `host ${e.hostname ?? '?'} could not be looked up (the name server did not answer)`,
        hint: 'check the network and DNS, then try again',
      };
    case 'ECONNREFUSED':
      return {
        reason: `nothing listens on ${place(e)}`,
        hint: 'start the server, or check the host and port in the URL (or PGHOST, PGPORT)',
      };
    case 'ENOENT':
      if (e.address === undefined) {
        return {
          reason: `the file ${e.path ?? '?'} does not exist`,
          hint: 'check sslrootcert, sslcert and sslkey in the URL (or PGSSLROOTCERT, PGSSLCERT, PGSSLKEY)',
        };
      }
      return {
        reason: `there is no server socket ${place(e)}`,
        hint: 'start the server, or check the socket folder (PGHOST or ?host=) and the port',
      };
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {
        reason: `${place(e)} cannot be reached (${e.code})`,
        hint: 'check the host, the port and any firewall in between',
      };
    case 'ECONNRESET':
      return {
        reason: 'the server closed the connection while it was opening',
        hint: 'it may require SSL (add ?sslmode=require) or be restarting',
      };
  }
  if (e?.code !== undefined && UNTRUSTED_CERTIFICATE.has(e.code)) {
    return {
      reason: `the server's SSL certificate is not trusted (${e.code})`,
      hint: 'give its certificate authority with ?sslrootcert=<file>, or ?sslmode=no-verify to skip the check',
    };
  }
  if (/does not support SSL/i.test(message)) {
    return {
      reason: 'the server does not accept SSL connections',
      hint: 'remove sslmode from the URL (or PGSSLMODE), or set it to disable',
    };
  }
  if (/connection timeout|timeout expired/i.test(message)) {
    return {
      reason: 'the server did not answer in time (connection timeout)',
      hint: 'check that the host and port name a running server, and any firewall or proxy in between',
    };
  }
  if (/Connection terminated/i.test(message)) {
    return {
      reason: 'the server closed the connection while it was opening',
      hint: 'it may require SSL (add ?sslmode=require), refuse this client, or be restarting',
    };
  }
  return { reason: message.split('\n')[0] ?? message, hint: CHECK_URL };
}

/** A connection that could not be opened; `origin` names where its URL came from, once known. */
export class ConnectionError extends DatabaseError {
  constructor(
    readonly url: string,
    readonly failure: ConnectionFailure,
    readonly origin?: string,
    cause?: unknown,
  ) {
    super(
      `could not connect to ${displayUrl(url)}${origin ? ` (${origin})` : ''}: ${failure.reason}`,
      { hint: failure.hint, cause },
    );
  }

  /** The same failure, naming where the URL came from (e.g. `DATABASE_URL from .env`). */
  from(origin: string): ConnectionError {
    return this.origin ? this : new ConnectionError(this.url, this.failure, origin, this.cause);
  }
}

/** `connectionTimeoutMs`: give up on a server that does not answer (default: wait). */
export async function connect(
  url: string,
  options: { connectionTimeoutMs?: number | undefined } = {},
): Promise<pg.Client> {
  let client: pg.Client | undefined;
  try {
    // Inside: pg reads the files of sslrootcert/sslcert/sslkey as it is made.
    client = new pg.Client({
      connectionString: url,
      ...(options.connectionTimeoutMs === undefined
        ? {}
        : { connectionTimeoutMillis: options.connectionTimeoutMs }),
    });
    await client.connect();
  } catch (error) {
    // A login that failed on this side (no password for SCRAM) leaves the socket open,
    // and the process waiting for the server's authentication timeout.
    await client?.end().catch(() => undefined);
    throw new ConnectionError(url, describeConnectionFailure(error), undefined, error);
  }
  client.on('error', () => undefined);
  return client;
}
