/**
 * The gateway's HTTP/1.1 server: `node:net` sockets, `RequestParser`, and a request and a
 * response object that do what the gateway's handlers use of Node's `IncomingMessage` and
 * `ServerResponse` (`GatewayRequest`, `GatewayResponse` in server/types.ts) and nothing
 * more. Why it exists (DESIGN.md asks for the reason to hand-write): `node:http`'s server
 * spent 12 µs of CPU per request where a bare socket server answering the same bytes and
 * headers spent 7, and the gateway on it 35–38 µs of user CPU per request against 27–30 on
 * this one (A/B runs, bench/README.md): as much as all of the gateway's routing.
 *
 * What it does: keep-alive (HTTP/1.1 by default, HTTP/1.0 on request) with the idle timeout
 * announced in `Keep-Alive: timeout`; pipelined requests answered in order, one at a time;
 * request bodies by Content-Length or chunked, delivered as they arrive with backpressure;
 * `Expect: 100-continue` answered at once; responses framed by the length when it is known
 * before the first byte goes out (always for a body given whole to `end()`), chunked
 * otherwise (HTTP/1.0: by closing), no body for HEAD, 204 and 304; a `Date` header; the head
 * and the first body bytes written together. Malformed requests get their status (400, 413,
 * 417, 431, 501, 505) with a JSON error and the connection closed; a head that takes longer
 * than `headersTimeoutMs` gets 408. A response that ends before its request's body was read
 * closes the connection instead of reading the rest. A client that goes away mid-answer
 * makes the response emit `close` without having finished (the gateway then aborts the
 * upstream call).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders, OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http';
import { FIELD_VALUE, TOKEN } from './message-parser.ts';
import { HttpRequestError, RequestParser, type RequestHead } from './request-parser.ts';

export interface Http1ServerOptions {
  /** How long an idle keep-alive connection stays open (Node's `keepAliveTimeout`). */
  keepAliveTimeoutMs?: number;
  /** How long a request head may take to arrive, from its first byte (Node's `headersTimeout`). */
  headersTimeoutMs?: number;
  /** The longest request head accepted. */
  maxHeadBytes?: number;
}

export type RequestHandler = (request: IncomingRequest, response: OutgoingResponse) => void;

/** Connections are checked against their deadlines this often. */
const SWEEP_INTERVAL_MS = 1_000;
/** Body bytes held for a handler not reading yet before the socket is paused. */
const BODY_HIGH_WATER = 64 * 1024;
/** Bytes of pipelined requests held while one is answered before the socket is paused. */
const PIPELINE_HIGH_WATER = 64 * 1024;
/** Above this, head and body go out as two writes instead of being copied into one. */
const COPY_LIMIT = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
const EMPTY = Buffer.alloc(0);

const REASONS: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
  206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
  402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
  408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 417: 'Expectation Failed', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 499: 'Client Closed Request', 500: 'Internal Server Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/**
 * Header names seen before, with their lower case: a name is checked once, not per response.
 * Bounded, so that names from upstreams cannot grow it without end.
 */
const NAMES = new Map<string, string>();
const MAX_NAMES = 2_000;

function lowerName(name: string): string {
  const known = NAMES.get(name);
  if (known !== undefined) return known;
  if (!TOKEN.test(name)) throw Object.assign(new TypeError(`invalid HTTP header name ${JSON.stringify(name)}`), { code: 'ERR_INVALID_HTTP_TOKEN' });
  const lower = name.toLowerCase();
  if (NAMES.size < MAX_NAMES) NAMES.set(name, lower);
  return lower;
}

/** Throws on a name that is not a token or a value with a control character (CR, LF, NUL…). */
function checkField(name: string, value: number | string | readonly string[] | undefined): void {
  lowerName(name);
  if (value === undefined) return;
  if (typeof value === 'number') return;
  if (typeof value === 'string') {
    if (FIELD_VALUE.test(value)) return;
  } else if (value.every((item) => FIELD_VALUE.test(String(item)))) return;
  // The value is never quoted: it may be a credential.
  throw Object.assign(new TypeError(`invalid character in the value of HTTP header ${name}`), { code: 'ERR_INVALID_CHAR' });
}

