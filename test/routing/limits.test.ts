/**
 * Rate limits (issue 4, "Rate limits"): per provider, per credential and per client key,
 * sliding windows on the virtual clock; tokens reserved from an estimate and corrected with
 * the real usage; `reject` answers 429 with Retry-After, `wait` sleeps (recorded, not slept)
 * and then serves; `max_tokens_per_request` skips a provider, or refuses the request when
 * no provider allows it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangingResponse } from '../helpers/fake-upstream.ts';
import {
  CLIENT_KEY, chat, chatMany, chatRoute, chatTargets, clearCooldowns, eventually, failure, heldChat, providerStatus, startRoutingHarness,
} from '../helpers/routing-harness.ts';

/** What okResponse() reports as usage: 10 prompt + 5 completion tokens. */
const REAL_USAGE = 15;

type Windows = Record<string, Record<string, { used: number; limit: number }>>;

async function limitsOf(harness: Parameters<typeof providerStatus>[0], provider: string): Promise<Windows> {
  const status = await providerStatus(harness, provider);
  assert.equal(status.raw.status, 200);
  return status.body.limits as Windows;
}

describe('provider limits', () => {
  test('requests_per_minute: the third request in a minute gets 429 with Retry-After; a minute later it passes', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'], limits: { requests_per_minute: 2 } } } });
    assert.deepEqual(await chatMany(harness, 2), [200, 200]);
    harness.time.advance(10_000);
    const refused = await chat(harness);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '50');
    const error = (refused.json as { error: { code: string; type: string; message: string } }).error;
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.type, 'rate_limit_error');
    assert.match(error.message, /provider:a requests_per_minute/);
    assert.equal(harness.upstream.requests.length, 2);
    assert.deepEqual((await limitsOf(harness, 'a')).provider, { requests_per_minute: { used: 2, limit: 2 } });
    harness.time.advance(50_000);
    assert.equal((await chat(harness)).status, 200);
    assert.deepEqual((await limitsOf(harness, 'a')).provider, { requests_per_minute: { used: 1, limit: 2 } });
  });

  test('concurrent requests: exactly requests_per_minute of them pass, the rest get 429', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'], limits: { requests_per_minute: 3 } } } });
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => chat(harness)))).map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429, 429]);
    assert.equal(harness.upstream.requests.length, 3);
  });

  test('a provider at its limit is skipped (it gets nothing), the next candidate serves', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1', 'ka2'], limits: { requests_per_minute: 2 } }, b: { keys: ['kb1'] } },
    });
    assert.deepEqual(await chatMany(harness, 5), [200, 200, 200, 200, 200]);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka1', 'b:kb1', 'b:kb1', 'b:kb1']);
  });

  test('tokens_per_minute: the estimate is held while a request runs, then replaced by the real usage', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'], limits: { tokens_per_minute: 300 } } } });
    harness.upstream.enqueue(chatRoute('a'), hangingResponse());
    const held = heldChat(harness, { maxTokens: 100 });
    t.after(() => held.abort());
    await harness.upstream.waitForRequests(1);
    // The estimate is the gateway's own (prompt size plus the output cap): at least the cap.
    const estimate = (await limitsOf(harness, 'a')).provider?.tokens_per_minute?.used ?? 0;
    assert.ok(estimate >= 100 && estimate < 300, `estimate ${estimate}`);
    held.abort();
    // An attempt that never produced an answer gives its tokens back.
    await eventually(async () => (await limitsOf(harness, 'a')).provider?.tokens_per_minute?.used === 0, 'tokens released after the abort');

    // Four requests whose estimates (4 × at least 100) would overflow 300, but whose real use (4 × 15) does not.
    assert.deepEqual(await chatMany(harness, 4, { maxTokens: 100 }), [200, 200, 200, 200]);
    assert.deepEqual((await limitsOf(harness, 'a')).provider, { tokens_per_minute: { used: 4 * REAL_USAGE, limit: 300 } });
  });

  test('tokens_per_minute reject: a request whose estimate does not fit gets 429 with Retry-After', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'], limits: { tokens_per_minute: 150 } } } });
    harness.upstream.enqueue(chatRoute('a'), hangingResponse());
    const held = heldChat(harness, { maxTokens: 100 });
    t.after(() => held.abort());
    await harness.upstream.waitForRequests(1);
    harness.time.advance(15_000);
    const refused = await chat(harness, { maxTokens: 100 });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '45');
    assert.match((refused.json as { error: { message: string } }).error.message, /provider:a tokens_per_minute/);
    assert.equal(harness.upstream.requests.length, 1);
  });
});

