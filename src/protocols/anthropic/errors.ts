/**
 * Anthropic's error shape, `{"type":"error","error":{"type","message"}}`, its types derived
 * from the HTTP status the way Anthropic's API does it; in a stream the same object travels
 * as `event: error`. The reverse mapping reads an upstream error event into the IR.
 */
import type { GatewayError } from '../../errors.ts';
import type { IRStreamEvent } from '../ir.ts';
import { isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 405:
    case 409:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function anthropicErrorStatus(type: string): number | undefined {
  return STATUS_BY_TYPE[type];
}

export function renderAnthropicError(error: GatewayError): { status: number; body: AnthropicErrorBody } {
  return { status: error.status, body: { type: 'error', error: { type: anthropicErrorType(error.status), message: error.message } } };
}

export function renderAnthropicStreamError(error: GatewayError): string {
  return `event: error\ndata: ${JSON.stringify(renderAnthropicError(error).body)}\n\n`;
}

/** An upstream `error` event payload (`{type:"error", error:{type,message}}`) → IR error event. */
export function parseAnthropicStreamError(payload: unknown): Extract<IRStreamEvent, { type: 'error' }> {
  const error = isRecord(payload) && isRecord(payload['error']) ? payload['error'] : {};
  const event: Extract<IRStreamEvent, { type: 'error' }> = { type: 'error', message: stringOrUndefined(error['message']) ?? 'upstream stream error' };
  const type = stringOrUndefined(error['type']);
  if (type !== undefined) {
    event.code = type;
    const status = anthropicErrorStatus(type);
    if (status !== undefined) event.status = status;
  }
  return event;
}
