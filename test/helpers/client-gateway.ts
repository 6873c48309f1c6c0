/**
 * One gateway in front of three loopback fake upstreams — a Claude (Anthropic Messages), a
 * Gemini (Generative Language API) and an OpenAI-compatible one — for the tests that drive
 * the vendors' official SDKs through it. Each kind of upstream serves its own model name, so
 * a test picks the upstream by picking the model; every fake records what it received.
 *
 * Scripted answers come from the hand-written fixtures in `test/fixtures/{anthropic,gemini,
 * openai}`, framed as each vendor frames them (`sse-framing.ts`).
 *
 * @example
 *   const gateway = await startClientGateway(t);
 *   gateway.claude.enqueue(CLAUDE_ROUTE, await anthropicFixture('text.json'));
 *   // ... point an SDK at gateway.url, send a request for MODELS.claude ...
 *   assert.equal(lastBody(gateway.claude).model, MODELS.claude);
 */
import type { TestContext } from 'node:test';
import { startGateway } from '../../src/server/gateway.ts';
import { fixtureResponse, startFakeUpstream } from './fake-upstream.ts';
import type { FakeUpstream, RecordedRequest, ScriptedResponse, StreamOptions } from './fake-upstream.ts';
import { within } from './gateway-harness.ts';
import { geminiFraming, namedEventFraming, openAIChatFraming } from './sse-framing.ts';

export const CLIENT_KEY = 'sk-client-sdk';

/** Upstream kind → the credential the gateway must present to it. */
export const UPSTREAM_KEYS = {
  claude: 'sk-ant-upstream',
  gemini: 'gm-upstream',
  openai: 'sk-openai-upstream',
} as const;

export type UpstreamKind = keyof typeof UPSTREAM_KEYS;
export const UPSTREAM_KINDS: readonly UpstreamKind[] = ['claude', 'gemini', 'openai'];

/** A model each upstream serves (and only it), so the model picks the upstream. */
export const MODELS: Record<UpstreamKind, string> = {
  claude: 'claude-haiku-4-5',
  gemini: 'gemini-2.5-flash',
  openai: 'gpt-4.1-mini',
};

/** A chat-completions-only model on the OpenAI-compatible fake (provider deepseek). */
export const CHAT_ONLY_MODEL = 'deepseek-reasoner';

/** The route each fake answers on (the Gemini one is a prefix: model and method follow). */
export const ROUTES: Record<UpstreamKind, string> = {
  claude: 'POST /v1/messages',
  gemini: 'POST /v1beta/models/*',
  openai: 'POST /v1/chat/completions',
};
export const CLAUDE_ROUTE = ROUTES.claude;
export const GEMINI_ROUTE = ROUTES.gemini;
export const OPENAI_ROUTE = ROUTES.openai;

export interface ClientGateway {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly claude: FakeUpstream;
  readonly gemini: FakeUpstream;
  readonly openai: FakeUpstream;
  upstream(kind: UpstreamKind): FakeUpstream;
}

