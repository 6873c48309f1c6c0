/**
 * The translation matrix's machinery: one in-process gateway in front of one loopback fake
 * upstream playing all four upstream protocols (Claude, Gemini, an OpenAI-compatible chat
 * provider, and OpenAI's Responses API), a fixture loader that frames recorded payloads the
 * way each vendor sends them, and the requests that run a cell. The assertions live in
 * `matrix-assertions.ts`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as undiciRequest } from 'undici';
import { startGateway } from '../../src/server/gateway.ts';
import { bytesResponse, startFakeUpstream, streamResponse } from './fake-upstream.ts';
import type { FakeUpstream, ScriptedResponse } from './fake-upstream.ts';
import { within } from './gateway-harness.ts';
import { CLIENT_KEY, clientRequest, geminiSsePayloads } from './matrix-clients.ts';
import type { ClientCell } from './matrix-clients.ts';
import { errorMessageOf, factsOf, isRecord } from './matrix-facts.ts';
import type { UpstreamFacts, UpstreamProtocol } from './matrix-facts.ts';
import { chunkLines, geminiFraming, namedEventFraming, openAIChatFraming, parseServerSentEvents } from './sse-framing.ts';
import type { ChunkFraming } from './sse-framing.ts';

/** The model each upstream protocol is reached through (each served by one provider only). */
export const MODELS: Readonly<Record<UpstreamProtocol, string>> = {
  anthropic: 'claude-sonnet-4-5',
  gemini: 'gemini-2.5-flash',
  'openai-chat': 'matrix-chat',
  'openai-responses': 'gpt-4.1-nano',
};

const FRAMING: Readonly<Record<UpstreamProtocol, ChunkFraming>> = {
  anthropic: namedEventFraming,
  'openai-responses': namedEventFraming,
  'openai-chat': openAIChatFraming,
  gemini: geminiFraming,
};

export interface MatrixFixture {
  /** `vendor/file`, for test titles. */
  readonly name: string;
  readonly protocol: UpstreamProtocol;
  readonly kind: 'stream' | 'json';
  /** The exact bytes the upstream sends (framed, for a stream). */
  readonly body: Buffer;
  /** Each payload's JSON text, in order (a Gemini stream is re-framed from these as a JSON array). */
  readonly payloadTexts: readonly string[];
  /** HTTP status the upstream answers with. */
  readonly status: number;
  readonly facts: UpstreamFacts;
  /** For an error body (a JSON fixture holding `error`): its message. */
  readonly errorMessage: string | undefined;
  /** A stream that stops before its protocol's end (no finish, no terminator) and without an error. */
  readonly truncated: boolean;
  /** An error body that is not JSON (a proxy's plain-text page), served as `text/plain`. */
  readonly plainText: boolean;
}

