/**
 * An incremental parser for HTTP/1.1 responses (RFC 9112), for the upstream client: feed it
 * the socket's bytes as they come, split anywhere, and it reports the head, the body's bytes
 * and the end. The body comes out once per read: a slice of the input when the read held one
 * piece of it, the pieces joined otherwise (a streaming upstream's read often holds dozens of
 * small chunks, and one write downstream costs far less than dozens). It frames bodies by Content-Length, by
 * chunked transfer coding (extensions and trailers skipped) or by the connection's close,
 * skips 1xx interim responses, and says whether the connection may carry another request.
 * Anything malformed is an HttpClientError with code `HTTP_PROTOCOL_ERROR`: an upstream that
 * breaks framing cannot be trusted with the next request on that socket.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HttpClientError } from './errors.ts';

export interface ResponseEvents {
  /** The final (non-1xx) head. */
  onHead(status: number, headers: IncomingHttpHeaders): void;
  onBody(chunk: Buffer): void;
  onEnd(): void;
}

/** The longest response head accepted, status line and headers together. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** The longest chunk-size or trailer line accepted. */
const MAX_LINE_BYTES = 8 * 1024;

const State = { Idle: 0, Head: 1, Length: 2, ChunkSize: 3, ChunkData: 4, ChunkDataEnd: 5, Trailers: 6, UntilClose: 7, Done: 8 } as const;
type ParserState = (typeof State)[keyof typeof State];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Field lines, CRLF between them: a token, a colon, a value of visible latin1, space or tab. */
const FIELD_LINES = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*(?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*)*$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,15})[\t ]*(?:;[^\r\n]*)?$/;
// Node's rules for a repeated field: these keep their first value, set-cookie becomes a list,
// any other is joined with ", " (RFC 9110 §5.3).
const FIRST_WINS = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards',
  'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);

function protocolError(message: string): HttpClientError {
  return new HttpClientError('HTTP_PROTOCOL_ERROR', `malformed response: ${message}`);
}

export class ResponseParser {
  private readonly events: ResponseEvents;
  private state: ParserState = State.Idle;
  private noBody = false;
  /** Bytes of an unfinished head or line, waiting for the rest. */
  private pending: Buffer | undefined;
  private remaining = 0;
  /** Whether the connection may carry another request after this response. */
  keepAlive = false;
  /** The server's `Keep-Alive: timeout=N`, in ms, when it sent one. */
  keepAliveHintMs: number | undefined;
  /** Set by `stop()`: the caller gave up on the response, so no more events. */
  private stopped = false;
  /** Body bytes of the current read, reported together when it is done: the first piece, */
  private piece: Buffer | undefined;
  /** and all of them once there is more than one. */
  private pieces: Buffer[] | undefined;

  constructor(events: ResponseEvents) {
    this.events = events;
  }

  /** Expects the response to a new request. A HEAD request's response has no body. */
  expect(method: string): void {
    this.state = State.Head;
    this.noBody = method === 'HEAD';
    this.pending = undefined;
    this.keepAlive = false;
    this.keepAliveHintMs = undefined;
    this.stopped = false;
    this.piece = undefined;
    this.pieces = undefined;
  }

  /** No more events: the caller aborted mid-response. */
  stop(): void {
    this.stopped = true;
  }

  get complete(): boolean {
    return this.state === State.Done;
  }

  /** True while a response is expected or in progress. */
  get busy(): boolean {
    return this.state !== State.Idle && this.state !== State.Done;
  }

  /** The body runs until the connection closes (no length, not chunked). */
  get delimitedByClose(): boolean {
    return this.state === State.UntilClose;
  }

  /**
   * Parses `data`. Returns the count of bytes left over after the response ended (bytes the
   * server sent that no request asked for), 0 normally.
   */
  execute(input: Buffer): number {
    try {
      return this.run(input);
    } finally {
      if (this.piece !== undefined) this.flush();
    }
  }

