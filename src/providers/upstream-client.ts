/**
 * The HTTP client for upstream calls: the gateway's own HTTP/1.1 client (`http1/client.ts`)
 * with pooled keep-alive connections, no WHATWG streams on the way (DESIGN.md: they cost 3–4×
 * here). A response is handed over as soon as its head arrives, so the router can decide to
 * fail over before any byte reaches the client; its body is then piped to a sink with
 * backpressure, or read whole. Transport failures become GatewayErrors with stable codes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.ts';
import { Http1Client } from '../http1/client.ts';
import type { Exchange, ExchangeHandler } from '../http1/client.ts';

export type UpstreamRequest = UpstreamRequestBase & ({ url: URL } | {
  /** `https://host:port`, no trailing slash. */
  origin: string;
  /** Path and query. */
  path: string;
});

/** What a request needs of a signal: a flag and an abort listener. AbortSignal has both. */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

interface UpstreamRequestBase {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Buffer | string;
  signal?: AbortLike;
  /** Time allowed until the response head arrives. */
  firstByteTimeoutMs: number;
  /** Time allowed between two body chunks. */
  idleTimeoutMs: number;
}

/** Where a response body goes. `write` returns false to ask for a pause (backpressure). */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
  fail(error: GatewayError): void;
  /** Calls `resume` once the sink can take more after `write` returned false. */
  waitDrain(resume: () => void): void;
  /**
   * The whole body in one piece, and its end: called instead of `write` then `end` when the
   * body was complete before `pipe` (a non-streaming answer read with its head), so that a
   * relay can send it in one write.
   */
  endWith?(chunk: Buffer): void;
}

export class UpstreamResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  private readonly exchange: Exchange;
  private buffered: Buffer[] | undefined = [];
  private sink: BodySink | undefined;
  private finished = false;
  private failure: GatewayError | undefined;

  constructor(exchange: Exchange, status: number, headers: IncomingHttpHeaders) {
    this.exchange = exchange;
    this.status = status;
    this.headers = headers;
  }

  /** Streams the body into `sink`, honouring its backpressure. */
  pipe(sink: BodySink): void {
    this.sink = sink;
    const pending = this.buffered ?? [];
    this.buffered = undefined;
    if (this.finished && pending.length === 1 && this.failure === undefined && sink.endWith !== undefined) {
      sink.endWith(pending[0] as Buffer);
      return;
    }
    for (const chunk of pending) this.deliver(chunk);
    if (this.failure !== undefined) sink.fail(this.failure);
    else if (this.finished) sink.end();
  }

  /** Reads the whole body. */
  readAll(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      this.pipe({
        write(chunk) { chunks.push(chunk); return true; },
        end() { resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)); },
        fail(error) { reject(error); },
        waitDrain(resume) { resume(); },
      });
    });
  }

  /**
   * Resolves true once the first body bytes (or the end, or a failure) are in, false if
   * none came within `ms`. A streaming upstream can send its status line at once and then
   * nothing: waiting for real bytes before committing lets the router still fail over.
   */
  waitForData(ms: number): Promise<boolean> {
    if ((this.buffered?.length ?? 1) > 0 || this.finished || this.failure !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onData = undefined;
        resolve(false);
      }, ms);
      this.onData = () => {
        clearTimeout(timer);
        this.onData = undefined;
        resolve(true);
      };
    });
  }

  private onData: (() => void) | undefined;

  /** Drops the rest of the body and frees the connection's slot. */
  abort(): void {
    if (!this.finished && this.failure === undefined) this.exchange.abort(new Error('upstream response discarded'));
  }

  /** @internal */
  push(chunk: Buffer): void {
    if (this.sink === undefined) this.buffered?.push(chunk);
    else this.deliver(chunk);
    this.onData?.();
  }

  /** @internal */
  finish(): void {
    this.finished = true;
    this.sink?.end();
    this.onData?.();
  }

  /** @internal */
  fail(error: GatewayError): void {
    this.failure = error;
    this.sink?.fail(error);
    this.onData?.();
  }

  private deliver(chunk: Buffer): void {
    const sink = this.sink as BodySink;
    const exchange = this.exchange;
    if (!sink.write(chunk) && !exchange.paused) {
      exchange.pause();
      sink.waitDrain(() => exchange.resume());
    }
  }
}

export interface UpstreamClientOptions {
  connectTimeoutMs: number;
  /** Maximum sockets per upstream origin (default: no cap). */
  connectionsPerOrigin?: number | null;
}

