/**
 * The one place errors become responses, in the client's own wire format. Issue-2 routes
 * all speak OpenAI's shape; other inbound formats register their renderer here.
 */
import type { ServerResponse } from 'node:http';
import { toGatewayError, type GatewayError } from '../errors.ts';
import { renderOpenAIError, renderOpenAIStreamError } from '../protocols/openai-chat/errors.ts';
import type { WireFormat } from '../protocols/ir.ts';
import { sendJson } from './http-io.ts';

export type ErrorRenderer = {
  body(error: GatewayError): { status: number; body: object };
  stream(error: GatewayError): string;
};

const renderers = new Map<WireFormat, ErrorRenderer>([
  ['openai-chat', { body: renderOpenAIError, stream: renderOpenAIStreamError }],
]);

export function registerErrorRenderer(format: WireFormat, renderer: ErrorRenderer): void {
  renderers.set(format, renderer);
}

function rendererFor(format: WireFormat): ErrorRenderer {
  return renderers.get(format) ?? (renderers.get('openai-chat') as ErrorRenderer);
}

/** Sends `error` as a complete response, or ends a started stream with an in-stream error. */
export function sendError(response: ServerResponse, thrown: unknown, format: WireFormat = 'openai-chat'): void {
  const error = toGatewayError(thrown);
  const renderer = rendererFor(format);
  if (response.headersSent) {
    if (!response.writableEnded && !response.destroyed) response.end(renderer.stream(error));
    return;
  }
  const { status, body } = renderer.body(error);
  // 499 is our own code for "client went away": nobody reads it, but keep it well-formed.
  sendJson(response, status, body, error.headers);
}

export function streamErrorText(error: GatewayError, format: WireFormat = 'openai-chat'): string {
  return rendererFor(format).stream(error);
}
