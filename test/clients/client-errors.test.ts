/**
 * Errors reach each client in its own format, as its SDK's typed error with the right
 * status: an upstream 429/500/400 from a Claude, a Gemini or an OpenAI-compatible upstream,
 * through OpenAI chat, OpenAI Responses, Anthropic and Gemini clients; and an upstream that
 * fails mid-stream after some content reaches the client as that format's in-stream error,
 * not as a silently truncated stream. Also the gateway's own errors (wrong key, unknown
 * model) in each format, and a client that goes away mid-stream aborting the upstream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { CHAT_ONLY_MODEL, CLIENT_KEY, GEMINI_ROUTE, MODELS, UPSTREAM_KINDS, anthropicFixture, enqueueScenario, geminiFixture, objectAt, startClientGateway } from '../helpers/client-gateway.ts';
import { outcomeWithin } from '../helpers/fake-upstream.ts';
import type { ClientGateway, JsonObject, UpstreamKind } from '../helpers/client-gateway.ts';
import { parseServerSentEvents } from '../helpers/sse-framing.ts';

type ClientKind = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';
const CLIENT_KINDS: readonly ClientKind[] = ['openai-chat', 'openai-responses', 'anthropic', 'gemini'];
type ErrorScenario = 'error-429' | 'error-500' | 'error-400';
const STATUS: Record<ErrorScenario, number> = { 'error-429': 429, 'error-500': 500, 'error-400': 400 };

/** A phrase of each upstream's error message (the fixtures'), which must reach the client. */
const UPSTREAM_MESSAGE: Record<UpstreamKind, Record<ErrorScenario, RegExp>> = {
  claude: { 'error-429': /exceed the rate limit/, 'error-500': /Internal server error/, 'error-400': /maximum allowed number of output tokens/ },
  gemini: { 'error-429': /exceeded your current quota/, 'error-500': /internal error has occurred/, 'error-400': /generation_config\.temperature/ },
  openai: { 'error-429': /Rate limit reached/, 'error-500': /server had an error/, 'error-400': /Invalid value for 'temperature'/ },
};

/**
 * The model per upstream. The OpenAI-compatible one is DeepSeek's (chat completions only), so
 * a Responses client is translated there too rather than forwarded to a Responses API.
 */
const MODEL: Record<UpstreamKind, string> = { ...MODELS, openai: CHAT_ONLY_MODEL };

const ANTHROPIC_TYPE: Record<ErrorScenario, string> = { 'error-429': 'rate_limit_error', 'error-500': 'api_error', 'error-400': 'invalid_request_error' };
const GEMINI_STATUS: Record<ErrorScenario, string> = { 'error-429': 'RESOURCE_EXHAUSTED', 'error-500': 'INTERNAL', 'error-400': 'INVALID_ARGUMENT' };

