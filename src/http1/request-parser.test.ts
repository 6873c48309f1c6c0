import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpRequestError, MAX_REQUEST_HEAD_BYTES, RequestParser } from './request-parser.ts';
import type { RequestHead } from './request-parser.ts';
import { feed, splits } from './parser.test-helper.ts';

interface Parsed {
  heads: RequestHead[];
  body: Buffer;
  ends: number;
  leftover: number;
  parser: RequestParser;
}

/** Feeds `pieces` one by one to a fresh parser. */
function parse(pieces: (string | Buffer)[], maxHeadBytes?: number): Parsed {
  const result: Parsed = { heads: [], body: Buffer.alloc(0), ends: 0, leftover: 0, parser: undefined as unknown as RequestParser };
  const chunks: Buffer[] = [];
  const parser = new RequestParser({
    onRequest(head) { result.heads.push(head); },
    onBody(chunk) { chunks.push(Buffer.from(chunk)); },
    onEnd() { result.ends += 1; },
  }, maxHeadBytes);
  result.parser = parser;
  result.leftover = feed(pieces, (input) => parser.execute(input));
  result.body = Buffer.concat(chunks);
  return result;
}

function describe(pieces: string[]): string {
  return `split ${pieces.map((piece) => piece.length).join('+')}`;
}

function onlyHead(parsed: Parsed): RequestHead {
  assert.equal(parsed.heads.length, 1);
  return parsed.heads[0] as RequestHead;
}

/** The request is refused with `status` (and a message matching `pattern`) however it is split. */
function refused(wire: string, status: number, pattern: RegExp, maxHeadBytes?: number): void {
  for (const pieces of splits(wire)) {
    assert.throws(() => parse(pieces, maxHeadBytes), (error: unknown) => {
      assert.ok(error instanceof HttpRequestError, `${describe(pieces)}: ${String(error)}`);
      assert.equal(error.status, status, `${describe(pieces)} of ${JSON.stringify(wire)}: ${error.message}`);
      assert.match(error.message, pattern, describe(pieces));
      return true;
    }, `${describe(pieces)} of ${JSON.stringify(wire)} was accepted`);
  }
}

test('a GET without a body is reported once, with its end, however the bytes are split', () => {
  const wire = 'GET /v1/models?limit=2 HTTP/1.1\r\nHost: gateway.local\r\nAccept: application/json\r\nX-Api-Key:  sk-test \t\r\n\r\n';
  for (const pieces of splits(wire)) {
    const parsed = parse(pieces);
    const head = onlyHead(parsed);
    assert.equal(head.method, 'GET', describe(pieces));
    assert.equal(head.url, '/v1/models?limit=2');
    assert.equal(head.httpVersion, '1.1');
    assert.deepEqual(head.headers, { host: 'gateway.local', accept: 'application/json', 'x-api-key': 'sk-test' });
    assert.equal(head.keepAlive, true);
    assert.equal(head.hasBody, false);
    assert.equal(head.expectContinue, false);
    assert.equal(parsed.ends, 1, describe(pieces));
    assert.equal(parsed.body.length, 0);
    assert.equal(parsed.leftover, 0);
    assert.equal(parsed.parser.complete, true);
  }
});

