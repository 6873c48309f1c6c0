/**
 * OpenAI's error shape: `{"error":{"message","type","param","code"}}`, the `type` derived
 * from the HTTP status the way OpenAI's own API does it.
 */
import type { GatewayError } from '../../errors.ts';
import type { IRStreamEvent } from '../ir.ts';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; [key: string]: unknown };
}

export function openAIErrorType(status: number): string {
  if (status === 400 || status === 404 || status === 405 || status === 409 || status === 413 || status === 422) {
    return status === 404 ? 'not_found_error' : 'invalid_request_error';
  }
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  return 'api_error';
}

export function renderOpenAIError(error: GatewayError): { status: number; body: OpenAIErrorBody } {
  const body: OpenAIErrorBody = {
    error: { message: error.message, type: openAIErrorType(error.status), param: error.param ?? null, code: error.code },
  };
  if (error.details !== undefined) Object.assign(body.error, error.details);
  return { status: error.status, body };
}

/** In-stream error for Chat Completions: a `data:` event carrying the error object, then `[DONE]`. */
export function renderOpenAIStreamError(error: GatewayError): string {
  return `data: ${JSON.stringify(renderOpenAIError(error).body)}\n\ndata: [DONE]\n\n`;
}

const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  insufficient_quota: 429,
  server_error: 500,
  api_error: 500,
  timeout_error: 504,
};

/**
 * The `error` member of an in-stream `data: {"error":{…}}` event → IR error event. OpenRouter
 * puts the HTTP status in a numeric `code`; OpenAI puts a string code and a `type`.
 */
export function parseOpenAIStreamError(error: unknown): Extract<IRStreamEvent, { type: 'error' }> {
  if (typeof error === 'string') return { type: 'error', message: error };
  const record = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const message = typeof record['message'] === 'string' ? record['message'] : 'upstream stream error';
  const event: Extract<IRStreamEvent, { type: 'error' }> = { type: 'error', message };
  const code = record['code'];
  const type = record['type'];
  if (typeof code === 'string') event.code = code;
  else if (typeof type === 'string') event.code = type;
  const status = typeof code === 'number' ? code : typeof type === 'string' ? STATUS_BY_TYPE[type] : undefined;
  if (status !== undefined) event.status = status;
  return event;
}
