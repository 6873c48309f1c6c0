import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Http1Server } from './server.ts';
import type { Http1ServerOptions, IncomingRequest, OutgoingResponse, RequestHandler } from './server.ts';

/** Long enough for loopback, short enough that a hang fails the test rather than the run. */
const WAIT_MS = 3_000;
/** The per-test limit: every wait below is bounded well inside it. */
const TEST_TIMEOUT_MS = 15_000;

interface Started {
  server: Http1Server;
  port: number;
}

/** An Http1Server on a loopback port, closed (with every connection) after the test. */
async function start(t: TestContext, handler: RequestHandler, options: Http1ServerOptions = {}): Promise<Started> {
  const server = new Http1Server(handler, options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Rejects naming `what` when `promise` takes longer than `timeoutMs`. */
function within<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The next `event` of `emitter`, within a bounded wait. */
function next(emitter: EventEmitter, event: string, what: string, timeoutMs = WAIT_MS): Promise<unknown[]> {
  return within(new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args))), `${event}: ${what}`, timeoutMs);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for server-side state that no client event announces, checking every few ms. */
async function poll(check: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  await within((async () => {
    while (!check()) await sleep(10);
  })(), what, timeoutMs);
}

interface WireResponse {
  status: number;
  /** Lower-case names; a repeated field keeps its last value (`lines` has them all). */
  headers: Record<string, string>;
  lines: string[];
  body: string;
  /** The response's exact bytes, head and body. */
  raw: string;
}

/**
 * The first response at the start of `wire` (latin1 text) and its length, or undefined while
 * it is incomplete. `bodyless` for the answer to HEAD; a body delimited by the close counts
 * only once `closed`.
 */
function firstResponse(wire: string, bodyless: boolean, closed: boolean): WireResponse | undefined {
  const headEnd = wire.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const lines = wire.slice(0, headEnd).split('\r\n');
  const status = Number((lines[0] as string).split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let offset = headEnd + 4;
  let body = '';
  if (bodyless || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    // No body.
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (wire.length < offset + length) return undefined;
    body = wire.slice(offset, offset + length);
    offset += length;
  } else if (headers['transfer-encoding'] === 'chunked') {
    for (;;) {
      const lineEnd = wire.indexOf('\r\n', offset);
      if (lineEnd === -1) return undefined;
      const size = Number.parseInt(wire.slice(offset, lineEnd), 16);
      if (size === 0) {
        if (wire.length < lineEnd + 4) return undefined;
        offset = lineEnd + 4;
        break;
      }
      if (wire.length < lineEnd + 2 + size + 2) return undefined;
      body += wire.slice(lineEnd + 2, lineEnd + 2 + size);
      offset = lineEnd + 2 + size + 2;
    }
  } else {
    if (!closed) return undefined;
    body = wire.slice(offset);
    offset = wire.length;
  }
  return { status, headers, lines: lines.slice(1), body, raw: wire.slice(0, offset) };
}

/** A raw TCP client: the exact bytes the server sent, read one response at a time. */
class RawClient {
  readonly socket: net.Socket;
  /** Everything received, as latin1 text. */
  received = '';
  /** The server ended its side. */
  ended = false;
  closed = false;
  /** How much of `received` the responses read so far took. */
  private taken = 0;
  private readonly changes = new EventEmitter();

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      this.received += data;
      this.changes.emit('change');
    });
    socket.on('end', () => {
      this.ended = true;
      this.changes.emit('change');
    });
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => {
      this.closed = true;
      this.changes.emit('change');
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves with `check`'s first defined result, checked again on every change. */
  until<T>(check: () => T | undefined, what: string, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): void => {
        const result = check();
        if (result === undefined) return;
        clearTimeout(timer);
        this.changes.off('change', attempt);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.changes.off('change', attempt);
        reject(new Error(`not within ${timeoutMs} ms: ${what}; received ${JSON.stringify(this.received)}, closed ${this.closed}`));
      }, timeoutMs);
      this.changes.on('change', attempt);
      attempt();
    });
  }

  /** The next whole response. */
  response(bodyless = false, timeoutMs = WAIT_MS): Promise<WireResponse> {
    return this.until(() => {
      const found = firstResponse(this.received.slice(this.taken), bodyless, this.ended || this.closed);
      if (found !== undefined) this.taken += found.raw.length;
      return found;
    }, 'a whole response', timeoutMs);
  }

  /** Resolves once the server has ended the connection. */
  serverClosed(timeoutMs = WAIT_MS): Promise<true> {
    return this.until(() => (this.ended || this.closed ? true : undefined), 'the server closing the connection', timeoutMs);
  }

  /** Bytes received after the responses read so far. */
  get unread(): string {
    return this.received.slice(this.taken);
  }
}

