/**
 * The gateway's HTTP/1.1 client for upstream calls: keep-alive sockets pooled per origin
 * (plain TCP or TLS), a request written as one buffer, the response parsed by
 * `ResponseParser` and handed over as it arrives, body bytes as slices of what the socket
 * read. It does what the fast path needs and nothing more, which is why it exists: measured
 * against undici's `Pool` in the same relay, it spent ~9 µs less CPU per request (a third of
 * the relay's user time), the largest single cost left between cliproxy and the bare relay
 * (bench/README.md). Timeouts per phase (connect, response head, idle between body bytes),
 * backpressure by pausing the socket, an abort that destroys the socket, the server's
 * `Keep-Alive: timeout` honoured, and one retry on a fresh socket when a reused one turns out
 * to have been closed by the server before a byte of the response came back.
 */
import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type * as Tls from 'node:tls';
import { HttpClientError } from './errors.ts';
import { ResponseParser } from './response-parser.ts';
import type { ResponseEvents } from './response-parser.ts';

export interface Http1ClientOptions {
  connectTimeoutMs: number;
  /** Maximum sockets per origin; requests beyond it wait their turn (default: no cap). */
  connectionsPerOrigin?: number | null;
  /** How long an idle socket is kept when the server does not say (default 30 s). */
  keepAliveMs?: number;
  /** The most a server's `Keep-Alive: timeout` hint can keep one (default 10 min). */
  keepAliveMaxMs?: number;
  /** Certificate authorities to trust instead of Node's (NODE_EXTRA_CA_CERTS adds to those). */
  ca?: string | Buffer;
}

export interface HttpRequest {
  /** `http(s)://host[:port]`. */
  origin: string;
  /** Path and query, starting with `/`. */
  path: string;
  method: 'GET' | 'POST' | 'HEAD';
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Time allowed from sending until the response head is in; 0 for none. */
  headersTimeoutMs: number;
  /** Time allowed between two reads of the body; 0 for none. */
  bodyTimeoutMs: number;
}

/** Receives one exchange's events, in order: head, data…, then end or error (once). */
export interface ExchangeHandler {
  onHead(exchange: Exchange, status: number, headers: IncomingHttpHeaders): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(error: Error): void;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// What undici accepts in a request target: visible latin1, no spaces or controls.
const REQUEST_TARGET = /^\/[\x21-\xff]*$/;
/** Headers the client writes itself, or that would change the connection's framing. */
const OWN_HEADERS = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'proxy-connection', 'expect']);
/** Idle sockets are checked against their deadline this often. */
const SWEEP_INTERVAL_MS = 1_000;
/** A server's keep-alive hint is shortened by this much, so we never reuse a socket it is closing. */
const KEEP_ALIVE_MARGIN_MS = 2_000;

let tlsModule: typeof Tls | undefined;
/** node:tls loads OpenSSL's bindings; an http-only gateway never pays for them. */
function tls(): typeof Tls {
  tlsModule ??= process.getBuiltinModule('node:tls') as typeof Tls;
  return tlsModule;
}

/** Which deadline a connection's one timer stands for. */
const Timer = { None: 0, Connect: 1, Headers: 2, Body: 3 } as const;
type TimerKind = (typeof Timer)[keyof typeof Timer];

/** One request and its response: the handle to pause, resume or abort it. */
export class Exchange {
  readonly handler: ExchangeHandler;
  readonly method: string;
  readonly payload: Buffer;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** @internal */ connection: Connection | undefined;
  /** @internal bytes of the response read so far. */ received = 0;
  /** @internal */ retried = false;
  /** @internal */ headReceived = false;
  paused = false;
  aborted = false;
  /** Ended, failed or aborted: no more events. */
  settled = false;
  private readonly pool: OriginPool;

  constructor(pool: OriginPool, request: HttpRequest, handler: ExchangeHandler) {
    this.pool = pool;
    this.handler = handler;
    this.method = request.method;
    this.payload = requestBytes(request, pool.hostHeader);
    this.headersTimeoutMs = request.headersTimeoutMs;
    this.bodyTimeoutMs = request.bodyTimeoutMs;
  }

  /** Stops reading the response (backpressure); the server then stops sending, by TCP. */
  pause(): void {
    if (this.paused || this.settled) return;
    this.paused = true;
    this.connection?.pause();
  }

  resume(): void {
    if (!this.paused || this.settled) return;
    this.paused = false;
    this.connection?.resume();
  }

  /** Gives up on the exchange: its socket is destroyed, and the handler gets `reason`. */
  abort(reason: Error): void {
    if (this.settled) return;
    this.aborted = true;
    const connection = this.connection;
    if (connection !== undefined) connection.fail(reason);
    else {
      this.pool.unqueue(this);
      this.fail(reason);
    }
  }

