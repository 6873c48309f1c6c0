/**
 * Small I/O helpers for the handlers (on either HTTP server): bounded body reading and JSON replies.
 */
import type { GatewayRequest, GatewayResponse } from './types.ts';
import { GatewayError } from '../errors.ts';

/** Reads the whole request body, refusing (413) as soon as it exceeds `limit` bytes. */
export function readBody(request: GatewayRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        request.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    // `on`, not `once`: each fires at most once, and `once` wraps the listener.
    request.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    request.on('error', (error) => reject(new GatewayError(400, 'invalid_request', `could not read the request body: ${error.message}`, { cause: error })));
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(413, 'body_too_large', `request body exceeds the limit of ${limit} bytes (max_body_size)`, { retryable: false });
}

/** Parses a JSON object body; 400 `invalid_json` / `invalid_request` otherwise. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new GatewayError(400, 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`, { retryable: false });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError(400, 'invalid_request', 'request body must be a JSON object', { retryable: false });
  }
  return value as Record<string, unknown>;
}

export function sendJson(response: GatewayResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}
