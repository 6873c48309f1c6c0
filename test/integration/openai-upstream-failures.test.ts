/**
 * Upstream failures (issue 2, section 7): unreachable (502), no first byte in time (504),
 * a stream that stalls or is reset midway (an in-stream error after the bytes already sent,
 * never a silently truncated stream), each leaving no upstream request open.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { hangingResponse, outcomeWithin, sentBody, streamResponse } from '../helpers/fake-upstream.ts';
import { parseServerSentEvents } from '../helpers/sse-framing.ts';
import { openAIErrorOf } from '../helpers/http-client.ts';
import { CHAT_ROUTES, PROVIDER_KEYS, startProxyHarness } from '../helpers/gateway-harness.ts';
import { USER_MESSAGE, closedPort, fixtureBytes, gatewayChat, onlyRequest, signal } from '../helpers/openai-proxy-kit.ts';

describe('upstream failures', () => {
  for (const stream of [false, true]) {
    test(`upstream unreachable (${stream ? 'streaming' : 'non-streaming'}): 502 upstream_unreachable`, async (t) => {
      const port = await closedPort();
      const harness = await startProxyHarness(t, {
        providers: () => ({ openai: { endpoint: `http://127.0.0.1:${port}/v1`, api_keys: [PROVIDER_KEYS.openai], models: [{ name: 'gpt-4.1-nano' }] } }),
      });
      const response = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream }));
      assert.equal(response.status, 502, response.body.toString('utf8'));
      const error = openAIErrorOf(response);
      assert.equal(error.code, 'upstream_unreachable');
      assert.ok(!error.message.includes(PROVIDER_KEYS.openai), 'the error message leaks the provider key');
    });
  }

  test('upstream unreachable, through the SDK: an InternalServerError with status 502', async (t) => {
    const port = await closedPort();
    const harness = await startProxyHarness(t, {
      providers: () => ({ openai: { endpoint: `http://127.0.0.1:${port}/v1`, api_keys: [PROVIDER_KEYS.openai], models: [{ name: 'gpt-4.1-nano' }] } }),
    });
    await assert.rejects(harness.client.chat.completions.create({ model: 'gpt-4.1-nano', messages: USER_MESSAGE }, signal()), (error: unknown) => {
      assert.ok(error instanceof OpenAI.InternalServerError, String(error));
      assert.equal(error.status, 502);
      assert.equal(error.code, 'upstream_unreachable');
      return true;
    });
  });

  for (const stream of [false, true]) {
    test(`no first byte within routing.timeouts.first_byte (${stream ? 'streaming' : 'non-streaming'}): 504 upstream_timeout, upstream request aborted`, async (t) => {
      const harness = await startProxyHarness(t, { config: { routing: { timeouts: { first_byte: '200ms' } } } });
      harness.upstream.always(CHAT_ROUTES.openai, hangingResponse());
      const response = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream }));
      assert.equal(response.status, 504, response.body.toString('utf8'));
      const error = openAIErrorOf(response);
      assert.equal(error.code, 'upstream_timeout');
      assert.equal(error.type, 'timeout_error');
      assert.ok(harness.upstream.requests.length >= 1);
      for (const upstreamRequest of harness.upstream.requests) {
        assert.equal(await outcomeWithin(upstreamRequest), 'aborted', 'the gateway left the timed-out upstream request open');
      }
    });
  }

  test('an upstream that stalls mid-stream past routing.timeouts.idle: the client gets what was sent, then an in-stream upstream_timeout', async (t) => {
    const harness = await startProxyHarness(t, { config: { routing: { timeouts: { idle: '300ms' } } } });
    harness.upstream.enqueue(CHAT_ROUTES.openai, streamResponse(await fixtureBytes('text-usage.chunks.txt'), { limitParts: 2, after: 'hang' }));
    const response = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }));
    assert.equal(response.status, 200);
    const upstreamRequest = onlyRequest(harness);
    assert.equal(await outcomeWithin(upstreamRequest), 'aborted', 'the stalled upstream request was left open');
    const sent = sentBody(upstreamRequest);
    assert.ok(response.body.subarray(0, sent.length).equals(sent), 'the events sent before the stall did not reach the client unchanged');
    const tail = parseServerSentEvents(response.body.subarray(sent.length).toString('utf8'));
    const errorEvent = tail.find((event) => event.data !== '[DONE]');
    assert.ok(errorEvent !== undefined, `no in-stream error event after the stall; the client got:\n${response.body.toString('utf8')}`);
    const payload = JSON.parse(errorEvent.data) as { error?: { code?: unknown } };
    assert.equal(payload.error?.code, 'upstream_timeout');
  });

  test('an upstream that resets mid-stream: the client gets what was sent, then an in-stream error, never a silent cut', async (t) => {
    const harness = await startProxyHarness(t);
    const name = 'text-usage.chunks.txt';
    harness.upstream.enqueue(CHAT_ROUTES.openai, streamResponse(await fixtureBytes(name), { limitParts: 3, after: 'reset' }));
    const response = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }));
    assert.equal(response.status, 200);
    const upstreamRequest = onlyRequest(harness);
    assert.equal(await outcomeWithin(upstreamRequest), 'reset');
    const sent = sentBody(upstreamRequest);
    assert.ok(response.body.subarray(0, sent.length).equals(sent), 'the events sent before the reset did not reach the client unchanged');
    const tail = parseServerSentEvents(response.body.subarray(sent.length).toString('utf8'));
    const errorEvent = tail.find((event) => event.data !== '[DONE]');
    assert.ok(errorEvent !== undefined, `no in-stream error event after the cut; the client got:\n${response.body.toString('utf8')}`);
    const payload = JSON.parse(errorEvent.data) as { error?: { code?: unknown; message?: unknown } };
    assert.equal(typeof payload.error?.message, 'string');
    assert.match(String(payload.error?.code), /^upstream_/);
  });

  for (const framing of ['content-length', 'chunked'] as const) {
    test(`a non-streaming body the upstream cuts short (${framing}) is never passed off as a whole 200`, async (t) => {
      const harness = await startProxyHarness(t);
      const bytes = await fixtureBytes('text.json');
      const lengthHeader: Record<string, string> = framing === 'content-length' ? { 'content-length': String(bytes.length) } : {};
      harness.upstream.enqueue(CHAT_ROUTES.openai, {
        status: 200,
        headers: { 'content-type': 'application/json', ...lengthHeader },
        parts: [bytes.subarray(0, 100)],
        after: 'reset',
      });
      // Either the client's read fails (the gateway cut the connection) or it gets an error
      // status; a 200 would present a truncated body as a whole one.
      const response = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE })).catch(
        (error: unknown) => error,
      );
      if (!(response instanceof Error)) {
        assert.ok(
          typeof response === 'object' && response !== null && 'status' in response && response.status !== 200,
          `the client got a "complete" 200: ${JSON.stringify(response)}`,
        );
      }
      assert.equal(await outcomeWithin(onlyRequest(harness)), 'reset');
    });
  }
});
