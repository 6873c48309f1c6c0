/**
 * The one place errors become responses, in the client's own wire format: OpenAI's
 * `{"error":{...}}`, Anthropic's `{"type":"error",...}`, Gemini's `{"error":{"code",...}}`.
 */
import type { GatewayResponse } from './types.ts';
import { toGatewayError } from '../errors.ts';
import { ADAPTERS } from '../protocols/index.ts';
import type { WireFormat } from '../protocols/ir.ts';
import { sendJson } from './http-io.ts';
import { REQUEST_ID_HEADER } from './request-id.ts';

/** Sends `error` as a complete response, or ends a started stream with an in-stream error. */
export function sendError(response: GatewayResponse, thrown: unknown, format: WireFormat = 'openai-chat', requestId?: string): void {
  const error = toGatewayError(thrown);
  const adapter = ADAPTERS[format];
  if (response.headersSent) {
    if (!response.writableEnded && !response.destroyed) response.end(adapter.renderStreamError(error));
    return;
  }
  const { status, body } = adapter.renderError(error);
  sendJson(response, status, body, requestId === undefined ? error.headers : { ...error.headers, [REQUEST_ID_HEADER]: requestId });
}
