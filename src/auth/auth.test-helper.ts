/**
 * Test support for src/auth: a loopback HTTP server that answers scripted responses per
 * route and records every request, and a fake clock whose `sleep` only moves time forward.
 * Used by the `*.test.ts` files beside it; nothing in the gateway imports it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamClient } from '../providers/upstream-client.ts';
import type { CopilotCredential } from './credential.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ScriptedAnswer {
  status?: number;
  json?: unknown;
}

export type Responder = (request: RecordedRequest) => ScriptedAnswer | Promise<ScriptedAnswer>;

/** A route's answers: one responder, or a sequence consumed in order whose last one repeats. */
export type Script = ScriptedAnswer | Responder | Array<ScriptedAnswer | Responder>;

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests to `"METHOD /path"`. */
  hits(route: string): RecordedRequest[];
  /** Replaces a route's script (its sequence starts over). */
  route(route: string, script: Script): void;
  close(): Promise<void>;
}

export async function startFakeServer(routes: Record<string, Script>): Promise<FakeServer> {
  const scripts = new Map<string, { steps: Array<ScriptedAnswer | Responder>; next: number }>();
  const setRoute = (route: string, script: Script): void => {
    scripts.set(route, { steps: Array.isArray(script) ? script : [script], next: 0 });
  };
  for (const [route, script] of Object.entries(routes)) setRoute(route, script);
  const requests: RecordedRequest[] = [];

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded: RecordedRequest = {
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const script = scripts.get(`${recorded.method} ${recorded.path.split('?')[0]}`);
      if (script === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such route"}');
        return;
      }
      const step = script.steps[Math.min(script.next, script.steps.length - 1)] as ScriptedAnswer | Responder;
      script.next += 1;
      Promise.resolve(typeof step === 'function' ? step(recorded) : step).then(
        (answer) => {
          const body = answer.json === undefined ? '' : JSON.stringify(answer.json);
          response.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(body);
        },
        () => response.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hits: (route) => requests.filter((request) => `${request.method} ${request.path.split('?')[0]}` === route),
    route: setRoute,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A clock that only moves when told to, or when something sleeps on it. */
export class FakeClock {
  time: number;
  readonly sleeps: number[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.time = start;
  }

  now = (): number => this.time;

  sleep = async (milliseconds: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted === true) throw new Error('aborted');
    this.sleeps.push(milliseconds);
    this.time += milliseconds;
    await new Promise<void>((resolve) => setImmediate(resolve));
  };

  advance(milliseconds: number): void {
    this.time += milliseconds;
  }
}

export function testClient(): UpstreamClient {
  return new UpstreamClient({ connectTimeoutMs: 2000 });
}

export function formOf(request: RecordedRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.body));
}

export function jsonOf(request: RecordedRequest): Record<string, unknown> {
  return JSON.parse(request.body) as Record<string, unknown>;
}

/** The signed-in Copilot account the auth tests share (GitHub token `gho_good`). */
export function copilotCredentialFixture(): CopilotCredential {
  return {
    id: 'copilot-octocat',
    provider: 'copilot',
    type: 'oauth_device_flow',
    label: 'octocat',
    access_token: 'gho_good',
    github_token: 'gho_good',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    status: 'active',
  };
}
