/**
 * Shared pieces of the OpenAI-compatible proxy suites (`test/integration/openai-*.test.ts`):
 * the hand-written fixtures in `test/fixtures/openai`, a raw chat request to the gateway,
 * and the assertions every suite makes about what reached the upstream.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { Agent } from 'node:http';
import { createServer } from 'node:net';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { fixtureBody } from './fake-upstream.ts';
import type { RecordedRequest } from './fake-upstream.ts';
import { CLIENT_KEY, within } from './gateway-harness.ts';
import type { ProxyHarness } from './gateway-harness.ts';
import { rawRequest } from './http-client.ts';
import type { RawResponse } from './http-client.ts';
import { chunkPayloadsOfSse } from './openai-chat-summary.ts';
import { chunkLines, openAIChatFraming } from './sse-framing.ts';

const FIXTURES = new URL('../fixtures/openai/', import.meta.url);

export const USER_MESSAGE = [{ role: 'user' as const, content: 'Hello there' }];
export const REQUEST_TIMEOUT_MS = 10_000;

/** Request options for an SDK call that gives up instead of hanging. */
export function signal(): { signal: AbortSignal } {
  return { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
}

export function fixtureUrl(name: string): URL {
  return new URL(name, FIXTURES);
}

/** The exact bytes the fake upstream sends for a fixture (`*.chunks.txt` framed for OpenAI). */
export function fixtureBytes(name: string): Promise<Buffer> {
  return fixtureBody(fixtureUrl(name), openAIChatFraming);
}

export async function fixtureJson(name: string): Promise<unknown> {
  return JSON.parse((await fixtureBytes(name)).toString('utf8')) as unknown;
}

/** The chunk payloads a stream fixture carries, parsed, `[DONE]` left out. */
export async function fixturePayloads(name: string): Promise<unknown[]> {
  if (name.endsWith('.chunks.txt')) {
    return chunkLines(await readFile(fixtureUrl(name), 'utf8')).map((line) => JSON.parse(line) as unknown);
  }
  return chunkPayloadsOfSse((await fixtureBytes(name)).toString('utf8'));
}

/** The one request the upstream got (fails when it got none or several). */
export function onlyRequest(harness: ProxyHarness): RecordedRequest {
  assert.equal(harness.upstream.requests.length, 1, `the upstream should get exactly one request, got ${harness.upstream.requests.length}`);
  const request = harness.upstream.requests[0];
  assert.ok(request !== undefined);
  return request;
}

/** `POST /v1/chat/completions` with the client key, the body sent exactly as given. */
export function gatewayChat(harness: ProxyHarness, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(`${harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

/** No header, and not the URL, that reached the upstream carries the client's key. */
export function assertClientKeyNotForwarded(request: RecordedRequest): void {
  for (const [name, value] of Object.entries(request.headers)) {
    const values = Array.isArray(value) ? value : [value ?? ''];
    for (const single of values) assert.ok(!single.includes(CLIENT_KEY), `upstream header ${name} carries the client key: ${single}`);
  }
  assert.ok(!request.url.includes(CLIENT_KEY), `upstream URL carries the client key: ${request.url}`);
}

/** Every chunk of an SDK stream. */
export async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface HttpPostResult {
  status: number;
  body: string;
  /** Whether the agent handed this request a kept-alive socket. */
  reusedSocket: boolean;
}

/**
 * A chat POST with `node:http`, for what `fetch` cannot do: a chunked body written in
 * pieces (no content-length), or a keep-alive agent whose socket reuse is observable.
 */
export function httpPost(
  url: string,
  options: { pieces: readonly string[]; agent?: Agent; chunked?: boolean; headers?: Record<string, string> },
): Promise<HttpPostResult> {
  const target = new URL(url);
  const body = options.pieces.join('');
  const lengthHeader: Record<string, string> = options.chunked === true
    ? { 'transfer-encoding': 'chunked' }
    : { 'content-length': String(Buffer.byteLength(body)) };
  return within(
    new Promise<HttpPostResult>((resolve, reject) => {
      const request = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          agent: options.agent ?? false,
          headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...lengthHeader, ...options.headers },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), reusedSocket: request.reusedSocket }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      for (const piece of options.pieces) request.write(piece);
      request.end();
    }),
    REQUEST_TIMEOUT_MS,
    `POST ${url}`,
  );
}
