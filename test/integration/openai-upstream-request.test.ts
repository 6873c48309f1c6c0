/**
 * What the upstream receives on the fast path: the client's body with only `model`
 * rewritten (provider prefix stripped, `model_mappings` applied), byte for byte otherwise,
 * except for the documented quirks (Mistral: no `stream_options`, no `n: 1`, tool_choice
 * "any"; OpenAI reasoning models: `max_completion_tokens`), under the provider's key and
 * configured headers, never the client's key.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureResponse } from '../helpers/fake-upstream.ts';
import { openAIChatFraming } from '../helpers/sse-framing.ts';
import { CHAT_ROUTES, PROVIDER_KEYS, lastExchange, startProxyHarness } from '../helpers/gateway-harness.ts';
import {
  USER_MESSAGE,
  assertClientKeyNotForwarded,
  collect,
  fixtureBytes,
  fixtureUrl,
  gatewayChat,
  httpPost,
  onlyRequest,
  signal,
} from '../helpers/openai-proxy-kit.ts';

describe('what the upstream receives', () => {
  test('only the model is rewritten: the prefix is stripped and every other byte is the client’s', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    // Whitespace, key order, "0.50", an escaped and an unescaped non-ASCII character: a
    // gateway that re-serialises the body changes some of these.
    const clientBody =
      '{ "messages" : [ {"role":"user","content":"caf\\u00e9 ☕ \\"quoted\\""} ],\n' +
      '  "model":"openai/gpt-4.1-nano", "temperature": 0.50, "top_p":1e0,\n' +
      '  "metadata": {"trace":"t-1"}, "user": "u-1" }';
    const expectedUpstreamBody = clientBody.replace('"model":"openai/gpt-4.1-nano"', '"model":"gpt-4.1-nano"');

    const response = await gatewayChat(harness, clientBody);
    assert.equal(response.status, 200);
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.method, 'POST');
    assert.equal(upstreamRequest.path, '/v1/chat/completions');
    assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS.openai}`);
    assert.match(upstreamRequest.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(upstreamRequest.headers.host, `127.0.0.1:${harness.upstream.port}`, 'the client’s Host header was forwarded upstream');
    assertClientKeyNotForwarded(upstreamRequest);
    assert.equal(upstreamRequest.rawBody.toString('utf8'), expectedUpstreamBody);
  });

  test('only the top-level model is rewritten: nested "model" keys and strings stay as the client wrote them', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.always(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const nested = {
      metadata: { model: 'openai/gpt-4.1-nano' },
      messages: [{ role: 'user', content: '"model": "openai/gpt-4.1-nano"' }],
      tools: [{ type: 'function', function: { name: 'pick', parameters: { type: 'object', properties: { model: { type: 'string', default: 'openai/gpt-4.1-nano' } } } } }],
      model: 'openai/gpt-4.1-nano',
    };
    assert.equal((await gatewayChat(harness, JSON.stringify(nested))).status, 200);
    assert.deepEqual(harness.upstream.requests.at(-1)?.body, { ...nested, model: 'gpt-4.1-nano' });

    // The same model written with JSON escapes ("\/", "\u0067") is still that model.
    const escaped = '{"model":"openai\\/\\u0067pt-4.1-nano","messages":[{"role":"user","content":"hi"}]}';
    assert.equal((JSON.parse(escaped) as { model: string }).model, 'openai/gpt-4.1-nano');
    const response = await gatewayChat(harness, escaped);
    assert.equal(response.status, 200, response.body.toString('utf8'));
    assert.deepEqual(harness.upstream.requests.at(-1)?.body, { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] });
  });

  test('a top-level model written with escapes beside a nested "model" of the same value: the top-level one is rewritten, the nested one kept', async (t) => {
    // PHP's json_encode, for one, writes "/" as "\/"; the nested value is the client's data.
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const clientBody = '{"metadata":{"model":"openai/gpt-4.1-nano"},"model":"openai\\/gpt-4.1-nano","messages":[{"role":"user","content":"hi"}]}';
    assert.deepEqual(JSON.parse(clientBody), {
      metadata: { model: 'openai/gpt-4.1-nano' },
      model: 'openai/gpt-4.1-nano',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const response = await gatewayChat(harness, clientBody);
    assert.equal(response.status, 200, response.body.toString('utf8'));
    assert.deepEqual(onlyRequest(harness).body, {
      metadata: { model: 'openai/gpt-4.1-nano' },
      model: 'gpt-4.1-nano',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  test('the SDK’s own body reaches the upstream byte-identical but for the model', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text-usage.chunks.txt'), openAIChatFraming));
    await collect(
      await harness.client.chat.completions.create(
        {
          model: 'openai/gpt-4.1-nano',
          messages: [{ role: 'system', content: 'Be brief.' }, ...USER_MESSAGE],
          stream: true,
          stream_options: { include_usage: true },
          temperature: 0.2,
          tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }],
        },
        signal(),
      ),
    );
    const sent = lastExchange(harness).requestBody;
    assert.ok(sent !== undefined, 'the SDK body was not captured');
    assert.ok(sent.includes('"model":"openai/gpt-4.1-nano"'));
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.rawBody.toString('utf8'), sent.replace('"model":"openai/gpt-4.1-nano"', '"model":"gpt-4.1-nano"'));
    assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS.openai}`);
    assertClientKeyNotForwarded(upstreamRequest);
  });

  test('a chunked request body (no content-length) is forwarded whole, only the model rewritten', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.groq, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const pieces = ['{"model":"groq/llama-3.3-', '70b-versatile","messages":[{"role":"user",', '"content":"', 'ü'.repeat(300), '"}],"temperature":0.7}'];
    const result = await httpPost(`${harness.url}/v1/chat/completions`, { chunked: true, pieces });
    assert.equal(result.status, 200, result.body);
    assert.equal(onlyRequest(harness).rawBody.toString('utf8'), pieces.join('').replace('groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile'));
  });

  test('an unprefixed model goes to the provider that serves it, body untouched', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const clientBody = '{"model":"gpt-4.1-nano","messages":[{"role":"user","content":"hi"}],"max_tokens":50}';
    const response = await gatewayChat(harness, clientBody);
    assert.equal(response.status, 200);
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.path, '/v1/chat/completions');
    assert.equal(upstreamRequest.rawBody.toString('utf8'), clientBody);
  });

  test('model_mappings of an openai_compatible entry: alias-model reaches it as real-model', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.my_custom, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const clientBody = '{"model":"alias-model","messages":[{"role":"user","content":"hi"}]}';
    const response = await gatewayChat(harness, clientBody);
    assert.equal(response.status, 200, response.body.toString('utf8'));
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.path, '/custom/v1/chat/completions');
    assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS.my_custom}`);
    assert.equal(upstreamRequest.rawBody.toString('utf8'), '{"model":"real-model","messages":[{"role":"user","content":"hi"}]}');

    // Addressed explicitly, the alias maps the same way.
    harness.upstream.enqueue(CHAT_ROUTES.my_custom, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    assert.equal((await gatewayChat(harness, '{"model":"my_custom/alias-model","messages":[]}')).status, 200);
    assert.equal(harness.upstream.requests.at(-1)?.rawBody.toString('utf8'), '{"model":"real-model","messages":[]}');
  });

  test('a provider’s configured headers are sent upstream with its key', async (t) => {
    const harness = await startProxyHarness(t, {
      providers: (url) => ({
        my_custom: {
          type: 'openai_compatible',
          endpoint: `${url}/custom/v1`,
          api_keys: [PROVIDER_KEYS.my_custom],
          model_mappings: { 'alias-model': 'real-model' },
          headers: { 'HTTP-Referer': 'https://cliproxy.test', 'X-Title': 'cliproxy tests' },
        },
      }),
    });
    harness.upstream.enqueue(CHAT_ROUTES.my_custom, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    assert.equal((await gatewayChat(harness, '{"model":"my_custom/real-model","messages":[]}')).status, 200);
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.headers['http-referer'], 'https://cliproxy.test');
    assert.equal(upstreamRequest.headers['x-title'], 'cliproxy tests');
    assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS.my_custom}`);
    assert.equal(upstreamRequest.rawBody.toString('utf8'), '{"model":"real-model","messages":[]}');
  });

  test('provider keys from the environment: ${VAR} in api_keys, and GROQ_API_KEY with no api_keys at all', async (t) => {
    const harness = await startProxyHarness(t, {
      env: { MY_OPENAI_KEY: 'sk-from-env', GROQ_API_KEY: 'gk-from-env' },
      providers: (url) => ({
        openai: { endpoint: `${url}/v1`, api_keys: ['${MY_OPENAI_KEY}'], models: [{ name: 'gpt-4.1-nano' }] },
        groq: { endpoint: `${url}/openai/v1` },
      }),
    });
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    harness.upstream.enqueue(CHAT_ROUTES.groq, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    assert.equal((await gatewayChat(harness, JSON.stringify({ model: 'openai/gpt-4.1-nano', messages: USER_MESSAGE }))).status, 200);
    const groqResponse = await gatewayChat(harness, JSON.stringify({ model: 'groq/llama-3.3-70b-versatile', messages: USER_MESSAGE }));
    assert.equal(groqResponse.status, 200, groqResponse.body.toString('utf8'));
    assert.deepEqual(
      harness.upstream.requests.map((request) => [request.path, request.headers.authorization]),
      [
        ['/v1/chat/completions', 'Bearer sk-from-env'],
        ['/openai/v1/chat/completions', 'Bearer gk-from-env'],
      ],
    );
  });

  test('openai quirk: max_tokens becomes max_completion_tokens for o-series and gpt-5 models only', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.always(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    for (const model of ['o3-mini', 'o1', 'o4-mini', 'gpt-5-nano']) {
      const response = await gatewayChat(harness, JSON.stringify({ model: `openai/${model}`, messages: USER_MESSAGE, max_tokens: 100, temperature: 1 }));
      assert.equal(response.status, 200, response.body.toString('utf8'));
      const upstreamRequest = harness.upstream.requests.at(-1);
      assert.deepEqual(upstreamRequest?.body, { model, messages: USER_MESSAGE, max_completion_tokens: 100, temperature: 1 }, `for ${model}`);
    }
    const untouched = JSON.stringify({ model: 'openai/gpt-4.1-nano', messages: USER_MESSAGE, max_tokens: 100 });
    assert.equal((await gatewayChat(harness, untouched)).status, 200);
    assert.equal(harness.upstream.requests.at(-1)?.rawBody.toString('utf8'), untouched.replace('openai/gpt-4.1-nano', 'gpt-4.1-nano'));
  });

  test('mistral quirks: stream_options dropped, n:1 dropped, tool_choice "required" becomes "any"', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.always(CHAT_ROUTES.mistral, await fixtureResponse(fixtureUrl('tool-call-mistral.chunks.txt'), openAIChatFraming));
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
    const response = await gatewayChat(
      harness,
      JSON.stringify({
        model: 'mistral/mistral-small-latest',
        messages: USER_MESSAGE,
        stream: true,
        stream_options: { include_usage: true },
        n: 1,
        tool_choice: 'required',
        tools,
        temperature: 0.3,
      }),
    );
    assert.equal(response.status, 200, response.body.toString('utf8'));
    assert.ok(response.body.equals(await fixtureBytes('tool-call-mistral.chunks.txt')));
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS.mistral}`);
    assert.deepEqual(upstreamRequest.body, {
      model: 'mistral-small-latest',
      messages: USER_MESSAGE,
      stream: true,
      tool_choice: 'any',
      tools,
      temperature: 0.3,
    });

    // n other than 1 is the client's business and is kept; "auto" is left alone.
    const second = await gatewayChat(harness, JSON.stringify({ model: 'mistral/mistral-small-latest', messages: USER_MESSAGE, n: 2, tool_choice: 'auto', tools }));
    assert.equal(second.status, 200);
    assert.deepEqual(harness.upstream.requests.at(-1)?.body, { model: 'mistral-small-latest', messages: USER_MESSAGE, n: 2, tool_choice: 'auto', tools });
  });

  test('the quirks are Mistral’s own: groq receives stream_options, n and tool_choice untouched', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.groq, await fixtureResponse(fixtureUrl('tool-call-whole.chunks.txt'), openAIChatFraming));
    const clientBody = JSON.stringify({
      model: 'groq/llama-3.3-70b-versatile',
      messages: USER_MESSAGE,
      stream: true,
      stream_options: { include_usage: true },
      n: 1,
      tool_choice: 'required',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    assert.equal((await gatewayChat(harness, clientBody)).status, 200);
    assert.equal(onlyRequest(harness).rawBody.toString('utf8'), clientBody.replace('groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile'));
  });
});