/** A minimal request of each client format, for raw checks of the error body. */
function rawRequest(gateway: ClientGateway, client: ClientKind, model: string, stream: boolean): { url: string; init: RequestInit } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let url: string;
  let body: JsonObject;
  if (client === 'openai-chat') {
    url = `${gateway.url}/v1/chat/completions`;
    headers.authorization = `Bearer ${CLIENT_KEY}`;
    body = { model, stream, messages: [{ role: 'user', content: 'Say hello' }] };
  } else if (client === 'openai-responses') {
    url = `${gateway.url}/v1/responses`;
    headers.authorization = `Bearer ${CLIENT_KEY}`;
    body = { model, stream, input: 'Say hello' };
  } else if (client === 'anthropic') {
    url = `${gateway.url}/v1/messages`;
    headers['x-api-key'] = CLIENT_KEY;
    headers['anthropic-version'] = '2023-06-01';
    body = { model, stream, max_tokens: 256, messages: [{ role: 'user', content: 'Say hello' }] };
  } else {
    url = `${gateway.url}/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
    headers['x-goog-api-key'] = CLIENT_KEY;
    body = { contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }] };
  }
  return { url, init: { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) } };
}

/** Sends the request through the client's SDK; resolves to what it threw. */
async function sdkError(gateway: ClientGateway, client: ClientKind, model: string): Promise<unknown> {
  const attempt = async (): Promise<unknown> => {
    if (client === 'openai-chat') {
      const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
      return sdk.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }] });
    }
    if (client === 'openai-responses') {
      const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
      return sdk.responses.create({ model, input: 'Say hello' });
    }
    if (client === 'anthropic') {
      const sdk = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
      return sdk.messages.create({ model, max_tokens: 256, messages: [{ role: 'user', content: 'Say hello' }] });
    }
    const sdk = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: gateway.url, timeout: 10_000, retryOptions: { attempts: 1 } } });
    return sdk.models.generateContent({ model, contents: 'Say hello' });
  };
  try {
    const value = await attempt();
    return assert.fail(`expected an error, got ${JSON.stringify(value).slice(0, 200)}`);
  } catch (error) {
    return error;
  }
}

function assertTypedError(client: ClientKind, error: unknown, scenario: ErrorScenario, message: RegExp): void {
  const status = STATUS[scenario];
  if (client === 'openai-chat' || client === 'openai-responses') {
    const expected = status === 429 ? OpenAI.RateLimitError : status === 400 ? OpenAI.BadRequestError : OpenAI.InternalServerError;
    assert.ok(error instanceof expected, `${expected.name}, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.match(String(objectAt(error.error, 'error').message), message);
    return;
  }
  if (client === 'anthropic') {
    const expected = status === 429 ? Anthropic.RateLimitError : status === 400 ? Anthropic.BadRequestError : Anthropic.InternalServerError;
    assert.ok(error instanceof expected, `${expected.name}, got ${String(error)}`);
    assert.equal(error.status, status);
    const body = objectAt(error.error, 'error body');
    assert.equal(body.type, 'error');
    const inner = objectAt(body.error, 'error.error');
    assert.equal(inner.type, ANTHROPIC_TYPE[scenario]);
    assert.match(String(inner.message), message);
    return;
  }
  assert.ok(error instanceof ApiError, `ApiError, got ${String(error)}`);
  assert.equal(error.status, status);
  const body = objectAt(JSON.parse(error.message), 'Gemini error body');
  const inner = objectAt(body.error, 'error');
  assert.equal(inner.code, status);
  assert.equal(inner.status, GEMINI_STATUS[scenario]);
  assert.match(String(inner.message), message);
}

/** The error body's shape, read raw. */
function assertErrorBody(client: ClientKind, body: unknown, scenario: ErrorScenario): void {
  const root = objectAt(body, 'error body');
  const inner = objectAt(root.error, 'error');
  if (client === 'anthropic') {
    assert.equal(root.type, 'error');
    assert.equal(inner.type, ANTHROPIC_TYPE[scenario]);
    assert.equal(typeof inner.message, 'string');
  } else if (client === 'gemini') {
    assert.equal(inner.code, STATUS[scenario]);
    assert.equal(inner.status, GEMINI_STATUS[scenario]);
    assert.equal(typeof inner.message, 'string');
  } else {
    assert.equal(typeof inner.message, 'string');
    assert.equal(typeof inner.type, 'string');
  }
}

for (const client of CLIENT_KINDS) {
  describe(`upstream errors → ${client} client`, () => {
    for (const kind of UPSTREAM_KINDS) {
      for (const scenario of ['error-429', 'error-500', 'error-400'] as const) {
        it(`${kind} upstream ${STATUS[scenario]}: the SDK's typed error, the format's own body`, async (t) => {
          const gateway = await startClientGateway(t);
          const model = MODEL[kind];
          await enqueueScenario(gateway, kind, scenario, false);
          assertTypedError(client, await sdkError(gateway, client, model), scenario, UPSTREAM_MESSAGE[kind][scenario]);

          // A fresh gateway: the failure above may have put the credential in cooldown.
          const fresh = await startClientGateway(t);
          await enqueueScenario(fresh, kind, scenario, true);
          const { url, init } = rawRequest(fresh, client, model, true);
          const response = await fetch(url, init);
          assert.equal(response.status, STATUS[scenario], 'a failure before the stream starts keeps its status');
          assert.match(response.headers.get('content-type') ?? '', /json/);
          assertErrorBody(client, await response.json(), scenario);
        });
      }
    }
  });
}

// ---------- mid-stream ----------

/** Text the midstream fixtures deliver before failing. */
const PARTIAL: Record<UpstreamKind, string> = { claude: 'Partial answer before', gemini: 'Partial answer before', openai: 'Hello! Here is' };