  private run(input: Buffer): number {
    let data = input;
    if (this.pending !== undefined) {
      data = Buffer.concat([this.pending, data]);
      this.pending = undefined;
    }
    let offset = 0;
    const length = data.length;
    while (offset < length) {
      if (this.stopped) return 0;
      switch (this.state) {
        case State.Head: {
          const end = data.indexOf('\r\n\r\n', offset, 'latin1');
          if (end === -1) {
            if (length - offset > MAX_HEAD_BYTES) throw protocolError(`head longer than ${MAX_HEAD_BYTES} bytes`);
            this.pending = data.subarray(offset);
            return 0;
          }
          if (end - offset > MAX_HEAD_BYTES) throw protocolError(`head longer than ${MAX_HEAD_BYTES} bytes`);
          const head = data.toString('latin1', offset, end);
          offset = end + 4;
          this.parseHead(head);
          break;
        }
        case State.Length: {
          const available = length - offset;
          if (available < this.remaining) {
            this.remaining -= available;
            this.body(offset === 0 ? data : data.subarray(offset));
            return 0;
          }
          const end = offset + this.remaining;
          this.remaining = 0;
          this.body(offset === 0 && end === length ? data : data.subarray(offset, end));
          offset = end;
          this.finish();
          break;
        }
        case State.ChunkSize: {
          const end = data.indexOf('\r\n', offset, 'latin1');
          if (end === -1) return this.keepLine(data, offset);
          const line = data.toString('latin1', offset, end);
          offset = end + 2;
          const match = CHUNK_SIZE.exec(line);
          if (match === null) throw protocolError('bad chunk size line');
          const size = Number.parseInt(match[1] as string, 16);
          if (size === 0) this.state = State.Trailers;
          else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const available = length - offset;
          if (available <= this.remaining) {
            this.remaining -= available;
            this.body(offset === 0 ? data : data.subarray(offset));
            if (this.remaining === 0) this.state = State.ChunkDataEnd;
            return 0;
          }
          const end = offset + this.remaining;
          this.remaining = 0;
          this.state = State.ChunkDataEnd;
          this.body(data.subarray(offset, end));
          offset = end;
          break;
        }
        case State.ChunkDataEnd: {
          if (length - offset < 2) {
            if (data[offset] !== 0x0d) throw protocolError('chunk not followed by CRLF');
            return this.keepLine(data, offset);
          }
          if (data[offset] !== 0x0d || data[offset + 1] !== 0x0a) throw protocolError('chunk not followed by CRLF');
          offset += 2;
          this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const end = data.indexOf('\r\n', offset, 'latin1');
          if (end === -1) return this.keepLine(data, offset);
          const empty = end === offset;
          offset = end + 2;
          // Trailer fields are read past: nothing upstream sends one the gateway needs.
          if (empty) this.finish();
          break;
        }
        case State.UntilClose:
          this.body(offset === 0 ? data : data.subarray(offset));
          return 0;
        case State.Idle:
        case State.Done:
          return length - offset;
      }
    }
    return 0;
  }

  /**
   * The connection closed. Returns true when that ended the response properly (a body
   * delimited by the close); a response cut short is the caller's to report.
   */
  close(): boolean {
    if (this.state !== State.UntilClose) return false;
    this.finish();
    return true;
  }

  private keepLine(data: Buffer, offset: number): number {
    if (data.length - offset > MAX_LINE_BYTES) throw protocolError('chunk size or trailer line too long');
    this.pending = data.subarray(offset);
    return 0;
  }

  private finish(): void {
    this.state = State.Done;
    if (this.piece !== undefined) this.flush();
    if (!this.stopped) this.events.onEnd();
  }

  private body(piece: Buffer): void {
    if (this.piece === undefined) this.piece = piece;
    else if (this.pieces === undefined) this.pieces = [this.piece, piece];
    else this.pieces.push(piece);
  }

  private flush(): void {
    const piece = this.piece as Buffer;
    const pieces = this.pieces;
    this.piece = undefined;
    this.pieces = undefined;
    if (!this.stopped) this.events.onBody(pieces === undefined ? piece : Buffer.concat(pieces));
  }