test('a Content-Length body comes out whole, then the end, at every split point', () => {
  const body = '{"model":"m","messages":[]}';
  const wire = `POST /v1/chat/completions HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  for (const pieces of splits(wire)) {
    const parsed = parse(pieces);
    const head = onlyHead(parsed);
    assert.equal(head.method, 'POST');
    assert.equal(head.hasBody, true);
    assert.equal(parsed.body.toString('latin1'), body, describe(pieces));
    assert.equal(parsed.ends, 1, describe(pieces));
    assert.equal(parsed.leftover, 0);
  }
});

test('the end of a Content-Length body is not reported before its last byte', () => {
  const parsed = parse(['POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\nabcd']);
  assert.equal(parsed.body.toString(), 'abcd');
  assert.equal(parsed.ends, 0);
  assert.equal(parsed.parser.busy, true);
  assert.equal(parsed.parser.complete, false);
  // A close does not end a framed body.
  assert.equal(parsed.parser.close(), false);
  // Content-Length: 0 is no body at all.
  const empty = parse(['POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n']);
  assert.equal(onlyHead(empty).hasBody, false);
  assert.equal(empty.ends, 1);
});

test('a chunked body with extensions and trailers is de-chunked at every split point', () => {
  const wire = 'POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
    + '6\r\nhello \r\n' + 'C;name=value;quoted="a b"\r\n{"a":"b\r\n"}\r\r\n' + '1 \t;ext\r\n\n\r\n' + 'a\r\n0123456789\r\n'
    + '0\r\nx-trailer: 1\r\nx-other: 2\r\n\r\n';
  for (const pieces of splits(wire)) {
    const parsed = parse(pieces);
    const head = onlyHead(parsed);
    assert.equal(head.hasBody, true);
    assert.equal(head.headers['transfer-encoding'], 'chunked');
    assert.equal(parsed.body.toString('latin1'), 'hello {"a":"b\r\n"}\r\n0123456789', describe(pieces));
    assert.equal(parsed.ends, 1, describe(pieces));
    assert.equal(parsed.leftover, 0);
  }
});

test('a chunked body without trailers ends at the last chunk, and upper-case sizes are read', () => {
  const parsed = parse(['PUT /x HTTP/1.1\r\nhost: a\r\ntransfer-encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n']);
  assert.equal(parsed.body.toString(), '0123456789');
  assert.equal(parsed.ends, 1);
});

test('pipelined requests in one buffer: the leftover is counted, and next() reads the rest', () => {
  const first = 'POST /one HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\nabc';
  const second = 'POST /two HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n';
  const third = 'GET /three HTTP/1.1\r\nhost: a\r\n\r\n';
  const wire = Buffer.from(first + second + third, 'latin1');
  const urls: string[] = [];
  const bodies: string[] = [];
  let ends = 0;
  const parser = new RequestParser({
    onRequest(head) { urls.push(head.url); bodies.push(''); },
    onBody(chunk) { bodies[bodies.length - 1] += chunk.toString('latin1'); },
    onEnd() { ends += 1; },
  });
  let input = wire;
  const leftovers: number[] = [];
  for (;;) {
    const left = parser.execute(input);
    leftovers.push(left);
    if (left === 0) break;
    assert.equal(parser.complete, true);
    parser.next();
    input = input.subarray(input.length - left);
  }
  assert.deepEqual(urls, ['/one', '/two', '/three']);
  assert.deepEqual(bodies, ['abc', 'de', '']);
  assert.equal(ends, 3);
  assert.deepEqual(leftovers, [second.length + third.length, third.length, 0]);
});

test('a parser that was not told next() reads nothing more: the bytes are all left over', () => {
  const parsed = parse(['GET /a HTTP/1.1\r\nhost: a\r\n\r\n', 'GET /b HTTP/1.1\r\nhost: a\r\n\r\n']);
  assert.equal(parsed.heads.length, 1);
  assert.equal(parsed.leftover, 'GET /b HTTP/1.1\r\nhost: a\r\n\r\n'.length);
});

test('pipelined requests come out in order at every split point of the second', () => {
  const first = 'POST /one HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\nok';
  const second = 'GET /two HTTP/1.1\r\nhost: a\r\n\r\n';
  for (const pieces of splits(second)) {
    const urls: string[] = [];
    let ends = 0;
    const parser = new RequestParser({ onRequest(head) { urls.push(head.url); }, onBody() {}, onEnd() { ends += 1; } });
    const [head, ...rest] = pieces;
    const firstInput = Buffer.from(first + head, 'latin1');
    const left = parser.execute(firstInput);
    assert.equal(left, (head as string).length, describe(pieces));
    parser.next();
    parser.execute(firstInput.subarray(firstInput.length - left));
    for (const piece of rest) assert.equal(parser.execute(Buffer.from(piece, 'latin1')), 0);
    assert.deepEqual(urls, ['/one', '/two'], describe(pieces));
    assert.equal(ends, 2);
  }
});

test('blank lines before a request line are skipped (RFC 9112 §2.2)', () => {
  const wire = '\r\n\r\n\r\nGET / HTTP/1.1\r\nhost: a\r\n\r\n';
  for (const pieces of splits(wire)) {
    const parsed = parse(pieces);
    assert.equal(onlyHead(parsed).url, '/', describe(pieces));
    assert.equal(parsed.ends, 1);
  }
  // Between pipelined requests too.
  const pipelined = Buffer.from('GET /a HTTP/1.1\r\nhost: a\r\n\r\n\r\nGET /b HTTP/1.1\r\nhost: a\r\n\r\n');
  const urls: string[] = [];
  const parser = new RequestParser({ onRequest(head) { urls.push(head.url); }, onBody() {}, onEnd() {} });
  const left = parser.execute(pipelined);
  assert.equal(left, '\r\nGET /b HTTP/1.1\r\nhost: a\r\n\r\n'.length);
  parser.next();
  assert.equal(parser.execute(pipelined.subarray(pipelined.length - left)), 0);
  assert.deepEqual(urls, ['/a', '/b']);
});

test('keep-alive: HTTP/1.1 unless Connection: close, HTTP/1.0 only with Connection: keep-alive', () => {
  const keepAlive = (wire: string): boolean => onlyHead(parse([wire])).keepAlive;
  assert.equal(keepAlive('GET / HTTP/1.1\r\nhost: a\r\n\r\n'), true);
  assert.equal(keepAlive('GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n'), false);
  assert.equal(keepAlive('GET / HTTP/1.1\r\nhost: a\r\nConnection: Close\r\n\r\n'), false);
  assert.equal(keepAlive('GET / HTTP/1.1\r\nhost: a\r\nconnection: upgrade, close\r\n\r\n'), false);
  assert.equal(keepAlive('GET / HTTP/1.1\r\nhost: a\r\nconnection: keep-alive\r\n\r\n'), true);
  assert.equal(keepAlive('GET / HTTP/1.1\r\nhost: a\r\nconnection: closed\r\n\r\n'), true);
  assert.equal(keepAlive('GET / HTTP/1.0\r\n\r\n'), false);
  assert.equal(keepAlive('GET / HTTP/1.0\r\nconnection: close\r\n\r\n'), false);
  assert.equal(keepAlive('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n'), true);
  assert.equal(keepAlive('GET / HTTP/1.0\r\nconnection: te, keep-alive\r\n\r\n'), true);
  const old = onlyHead(parse(['GET / HTTP/1.0\r\n\r\n']));
  assert.equal(old.httpVersion, '1.0');
  assert.deepEqual(old.headers, {});
});

test('repeated fields: most joined with ", ", cookie with "; ", singletons keep the first, set-cookie a list', () => {
  const parsed = parse(['POST / HTTP/1.1\r\nHost: first.example\r\n'
    + 'Accept: text/html\r\naccept: application/json\r\nx-list: 1\r\nX-List: 2\r\nx-list: 3\r\n'
    + 'cookie: a=1\r\nCookie: b=2\r\n'
    + 'content-type: application/json\r\ncontent-type: text/plain\r\n'
    + 'authorization: Bearer first\r\nAuthorization: Bearer second\r\n'
    + 'user-agent: one\r\nuser-agent: two\r\nreferer: /a\r\nreferer: /b\r\n'
    + 'set-cookie: s=1\r\nset-cookie: t=2\r\n'
    + 'content-length: 2\r\nContent-Length: 2\r\nempty:\r\n\r\nok']);
  const headers = onlyHead(parsed).headers;
  assert.equal(headers.host, 'first.example');
  assert.equal(headers.accept, 'text/html, application/json');
  assert.equal(headers['x-list'], '1, 2, 3');
  assert.equal(headers.cookie, 'a=1; b=2');
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers.authorization, 'Bearer first');
  assert.equal(headers['user-agent'], 'one');
  assert.equal(headers.referer, '/a');
  assert.deepEqual(headers['set-cookie'], ['s=1', 't=2']);
  assert.equal(headers['content-length'], '2');
  assert.equal(headers.empty, '');
  assert.equal(parsed.body.toString(), 'ok');
});

test('a second Host field is refused (RFC 9112 §3.2), whatever its value or case', () => {
  for (const second of ['host: second.example', 'Host: first.example']) {
    assert.throws(
      () => parse([`GET / HTTP/1.1\r\nHost: first.example\r\n${second}\r\n\r\n`]),
      (error: unknown) => error instanceof HttpRequestError && error.status === 400 && /more than one Host/.test(error.message),
    );
  }
});

test('a __proto__ field is ignored and the header object keeps its prototype', () => {
  const headers = onlyHead(parse(['GET / HTTP/1.1\r\nhost: a\r\n__proto__: {"polluted":true}\r\n__PROTO__: x\r\n\r\n'])).headers;
  assert.equal(Object.getPrototypeOf(headers), Object.prototype);
  assert.equal(Object.hasOwn(headers, '__proto__'), false);
  assert.deepEqual(Object.keys(headers), ['host']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('fields named like Object.prototype members get their own value', () => {
  const headers: IncomingHttpHeaders = onlyHead(parse(['GET / HTTP/1.1\r\nhost: a\r\nconstructor: c\r\ntoString: t\r\nhasOwnProperty: h\r\n\r\n'])).headers;
  assert.equal(headers.constructor, 'c');
  assert.equal(headers.tostring, 't');
  assert.equal(headers.hasownproperty, 'h');
});

test('Expect: 100-continue is reported for a request with a body, in any case, and only in HTTP/1.1', () => {
  const expect = (wire: string): boolean => onlyHead(parse([wire])).expectContinue;
  assert.equal(expect('POST / HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\n'), true);
  assert.equal(expect('POST / HTTP/1.1\r\nhost: a\r\nExpect: 100-Continue\r\ntransfer-encoding: chunked\r\n\r\n'), true);
  // Nothing to wait for without a body.
  assert.equal(expect('GET / HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\n\r\n'), false);
  assert.equal(expect('POST / HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 0\r\n\r\n'), false);
  assert.equal(expect('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\n'), false);
  // HTTP/1.0 has no Expect: it is ignored, whatever it says.
  assert.equal(expect('POST / HTTP/1.0\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\n'), false);
  assert.equal(onlyHead(parse(['POST / HTTP/1.0\r\nexpect: something-else\r\ncontent-length: 5\r\n\r\n'])).method, 'POST');
});

test('methods, targets and versions that are well formed are taken as sent', () => {
  const cases: [string, string, string][] = [
    ['OPTIONS * HTTP/1.1', 'OPTIONS', '*'],
    ['GET http://upstream.example/v1/models HTTP/1.1', 'GET', 'http://upstream.example/v1/models'],
    ["M-SEARCH! /a?b=c&d=%20#frag HTTP/1.1", 'M-SEARCH!', '/a?b=c&d=%20#frag'],
    ['get /lower HTTP/1.1', 'get', '/lower'],
  ];
  for (const [line, method, url] of cases) {
    const head = onlyHead(parse([`${line}\r\nhost: a\r\n\r\n`]));
    assert.equal(head.method, method);
    assert.equal(head.url, url);
  }
});

test('a head of exactly the limit is taken however it is split; one byte more is 431 however it is split', () => {
  const limit = 64;
  const prefix = 'GET / HTTP/1.1\r\nhost: a\r\nx: ';
  const atLimit = prefix + 'v'.repeat(limit - prefix.length);
  assert.equal(atLimit.length, limit);
  const refusedSplits: string[] = [];
  for (const pieces of splits(`${atLimit}\r\n\r\n`)) {
    try {
      assert.equal(parse(pieces, limit).heads.length, 1);
    } catch (error) {
      refusedSplits.push(`${describe(pieces)}: ${(error as Error).message}`);
    }
  }
  // Whether a request is taken must not depend on where the network cut it.
  assert.deepEqual(refusedSplits, []);
  refused(`${atLimit}v\r\n\r\n`, 431, /head longer than 64 bytes/, limit);
});

test('the default head limit is 16 KiB, and a head that never ends is refused once past it', () => {
  assert.equal(MAX_REQUEST_HEAD_BYTES, 16 * 1024);
  const big = `GET / HTTP/1.1\r\nhost: a\r\nx-big: ${'a'.repeat(MAX_REQUEST_HEAD_BYTES)}\r\n\r\n`;
  assert.throws(() => parse([big]), (error: unknown) => error instanceof HttpRequestError && error.status === 431);
  // Without its end, refused as soon as more than the limit is held.
  const parser = new RequestParser({ onRequest() {}, onBody() {}, onEnd() {} });
  const piece = Buffer.from('x'.repeat(4096));
  parser.execute(Buffer.from('GET / HTTP/1.1\r\nhost: a\r\nx-long: '));
  let thrown: unknown;
  for (let index = 0; index < 10 && thrown === undefined; index++) {
    try {
      parser.execute(piece);
    } catch (error) {
      thrown = error;
    }
  }
  assert.ok(thrown instanceof HttpRequestError);
  assert.equal(thrown.status, 431);
});

test('malformed request lines are 400, unsupported versions 505', () => {
  refused('GET\r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused('GET /\r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused(' / HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused('GET / HTTP/1.1 \r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused('GET  / HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad request target/);
  refused('G@T / HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad method/);
  refused('GE(T / HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad method/);
  refused('GET /a b HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused('GET /a\tb HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad request target/);
  refused('GET /a\x01b HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad request target/);
  refused('GET /a\x7fb HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad request target/);
  refused('GET /caf\xe9 HTTP/1.1\r\nhost: a\r\n\r\n', 400, /bad request target/);
  refused('GET / HTTP/2.0\r\nhost: a\r\n\r\n', 505, /HTTP\/2\.0 is not supported/);
  refused('GET / HTTP/0.9\r\nhost: a\r\n\r\n', 505, /not supported/);
  refused('GET / HTTP/1.2\r\nhost: a\r\n\r\n', 505, /not supported/);
  refused('GET / HTTP/2\r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused('GET / http/1.1\r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused('GET / HTTP/1.1x\r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused('GET / FOO\r\nhost: a\r\n\r\n', 400, /bad request line/);
  refused('GET / HTTP/1.1\nhost: a\r\n\r\n', 400, /bad request line/);
});

test('HTTP/1.1 needs a Host; HTTP/1.0 does not', () => {
  refused('GET / HTTP/1.1\r\n\r\n', 400, /no Host/);
  refused('GET / HTTP/1.1\r\naccept: */*\r\n\r\n', 400, /no Host/);
  assert.equal(onlyHead(parse(['GET / HTTP/1.0\r\naccept: */*\r\n\r\n'])).headers.host, undefined);
});

test('malformed field lines are 400: obs-fold, no colon, bad name, control characters in a value', () => {
  refused('GET / HTTP/1.1\r\nhost: a\r\nx-folded: one\r\n two\r\n\r\n', 400, /header/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nx-folded: one\r\n\ttwo: three\r\n\r\n', 400, /header name/);
  refused('GET / HTTP/1.1\r\n host: a\r\n\r\n', 400, /header name/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nno colon here\r\n\r\n', 400, /without a name/);
  refused('GET / HTTP/1.1\r\nhost: a\r\n: empty name\r\n\r\n', 400, /without a name/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nbad name: x\r\n\r\n', 400, /header name/);
  refused('GET / HTTP/1.1\r\nhost : a\r\n\r\n', 400, /header name/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nx(y): z\r\n\r\n', 400, /header name/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nx: a\x01b\r\n\r\n', 400, /header value/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nx: a\x00b\r\n\r\n', 400, /header value/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nx: a\x7fb\r\n\r\n', 400, /header value/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nx: a\rb\r\n\r\n', 400, /header value/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nx: a\nb: c\r\n\r\n', 400, /header value/);
  // Latin-1 and tabs are allowed in a value.
  assert.equal(onlyHead(parse(['GET / HTTP/1.1\r\nhost: a\r\nx: caf\xe9\tau lait\r\n\r\n'])).headers.x, 'caf\xe9\tau lait');
});

test('framing that could smuggle a request is refused: TE with CL, TE not ending in chunked, conflicting lengths', () => {
  refused('POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n0\r\n\r\n', 400, /both Transfer-Encoding and Content-Length/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 400, /both/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked, gzip\r\n\r\n', 400, /without chunked last/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: identity\r\n\r\n', 400, /without chunked last/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: xchunked\r\n\r\n', 400, /without chunked last/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip, chunked\r\n\r\n', 501, /gzip, chunked is not supported/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n', 501, /not supported/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nabcdef', 400, /conflicting content-length/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5, 5\r\n\r\nabcde', 400, /bad content-length/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: abc\r\n\r\n', 400, /bad content-length/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: -1\r\n\r\n', 400, /bad content-length/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: +5\r\n\r\nabcde', 400, /bad content-length/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0x5\r\n\r\nabcde', 400, /bad content-length/);
  refused('POST / HTTP/1.1\r\nhost: a\r\ncontent-length:\r\n\r\n', 400, /bad content-length/);
  // Identical repeats are one length.
  const parsed = parse(['POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\nabc']);
  assert.equal(parsed.body.toString(), 'abc');
  assert.equal(parsed.ends, 1);
});

test('an Expect other than 100-continue is 417', () => {
  refused('POST / HTTP/1.1\r\nhost: a\r\nexpect: something-else\r\ncontent-length: 1\r\n\r\nx', 417, /Expect: something-else is not supported/);
  refused('GET / HTTP/1.1\r\nhost: a\r\nexpect: 100-continue, x\r\n\r\n', 417, /not supported/);
});

test('broken chunked framing is 400: a bad size line, a chunk not followed by CRLF, a size line too long', () => {
  const head = 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n';
  refused(`${head}zz\r\n`, 400, /bad chunk size line/);
  refused(`${head}\r\n`, 400, /bad chunk size line/);
  refused(`${head}-1\r\n`, 400, /bad chunk size line/);
  refused(`${head}0x5\r\nhello\r\n0\r\n\r\n`, 400, /bad chunk size line/);
  refused(`${head}5 5\r\nhello\r\n0\r\n\r\n`, 400, /bad chunk size line/);
  refused(`${head}1234567890abcdef0\r\n`, 400, /bad chunk size line/);
  refused(`${head}2\r\nabX`, 400, /chunk not followed by CRLF/);
  refused(`${head}2\r\nab\rX`, 400, /chunk not followed by CRLF/);
  refused(`${head}2\r\nab\n0\r\n\r\n`, 400, /chunk not followed by CRLF/);
  refused(`${head}2\r\nabc\r\n0\r\n\r\n`, 400, /chunk not followed by CRLF/);
  assert.throws(() => parse([head, '1'.repeat(9000)]), (error: unknown) => error instanceof HttpRequestError && error.status === 400 && /line too long/.test(error.message));
});

test('body bytes before a framing error in the same read still come out first', () => {
  const events: string[] = [];
  const parser = new RequestParser({
    onRequest(head) { events.push(`request ${head.url}`); },
    onBody(chunk) { events.push(`body ${chunk.toString()}`); },
    onEnd() { events.push('end'); },
  });
  assert.throws(() => parser.execute(Buffer.from('POST /x HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n')), HttpRequestError);
  assert.deepEqual(events, ['request /x', 'body ok']);
});

test('after stop() the parser reports nothing more', () => {
  let bodies = 0;
  let ends = 0;
  const parser: RequestParser = new RequestParser({
    onRequest() { parser.stop(); },
    onBody() { bodies += 1; },
    onEnd() { ends += 1; },
  });
  parser.execute(Buffer.from('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\nok'));
  assert.equal(bodies, 0);
  assert.equal(ends, 0);
});
