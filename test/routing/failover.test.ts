/**
 * Failover order (issue 4, "Fallbacks and retries"; PROTOCOLS.md, "Cooldown semantics"):
 * every fault an upstream can show before its first byte moves the request to the next
 * candidate in the strategy's order, benches the failed credential for as long as the fault
 * earns, and the response headers say who answered after how many attempts. Request errors
 * (400/413/422) are the client's own and go back to it untouched, tried nowhere else.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangingResponse, jsonResponse } from '../helpers/fake-upstream.ts';
import type { ScriptedResponse } from '../helpers/fake-upstream.ts';
import { startResettingServer } from '../helpers/fault-servers.ts';
import { closedPort } from '../helpers/openai-proxy-kit.ts';
import { rawRequest } from '../helpers/http-client.ts';
import {
  CLIENT_KEY, EPOCH, chat, chatRoute, chatTargets, failure, lengthOf, listCooldowns, onlyCooldown, startRoutingHarness,
} from '../helpers/routing-harness.ts';

const MINUTE = 60_000;

interface StatusFault {
  name: string;
  response: ScriptedResponse;
  reason: string;
  lengthMs: number;
}

const geminiRetryInfo = {
  error: {
    code: 429,
    message: 'Resource has been exhausted (e.g. check quota).',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' },
    ],
  },
};

const STATUS_FAULTS: StatusFault[] = [
  { name: '429 retry-after: 7 (seconds)', response: failure(429, 'slow down', { 'retry-after': '7' }), reason: 'rate_limited', lengthMs: 7_000 },
  { name: '429 retry-after: an HTTP date 90 s ahead', response: failure(429, 'slow down', { 'retry-after': new Date(EPOCH + 90_000).toUTCString() }), reason: 'rate_limited', lengthMs: 90_000 },
  { name: '429 retry-after-ms: 2500', response: failure(429, 'slow down', { 'retry-after-ms': '2500' }), reason: 'rate_limited', lengthMs: 2_500 },
  { name: '429 Gemini RetryInfo.retryDelay 37s in the body', response: jsonResponse(geminiRetryInfo, { status: 429 }), reason: 'rate_limited', lengthMs: 37_000 },
  { name: '429 "Please try again in 20s" in the error text', response: failure(429, 'Rate limit reached for gpt-4o in organization org-x on requests per min (RPM): Limit 3, Used 3. Please try again in 20s.'), reason: 'rate_limited', lengthMs: 20_000 },
  { name: '429 without a hint (first strike: 1 s)', response: failure(429, 'Too many requests'), reason: 'rate_limited', lengthMs: 1_000 },
  { name: '429 x-ratelimit-reset-requests: 6m0s (OpenAI)', response: failure(429, 'Rate limit reached', { 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-reset-tokens': '1.5s' }), reason: 'rate_limited', lengthMs: 6 * MINUTE },
  { name: '401', response: failure(401, 'Incorrect API key provided'), reason: 'auth_failed', lengthMs: 30 * MINUTE },
  { name: '402', response: failure(402, 'Insufficient balance'), reason: 'auth_failed', lengthMs: 30 * MINUTE },
  { name: '403', response: failure(403, 'Forbidden'), reason: 'auth_failed', lengthMs: 30 * MINUTE },
  { name: '404', response: failure(404, 'The model `m` does not exist'), reason: 'not_found', lengthMs: 3 * 60 * MINUTE },
  { name: '408', response: failure(408, 'Request timeout'), reason: 'upstream_error', lengthMs: MINUTE },
  { name: '500', response: failure(500, 'Internal error'), reason: 'upstream_error', lengthMs: MINUTE },
  { name: '503', response: failure(503, 'Service unavailable'), reason: 'upstream_error', lengthMs: MINUTE },
];

describe('each fault before the first byte moves to the next candidate, in order', () => {
  for (const fault of STATUS_FAULTS) {
    test(`${fault.name}: a#1 → a#2 → b#1 answers; both a credentials cool (${fault.reason}, ${fault.lengthMs} ms)`, async (t) => {
      const harness = await startRoutingHarness(t, {
        routing: { strategy: 'fill_first' },
        providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
      });
      harness.upstream.enqueue(chatRoute('a'), fault.response, fault.response);
      const response = await chat(harness);
      assert.equal(response.status, 200, response.body.toString('utf8'));
      assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2', 'b:kb1']);
      assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
      assert.equal(response.headers.get('x-cliproxy-model'), 'm');
      assert.equal(response.headers.get('x-cliproxy-attempts'), '3');
      assert.equal((response.json as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'from b');

      const cooldowns = await listCooldowns(harness);
      assert.equal(cooldowns.length, 2, JSON.stringify(cooldowns));
      for (const credential of ['a#1', 'a#2']) {
        const cooldown = onlyCooldown(cooldowns, 'a', credential);
        assert.equal(cooldown.reason, fault.reason);
        assert.equal(cooldown.model, 'm');
        assert.equal(cooldown.since, new Date(EPOCH).toISOString());
        assert.equal(lengthOf(cooldown), fault.lengthMs);
      }

      // The cooled credentials are skipped: the next request goes straight to b.
      const next = await chat(harness);
      assert.equal(next.status, 200);
      assert.equal(next.headers.get('x-cliproxy-attempts'), '1');
      assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2', 'b:kb1', 'b:kb1']);
    });
  }

  test('round_robin: the failover order follows the rotation (a#2 first, then b#1 → a#1 → a#2 on the second request)', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'round_robin' },
      providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
    });
    assert.equal((await chat(harness)).headers.get('x-cliproxy-attempts'), '1');
    harness.upstream.enqueue(chatRoute('b'), failure(500));
    harness.upstream.enqueue(chatRoute('a'), failure(503));
    const response = await chat(harness);
    assert.equal(response.status, 200);
    const targets = chatTargets(harness.upstream);
    // The rotation over [a#1, a#2, b#1] moves one slot per request; each request fails over
    // along the rotation from its own starting slot.
    assert.deepEqual(targets, ['a:ka2', 'b:kb1', 'a:ka1', 'a:ka2']);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'a');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '3');
  });

  test('routing.max_attempts bounds the attempts: with 2, the third candidate is never tried and the last failure is returned', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first', max_attempts: 2 },
      providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(500, 'first'), failure(503, 'second'));
    const response = await chat(harness);
    assert.equal(response.status, 503);
    assert.equal((response.json as { error: { message: string } }).error.message, 'second');
    assert.equal(response.headers.get('x-cliproxy-provider'), 'a');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2']);
  });

  for (const status of [400, 413, 422]) {
    test(`${status} is the request's fault: the client gets the upstream's answer, the next candidate gets nothing, nothing cools`, async (t) => {
      const harness = await startRoutingHarness(t, {
        routing: { strategy: 'fill_first' },
        providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
      });
      const body = JSON.stringify({ error: { message: `bad request ${status}`, type: 'invalid_request_error', param: 'messages', code: 'bad' } });
      harness.upstream.enqueue(chatRoute('a'), { status, headers: { 'content-type': 'application/json' }, parts: [body] });
      const response = await chat(harness);
      assert.equal(response.status, status);
      assert.equal(response.body.toString('utf8'), body);
      assert.equal(response.headers.get('x-cliproxy-provider'), 'a');
      assert.equal(response.headers.get('x-cliproxy-attempts'), '1');
      assert.deepEqual(chatTargets(harness.upstream), ['a:ka1']);
      assert.deepEqual(await listCooldowns(harness), []);
    });
  }
});

describe('transport faults move on too', () => {
  test('connection refused (a closed port): both dead credentials, then b; cooldown unreachable, 1 min', async (t) => {
    const port = await closedPort();
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { dead: { keys: ['kd1', 'kd2'], endpoint: `http://127.0.0.1:${port}/v1` }, b: { keys: ['kb1'] } },
    });
    const response = await chat(harness);
    assert.equal(response.status, 200, response.body.toString('utf8'));
    assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '3');
    assert.deepEqual(chatTargets(harness.upstream), ['b:kb1']);
    const cooldowns = await listCooldowns(harness);
    for (const credential of ['dead#1', 'dead#2']) {
      const cooldown = onlyCooldown(cooldowns, 'dead', credential);
      assert.equal(cooldown.reason, 'unreachable');
      assert.equal(lengthOf(cooldown), MINUTE);
    }
  });

  test('every candidate unreachable: 502 upstream_unreachable, and the headers still say who was tried how often', async (t) => {
    const port = await closedPort();
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { dead: { keys: ['kd1', 'kd2'], endpoint: `http://127.0.0.1:${port}/v1` } },
    });
    const response = await chat(harness);
    assert.equal(response.status, 502);
    assert.equal((response.json as { error: { code: string } }).error.code, 'upstream_unreachable');
    assert.equal(response.headers.get('x-cliproxy-provider'), 'dead');
    assert.equal(response.headers.get('x-cliproxy-model'), 'm');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
  });

  test('a reset before the status line: next candidate; cooldown unreachable, 1 min', async (t) => {
    const resetting = await startResettingServer(t);
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { flaky: { keys: ['kf1'], endpoint: `${resetting.url}/v1` }, b: { keys: ['kb1'] } },
    });
    const response = await chat(harness);
    assert.equal(response.status, 200, response.body.toString('utf8'));
    assert.equal(resetting.received, 1);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
    const cooldown = onlyCooldown(await listCooldowns(harness), 'flaky', 'flaky#1');
    assert.equal(cooldown.reason, 'unreachable');
    assert.equal(lengthOf(cooldown), MINUTE);
  });

  test('no first byte within routing.timeouts.first_byte: next candidate; the slow request is aborted; cooldown timeout, 1 min', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first', timeouts: { first_byte: '150ms' } },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), hangingResponse());
    const response = await chat(harness);
    assert.equal(response.status, 200, response.body.toString('utf8'));
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'b:kb1']);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
    assert.equal(await harness.upstream.requests[0]?.outcome, 'aborted');
    const cooldown = onlyCooldown(await listCooldowns(harness), 'a', 'a#1');
    assert.equal(cooldown.reason, 'timeout');
    assert.equal(lengthOf(cooldown), MINUTE);
  });

  test('a streaming upstream that sends its status line but no first chunk within first_byte: next candidate', async (t) => {
    // The status line alone carries no content: nothing the client could not be spared.
    // Failing over here is what `first_byte` is for; the idle timeout (1 s here, 5 min by
    // default) is meant for gaps between chunks.
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first', timeouts: { first_byte: '150ms', idle: '1s' } },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), { status: 200, headers: { 'content-type': 'text/event-stream' }, parts: [], after: 'hang' });
    const body = 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
    harness.upstream.enqueue(chatRoute('b'), { status: 200, headers: { 'content-type': 'text/event-stream' }, parts: [body] });
    const response = await chat(harness, { stream: true });
    assert.equal(response.status, 200);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'b:kb1'], `the client got: ${response.body.toString('utf8')}`);
    assert.equal(response.body.toString('utf8'), body);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
  });

  test('a mixed chain across three providers: 429, 401, unreachable, 500, then an answer on the fifth attempt', async (t) => {
    const port = await closedPort();
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: {
        a: { keys: ['ka1', 'ka2'] },
        dead: { keys: ['kd1'], endpoint: `http://127.0.0.1:${port}/v1` },
        c: { keys: ['kc1', 'kc2'] },
      },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(429, 'slow', { 'retry-after': '3' }), failure(401));
    harness.upstream.enqueue(chatRoute('c'), failure(500));
    const response = await chat(harness);
    assert.equal(response.status, 200);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2', 'c:kc1', 'c:kc2']);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'c');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '5');
    const reasons = (await listCooldowns(harness)).map((cooldown) => `${cooldown.credential}:${cooldown.reason}:${lengthOf(cooldown)}`).sort();
    assert.deepEqual(reasons, ['a#1:rate_limited:3000', 'a#2:auth_failed:1800000', 'c#1:upstream_error:60000', 'dead#1:unreachable:60000']);
  });
});

describe('failover across formats and models', () => {
  test('a Gemini provider (translated path) answering 429 with RetryInfo: cooled for retryDelay, the next candidate serves', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: {
        gemini: { keys: ['kg1'], raw: (url) => ({ endpoint: `${url}/gemini`, api_keys: ['kg1'], models: [{ name: 'm' }] }) },
        b: { keys: ['kb1'] },
      },
    });
    harness.upstream.enqueue('POST /gemini/v1beta/models/m:generateContent', jsonResponse(geminiRetryInfo, { status: 429 }));
    const response = await chat(harness);
    assert.equal(response.status, 200, response.body.toString('utf8'));
    assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
    assert.deepEqual(harness.upstream.requests.map((request) => request.path), ['/gemini/v1beta/models/m:generateContent', '/b/v1/chat/completions']);
    assert.equal(harness.upstream.requests[0]?.headers['x-goog-api-key'], 'kg1');
    const cooldown = onlyCooldown(await listCooldowns(harness), 'gemini', 'gemini#1');
    assert.equal(cooldown.reason, 'rate_limited');
    assert.equal(lengthOf(cooldown), 37_000);
  });

  test('the last failure in another format (Anthropic client, OpenAI-compatible upstream 429): Retry-After and x-cliproxy-* reach the client', async (t) => {
    const harness = await startRoutingHarness(t, { routing: { strategy: 'fill_first' }, providers: { a: { keys: ['ka1', 'ka2'] } }, answerOk: false });
    harness.upstream.always(chatRoute('a'), failure(429, 'slow down', { 'retry-after': '30' }));
    const response = await rawRequest(`${harness.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'Hello there' }] }),
    });
    assert.equal(response.status, 429);
    assert.equal((response.json as { error: { type: string } }).error.type, 'rate_limit_error');
    assert.equal(response.headers.get('retry-after'), '30', 'the upstream\'s Retry-After was lost in translation');
    assert.equal(response.headers.get('x-cliproxy-provider'), 'a');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
  });

  test('routing.fallbacks: when every candidate of m fails, the fallback model n is tried; x-cliproxy-model names it', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first', fallbacks: { m: ['n'] } },
      providers: { a: { keys: ['ka1'], models: ['m'] }, b: { keys: ['kb1'], models: ['n'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(500));
    const response = await chat(harness);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
    assert.equal(response.headers.get('x-cliproxy-model'), 'n');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
    assert.deepEqual(harness.upstream.requests.map((request) => (request.body as { model: string }).model), ['m', 'n']);
    // While m cools at a, requests for m go straight to the fallback.
    const next = await chat(harness);
    assert.equal(next.headers.get('x-cliproxy-attempts'), '1');
    assert.equal(next.headers.get('x-cliproxy-model'), 'n');
  });
});