async function connect(t: TestContext, port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => { socket.destroy(); });
  await next(socket, 'connect', 'connecting to the server');
  return new RawClient(socket);
}

/** Answers every request with its method, url and body, as JSON, once the body is in. */
const echo: RequestHandler = (request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ method: request.method, url: request.url, body: Buffer.concat(chunks).toString('latin1') }));
  });
};

function echoed(response: WireResponse): { method: string; url: string; body: string } {
  return JSON.parse(response.body) as { method: string; url: string; body: string };
}

/** A handler that hands each request and response to the test, to drive by hand. */
function captured(): { handler: RequestHandler; next: () => Promise<[IncomingRequest, OutgoingResponse]> } {
  const waiting: ((pair: [IncomingRequest, OutgoingResponse]) => void)[] = [];
  const ready: [IncomingRequest, OutgoingResponse][] = [];
  return {
    handler(request, response) {
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter([request, response]);
      else ready.push([request, response]);
    },
    next() {
      const pair = ready.shift();
      if (pair !== undefined) return Promise.resolve(pair);
      return within(new Promise((resolve) => waiting.push(resolve)), 'a request reaching the handler');
    },
  };
}

/** One request through node:http's client, on `agent`. */
function httpRequest(port: number, options: http.RequestOptions, body?: string | string[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: net.Socket }> {
  return within(new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, ...options }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode as number, headers: response.headers, body: Buffer.concat(chunks).toString(), socket: request.socket as net.Socket }));
      response.on('error', reject);
    });
    request.on('error', reject);
    for (const piece of typeof body === 'string' ? [body] : body ?? []) request.write(piece);
    request.end();
  }), `${options.method ?? 'GET'} ${options.path ?? '/'} through node:http`);
}

const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

// ---------------------------------------------------------------------------------------------
// Keep-alive and connection handling

test('HTTP/1.1 keeps the connection: two requests on one socket, with the keep-alive timeout announced', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const sockets = new Set<net.Socket>();
  const { server, port } = await start(t, (request, response) => {
    sockets.add(request.socket);
    echo(request, response);
  }, { keepAliveTimeoutMs: 5_000 });
  const client = await connect(t, port);
  client.write('GET /first HTTP/1.1\r\nHost: gateway.local\r\n\r\n');
  const first = await client.response();
  assert.equal(first.status, 200);
  assert.equal(echoed(first).url, '/first');
  assert.equal(first.headers.connection, 'keep-alive');
  assert.equal(first.headers['keep-alive'], 'timeout=5');
  client.write('POST /second HTTP/1.1\r\nHost: gateway.local\r\nContent-Length: 5\r\n\r\nhello');
  const second = await client.response();
  assert.deepEqual(echoed(second), { method: 'POST', url: '/second', body: 'hello' });
  assert.equal(second.headers.connection, 'keep-alive');
  assert.equal(client.closed, false);
  assert.equal(client.ended, false);
  assert.equal(sockets.size, 1);
  assert.equal(server.connectionCount, 1);
  // Only the two responses came back: nothing stray after them.
  assert.equal(client.unread, '');
});

test('node:http\'s keep-alive agent reuses one connection; fetch is answered', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const remotePorts: number[] = [];
  const { port } = await start(t, (request, response) => {
    remotePorts.push(request.socket.remotePort as number);
    echo(request, response);
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const first = await httpRequest(port, { agent, path: '/one' });
  const second = await httpRequest(port, { agent, path: '/two', method: 'POST', headers: { 'content-type': 'text/plain' } }, 'payload');
  assert.equal(first.status, 200);
  assert.equal(JSON.parse(first.body).url, '/one');
  assert.deepEqual(JSON.parse(second.body), { method: 'POST', url: '/two', body: 'payload' });
  assert.equal(remotePorts.length, 2);
  assert.equal(remotePorts[0], remotePorts[1]);
  const fetched = await within(fetch(`http://127.0.0.1:${port}/fetched?x=1`, { method: 'PUT', body: '{"a":1}' }), 'fetch');
  assert.equal(fetched.status, 200);
  assert.equal(fetched.headers.get('content-type'), 'application/json');
  assert.deepEqual(await fetched.json(), { method: 'PUT', url: '/fetched?x=1', body: '{"a":1}' });
});

test('Connection: close is answered with connection: close and the socket is closed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { server, port } = await start(t, echo);
  const client = await connect(t, port);
  client.write('GET /bye HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  const response = await client.response();
  assert.equal(response.status, 200);
  assert.equal(response.headers.connection, 'close');
  assert.equal(response.headers['keep-alive'], undefined);
  await client.serverClosed();
  await poll(() => server.connectionCount === 0, 'the server forgetting the connection');
});

test('HTTP/1.0 closes after the response unless it asks for keep-alive', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, echo, { keepAliveTimeoutMs: 10_000 });
  const plain = await connect(t, port);
  plain.write('GET /old HTTP/1.0\r\n\r\n');
  const closed = await plain.response();
  assert.equal(closed.status, 200);
  assert.equal(closed.headers.connection, 'close');
  assert.ok(closed.raw.startsWith('HTTP/1.1 200 OK\r\n'));
  await plain.serverClosed();

  const kept = await connect(t, port);
  kept.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const first = await kept.response();
  assert.equal(first.headers.connection, 'keep-alive');
  assert.equal(first.headers['keep-alive'], 'timeout=10');
  // A body given whole has its length, which is what lets HTTP/1.0 keep the connection.
  assert.equal(first.headers['content-length'], String(Buffer.byteLength(first.body)));
  kept.write('GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const second = await kept.response();
  assert.equal(echoed(second).url, '/b');
  assert.equal(kept.closed, false);
  assert.equal(kept.ended, false);
});

