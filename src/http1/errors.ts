/**
 * The upstream HTTP client's one error type. Every failure has a stable machine code that
 * callers match on (never the message): timeouts by phase, a connection the server closed,
 * a response that breaks HTTP/1.1's framing, a header we refuse to send, an abort. System
 * errors (ECONNREFUSED, ENOTFOUND, …) keep Node's own code.
 */
export type HttpClientErrorCode =
  | 'HTTP_CONNECT_TIMEOUT'
  | 'HTTP_HEADERS_TIMEOUT'
  | 'HTTP_BODY_TIMEOUT'
  | 'HTTP_SOCKET_CLOSED'
  | 'HTTP_PROTOCOL_ERROR'
  | 'HTTP_INVALID_REQUEST'
  | 'HTTP_CLIENT_CLOSED';

export class HttpClientError extends Error {
  readonly code: HttpClientErrorCode;

  constructor(code: HttpClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpClientError';
    this.code = code;
  }
}