/** Whether a stream stops before its protocol says it is over. */
function endsEarly(protocol: UpstreamProtocol, facts: UpstreamFacts, payloads: readonly unknown[], body: Buffer): boolean {
  if (facts.streamError !== undefined) return false;
  const types = payloads.map((payload) => (isRecord(payload) ? payload['type'] : undefined));
  switch (protocol) {
    case 'anthropic':
      return !types.includes('message_stop');
    case 'openai-chat':
      return facts.rawFinish === undefined && !/^data: ?\[DONE\]\s*$/m.test(body.toString('utf8'));
    case 'gemini':
      return facts.rawFinish === undefined;
    case 'openai-responses':
      return !types.some((type) => type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed');
  }
}

/**
 * Loads one fixture file: `*.chunks.txt` framed per vendor, `*.sse` as is (plus the final
 * blank line some recordings lack, when `completeLastEvent`), `*.json` as one body, and an
 * error status's other `*.txt` as a plain-text error body.
 */
export function loadFixture(file: URL, name: string, protocol: UpstreamProtocol, options: { status?: number; completeLastEvent?: boolean } = {}): MatrixFixture {
  const raw = readFileSync(file);
  const path = file.pathname;
  let body: Buffer = raw;
  let payloadTexts: string[];
  let kind: 'stream' | 'json' = 'stream';
  if (path.endsWith('.chunks.txt')) {
    payloadTexts = chunkLines(raw.toString('utf8'));
    body = Buffer.from(FRAMING[protocol](payloadTexts));
  } else if (path.endsWith('.sse')) {
    let source = raw.toString('utf8');
    if (options.completeLastEvent === true && !/(\r?\n){2}$/.test(source)) {
      source += source.endsWith('\n') ? '\n' : '\n\n';
      body = Buffer.from(source);
    }
    if (protocol === 'gemini') payloadTexts = geminiSsePayloads(source).map((payload) => JSON.stringify(payload));
    else payloadTexts = parseServerSentEvents(source).map((event) => event.data).filter((data) => data !== '[DONE]');
  } else if (path.endsWith('.json')) {
    kind = 'json';
    payloadTexts = [raw.toString('utf8')];
  } else if (path.endsWith('.txt') && options.status !== undefined && options.status >= 400) {
    return { ...makeFixture(name, protocol, 'json', raw, [], options.status), plainText: true };
  } else {
    throw new Error(`not a fixture the matrix replays: ${name}`);
  }
  return makeFixture(name, protocol, kind, body, payloadTexts, options.status ?? 200);
}

/** A fixture from bytes already framed (a recording's response, say). */
export function makeFixture(name: string, protocol: UpstreamProtocol, kind: 'stream' | 'json', body: Buffer, payloadTexts: readonly string[], status: number): MatrixFixture {
  const payloads = payloadTexts.map((payload) => JSON.parse(payload) as unknown);
  const facts = factsOf(protocol, kind, payloads);
  return {
    name,
    protocol,
    kind,
    body,
    payloadTexts,
    status,
    facts,
    errorMessage: kind === 'json' ? errorMessageOf(payloads[0]) : undefined,
    truncated: kind === 'stream' && status < 400 && endsEarly(protocol, facts, payloads, body),
    plainText: false,
  };
}

export interface MatrixGateway {
  readonly url: string;
  readonly upstream: FakeUpstream;
  close(): Promise<void>;
}

/** A gateway with the four upstreams on one fake; close it in `after`. */
export async function startMatrixGateway(): Promise<MatrixGateway> {
  const upstream = await startFakeUpstream();
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({
      config: {
        host: '127.0.0.1',
        port: 0,
        api_keys: [CLIENT_KEY],
        // Error fixtures answer 404s and 429s on purpose: no cooldown may bench a provider for the next cell.
        providers: {
          claude: { endpoint: upstream.url, api_keys: ['ak-upstream'], models: [MODELS.anthropic], cooldown: { enabled: false } },
          gemini: { endpoint: upstream.url, api_keys: ['gk-upstream'], models: [MODELS.gemini], cooldown: { enabled: false } },
          openai: { endpoint: `${upstream.url}/v1`, api_keys: ['sk-upstream'], models: [MODELS['openai-responses']], cooldown: { enabled: false } },
          // Chat-only, so a Responses client reaching it is translated rather than sent to /responses.
          matrix_chat: {
            type: 'openai_compatible',
            endpoint: `${upstream.url}/compat/v1`,
            api_keys: ['ck-upstream'],
            models: [MODELS['openai-chat']],
            cooldown: { enabled: false },
          },
        },
      },
      env: {},
      logLevel: 'silent',
    });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  return {
    url: gateway.url,
    upstream,
    async close() {
      try {
        await within(gateway.close(), 5_000, 'gateway.close()');
      } finally {
        await upstream.close();
      }
    },
  };
}

/** Whether the gateway forwards this cell's request to this upstream as it is (same format). */
export function isFastPath(protocol: UpstreamProtocol, cell: ClientCell): boolean {
  return protocol === cell.format;
}

/**
 * Where the request lands on the fake. A Responses upstream is only ever reached by a
 * Responses client: the gateway sends every other format to OpenAI's chat endpoint.
 */
export function upstreamRoute(protocol: UpstreamProtocol, stream: boolean): string {
  switch (protocol) {
    case 'anthropic':
      return 'POST /v1/messages';
    case 'gemini':
      return `POST /v1beta/models/${MODELS.gemini}:${stream ? 'streamGenerateContent' : 'generateContent'}`;
    case 'openai-chat':
      return 'POST /compat/v1/chat/completions';
    case 'openai-responses':
      return 'POST /v1/responses';
  }
}

/** The client cells that can reach a fixture's upstream with a request it answers. */
export function cellsFor(fixture: MatrixFixture, cells: readonly ClientCell[]): ClientCell[] {
  return cells.filter((cell) => fixture.protocol !== 'openai-responses' || cell.format === 'openai-responses');
}

/**
 * The body the upstream sends for this cell: the fixture's bytes, except for a Gemini client
 * asking for the JSON-array stream on the fast path, which Google answers as a JSON array.
 */
export function upstreamBodyFor(fixture: MatrixFixture, cell: ClientCell): Buffer {
  if (fixture.kind === 'stream' && fixture.protocol === 'gemini' && cell.geminiArray && isFastPath(fixture.protocol, cell)) {
    return Buffer.from(`[${fixture.payloadTexts.join('\r\n,')}]`);
  }
  return fixture.body;
}

/** The fixture as a scripted answer: a stream event by event, a body in one piece. */
export function scriptFor(fixture: MatrixFixture, cell: ClientCell): ScriptedResponse {
  const body = upstreamBodyFor(fixture, cell);
  if (fixture.kind === 'json') return bytesResponse(body, { status: fixture.status, headers: { 'content-type': fixture.plainText ? 'text/plain' : 'application/json' } });
  const contentType = cell.geminiArray && isFastPath(fixture.protocol, cell) ? 'application/json' : 'text/event-stream';
  return streamResponse(body, { split: 'events', headers: { 'content-type': contentType } });
}

/** The same stream written in two pieces cut at byte `cut`, with a pause between them. */
export function splitScript(body: Buffer, cut: number): ScriptedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    parts: cut <= 0 || cut >= body.length ? [body] : [body.subarray(0, cut), { delayMs: 1 }, body.subarray(cut)],
  };
}

