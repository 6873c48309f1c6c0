/**
 * A short id per request, returned as `x-cliproxy-request-id` and put on every log line
 * about the request, so one request's story can be followed through the logs.
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';

const prefix = randomBytes(3).toString('hex');
let sequence = 0;
const ids = new WeakMap<IncomingMessage, string>();

export function assignRequestId(request: IncomingMessage): string {
  const id = `${prefix}-${(++sequence).toString(36)}`;
  ids.set(request, id);
  return id;
}

export function requestIdOf(request: IncomingMessage): string {
  return ids.get(request) ?? assignRequestId(request);
}
