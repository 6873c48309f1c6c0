/**
 * Loopback servers for faults the scripted fake upstream cannot play because they happen
 * before a status line: a connection reset as soon as the request arrives, and an answer
 * whose head is held back for a while. Each counts what it received and closes with the test.
 */
import type { TestContext } from 'node:test';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Socket } from 'node:net';

export interface FaultServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Requests (or, for the resetting server, connections with data) received so far. */
  readonly received: number;
}

/** Resets (TCP RST) every connection as soon as the first request bytes arrive. */
export async function startResettingServer(t: TestContext): Promise<FaultServer> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', () => {
      received += 1;
      socket.resetAndDestroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    get received() {
      return received;
    },
  };
}

/**
 * Answers every request after `delayMs` (real time) with `status`, `contentType` and `body`
 * in one piece: an upstream slow to its first byte.
 */
export async function startSlowHeadServer(
  t: TestContext,
  options: { delayMs: number; status?: number; contentType: string; body: string },
): Promise<FaultServer> {
  let received = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = createHttpServer((request, response) => {
    received += 1;
    request.resume();
    const timer = setTimeout(() => {
      timers.delete(timer);
      response.writeHead(options.status ?? 200, { 'content-type': options.contentType, 'content-length': String(Buffer.byteLength(options.body)) });
      response.end(options.body);
    }, options.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    get received() {
      return received;
    },
  };
}
