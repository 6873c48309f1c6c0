/**
 * The contract every wire-format folder in `src/protocols/` fulfils. The server and the
 * providers dispatch on `WireFormat` and never import a format's internals.
 * Everything here is pure: no I/O, no config, no state beyond one stream's own.
 */
import type { GatewayError } from '../errors.ts';
import type { IRRequest, IRResponse, IRStreamEvent, WireFormat } from './ir.ts';

/** Incremental parser: upstream wire bytes in, IR events out. Chunks may split anywhere. */
export interface StreamParser {
  push(chunk: Uint8Array): IRStreamEvent[];
  /** Flushes what is left at end of input (a last event without its blank line, say). */
  end(): IRStreamEvent[];
}

/** Incremental renderer: IR events in, client wire text out (already framed, e.g. SSE). */
export interface StreamRenderer {
  render(event: IRStreamEvent): string;
  /** Closes the stream in the format's way (`data: [DONE]`, `message_stop`, …). */
  end(): string;
}

export interface RequestContext {
  /** Model named outside the body (Gemini puts it in the URL). */
  model?: string;
  /** Streaming decided outside the body (Gemini's `:streamGenerateContent`). */
  stream?: boolean;
}

export interface ProtocolAdapter {
  readonly format: WireFormat;
  /** Client wire body → IR. Throws GatewayError 400 `invalid_request` naming the field. */
  parseRequest(body: unknown, context?: RequestContext): IRRequest;
  /** IR → wire body to send upstream in this format. */
  renderRequest(request: IRRequest): Record<string, unknown>;
  /** Upstream wire body (non-streaming) → IR. */
  parseResponse(body: unknown): IRResponse;
  /** IR → wire body to answer a client of this format. */
  renderResponse(response: IRResponse, request: IRRequest): Record<string, unknown>;
  createStreamParser(): StreamParser;
  createStreamRenderer(request: IRRequest): StreamRenderer;
  /** A GatewayError as this format's error body, with the HTTP status to send. */
  renderError(error: GatewayError): { status: number; body: Record<string, unknown> };
  /** A GatewayError as this format's in-stream error event (framed wire text). */
  renderStreamError(error: GatewayError): string;
}