/** The `Date` header's value, made once a second. */
let dateValue = '';
let dateSecond = 0;
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/** A request as the handlers see it: its head, and its body as `data` and `end` events. */
export class IncomingRequest extends EventEmitter {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly socket: net.Socket;
  /** The whole body has arrived. */
  complete = false;
  /** The connection closed before the body was whole. */
  aborted = false;
  private readonly connection: Connection;
  private flowing = false;
  private pausedByCaller = false;
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private endEmitted = false;
  private flushScheduled = false;

  constructor(connection: Connection, head: RequestHead) {
    super();
    this.connection = connection;
    this.socket = connection.socket;
    this.method = head.method;
    this.url = head.url;
    this.httpVersion = head.httpVersion;
    this.headers = head.headers;
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    // Like a Readable: a data listener starts the flow unless the caller paused it.
    if (event === 'data' && !this.pausedByCaller) this.resume();
    return this;
  }

  override addListener(event: string | symbol, listener: (...args: any[]) => void): this {
    return this.on(event, listener);
  }

  resume(): this {
    this.pausedByCaller = false;
    if (!this.flowing) {
      this.flowing = true;
      this.connection.bodyReading();
      if ((this.held !== undefined || this.complete) && !this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(() => this.flush());
      }
    }
    return this;
  }

  pause(): this {
    this.pausedByCaller = true;
    this.flowing = false;
    return this;
  }

  /** Body bytes from the parser. */
  push(chunk: Buffer): void {
    if (this.flowing && this.held === undefined) {
      this.emit('data', chunk);
      return;
    }
    (this.held ??= []).push(chunk);
    this.heldBytes += chunk.length;
    // Flowing with bytes held means a flush is on its way: no reason to stop reading.
    if (!this.flowing && this.heldBytes > BODY_HIGH_WATER) this.connection.bodyHeld();
  }

  /** The parser saw the body's end. */
  finishBody(): void {
    this.complete = true;
    if (this.flowing && this.held === undefined) this.emitEnd();
  }

  /** The connection closed under the request. */
  abort(): void {
    if (!this.complete && !this.aborted) {
      this.aborted = true;
      this.emit('aborted');
      if (this.listenerCount('error') > 0) this.emit('error', Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    }
    this.emit('close');
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.flowing && this.held !== undefined) {
      const held = this.held;
      this.held = undefined;
      this.heldBytes = 0;
      for (let index = 0; index < held.length; index++) {
        this.emit('data', held[index]);
        // A listener paused the flow: keep the rest, in order.
        if (!this.flowing) {
          const rest = held.slice(index + 1);
          if (rest.length > 0) {
            this.held = this.held === undefined ? rest : [...rest, ...this.held];
            for (const chunk of rest) this.heldBytes += chunk.length;
          }
          return;
        }
      }
    }
    if (!this.flowing) return;
    this.connection.bodyReading();
    if (this.complete) this.emitEnd();
  }

  private emitEnd(): void {
    if (this.endEmitted) return;
    this.endEmitted = true;
    this.emit('end');
  }
}

/** A response as the handlers write it: a head, then body bytes, then the end. */
export class OutgoingResponse extends EventEmitter {
  statusCode = 200;
  statusMessage: string | undefined;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  readonly socket: net.Socket;
  readonly req: IncomingRequest;
  private readonly connection: Connection;
  /** Headers set one by one (`setHeader`), by lower-case name. */
  private stored: Map<string, [string, OutgoingHttpHeader]> | undefined;
  /** Headers given to `writeHead`, written as given. */
  private given: OutgoingHttpHeaders | undefined;
  private headWritten = false;
  private chunked = false;
  /** No body may follow the head: a HEAD request, 204, 304. */
  private bodyless = false;
  /** Whether the connection stays open after this response. */
  keepAlive: boolean;

  constructor(connection: Connection, request: IncomingRequest, keepAlive: boolean) {
    super();
    this.connection = connection;
    this.socket = connection.socket;
    this.req = request;
    this.keepAlive = keepAlive;
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    if (this.headersSent) throw headersSentError('set');
    const lower = lowerName(name);
    checkField(name, value);
    (this.stored ??= new Map()).set(lower, [name, value as OutgoingHttpHeader]);
    return this;
  }

