/**
 * Backoff between retries (issue 4, "Fallbacks and retries"): exponential with full jitter
 * (`routing.backoff` base and max, randomness injected) when the next attempt goes to the
 * same provider that just failed, and none when it goes to a different provider. The
 * gateway's sleeps are recorded, never slept.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, chatRoute, chatTargets, failure, startRoutingHarness } from '../helpers/routing-harness.ts';

describe('backoff with jitter', () => {
  for (const [random, expected] of [[0.5, [50, 100, 200]], [0.25, [25, 50, 100]]] as const) {
    test(`same provider, base 100ms, random ${random}: sleeps ${expected.join(', ')} before its 2nd, 3rd, 4th credential; none before b`, async (t) => {
      const harness = await startRoutingHarness(t, {
        routing: { strategy: 'fill_first', backoff: { base: '100ms', max: '1s' } },
        providers: { a: { keys: ['ka1', 'ka2', 'ka3', 'ka4'] }, b: { keys: ['kb1'] } },
      });
      harness.time.setRandom(() => random);
      harness.upstream.enqueue(chatRoute('a'), failure(500), failure(502), failure(503), failure(500));
      const response = await chat(harness);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-cliproxy-attempts'), '5');
      assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'a:ka2', 'a:ka3', 'a:ka4', 'b:kb1']);
      assert.deepEqual(harness.time.sleeps, expected);
    });
  }

  test('routing.backoff.max caps the ceiling (base 400ms, max 500ms, random 0.5: 200, 250, 250)', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first', backoff: { base: '400ms', max: '500ms' } },
      providers: { a: { keys: ['ka1', 'ka2', 'ka3', 'ka4'] } },
      answerOk: false,
    });
    harness.upstream.always(chatRoute('a'), failure(500));
    assert.equal((await chat(harness)).status, 500);
    assert.deepEqual(harness.time.sleeps, [200, 250, 250]);
  });

  test('the default backoff (base 100ms, max 2s) applies when none is configured', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1', 'ka2'] } },
    });
    harness.time.setRandom(() => 1);
    harness.upstream.enqueue(chatRoute('a'), failure(429));
    assert.equal((await chat(harness)).status, 200);
    assert.deepEqual(harness.time.sleeps, [100]);
  });

  test('no backoff between different providers', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first', backoff: { base: '100ms', max: '1s' } },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] }, c: { keys: ['kc1'] }, d: { keys: ['kd1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(500));
    harness.upstream.enqueue(chatRoute('b'), failure(429));
    harness.upstream.enqueue(chatRoute('c'), failure(401));
    const response = await chat(harness);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'd');
    assert.deepEqual(harness.time.sleeps, []);
  });

  test('round robin alternating providers: no backoff although the same providers fail again', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'round_robin', backoff: { base: '100ms', max: '1s' } },
      providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1', 'kb2'] } },
    });
    // Configuration order is a#1, a#2, b#1, b#2; the first request starts the rotation at a#2.
    harness.upstream.enqueue(chatRoute('a'), failure(500));
    harness.upstream.enqueue(chatRoute('b'), failure(500), failure(500));
    const response = await chat(harness);
    assert.equal(response.status, 200);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka2', 'b:kb1', 'b:kb2', 'a:ka1']);
    // Only b#1 → b#2 stays on one provider.
    assert.deepEqual(harness.time.sleeps, [100]);
  });

  test('backoff base 0 turns it off', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first', backoff: { base: 0 } },
      providers: { a: { keys: ['ka1', 'ka2', 'ka3'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), failure(500), failure(500));
    assert.equal((await chat(harness)).status, 200);
    assert.deepEqual(harness.time.sleeps, []);
  });
});
