/**
 * The seed's management API, client auth on read routes, /v1/models shapes, and serving a
 * provider loaded from an external module, against a running gateway.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';

let gateway: RunningGateway;

before(async () => {
  gateway = await startGateway({
    config: {
      host: '127.0.0.1',
      port: 0,
      api_keys: ['client-key'],
      management_key: 'manage-me',
      providers: {
        openai: { api_keys: ['sk-openai-secret-000001'], endpoint: 'http://127.0.0.1:9/v1' },
        groq: { api_keys: ['gsk-secret-000000002'], endpoint: 'http://127.0.0.1:9/openai/v1', priority: 5 },
        // Module paths resolve against the config file's folder; inline configs against the cwd.
        echo: { module: './examples/echo-provider.mjs', models: ['echo-1'], options: { prefix: 'echo: ' } },
      },
    },
    env: {},
    logLevel: 'silent',
  });
});

after(async () => {
  await gateway.close();
});

function call(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? 'client-key'}`);
  return fetch(gateway.url + path, { ...init, headers, signal: AbortSignal.timeout(5000) });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

test('GET /v1/providers lists all registered providers without secrets', async () => {
  const response = await call('/v1/providers');
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.ok(!text.includes('sk-openai-secret-000001') && !text.includes('gsk-secret-000000002'), 'no secret in the listing');
  const body = JSON.parse(text) as { object: string; data: Array<Record<string, unknown>> };
  assert.equal(body.object, 'list');
  assert.equal(body.data.length, 17);
  const openai = body.data.find((item) => item.name === 'openai');
  assert.equal(openai?.enabled, true);
  assert.equal(openai?.type, 'direct');
  assert.deepEqual(openai?.credentials, [{ id: 'openai#1', masked: '…0001' }]);
  const kiro = body.data.find((item) => item.name === 'kiro');
  assert.equal(kiro?.state, 'unconfigured');
  assert.equal(body.data.find((item) => item.name === 'echo')?.source, 'module');
  const direct = await json(await call('/v1/providers?type=aggregator'));
  assert.deepEqual((direct.data as Array<{ name: string }>).map((item) => item.name), ['openrouter', 'together', 'fireworks', 'novita', 'siliconflow']);
});

test('GET /v1/providers/{name}, /models, /capabilities, /status', async () => {
  const detail = await json(await call('/v1/providers/groq'));
  assert.equal(detail.name, 'groq');
  assert.equal(detail.priority, 5);
  assert.equal(detail.endpoint, 'http://127.0.0.1:9/openai/v1');
  const models = await json(await call('/v1/providers/groq/models'));
  assert.ok((models.data as Array<{ id: string }>).some((model) => model.id === 'llama-3.3-70b-versatile'));
  const capabilities = await json(await call('/v1/providers/claude/capabilities'));
  assert.deepEqual(Object.keys(capabilities).sort(), ['code_generation', 'functions', 'max_tokens', 'multimodal', 'streaming', 'vision']);
  assert.equal(capabilities.max_tokens, 200_000);
  const status = await json(await call('/v1/providers/openai/status'));
  assert.equal(status.provider, 'openai');
  assert.equal(status.state, 'idle');
  assert.equal(status.in_flight, 0);
  const missing = await call('/v1/providers/nope');
  assert.equal(missing.status, 404);
  assert.equal(((await json(missing)).error as { code: string }).code, 'provider_not_found');
});

test('reads need a client key; PUT /enabled needs the management key and applies to the next request', async () => {
  assert.equal((await call('/v1/providers', { key: null })).status, 401);
  assert.equal((await call('/v1/providers', { key: 'wrong' })).status, 401);
  const put = (key: string | null, enabled: unknown) =>
    call('/v1/providers/groq/enabled', { method: 'PUT', key, body: JSON.stringify({ enabled }), headers: { 'content-type': 'application/json' } });
  assert.equal((await put('client-key', false)).status, 403, 'a client key cannot write');
  assert.equal((await put(null, false)).status, 401);
  assert.equal((await put('manage-me', 'no')).status, 400);
  const off = await put('manage-me', false);
  assert.equal(off.status, 200);
  assert.equal((await json(off)).enabled, false);
  const models = await json(await call('/v1/models'));
  assert.ok(!(models.data as Array<{ owned_by: string }>).some((model) => model.owned_by === 'groq'), 'groq models gone');
  const chat = await call('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'llama-3.3-70b-versatile', messages: [] }) });
  assert.equal(chat.status, 503);
  assert.equal(((await json(chat)).error as { code: string }).code, 'provider_disabled');
  const on = await call('/v1/providers/groq/enabled', { method: 'PUT', headers: { 'x-management-key': 'manage-me' }, key: null, body: '{"enabled":true}' });
  assert.equal(on.status, 200);
  assert.equal((await json(await call('/v1/providers/groq'))).enabled, true);
});

test('GET /v1/models: OpenAI shape by default, Anthropic shape with anthropic-version, ?provider= filter', async () => {
  const openai = await json(await call('/v1/models'));
  assert.equal(openai.object, 'list');
  const data = openai.data as Array<Record<string, unknown>>;
  const entry = data.find((model) => model.id === 'gpt-4o');
  assert.deepEqual(Object.keys(entry ?? {}).sort(), ['created', 'id', 'object', 'owned_by']);
  assert.equal(entry?.object, 'model');
  assert.equal(entry?.owned_by, 'openai');
  assert.ok(data.some((model) => model.id === 'echo-1'));
  assert.ok(!data.some((model) => model.owned_by === 'claude'), 'disabled providers are not listed');

  const anthropic = await json(await call('/v1/models', { headers: { 'anthropic-version': '2023-06-01' } }));
  const first = (anthropic.data as Array<Record<string, unknown>>)[0];
  assert.equal(first?.type, 'model');
  assert.equal(typeof first?.display_name, 'string');
  assert.match(String(first?.created_at), /^\d{4}-\d\d-\d\dT/);
  assert.equal(anthropic.has_more, false);
  assert.equal(anthropic.first_id, first?.id);

  const groqOnly = await json(await call('/v1/models?provider=groq'));
  assert.ok((groqOnly.data as Array<{ owned_by: string }>).every((model) => model.owned_by === 'groq'));
  assert.equal((await call('/v1/models?provider=nope')).status, 404);
});

test('GET /v1/models/{model} and /v1/capabilities', async () => {
  const model = await json(await call('/v1/models/gpt-4o'));
  assert.equal(model.id, 'gpt-4o');
  assert.deepEqual((model.providers as Array<{ provider: string }>).map((item) => item.provider), ['openai']);
  const slashed = await json(await call('/v1/models/openai/gpt-oss-120b'));
  assert.equal((slashed.providers as Array<{ provider: string; upstream_model: string }>)[0]?.upstream_model, 'gpt-oss-120b', 'openai/ prefix addresses the openai provider');
  assert.equal((await call('/v1/models/not-a-model')).status, 404);

  const yes = await json(await call('/v1/capabilities?model=gpt-4o&feature=vision'));
  assert.deepEqual(yes, { model: 'gpt-4o', feature: 'vision', supported: true, providers: [{ provider: 'openai', upstream_model: 'gpt-4o' }] });
  const no = await json(await call('/v1/capabilities?model=llama-3.3-70b-versatile&feature=vision'));
  assert.equal(no.supported, false);
  assert.deepEqual(no.providers, []);
  assert.equal((await call('/v1/capabilities?model=gpt-4o&feature=telepathy')).status, 400);
  assert.equal((await call('/v1/capabilities?feature=vision')).status, 400);
});

test('a provider from an external module serves chat completions, streaming and not', async () => {
  const whole = await call('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'echo-1', messages: [{ role: 'user', content: 'hello there' }] }) });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('x-cliproxy-provider'), 'echo');
  const body = (await whole.json()) as { choices: Array<{ message: { content: string } }> };
  assert.equal(body.choices[0]?.message.content, 'echo: hello there');

  const streamed = await call('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'echo-1', stream: true, messages: [{ role: 'user', content: 'a b c' }] }) });
  assert.equal(streamed.headers.get('content-type'), 'text/event-stream');
  const text = await streamed.text();
  const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
  assert.equal(events.at(-1), 'data: [DONE]');
  const content = events.slice(0, -1).map((event) => JSON.parse(event.slice(6)) as { choices: Array<{ delta: { content?: string } }> })
    .map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
  assert.equal(content, 'echo: a b c');

  const status = await json(await call('/v1/providers/echo/status'));
  assert.equal(status.successes, 2);
  assert.equal(status.state, 'healthy');
});

test('unknown routes and wrong methods answer in OpenAI error shape', async () => {
  const missing = await call('/v1/nothing-here');
  assert.equal(missing.status, 404);
  assert.equal(((await json(missing)).error as { type: string }).type, 'not_found_error');
  const wrong = await call('/v1/chat/completions', { method: 'GET' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'POST');
  const health = await fetch(`${gateway.url}/health`);
  assert.deepEqual(await health.json(), { status: 'ok', service: 'cliproxy' });
  const ready = await json(await fetch(`${gateway.url}/ready`));
  assert.equal(ready.ready, true);
});