/** Drives the client's SDK over a stream that breaks; returns the text it saw and what it threw. */
async function streamThroughSdk(gateway: ClientGateway, client: ClientKind, model: string): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    if (client === 'openai-chat') {
      const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
      const stream = await sdk.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'Say hello' }] });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } else if (client === 'openai-responses') {
      const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
      const stream = await sdk.responses.create({ model, stream: true, input: 'Say hello' });
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'error') throw new Error(`error event: ${event.message}`);
        if (event.type === 'response.failed') throw new Error(`response.failed: ${event.response.error?.message ?? ''}`);
      }
    } else if (client === 'anthropic') {
      const sdk = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
      const stream = sdk.messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: 'Say hello' }] });
      stream.on('text', (delta) => {
        text += delta;
      });
      await stream.finalMessage();
    } else {
      const sdk = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: gateway.url, timeout: 10_000, retryOptions: { attempts: 1 } } });
      for await (const chunk of await sdk.models.generateContentStream({ model, contents: 'Say hello' })) text += chunk.text ?? '';
    }
  } catch (error) {
    return { text, error };
  }
  return { text, error: undefined };
}

/** The format's in-stream error event, found in the raw stream after some content. */
function assertInStreamError(client: ClientKind, raw: string, partial: string): void {
  const events = parseServerSentEvents(raw);
  assert.ok(events.length > 1, 'the stream started');
  const payloads = events.map((event) => ({ event: event.event, data: event.data === '[DONE]' ? {} : JSON.parse(event.data) as JsonObject }));
  const errorIndex = payloads.findIndex((payload) => {
    if (client === 'anthropic') return payload.event === 'error' && payload.data.type === 'error';
    if (client === 'openai-responses') return payload.data.type === 'error' || payload.data.type === 'response.failed';
    return payload.data.error !== undefined;
  });
  assert.ok(errorIndex > 0, `an in-stream error event in: ${raw.slice(-400)}`);
  const before = raw.slice(0, raw.indexOf(events[errorIndex]?.data ?? '\u0000'));
  assert.ok(before.includes(partial.slice(0, 5)), 'content arrived before the error');
  const error = payloads[errorIndex]?.data ?? {};
  if (client === 'anthropic') {
    const inner = objectAt(error.error, 'error');
    assert.equal(typeof inner.type, 'string');
    assert.equal(typeof inner.message, 'string');
    assert.ok(!payloads.slice(errorIndex).some((payload) => payload.event === 'message_stop'), 'no message_stop after the error');
  } else if (client === 'gemini') {
    const inner = objectAt(error.error, 'error');
    assert.equal(typeof inner.code, 'number');
    assert.equal(typeof inner.status, 'string');
    assert.equal(typeof inner.message, 'string');
  } else if (client === 'openai-chat') {
    const inner = objectAt(error.error, 'error');
    assert.equal(typeof inner.message, 'string');
    assert.ok(!payloads.slice(0, errorIndex).some((payload) => JSON.stringify(payload.data).includes('"finish_reason":"stop"')), 'the stream does not pretend to have finished');
  } else {
    assert.ok(!payloads.some((payload) => payload.data.type === 'response.completed'), 'no response.completed');
  }
}

for (const client of CLIENT_KINDS) {
  describe(`mid-stream failure → ${client} client`, () => {
    for (const kind of UPSTREAM_KINDS) {
      it(`${kind} upstream fails after some content: an in-stream error, not a truncated stream`, async (t) => {
        const gateway = await startClientGateway(t);
        const model = MODEL[kind];
        await enqueueScenario(gateway, kind, 'midstream-error', true);
        const { text, error } = await streamThroughSdk(gateway, client, model);
        assert.ok(error !== undefined, `the SDK reports the failure (it saw ${JSON.stringify(text)})`);
        assert.ok(text.startsWith(PARTIAL[kind].slice(0, 5)), `the content before the failure arrived (got ${JSON.stringify(text)})`);
        if (client === 'anthropic') assert.ok(error instanceof Anthropic.APIError, `an Anthropic APIError, got ${String(error)}`);
        if (client === 'openai-chat') assert.ok(error instanceof OpenAI.APIError, `an OpenAI APIError, got ${String(error)}`);
        if (client === 'gemini') assert.ok(error instanceof ApiError, `a Gemini ApiError, got ${String(error)}`);

        // A fresh gateway: the failed stream above may have put the credential in cooldown.
        const fresh = await startClientGateway(t);
        await enqueueScenario(fresh, kind, 'midstream-error', true);
        const { url, init } = rawRequest(fresh, client, model, true);
        const response = await fetch(url, init);
        assert.equal(response.status, 200);
        assertInStreamError(client, await response.text(), PARTIAL[kind]);
      });
    }
  });
}