/** One request's way from the HTTP client's events to the caller's promise and response. */
class PendingResponse implements ExchangeHandler {
  private readonly resolve: (response: UpstreamResponse) => void;
  private readonly reject: (error: GatewayError) => void;
  private readonly origin: string;
  private readonly signal: AbortLike | undefined;
  private response: UpstreamResponse | undefined;
  exchange: Exchange | undefined;

  constructor(origin: string, signal: AbortLike | undefined, resolve: (response: UpstreamResponse) => void, reject: (error: GatewayError) => void) {
    this.origin = origin;
    this.signal = signal;
    this.resolve = resolve;
    this.reject = reject;
  }

  readonly onAbort = (): void => this.exchange?.abort(new ClientAbortError());

  onHead(exchange: Exchange, status: number, headers: IncomingHttpHeaders): void {
    this.response = new UpstreamResponse(exchange, status, headers);
    this.resolve(this.response);
  }

  onData(chunk: Buffer): void {
    this.response?.push(chunk);
  }

  onEnd(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.response?.finish();
  }

  onError(error: Error): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    const mapped = mapTransportError(error, this.origin);
    if (this.response === undefined) this.reject(mapped);
    else this.response.fail(mapped);
  }
}

export class UpstreamClient {
  private readonly http: Http1Client;

  constructor(options: UpstreamClientOptions) {
    this.http = new Http1Client({
      connectTimeoutMs: options.connectTimeoutMs,
      // No cap by default: a thousand open streams to one provider need a thousand sockets.
      connectionsPerOrigin: options.connectionsPerOrigin ?? null,
      keepAliveMs: 30_000,
      keepAliveMaxMs: 600_000,
    });
  }

  /** Sends a request; resolves with the response once its head has arrived. */
  send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const origin = 'url' in request ? request.url.origin : request.origin;
    const path = 'url' in request ? request.url.pathname + request.url.search : request.path;
    return new Promise((resolve, reject) => {
      const signal = request.signal;
      if (signal?.aborted === true) {
        reject(new GatewayError(499, 'upstream_error', 'client closed the request', { retryable: false }));
        return;
      }
      const pending = new PendingResponse(origin, signal, resolve, reject);
      signal?.addEventListener('abort', pending.onAbort, { once: true });
      try {
        pending.exchange = this.http.request({
          origin,
          path,
          method: request.method,
          headers: request.headers,
          body: request.body,
          headersTimeoutMs: request.firstByteTimeoutMs,
          bodyTimeoutMs: request.idleTimeoutMs,
        }, pending);
      } catch (error) {
        signal?.removeEventListener('abort', pending.onAbort);
        reject(mapTransportError(error as Error, origin));
      }
    });
  }

  /** Open sockets to `origin`, idle and busy. */
  socketsTo(origin: string): number {
    return this.http.socketsTo(origin);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  destroy(): Promise<void> {
    return this.http.destroy();
  }
}

class ClientAbortError extends Error {
  constructor() {
    super('client closed the request');
    this.name = 'ClientAbortError';
  }
}

const TIMEOUT_CODES = new Set(['HTTP_HEADERS_TIMEOUT', 'HTTP_BODY_TIMEOUT', 'HTTP_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Transport errors by stable code; the upstream host is named, its credentials never. */
export function mapTransportError(error: Error, origin: string): GatewayError {
  if (error instanceof ClientAbortError) {
    return new GatewayError(499, 'upstream_error', error.message, { cause: error, retryable: false });
  }
  const code = (error as { code?: string }).code ?? '';
  const where = origin.replace(/^https?:\/\//, '');
  if (code === 'HTTP_PROTOCOL_ERROR') {
    return new GatewayError(502, 'upstream_protocol_error', `upstream ${where} sent a ${error.message}`, { cause: error, details: { upstream_code: code } });
  }
  if (code === 'HTTP_INVALID_REQUEST') {
    // A header or path that cannot go on the wire (a credential with a line break, say):
    // another candidate may still work.
    return new GatewayError(502, 'upstream_error', `cannot send to upstream ${where}: ${error.message}`, { cause: error, details: { upstream_code: code } });
  }
  if (TIMEOUT_CODES.has(code)) {
    const phase = code === 'HTTP_BODY_TIMEOUT' ? 'stalled mid-response' : code === 'HTTP_HEADERS_TIMEOUT' ? 'did not answer in time' : 'connection timed out';
    return new GatewayError(504, 'upstream_timeout', `upstream ${where} ${phase}`, { cause: error, details: { upstream_code: code } });
  }
  return new GatewayError(502, 'upstream_unreachable', `upstream ${where} unreachable: ${code || error.message}`, {
    cause: error,
    details: code === '' ? undefined : { upstream_code: code },
  });
}