test('HTTP/1.0 streamed without a length: no chunking, the close ends the body', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.write('one ');
    setImmediate(() => response.end('two'));
  });
  const client = await connect(t, port);
  client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const response = await client.response();
  await client.serverClosed();
  assert.equal(response.headers['transfer-encoding'], undefined);
  assert.equal(response.headers['content-length'], undefined);
  assert.equal(response.headers.connection, 'close');
  assert.equal(response.body, 'one two');
});

// ---------------------------------------------------------------------------------------------
// Response framing

test('end(body) without a prior write sends a content-length and no chunking', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const big = Buffer.alloc(100_000, 'b');
  const { port } = await start(t, (request, response) => {
    if (request.url === '/text') response.end('héllo');
    else if (request.url === '/empty') response.end();
    else if (request.url === '/big') response.end(big);
    else response.writeHead(201, { 'content-type': 'application/json' }).end(Buffer.from('{"id":1}'));
  });
  const client = await connect(t, port);
  client.write('GET /text HTTP/1.1\r\nHost: a\r\n\r\n');
  const text = await client.response();
  assert.equal(text.headers['content-length'], '6');
  assert.equal(text.headers['transfer-encoding'], undefined);
  assert.equal(Buffer.from(text.body, 'latin1').toString('utf8'), 'héllo');
  client.write('GET /empty HTTP/1.1\r\nHost: a\r\n\r\n');
  const empty = await client.response();
  assert.equal(empty.headers['content-length'], '0');
  assert.equal(empty.body, '');
  client.write('GET /created HTTP/1.1\r\nHost: a\r\n\r\n');
  const created = await client.response();
  assert.equal(created.status, 201);
  assert.ok(created.raw.startsWith('HTTP/1.1 201 Created\r\n'));
  assert.equal(created.headers['content-length'], '8');
  assert.equal(created.body, '{"id":1}');
  // Above the copy limit the head and the body go out as two writes: same bytes.
  client.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
  const large = await client.response();
  assert.equal(large.headers['content-length'], String(big.length));
  assert.equal(large.body, big.toString('latin1'));
  assert.equal(client.unread, '');
});

test('several writes without a length are chunked, with these exact bytes', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, async (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('a');
    await sleep(5);
    response.write(Buffer.from('bb'));
    response.write('');
    await sleep(5);
    response.write(new Uint8Array(Buffer.from('0123456789abcdefg')));
    response.end('ccc');
  });
  const client = await connect(t, port);
  client.write('GET /stream HTTP/1.1\r\nHost: a\r\n\r\n');
  const response = await client.response();
  assert.equal(response.headers['transfer-encoding'], 'chunked');
  assert.equal(response.headers['content-length'], undefined);
  const body = response.raw.slice(response.raw.indexOf('\r\n\r\n') + 4);
  assert.equal(body, '1\r\na\r\n2\r\nbb\r\n11\r\n0123456789abcdefg\r\n3\r\nccc\r\n0\r\n\r\n');
  assert.equal(response.body, 'abb0123456789abcdefgccc');
});

test('flushHeaders sends the head at once; end() then closes the chunked body', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { handler, next: nextRequest } = captured();
  const { port } = await start(t, handler);
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const [, response] = await nextRequest();
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.flushHeaders();
  await client.until(() => (client.received.includes('\r\n\r\n') ? true : undefined), 'the head alone');
  assert.match(client.received, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(client.received, /\r\ntransfer-encoding: chunked\r\n/);
  response.end();
  const whole = await client.response();
  assert.equal(whole.raw.slice(whole.raw.indexOf('\r\n\r\n') + 4), '0\r\n\r\n');
});

