/**
 * The API's bearer token: refused when it is too weak to guard anything, compared in
 * constant time (SHA-256 of both sides through `timingSafeEqual`, so neither the length
 * nor a common prefix shows in the time an answer takes).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../errors.js';

export const MIN_TOKEN_LENGTH = 16;

/** Throws UsageError unless `token` is at least 16 visible ASCII characters. */
export function checkToken(token: string, source = 'PRISM_API_TOKEN'): void {
  const hint = `use at least ${MIN_TOKEN_LENGTH} random characters, e.g. PRISM_API_TOKEN=$(openssl rand -hex 32)`;
  if (token.trim() === '') throw new UsageError(`${source} is blank`, { hint });
  if (!/^[\x21-\x7e]*$/.test(token)) {
    throw new UsageError(
      `${source} contains spaces or characters outside printable ASCII, which an Authorization header cannot carry reliably`,
      { hint },
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `${source} has ${token.length} character(s); at least ${MIN_TOKEN_LENGTH} are required`,
      { hint },
    );
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Whether an Authorization header carries `Bearer <token>`, in constant time. */
export function bearerMatcher(token: string): (authorization: string | undefined) => boolean {
  checkToken(token);
  const expected = digest(`Bearer ${token}`);
  return (authorization) => timingSafeEqual(digest(authorization ?? ''), expected);
}
