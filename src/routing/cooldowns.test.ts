import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CooldownBook, cooldownFor, DEFAULT_POLICY, policyFrom } from './cooldowns.ts';
import { MemoryState } from '../state/memory.ts';

const NOW = 1_700_000_000_000;
const failure = (status: number, extra: Record<string, unknown> = {}) => ({ status, code: 'upstream_error', message: 'failed', ...extra });

test('the defaults of PROTOCOLS.md: 429 backoff from 1 s, auth 30 min, 404 hours, 5xx 1 min', () => {
  assert.deepEqual(cooldownFor(failure(429), 1, DEFAULT_POLICY, NOW), { reason: 'rate_limited', durationMs: 1000 });
  assert.deepEqual(cooldownFor(failure(429), 2, DEFAULT_POLICY, NOW), { reason: 'rate_limited', durationMs: 2000 });
  assert.deepEqual(cooldownFor(failure(429), 5, DEFAULT_POLICY, NOW), { reason: 'rate_limited', durationMs: 16_000 });
  assert.equal(cooldownFor(failure(429), 40, DEFAULT_POLICY, NOW)?.durationMs, 30 * 60_000, 'capped');
  for (const status of [401, 402, 403]) assert.deepEqual(cooldownFor(failure(status), 1, DEFAULT_POLICY, NOW), { reason: 'auth_failed', durationMs: 30 * 60_000 });
  assert.deepEqual(cooldownFor(failure(404), 1, DEFAULT_POLICY, NOW), { reason: 'not_found', durationMs: 3 * 3_600_000 });
  for (const status of [408, 500, 502, 503, 504, 529]) assert.equal(cooldownFor(failure(status), 1, DEFAULT_POLICY, NOW)?.durationMs, 60_000);
  assert.equal(cooldownFor({ status: 502, code: 'upstream_unreachable', message: 'refused' }, 1, DEFAULT_POLICY, NOW)?.reason, 'unreachable');
  assert.equal(cooldownFor({ status: 504, code: 'upstream_timeout', message: 'slow' }, 1, DEFAULT_POLICY, NOW)?.reason, 'timeout');
  for (const status of [400, 413, 422, 499]) assert.equal(cooldownFor(failure(status), 1, DEFAULT_POLICY, NOW), undefined);
});

test('429 hints win over backoff, are capped, and floor at one second', () => {
  assert.equal(cooldownFor(failure(429, { headers: { 'retry-after': '20' } }), 3, DEFAULT_POLICY, NOW)?.durationMs, 20_000);
  assert.equal(cooldownFor(failure(429, { headers: { 'retry-after-ms': '200' } }), 1, DEFAULT_POLICY, NOW)?.durationMs, 1000);
  assert.equal(cooldownFor(failure(429, { headers: { 'retry-after': '86400' } }), 1, DEFAULT_POLICY, NOW)?.durationMs, 30 * 60_000);
  const body = JSON.stringify({ error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }] } });
  assert.equal(cooldownFor(failure(429, { body }), 1, DEFAULT_POLICY, NOW)?.durationMs, 37_000);
  assert.equal(cooldownFor(failure(429, { body: 'Please try again in 1m30s.' }), 1, DEFAULT_POLICY, NOW)?.durationMs, 90_000);
});

test('per-provider settings: durations, a fixed rate-limit duration, and disabled cooldowns', async () => {
  const policy = policyFrom({ default_duration: 600_000, rate_limit_duration: 5000, error_duration: 2000, not_found_duration: 7000 }, 100_000);
  assert.equal(cooldownFor(failure(401), 1, policy, NOW)?.durationMs, 600_000);
  assert.equal(cooldownFor(failure(429), 9, policy, NOW)?.durationMs, 5000);
  assert.equal(cooldownFor(failure(500), 1, policy, NOW)?.durationMs, 2000);
  assert.equal(cooldownFor(failure(404), 1, policy, NOW)?.durationMs, 7000);
  const book = new CooldownBook(new MemoryState(), () => NOW);
  assert.equal(await book.recordFailure({ provider: 'p', credential: 'c', model: 'm' }, failure(500), policyFrom({ enabled: false }, 1000)), undefined);
  assert.deepEqual(await book.list(), []);
});

test('strikes grow per consecutive 429 and a success clears cooldown and strikes', async () => {
  let now = NOW;
  const book = new CooldownBook(new MemoryState(), () => now);
  const target = { provider: 'openai', credential: 'openai#1', model: 'gpt-4o' };
  const first = await book.recordFailure(target, failure(429), DEFAULT_POLICY);
  assert.equal(first?.until, NOW + 1000);
  now += 1500;
  const second = await book.recordFailure(target, failure(429), DEFAULT_POLICY);
  assert.equal(second?.strikes, 2);
  assert.equal(second?.until, now + 2000);
  assert.equal((await book.active('openai|openai#1|gpt-4o'))?.reason, 'rate_limited');
  await book.recordSuccess('openai|openai#1|gpt-4o');
  assert.equal(await book.active('openai|openai#1|gpt-4o'), undefined);
  const fresh = await book.recordFailure(target, failure(429), DEFAULT_POLICY);
  assert.equal(fresh?.until, now + 1000, 'backoff starts over after a success');
  assert.equal(await book.clear({ provider: 'openai' }), 1);
});
