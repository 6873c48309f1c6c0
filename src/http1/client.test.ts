import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { Http1Client } from './client.ts';
import type { Exchange, HttpRequest } from './client.ts';
import { HttpClientError } from './errors.ts';

// A self-signed certificate for localhost and 127.0.0.1 (P-256, valid until 2125), made for
// these tests alone with `openssl req -x509 -newkey ec …`.
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUFjCmVx3T6WE/1R1nV8uIm1TNbrAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTE4MzIzM1oYDzIxMjYxMTAx
MTgzMjMzWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ6If6ff955bji7n8tJQuZgkOqiUL4DdZBbG4+aLrB7Fux2gL2ijG5B
76V0L8keBoWKwIdArMBOAuzqkwKISRdio28wbTAdBgNVHQ4EFgQUOHzLbJo7oCVK
Yc2ruwNPoaRZqUgwHwYDVR0jBBgwFoAUOHzLbJo7oCVKYc2ruwNPoaRZqUgwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDRwAwRAIgFQbNdCQaO9JIPrIY2wPTnYAomg+BSF6zjCOaM7eq4wQCIFLZ
XLaaELLRR2MX5DzblL3nzcDkFXShQylIYmcG6vla
-----END CERTIFICATE-----
`;
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgY0qr8Uxf0MogF2yh
sLGqE/vgEpDMWuwXDdNMrDjGft6hRANCAAQ6If6ff955bji7n8tJQuZgkOqiUL4D
dZBbG4+aLrB7Fux2gL2ijG5B76V0L8keBoWKwIdArMBOAuzqkwKISRdi
-----END PRIVATE KEY-----
`;

interface Outcome {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one request and collects its response, or rejects with the client's error. */
function call(client: Http1Client, request: Partial<HttpRequest> & { origin: string }, onExchange?: (exchange: Exchange) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let head: { status: number; headers: IncomingHttpHeaders } | undefined;
    const chunks: Buffer[] = [];
    const exchange = client.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"m"}',
      headersTimeoutMs: 2_000,
      bodyTimeoutMs: 2_000,
      ...request,
    }, {
      onHead(_exchange, status, headers) { head = { status, headers }; },
      onData(chunk) { chunks.push(Buffer.from(chunk)); },
      onEnd() { resolve({ ...(head as { status: number; headers: IncomingHttpHeaders }), body: Buffer.concat(chunks).toString() }); },
      onError(error) { reject(error); },
    });
    onExchange?.(exchange);
  });
}

/** Listens on a loopback port, counts connections (`event`: TLS ones count when secured), closes after the test. */
async function serve(t: TestContext, server: Server, event = 'connection'): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  server.on(event, () => { connections += 1; });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

async function listen(t: TestContext, handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ origin: string; connections: () => number }> {
  const { port, connections } = await serve(t, createServer({ keepAliveTimeout: 60_000 }, handler));
  return { origin: `http://127.0.0.1:${port}`, connections };
}