export interface CellResult {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * The stream up to the middle of its middle event (so earlier events, content among them,
 * have gone out whole and the cut falls inside an event), then a TCP reset. A body without
 * SSE events (a JSON array) is cut at half its length.
 */
export function resetScript(body: Buffer): ScriptedResponse {
  const text = body.toString('latin1');
  const ends = [...text.matchAll(/\r\n\r\n|\n\n/g)].map((match) => match.index + match[0].length);
  let cut = Math.ceil(body.length / 2);
  if (ends.length >= 2) {
    const middle = Math.max(1, Math.floor(ends.length / 2));
    const start = ends[middle - 1] ?? 0;
    const end = ends[middle] ?? body.length;
    cut = start + Math.max(1, Math.floor((end - start) / 2));
  }
  return streamResponse(body, { split: cut, limitParts: 1, after: 'reset' });
}

export interface AbortableResult {
  readonly status: number;
  /** Every body byte received, or undefined when the connection was cut before the body ended. */
  readonly body: Buffer | undefined;
}

/** Like `runCell`, but a body cut off by the gateway is a result, not a failure. */
export async function runCellAbortable(gateway: MatrixGateway, protocol: UpstreamProtocol, cell: ClientCell, script: ScriptedResponse): Promise<AbortableResult> {
  gateway.upstream.enqueue(upstreamRoute(protocol, cell.stream), script);
  const request = clientRequest(cell, MODELS[protocol]);
  const response = await undiciRequest(gateway.url + request.path, { method: 'POST', headers: request.headers, body: request.body, headersTimeout: 10_000, bodyTimeout: 10_000 });
  try {
    return { status: response.statusCode, body: Buffer.from(await response.body.arrayBuffer()) };
  } catch {
    return { status: response.statusCode, body: undefined };
  }
}

/** Sends one client request through the gateway with `script` queued on the fixture's upstream route. */
export async function runCell(gateway: MatrixGateway, protocol: UpstreamProtocol, cell: ClientCell, script: ScriptedResponse): Promise<CellResult> {
  const route = upstreamRoute(protocol, cell.stream);
  const before = gateway.upstream.requests.length;
  gateway.upstream.enqueue(route, script);
  const request = clientRequest(cell, MODELS[protocol]);
  const response = await undiciRequest(gateway.url + request.path, { method: 'POST', headers: request.headers, body: request.body, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const body = Buffer.from(await response.body.arrayBuffer());
  const received = gateway.upstream.requests.slice(before);
  assert.equal(received.length, 1, `one upstream request per client request (got ${received.length}: ${received.map((entry) => entry.url).join(', ')})`);
  const upstreamRequest = received[0];
  assert.ok(upstreamRequest !== undefined);
  assert.equal(`${upstreamRequest.method} ${upstreamRequest.path}`, route, 'the gateway called the expected upstream route');
  if (protocol === 'gemini' && cell.stream) {
    const wantsSse = !(cell.geminiArray && isFastPath(protocol, cell));
    assert.equal(new URL(upstreamRequest.url, 'http://upstream').searchParams.get('alt'), wantsSse ? 'sse' : null, 'Gemini stream framing asked upstream');
  }
  const contentType = response.headers['content-type'];
  return { status: response.statusCode, contentType: typeof contentType === 'string' ? contentType : '', body };
}

/**
 * Sends one client request per script, `concurrency` at a time, every script queued up
 * front. Which request meets which script does not matter: every answer must be the same.
 * Returns the bodies in completion order.
 */
export async function runConcurrently(gateway: MatrixGateway, protocol: UpstreamProtocol, cell: ClientCell, scripts: readonly ScriptedResponse[], concurrency: number): Promise<CellResult[]> {
  const route = upstreamRoute(protocol, cell.stream);
  const before = gateway.upstream.requests.length;
  gateway.upstream.enqueue(route, ...scripts);
  const request = clientRequest(cell, MODELS[protocol]);
  const results: CellResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < scripts.length) {
      next += 1;
      const response = await undiciRequest(gateway.url + request.path, { method: 'POST', headers: request.headers, body: request.body, headersTimeout: 20_000, bodyTimeout: 20_000 });
      const contentType = response.headers['content-type'];
      results.push({ status: response.statusCode, contentType: typeof contentType === 'string' ? contentType : '', body: Buffer.from(await response.body.arrayBuffer()) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, scripts.length) }, worker));
  const received = gateway.upstream.requests.slice(before);
  assert.equal(received.length, scripts.length, 'one upstream request per client request');
  for (const entry of received) assert.equal(`${entry.method} ${entry.path}`, route, 'the gateway called the expected upstream route');
  return results;
}

/** Client output that may differ between two runs of the same answer: the render-time clock. */
export function normalizeVolatile(body: Buffer): string {
  return body.toString('utf8').replace(/"created":\d+/g, '"created":0');
}