  private parseHead(head: string): void {
    let lineEnd = head.indexOf('\r\n');
    const code = statusOf(head, lineEnd === -1 ? head.length : lineEnd);
    const minor = head.charCodeAt(7) === 0x31 ? '1' : '0';
    const headers: IncomingHttpHeaders = {};
    let connection: string | undefined;
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let keepAliveField: string | undefined;
    // One pass of a linear pattern checks every field line; only a failure looks closer.
    if (lineEnd !== -1 && !FIELD_LINES.test(head.slice(lineEnd + 2))) throw diagnose(head.slice(lineEnd + 2));
    while (lineEnd !== -1) {
      const start = lineEnd + 2;
      lineEnd = head.indexOf('\r\n', start);
      const end = lineEnd === -1 ? head.length : lineEnd;
      const colon = head.indexOf(':', start);
      const name = head.slice(start, colon).toLowerCase();
      const value = trimOws(head.slice(colon + 1, end));
      if (name === 'content-length') {
        if (contentLength !== undefined && contentLength !== value) throw protocolError('conflicting content-length');
        contentLength = value;
      } else if (name === 'transfer-encoding') transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      else if (name === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
      else if (name === 'keep-alive') keepAliveField = value;
      else if (name === '__proto__') continue;
      const previous = headers[name];
      if (previous === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
      else if (name === 'set-cookie') (previous as string[]).push(value);
      else if (!FIRST_WINS.has(name)) headers[name] = `${previous as string}, ${value}`;
    }
    // 1xx: an interim response (100 Continue, 103 Early Hints); the final one follows.
    if (code < 200) {
      if (code === 101) throw protocolError('unexpected protocol switch');
      return;
    }
    this.keepAlive = minor === '1' ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
    if (keepAliveField !== undefined) {
      const at = keepAliveField.toLowerCase().indexOf('timeout=');
      const seconds = at === -1 ? Number.NaN : Number.parseInt(keepAliveField.slice(at + 8), 10);
      if (seconds >= 0) this.keepAliveHintMs = seconds * 1000;
    }
    const bodyless = this.noBody || code === 204 || code === 304;
    if (bodyless) this.state = State.Done;
    else if (transferEncoding !== undefined) {
      const codings = transferEncoding.toLowerCase().split(',');
      if ((codings[codings.length - 1] as string).trim() === 'chunked') {
        this.state = State.ChunkSize;
        // A length beside chunked coding is a smuggling smell (RFC 9112 §6.3): not reused.
        if (contentLength !== undefined) this.keepAlive = false;
      } else {
        this.state = State.UntilClose;
        this.keepAlive = false;
      }
    } else if (contentLength !== undefined) {
      if (!/^\d{1,15}$/.test(contentLength)) throw protocolError('bad content-length');
      this.remaining = Number(contentLength);
      this.state = this.remaining === 0 ? State.Done : State.Length;
    } else {
      this.state = State.UntilClose;
      this.keepAlive = false;
    }
    this.events.onHead(code, headers);
    if (this.state === State.Done && !this.stopped) this.events.onEnd();
  }
}

/** Whether a comma-separated list (Connection) holds `token`, case-insensitively. */
function hasToken(list: string | undefined, token: string): boolean {
  if (list === undefined) return false;
  if (list.length === token.length) return list.toLowerCase() === token;
  for (const part of list.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
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

/** A field value without the optional whitespace (space, tab) around it. */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** Which rule a block of field lines broke (the slow path, after FIELD_LINES failed). */
function diagnose(lines: string): HttpClientError {
  for (const line of lines.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return protocolError('header line without a name');
    if (!TOKEN.test(line.slice(0, colon))) return protocolError('bad header name');
    if (!FIELD_VALUE.test(line.slice(colon + 1))) return protocolError('bad header value');
  }
  return protocolError('bad header line');
}
