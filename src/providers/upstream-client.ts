/**
 * The HTTP client for upstream calls: undici's dispatcher API with pooled keep-alive
 * connections, no WHATWG streams on the way (DESIGN.md: they cost 3–4× here). A response
 * is handed over as soon as its head arrives, so the router can decide to fail over before
 * any byte reaches the client; its body is then piped to a sink with backpressure, or read
 * whole. Transport failures become GatewayErrors with stable codes.
 */
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.ts';

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
}

export class UpstreamResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  private readonly controller: Dispatcher.DispatchController;
  private buffered: Buffer[] | undefined = [];
  private sink: BodySink | undefined;
  private finished = false;
  private failure: GatewayError | undefined;

  constructor(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders) {
    this.controller = controller;
    this.status = status;
    this.headers = headers;
  }

  /** Streams the body into `sink`, honouring its backpressure. */
  pipe(sink: BodySink): void {
    this.sink = sink;
    const pending = this.buffered ?? [];
    this.buffered = undefined;
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
    if (!this.finished && this.failure === undefined && !this.controller.aborted) {
      this.controller.abort(new Error('upstream response discarded'));
    }
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
    if (!sink.write(chunk) && !this.controller.paused) {
      this.controller.pause();
      sink.waitDrain(() => this.controller.resume());
    }
  }
}

export interface UpstreamClientOptions {
  connectTimeoutMs: number;
  /** Maximum sockets per upstream origin (default: no cap). */
  connectionsPerOrigin?: number | null;
}

export class UpstreamClient {
  private readonly agent: UndiciAgent;

  constructor(options: UpstreamClientOptions) {
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs },
      // No cap by default: a thousand open streams to one provider need a thousand sockets.
      connections: options.connectionsPerOrigin ?? null,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      pipelining: 1,
    });
  }

  /** Sends a request; resolves with the response once its head has arrived. */
  send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const origin = 'url' in request ? request.url.origin : request.origin;
    const path = 'url' in request ? request.url.pathname + request.url.search : request.path;
    return new Promise((resolve, reject) => {
      let response: UpstreamResponse | undefined;
      let controller: Dispatcher.DispatchController | undefined;
      const signal = request.signal;
      const onAbort = (): void => controller?.abort(new ClientAbortError());
      if (signal !== undefined) {
        if (signal.aborted) {
          reject(new GatewayError(499, 'upstream_error', 'client closed the request', { retryable: false }));
          return;
        }
        signal.addEventListener('abort', onAbort, { once: true });
      }
      const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(started) {
          controller = started;
          if (signal?.aborted === true) started.abort(new ClientAbortError());
        },
        onResponseStart(started, statusCode, headers) {
          response = new UpstreamResponse(started, statusCode, headers);
          resolve(response);
        },
        onResponseData(_controller, chunk) {
          response?.push(chunk);
        },
        onResponseEnd() {
          cleanup();
          response?.finish();
        },
        onResponseError(_controller, error) {
          cleanup();
          const mapped = mapTransportError(error, origin);
          if (response === undefined) reject(mapped);
          else response.fail(mapped);
        },
      };
      const options: Dispatcher.DispatchOptions = {
        origin,
        path,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        headersTimeout: request.firstByteTimeoutMs,
        bodyTimeout: request.idleTimeoutMs,
      };
      try {
        this.agent.dispatch(options, handler);
      } catch (error) {
        cleanup();
        reject(mapTransportError(error as Error, origin));
      }
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  destroy(): Promise<void> {
    return this.agent.destroy();
  }
}

class ClientAbortError extends Error {
  constructor() {
    super('client closed the request');
    this.name = 'ClientAbortError';
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Transport errors by stable code; the upstream host is named, its credentials never. */
export function mapTransportError(error: Error, origin: string): GatewayError {
  if (error instanceof ClientAbortError) {
    return new GatewayError(499, 'upstream_error', error.message, { cause: error, retryable: false });
  }
  const code = (error as { code?: string }).code ?? '';
  const where = origin.replace(/^https?:\/\//, '');
  if (TIMEOUT_CODES.has(code)) {
    const phase = code === 'UND_ERR_BODY_TIMEOUT' ? 'stalled mid-response' : code === 'UND_ERR_HEADERS_TIMEOUT' ? 'did not answer in time' : 'connection timed out';
    return new GatewayError(504, 'upstream_timeout', `upstream ${where} ${phase}`, { cause: error, details: { upstream_code: code } });
  }
  return new GatewayError(502, 'upstream_unreachable', `upstream ${where} unreachable: ${code || error.message}`, {
    cause: error,
    details: code === '' ? undefined : { upstream_code: code },
  });
}
