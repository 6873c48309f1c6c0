/**
 * What HTTP/1.1's requests and responses share (RFC 9112): a head ended by an empty line,
 * field lines read into Node's header object, and a body framed by Content-Length, by
 * chunked transfer coding (extensions and trailers skipped) or by the connection's close.
 * `MessageParser` is fed the socket's bytes as they come, split anywhere; its subclasses
 * (`ResponseParser` for the upstream client, `RequestParser` for the server) read the start
 * line, choose the framing and report the events. The body comes out once per read: a slice
 * of the input when the read held one piece of it, the pieces joined otherwise (a streaming
 * upstream's read often holds dozens of small chunks, and one write costs far less than
 * dozens).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The longest chunk-size or trailer line accepted. */
const MAX_LINE_BYTES = 8 * 1024;

export const State = { Idle: 0, Head: 1, Length: 2, ChunkSize: 3, ChunkData: 4, ChunkDataEnd: 5, Trailers: 6, UntilClose: 7, Done: 8 } as const;
export type ParserState = (typeof State)[keyof typeof State];

export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Field lines, CRLF between them: a token, a colon, a value of visible latin1, space or tab. */
const FIELD_LINES = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*(?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*)*$/;
/** What may follow a chunk size's digits on its line: whitespace, then extensions. */
const CHUNK_SIZE_REST = /^[\t ]*(?:;[^\r\n]*)?$/;
const DIGITS = /^\d{1,15}$/;
// Node's rules for a repeated field: these keep their first value, set-cookie becomes a list,
// cookie is joined with "; ", any other with ", " (RFC 9110 §5.3).
const FIRST_WINS = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards',
  'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);

/** Why a message was refused; the server turns the status into its answer. */
export interface Malformed {
  message: string;
  /** 400 unless more precise: 431 for a head too long, 501 for an unknown transfer coding. */
  status: number;
}

export abstract class MessageParser {
  protected state: ParserState = State.Idle;
  /** Bytes of an unfinished head or line, waiting for the rest. */
  private pending: Buffer | undefined;
  private remaining = 0;
  /** Set by `stop()`: no more events for this message. */
  protected stopped = false;
  /** Body bytes of the current read, reported together when it is done: the first piece, */
  private piece: Buffer | undefined;
  /** and all of them once there is more than one. */
  private pieces: Buffer[] | undefined;
  private readonly maxHeadBytes: number;

  constructor(maxHeadBytes: number) {
    this.maxHeadBytes = maxHeadBytes;
  }

  /** The head's text (start line and field lines, without the blank line) is complete. */
  protected abstract onHeadText(head: string): void;
  protected abstract onBody(chunk: Buffer): void;
  protected abstract onEnd(): void;
  /** The error to throw for a message that breaks the protocol. */
  protected abstract error(problem: Malformed): Error;

  /** Expects a new message: its head comes next. */
  protected reset(): void {
    this.state = State.Head;
    this.pending = undefined;
    this.remaining = 0;
    this.stopped = false;
    this.piece = undefined;
    this.pieces = undefined;
  }

  /** No more events: the caller gave up on the message. */
  stop(): void {
    this.stopped = true;
  }

  get complete(): boolean {
    return this.state === State.Done;
  }

  /** True while a message is expected or in progress. */
  get busy(): boolean {
    return this.state !== State.Idle && this.state !== State.Done;
  }

  /** The body runs until the connection closes (no length, not chunked). */
  get delimitedByClose(): boolean {
    return this.state === State.UntilClose;
  }

  /** Bytes of a head received so far and waiting for the rest (0 between messages). */
  get partialHeadBytes(): number {
    return this.state === State.Head && this.pending !== undefined ? this.pending.length : 0;
  }

  /**
   * Parses `input`. Returns the count of bytes left over after the message ended (bytes of
   * the next message, or that nobody asked for), 0 normally; they are `input`'s last ones.
   */
  execute(input: Buffer): number {
    try {
      return this.run(input);
    } finally {
      if (this.piece !== undefined) this.flush();
    }
  }

  /**
   * The connection closed. Returns true when that ended the message properly (a body
   * delimited by the close); a message cut short is the caller's to report.
   */
  close(): boolean {
    if (this.state !== State.UntilClose) return false;
    this.finish();
    return true;
  }

