import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { ResponseParser, MAX_HEAD_BYTES } from './response-parser.ts';
import { HttpClientError } from './errors.ts';
import { feed, splits } from './parser.test-helper.ts';

interface Parsed {
  heads: { status: number; headers: IncomingHttpHeaders }[];
  body: Buffer;
  ends: number;
  leftover: number;
  parser: ResponseParser;
}

/** Feeds `pieces` one by one to a fresh parser expecting the answer to `method`. */
function parse(pieces: (string | Buffer)[], method = 'POST'): Parsed {
  const result: Parsed = { heads: [], body: Buffer.alloc(0), ends: 0, leftover: 0, parser: undefined as unknown as ResponseParser };
  const chunks: Buffer[] = [];
  const parser = new ResponseParser({
    onHead(status, headers) { result.heads.push({ status, headers }); },
    onBody(chunk) { chunks.push(Buffer.from(chunk)); },
    onEnd() { result.ends += 1; },
  });
  result.parser = parser;
  parser.expect(method);
  result.leftover = feed(pieces, (input) => parser.execute(input));
  result.body = Buffer.concat(chunks);
  return result;
}

function protocolError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof HttpClientError && error.code === 'HTTP_PROTOCOL_ERROR' && pattern.test(error.message));
}

test('a Content-Length body comes out whole however the bytes are split', () => {
  const wire = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Request-Id: r1\r\n\r\n{"ok":true}';
  for (const pieces of splits(wire)) {
    const parsed = parse(pieces);
    assert.equal(parsed.heads.length, 1);
    assert.equal(parsed.heads[0]?.status, 200);
    assert.deepEqual(parsed.heads[0]?.headers, { 'content-type': 'application/json', 'content-length': '11', 'x-request-id': 'r1' });
    assert.equal(parsed.body.toString(), '{"ok":true}');
    assert.equal(parsed.ends, 1);
    assert.equal(parsed.parser.keepAlive, true);
    assert.equal(parsed.leftover, 0);
  }
});

test('a chunked body with extensions and trailers is de-chunked at every split point', () => {
  const wire = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/event-stream\r\n\r\n'
    + '6\r\ndata: \r\n' + 'C;name=value\r\n{"a":"b\r\n"}\r\r\n' + '1 \r\n\n\r\n' + '0\r\nx-trailer: 1\r\n\r\n';
  for (const pieces of splits(wire)) {
    const parsed = parse(pieces);
    assert.equal(parsed.body.toString('latin1'), 'data: {"a":"b\r\n"}\r\n', `split ${pieces.map((piece) => piece.length).join('+')}`);
    assert.equal(parsed.ends, 1);
    assert.equal(parsed.parser.keepAlive, true);
  }
});

test('body slices are views of the input, not copies', () => {
  const seen: Buffer[] = [];
  const parser = new ResponseParser({ onHead() {}, onBody(chunk) { seen.push(chunk); }, onEnd() {} });
  parser.expect('POST');
  const input = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
  parser.execute(input);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.buffer, input.buffer);
  assert.equal(seen[0]?.toString(), 'hello');
});

