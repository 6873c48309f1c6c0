/**
 * A short id per request, returned as `x-cliproxy-request-id` and put on every log line
 * about the request, so one request's story can be followed through the logs.
 */
import type { GatewayRequest } from './types.ts';
import { randomBytes } from 'node:crypto';

/** The response header that carries the id. */
export const REQUEST_ID_HEADER = 'x-cliproxy-request-id';

const prefix = randomBytes(3).toString('hex');
let sequence = 0;
// On the request object itself: a WeakMap entry costs an ephemeron per request for the GC.
const ID = Symbol('cliproxy.requestId');

type Tagged = GatewayRequest & { [ID]?: string };

export function assignRequestId(request: GatewayRequest): string {
  const id = `${prefix}-${(++sequence).toString(36)}`;
  (request as Tagged)[ID] = id;
  return id;
}

export function requestIdOf(request: GatewayRequest): string {
  return (request as Tagged)[ID] ?? assignRequestId(request);
}
