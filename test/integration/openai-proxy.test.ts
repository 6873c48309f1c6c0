/**
 * Issue 2, OpenAI-compatible proxying end to end: the real gateway on a loopback port, a
 * loopback fake upstream behind it, and the official `openai` SDK (plus plain `fetch` for
 * raw bytes) in front. This file: what the upstream answers reaches the client exactly as
 * sent, streaming or not, success or error, and the SDK reads from it what the upstream
 * meant (text, tool calls fragmented and whole, parallel calls, reasoning, usage, refusal).
 * Sibling suites: openai-upstream-request, openai-client-errors, openai-upstream-failures,
 * openai-connections, openai-models, openai-provider-state.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APIError } from 'openai';
import { bytesResponse, fixtureResponse, jsonResponse, sentBody, streamResponse } from '../helpers/fake-upstream.ts';
import { openAIChatFraming } from '../helpers/sse-framing.ts';
import { summarizeChunks } from '../helpers/openai-chat-summary.ts';
import { CHAT_ROUTES, PROVIDER_KEYS, lastExchange, startProxyHarness } from '../helpers/gateway-harness.ts';
import {
  USER_MESSAGE,
  collect,
  fixtureBytes,
  fixtureJson,
  fixturePayloads,
  fixtureUrl,
  gatewayChat,
  onlyRequest,
  signal,
} from '../helpers/openai-proxy-kit.ts';

describe('non-streaming responses reach the client unchanged', () => {
  for (const name of ['text.json', 'tool-call.json', 'reasoning-content.json', 'refusal.json']) {
    test(`${name}: SDK-parsed value and raw bytes equal what the upstream sent`, async (t) => {
      const harness = await startProxyHarness(t);
      harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming));
      harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming));
      const expectedBytes = await fixtureBytes(name);

      const completion = await harness.client.chat.completions.create({ model: 'gpt-4.1-nano', messages: USER_MESSAGE }, signal());
      assert.deepEqual(completion, await fixtureJson(name));
      const exchange = lastExchange(harness);
      assert.equal(exchange.status, 200);
      assert.ok((await exchange.body).equals(expectedBytes), 'the SDK received other bytes than the upstream sent');

      const raw = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE }));
      assert.equal(raw.status, 200);
      assert.ok(raw.body.equals(expectedBytes), `fetch received other bytes than the upstream sent:\n${raw.body.toString('utf8')}`);
      assert.match(raw.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(harness.upstream.requests.length, 2);
    });
  }
});

describe('JSON bodies pass unchanged however the upstream frames them', () => {
  test('compact, pretty-printed with a content-length, and chunked in 16-byte writes without one', async (t) => {
    const harness = await startProxyHarness(t);
    const completion = await fixtureJson('tool-call.json');
    const pretty = JSON.stringify(completion, null, 4);
    harness.upstream.enqueue(
      CHAT_ROUTES.openai,
      jsonResponse(completion),
      bytesResponse(pretty, { headers: { 'content-type': 'application/json' } }),
      streamResponse(pretty, { split: 16, headers: { 'content-type': 'application/json' } }),
    );
    for (const expected of [JSON.stringify(completion), pretty, pretty]) {
      const parsed = await harness.client.chat.completions.create({ model: 'gpt-4.1-nano', messages: USER_MESSAGE }, signal());
      assert.deepEqual(parsed, completion);
      assert.equal((await lastExchange(harness).body).toString('utf8'), expected);
    }
    assert.equal(harness.upstream.requests.length, 3);
    assert.equal(harness.upstream.requests[2]?.sentChunks.length, Math.ceil(Buffer.byteLength(pretty) / 16));
  });
});

describe('streaming responses reach the client unchanged', () => {
  test('text stream with a usage chunk: chunks, text and usage as sent, bytes identical', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'text-usage.chunks.txt';
    // 7-byte writes cut through SSE events and through multi-byte UTF-8 characters.
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming, { split: 7 }));
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming, { split: 7 }));
    const payloads = await fixturePayloads(name);
    const expected = summarizeChunks(payloads);

    const stream = await harness.client.chat.completions.create(
      { model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true, stream_options: { include_usage: true } },
      signal(),
    );
    const chunks = await collect(stream);
    assert.deepEqual(chunks, payloads);
    const received = summarizeChunks(chunks);
    assert.equal(received.choices[0]?.content, 'Hello! Here is a café — naïve résumé, 日本語 and an emoji 🚀.');
    assert.equal(received.choices[0]?.content, expected.choices[0]?.content);
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.deepEqual(last?.usage, expected.usage);
    assert.equal(last?.usage?.total_tokens, 35);

    const exchange = lastExchange(harness);
    assert.match(exchange.headers.get('content-type') ?? '', /^text\/event-stream/);
    const sdkBytes = await exchange.body;
    const upstreamBytes = sentBody(harness.upstream.requests[0] ?? assert.fail('no upstream request'));
    assert.ok(upstreamBytes.equals(await fixtureBytes(name)));
    assert.ok(sdkBytes.equals(upstreamBytes), 'the SDK received other bytes than the upstream sent');

    const raw = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }));
    assert.equal(raw.status, 200);
    assert.ok(raw.body.equals(upstreamBytes), `fetch received other bytes than the upstream sent:\n${raw.body.toString('utf8').slice(0, 400)}`);
  });

  test('SDK stream helper accumulates the text and the usage the upstream sent', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'text-usage.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming));
    const expected = summarizeChunks(await fixturePayloads(name));

    const runner = harness.client.chat.completions.stream(
      { model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream_options: { include_usage: true } },
      signal(),
    );
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0]?.message.content, expected.choices[0]?.content);
    assert.equal(final.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(final.usage, expected.usage);
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));
  });

  test('raw SSE with comment lines and "data:" without a space passes byte for byte', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'text-comments.sse';
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming));
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming));

    const chunks = await collect(
      await harness.client.chat.completions.create({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }, signal()),
    );
    assert.deepEqual(chunks, await fixturePayloads(name));
    assert.equal(summarizeChunks(chunks).choices[0]?.content, 'Raw bytes pass.');
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));

    const raw = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }));
    assert.ok(raw.body.equals(await fixtureBytes(name)), `fetch received:\n${raw.body.toString('utf8')}`);
  });

  test('fragmented tool call (OpenAI): the SDK assembles the call the upstream streamed', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'tool-call-fragmented.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming));

    const argumentsDone: string[] = [];
    const runner = harness.client.chat.completions.stream({ model: 'gpt-4.1-nano', messages: USER_MESSAGE }, signal());
    runner.on('tool_calls.function.arguments.done', (event) => argumentsDone.push(event.arguments));
    const final = await runner.finalChatCompletion();
    assert.deepEqual(final.choices[0]?.message.tool_calls, [
      { id: 'call_fixtureWeather01', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris, FR","unit":"celsius"}' } },
    ]);
    assert.equal(final.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(argumentsDone, ['{"location":"Paris, FR","unit":"celsius"}']);
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));
  });

  test('whole tool call (Groq style) through groq/… reaches the SDK intact', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'tool-call-whole.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.groq, await fixtureResponse(fixtureUrl(name), openAIChatFraming));

    const final = await harness.client.chat.completions
      .stream({ model: 'groq/llama-3.3-70b-versatile', messages: USER_MESSAGE }, signal())
      .finalChatCompletion();
    assert.deepEqual(final.choices[0]?.message.tool_calls, [
      { id: 'call_fixtureWhole01', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Berlin","unit":"celsius"}' } },
    ]);
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.path, '/openai/v1/chat/completions');
    assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS.groq}`);
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));
  });

  test('whole tool calls without index or type (Mistral style) reach the SDK as sent', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'tool-call-mistral.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.mistral, await fixtureResponse(fixtureUrl(name), openAIChatFraming));
    const payloads = await fixturePayloads(name);

    const chunks = await collect(
      await harness.client.chat.completions.create({ model: 'mistral/mistral-small-latest', messages: USER_MESSAGE, stream: true }, signal()),
    );
    assert.deepEqual(chunks, payloads);
    const toolCalls = summarizeChunks(chunks).choices[0]?.toolCalls;
    assert.deepEqual(toolCalls, [
      { id: 'fxMistral1', type: undefined, name: 'get_weather', arguments: '{"location": "Lyon"}' },
      { id: 'fxMistral2', type: undefined, name: 'get_time', arguments: '{"timezone": "Europe/Paris"}' },
    ]);
    assert.deepEqual(toolCalls, summarizeChunks(payloads).choices[0]?.toolCalls);
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.path, '/mistral/v1/chat/completions');
    assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS.mistral}`);
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));
  });

  test('parallel tool calls: both calls, in index order, as streamed', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'parallel-tool-calls.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming, { split: 50 }));

    const final = await harness.client.chat.completions
      .stream({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, parallel_tool_calls: true }, signal())
      .finalChatCompletion();
    assert.deepEqual(final.choices[0]?.message.tool_calls, [
      { id: 'call_fixtureParA', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Tokyo"}' } },
      { id: 'call_fixtureParB', type: 'function', function: { name: 'get_stock_price', arguments: '{"ticker": "AAPL", "exchange": "NASDAQ"}' } },
    ]);
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));
  });

  test('reasoning_content deltas (DeepSeek) reach the SDK chunk by chunk', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'reasoning-content.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.deepseek, await fixtureResponse(fixtureUrl(name), openAIChatFraming));
    const payloads = await fixturePayloads(name);

    const chunks = await collect(
      await harness.client.chat.completions.create({ model: 'deepseek/deepseek-reasoner', messages: USER_MESSAGE, stream: true }, signal()),
    );
    assert.deepEqual(chunks, payloads);
    const summary = summarizeChunks(chunks).choices[0];
    assert.equal(summary?.reasoningContent, 'The userasks for 2+2.Adding: 2+2=4.');
    assert.equal(summary?.content, '2 + 2 = 4.');
    const upstreamRequest = onlyRequest(harness);
    assert.equal(upstreamRequest.path, '/deepseek/chat/completions');
    assert.deepEqual((upstreamRequest.body as { model?: unknown }).model, 'deepseek-reasoner');
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));
  });

  test('reasoning deltas (Groq) for a model whose own name has a slash: only the provider prefix is stripped', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'reasoning.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.groq, await fixtureResponse(fixtureUrl(name), openAIChatFraming));

    const chunks = await collect(
      await harness.client.chat.completions.create({ model: 'groq/qwen/qwen3-32b', messages: USER_MESSAGE, stream: true }, signal()),
    );
    assert.deepEqual(chunks, await fixturePayloads(name));
    const summary = summarizeChunks(chunks).choices[0];
    assert.equal(summary?.reasoning, 'Okay, the capital of France is Paris.');
    assert.equal(summary?.content, 'Paris.');
    const upstreamRequest = onlyRequest(harness);
    assert.equal((upstreamRequest.body as { model?: unknown }).model, 'qwen/qwen3-32b');
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));
  });

  test('refusal deltas: the SDK reports the refusal, no content', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'refusal.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming));

    const final = await harness.client.chat.completions.stream({ model: 'gpt-4.1-nano', messages: USER_MESSAGE }, signal()).finalChatCompletion();
    assert.equal(final.choices[0]?.message.refusal, "I'm sorry, I can't help with that request.");
    assert.equal(final.choices[0]?.message.content, null);
    assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(name)));
  });
});

describe('upstream errors keep their status and body', () => {
  const cases = [
    { file: 'error-400-invalid-request.json', status: 400, provider: 'openai', model: 'gpt-4.1-nano' },
    { file: 'error-401-invalid-api-key.json', status: 401, provider: 'openai', model: 'gpt-4.1-nano' },
    { file: 'error-404-model-not-found.json', status: 404, provider: 'openai', model: 'gpt-4.1-nano' },
    { file: 'error-429-rate-limit.json', status: 429, provider: 'openai', model: 'gpt-4.1-nano' },
    { file: 'error-500-server.json', status: 500, provider: 'openai', model: 'gpt-4.1-nano' },
    { file: 'error-503-groq.json', status: 503, provider: 'groq', model: 'groq/llama-3.3-70b-versatile' },
  ] as const;
  // Each check gets its own gateway: an upstream 429/5xx may put the credential in a
  // cooldown, and a second request would then meet the gateway's answer, not the upstream's.
  for (const { file, status, provider, model } of cases) {
    for (const stream of [false, true]) {
      test(`${status} from ${provider} (${stream ? 'streaming' : 'non-streaming'} request): the SDK sees the upstream's status and error`, async (t) => {
        const harness = await startProxyHarness(t);
        // `always`: should the gateway retry, it meets the same answer every time.
        harness.upstream.always(CHAT_ROUTES[provider], await fixtureResponse(fixtureUrl(file), openAIChatFraming, { status }));
        const upstreamError = ((await fixtureJson(file)) as { error: Record<string, unknown> }).error;

        const call = stream
          ? harness.client.chat.completions.create({ model, messages: USER_MESSAGE, stream: true }, signal()).then((sdkStream) => collect(sdkStream))
          : harness.client.chat.completions.create({ model, messages: USER_MESSAGE }, signal());
        await assert.rejects(call, (error: unknown) => {
          assert.ok(error instanceof APIError, `expected an APIError, got ${String(error)}`);
          assert.equal(error.status, status);
          assert.deepEqual(error.error, upstreamError);
          assert.equal(error.message, `${status} ${String(upstreamError.message)}`);
          return true;
        });
        assert.ok((await lastExchange(harness).body).equals(await fixtureBytes(file)), 'the error body was not passed on byte for byte');
        assert.equal(harness.upstream.unmatched.length, 0);
        assert.ok(harness.upstream.requests.length >= 1);
      });
    }

    test(`${status} from ${provider}: fetch receives the upstream's status and exact body`, async (t) => {
      const harness = await startProxyHarness(t);
      harness.upstream.always(CHAT_ROUTES[provider], await fixtureResponse(fixtureUrl(file), openAIChatFraming, { status }));
      const raw = await gatewayChat(harness, JSON.stringify({ model, messages: USER_MESSAGE }));
      assert.equal(raw.status, status);
      assert.ok(raw.body.equals(await fixtureBytes(file)), `fetch received:\n${raw.body.toString('utf8')}`);
      assert.match(raw.headers.get('content-type') ?? '', /^application\/json/);
    });
  }
});

describe('upstream errors that are not JSON', () => {
  test('a 502 HTML page from a proxy in front of the provider reaches the client with its status, body and content-type', async (t) => {
    const harness = await startProxyHarness(t);
    const page = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body>\r\n</html>\r\n';
    harness.upstream.always(CHAT_ROUTES.openai, bytesResponse(page, { status: 502, headers: { 'content-type': 'text/html' } }));
    const response = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE }));
    assert.equal(response.status, 502);
    assert.equal(response.body.toString('utf8'), page);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  });
});
