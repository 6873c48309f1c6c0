/**
 * Gemini's error shape: `{"error":{"code":<http status>,"message","status"}}` with Google's
 * canonical status names. A 429 carries a RetryInfo detail (what Gemini clients read to
 * back off) when the gateway knows the delay. In a stream, the error object is sent as one
 * more `data:` event, which is what Google's SDKs look for.
 */
import { GatewayError } from '../../errors.ts';
import { isRecord, numberOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { GeminiErrorBody, GeminiErrorStatus } from './types.ts';

export function geminiErrorStatus(status: number): GeminiErrorStatus {
  switch (status) {
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 408:
    case 504:
      return 'DEADLINE_EXCEEDED';
    case 502:
    case 503:
      return 'UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
  }
}

export function renderGeminiError(error: GatewayError): { status: number; body: GeminiErrorBody } {
  const body: GeminiErrorBody = { error: { code: error.status, message: error.message, status: geminiErrorStatus(error.status) } };
  const details: Array<Record<string, unknown>> = [];
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(error.details ?? {})) {
    metadata[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: error.code, domain: 'cliproxy', metadata });
  const retryAfter = Number(error.headers['retry-after']);
  if (error.status === 429 && Number.isFinite(retryAfter) && retryAfter >= 0) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` });
  }
  body.error.details = details;
  return { status: error.status, body };
}

export function renderGeminiStreamError(error: GatewayError): string {
  return `data: ${JSON.stringify(renderGeminiError(error).body)}\r\n\r\n`;
}

/** An upstream Gemini error body → the IR's view of it (status, Google status name, message). */
export function readGeminiError(body: unknown): { status?: number; code?: string; message: string } | undefined {
  if (!isRecord(body) || !isRecord(body['error'])) return undefined;
  const error = body['error'];
  const read: { status?: number; code?: string; message: string } = { message: stringOrUndefined(error['message']) ?? 'upstream error' };
  const status = numberOrUndefined(error['code']);
  if (status !== undefined) read.status = status;
  const code = stringOrUndefined(error['status']);
  if (code !== undefined) read.code = code;
  return read;
}

/** Throws the upstream error a non-streaming Gemini body carries instead of a response. */
export function throwIfGeminiError(body: unknown): void {
  const error = readGeminiError(body);
  if (error === undefined) return;
  const status = error.status !== undefined && error.status >= 400 && error.status <= 599 ? error.status : 502;
  throw new GatewayError(status, 'upstream_error', error.message, { details: error.code === undefined ? undefined : { upstreamStatus: error.code } });
}
