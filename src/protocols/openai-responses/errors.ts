/**
 * Errors for Responses clients. The HTTP body is OpenAI's `{"error":{message,type,param,code}}`
 * (shared with Chat Completions). In a stream, an error is an `event: error` carrying the
 * error both flat (`code`, `message`, `param`, as OpenAI documents it) and nested under
 * `error` (as OpenAI actually sends it, and what the `openai` SDK throws on). The stream
 * renderer follows it with `response.failed`; this stateless form has no response to fail.
 */
import type { GatewayError } from '../../errors.ts';
import { renderOpenAIError } from '../openai-chat/errors.ts';
import { isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';

export function renderResponsesError(error: GatewayError): { status: number; body: Record<string, unknown> } {
  const rendered = renderOpenAIError(error);
  return { status: rendered.status, body: { ...rendered.body } };
}

export function responsesErrorEvent(code: string | null, message: string, param: string | null, type: string): JsonRecord {
  return { type: 'error', code, message, param, error: { type, code, message, param } };
}

export function renderResponsesStreamError(error: GatewayError): string {
  const body = renderOpenAIError(error).body.error;
  return `event: error\ndata: ${JSON.stringify(responsesErrorEvent(error.code, error.message, error.param ?? null, body.type))}\n\n`;
}

/** HTTP status for an upstream in-stream error code, where the code says it plainly. */
export function statusForErrorCode(code: string | undefined): number | undefined {
  if (code === undefined) return undefined;
  if (code === 'insufficient_quota' || code === 'rate_limit_exceeded' || code === 'rate_limit_error') return 429;
  if (code === 'server_error' || code === 'internal_error') return 500;
  if (code === 'invalid_prompt' || code === 'invalid_request_error' || code === 'context_length_exceeded') return 400;
  return undefined;
}

/** Reads `{error:{message,code,type}}` (or a flat error event) from an upstream payload. */
export function readResponsesError(value: JsonRecord): { status?: number; code?: string; message: string } {
  const nested = isRecord(value['error']) ? value['error'] : value;
  const code = stringOrUndefined(nested['code']) ?? stringOrUndefined(nested['type']);
  const read: { status?: number; code?: string; message: string } = { message: stringOrUndefined(nested['message']) ?? 'upstream error' };
  if (code !== undefined) read.code = code;
  const status = statusForErrorCode(code);
  if (status !== undefined) read.status = status;
  return read;
}