/** Starts the three fakes and a gateway in front of them; all closed when the test ends. */
export async function startClientGateway(t: TestContext): Promise<ClientGateway> {
  const claude = await startFakeUpstream();
  const gemini = await startFakeUpstream();
  const openai = await startFakeUpstream();
  const closeFakes = async (): Promise<void> => {
    await Promise.all([claude.close(), gemini.close(), openai.close()]);
  };
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({
      config: {
        host: '127.0.0.1',
        port: 0,
        api_keys: [CLIENT_KEY],
        // One attempt: a failing upstream's own error reaches the client, nothing else is tried.
        routing: { max_attempts: 1 },
        providers: {
          claude: { endpoint: claude.url, api_keys: [UPSTREAM_KEYS.claude] },
          gemini: { endpoint: gemini.url, api_keys: [UPSTREAM_KEYS.gemini] },
          openai: { endpoint: `${openai.url}/v1`, api_keys: [UPSTREAM_KEYS.openai] },
          // A second OpenAI-compatible provider on the same fake: unlike openai it has no
          // Responses API, so a Responses client reaches it through translation too.
          deepseek: { endpoint: `${openai.url}/v1`, api_keys: [UPSTREAM_KEYS.openai] },
        },
      },
      env: {},
      logLevel: 'silent',
    });
  } catch (error) {
    await closeFakes();
    throw error;
  }
  t.after(async () => {
    try {
      await within(gateway.close(), 5_000, 'gateway.close()');
    } finally {
      await closeFakes();
    }
  });
  const fakes: Record<UpstreamKind, FakeUpstream> = { claude, gemini, openai };
  return { url: gateway.url, claude, gemini, openai, upstream: (kind) => fakes[kind] };
}

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** An Anthropic fixture: `*.json` as a JSON body, `*.chunks.txt` as `event:`-named SSE. */
export function anthropicFixture(file: string, options: StreamOptions = {}): Promise<ScriptedResponse> {
  return fixtureResponse(new URL(`anthropic/${file}`, FIXTURES), namedEventFraming, options);
}

/** A Gemini fixture: `*.json` as a JSON body, `*.chunks.txt` as `data: …\r\n\r\n` SSE. */
export function geminiFixture(file: string, options: StreamOptions = {}): Promise<ScriptedResponse> {
  return fixtureResponse(new URL(`gemini/${file}`, FIXTURES), geminiFraming, options);
}

/** An OpenAI Chat fixture: `*.json` as a JSON body, `*.chunks.txt` as `data:` SSE ending in `[DONE]`. */
export function openaiFixture(file: string, options: StreamOptions = {}): Promise<ScriptedResponse> {
  return fixtureResponse(new URL(`openai/${file}`, FIXTURES), openAIChatFraming, options);
}

/** The same scenario in each upstream's own words. */
export type Scenario = 'text' | 'tool' | 'error-429' | 'error-500' | 'error-400' | 'midstream-error';

const SCENARIO_FILES: Record<UpstreamKind, Record<Scenario, { json: string; stream: string }>> = {
  claude: {
    text: { json: 'text.json', stream: 'text.chunks.txt' },
    tool: { json: 'thinking-tool-use.json', stream: 'thinking-tool-use.chunks.txt' },
    'error-429': { json: 'error-429-rate-limit.json', stream: 'error-429-rate-limit.json' },
    'error-500': { json: 'error-500-api.json', stream: 'error-500-api.json' },
    'error-400': { json: 'error-400-invalid-request.json', stream: 'error-400-invalid-request.json' },
    'midstream-error': { json: 'midstream-error.chunks.txt', stream: 'midstream-error.chunks.txt' },
  },
  gemini: {
    text: { json: 'text.json', stream: 'text.chunks.txt' },
    tool: { json: 'thought-function-call.json', stream: 'thought-function-call.chunks.txt' },
    'error-429': { json: 'error-429-resource-exhausted.json', stream: 'error-429-resource-exhausted.json' },
    'error-500': { json: 'error-500-internal.json', stream: 'error-500-internal.json' },
    'error-400': { json: 'error-400-invalid-argument.json', stream: 'error-400-invalid-argument.json' },
    'midstream-error': { json: 'midstream-error.chunks.txt', stream: 'midstream-error.chunks.txt' },
  },
  openai: {
    text: { json: 'text.json', stream: 'text-usage.chunks.txt' },
    tool: { json: 'reasoning-tool-call.json', stream: 'reasoning-tool-call.chunks.txt' },
    'error-429': { json: 'error-429-rate-limit.json', stream: 'error-429-rate-limit.json' },
    'error-500': { json: 'error-500-server.json', stream: 'error-500-server.json' },
    'error-400': { json: 'error-400-invalid-request.json', stream: 'error-400-invalid-request.json' },
    // OpenAI has no in-stream error event: a stream cut after some content stands for it.
    'midstream-error': { json: 'text-usage.chunks.txt', stream: 'text-usage.chunks.txt' },
  },
};

