/**
 * What every benchmark child process (fake upstream, relay) does the same way: announce
 * readiness on stdout as one JSON line the runner waits for, and exit when the runner goes
 * away (its end of our stdin closes), so a crashed or killed runner leaves nothing listening.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReadyMessage {
  event: 'ready';
  port: number;
}

export function announceReady(server: Server): void {
  const { port } = server.address() as AddressInfo;
  const message: ReadyMessage = { event: 'ready', port };
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

export function exitWithParent(close: () => void): void {
  const stop = (): void => {
    close();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