test('HEAD gets the head (with the length end() was given) and no body bytes', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, (request, response) => {
    if (request.url === '/streamed') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('not sent');
      response.end('nor this');
    } else response.end('hello');
  });
  const client = await connect(t, port);
  // Pipelined: the GET's response must start right after the HEAD's head.
  client.write('HEAD /whole HTTP/1.1\r\nHost: a\r\n\r\nHEAD /streamed HTTP/1.1\r\nHost: a\r\n\r\nGET /whole HTTP/1.1\r\nHost: a\r\n\r\n');
  const head = await client.response(true);
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '5');
  assert.ok(head.raw.endsWith('\r\n\r\n'));
  const streamed = await client.response(true);
  assert.equal(streamed.headers['transfer-encoding'], undefined);
  const get = await client.response();
  assert.equal(get.body, 'hello');
  assert.equal(client.unread, '');
  assert.equal(client.received.includes('not sent'), false);
  assert.equal(client.received.includes('nor this'), false);
});

test('204 and 304 carry no body and no framing headers, and the connection stays usable', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, (request, response) => {
    if (request.url === '/204') response.writeHead(204).end('ignored');
    else if (request.url === '/304') {
      response.statusCode = 304;
      response.end('ignored too');
    } else response.end('after');
  });
  const client = await connect(t, port);
  client.write('DELETE /204 HTTP/1.1\r\nHost: a\r\n\r\n');
  const noContent = await client.response();
  assert.equal(noContent.status, 204);
  assert.ok(noContent.raw.startsWith('HTTP/1.1 204 No Content\r\n'));
  assert.equal(noContent.headers['content-length'], undefined);
  assert.equal(noContent.headers['transfer-encoding'], undefined);
  client.write('GET /304 HTTP/1.1\r\nHost: a\r\n\r\n');
  const notModified = await client.response();
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers['transfer-encoding'], undefined);
  client.write('GET /after HTTP/1.1\r\nHost: a\r\n\r\n');
  const after = await client.response();
  assert.equal(after.body, 'after');
  assert.equal(client.received.includes('ignored'), false);
});

test('a date header is always sent, and one given by the handler is not doubled', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, (request, response) => {
    if (request.url === '/own') response.writeHead(200, { Date: 'Thu, 01 Jan 2099 00:00:00 GMT' });
    response.end('x');
  });
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const response = await client.response();
  assert.match(response.headers.date ?? '', HTTP_DATE);
  assert.equal(Number.isNaN(Date.parse(response.headers.date ?? '')), false);
  client.write('GET /own HTTP/1.1\r\nHost: a\r\n\r\n');
  const own = await client.response();
  assert.equal(own.lines.filter((line) => /^date:/i.test(line)).length, 1);
  assert.equal(own.headers.date, 'Thu, 01 Jan 2099 00:00:00 GMT');
});

// ---------------------------------------------------------------------------------------------
// Headers set by the handler

test('setHeader headers are merged with writeHead\'s, writeHead\'s winning; names go out as given', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const seen: Record<string, unknown> = {};
  const { port } = await start(t, (_request, response) => {
    response.setHeader('X-Stored', 'kept');
    response.setHeader('x-both', 'stored');
    response.setHeader('Set-Cookie', ['a=1', 'b=2']);
    response.setHeader('X-Removed', 'gone');
    response.removeHeader('x-removed');
    response.setHeader('X-Number', 42);
    seen.before = response.getHeader('X-BOTH');
    seen.hasRemoved = response.hasHeader('x-removed');
    response.writeHead(200, 'Fine', { 'X-Both': 'given', 'content-type': 'text/plain' });
    seen.after = response.getHeader('x-both');
    seen.headersSent = response.headersSent;
    response.end('ok');
  });
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const response = await client.response();
  assert.ok(response.raw.startsWith('HTTP/1.1 200 Fine\r\n'));
  assert.ok(response.lines.includes('X-Stored: kept'));
  assert.ok(response.lines.includes('X-Both: given'));
  assert.ok(response.lines.includes('X-Number: 42'));
  assert.deepEqual(response.lines.filter((line) => line.toLowerCase().startsWith('x-both')), ['X-Both: given']);
  assert.deepEqual(response.lines.filter((line) => line.startsWith('Set-Cookie')), ['Set-Cookie: a=1', 'Set-Cookie: b=2']);
  assert.equal(response.headers['x-removed'], undefined);
  assert.deepEqual(seen, { before: 'stored', hasRemoved: false, after: 'given', headersSent: true });
});