  getHeader(name: string): OutgoingHttpHeader | undefined {
    const lower = name.toLowerCase();
    if (this.given !== undefined) {
      for (const key in this.given) if (key.toLowerCase() === lower) return this.given[key];
    }
    return this.stored?.get(lower)?.[1];
  }

  hasHeader(name: string): boolean {
    return this.getHeader(name) !== undefined;
  }

  removeHeader(name: string): void {
    if (this.headersSent) throw headersSentError('remove');
    this.stored?.delete(name.toLowerCase());
  }

  getHeaders(): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {};
    if (this.stored !== undefined) for (const [lower, [, value]] of this.stored) out[lower] = value;
    if (this.given !== undefined) for (const key in this.given) out[key.toLowerCase()] = this.given[key];
    return out;
  }

  writeHead(status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    if (this.headersSent) throw headersSentError('write');
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid status code ${status}`);
    this.statusCode = status;
    let fields = headers;
    if (typeof reason === 'string') this.statusMessage = reason;
    else fields = reason;
    if (Array.isArray(fields)) {
      const object: OutgoingHttpHeaders = {};
      for (let index = 0; index + 1 < fields.length; index += 2) object[String(fields[index])] = fields[index + 1] as OutgoingHttpHeader;
      fields = object;
    }
    // Checked now, like Node, so that a handler can still answer 500 after a bad one.
    if (fields !== undefined) for (const name in fields) checkField(name, fields[name]);
    this.given = fields as OutgoingHttpHeaders | undefined;
    this.headersSent = true;
    return this;
  }

  /** Sends the head now, before any body. */
  flushHeaders(): void {
    if (!this.headWritten) this.send(EMPTY, false, undefined);
  }

  write(chunk: string | Buffer | Uint8Array, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (this.writableEnded || this.destroyed) {
      if (done !== undefined) process.nextTick(done, new Error(this.destroyed ? 'the connection is closed' : 'write after end'));
      return false;
    }
    return this.send(toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined), false, done);
  }

  end(chunk?: string | Buffer | Uint8Array | (() => void), encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    let done = callback;
    let data: Buffer = EMPTY;
    if (typeof chunk === 'function') done = chunk;
    else {
      if (typeof encoding === 'function') done = encoding;
      if (chunk !== undefined && chunk !== null) data = toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined);
    }
    if (this.writableEnded) {
      if (done !== undefined) process.nextTick(done);
      return this;
    }
    this.writableEnded = true;
    if (this.destroyed) return this;
    this.send(data, true, done === undefined ? undefined : () => done());
    this.writableFinished = true;
    this.connection.responseEnded(this);
    return this;
  }

  destroy(error?: Error): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.connection.destroy(error);
    }
    return this;
  }

  /** The connection closed: a response not finished by then never will be. */
  closed(): void {
    this.destroyed = true;
    this.emit('close');
  }

  private send(data: Buffer, last: boolean, callback: ((error?: Error | null) => void) | undefined): boolean {
    const socket = this.socket;
    if (this.headWritten) {
      const body = this.frameBody(data, last);
      if (body.length === 0) {
        if (callback !== undefined) process.nextTick(callback);
        return true;
      }
      // Writes of one tick go out together (one writev), as node:http does it: a handler that
      // writes in pieces pays one system call, not one a piece.
      if (socket.writableCorked === 0) {
        socket.cork();
        process.nextTick(uncork, socket);
      }
      return socket.write(body, callback);
    }
    const head = this.head(last ? data.length : undefined);
    this.headWritten = true;
    const body = this.frameBody(data, last);
    if (body.length === 0) return socket.write(head, 'latin1', callback);
    if (body.length > COPY_LIMIT) {
      socket.cork();
      socket.write(head, 'latin1');
      const flushed = socket.write(body, callback);
      socket.uncork();
      return flushed;
    }
    // The head and a small body in one buffer: one write, one packet.
    const headLength = head.length;
    const out = Buffer.allocUnsafe(headLength + body.length);
    out.write(head, 0, 'latin1');
    out.set(body, headLength);
    return socket.write(out, callback);
  }

  /** `data` as the framing chosen by the head wants it on the wire. */
  private frameBody(data: Buffer, last: boolean): Buffer {
    if (this.bodyless) return EMPTY;
    if (!this.chunked) return data;
    if (data.length > 0) return frameChunk(data, last);
    return last ? LAST_CHUNK : EMPTY;
  }

  /** The head's text, deciding the framing; `length` is the whole body's when it is known. */
  private head(length: number | undefined): string {
    const status = this.statusCode;
    const request = this.req;
    // The table's reasons are known good; only one a handler gave is checked.
    const message = this.statusMessage;
    if (message !== undefined && /[\r\n]/.test(message)) throw new TypeError('invalid status message');
    const reason = message ?? REASONS[status] ?? 'Unknown';
    let text = `HTTP/1.1 ${status} ${reason}\r\n`;
    let contentLength = false;
    let transferEncoding: string | undefined;
    let date = false;
    let closeAsked = false;
    const line = (name: string, value: OutgoingHttpHeader | undefined): void => {
      if (value === undefined) return;
      const lower = lowerName(name);
      if (lower === 'content-length') contentLength = true;
      else if (lower === 'transfer-encoding') transferEncoding = String(value);
      else if (lower === 'date') date = true;
      else if (lower === 'connection') {
        if (String(value).toLowerCase().includes('close')) closeAsked = true;
        return;
      } else if (lower === 'keep-alive') return;
      // Names and values were checked when they were set (checkField).
      if (Array.isArray(value)) for (const item of value) text += `${name}: ${item}\r\n`;
      else text += `${name}: ${value}\r\n`;
    };
    const stored = this.stored;
    const given = this.given;
    if (stored !== undefined) {
      for (const [lower, [name, value]] of stored) {
        if (given !== undefined && hasKey(given, lower)) continue;
        line(name, value);
      }
    }
    if (given !== undefined) for (const name in given) line(name, given[name]);
    this.bodyless = request.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    if (!this.bodyless || request.method === 'HEAD') {
      if (transferEncoding !== undefined) {
        this.chunked = /(?:^|,)\s*chunked\s*$/i.test(transferEncoding) && request.httpVersion === '1.1';
        // A body in a coding we do not frame ends with the connection.
        if (!this.chunked && !this.bodyless) this.keepAlive = false;
      } else if (!contentLength) {
        if (length !== undefined && !(request.method === 'HEAD' && length === 0)) text += `content-length: ${length}\r\n`;
        else if (request.httpVersion === '1.1') {
          if (!this.bodyless) {
            text += 'transfer-encoding: chunked\r\n';
            this.chunked = true;
          }
        } else this.keepAlive = false;
      }
    }
    if (!date) text += `date: ${httpDate()}\r\n`;
    if (closeAsked || !this.connection.mayKeepAlive(this)) this.keepAlive = false;
    if (this.keepAlive) text += this.connection.keepAliveLines;
    else text += 'connection: close\r\n';
    return `${text}\r\n`;
  }
}

function uncork(socket: net.Socket): void {
  socket.uncork();
}

function hasKey(headers: OutgoingHttpHeaders, lower: string): boolean {
  for (const key in headers) if (key.length === lower.length && key.toLowerCase() === lower) return true;
  return false;
}

function headersSentError(what: string): Error {
  return Object.assign(new Error(`cannot ${what} headers after they are sent to the client`), { code: 'ERR_HTTP_HEADERS_SENT' });
}

function toBuffer(chunk: string | Buffer | Uint8Array, encoding: BufferEncoding | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** One chunk of chunked coding (and the last chunk after it when `last`), in one buffer. */
function frameChunk(data: Buffer, last: boolean): Buffer {
  const size = `${data.length.toString(16)}\r\n`;
  const out = Buffer.allocUnsafe(size.length + data.length + 2 + (last ? LAST_CHUNK.length : 0));
  out.write(size, 0, 'latin1');
  out.set(data, size.length);
  out.set(CRLF, size.length + data.length);
  if (last) out.set(LAST_CHUNK, size.length + data.length + 2);
  return out;
}

/** One client connection: its parser, the request being answered, and what waits behind it. */
class Connection {
  readonly socket: net.Socket;
  private readonly server: Http1Server;
  private readonly parser: RequestParser;
  private request: IncomingRequest | undefined;
  private response: OutgoingResponse | undefined;
  /** Bytes after the current request (pipelined ones), parsed once it is answered. */
  private held: Buffer | undefined;
  private pausedForBody = false;
  private pausedForPipeline = false;
  private clientEnded = false;
  private closed = false;
  /** Sweeper ticks: when the current head began arriving, and since when the connection is idle. */
  headSince = 0;
  idleSince: number;
  constructor(server: Http1Server, socket: net.Socket) {
    this.server = server;
    this.socket = socket;
    this.idleSince = server.tick;
    this.parser = new RequestParser({
      onRequest: (head) => this.onRequest(head),
      onBody: (chunk) => this.request?.push(chunk),
      onEnd: () => this.request?.finishBody(),
    }, server.maxHeadBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('error', () => { /* 'close' follows and does the cleaning up */ });
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.response?.emit('drain'));
  }

  /** The head's keep-alive lines, the same for every connection of the server. */
  get keepAliveLines(): string {
    return this.server.keepAliveLines;
  }

  get idle(): boolean {
    return this.request === undefined && this.parser.partialHeadBytes === 0 && this.held === undefined;
  }

  get receivingHead(): boolean {
    return this.request === undefined && (this.parser.partialHeadBytes > 0 || this.held !== undefined);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.request !== undefined && this.parser.complete) {
      // A pipelined request behind one not answered yet: it waits its turn.
      this.held = this.held === undefined ? chunk : Buffer.concat([this.held, chunk]);
      if (this.held.length > PIPELINE_HIGH_WATER && !this.pausedForPipeline) {
        this.pausedForPipeline = true;
        this.socket.pause();
      }
      return;
    }
    this.parse(chunk);
  }

  private parse(chunk: Buffer): void {
    let left: number;
    try {
      left = this.parser.execute(chunk);
    } catch (error) {
      this.refuse(error instanceof HttpRequestError ? error.status : 400, (error as Error).message);
      return;
    }
    if (this.request === undefined && this.parser.partialHeadBytes > 0 && this.headSince === 0) this.headSince = this.server.tick;
    if (left > 0) this.held = chunk.subarray(chunk.length - left);
  }

  private onRequest(head: RequestHead): void {
    this.headSince = 0;
    const request = new IncomingRequest(this, head);
    const keepAlive = head.keepAlive && !this.server.closing;
    const response = new OutgoingResponse(this, request, keepAlive);
    this.request = request;
    this.response = response;
    // No body: complete already, so an answer given at once may keep the connection.
    if (!head.hasBody) request.complete = true;
    if (head.expectContinue) this.socket.write(CONTINUE);
    try {
      this.server.handler(request, response);
    } catch (error) {
      this.server.emit('handlerError', error);
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json' }).end(errorBody('internal error'));
      } else this.destroy();
    }
  }

  /** A handler started reading the body: bytes held back by a pause may come again. */
  bodyReading(): void {
    if (this.pausedForBody) {
      this.pausedForBody = false;
      if (!this.pausedForPipeline) this.socket.resume();
    }
  }

  /** Body bytes pile up unread: stop reading the socket until the handler reads. */
  bodyHeld(): void {
    if (!this.pausedForBody) {
      this.pausedForBody = true;
      this.socket.pause();
    }
  }

  /** Whether the connection can carry another request after `response`. */
  mayKeepAlive(response: OutgoingResponse): boolean {
    // A body not read to its end would have to be read and thrown away: close instead.
    return response.keepAlive && !this.clientEnded && !this.server.closing && response.req.complete === true && this.parser.complete;
  }

  responseEnded(response: OutgoingResponse): void {
    process.nextTick(() => this.afterResponse(response));
  }

  private afterResponse(response: OutgoingResponse): void {
    response.emit('finish');
    response.emit('close');
    if (this.response !== response) return;
    const request = this.request as IncomingRequest;
    this.request = undefined;
    this.response = undefined;
    request.emit('close');
    if (this.closed) return;
    if (!response.keepAlive || this.clientEnded) {
      this.closeSoon();
      return;
    }
    this.idleSince = this.server.tick;
    this.parser.next();
    const held = this.held;
    this.held = undefined;
    if (this.pausedForPipeline || this.pausedForBody) {
      this.pausedForPipeline = false;
      this.pausedForBody = false;
      this.socket.resume();
    }
    if (held !== undefined) this.parse(held);
  }

  private onClientEnd(): void {
    // Like node:http (without httpAllowHalfOpen): a client's end is its going away. What was
    // written goes out, then the connection closes, and an answer in progress is aborted.
    this.clientEnded = true;
    this.closeSoon();
  }

  /** Answers a request that cannot be read, and closes. */
  refuse(status: number, message: string): void {
    if (this.closed) return;
    const response = this.response;
    if (response !== undefined && response.headersSent) {
      this.destroy();
      return;
    }
    const body = errorBody(message);
    const socket = this.socket;
    socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\ndate: ${httpDate()}\r\nconnection: close\r\n\r\n${body}`, 'latin1', () => socket.destroy());
    this.parser.stop();
    this.closed = true;
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }

  /** Our side is done: end it, and close once what was written is out (the client may never end its side). */
  private closeSoon(): void {
    const socket = this.socket;
    socket.end(() => socket.destroy());
  }

  private onClose(): void {
    this.closed = true;
    this.server.forget(this);
    const request = this.request;
    const response = this.response;
    this.request = undefined;
    this.response = undefined;
    if (response !== undefined && !response.writableFinished) response.closed();
    request?.abort();
  }
}