describe('credential and client key limits', () => {
  test('a credential at its limit is skipped for the provider\'s next credential; its window is in the status', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: [{ key: 'ka1', name: 'one', limits: { requests_per_minute: 1 } }, 'ka2'] } },
    });
    assert.deepEqual(await chatMany(harness, 3), [200, 200, 200]);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2', 'a:ka2']);
    const limits = await limitsOf(harness, 'a');
    assert.deepEqual(limits.one, { requests_per_minute: { used: 1, limit: 1 } });
    assert.deepEqual(limits.provider, {});
  });

  test('windows are reserved all or nothing: a credential refusal gives the provider window its request back', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: [{ key: 'ka1', name: 'one', limits: { requests_per_minute: 1 } }, 'ka2'], limits: { requests_per_minute: 10 } } },
    });
    assert.deepEqual(await chatMany(harness, 3), [200, 200, 200]);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2', 'a:ka2']);
    const limits = await limitsOf(harness, 'a');
    assert.deepEqual(limits.provider, { requests_per_minute: { used: 3, limit: 10 } });
    assert.deepEqual(limits.one, { requests_per_minute: { used: 1, limit: 1 } });
  });

  test('every credential at its limit: 429 with Retry-After naming the credential window', async (t) => {
    const harness = await startRoutingHarness(t, {
      providers: { a: { keys: [{ key: 'ka1', name: 'one', limits: { requests_per_day: 1 } }] } },
    });
    assert.equal((await chat(harness)).status, 200);
    harness.time.advance(3_600_000);
    const refused = await chat(harness);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), String(23 * 3600));
    assert.match((refused.json as { error: { message: string } }).error.message, /credential:a\|one requests_per_day/);
  });

  test('client key limits: the key\'s third request in a minute is refused before any upstream; other keys are not affected', async (t) => {
    const harness = await startRoutingHarness(t, {
      apiKeys: [{ key: 'sk-team-key', name: 'team', limits: { requests_per_minute: 2 } }, CLIENT_KEY],
      providers: { a: { keys: ['ka1'] } },
    });
    assert.deepEqual(await chatMany(harness, 2, { key: 'sk-team-key' }), [200, 200]);
    harness.time.advance(20_000);
    const refused = await chat(harness, { key: 'sk-team-key' });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '40');
    const error = (refused.json as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'rate_limited');
    assert.match(error.message, /client key team/);
    assert.equal((await chat(harness)).status, 200);
    assert.equal(harness.upstream.requests.length, 3);
  });
});

describe('on_limit: wait', () => {
  test('a provider limit: the gateway sleeps until the window frees (injected sleep), then serves', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { on_limit: 'wait', max_wait: '2m' },
      providers: { a: { keys: ['ka1'], limits: { requests_per_minute: 1 } } },
      advanceOnSleep: true,
    });
    assert.equal((await chat(harness)).status, 200);
    harness.time.advance(15_000);
    assert.equal((await chat(harness)).status, 200);
    assert.deepEqual(harness.time.sleeps, [45_000]);
    assert.equal(harness.upstream.requests.length, 2);
  });

  test('a wait longer than routing.max_wait is not taken: 429 at once', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { on_limit: 'wait', max_wait: '30s' },
      providers: { a: { keys: ['ka1'], limits: { requests_per_minute: 1 } } },
      advanceOnSleep: true,
    });
    assert.equal((await chat(harness)).status, 200);
    const refused = await chat(harness);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '60');
    assert.deepEqual(harness.time.sleeps, []);
  });

  test('a client key limit: waits, then serves', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { on_limit: 'wait' },
      apiKeys: [{ key: CLIENT_KEY, name: 'team', limits: { requests_per_minute: 1 } }],
      providers: { a: { keys: ['ka1'] } },
      advanceOnSleep: true,
    });
    assert.equal((await chat(harness)).status, 200);
    harness.time.advance(55_000);
    assert.equal((await chat(harness)).status, 200);
    assert.deepEqual(harness.time.sleeps, [5_000]);
  });
});