test('setHeader after writeHead throws ERR_HTTP_HEADERS_SENT, and so does a second writeHead', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const codes: unknown[] = [];
  const { port } = await start(t, (_request, response) => {
    response.writeHead(200);
    for (const attempt of [() => response.setHeader('x-late', '1'), () => response.removeHeader('x-late'), () => response.writeHead(500)]) {
      try {
        attempt();
        codes.push('no error');
      } catch (error) {
        codes.push((error as { code?: string }).code);
      }
    }
    response.end('first head stands');
  });
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const response = await client.response();
  assert.deepEqual(codes, ['ERR_HTTP_HEADERS_SENT', 'ERR_HTTP_HEADERS_SENT', 'ERR_HTTP_HEADERS_SENT']);
  assert.equal(response.status, 200);
  assert.equal(response.headers['x-late'], undefined);
  assert.equal(response.body, 'first head stands');
});

test('writeHead and setHeader refuse a bad header name, or a value with CR/LF, when called', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const outcomes: Record<string, string> = {};
  const attempt = (label: string, run: () => unknown): void => {
    try {
      run();
      outcomes[label] = 'accepted';
    } catch (error) {
      outcomes[label] = error instanceof Error && !error.message.includes('sk-secret') ? 'refused' : `refused, quoting the value: ${String(error)}`;
    }
  };
  const { handler, next: nextRequest } = captured();
  const { port } = await start(t, handler);
  const fresh = async (): Promise<OutgoingResponse> => {
    const client = await connect(t, port);
    client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const [, response] = await nextRequest();
    t.after(() => { response.destroy(); });
    return response;
  };
  const first = await fresh();
  attempt('writeHead name', () => first.writeHead(200, { 'bad name': 'sk-secret' }));
  const second = await fresh();
  attempt('writeHead value CRLF', () => second.writeHead(200, { 'x-token': 'sk-secret\r\nx-injected: 1' }));
  const third = await fresh();
  attempt('writeHead value LF', () => third.writeHead(200, { 'x-token': 'sk-secret\nx-injected: 1' }));
  const fourth = await fresh();
  attempt('setHeader name', () => fourth.setHeader('bad:name', 'sk-secret'));
  attempt('setHeader value', () => fourth.setHeader('x-token', 'sk-secret\r\nx-injected: 1'));
  // Like node:http: the mistake surfaces where it is made, while the handler can still answer.
  assert.deepEqual(outcomes, {
    'writeHead name': 'refused',
    'writeHead value CRLF': 'refused',
    'writeHead value LF': 'refused',
    'setHeader name': 'refused',
    'setHeader value': 'refused',
  });
});

test('a header value with CR/LF never reaches the wire, and the error does not quote it', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const errors: Error[] = [];
  const { port } = await start(t, (_request, response) => {
    try {
      response.writeHead(200, { 'x-token': 'sk-secret\r\nx-injected: 1' });
      response.end('should not be sent');
    } catch (error) {
      errors.push(error as Error);
      if (!response.headersSent) response.writeHead(500).end('refused');
      else response.destroy();
    }
  });
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await client.until(() => (client.closed || client.received.includes('refused') ? true : undefined), 'a 500 or the connection closed');
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof TypeError);
  assert.equal((errors[0] as Error).message.includes('sk-secret'), false, (errors[0] as Error).message);
  assert.equal(client.received.includes('x-injected'), false);
  assert.equal(client.received.includes('sk-secret'), false);
  assert.equal(client.received.includes('should not be sent'), false);
});

test('a handler that throws before answering gets a 500 JSON answer and a handlerError event', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { server, port } = await start(t, () => {
    throw new Error('handler bug');
  });
  const reported: unknown[] = [];
  server.on('handlerError', (error: unknown) => reported.push(error));
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const response = await client.response();
  assert.equal(response.status, 500);
  assert.equal(response.headers['content-type'], 'application/json');
  assert.equal(typeof (JSON.parse(response.body) as { error: { message: string } }).error.message, 'string');
  assert.equal(reported.length, 1);
  assert.equal((reported[0] as Error).message, 'handler bug');
});

// ---------------------------------------------------------------------------------------------
// Request bodies

/** Reads the body only after an await, as a handler checking a key or a limit first would. */
const lateReader: RequestHandler = async (request, response) => {
  // The body (all of it, in the same write as the head) arrives meanwhile.
  await sleep(50);
  const hash = createHash('sha256');
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    hash.update(chunk);
  });
  request.on('end', () => response.end(JSON.stringify({ size, sha256: hash.digest('hex'), complete: request.complete })));
};