  /** @internal */
  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.connection = undefined;
    this.handler.onError(error);
  }
}

/** One socket to an origin, carrying one exchange at a time. */
class Connection implements ResponseEvents {
  private readonly pool: OriginPool;
  private readonly socket: net.Socket;
  private readonly parser: ResponseParser;
  private exchange: Exchange | undefined;
  private connected = false;
  /** Exchanges this socket completed: above 0, it is a reused socket. */
  private uses = 0;
  closed = false;
  /** @internal when an idle socket is dropped (Date.now() ms). */
  idleUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerKind: TimerKind = Timer.None;

  constructor(pool: OriginPool, exchange: Exchange) {
    this.pool = pool;
    this.parser = new ResponseParser(this);
    this.exchange = exchange;
    exchange.connection = this;
    const secure = pool.secure;
    const socket = secure
      ? tls().connect({ host: pool.hostname, port: pool.port, servername: pool.servername, ALPNProtocols: ['http/1.1'], ca: pool.client.ca })
      : net.connect({ host: pool.hostname, port: pool.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on(secure ? 'secureConnect' : 'connect', this.onConnect);
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    this.arm(Timer.Connect, pool.client.connectTimeoutMs);
  }

  /** Sends `exchange` on this (idle, connected) socket. */
  assign(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.socket.ref();
    this.send(exchange);
  }

  pause(): void {
    this.socket.pause();
    if (this.timerKind === Timer.Body) this.disarm();
  }

  resume(): void {
    this.socket.resume();
    const exchange = this.exchange;
    if (exchange !== undefined && exchange.headReceived && this.parser.busy) this.armBody(exchange);
  }

  /** Ends the current exchange with `error` (or retries it), and drops the socket. */
  fail(error: Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.drop();
    if (exchange === undefined || exchange.settled) return;
    exchange.connection = undefined;
    if (this.uses > 0 && exchange.received === 0 && !exchange.retried && !exchange.aborted && isStaleSocket(error)) {
      // The server closed a keep-alive socket as we reused it: nothing of the request was
      // answered, so it goes once more on a socket of its own.
      exchange.retried = true;
      this.pool.open(exchange);
      return;
    }
    exchange.fail(error);
  }

  /** Destroys the socket and takes it out of the pool. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    this.parser.stop();
    this.socket.destroy();
    this.pool.forget(this);
  }

  onHead(status: number, headers: IncomingHttpHeaders): void {
    const exchange = this.exchange as Exchange;
    exchange.headReceived = true;
    this.disarm();
    exchange.handler.onHead(exchange, status, headers);
  }

  onBody(chunk: Buffer): void {
    (this.exchange as Exchange).handler.onData(chunk);
  }

  onEnd(): void {
    const exchange = this.exchange as Exchange;
    this.exchange = undefined;
    exchange.settled = true;
    exchange.connection = undefined;
    this.disarm();
    exchange.handler.onEnd();
  }

  private send(exchange: Exchange): void {
    this.parser.expect(exchange.method);
    this.arm(Timer.Headers, exchange.headersTimeoutMs);
    this.socket.write(exchange.payload);
  }

  private readonly onConnect = (): void => {
    this.connected = true;
    this.disarm();
    const exchange = this.exchange;
    if (exchange !== undefined) this.send(exchange);
  };

  private readonly onSocketData = (chunk: Buffer): void => {
    const exchange = this.exchange;
    if (exchange === undefined) {
      // Bytes no request asked for: the socket's framing cannot be trusted any more.
      this.drop();
      return;
    }
    exchange.received += chunk.length;
    let leftover: number;
    try {
      leftover = this.parser.execute(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (this.closed) return;
    if (this.exchange === exchange) {
      if (exchange.headReceived && !exchange.paused) this.armBody(exchange);
      return;
    }
    // The response ended within this read (onEnd let go of the exchange): the socket is free
    // again, if it can be trusted.
    if (leftover > 0 || !this.parser.keepAlive) this.drop();
    else this.release();
  };

  private readonly onSocketEnd = (): void => {
    const exchange = this.exchange;
    if (exchange !== undefined && this.parser.close()) {
      this.drop();
      return;
    }
    this.fail(new HttpClientError('HTTP_SOCKET_CLOSED', 'upstream closed the connection before the response ended'));
  };

  private readonly onSocketError = (error: Error): void => {
    this.fail(error);
  };

  private readonly onSocketClose = (): void => {
    this.fail(new HttpClientError('HTTP_SOCKET_CLOSED', 'upstream connection closed'));
  };

  private readonly onTimer = (): void => {
    const kind = this.timerKind;
    this.timer = undefined;
    this.timerKind = Timer.None;
    if (kind === Timer.Connect) this.fail(new HttpClientError('HTTP_CONNECT_TIMEOUT', 'connecting to the upstream timed out'));
    else if (kind === Timer.Headers) this.fail(new HttpClientError('HTTP_HEADERS_TIMEOUT', 'upstream sent no response head in time'));
    else if (kind === Timer.Body) this.fail(new HttpClientError('HTTP_BODY_TIMEOUT', 'upstream response stalled'));
  };

  /** Back in the pool: the next queued exchange, or idle until its keep-alive runs out. */
  private release(): void {
    this.uses += 1;
    // The last write of a response can have asked for a pause that nobody will lift now.
    if (this.socket.isPaused()) this.socket.resume();
    const pool = this.pool;
    const next = pool.nextQueued();
    if (next !== undefined) {
      this.assign(next);
      return;
    }
    if (pool.client.closing) {
      this.drop();
      return;
    }
    const hint = this.parser.keepAliveHintMs;
    const keepMs = hint === undefined ? pool.client.keepAliveMs : Math.min(hint - KEEP_ALIVE_MARGIN_MS, pool.client.keepAliveMaxMs);
    if (keepMs <= 0) {
      this.drop();
      return;
    }
    this.idleUntil = Date.now() + keepMs;
    this.socket.unref();
    pool.idle.push(this);
    pool.client.watchIdle();
  }

  private arm(kind: TimerKind, ms: number): void {
    this.disarm();
    if (ms <= 0) return;
    this.timerKind = kind;
    this.timer = setTimeout(this.onTimer, ms);
  }

  private armBody(exchange: Exchange): void {
    if (this.timerKind === Timer.Body) (this.timer as NodeJS.Timeout).refresh();
    else this.arm(Timer.Body, exchange.bodyTimeoutMs);
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerKind = Timer.None;
  }

  /** Whether a connected idle socket is still usable. */
  get usable(): boolean {
    return !this.closed && this.connected && !this.socket.destroyed;
  }
}

function isStaleSocket(error: Error): boolean {
  const code = (error as { code?: string }).code;
  return code === 'HTTP_SOCKET_CLOSED' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** The sockets to one origin. */
class OriginPool {
  readonly client: Http1Client;
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number;
  readonly servername: string | undefined;
  readonly hostHeader: string;
  readonly idle: Connection[] = [];
  private readonly queue: Exchange[] = [];
  private readonly connections = new Set<Connection>();

  constructor(client: Http1Client, origin: string) {
    this.client = client;
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpClientError('HTTP_INVALID_REQUEST', `unsupported protocol ${url.protocol}`);
    this.secure = url.protocol === 'https:';
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === '' ? (this.secure ? 443 : 80) : Number(url.port);
    this.servername = this.secure && net.isIP(this.hostname) === 0 ? this.hostname : undefined;
    this.hostHeader = url.host;
  }

  get size(): number {
    return this.connections.size;
  }

  dispatch(exchange: Exchange): void {
    const idle = this.idle;
    while (idle.length > 0) {
      const connection = idle.pop() as Connection;
      if (connection.usable) {
        connection.assign(exchange);
        return;
      }
      connection.drop();
    }
    const cap = this.client.connectionsPerOrigin;
    if (cap !== null && this.connections.size >= cap) this.queue.push(exchange);
    else this.open(exchange);
  }

  /** A new socket for `exchange`. */
  open(exchange: Exchange): void {
    let connection: Connection;
    try {
      connection = new Connection(this, exchange);
    } catch (error) {
      exchange.fail(error as Error);
      return;
    }
    this.connections.add(connection);
  }

  nextQueued(): Exchange | undefined {
    return this.queue.shift();
  }

  unqueue(exchange: Exchange): void {
    const index = this.queue.indexOf(exchange);
    if (index !== -1) this.queue.splice(index, 1);
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    // A slot came free: a waiting exchange takes it.
    const next = this.queue.length > 0 && !this.client.destroyed ? this.queue.shift() : undefined;
    if (next !== undefined) this.open(next);
    this.client.settleIfDone();
  }

  sweep(now: number): void {
    for (const connection of [...this.idle]) if (connection.idleUntil <= now || !connection.usable) connection.drop();
  }

  destroyAll(error: Error): void {
    for (const exchange of this.queue.splice(0)) exchange.fail(error);
    for (const connection of [...this.connections]) connection.fail(error);
  }

  dropIdle(): void {
    for (const connection of [...this.idle]) connection.drop();
  }
}

export class Http1Client {
  readonly connectTimeoutMs: number;
  readonly connectionsPerOrigin: number | null;
  readonly keepAliveMs: number;
  readonly keepAliveMaxMs: number;
  readonly ca: string | Buffer | undefined;
  closing = false;
  destroyed = false;
  private readonly pools = new Map<string, OriginPool>();
  private sweeper: NodeJS.Timeout | undefined;
  private onSettled: (() => void) | undefined;

  constructor(options: Http1ClientOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.connectionsPerOrigin = options.connectionsPerOrigin ?? null;
    this.keepAliveMs = options.keepAliveMs ?? 30_000;
    this.keepAliveMaxMs = options.keepAliveMaxMs ?? 600_000;
    this.ca = options.ca;
  }

  /**
   * Starts a request. Throws an HttpClientError (`HTTP_INVALID_REQUEST`) at once for a
   * request that cannot be written (a bad origin, path or header); everything after that
   * reaches `handler`.
   */
  request(request: HttpRequest, handler: ExchangeHandler): Exchange {
    if (this.closing) throw new HttpClientError('HTTP_INVALID_REQUEST', 'the upstream client is closed');
    let pool = this.pools.get(request.origin);
    if (pool === undefined) {
      pool = new OriginPool(this, request.origin);
      this.pools.set(request.origin, pool);
    }
    const exchange = new Exchange(pool, request, handler);
    pool.dispatch(exchange);
    return exchange;
  }

  /** Open sockets to `origin` (idle and busy). */
  socketsTo(origin: string): number {
    return this.pools.get(origin)?.size ?? 0;
  }

  /** Lets requests in flight finish, then closes every socket. */
  close(): Promise<void> {
    this.closing = true;
    for (const pool of this.pools.values()) pool.dropIdle();
    return new Promise((resolve) => {
      this.onSettled = resolve;
      this.settleIfDone();
    });
  }

  /** Closes every socket now; requests in flight fail. */
  destroy(): Promise<void> {
    this.closing = true;
    this.destroyed = true;
    const error = new HttpClientError('HTTP_SOCKET_CLOSED', 'the upstream client was destroyed');
    for (const pool of this.pools.values()) pool.destroyAll(error);
    this.stopSweeper();
    return Promise.resolve();
  }

  /** @internal an idle socket exists: make sure someone drops it when its time is up. */
  watchIdle(): void {
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** @internal */
  settleIfDone(): void {
    if (this.onSettled === undefined) return;
    for (const pool of this.pools.values()) if (pool.size > 0) return;
    this.stopSweeper();
    const settled = this.onSettled;
    this.onSettled = undefined;
    settled();
  }

  private sweep(): void {
    const now = Date.now();
    let idle = 0;
    for (const pool of this.pools.values()) {
      pool.sweep(now);
      idle += pool.idle.length;
    }
    if (idle === 0) this.stopSweeper();
  }

  private stopSweeper(): void {
    if (this.sweeper === undefined) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** The request as one buffer: head (latin1, validated) and body. */
function requestBytes(request: HttpRequest, hostHeader: string): Buffer {
  const path = request.path;
  if (!REQUEST_TARGET.test(path)) throw new HttpClientError('HTTP_INVALID_REQUEST', 'invalid request path');
  let host = hostHeader;
  let fields = '';
  const headers = request.headers;
  for (const name in headers) {
    const value = headers[name] as string;
    if (!TOKEN.test(name)) throw new HttpClientError('HTTP_INVALID_REQUEST', 'invalid header name');
    // The value is never quoted: it may be a credential.
    if (!FIELD_VALUE.test(value)) throw new HttpClientError('HTTP_INVALID_REQUEST', `invalid value for header ${name}`);
    const lower = name.toLowerCase();
    if (lower === 'host') host = value;
    else if (!OWN_HEADERS.has(lower)) fields += `${name}: ${value}\r\n`;
  }
  const body = request.body;
  const bodyLength = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const framing = body !== undefined || request.method === 'POST' ? `content-length: ${bodyLength}\r\n` : '';
  // No `connection: keep-alive`: it is HTTP/1.1's default, and every header costs the server.
  const head = `${request.method} ${path} HTTP/1.1\r\nhost: ${host}\r\n${fields}${framing}\r\n`;
  const payload = Buffer.allocUnsafe(head.length + bodyLength);
  payload.write(head, 0, 'latin1');
  if (typeof body === 'string') payload.write(body, head.length, 'utf8');
  else if (body !== undefined) body.copy(payload, head.length);
  return payload;
}
