/**
 * A loopback fake of an LLM provider for integration tests: a real `node:http` server on
 * 127.0.0.1, port 0. Tests script its answers per route (status, headers, body parts with
 * pauses between them, a connection reset, a hang), and it records every request it gets
 * (method, url, headers, raw and parsed body, which connection carried it, whether the
 * peer went away before the answer finished) and every byte it sent back.
 *
 * It knows no wire format: fixtures are turned into bodies by a framing function
 * (`sse-framing.ts`), so the same server plays OpenAI, Anthropic or Gemini.
 *
 * @example
 *   const upstream = await startFakeUpstream();
 *   upstream.enqueue('POST /v1/chat/completions', jsonResponse({ id: 'x' }));
 *   // ... point the gateway at upstream.url, send a request ...
 *   assert.equal(upstream.requests[0].headers.authorization, 'Bearer sk-up-1');
 *   await upstream.close();
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { chunkLines } from './sse-framing.ts';
import type { ChunkFraming } from './sse-framing.ts';

/** A piece of a scripted body: bytes to write, or a pause before the next piece. */
export type BodyPart = string | Uint8Array | { readonly delayMs: number };

export interface ScriptedResponse {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Written in order, each as its own `write()` (so each can land in its own TCP segment). */
  readonly parts?: readonly BodyPart[];
  /**
   * After the parts: `end` (default) finishes the response; `reset` destroys the socket
   * with a TCP RST mid-response; `hang` leaves the response open until the peer goes away
   * or the fake is closed.
   */
  readonly after?: 'end' | 'reset' | 'hang';
  /** Send nothing at all, not even the status line, until the peer goes away. */
  readonly hangBeforeHeaders?: boolean;
}

/** How a recorded exchange ended, from the upstream's side of the socket. */
export type ExchangeOutcome = 'completed' | 'aborted' | 'reset';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  /** Path without the query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly body: unknown;
  /** Which TCP connection carried it (1, 2, …, in accept order). */
  readonly connectionId: number;
  /** Every body byte written back so far. */
  readonly sentChunks: Buffer[];
  /**
   * Settles when the exchange is over: `completed` when the response was fully written,
   * `aborted` when the peer closed the connection first, `reset` when the script reset it.
   */
  readonly outcome: Promise<ExchangeOutcome>;
}