test('the body pieces of one read come out as one event, before the end', () => {
  const events: string[] = [];
  const parser = new ResponseParser({
    onHead(status) { events.push(`head ${status}`); },
    onBody(chunk) { events.push(`body ${chunk.toString()}`); },
    onEnd() { events.push('end'); },
  });
  parser.expect('POST');
  parser.execute(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\none\r\n3\r\ntwo\r\n5\r\nth'));
  parser.execute(Buffer.from('ree\r\n4\r\nfour\r\n0\r\n\r\n'));
  assert.deepEqual(events, ['head 200', 'body onetwoth', 'body reefour', 'end']);
  // Good bytes before a framing error in the same read still come out first.
  events.length = 0;
  parser.expect('POST');
  assert.throws(() => parser.execute(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n')));
  assert.deepEqual(events, ['head 200', 'body ok']);
});

test('without a length or chunking the body runs until the connection closes, and the socket is not reused', () => {
  const parsed = parse(['HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nfirst ', 'second']);
  assert.equal(parsed.ends, 0);
  assert.equal(parsed.parser.delimitedByClose, true);
  assert.equal(parsed.parser.close(), true);
  assert.equal(parsed.body.toString(), 'first second');
  assert.equal(parsed.parser.keepAlive, false);
  // A transfer coding other than chunked is read the same way.
  const gzip = parse(['HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nabc']);
  assert.equal(gzip.parser.delimitedByClose, true);
  assert.equal(gzip.parser.keepAlive, false);
});

test('a close before the end of a framed body does not end the response', () => {
  const parsed = parse(['HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc']);
  assert.equal(parsed.parser.close(), false);
  assert.equal(parsed.ends, 0);
  assert.equal(parsed.parser.busy, true);
});

test('204, 304 and the answer to HEAD have no body even with a length', () => {
  for (const [wire, method] of [
    ['HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n', 'POST'],
    ['HTTP/1.1 304 Not Modified\r\n\r\n', 'GET'],
    ['HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n', 'HEAD'],
  ] as const) {
    const parsed = parse([wire], method);
    assert.equal(parsed.ends, 1, wire);
    assert.equal(parsed.body.length, 0);
    assert.equal(parsed.parser.complete, true);
  }
});

test('1xx interim responses are skipped and the final head is reported once', () => {
  const parsed = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok']);
  assert.deepEqual(parsed.heads.map((head) => head.status), [201]);
  assert.equal(parsed.body.toString(), 'ok');
  protocolError(() => parse(['HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n']), /protocol switch/);
});

test('repeated fields follow Node: set-cookie a list, singletons keep the first, the rest joined', () => {
  const parsed = parse(['HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\ncontent-type: text/plain\r\ncontent-type: text/html\r\n'
    + 'x-ratelimit: 1\r\nx-ratelimit: 2\r\nretry-after: 5\r\nretry-after: 9\r\n__proto__: x\r\nempty:\r\ncontent-length: 0\r\n\r\n']);
  const headers = parsed.heads[0]?.headers as IncomingHttpHeaders;
  assert.deepEqual(headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(headers['content-type'], 'text/plain');
  assert.equal(headers['x-ratelimit'], '1, 2');
  assert.equal(headers['retry-after'], '5');
  assert.equal(headers.empty, '');
  assert.equal(Object.getPrototypeOf(headers), Object.prototype);
});

test('keep-alive follows the version and the Connection field, and reads the server timeout hint', () => {
  assert.equal(parse(['HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n']).parser.keepAlive, false);
  assert.equal(parse(['HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\ncontent-length: 0\r\n\r\n']).parser.keepAlive, false);
  assert.equal(parse(['HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n']).parser.keepAlive, false);
  assert.equal(parse(['HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n']).parser.keepAlive, true);
  const hinted = parse(['HTTP/1.1 200 OK\r\nkeep-alive: timeout=5, max=100\r\ncontent-length: 0\r\n\r\n']).parser;
  assert.equal(hinted.keepAlive, true);
  assert.equal(hinted.keepAliveHintMs, 5000);
  // Chunked beside a length: chunked frames the body, and the socket is not trusted again.
  const both = parse(['HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n']);
  assert.equal(both.body.toString(), 'ab');
  assert.equal(both.parser.keepAlive, false);
});

test('bytes after the end of the response are counted as left over', () => {
  const parsed = parse(['HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n']);
  assert.equal(parsed.body.toString(), 'ok');
  assert.equal(parsed.ends, 1);
  assert.equal(parsed.leftover, 'HTTP/1.1 200 OK\r\n'.length);
});

test('malformed responses are protocol errors', () => {
  protocolError(() => parse(['HTTP/2 200 OK\r\n\r\n']), /status line/);
  protocolError(() => parse(['HTTP/1.1 20 OK\r\n\r\n']), /status line/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n']), /without a name/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n']), /header name/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\n folded: x\r\n\r\n']), /header name/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\nx: a\u0001b\r\n\r\n']), /header value/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n']), /conflicting content-length/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n']), /content-length/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n']), /chunk size/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX']), /CRLF/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\rX']), /CRLF/);
  protocolError(() => parse([`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(MAX_HEAD_BYTES)}`]), /head longer/);
  protocolError(() => parse(['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', '1'.repeat(9000)]), /line too long/);
});

test('after stop() no further event is reported', () => {
  let bodies = 0;
  let ends = 0;
  const parser: ResponseParser = new ResponseParser({
    onHead() { parser.stop(); },
    onBody() { bodies += 1; },
    onEnd() { ends += 1; },
  });
  parser.expect('POST');
  parser.execute(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  assert.equal(bodies, 0);
  assert.equal(ends, 0);
});

test('a parser carries one response after another', () => {
  const statuses: number[] = [];
  let ends = 0;
  const parser = new ResponseParser({ onHead(status) { statuses.push(status); }, onBody() {}, onEnd() { ends += 1; } });
  for (const status of [200, 429, 200]) {
    parser.expect('POST');
    assert.equal(parser.busy, true);
    parser.execute(Buffer.from(`HTTP/1.1 ${status} X\r\ncontent-length: 1\r\n\r\n.`));
    assert.equal(parser.busy, false);
  }
  assert.deepEqual(statuses, [200, 429, 200]);
  assert.equal(ends, 3);
});