const ERROR_STATUS: Partial<Record<Scenario, number>> = { 'error-429': 429, 'error-500': 500, 'error-400': 400 };

/** Queues `scenario` on the upstream of `kind`, streaming or not (`split`: how to cut the stream). */
export async function enqueueScenario(gateway: ClientGateway, kind: UpstreamKind, scenario: Scenario, stream: boolean, split?: StreamOptions['split']): Promise<void> {
  const files = SCENARIO_FILES[kind][scenario];
  const file = stream ? files.stream : files.json;
  const status = ERROR_STATUS[scenario];
  const options: StreamOptions = status === undefined ? {} : { status };
  if (split !== undefined) options.split = split;
  if (kind === 'openai' && scenario === 'midstream-error') {
    Object.assign(options, { limitParts: 3, after: 'reset' });
  }
  const load = kind === 'claude' ? anthropicFixture : kind === 'gemini' ? geminiFixture : openaiFixture;
  gateway.upstream(kind).enqueue(ROUTES[kind], await load(file, options));
}

export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON body of a recorded upstream request (fails when it is not a JSON object). */
export function bodyOf(request: RecordedRequest | undefined): JsonObject {
  if (request === undefined) throw new Error('the upstream received no request');
  if (!isObject(request.body)) throw new Error(`the upstream request body is not a JSON object: ${request.rawBody.toString('utf8').slice(0, 200)}`);
  return request.body;
}

/** The JSON body of the last request a fake received. */
export function lastBody(upstream: FakeUpstream): JsonObject {
  return bodyOf(upstream.requests.at(-1));
}

/** Reads `value` as an object (fails with `what` otherwise). */
export function objectAt(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what} is not an object: ${JSON.stringify(value)?.slice(0, 200)}`);
  return value;
}

/** Reads `value` as an array of objects (fails with `what` otherwise). */
export function objectsAt(value: unknown, what: string): JsonObject[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not an array: ${JSON.stringify(value)?.slice(0, 200)}`);
  return value.map((item, index) => objectAt(item, `${what}[${index}]`));
}

/** A fetch that gives up after `timeoutMs`, for SDKs whose own timeout option is awkward. */
export function fetchWithTimeout(timeoutMs = 10_000): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
}

/** The tool every scenario uses, as JSON Schema. */
export const WEATHER_SCHEMA: { type: 'object'; properties: Record<string, Record<string, unknown>>; required: string[] } = {
  type: 'object',
  properties: {
    location: { type: 'string', description: 'City name' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['location'],
};

/** Fixture facts the tests assert against. */
export const FACTS = {
  claudeText: 'Hello from Claude — café, 日本語 🚀.',
  geminiText: 'Hello from Gemini — café, 日本語 🚀.',
  openaiText: 'Hello! Here is a café — naïve résumé, 日本語 and an emoji 🚀.',
  claudeSignature: 'EqMBCkYIBhgCKkBjbGlwcm94eS1maXh0dXJlLXNpZ25hdHVyZQ+/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/==',
  claudeThinking: 'The user wants the weather in Paris. I should call get_weather.',
  claudeToolId: 'toolu_01FixtureWeather0001',
  geminiSignature: 'CiQBjz1rX2NsaXByb3h5LWdlbWluaS10aG91Z2h0LXNpZ25hdHVyZQ+/AB==',
  geminiThought: '**Checking the weather**\n\nThe user wants the weather in Paris, so I will call get_weather.',
  openaiReasoning: 'The user wants the weather in Paris. I should call get_weather.',
  weatherArgs: { location: 'Paris', unit: 'celsius' },
} as const;

/** The text each upstream's `text` scenario answers. */
export const TEXT_OF: Record<UpstreamKind, string> = {
  claude: FACTS.claudeText,
  gemini: FACTS.geminiText,
  openai: FACTS.openaiText,
};