function errorBody(message: string): string {
  return JSON.stringify({ error: { message, type: 'invalid_request_error', code: 'bad_request' } });
}

export class Http1Server extends EventEmitter {
  readonly handler: RequestHandler;
  readonly maxHeadBytes: number;
  readonly keepAliveLines: string;
  /** Seconds of the sweeper's clock. */
  tick = 1;
  closing = false;
  private readonly keepAliveTicks: number;
  private readonly headersTicks: number;
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(handler: RequestHandler, options: Http1ServerOptions = {}) {
    super();
    this.handler = handler;
    this.maxHeadBytes = options.maxHeadBytes ?? 16 * 1024;
    const keepAliveMs = options.keepAliveTimeoutMs ?? 65_000;
    this.keepAliveTicks = Math.max(1, Math.ceil(keepAliveMs / SWEEP_INTERVAL_MS));
    this.headersTicks = Math.max(1, Math.ceil((options.headersTimeoutMs ?? 60_000) / SWEEP_INTERVAL_MS));
    this.keepAliveLines = `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n`;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (error) => this.emit('error', error));
    this.server.on('listening', () => this.emit('listening'));
  }

  listen(port: number, host: string, callback?: () => void): this {
    this.server.listen(port, host, callback);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
    return this;
  }

  address(): AddressInfo | string | null {
    return this.server.address();
  }

  /** Stops accepting; idle connections close now, busy ones after their answer. */
  close(callback?: (error?: Error) => void): this {
    this.closing = true;
    this.server.close(callback);
    for (const connection of this.connections) if (connection.idle) connection.destroy();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    return this;
  }

  closeAllConnections(): void {
    for (const connection of this.connections) connection.destroy();
  }

  closeIdleConnections(): void {
    for (const connection of this.connections) if (connection.idle) connection.destroy();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.connections.add(new Connection(this, socket));
  }

  /** Closes connections idle past the keep-alive timeout, and answers heads too slow with 408. */
  private sweep(): void {
    const now = ++this.tick;
    for (const connection of this.connections) {
      if (connection.idle) {
        if (now - connection.idleSince > this.keepAliveTicks) connection.destroy();
      } else if (connection.receivingHead && connection.headSince > 0 && now - connection.headSince > this.headersTicks) {
        connection.refuse(408, 'the request head took too long to arrive');
      }
    }
  }
}
