/**
 * What the gateway's handlers use of a request and a response. Node's `IncomingMessage` and
 * `ServerResponse` have all of it (tests drive handlers through `node:http` too), and so do
 * the gateway's own server's objects (`src/http1/server.ts`), which implement this much and
 * no more.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http';

type Listener<T extends unknown[]> = (...args: T) => void;

export interface GatewayRequest extends Pick<IncomingMessage, 'method' | 'url' | 'httpVersion' | 'socket'> {
  headers: IncomingHttpHeaders;
  on(event: 'data', listener: Listener<[Buffer]>): unknown;
  on(event: 'error', listener: Listener<[Error]>): unknown;
  on(event: 'end' | 'close' | 'aborted', listener: Listener<[]>): unknown;
  once(event: 'data', listener: Listener<[Buffer]>): unknown;
  once(event: 'error', listener: Listener<[Error]>): unknown;
  once(event: 'end' | 'close' | 'aborted', listener: Listener<[]>): unknown;
  off(event: 'data', listener: Listener<[Buffer]>): unknown;
  off(event: 'error', listener: Listener<[Error]>): unknown;
  off(event: 'end' | 'close' | 'aborted', listener: Listener<[]>): unknown;
  resume(): unknown;
  pause(): unknown;
}

type Chunk = string | Buffer | Uint8Array;

export interface GatewayResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): GatewayResponse;
  writeHead(status: number, reason?: string, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): GatewayResponse;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  getHeader(name: string): OutgoingHttpHeader | undefined;
  hasHeader(name: string): boolean;
  removeHeader(name: string): void;
  flushHeaders(): void;
  write(chunk: Chunk, callback?: (error?: Error | null) => void): boolean;
  write(chunk: Chunk, encoding: BufferEncoding, callback?: (error?: Error | null) => void): boolean;
  end(callback?: () => void): GatewayResponse;
  end(chunk: Chunk | undefined, callback?: () => void): GatewayResponse;
  end(chunk: Chunk, encoding: BufferEncoding, callback?: () => void): GatewayResponse;
  destroy(error?: Error): unknown;
  on(event: 'close' | 'drain' | 'finish', listener: Listener<[]>): unknown;
  once(event: 'close' | 'drain' | 'finish', listener: Listener<[]>): unknown;
  off(event: 'close' | 'drain' | 'finish', listener: Listener<[]>): unknown;
}