/** A raw TCP server: `onData` sees each connection's bytes and answers as it likes. */
async function listenRaw(t: TestContext, onData: (socket: net.Socket, data: string, index: number) => void): Promise<{ origin: string; connections: () => number; received: string[] }> {
  const received: string[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    const index = sockets.length;
    sockets.push(socket);
    received[index] = '';
    socket.on('data', (data) => {
      received[index] += data.toString('latin1');
      onData(socket, data.toString('latin1'), index);
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => sockets.length, received };
}

function newClient(t: TestContext, options: Partial<ConstructorParameters<typeof Http1Client>[0]> = {}): Http1Client {
  const client = new Http1Client({ connectTimeoutMs: 2_000, ...options });
  t.after(() => client.destroy());
  return client;
}

function failsWith(code: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

test('a request goes out as one well-formed message and the response comes back', async (t) => {
  const upstream = await listenRaw(t, (socket, data) => {
    if (data.includes('\r\n\r\n')) socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}');
  });
  const client = newClient(t);
  const answer = await call(client, { origin: upstream.origin, headers: { 'Content-Type': 'application/json', authorization: 'Bearer sk-test', host: 'api.example.com', connection: 'close', 'content-length': '1' }, body: '{"model":"é"}' });
  assert.equal(answer.status, 200);
  assert.equal(answer.body, '{"ok":true}');
  assert.equal(upstream.received[0], 'POST /v1/chat/completions HTTP/1.1\r\nhost: api.example.com\r\n'
    + 'Content-Type: application/json\r\nauthorization: Bearer sk-test\r\ncontent-length: 14\r\n\r\n{"model":"é"}'.replace('é', '\u00c3\u00a9'));
});

test('a GET without a body has no content-length; a Buffer body is sent as is', async (t) => {
  const upstream = await listenRaw(t, (socket) => socket.write('HTTP/1.1 204 No Content\r\n\r\n'));
  const client = newClient(t);
  await call(client, { origin: upstream.origin, method: 'GET', path: '/v1/models?limit=2', headers: {}, body: undefined });
  assert.equal(upstream.received[0], `GET /v1/models?limit=2 HTTP/1.1\r\nhost: ${upstream.origin.slice(7)}\r\n\r\n`);
  await call(client, { origin: upstream.origin, body: Buffer.from([0x7b, 0x7d]) });
  assert.ok(upstream.received[0]?.endsWith('content-length: 2\r\n\r\n{}'));
});

test('headers and paths that cannot go on the wire are refused before anything is sent, naming no value', async (t) => {
  const upstream = await listenRaw(t, () => {});
  const client = newClient(t);
  const send = (request: Partial<HttpRequest>) => () => client.request({ origin: upstream.origin, path: '/', method: 'POST', headers: {}, headersTimeoutMs: 0, bodyTimeoutMs: 0, ...request }, {
    onHead() {}, onData() {}, onEnd() {}, onError() {},
  });
  assert.throws(send({ headers: { authorization: 'Bearer sk-secret\r\nx-injected: 1' } }), (error: unknown) => {
    assert.ok(error instanceof HttpClientError);
    assert.equal(error.code, 'HTTP_INVALID_REQUEST');
    assert.match(error.message, /authorization/);
    assert.doesNotMatch(error.message, /sk-secret/);
    return true;
  });
  assert.throws(send({ headers: { 'bad name': 'x' } }), failsWith('HTTP_INVALID_REQUEST'));
  assert.throws(send({ path: '/models/a b' }), failsWith('HTTP_INVALID_REQUEST'));
  assert.throws(send({ path: 'relative' }), failsWith('HTTP_INVALID_REQUEST'));
  assert.throws(send({ origin: 'ftp://127.0.0.1:1' }), failsWith('HTTP_INVALID_REQUEST'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(upstream.connections(), 0);
});

test('keep-alive: sequential requests share one socket, and a cap queues the rest', async (t) => {
  const upstream = await listen(t, (request, response) => {
    request.resume();
    request.on('end', () => setTimeout(() => response.end(`echo ${request.url}`), 5));
  });
  const client = newClient(t);
  for (let index = 0; index < 5; index++) assert.equal((await call(client, { origin: upstream.origin, path: `/${index}` })).body, `echo /${index}`);
  assert.equal(upstream.connections(), 1);

  const capped = newClient(t, { connectionsPerOrigin: 2 });
  const answers = await Promise.all(Array.from({ length: 7 }, (_, index) => call(capped, { origin: upstream.origin, path: `/c${index}` })));
  assert.deepEqual(answers.map((answer) => answer.body), Array.from({ length: 7 }, (_, index) => `echo /c${index}`));
  assert.equal(upstream.connections(), 1 + 2);
  assert.equal(capped.socketsTo(upstream.origin), 2);
});

test('chunked and close-delimited bodies stream through; a close-delimited socket is not reused', async (t) => {
  const upstream = await listenRaw(t, (socket, _data, index) => {
    if (index === 0) {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => socket.write('6\r\n world\r\n0\r\n\r\n'), 10);
    } else {
      socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close');
    }
  });
  const client = newClient(t);
  assert.equal((await call(client, { origin: upstream.origin })).body, 'hello world');
  assert.equal(client.socketsTo(upstream.origin), 1, 'kept for the next request');
  const first = await call(client, { origin: upstream.origin });
  assert.equal(first.body, 'hello world');
  assert.equal(upstream.connections(), 1);
});

test('a body delimited by the close ends the response, and the next request opens a new socket', async (t) => {
  const upstream = await listenRaw(t, (socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close'));
  const client = newClient(t);
  assert.equal((await call(client, { origin: upstream.origin })).body, 'until close');
  assert.equal((await call(client, { origin: upstream.origin })).body, 'until close');
  assert.equal(upstream.connections(), 2);
});

test('connection: close and a short keep-alive hint drop the socket after the response', async (t) => {
  const upstream = await listenRaw(t, (socket, _data, index) => {
    socket.write(index === 0
      ? 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\na'
      : 'HTTP/1.1 200 OK\r\nkeep-alive: timeout=1\r\ncontent-length: 1\r\n\r\nb');
  });
  const client = newClient(t);
  assert.equal((await call(client, { origin: upstream.origin })).body, 'a');
  assert.equal(client.socketsTo(upstream.origin), 0);
  assert.equal((await call(client, { origin: upstream.origin })).body, 'b');
  assert.equal(client.socketsTo(upstream.origin), 0, 'a one-second hint leaves no safe time to reuse it');
  assert.equal(upstream.connections(), 2);
});

test('an idle socket is closed once its keep-alive time is up', async (t) => {
  const upstream = await listen(t, (request, response) => { request.resume(); response.end('ok'); });
  // The server's own hint (timeout=60) would keep it longer than the 10 ms asked, up to the cap.
  const client = newClient(t, { keepAliveMs: 10, keepAliveMaxMs: 10 });
  await call(client, { origin: upstream.origin });
  assert.equal(client.socketsTo(upstream.origin), 1);
  const deadline = Date.now() + 5_000;
  while (client.socketsTo(upstream.origin) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(client.socketsTo(upstream.origin), 0);
});

test('a reused socket the server closed before answering is retried once on a fresh one', async (t) => {
  const upstream = await listenRaw(t, (socket, data, index) => {
    if (!data.includes('\r\n\r\n')) return;
    // The first connection answers once, then closes as the second request arrives.
    if (index === 0 && upstream.received[0]?.split('POST ').length === 3) socket.destroy();
    else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const client = newClient(t);
  assert.equal((await call(client, { origin: upstream.origin })).body, 'ok');
  assert.equal((await call(client, { origin: upstream.origin })).body, 'ok');
  assert.equal(upstream.connections(), 2);
});

test('a fresh socket closed before the answer is an error, not a retry', async (t) => {
  const upstream = await listenRaw(t, (socket) => socket.destroy());
  const client = newClient(t);
  await assert.rejects(call(client, { origin: upstream.origin }), (error: unknown) => ['HTTP_SOCKET_CLOSED', 'ECONNRESET'].includes((error as { code: string }).code));
  assert.equal(upstream.connections(), 1);
});

test('a socket closed mid-body fails the response after its head', async (t) => {
  const upstream = await listenRaw(t, (socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial'));
  const client = newClient(t);
  await assert.rejects(call(client, { origin: upstream.origin }), failsWith('HTTP_SOCKET_CLOSED'));
});

test('timeouts: connect, response head, and a body that stalls', async (t) => {
  const silent = await listenRaw(t, () => {});
  const client = newClient(t);
  await assert.rejects(call(client, { origin: silent.origin, headersTimeoutMs: 50 }), failsWith('HTTP_HEADERS_TIMEOUT'));

  const stalls = await listenRaw(t, (socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'));
  let headAt = 0;
  const stalled = new Promise<Error>((resolve) => {
    client.request({ origin: stalls.origin, path: '/', method: 'POST', headers: {}, headersTimeoutMs: 1_000, bodyTimeoutMs: 60 }, {
      onHead() { headAt = Date.now(); },
      onData() {},
      onEnd() { resolve(new Error('ended')); },
      onError(error) { resolve(error); },
    });
  });
  const error = await stalled;
  assert.equal((error as HttpClientError).code, 'HTTP_BODY_TIMEOUT');
  assert.ok(headAt > 0, 'the head came first');

  // A TCP peer that never answers the TLS handshake: connecting does not finish in time.
  const mute = await listenRaw(t, () => {});
  const impatient = newClient(t, { connectTimeoutMs: 50 });
  await assert.rejects(call(impatient, { origin: mute.origin.replace('http:', 'https:') }), failsWith('HTTP_CONNECT_TIMEOUT'));
});

test('a socket\'s timer that lapsed between requests still times out the next one', async (t) => {
  const upstream = await listenRaw(t, (socket, data) => {
    if (data.includes('/first')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const client = newClient(t);
  assert.equal((await call(client, { origin: upstream.origin, path: '/first', headersTimeoutMs: 40 })).body, 'ok');
  // Past the first request's deadline: its timer fires with nothing to time out.
  await new Promise((resolve) => setTimeout(resolve, 80));
  await assert.rejects(call(client, { origin: upstream.origin, path: '/second', headersTimeoutMs: 40 }), failsWith('HTTP_HEADERS_TIMEOUT'));
  assert.equal(upstream.connections(), 1, 'the same socket carried both');
});

test('a refused connection keeps the system error code', async (t) => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  server.close();
  await once(server, 'close');
  await assert.rejects(call(newClient(t), { origin: `http://127.0.0.1:${port}` }), failsWith('ECONNREFUSED'));
});

test('a malformed response is a protocol error and its socket is not reused', async (t) => {
  const upstream = await listenRaw(t, (socket, _data, index) => {
    socket.write(index === 0 ? 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nnot-hex\r\n' : 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const client = newClient(t);
  await assert.rejects(call(client, { origin: upstream.origin }), failsWith('HTTP_PROTOCOL_ERROR'));
  assert.equal((await call(client, { origin: upstream.origin })).body, 'ok');
  assert.equal(upstream.connections(), 2);
});

test('bytes beyond the response make the socket untrusted', async (t) => {
  const upstream = await listenRaw(t, (socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA'));
  const client = newClient(t);
  assert.equal((await call(client, { origin: upstream.origin })).body, 'ok');
  assert.equal(client.socketsTo(upstream.origin), 0);
  assert.equal((await call(client, { origin: upstream.origin })).body, 'ok');
  assert.equal(upstream.connections(), 2);
});

test('pause stops the reading until resume; a pause left at the end does not stall the next request', async (t) => {
  const big = 'x'.repeat(4 * 1024 * 1024);
  const upstream = await listen(t, (request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(request.url === '/big' ? big : 'small');
  });
  const client = newClient(t);
  let received = 0;
  let whilePaused = 0;
  let paused = false;
  await new Promise<void>((resolve, reject) => {
    client.request({ origin: upstream.origin, path: '/big', method: 'GET', headers: {}, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 }, {
      onHead(exchange) {
        exchange.pause();
        paused = true;
        setTimeout(() => {
          whilePaused = received;
          paused = false;
          exchange.resume();
        }, 100);
      },
      onData(chunk) {
        received += chunk.length;
        if (paused && received > 256 * 1024) reject(new Error('data kept coming while paused'));
      },
      onEnd() { resolve(); },
      onError: reject,
    });
  });
  assert.equal(received, big.length);
  assert.ok(whilePaused < big.length, 'the pause held the body back');
  // Paused on the last bytes and never resumed: the socket goes back to the pool readable.
  await new Promise<void>((resolve, reject) => {
    client.request({ origin: upstream.origin, path: '/small', method: 'GET', headers: {}, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 }, {
      onHead(exchange) { exchange.pause(); }, onData() {}, onEnd() { resolve(); }, onError: reject,
    });
  });
  assert.equal((await call(client, { origin: upstream.origin, path: '/small', method: 'GET', body: undefined, headersTimeoutMs: 500 })).body, 'small');
  assert.equal(upstream.connections(), 1);
});

test('abort destroys the socket and reports the reason once', async (t) => {
  const upstream = await listen(t, (request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: 1\n\n');
  });
  const client = newClient(t);
  const errors: Error[] = [];
  const reason = new Error('client went away');
  await new Promise<void>((resolve) => {
    const exchange = client.request({ origin: upstream.origin, path: '/', method: 'POST', headers: {}, body: '{}', headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 }, {
      onHead() {},
      onData() {
        exchange.abort(reason);
        exchange.abort(new Error('twice'));
        resolve();
      },
      onEnd() {},
      onError(error) { errors.push(error); },
    });
  });
  assert.deepEqual(errors, [reason]);
  assert.equal(client.socketsTo(upstream.origin), 0);
});

test('close() lets a request in flight finish; destroy() fails the ones in flight', async (t) => {
  const upstream = await listen(t, (request, response) => {
    request.resume();
    setTimeout(() => response.end('late'), 50);
  });
  const client = new Http1Client({ connectTimeoutMs: 2_000 });
  const pending = call(client, { origin: upstream.origin });
  await new Promise((resolve) => setTimeout(resolve, 10));
  await client.close();
  assert.equal((await pending).body, 'late');
  assert.equal(client.socketsTo(upstream.origin), 0);
  assert.throws(() => client.request({ origin: upstream.origin, path: '/', method: 'GET', headers: {}, headersTimeoutMs: 0, bodyTimeoutMs: 0 }, { onHead() {}, onData() {}, onEnd() {}, onError() {} }), failsWith('HTTP_INVALID_REQUEST'));

  const other = new Http1Client({ connectTimeoutMs: 2_000 });
  const doomed = call(other, { origin: upstream.origin });
  await new Promise((resolve) => setTimeout(resolve, 10));
  await other.destroy();
  await assert.rejects(doomed, failsWith('HTTP_SOCKET_CLOSED'));
});

test('https: TLS with SNI and a trusted certificate, keep-alive included', async (t) => {
  const { port, connections } = await serve(t, createSecureServer({ cert: TEST_CERT, key: TEST_KEY }, (request, response) => {
    request.resume();
    response.end(`tls ${request.headers.host}`);
  }), 'secureConnection');
  const client = newClient(t, { ca: TEST_CERT });
  assert.equal((await call(client, { origin: `https://localhost:${port}` })).body, `tls localhost:${port}`);
  assert.equal((await call(client, { origin: `https://localhost:${port}` })).body, `tls localhost:${port}`);
  assert.equal(connections(), 1);
  // Without the test CA the certificate is refused.
  await assert.rejects(call(newClient(t), { origin: `https://localhost:${port}` }), (error: unknown) => /certificate/i.test(String((error as Error).message) + String((error as { code?: string }).code)));
});
