/**
 * Client auth and bad input (issue 2, section 7): every way of sending the client key,
 * OpenAI-shaped 401/400/404/413 errors with stable codes, and none of it reaching the
 * upstream.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { fixtureResponse } from '../helpers/fake-upstream.ts';
import { openAIChatFraming } from '../helpers/sse-framing.ts';
import { openAIErrorOf, rawRequest } from '../helpers/http-client.ts';
import { CHAT_ROUTES, CLIENT_KEY, PROVIDER_KEYS, startProxyHarness } from '../helpers/gateway-harness.ts';
import {
  REQUEST_TIMEOUT_MS,
  USER_MESSAGE,
  assertClientKeyNotForwarded,
  fixtureUrl,
  gatewayChat,
  httpPost,
  onlyRequest,
  signal,
} from '../helpers/openai-proxy-kit.ts';

describe('client auth', () => {
  test('no key and a wrong key are refused with an OpenAI-shaped 401, and nothing reaches the upstream', async (t) => {
    const harness = await startProxyHarness(t);
    const body = JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE });
    const attempts: Array<{ label: string; url: string; headers: Record<string, string> }> = [
      { label: 'no key', url: `${harness.url}/v1/chat/completions`, headers: {} },
      { label: 'wrong Bearer', url: `${harness.url}/v1/chat/completions`, headers: { authorization: 'Bearer sk-wrong' } },
      { label: 'wrong x-api-key', url: `${harness.url}/v1/chat/completions`, headers: { 'x-api-key': 'sk-wrong' } },
      { label: 'wrong x-goog-api-key', url: `${harness.url}/v1/chat/completions`, headers: { 'x-goog-api-key': 'sk-wrong' } },
      { label: 'wrong ?key=', url: `${harness.url}/v1/chat/completions?key=sk-wrong`, headers: {} },
      { label: 'key with a suffix', url: `${harness.url}/v1/chat/completions`, headers: { authorization: `Bearer ${CLIENT_KEY}x` } },
    ];
    for (const attempt of attempts) {
      const response = await rawRequest(attempt.url, { method: 'POST', headers: { 'content-type': 'application/json', ...attempt.headers }, body });
      assert.equal(response.status, 401, `${attempt.label}: ${response.body.toString('utf8')}`);
      const error = openAIErrorOf(response);
      assert.equal(error.code, 'unauthorized', attempt.label);
      assert.equal(error.type, 'authentication_error', attempt.label);
    }
    for (const path of ['/v1/models', '/v1/models/gpt-4.1-nano', '/v1/providers', '/v1/providers/openai', '/v1/providers/openai/status', '/v1/capabilities?model=gpt-4.1-nano&feature=streaming']) {
      const response = await rawRequest(`${harness.url}${path}`);
      assert.equal(response.status, 401, `GET ${path} without a key: ${response.status}`);
      assert.equal(openAIErrorOf(response).code, 'unauthorized', path);
    }
    assert.equal(harness.upstream.requests.length, 0);
  });

  test('the SDK with a wrong key gets an AuthenticationError', async (t) => {
    const harness = await startProxyHarness(t);
    const client = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${harness.url}/v1`, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4.1-nano', messages: USER_MESSAGE }, signal()), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.code, 'unauthorized');
      return true;
    });
    assert.equal(harness.upstream.requests.length, 0);
  });

  test('Bearer, x-api-key, x-goog-api-key and ?key= are each accepted, and none reaches the upstream', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.always(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const body = JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE });
    const ways: Array<{ label: string; query: string; headers: Record<string, string> }> = [
      { label: 'Authorization: Bearer', query: '', headers: { authorization: `Bearer ${CLIENT_KEY}` } },
      { label: 'x-api-key', query: '', headers: { 'x-api-key': CLIENT_KEY } },
      { label: 'x-goog-api-key', query: '', headers: { 'x-goog-api-key': CLIENT_KEY } },
      { label: '?key=', query: `?key=${CLIENT_KEY}`, headers: {} },
    ];
    for (const [position, way] of ways.entries()) {
      const response = await rawRequest(`${harness.url}/v1/chat/completions${way.query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...way.headers },
        body,
      });
      assert.equal(response.status, 200, `${way.label}: ${response.body.toString('utf8')}`);
      const upstreamRequest = harness.upstream.requests[position];
      assert.ok(upstreamRequest !== undefined, `${way.label}: nothing reached the upstream`);
      assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS.openai}`, way.label);
      assertClientKeyNotForwarded(upstreamRequest);

      const models = await rawRequest(`${harness.url}/v1/models${way.query}`, { headers: way.headers });
      assert.equal(models.status, 200, `GET /v1/models with ${way.label}`);
    }
  });
});

describe('bad input is refused before any upstream call', () => {
  test('malformed JSON: 400 invalid_json', async (t) => {
    const harness = await startProxyHarness(t);
    const response = await gatewayChat(harness, '{"model": "gpt-4.1-nano", "messages": [');
    assert.equal(response.status, 400);
    const error = openAIErrorOf(response);
    assert.equal(error.code, 'invalid_json');
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(harness.upstream.requests.length, 0);
  });

  test('missing model: 400 missing_model, through the SDK as a BadRequestError', async (t) => {
    const harness = await startProxyHarness(t);
    const response = await gatewayChat(harness, JSON.stringify({ messages: USER_MESSAGE }));
    assert.equal(response.status, 400);
    assert.equal(openAIErrorOf(response).code, 'missing_model');
    const empty = await gatewayChat(harness, JSON.stringify({ model: '', messages: USER_MESSAGE }));
    assert.equal(empty.status, 400);
    assert.equal(openAIErrorOf(empty).code, 'missing_model');
    assert.equal(harness.upstream.requests.length, 0);
  });

  test('unknown model: 404 model_not_found naming a close match', async (t) => {
    const harness = await startProxyHarness(t);
    const response = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nanoo', messages: USER_MESSAGE }));
    assert.equal(response.status, 404);
    const error = openAIErrorOf(response);
    assert.equal(error.code, 'model_not_found');
    assert.ok(error.message.includes('gpt-4.1-nano'), `the message names no close match: ${error.message}`);
    assert.ok(error.message.includes('gpt-4.1-nanoo'), `the message does not name the requested model: ${error.message}`);

    const unknownPrefix = await gatewayChat(harness, JSON.stringify({ model: 'no-such-provider/gpt-4.1-nano', messages: USER_MESSAGE }));
    assert.equal(unknownPrefix.status, 404, unknownPrefix.body.toString('utf8'));
    assert.equal(openAIErrorOf(unknownPrefix).code, 'model_not_found');

    await assert.rejects(harness.client.chat.completions.create({ model: 'gpt-4.1-nanoo', messages: USER_MESSAGE }, signal()), (sdkError: unknown) => {
      assert.ok(sdkError instanceof OpenAI.NotFoundError, String(sdkError));
      assert.equal(sdkError.code, 'model_not_found');
      return true;
    });
    assert.equal(harness.upstream.requests.length, 0);
  });

  test('a body over max_body_size: 413 body_too_large; a body under it passes', async (t) => {
    const harness = await startProxyHarness(t, { config: { max_body_size: 1024 } });
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const big = JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'x'.repeat(4096) }] });
    const response = await gatewayChat(harness, big);
    assert.equal(response.status, 413);
    assert.equal(openAIErrorOf(response).code, 'body_too_large');
    assert.equal(harness.upstream.requests.length, 0);

    // Exactly at the limit passes; one byte over does not.
    const sized = (bytes: number): string => {
      const skeleton = JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: '' }] });
      return JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'x'.repeat(bytes - skeleton.length) }] });
    };
    assert.equal(Buffer.byteLength(sized(1024)), 1024);
    const atLimit = await gatewayChat(harness, sized(1024));
    assert.equal(atLimit.status, 200, `a body of exactly max_body_size was refused: ${atLimit.body.toString('utf8')}`);
    assert.equal(harness.upstream.requests.length, 1);
    assert.equal(harness.upstream.requests[0]?.rawBody.length, 1024);
    const overByOne = await gatewayChat(harness, sized(1025));
    assert.equal(overByOne.status, 413);
    assert.equal(openAIErrorOf(overByOne).code, 'body_too_large');
    assert.equal(harness.upstream.requests.length, 1);
  });

  test('the default limit is 32 MiB: 32 MiB passes, one byte more is 413', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const limit = 32 * 1024 * 1024;
    const sized = (bytes: number): string => {
      const skeleton = JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: '' }] });
      return JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'z'.repeat(bytes - skeleton.length) }] });
    };
    const atLimit = await gatewayChat(harness, sized(limit));
    assert.equal(atLimit.status, 200, atLimit.body.toString('utf8').slice(0, 300));
    assert.equal(onlyRequest(harness).rawBody.length, limit);
    const over = await gatewayChat(harness, sized(limit + 1));
    assert.equal(over.status, 413);
    assert.equal(openAIErrorOf(over).code, 'body_too_large');
    assert.equal(harness.upstream.requests.length, 1);
  });

  test('a chunked body (no content-length) over max_body_size: 413 body_too_large', async (t) => {
    const harness = await startProxyHarness(t, { config: { max_body_size: 1024 } });
    const result = await httpPost(`${harness.url}/v1/chat/completions`, {
      chunked: true,
      pieces: ['{"model":"gpt-4.1-nano","messages":[{"role":"user","content":"', ...Array.from({ length: 8 }, () => 'y'.repeat(512)), '"}]}'],
    });
    assert.equal(result.status, 413, result.body);
    assert.equal((JSON.parse(result.body) as { error: { code: string } }).error.code, 'body_too_large');
    assert.equal(harness.upstream.requests.length, 0);
  });
});