export interface FakeUpstream {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests that found nothing scripted (answered 599 so the test sees it). */
  readonly unmatched: RecordedRequest[];
  /** How many TCP connections have been accepted so far. */
  readonly connectionCount: number;
  /**
   * Queues answers for a route (`"POST /v1/chat/completions"`), used once each, in order.
   * A route ending in `*` matches every path with that prefix (`"POST /v1beta/models/*"`);
   * an exact route wins over a prefix. The query string never takes part.
   */
  enqueue(route: string, ...responses: ScriptedResponse[]): void;
  /** The answer for a route whenever its queue is empty (for retries and repeated calls). */
  always(route: string, response: ScriptedResponse): void;
  /** Waits until `count` requests have arrived (fails after `timeoutMs` instead of hanging). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Destroys every socket and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

/** The body bytes a recorded request was sent back, joined. */
export function sentBody(request: RecordedRequest): Buffer {
  return Buffer.concat(request.sentChunks);
}

/** An answer with a JSON body (serialised with `JSON.stringify`). */
export function jsonResponse(
  value: unknown,
  init: { status?: number; headers?: Record<string, string> } = {},
): ScriptedResponse {
  return bytesResponse(JSON.stringify(value), {
    status: init.status ?? 200,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
}

/** An answer whose body is exactly these bytes, written in one piece with a content-length. */
export function bytesResponse(
  body: string | Uint8Array,
  init: { status?: number; headers?: Record<string, string> } = {},
): ScriptedResponse {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  return {
    status: init.status ?? 200,
    headers: { 'content-length': String(bytes.length), ...init.headers },
    parts: [bytes],
  };
}

export interface StreamOptions {
  status?: number;
  headers?: Record<string, string>;
  /**
   * How to cut the body into writes: `events` (default) writes each SSE event (up to and
   * including its blank line) on its own; a number writes pieces of that many bytes (cutting
   * through events and through multi-byte characters); `whole` writes it at once.
   */
  split?: 'events' | 'whole' | number;
  /** A pause before every piece after the first. */
  delayMs?: number;
  /** Write only the first N pieces, then do `after`. */
  limitParts?: number;
  after?: 'end' | 'reset' | 'hang';
}

/** An answer with a `text/event-stream` body, delivered in pieces (chunked encoding). */
export function streamResponse(body: string | Uint8Array, options: StreamOptions = {}): ScriptedResponse {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  let pieces = splitBody(bytes, options.split ?? 'events');
  if (options.limitParts !== undefined) pieces = pieces.slice(0, options.limitParts);
  const parts: BodyPart[] = [];
  pieces.forEach((piece, index) => {
    if (index > 0 && options.delayMs !== undefined && options.delayMs > 0) parts.push({ delayMs: options.delayMs });
    parts.push(piece);
  });
  return {
    status: options.status ?? 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...options.headers },
    parts,
    after: options.after ?? 'end',
  };
}

/** An answer that never starts: no status line, no bytes, until the peer gives up. */
export function hangingResponse(): ScriptedResponse {
  return { hangBeforeHeaders: true };
}

function splitBody(bytes: Buffer, split: 'events' | 'whole' | number): Buffer[] {
  if (split === 'whole' || bytes.length === 0) return [bytes];
  if (typeof split === 'number') {
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < bytes.length; offset += split) pieces.push(bytes.subarray(offset, offset + split));
    return pieces;
  }
  // Cut after each blank line (`\n\n`, `\r\n\r\n` or `\r\r`), keeping every byte.
  const pieces: Buffer[] = [];
  const text = bytes.toString('latin1');
  const boundary = /\r\n\r\n|\n\n|\r\r/g;
  let start = 0;
  for (let match = boundary.exec(text); match !== null; match = boundary.exec(text)) {
    const end = match.index + match[0].length;
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  if (start < bytes.length) pieces.push(bytes.subarray(start));
  return pieces;
}

/**
 * The body a fixture file stands for: `*.chunks.txt` through `framing`, anything else
 * (`*.sse`, `*.json`) byte for byte.
 */
export async function fixtureBody(file: string | URL, framing: ChunkFraming): Promise<Buffer> {
  const bytes = await readFile(file);
  const name = typeof file === 'string' ? file : file.pathname;
  if (name.endsWith('.chunks.txt')) return Buffer.from(framing(chunkLines(bytes.toString('utf8'))));
  return bytes;
}

/**
 * A scripted answer serving a fixture file: `*.json` as a JSON body (status from `status`,
 * default 200), streams (`*.chunks.txt` framed, `*.sse` raw) as `text/event-stream`.
 */
export async function fixtureResponse(
  file: string | URL,
  framing: ChunkFraming,
  options: StreamOptions = {},
): Promise<ScriptedResponse> {
  const body = await fixtureBody(file, framing);
  const name = typeof file === 'string' ? file : file.pathname;
  if (name.endsWith('.json')) {
    return bytesResponse(body, {
      status: options.status ?? 200,
      headers: { 'content-type': 'application/json', ...options.headers },
    });
  }
  return streamResponse(body, options);
}

/** Starts a fake upstream on 127.0.0.1, port 0. Close it when the test ends. */
export async function startFakeUpstream(): Promise<FakeUpstream> {
  const queues = new Map<string, ScriptedResponse[]>();
  const fallbacks = new Map<string, ScriptedResponse>();
  const requests: RecordedRequest[] = [];
  const unmatched: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const connectionIds = new WeakMap<Socket, number>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  let connectionCount = 0;
  let closed = false;

  const notify = (): void => {
    for (const waiter of waiters) waiter();
  };

  const sleep = (milliseconds: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, milliseconds);
      timers.add(timer);
    });