async function sendLateRead(t: TestContext, size: number): Promise<void> {
  const { port } = await start(t, lateReader);
  const body = Buffer.alloc(size);
  for (let index = 0; index < size; index++) body[index] = (index * 31 + 7) & 0xff;
  const client = await connect(t, port);
  client.write(Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`), body]));
  const response = await client.response();
  assert.deepEqual(JSON.parse(response.body), { size, sha256: createHash('sha256').update(body).digest('hex'), complete: true });
  assert.equal(response.headers.connection, 'keep-alive');
}

test('a small body that arrives before the handler listens is held: nothing lost, end fires', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  await sendLateRead(t, 11);
});

test('a body larger than the hold limit (the socket paused meanwhile) comes whole once the handler listens', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  await sendLateRead(t, 300_000);
});

test('a chunked request body is de-chunked for the handler, whatever the writes', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, echo);
  const client = await connect(t, port);
  const pieces = ['POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r', '\nhel', 'lo\r\n6\r\n world\r\n', '0\r\nx-trailer: t\r\n', '\r\n'];
  for (const piece of pieces) {
    client.write(piece);
    await sleep(5);
  }
  const response = await client.response();
  assert.deepEqual(echoed(response), { method: 'POST', url: '/chunked', body: 'hello world' });
  // And through node:http's client, which chunks a body written in pieces without a length.
  const viaNode = await httpRequest(port, { method: 'POST', path: '/node', agent: false }, ['first,', 'second,', 'third']);
  assert.deepEqual(JSON.parse(viaNode.body), { method: 'POST', url: '/node', body: 'first,second,third' });
});

test('Expect: 100-continue is answered with 100 Continue before the client sends the body', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  let handled = 0;
  const { port } = await start(t, (request, response) => {
    handled += 1;
    echo(request, response);
  });
  const client = await connect(t, port);
  client.write('POST /wait HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
  await client.until(() => (client.received.length >= 'HTTP/1.1 100 Continue\r\n\r\n'.length ? true : undefined), 'the interim answer');
  assert.equal(client.received, 'HTTP/1.1 100 Continue\r\n\r\n');
  assert.equal(handled, 1);
  client.write('hello');
  const interim = await client.response();
  assert.equal(interim.status, 100);
  const final = await client.response();
  assert.equal(final.status, 200);
  assert.deepEqual(echoed(final), { method: 'POST', url: '/wait', body: 'hello' });
  // node:http's client sees the interim answer as 'continue' and only then writes.
  const viaNode = await within(new Promise<string>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/node', agent: false, headers: { expect: '100-continue', 'content-length': 3 } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    request.on('error', reject);
    request.on('continue', () => request.end('abc'));
  }), 'node:http with Expect: 100-continue');
  assert.equal(JSON.parse(viaNode).body, 'abc');
});

test('pipelined requests are answered in order, one at a time, even when the first is slower', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const events: string[] = [];
  const { port } = await start(t, (request, response) => {
    events.push(`start ${request.url}`);
    const answer = (): void => {
      events.push(`answer ${request.url}`);
      response.end(`body of ${request.url}`);
    };
    if (request.url === '/slow') setTimeout(answer, 60);
    else {
      // Read to the end first: an answer before the body would close the connection.
      request.on('data', () => {});
      request.on('end', answer);
    }
  });
  const client = await connect(t, port);
  client.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\nPOST /fast HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nokGET /last HTTP/1.1\r\nHost: a\r\n\r\n');
  const first = await client.response();
  const second = await client.response();
  const third = await client.response();
  assert.deepEqual([first.body, second.body, third.body], ['body of /slow', 'body of /fast', 'body of /last']);
  assert.deepEqual(events, ['start /slow', 'answer /slow', 'start /fast', 'answer /fast', 'start /last', 'answer /last']);
  assert.equal(client.unread, '');
});

test('a response that ends before its request body was all received says connection: close, and closes', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, (_request, response) => {
    response.writeHead(413, { 'content-type': 'application/json' });
    response.end('{"error":"too large"}');
  });
  const client = await connect(t, port);
  client.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc');
  const response = await client.response();
  assert.equal(response.status, 413);
  assert.equal(response.headers.connection, 'close');
  await client.serverClosed();
});

// ---------------------------------------------------------------------------------------------
// Malformed requests and timeouts

test('malformed requests get their status, a JSON error and a closed connection; the handler never runs', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  let handled = 0;
  const { port } = await start(t, (_request, response) => {
    handled += 1;
    response.end();
  }, { maxHeadBytes: 1024 });
  const cases: [string, number, string][] = [
    ['GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'Bad Request'],
    ['GET / HTTP/1.1\r\n\r\n', 400, 'Bad Request'],
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'Bad Request'],
    [`GET / HTTP/1.1\r\nHost: a\r\nx-big: ${'a'.repeat(2000)}\r\n\r\n`, 431, 'Request Header Fields Too Large'],
    ['GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505, 'HTTP Version Not Supported'],
    ['POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx', 417, 'Expectation Failed'],
    ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501, 'Not Implemented'],
  ];
  for (const [wire, status, reason] of cases) {
    const client = await connect(t, port);
    client.write(wire);
    const response = await client.response();
    assert.ok(response.raw.startsWith(`HTTP/1.1 ${status} ${reason}\r\n`), `${JSON.stringify(wire.slice(0, 40))}: ${response.raw.slice(0, 60)}`);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(response.headers.connection, 'close');
    assert.match(response.headers.date ?? '', HTTP_DATE);
    const error = (JSON.parse(response.body) as { error: { message: string; type: string } }).error;
    assert.match(error.message, /^malformed request: /);
    assert.equal(error.type, 'invalid_request_error');
    await client.serverClosed();
  }
  assert.equal(handled, 0);
});

test('a malformed request behind a good one on the same connection: the good one is answered first', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, echo);
  const client = await connect(t, port);
  client.write('GET /good HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/9.9\r\nHost: a\r\n\r\n');
  const good = await client.response();
  assert.equal(echoed(good).url, '/good');
  const bad = await client.response();
  assert.equal(bad.status, 505);
  await client.serverClosed();
});

test('a broken chunked request body is answered 400 and the connection closed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { port } = await start(t, echo);
  const client = await connect(t, port);
  client.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXYZ');
  const response = await client.response();
  assert.equal(response.status, 400);
  assert.match(response.body, /chunk not followed by CRLF/);
  await client.serverClosed();
});

test('a head that takes too long is answered 408 and the connection closed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  let handled = 0;
  const { port } = await start(t, () => { handled += 1; }, { headersTimeoutMs: 1_500 });
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n');
  const response = await client.response(false, 8_000);
  assert.equal(response.status, 408);
  assert.ok(response.raw.startsWith('HTTP/1.1 408 Request Timeout\r\n'));
  assert.equal(response.headers.connection, 'close');
  assert.match((JSON.parse(response.body) as { error: { message: string } }).error.message, /took too long/);
  await client.serverClosed();
  assert.equal(handled, 0);
});

test('an idle keep-alive connection is closed after the keep-alive timeout', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { server, port } = await start(t, echo, { keepAliveTimeoutMs: 1_000 });
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const response = await client.response();
  assert.equal(response.headers.connection, 'keep-alive');
  assert.equal(response.headers['keep-alive'], 'timeout=1');
  await client.serverClosed(8_000);
  await poll(() => server.connectionCount === 0, 'the server forgetting the connection');
  assert.equal(client.unread, '');
});

// ---------------------------------------------------------------------------------------------
// Clients that go away, and backpressure

test('a client that goes away mid-stream makes the response emit close unfinished', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { handler, next: nextRequest } = captured();
  const { port } = await start(t, handler);
  const client = await connect(t, port);
  client.write('GET /stream HTTP/1.1\r\nHost: a\r\n\r\n');
  const [request, response] = await nextRequest();
  const requestClosed = next(request, 'close', 'the request');
  const responseClosed = next(response, 'close', 'the response');
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.write('data: 1\n\n');
  // A stream that goes on writing, as a proxied upstream would.
  const ticker = setInterval(() => response.write('data: more\n\n'), 20);
  t.after(() => clearInterval(ticker));
  await client.until(() => (client.received.includes('data: 1') ? true : undefined), 'the first event');
  client.socket.destroy();
  await responseClosed;
  clearInterval(ticker);
  assert.equal(response.writableFinished, false);
  assert.equal(response.destroyed, true);
  await requestClosed;
  // Writing after the close fails, without throwing.
  const written = await new Promise<Error | null | undefined>((resolve) => response.write('late', (error) => resolve(error)));
  assert.ok(written instanceof Error);
});

test('a client that goes away while the handler is still waiting (nothing written) is noticed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { handler, next: nextRequest } = captured();
  const { port } = await start(t, handler);
  const client = await connect(t, port);
  client.write('POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}');
  const [request, response] = await nextRequest();
  const body = await new Promise<string>((resolve) => {
    let text = '';
    request.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    request.on('end', () => resolve(text));
  });
  assert.equal(body, '{}');
  // The handler now waits on a slow upstream, writing nothing. The client gives up.
  client.socket.destroy();
  // The gateway aborts the upstream call on the response's close; without it, the call runs on.
  await next(response, 'close', 'the response of a request whose client went away', 2_000);
  assert.equal(response.writableFinished, false);
});

test('a client that goes away mid-body makes the request emit aborted and error, and the response close', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { handler, next: nextRequest } = captured();
  const { port } = await start(t, handler);
  const client = await connect(t, port);
  client.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789');
  const [request, response] = await nextRequest();
  const received: Buffer[] = [];
  const errors: Error[] = [];
  request.on('data', (chunk: Buffer) => received.push(chunk));
  request.on('error', (error: Error) => errors.push(error));
  let ended = false;
  request.on('end', () => { ended = true; });
  const aborted = next(request, 'aborted', 'the request');
  const responseClosed = next(response, 'close', 'the response');
  await poll(() => Buffer.concat(received).length >= 10, 'the first body bytes');
  // Part of the answer went out already: mid-response and mid-body at once.
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.write('partial');
  client.socket.destroy();
  await aborted;
  await responseClosed;
  assert.equal(request.aborted, true);
  assert.equal(request.complete, false);
  assert.equal(ended, false);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error & { code?: string }).code, 'ECONNRESET');
  assert.equal(response.writableFinished, false);
  assert.equal(Buffer.concat(received).toString(), '0123456789');
});

test('backpressure: write() returns false to a client not reading, and drain comes once it reads', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { handler, next: nextRequest } = captured();
  const { port } = await start(t, handler);
  const client = await connect(t, port);
  client.socket.pause();
  client.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
  const [, response] = await nextRequest();
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  const piece = Buffer.alloc(8 * 1024, 'z');
  let written = 0;
  let rounds = 0;
  // Writes of one tick are corked and go out together, so a `false` may be followed by a
  // drain as soon as the kernel takes them: write on until a drain does not come, which is
  // when the kernel's buffers are full too. Bounded: far more than loopback holds.
  for (;;) {
    let accepted = true;
    while (accepted && written < 256 * 1024 * 1024) {
      accepted = response.write(piece);
      written += piece.length;
    }
    assert.equal(accepted, false, `write() never returned false after ${written} bytes`);
    rounds++;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => response.once('drain', () => resolve(true))),
      sleep(200).then(() => false),
    ]);
    if (!drained) break;
    assert.ok(rounds < 1000, 'the buffers never filled');
  }
  const drain = next(response, 'drain', 'the response once the client reads');
  client.socket.resume();
  await drain;
  response.end();
  const whole = await client.response(false, 10_000);
  assert.equal(whole.body.length, written);
  assert.equal(whole.headers['transfer-encoding'], 'chunked');
});

// ---------------------------------------------------------------------------------------------
// Closing the server

test('close() closes idle connections at once, lets a busy one finish with connection: close, and stops accepting', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { handler, next: nextRequest } = captured();
  const { server, port } = await start(t, handler);
  const idle = await connect(t, port);
  idle.write('GET /idle HTTP/1.1\r\nHost: a\r\n\r\n');
  const [, idleResponse] = await nextRequest();
  idleResponse.end('done');
  const idleAnswer = await idle.response();
  assert.equal(idleAnswer.headers.connection, 'keep-alive');
  const busy = await connect(t, port);
  busy.write('GET /busy HTTP/1.1\r\nHost: a\r\n\r\n');
  const [, busyResponse] = await nextRequest();
  await poll(() => server.connectionCount === 2, 'both connections counted');
  let closedCallback = false;
  const closing = new Promise<void>((resolve) => server.close(() => {
    closedCallback = true;
    resolve();
  }));
  await idle.serverClosed();
  assert.equal(busy.closed, false);
  assert.equal(closedCallback, false);
  // New connections are refused.
  const refused = net.connect(port, '127.0.0.1');
  t.after(() => { refused.destroy(); });
  const [error] = await next(refused, 'error', 'connecting to a closed server');
  assert.equal((error as { code?: string }).code, 'ECONNREFUSED');
  // The busy one gets its answer, told that the connection closes.
  busyResponse.end('last');
  const busyAnswer = await busy.response();
  assert.equal(busyAnswer.body, 'last');
  assert.equal(busyAnswer.headers.connection, 'close');
  await busy.serverClosed();
  await within(closing, 'the close callback');
  assert.equal(closedCallback, true);
  assert.equal(server.connectionCount, 0);
});

test('closeAllConnections() drops busy connections too', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { handler, next: nextRequest } = captured();
  const { server, port } = await start(t, handler);
  const client = await connect(t, port);
  client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const [, response] = await nextRequest();
  const closed = next(response, 'close', 'the response of a dropped connection');
  server.closeAllConnections();
  await closed;
  await client.serverClosed();
  assert.equal(response.writableFinished, false);
  assert.equal(client.received, '');
});