// ---------- the gateway's own errors ----------

/** Each SDK pointed at the gateway with `key`, asking for `model`; resolves to what it threw. */
async function gatewayError(gateway: ClientGateway, client: ClientKind, model: string, key: string): Promise<unknown> {
  try {
    if (client === 'openai-chat' || client === 'openai-responses') {
      const sdk = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
      if (client === 'openai-chat') await sdk.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
      else await sdk.responses.create({ model, input: 'Hi' });
    } else if (client === 'anthropic') {
      const sdk = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
      await sdk.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
    } else {
      const sdk = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: gateway.url, timeout: 10_000, retryOptions: { attempts: 1 } } });
      await sdk.models.generateContent({ model, contents: 'Hi' });
    }
  } catch (error) {
    return error;
  }
  return assert.fail('expected an error');
}

for (const client of CLIENT_KINDS) {
  describe(`the gateway's own errors → ${client} client`, () => {
    it('a wrong client key: 401 as the SDK\'s authentication error, nothing sent upstream', async (t) => {
      const gateway = await startClientGateway(t);
      const error = await gatewayError(gateway, client, MODELS.claude, 'sk-wrong');
      if (client === 'anthropic') {
        assert.ok(error instanceof Anthropic.AuthenticationError, String(error));
        assert.equal(objectAt(objectAt(error.error, 'body').error, 'error').type, 'authentication_error');
      } else if (client === 'gemini') {
        assert.ok(error instanceof ApiError, String(error));
        assert.equal(error.status, 401);
        assert.equal(objectAt(objectAt(JSON.parse(error.message), 'body').error, 'error').status, 'UNAUTHENTICATED');
      } else {
        assert.ok(error instanceof OpenAI.AuthenticationError, String(error));
      }
      assert.equal(gateway.claude.requests.length, 0);
    });

    it('an unknown model: 404 as the SDK\'s not-found error', async (t) => {
      const gateway = await startClientGateway(t);
      const error = await gatewayError(gateway, client, 'claude-sonet-4-5', CLIENT_KEY);
      if (client === 'anthropic') {
        assert.ok(error instanceof Anthropic.NotFoundError, String(error));
        const inner = objectAt(objectAt(error.error, 'body').error, 'error');
        assert.equal(inner.type, 'not_found_error');
        assert.match(String(inner.message), /claude-sonet-4-5/);
      } else if (client === 'gemini') {
        assert.ok(error instanceof ApiError, String(error));
        assert.equal(error.status, 404);
        const inner = objectAt(objectAt(JSON.parse(error.message), 'body').error, 'error');
        assert.equal(inner.status, 'NOT_FOUND');
        assert.equal(inner.code, 404);
      } else {
        assert.ok(error instanceof OpenAI.NotFoundError, String(error));
        assert.match(error.message, /claude-sonet-4-5/);
      }
    });
  });
}

// ---------- the client goes away ----------

describe('a client that stops reading mid-stream (translated)', () => {
  it('Anthropic SDK abort over a Gemini stream: the upstream request is aborted too', async (t) => {
    const gateway = await startClientGateway(t);
    gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('text.chunks.txt', { limitParts: 1, after: 'hang' }));
    const sdk = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
    const stream = sdk.messages.stream({ model: MODELS.gemini, max_tokens: 256, messages: [{ role: 'user', content: 'Say hello' }] });
    const first = await new Promise<string>((resolve) => stream.on('text', (delta) => resolve(delta)));
    assert.equal(first, 'Hello from');
    stream.abort();
    await stream.done().catch(() => undefined);
    const request = gateway.gemini.requests[0];
    assert.ok(request !== undefined);
    assert.equal(await outcomeWithin(request), 'aborted');
  });

  it('OpenAI SDK abort over a Claude stream: the upstream request is aborted too', async (t) => {
    const gateway = await startClientGateway(t);
    gateway.claude.enqueue('POST /v1/messages', await anthropicFixture('text.chunks.txt', { limitParts: 4, after: 'hang' }));
    const sdk = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const stream = await sdk.chat.completions.create({ model: MODELS.claude, stream: true, messages: [{ role: 'user', content: 'Say hello' }] });
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text !== '') break;
    }
    assert.equal(text, 'Hello from');
    const request = gateway.claude.requests[0];
    assert.ok(request !== undefined);
    assert.equal(await outcomeWithin(request), 'aborted');
  });
});
