/**
 * Cooldowns on a virtual clock (issue 4, "Cooldowns"; PROTOCOLS.md): exponential backoff of
 * repeated 429s, the cap, per-provider settings, the 429 a client gets when every candidate
 * cools (OpenAI and Anthropic shapes), clearing through the management API, expiry, and
 * probes that end a cooldown early. No test sleeps: time moves only when a test moves it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { jsonResponse } from '../helpers/fake-upstream.ts';
import { rawRequest } from '../helpers/http-client.ts';
import {
  CLIENT_KEY, EPOCH, chat, chatRoute, chatTargets, clearCooldowns, failure, lengthOf, listCooldowns, modelsRoute,
  onlyCooldown, startRoutingHarness,
} from '../helpers/routing-harness.ts';

const MINUTE = 60_000;

describe('cooldown lengths', () => {
  test('repeated 429s without a hint: 1 s, 2 s, 4 s, then capped by routing.max_cooldown; cooling requests never reach the upstream', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { max_cooldown: '5s' },
      providers: { a: { keys: ['ka1'] } },
      answerOk: false,
    });
    harness.upstream.always(chatRoute('a'), failure(429, 'Too many requests'));
    const lengths: number[] = [];
    for (let strike = 1; strike <= 4; strike++) {
      const response = await chat(harness);
      assert.equal(response.status, 429);
      const cooldown = onlyCooldown(await listCooldowns(harness), 'a', 'a#1');
      assert.equal(cooldown.strikes, strike);
      assert.equal(cooldown.reason, 'rate_limited');
      assert.equal(cooldown.status, 429);
      lengths.push(lengthOf(cooldown));
      // While it cools, the gateway answers itself.
      const cooling = await chat(harness);
      assert.equal(cooling.status, 429);
      assert.equal((cooling.json as { error: { code: string } }).error.code, 'all_candidates_cooling');
      assert.equal(harness.upstream.requests.length, strike);
      harness.time.advance(lengthOf(cooldown));
    }
    assert.deepEqual(lengths, [1_000, 2_000, 4_000, 5_000]);
  });

  test('a burst of concurrent 429s is one strike, not eight: the cooldown stays 1 s', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } }, answerOk: false });
    const slow429 = failure(429, 'Too many requests');
    // The body comes late, so every request of the burst is at the upstream before the first 429 lands.
    harness.upstream.always(chatRoute('a'), { ...slow429, parts: [{ delayMs: 100 }, ...(slow429.parts ?? [])] });
    const statuses = await Promise.all(Array.from({ length: 8 }, () => chat(harness)));
    assert.deepEqual(statuses.map((response) => response.status), Array<number>(8).fill(429));
    assert.equal(harness.upstream.requests.length, 8);
    const cooldown = onlyCooldown(await listCooldowns(harness), 'a', 'a#1');
    assert.equal(cooldown.strikes, 1);
    assert.equal(lengthOf(cooldown), 1_000);
    // The next episode escalates as usual.
    harness.time.advance(1_000);
    harness.upstream.always(chatRoute('a'), failure(429, 'Too many requests'));
    assert.equal((await chat(harness)).status, 429);
    assert.equal(lengthOf(onlyCooldown(await listCooldowns(harness), 'a', 'a#1')), 2_000);
  });

  test('a success resets the strikes: the next 429 without a hint cools 1 s again', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(429), failure(429));
    assert.equal((await chat(harness)).status, 429);
    harness.time.advance(1_000);
    assert.equal((await chat(harness)).status, 429);
    assert.equal(lengthOf(onlyCooldown(await listCooldowns(harness), 'a', 'a#1')), 2_000);
    harness.time.advance(2_000);
    assert.equal((await chat(harness)).status, 200);
    assert.deepEqual(await listCooldowns(harness), []);
    harness.upstream.enqueue(chatRoute('a'), failure(429));
    assert.equal((await chat(harness)).status, 429);
    assert.equal(lengthOf(onlyCooldown(await listCooldowns(harness), 'a', 'a#1')), 1_000);
  });

  test('hints are capped at 30 min by default (retry-after: 7200, retry-after-ms: 86400000)', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(429, 'later', { 'retry-after': '7200' }), failure(429, 'later', { 'retry-after-ms': '86400000' }));
    assert.equal((await chat(harness)).status, 200);
    const cooldowns = await listCooldowns(harness);
    assert.equal(lengthOf(onlyCooldown(cooldowns, 'a', 'a#1')), 30 * MINUTE);
    assert.equal(lengthOf(onlyCooldown(cooldowns, 'a', 'a#2')), 30 * MINUTE);
  });

  test('per-provider cooldown settings override the defaults; enabled: false earns none', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: {
        a: {
          keys: ['ka1', 'ka2', 'ka3', 'ka4'],
          cooldown: { rate_limit_duration: '45s', default_duration: '5m', error_duration: '10s', not_found_duration: '1h' },
        },
        off: { keys: ['ko1'], cooldown: { enabled: false } },
        b: { keys: ['kb1'] },
      },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(429), failure(401), failure(500), failure(404));
    harness.upstream.enqueue(chatRoute('off'), failure(500), failure(500));
    const response = await chat(harness);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-cliproxy-attempts'), '6');
    const cooldowns = await listCooldowns(harness);
    assert.deepEqual(
      cooldowns.map((cooldown) => `${cooldown.credential}:${cooldown.reason}:${lengthOf(cooldown)}`).sort(),
      ['a#1:rate_limited:45000', 'a#2:auth_failed:300000', 'a#3:upstream_error:10000', 'a#4:not_found:3600000'],
    );
    // `off` never cools, so the next request tries it again (and it fails again) before b.
    await chat(harness);
    assert.deepEqual(chatTargets(harness.upstream).slice(6), ['off:ko1', 'b:kb1']);
  });
});

describe('cooldowns are per credential and model', () => {
  test('a 404 for model m benches a#1 for m only: n is still served by a#1', async (t) => {
    const harness = await startRoutingHarness(t, { routing: { strategy: 'fill_first' }, providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(404, 'The model `m` does not exist or you do not have access to it.'));
    assert.equal((await chat(harness, { model: 'm' })).headers.get('x-cliproxy-provider'), 'b');
    assert.deepEqual((await listCooldowns(harness)).map((cooldown) => `${cooldown.provider}|${cooldown.credential}|${cooldown.model}`), ['a|a#1|m']);
    assert.equal((await chat(harness, { model: 'n' })).headers.get('x-cliproxy-provider'), 'a');
    assert.equal((await chat(harness, { model: 'm' })).headers.get('x-cliproxy-provider'), 'b');
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'b:kb1', 'a:ka1', 'b:kb1']);
  });

  test('credentials of one provider cool apart: a#1 benched, a#2 still serves', async (t) => {
    const harness = await startRoutingHarness(t, { routing: { strategy: 'fill_first' }, providers: { a: { keys: ['ka1', 'ka2'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(401));
    assert.equal((await chat(harness)).status, 200);
    assert.equal((await chat(harness)).status, 200);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2', 'a:ka2']);
  });
});

describe('cooldowns follow the credential, not its position', () => {
  test('removing a benched key from the config (reload) does not bench the key that takes its place', async (t) => {
    const harness = await startRoutingHarness(t, { routing: { strategy: 'fill_first' }, providers: { a: { keys: ['ka1', 'ka2'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(401, 'key revoked'));
    assert.equal((await chat(harness)).status, 200);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2']);
    // The operator drops the revoked key; ka2, healthy all along, is now the only one.
    const providers = harness.config.providers as Record<string, Record<string, unknown>>;
    await harness.gateway.reload({ ...harness.config, providers: { a: { ...providers.a, api_keys: ['ka2'] } } });
    const response = await chat(harness);
    assert.equal(response.status, 200, `ka2 inherited ka1's cooldown: ${response.body.toString('utf8')}`);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2', 'a:ka2']);
  });
});

describe('every candidate cooling', () => {
  test('OpenAI shape: 429, Retry-After to the first reset, a body naming the model, the providers and the reset time', async (t) => {
    const harness = await startRoutingHarness(t, { routing: { strategy: 'fill_first' }, providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(429, 'later', { 'retry-after': '120' }));
    harness.upstream.enqueue(chatRoute('b'), failure(500));
    assert.equal((await chat(harness)).status, 500);
    harness.time.advance(30_000);
    const response = await chat(harness);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '30');
    assert.equal(harness.upstream.requests.length, 2, 'a cooling candidate was called');
    const error = (response.json as { error: Record<string, unknown> }).error;
    const resetAt = new Date(EPOCH + MINUTE).toISOString();
    assert.equal(error.type, 'rate_limit_error');
    assert.equal(error.code, 'all_candidates_cooling');
    assert.equal(error.model, 'm');
    assert.deepEqual(error.providers, ['a', 'b']);
    assert.equal(error.reset_at, resetAt);
    const message = String(error.message);
    for (const fact of ['m', 'a', 'b', resetAt]) assert.ok(message.includes(fact), `the message does not name ${fact}: ${message}`);
  });

  test('through the OpenAI SDK: a RateLimitError (429) carrying Retry-After and the all_candidates_cooling code', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(429, 'later', { 'retry-after': '12' }));
    const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${harness.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const ask = (): Promise<unknown> => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hello there' }] });
    await assert.rejects(ask(), (error: unknown) => error instanceof OpenAI.RateLimitError && error.code === null);
    await assert.rejects(ask(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError, String(error));
      assert.equal(error.status, 429);
      assert.equal(error.code, 'all_candidates_cooling');
      assert.equal(error.headers.get('retry-after'), '12');
      return true;
    });
    assert.equal(harness.upstream.requests.length, 1);
  });

  test('Anthropic shape on /v1/messages: 429 rate_limit_error with Retry-After, naming the model, the providers and the reset time', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(401));
    harness.upstream.enqueue(chatRoute('b'), failure(401));
    const send = (): ReturnType<typeof rawRequest> => rawRequest(`${harness.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'Hello there' }] }),
    });
    assert.equal((await send()).status, 401);
    const response = await send();
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), String(30 * 60));
    const body = response.json as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'rate_limit_error');
    const resetAt = new Date(EPOCH + 30 * MINUTE).toISOString();
    for (const fact of ['model m', 'a (', 'b (', resetAt]) assert.ok(body.error.message.includes(fact), `the message does not name ${fact}: ${body.error.message}`);
    assert.equal(harness.upstream.requests.length, 2);
  });
});

describe('every candidate cooling, in the other client formats', () => {
  test('Gemini shape on :generateContent: RESOURCE_EXHAUSTED with RetryInfo; Responses shape on /v1/responses; both with Retry-After', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(429, 'later', { 'retry-after': '30' }));
    assert.equal((await chat(harness)).status, 429);
    const gemini = await rawRequest(`${harness.url}/v1beta/models/m:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': CLIENT_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hello there' }] }] }),
    });
    assert.equal(gemini.status, 429);
    assert.equal(gemini.headers.get('retry-after'), '30');
    const error = (gemini.json as { error: { code: number; status: string; message: string; details: Array<Record<string, unknown>> } }).error;
    assert.equal(error.code, 429);
    assert.equal(error.status, 'RESOURCE_EXHAUSTED');
    assert.ok(error.message.includes('model m'), error.message);
    assert.deepEqual(error.details.find((detail) => String(detail['@type']).endsWith('RetryInfo')), { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' });
    const responses = await rawRequest(`${harness.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', input: 'Hello there' }),
    });
    assert.equal(responses.status, 429);
    assert.equal(responses.headers.get('retry-after'), '30');
    assert.equal((responses.json as { error: { code: string } }).error.code, 'all_candidates_cooling');
    assert.equal(harness.upstream.requests.length, 1);
  });
});

describe('clearing and expiry', () => {
  test('the management key is needed to list or clear cooldowns', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } } });
    for (const method of ['GET', 'DELETE']) {
      const response = await rawRequest(`${harness.url}/v0/management/cooldowns`, { method, headers: { authorization: `Bearer ${CLIENT_KEY}` } });
      assert.ok(response.status === 401 || response.status === 403, `${method} with a client key: ${response.status}`);
    }
  });

  test('DELETE ?provider= clears that provider only; DELETE clears all; a cleared candidate is used at once', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] }, c: { keys: ['kc1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(401));
    harness.upstream.enqueue(chatRoute('b'), failure(401));
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'c');
    assert.equal((await listCooldowns(harness)).length, 2);
    assert.deepEqual((await listCooldowns(harness, '?provider=b')).map((cooldown) => cooldown.provider), ['b']);

    assert.equal(await clearCooldowns(harness, '?key=nope'), 0);
    assert.equal(await clearCooldowns(harness, '?provider=b'), 1);
    assert.deepEqual((await listCooldowns(harness)).map((cooldown) => cooldown.provider), ['a']);
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'b');

    harness.upstream.enqueue(chatRoute('b'), failure(403));
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'c');
    assert.equal(await clearCooldowns(harness), 2);
    assert.deepEqual(await listCooldowns(harness), []);
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'a');
  });

  test('once the clock passes `until` the candidate is used again (not a millisecond before)', async (t) => {
    const harness = await startRoutingHarness(t, { routing: { strategy: 'fill_first' }, providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(503));
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'b');
    const cooldown = onlyCooldown(await listCooldowns(harness), 'a', 'a#1');
    assert.equal(cooldown.remaining_seconds, 60);
    harness.time.advance(MINUTE - 1);
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'b');
    assert.equal((await listCooldowns(harness))[0]?.remaining_seconds, 1);
    harness.time.advance(1);
    assert.deepEqual(await listCooldowns(harness), []);
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'a');
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'b:kb1', 'b:kb1', 'a:ka1']);
  });

  test('prober.probeOnce() ends a cooldown when GET {endpoint}/models answers 200 with that credential, not when it fails', async (t) => {
    const harness = await startRoutingHarness(t, { routing: { strategy: 'fill_first' }, providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(401), failure(401));
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'b');
    assert.equal((await listCooldowns(harness)).length, 2);

    harness.upstream.enqueue(modelsRoute('a'), jsonResponse({ object: 'list', data: [{ id: 'm', object: 'model' }] }), failure(401));
    const cleared = await harness.gateway.prober.probeOnce();
    assert.deepEqual(cleared.map((key) => key.replace(/~[0-9a-f]+/, '')), ['a|a#1|m'], 'keys carry the credential fingerprint');
    const probes = harness.upstream.requests.filter((request) => request.method === 'GET');
    assert.deepEqual(probes.map((request) => `${request.path} ${String(request.headers.authorization)}`), ['/a/v1/models Bearer ka1', '/a/v1/models Bearer ka2']);
    const left = await listCooldowns(harness);
    assert.deepEqual(left.map((cooldown) => cooldown.credential), ['a#2']);
    assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'a');
    assert.deepEqual(chatTargets(harness.upstream).at(-1), 'a:ka1');
  });

  test('probes skip cooldowns that end within one probe interval (no cost for a short one)', async (t) => {
    const harness = await startRoutingHarness(t, { routing: { strategy: 'fill_first', probe_interval: '2m' }, providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } } });
    harness.upstream.enqueue(chatRoute('a'), failure(500));
    await chat(harness);
    harness.upstream.always(modelsRoute('a'), jsonResponse({ object: 'list', data: [] }));
    assert.deepEqual(await harness.gateway.prober.probeOnce(), []);
    assert.equal(harness.upstream.requests.filter((request) => request.method === 'GET').length, 0);
    assert.equal((await listCooldowns(harness)).length, 1);
  });
});