describe('max_tokens_per_request', () => {
  test('a provider whose cap is below max_tokens is skipped; under the cap it serves', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1'], limits: { max_tokens_per_request: 100 } }, b: { keys: ['kb1'] } },
    });
    const big = await chat(harness, { maxTokens: 500 });
    assert.equal(big.status, 200);
    assert.equal(big.headers.get('x-cliproxy-provider'), 'b');
    const small = await chat(harness, { maxTokens: 100 });
    assert.equal(small.headers.get('x-cliproxy-provider'), 'a');
    assert.deepEqual(chatTargets(harness.upstream), ['b:kb1', 'a:ka1']);
  });

  test('no provider allows it: 400 invalid_request on max_tokens, no upstream call', async (t) => {
    const harness = await startRoutingHarness(t, {
      providers: { a: { keys: ['ka1'], limits: { max_tokens_per_request: 100 } }, b: { keys: ['kb1'], limits: { max_tokens_per_request: 200 } } },
    });
    const refused = await chat(harness, { maxTokens: 500 });
    assert.equal(refused.status, 400);
    const error = (refused.json as { error: { code: string; param: string; type: string } }).error;
    assert.equal(error.code, 'invalid_request');
    assert.equal(error.param, 'max_tokens');
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(harness.upstream.requests.length, 0);
  });
});

describe('reservations of requests that never reach an upstream', () => {
  test('a client key\'s token estimate is given back when the gateway itself refuses the request (every candidate cooling)', async (t) => {
    const harness = await startRoutingHarness(t, {
      apiKeys: [{ key: CLIENT_KEY, name: 'team', limits: { tokens_per_minute: 250 } }],
      providers: { a: { keys: ['ka1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(503));
    assert.equal((await chat(harness, { maxTokens: 100 })).status, 503);
    // Two requests the gateway answers itself (all candidates cooling): no upstream tokens used.
    // Were their estimates (2 × at least 100) still held, the next one would not fit in 250.
    for (let index = 0; index < 2; index++) {
      const cooling = await chat(harness, { maxTokens: 100 });
      assert.equal((cooling.json as { error: { code: string } }).error.code, 'all_candidates_cooling');
    }
    assert.equal(await clearCooldowns(harness), 1);
    const response = await chat(harness, { maxTokens: 100 });
    assert.equal(response.status, 200, `the refused requests still hold the client's tokens: ${response.body.toString('utf8')}`);
  });

  test('a client key\'s token estimate is given back when no provider allows max_tokens (400)', async (t) => {
    const harness = await startRoutingHarness(t, {
      // Three refused estimates (3 × at least 300) plus one of at least 100 overflow 990.
      apiKeys: [{ key: CLIENT_KEY, name: 'team', limits: { tokens_per_minute: 990 } }],
      providers: { a: { keys: ['ka1'], limits: { max_tokens_per_request: 100 } } },
    });
    for (let index = 0; index < 3; index++) assert.equal((await chat(harness, { maxTokens: 300 })).status, 400);
    const response = await chat(harness, { maxTokens: 100 });
    assert.equal(response.status, 200, `the refused requests still hold the client's tokens: ${response.body.toString('utf8')}`);
  });
});
