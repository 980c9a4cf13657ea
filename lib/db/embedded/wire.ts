/** The few PostgreSQL wire-protocol messages the embedded server writes or reads itself. */

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const PROTOCOL_3 = 196608;

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function cstring(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

/** ErrorResponse with severity, SQLSTATE, message and an optional hint. */
export function errorResponse(
  severity: 'ERROR' | 'FATAL',
  code: string,
  text: string,
  hint?: string,
): Buffer {
  const fields = [
    Buffer.from('S'),
    cstring(severity),
    Buffer.from('V'),
    cstring(severity),
    Buffer.from('C'),
    cstring(code),
    Buffer.from('M'),
    cstring(text),
    ...(hint ? [Buffer.from('H'), cstring(hint)] : []),
    Buffer.from([0]),
  ];
  return message('E', Buffer.concat(fields));
}

export function readyForQuery(status: 'I' | 'T' | 'E'): Buffer {
  return message('Z', Buffer.from(status, 'latin1'));
}

export function commandComplete(tag: string): Buffer {
  return message('C', cstring(tag));
}

/** CopyInResponse for text format; the column count is not known here and clients ignore it. */
export function copyInResponse(): Buffer {
  const body = Buffer.alloc(3);
  body.writeInt8(0, 0);
  body.writeInt16BE(0, 1);
  return message('G', body);
}

export function passwordMessage(password: string): Buffer {
  return message('p', cstring(password));
}

/** Parameters of a StartupMessage (after the length and protocol words). */
export function startupParameters(msg: Buffer): Record<string, string> {
  const params: Record<string, string> = {};
  const parts = msg.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const key = parts[i] as string;
    if (key === '') break;
    params[key] = parts[i + 1] as string;
  }
  return params;
}

/** Startup packets are small; PostgreSQL itself refuses those over 10,000 bytes. */
export const MAX_STARTUP_LENGTH = 10_000;
/** PostgreSQL's own limit for one message. */
export const MAX_MESSAGE_LENGTH = 0x3fffffff;

export type Taken =
  { readonly message: Buffer; readonly rest: Buffer } | { readonly invalid: string } | undefined;

/**
 * Splits a buffer into complete messages. Before startup completes, messages have no
 * type byte (length first); afterwards they are `type, int32 length, body`. A length
 * outside the protocol's bounds is `invalid`: waiting for more bytes would never end.
 */
export function takeMessage(buffer: Buffer, untyped: boolean): Taken {
  if (untyped) {
    if (buffer.length < 4) return undefined;
    const length = buffer.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_LENGTH)
      return { invalid: `invalid startup packet length ${length}` };
    if (buffer.length < length) return undefined;
    return { message: buffer.subarray(0, length), rest: buffer.subarray(length) };
  }
  if (buffer.length < 5) return undefined;
  const declared = buffer.readInt32BE(1);
  if (declared < 4 || declared > MAX_MESSAGE_LENGTH)
    return { invalid: `invalid message length ${declared}` };
  const length = declared + 1;
  if (buffer.length < length) return undefined;
  return { message: buffer.subarray(0, length), rest: buffer.subarray(length) };
}

/** Walks the backend messages in a response, yielding type and body. */
export function* backendMessages(response: Uint8Array): Generator<{ type: string; body: Buffer }> {
  const buf = Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  let offset = 0;
  while (offset + 5 <= buf.length) {
    const type = String.fromCharCode(buf[offset] as number);
    const length = buf.readInt32BE(offset + 1);
    yield { type, body: buf.subarray(offset + 5, offset + 1 + length) };
    offset += 1 + length;
  }
}