  /** Called by a subclass's `onHeadText` with the framing it chose for the body. */
  protected frame(framing: 'none' | 'chunked' | 'close' | number): void {
    if (framing === 'none' || framing === 0) this.state = State.Done;
    else if (framing === 'chunked') this.state = State.ChunkSize;
    else if (framing === 'close') this.state = State.UntilClose;
    else {
      this.remaining = framing;
      this.state = State.Length;
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
            // Up to three bytes of the blank line that ends the head may be in already.
            if (length - offset > this.maxHeadBytes + 3) throw this.headTooLong();
            this.pending = data.subarray(offset);
            return 0;
          }
          if (end - offset > this.maxHeadBytes) throw this.headTooLong();
          const head = data.toString('latin1', offset, end);
          offset = end + 4;
          this.onHeadText(head);
          if (this.complete && !this.stopped) this.onEnd();
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
          // The size's hex digits read by hand: a streaming answer has one size line per event.
          let index = offset;
          let size = 0;
          while (index < length) {
            const digit = hexValue(data[index] as number);
            if (digit < 0) break;
            size = size * 16 + digit;
            index++;
          }
          if (index === length) return this.keepLine(data, offset);
          if (index === offset || index - offset > 15) throw this.error({ message: 'bad chunk size line', status: 400 });
          if (data[index] === 0x0d) {
            if (index + 1 === length) return this.keepLine(data, offset);
            if (data[index + 1] !== 0x0a) throw this.error({ message: 'bad chunk size line', status: 400 });
            offset = index + 2;
          } else {
            // Whitespace or an extension (`;name=value`) before the line's end.
            const end = data.indexOf('\r\n', index, 'latin1');
            if (end === -1) return this.keepLine(data, offset);
            if (!CHUNK_SIZE_REST.test(data.toString('latin1', index, end))) throw this.error({ message: 'bad chunk size line', status: 400 });
            offset = end + 2;
          }
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
            if (data[offset] !== 0x0d) throw this.error({ message: 'chunk not followed by CRLF', status: 400 });
            return this.keepLine(data, offset);
          }
          if (data[offset] !== 0x0d || data[offset + 1] !== 0x0a) throw this.error({ message: 'chunk not followed by CRLF', status: 400 });
          offset += 2;
          this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const end = data.indexOf('\r\n', offset, 'latin1');
          if (end === -1) return this.keepLine(data, offset);
          const empty = end === offset;
          offset = end + 2;
          // Trailer fields are read past: nothing the gateway needs comes in one.
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

  private headTooLong(): Error {
    return this.error({ message: `head longer than ${this.maxHeadBytes} bytes`, status: 431 });
  }

  private keepLine(data: Buffer, offset: number): number {
    if (data.length - offset > MAX_LINE_BYTES) throw this.error({ message: 'chunk size or trailer line too long', status: 400 });
    this.pending = data.subarray(offset);
    return 0;
  }

  private finish(): void {
    this.state = State.Done;
    if (this.piece !== undefined) this.flush();
    if (!this.stopped) this.onEnd();
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
    if (!this.stopped) this.onBody(pieces === undefined ? piece : Buffer.concat(pieces));
  }

  /**
   * Reads the field lines of `head` from `from` (just past the start line's CRLF; the head's
   * length when there are none) into Node's header object. A repeated Content-Length with
   * different values is refused (RFC 9112 §6.3), and so is a repeated Host (§3.2).
   */
  protected fields(head: string, from: number): IncomingHttpHeaders {
    const headers: IncomingHttpHeaders = {};
    if (from >= head.length) return headers;
    // One pass of a linear pattern checks every field line; only a failure looks closer.
    if (!FIELD_LINES.test(from === 0 ? head : head.slice(from))) throw this.error(diagnose(head.slice(from)));
    let start = from;
    while (start < head.length) {
      let end = head.indexOf('\r\n', start);
      if (end === -1) end = head.length;
      const colon = head.indexOf(':', start);
      const name = head.slice(start, colon).toLowerCase();
      const value = trimOws(head.slice(colon + 1, end));
      start = end + 2;
      if (name === '__proto__') continue;
      // A name like `constructor` finds Object.prototype's member: that is no earlier field.
      const previous = headers[name];
      if (previous === undefined || typeof previous === 'function') headers[name] = name === 'set-cookie' ? [value] : value;
      else if (name === 'set-cookie') (previous as string[]).push(value);
      else if (name === 'content-length') {
        if (previous !== value) throw this.error({ message: 'conflicting content-length', status: 400 });
      } else if (name === 'host') throw this.error({ message: 'more than one Host field', status: 400 });
      else if (name === 'cookie') headers[name] = `${previous as string}; ${value}`;
      else if (!FIRST_WINS.has(name)) headers[name] = `${previous as string}, ${value}`;
    }
    return headers;
  }

  /** A Content-Length value as a number, or a protocol error. */
  protected contentLength(value: string): number {
    if (!DIGITS.test(value)) throw this.error({ message: 'bad content-length', status: 400 });
    return Number(value);
  }
}

/** The value of a hex digit's byte, or -1. */
function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Whether the last transfer coding of a Transfer-Encoding list is chunked. */
export function endsChunked(transferEncoding: string): boolean {
  const last = transferEncoding.lastIndexOf(',');
  return transferEncoding.slice(last + 1).trim().toLowerCase() === 'chunked';
}

/** Whether a comma-separated list (Connection) holds `token`, case-insensitively. */
export function hasToken(list: string | string[] | undefined, token: string): boolean {
  if (typeof list !== 'string') return false;
  if (list.length === token.length) return list.toLowerCase() === token;
  for (const part of list.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
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
function diagnose(lines: string): Malformed {
  for (const line of lines.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { message: 'header line without a name', status: 400 };
    if (!TOKEN.test(line.slice(0, colon))) return { message: 'bad header name', status: 400 };
    if (!FIELD_VALUE.test(line.slice(colon + 1))) return { message: 'bad header value', status: 400 };
  }
  return { message: 'bad header line', status: 400 };
}
