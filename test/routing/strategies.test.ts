/**
 * Every strategy's distribution over many requests (issue 4, "Candidates and selection"),
 * counted from what the fake upstream received (provider × credential, by bearer key).
 * Randomness is injected; latency differences are made with small real delays, and only
 * the choices they lead to are asserted, never durations.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangingResponse } from '../helpers/fake-upstream.ts';
import {
  chat, chatMany, chatRoute, chatTargets, counts, eventually, failure, heldChat, okResponse, providerStatus, startRoutingHarness,
} from '../helpers/routing-harness.ts';

const MANY = 300;

function allOk(statuses: number[]): void {
  assert.deepEqual(statuses.filter((status) => status !== 200), [], 'some requests failed');
}

describe('strategy distributions', () => {
  test(`round_robin: ${MANY} requests spread evenly over provider × credential`, async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'round_robin' },
      providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
    });
    allOk(await chatMany(harness, MANY));
    assert.deepEqual(counts(chatTargets(harness.upstream)), { 'a:ka1': 100, 'a:ka2': 100, 'b:kb1': 100 });
    // And strictly in turn, not merely evenly in total.
    const targets = chatTargets(harness.upstream);
    for (let index = 3; index < targets.length; index++) assert.equal(targets[index], targets[index - 3]);
  });

  test('round_robin under concurrency: 60 parallel requests, 20 per candidate', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'round_robin' },
      providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
    });
    const responses = await Promise.all(Array.from({ length: 60 }, () => chat(harness)));
    allOk(responses.map((response) => response.status));
    assert.deepEqual(counts(chatTargets(harness.upstream)), { 'a:ka1': 20, 'a:ka2': 20, 'b:kb1': 20 });
  });

  test('round_robin with one credential cooling: the others share its turns evenly', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'round_robin' },
      providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
    });
    // The first request starts the rotation at a#2, which fails (401: 30 min) and passes to b#1.
    harness.upstream.enqueue(chatRoute('a'), failure(401));
    allOk(await chatMany(harness, 1));
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka2', 'b:kb1']);
    allOk(await chatMany(harness, 90));
    assert.deepEqual(counts(chatTargets(harness.upstream).slice(2)), { 'a:ka1': 45, 'b:kb1': 45 });
  });

  test('priority (120 requests): the best tier only, round robin inside it; the next tier once the best one cools', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'priority' },
      providers: { low: { keys: ['kl1'], priority: 0 }, a: { keys: ['ka1', 'ka2'], priority: 10 }, b: { keys: ['kb1', 'kb2'], priority: 5 } },
    });
    allOk(await chatMany(harness, 120));
    assert.deepEqual(counts(chatTargets(harness.upstream)), { 'a:ka1': 60, 'a:ka2': 60 });
    harness.upstream.enqueue(chatRoute('a'), failure(401), failure(401));
    allOk(await chatMany(harness, 60));
    const after = chatTargets(harness.upstream).slice(120 + 2);
    assert.deepEqual(counts(after), { 'b:kb1': 30, 'b:kb2': 30 });
  });

  test('priority with one credential of the best tier cooling: the rest of the tier shares its turns evenly', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'priority' },
      providers: { a: { keys: ['ka1', 'ka2', 'ka3'], priority: 10 }, b: { keys: ['kb1', 'kb2'], priority: 0 } },
    });
    // The first request starts the rotation at a#2, which fails (403: 30 min) and passes to a#3.
    harness.upstream.enqueue(chatRoute('a'), failure(403));
    allOk(await chatMany(harness, 1));
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka2', 'a:ka3']);
    allOk(await chatMany(harness, 60));
    assert.deepEqual(counts(chatTargets(harness.upstream).slice(2)), { 'a:ka1': 30, 'a:ka3': 30 });
  });

  for (const strategy of ['fill_first', 'capability'] as const) {
    test(`${strategy} (100 requests): always the first healthy candidate in configuration order`, async (t) => {
      const harness = await startRoutingHarness(t, {
        routing: { strategy },
        providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
      });
      allOk(await chatMany(harness, 100));
      assert.deepEqual(counts(chatTargets(harness.upstream)), { 'a:ka1': 100 });
      harness.upstream.enqueue(chatRoute('a'), failure(403));
      allOk(await chatMany(harness, 30));
      assert.deepEqual(counts(chatTargets(harness.upstream).slice(100)), { 'a:ka1': 1, 'a:ka2': 30 });
    });
  }

  test(`weighted: ${MANY} requests in proportion to provider weight × credential weight (1 : 2 : 3)`, async (t) => {
    const harness = await startRoutingHarness(t, {
      // One attempt per request, so each request takes exactly one draw.
      routing: { strategy: 'weighted', max_attempts: 1 },
      providers: { a: { keys: ['ka1', { key: 'ka2', weight: 2 }], weight: 1 }, b: { keys: ['kb1'], weight: 3 } },
    });
    // A deterministic, evenly spread random source: (k + 0.5) / MANY for k = 0 … MANY-1.
    let draw = 0;
    harness.time.setRandom(() => ((draw++ % MANY) + 0.5) / MANY);
    allOk(await chatMany(harness, MANY));
    assert.deepEqual(counts(chatTargets(harness.upstream)), { 'a:ka1': 50, 'a:ka2': 100, 'b:kb1': 150 });
  });

  test('weighted: a cooling pick falls through to the next candidate in order', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'weighted' },
      providers: { a: { keys: ['ka1'], weight: 1 }, b: { keys: ['kb1'], weight: 1 } },
    });
    harness.time.setRandom(() => 0.1); // always picks a first
    harness.upstream.enqueue(chatRoute('a'), failure(500));
    allOk(await chatMany(harness, 10));
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', ...Array<string>(10).fill('b:kb1')]);
  });

  test('weighted with one candidate cooling: its share is spread over the others by weight, not handed to its neighbour', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'weighted' },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] }, c: { keys: ['kc1'] } },
    });
    let seed = 7;
    harness.time.setRandom(() => {
      // A fixed pseudo-random sequence (a linear congruential generator).
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    });
    harness.upstream.always(chatRoute('a'), failure(401));
    // Cool a: send until a request has been tried at a.
    while (!chatTargets(harness.upstream).includes('a:ka1')) allOk(await chatMany(harness, 1));
    const start = chatTargets(harness.upstream).length;
    allOk(await chatMany(harness, 300));
    const spread = counts(chatTargets(harness.upstream).slice(start));
    assert.equal(spread['a:ka1'], undefined);
    const b = spread['b:kb1'] ?? 0;
    const c = spread['c:kc1'] ?? 0;
    assert.equal(b + c, 300);
    // Equal weights: about 150 each. Handing a's third to its neighbour b makes it 200 : 100.
    assert.ok(Math.abs(b - c) <= 40, `b ${b} : c ${c}`);
  });

  test('least_busy: requests go to the candidates with the fewest in flight', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'least_busy' },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] }, c: { keys: ['kc1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), hangingResponse());
    const first = heldChat(harness);
    t.after(() => first.abort());
    await harness.upstream.waitForRequests(1);
    allOk(await chatMany(harness, 20));
    assert.deepEqual(counts(chatTargets(harness.upstream)), { 'a:ka1': 1, 'b:kb1': 20 });

    // Now b's next answer hangs too: one more held request lands on b, then c takes the rest.
    harness.upstream.enqueue(chatRoute('b'), hangingResponse());
    const second = heldChat(harness);
    t.after(() => second.abort());
    await harness.upstream.waitForRequests(22);
    allOk(await chatMany(harness, 20));
    const afterSecond = chatTargets(harness.upstream).slice(21);
    assert.equal(afterSecond[0], 'b:kb1');
    assert.deepEqual(counts(afterSecond.slice(1)), { 'c:kc1': 20 });

    const status = await providerStatus(harness, 'a');
    assert.equal(status.body.in_flight, 1);
    first.abort();
    second.abort();
    assert.equal(await first.response, 'aborted');
    await eventually(async () => (await providerStatus(harness, 'a')).body.in_flight === 0 && (await providerStatus(harness, 'b')).body.in_flight === 0, 'in-flight figures back to 0');
    allOk(await chatMany(harness, 3));
    assert.deepEqual(chatTargets(harness.upstream).slice(-3), ['a:ka1', 'a:ka1', 'a:ka1']);
  });

  test('least_latency: untried candidates first, then the one with the lowest moving average', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'least_latency' },
      providers: { slow: { keys: ['ks1'] }, fast: { keys: ['kf1'] } },
      answerOk: false,
    });
    const ok = okResponse();
    harness.upstream.always(chatRoute('slow'), { ...ok, parts: [{ delayMs: 300 }, ...(ok.parts ?? [])] });
    harness.upstream.always(chatRoute('fast'), ok);
    allOk(await chatMany(harness, 20));
    const targets = chatTargets(harness.upstream);
    assert.deepEqual(targets.slice(0, 2), ['slow:ks1', 'fast:kf1'], 'untried candidates were not tried first');
    assert.deepEqual(counts(targets.slice(2)), { 'fast:kf1': 18 });
  });

  test('routing.model_strategies overrides the strategy per model', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'round_robin', model_strategies: { n: 'fill_first' } },
      providers: { a: { keys: ['ka1', 'ka2'] }, b: { keys: ['kb1'] } },
    });
    allOk(await chatMany(harness, 60, { model: 'n' }));
    assert.deepEqual(counts(chatTargets(harness.upstream)), { 'a:ka1': 60 });
    allOk(await chatMany(harness, 60, { model: 'm' }));
    assert.deepEqual(counts(chatTargets(harness.upstream).slice(60)), { 'a:ka1': 20, 'a:ka2': 20, 'b:kb1': 20 });
    const response = await chat(harness, { model: 'n' });
    assert.equal(response.headers.get('x-cliproxy-model'), 'n');
  });
});