  const server = createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
    void handle(request, response);
  });
  server.on('connection', (socket: Socket) => {
    connectionCount += 1;
    connectionIds.set(socket, connectionCount);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  /** The routes a request for `route` may use, exact first, then the longest prefix pattern. */
  function candidateRoutes(route: string): string[] {
    const patterns = [...new Set([...queues.keys(), ...fallbacks.keys()])]
      .filter((pattern) => pattern.endsWith('*') && route.startsWith(pattern.slice(0, -1)))
      .sort((left, right) => right.length - left.length);
    return [route, ...patterns];
  }

  function takeScript(route: string): ScriptedResponse | undefined {
    const candidates = candidateRoutes(route);
    for (const candidate of candidates) {
      const queued = queues.get(candidate)?.shift();
      if (queued !== undefined) return queued;
    }
    for (const candidate of candidates) {
      const fallback = fallbacks.get(candidate);
      if (fallback !== undefined) return fallback;
    }
    return undefined;
  }

  async function readBody(request: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let rawBody: Buffer;
    try {
      rawBody = await readBody(request);
    } catch {
      return; // the peer went away while sending; nothing to answer
    }
    const url = request.url ?? '/';
    const path = url.split('?')[0] ?? url;
    let body: unknown;
    try {
      body = rawBody.length > 0 ? JSON.parse(rawBody.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    let settle: (outcome: ExchangeOutcome) => void = () => {};
    const outcome = new Promise<ExchangeOutcome>((resolve) => {
      settle = resolve;
    });
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      url,
      path,
      headers: request.headers,
      rawBody,
      body,
      connectionId: connectionIds.get(request.socket) ?? 0,
      sentChunks: [],
      outcome,
    };
    let deliberateReset = false;
    response.on('close', () => {
      if (deliberateReset) settle('reset');
      else settle(response.writableFinished ? 'completed' : 'aborted');
    });
    requests.push(record);
    notify();

    const route = `${record.method} ${path}`;
    const script = takeScript(route);
    if (script === undefined) {
      unmatched.push(record);
      const message = JSON.stringify({ error: { message: `fake upstream: nothing scripted for ${route}`, type: 'fake_upstream' } });
      response.writeHead(599, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(message) });
      response.end(message);
      return;
    }
    if (script.hangBeforeHeaders === true) return; // settles when the peer or close() ends it

    response.writeHead(script.status ?? 200, script.headers ?? {});
    response.flushHeaders();
    for (const part of script.parts ?? []) {
      if (response.destroyed || closed) return;
      if (typeof part === 'object' && 'delayMs' in part) {
        await sleep(part.delayMs);
        continue;
      }
      const bytes = Buffer.from(part);
      record.sentChunks.push(bytes);
      response.write(bytes);
    }
    if (response.destroyed || closed) return;
    const after = script.after ?? 'end';
    if (after === 'end') {
      response.end();
    } else if (after === 'reset') {
      deliberateReset = true;
      // Let the written bytes leave before the RST, so the peer sees a stream cut mid-way.
      await sleep(20);
      request.socket.resetAndDestroy();
    }
    // 'hang': leave it open; close() or the peer ends it.
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake upstream: no TCP address');
  const port = address.port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    unmatched,
    get connectionCount() {
      return connectionCount;
    },
    enqueue(route, ...responses) {
      const queue = queues.get(route) ?? [];
      queue.push(...responses);
      queues.set(route, queue);
    },
    always(route, response) {
      fallbacks.set(route, response);
    },
    waitForRequests(count, timeoutMs = 5_000) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake upstream: expected ${count} request(s), got ${requests.length} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (): void => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests.slice());
        };
        waiters.add(check);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Resolves with the exchange's outcome, or rejects after `timeoutMs` so a test that waits
 * for an abort fails instead of hanging.
 */
export function outcomeWithin(request: RecordedRequest, timeoutMs = 5_000): Promise<ExchangeOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`exchange ${request.method} ${request.url} did not end within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([request.outcome, deadline]).finally(() => clearTimeout(timer));
}
