/**
 * The server's parser for HTTP/1.1 requests (RFC 9112), on `MessageParser`. Strict, because
 * a gateway is a place where request smuggling matters: a request line of token, target and
 * version, no obs-fold, Host required in HTTP/1.1, a length beside chunked coding refused,
 * conflicting lengths refused, chunked the only transfer coding taken. A body has either a
 * Content-Length or chunked coding; neither means none. Blank lines before a request line
 * are skipped (§2.2). Each refusal is an HttpRequestError carrying the status to answer
 * with: 400, 431 (head too long), 417 (an Expect other than 100-continue), 501 (a transfer
 * coding we do not decode) or 505 (an HTTP version other than 1.0 and 1.1).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { endsChunked, hasToken, MessageParser, TOKEN, type Malformed } from './message-parser.ts';

export interface RequestHead {
  method: string;
  /** The request target as sent (origin form, or absolute form from a proxy client). */
  url: string;
  httpVersion: '1.0' | '1.1';
  headers: IncomingHttpHeaders;
  /** Whether the client lets the connection carry another request after this one. */
  keepAlive: boolean;
  /** `Expect: 100-continue`: the client waits for an interim answer before the body. */
  expectContinue: boolean;
  /** Whether a body follows (a length above 0, or chunked). */
  hasBody: boolean;
}

export interface RequestEvents {
  onRequest(head: RequestHead): void;
  onBody(chunk: Buffer): void;
  onEnd(): void;
}

/** Node's default limit on a request head (--max-http-header-size). */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;

/** Visible ASCII, no space: what a request target may hold. */
const REQUEST_TARGET = /^[\x21-\x7e]+$/;

export class HttpRequestError extends Error {
  /** The status to answer with before closing the connection. */
  readonly status: number;

  constructor(problem: Malformed) {
    super(`malformed request: ${problem.message}`);
    this.name = 'HttpRequestError';
    this.status = problem.status;
  }
}

export class RequestParser extends MessageParser {
  private readonly events: RequestEvents;

  constructor(events: RequestEvents, maxHeadBytes = MAX_REQUEST_HEAD_BYTES) {
    super(maxHeadBytes);
    this.events = events;
    this.reset();
  }

  /** Expects the next request on the connection. */
  next(): void {
    this.reset();
  }

  protected error(problem: Malformed): Error {
    return new HttpRequestError(problem);
  }

  protected onBody(chunk: Buffer): void {
    this.events.onBody(chunk);
  }

  protected onEnd(): void {
    this.events.onEnd();
  }

  protected onHeadText(text: string): void {
    let from = 0;
    while (text.startsWith('\r\n', from)) from += 2;
    // Only blank lines so far: the request line is still to come.
    if (from === text.length) return;
    const head = from === 0 ? text : text.slice(from);
    let lineEnd = head.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = head.length;
    const firstSpace = head.indexOf(' ');
    const secondSpace = firstSpace === -1 ? -1 : head.indexOf(' ', firstSpace + 1);
    if (firstSpace <= 0 || secondSpace === -1 || secondSpace >= lineEnd) throw this.error({ message: 'bad request line', status: 400 });
    const method = head.slice(0, firstSpace);
    const url = head.slice(firstSpace + 1, secondSpace);
    const version = head.slice(secondSpace + 1, lineEnd);
    if (!TOKEN.test(method)) throw this.error({ message: 'bad method', status: 400 });
    if (!REQUEST_TARGET.test(url)) throw this.error({ message: 'bad request target', status: 400 });
    let httpVersion: '1.0' | '1.1';
    if (version === 'HTTP/1.1') httpVersion = '1.1';
    else if (version === 'HTTP/1.0') httpVersion = '1.0';
    else if (/^HTTP\/\d\.\d$/.test(version)) throw this.error({ message: `${version} is not supported`, status: 505 });
    else throw this.error({ message: 'bad request line', status: 400 });
    const headers = this.fields(head, lineEnd === head.length ? lineEnd : lineEnd + 2);
    if (httpVersion === '1.1' && headers.host === undefined) throw this.error({ message: 'no Host header', status: 400 });
    const expect = headers.expect;
    const expectContinue = expect !== undefined && httpVersion === '1.1';
    if (expectContinue && expect.toLowerCase() !== '100-continue') throw this.error({ message: `Expect: ${expect} is not supported`, status: 417 });
    const connection = headers.connection;
    const keepAlive = httpVersion === '1.1' ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
    const transferEncoding = headers['transfer-encoding'];
    const contentLength = headers['content-length'];
    let hasBody: boolean;
    if (transferEncoding !== undefined) {
      // RFC 9112 §6.3: both at once is how requests get smuggled; a final coding other than
      // chunked leaves the body's length unknowable.
      if (contentLength !== undefined) throw this.error({ message: 'both Transfer-Encoding and Content-Length', status: 400 });
      if (!endsChunked(transferEncoding)) throw this.error({ message: 'Transfer-Encoding without chunked last', status: 400 });
      if (transferEncoding.toLowerCase().trim() !== 'chunked') throw this.error({ message: `Transfer-Encoding ${transferEncoding} is not supported`, status: 501 });
      this.frame('chunked');
      hasBody = true;
    } else if (contentLength !== undefined) {
      const length = this.contentLength(contentLength);
      this.frame(length);
      hasBody = length > 0;
    } else {
      this.frame('none');
      hasBody = false;
    }
    this.events.onRequest({ method, url, httpVersion, headers, keepAlive, expectContinue: expectContinue && hasBody, hasBody });
  }
}
