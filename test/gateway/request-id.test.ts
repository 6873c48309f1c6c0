/**
 * Every response carries `x-cliproxy-request-id`. The inference routes write it with their
 * head instead of through setHeader (a fast-path saving), so each way they can answer is
 * checked here: relayed, streamed, translated, the upstream's own error, our errors, the
 * keep-alive head of a slow stream; and the other routes too.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { hangingResponse, jsonResponse, startFakeUpstream, streamResponse } from '../helpers/fake-upstream.ts';
import type { FakeUpstream } from '../helpers/fake-upstream.ts';

const ID = /^[0-9a-f]{6}-[0-9a-z]+$/;
let upstream: FakeUpstream;
let gateway: RunningGateway;

const completion = { id: 'c', object: 'chat.completion', created: 1, model: 'm1', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
const events = 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
  + 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';

before(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({
    config: {
      port: 0,
      routing: { keepalive_interval: '50ms', timeouts: { first_byte: '5s' }, max_attempts: 1 },
      providers: { openai: { endpoint: `${upstream.url}/v1`, api_keys: ['sk-up'], models: [{ name: 'm1' }] } },
    },
    env: {},
    logLevel: 'silent',
    watch: false,
  });
});

after(async () => {
  await gateway?.close();
  await upstream?.close();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function idOf(response: Response): Promise<string> {
  await response.arrayBuffer();
  return response.headers.get('x-cliproxy-request-id') ?? '';
}

test('relayed, streamed and translated answers carry the request id, each its own', async () => {
  upstream.enqueue('POST /v1/chat/completions', jsonResponse(completion), streamResponse(events), jsonResponse(completion));
  const ids = [
    await idOf(await post('/v1/chat/completions', { model: 'm1', messages: [{ role: 'user', content: 'x' }] })),
    await idOf(await post('/v1/chat/completions', { model: 'm1', stream: true, messages: [{ role: 'user', content: 'x' }] })),
    await idOf(await post('/v1/messages', { model: 'm1', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { 'anthropic-version': '2023-06-01' })),
  ];
  for (const id of ids) assert.match(id, ID);
  assert.equal(new Set(ids).size, 3);
});

test('errors carry it: the upstream\'s own, a bad body, an unknown model, on every inference route', async () => {
  upstream.enqueue('POST /v1/chat/completions', jsonResponse({ error: { message: 'nope', type: 'invalid_request_error' } }, { status: 400 }));
  const upstreamError = await post('/v1/chat/completions', { model: 'm1', messages: [] });
  assert.equal(upstreamError.status, 400);
  assert.match(await idOf(upstreamError), ID);
  for (const path of ['/v1/chat/completions', '/v1/messages', '/v1/responses']) {
    const bad = await post(path, '{not json');
    assert.equal(bad.status, 400, path);
    assert.match(await idOf(bad), ID, path);
    const unknown = await post(path, { model: 'no-such-model', messages: [], input: 'x', max_tokens: 5 });
    assert.equal(unknown.status, 404, path);
    assert.match(await idOf(unknown), ID, path);
  }
});

test('a stream committed by a keep-alive comment carries it, and so do the other routes', async () => {
  upstream.enqueue('POST /v1/chat/completions', hangingResponse());
  const slow = await post('/v1/chat/completions', { model: 'm1', stream: true, messages: [{ role: 'user', content: 'x' }] });
  assert.equal(slow.status, 200);
  assert.match(slow.headers.get('x-cliproxy-request-id') ?? '', ID);
  await slow.body?.cancel();
  for (const path of ['/health', '/v1/models', '/v1/providers']) {
    assert.match(await idOf(await fetch(`${gateway.url}${path}`)), ID, path);
  }
});
