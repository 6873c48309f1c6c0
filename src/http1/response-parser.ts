/**
 * The upstream client's parser for HTTP/1.1 responses (RFC 9112), on `MessageParser`: reads
 * the status line, skips 1xx interim responses, frames the body (Content-Length, chunked, or
 * the connection's close) and says whether the connection may carry another request.
 * Anything malformed is an HttpClientError with code `HTTP_PROTOCOL_ERROR`: an upstream that
 * breaks framing cannot be trusted with the next request on that socket.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HttpClientError } from './errors.ts';
import { endsChunked, hasToken, MessageParser, type Malformed } from './message-parser.ts';

export interface ResponseEvents {
  /** The final (non-1xx) head. */
  onHead(status: number, headers: IncomingHttpHeaders): void;
  onBody(chunk: Buffer): void;
  onEnd(): void;
}

/** The longest response head accepted, status line and headers together. */
export const MAX_HEAD_BYTES = 64 * 1024;

function protocolError(message: string): HttpClientError {
  return new HttpClientError('HTTP_PROTOCOL_ERROR', `malformed response: ${message}`);
}

export class ResponseParser extends MessageParser {
  private readonly events: ResponseEvents;
  private noBody = false;
  /** Whether the connection may carry another request after this response. */
  keepAlive = false;
  /** The server's `Keep-Alive: timeout=N`, in ms, when it sent one. */
  keepAliveHintMs: number | undefined;

  constructor(events: ResponseEvents) {
    super(MAX_HEAD_BYTES);
    this.events = events;
  }

  /** Expects the response to a new request. A HEAD request's response has no body. */
  expect(method: string): void {
    this.reset();
    this.noBody = method === 'HEAD';
    this.keepAlive = false;
    this.keepAliveHintMs = undefined;
  }

  protected error(problem: Malformed): Error {
    return protocolError(problem.message);
  }

  protected onBody(chunk: Buffer): void {
    this.events.onBody(chunk);
  }

  protected onEnd(): void {
    this.events.onEnd();
  }

  protected onHeadText(head: string): void {
    const lineEnd = head.indexOf('\r\n');
    const code = statusOf(head, lineEnd === -1 ? head.length : lineEnd);
    const minor = head.charCodeAt(7) === 0x31 ? '1' : '0';
    const headers = this.fields(head, lineEnd === -1 ? head.length : lineEnd + 2);
    // 1xx: an interim response (100 Continue, 103 Early Hints); the final one follows.
    if (code < 200) {
      if (code === 101) throw protocolError('unexpected protocol switch');
      return;
    }
    const connection = headers.connection;
    this.keepAlive = minor === '1' ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
    const keepAliveField = headers['keep-alive'];
    if (typeof keepAliveField === 'string') {
      const at = keepAliveField.toLowerCase().indexOf('timeout=');
      const seconds = at === -1 ? Number.NaN : Number.parseInt(keepAliveField.slice(at + 8), 10);
      if (seconds >= 0) this.keepAliveHintMs = seconds * 1000;
    }
    const transferEncoding = headers['transfer-encoding'];
    const contentLength = headers['content-length'];
    if (this.noBody || code === 204 || code === 304) this.frame('none');
    else if (transferEncoding !== undefined) {
      if (endsChunked(transferEncoding)) {
        this.frame('chunked');
        // A length beside chunked coding is a smuggling smell (RFC 9112 §6.3): not reused.
        if (contentLength !== undefined) this.keepAlive = false;
      } else {
        this.frame('close');
        this.keepAlive = false;
      }
    } else if (contentLength !== undefined) this.frame(this.contentLength(contentLength));
    else {
      this.frame('close');
      this.keepAlive = false;
    }
    this.events.onHead(code, headers);
  }
}

/**
 * The status code of `HTTP/1.x NNN reason` (RFC 9112 §4), read by character: the reason
 * phrase is optional and ignored, anything else is a protocol error.
 */
function statusOf(head: string, end: number): number {
  if (end < 12 || !head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 0x20) throw protocolError('bad status line');
  const minor = head.charCodeAt(7);
  if (minor !== 0x30 && minor !== 0x31) throw protocolError('bad status line');
  let code = 0;
  for (let index = 9; index < 12; index++) {
    const digit = head.charCodeAt(index) - 0x30;
    if (digit < 0 || digit > 9) throw protocolError('bad status line');
    code = code * 10 + digit;
  }
  // The reason phrase, if any, follows a space; the line ends at the head's first CRLF.
  if (code < 100 || (end > 12 && head.charCodeAt(12) !== 0x20)) throw protocolError('bad status line');
  return code;
}
