/**
 * `GET /v1/models` (issue 2, sections 5 and 6): OpenAI's shape by default, Anthropic's when
 * `anthropic-version` is sent, the enabled providers' models, `?provider=`, and one model.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openAIErrorOf, rawRequest } from '../helpers/http-client.ts';
import { CLIENT_KEY, PROVIDER_KEYS, startProxyHarness } from '../helpers/gateway-harness.ts';
import { signal } from '../helpers/openai-proxy-kit.ts';

describe('GET /v1/models', () => {
  test('OpenAI shape by default, listing the configured models', async (t) => {
    const harness = await startProxyHarness(t);
    const raw = await rawRequest(`${harness.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    assert.equal(raw.status, 200);
    const body = raw.json as { object?: unknown; data?: unknown };
    assert.equal(body.object, 'list');
    assert.ok(Array.isArray(body.data) && body.data.length > 0);
    for (const entry of body.data as unknown[]) {
      const model = entry as Record<string, unknown>;
      assert.equal(typeof model.id, 'string');
      assert.equal(model.object, 'model');
      assert.equal(typeof model.created, 'number');
      assert.equal(typeof model.owned_by, 'string');
    }
    const ids = (body.data as Array<{ id: string }>).map((model) => model.id);
    assert.ok(ids.includes('gpt-4.1-nano'), `gpt-4.1-nano missing from ${JSON.stringify(ids.slice(0, 30))}`);

    const sdkIds: string[] = [];
    for await (const model of harness.client.models.list(signal())) sdkIds.push(model.id);
    assert.deepEqual(sdkIds, ids);
    assert.equal(harness.upstream.requests.length, 0);
  });

  test('Anthropic shape when anthropic-version is sent', async (t) => {
    const harness = await startProxyHarness(t);
    const raw = await rawRequest(`${harness.url}/v1/models`, {
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
    });
    assert.equal(raw.status, 200, raw.body.toString('utf8'));
    const body = raw.json as { data?: unknown; has_more?: unknown; first_id?: unknown; last_id?: unknown; object?: unknown };
    assert.ok(Array.isArray(body.data) && body.data.length > 0);
    const data = body.data as Array<Record<string, unknown>>;
    for (const model of data) {
      assert.equal(model.type, 'model');
      assert.equal(typeof model.id, 'string');
      assert.equal(typeof model.display_name, 'string');
      assert.equal(typeof model.created_at, 'string');
      assert.ok(!Number.isNaN(Date.parse(String(model.created_at))), `created_at is not a date: ${String(model.created_at)}`);
    }
    assert.equal(typeof body.has_more, 'boolean');
    assert.equal(body.first_id, data[0]?.id);
    assert.equal(body.last_id, data.at(-1)?.id);
    assert.equal(body.object, undefined);
    assert.ok(data.some((model) => model.id === 'gpt-4.1-nano'));
  });

  test('?provider=NAME lists that provider’s models only; /v1/models/{model} describes one model', async (t) => {
    const harness = await startProxyHarness(t);
    const headers = { authorization: `Bearer ${CLIENT_KEY}` };
    const groqOnly = await rawRequest(`${harness.url}/v1/models?provider=groq`, { headers });
    assert.equal(groqOnly.status, 200, groqOnly.body.toString('utf8'));
    const ids = (groqOnly.json as { data: Array<{ id: string }> }).data.map((model) => model.id);
    assert.ok(ids.includes('llama-3.3-70b-versatile'));
    assert.ok(!ids.includes('gpt-4.1-nano'), 'an openai model is listed under ?provider=groq');

    const one = await rawRequest(`${harness.url}/v1/models/gpt-4.1-nano`, { headers });
    assert.equal(one.status, 200, one.body.toString('utf8'));
    assert.equal((one.json as { id?: unknown }).id, 'gpt-4.1-nano');
    const sdkModel = await harness.client.models.retrieve('gpt-4.1-nano', signal());
    assert.equal(sdkModel.id, 'gpt-4.1-nano');
    const missing = await rawRequest(`${harness.url}/v1/models/gpt-4.1-nanoo`, { headers });
    assert.equal(missing.status, 404);
    assert.equal(openAIErrorOf(missing).code, 'model_not_found');
  });

  test('models of a disabled provider are not listed', async (t) => {
    const harness = await startProxyHarness(t, {
      providers: (url) => ({ mistral: { endpoint: `${url}/mistral/v1`, api_keys: [PROVIDER_KEYS.mistral], enabled: false } }),
    });
    const raw = await rawRequest(`${harness.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    assert.equal(raw.status, 200);
    const ids = ((raw.json as { data: Array<{ id: string }> }).data).map((model) => model.id);
    assert.ok(ids.includes('llama-3.3-70b-versatile'), 'an enabled provider’s catalogue (groq) is missing');
    assert.ok(!ids.includes('mistral-small-latest'), 'a disabled provider’s model is listed');
  });
});
