import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LimitBook } from './limits.ts';
import { MemoryState } from '../state/memory.ts';

function book() {
  let now = 1_000_000;
  const limits = new LimitBook(new MemoryState(), () => now);
  return { limits, advance: (ms: number) => { now += ms; } };
}

test('requests_per_minute is a sliding window: the oldest request frees the first slot', async () => {
  const { limits, advance } = book();
  const scope = [{ key: 'provider:p', limits: { requests_per_minute: 3 } }];
  for (let i = 0; i < 3; i++) {
    assert.equal((await limits.admit(scope, 0)).ok, true);
    advance(10_000);
  }
  const refused = await limits.admit(scope, 0);
  assert.equal(refused.ok, false);
  assert.equal(refused.limit, 'provider:p requests_per_minute');
  assert.equal(refused.retryAfterMs, 30_000, 'the first request (at 0 s) leaves the window at 60 s; now is 30 s');
  advance(30_000);
  assert.equal((await limits.admit(scope, 0)).ok, true);
});

test('tokens are estimated up front, corrected after, and a refusal in one window rolls back the others', async () => {
  const { limits } = book();
  const scopes = [
    { key: 'provider:p', limits: { tokens_per_minute: 1000, requests_per_minute: 100 } },
    { key: 'credential:p|k', limits: { requests_per_minute: 1 } },
  ];
  const first = await limits.admit(scopes, 900);
  assert.equal(first.ok, true);
  assert.deepEqual(await limits.usage(scopes[0] as never), { requests_per_minute: { used: 1, limit: 100 }, tokens_per_minute: { used: 900, limit: 1000 } });
  await limits.settle(first.held, 150);
  assert.equal((await limits.usage(scopes[0] as never)).tokens_per_minute?.used, 150, 'corrected to real usage');
  const second = await limits.admit(scopes, 100);
  assert.equal(second.ok, false);
  assert.equal(second.limit, 'credential:p|k requests_per_minute');
  assert.deepEqual(await limits.usage(scopes[0] as never), { requests_per_minute: { used: 1, limit: 100 }, tokens_per_minute: { used: 150, limit: 1000 } }, 'the provider windows were given back');
});

test('per-day windows and scopes without limits', async () => {
  const { limits, advance } = book();
  const scope = [{ key: 'client:team', limits: { requests_per_day: 2 } }, { key: 'provider:free', limits: undefined }];
  assert.equal((await limits.admit(scope, 10)).ok, true);
  assert.equal((await limits.admit(scope, 10)).ok, true);
  assert.equal((await limits.admit(scope, 10)).ok, false);
  advance(86_400_001);
  assert.equal((await limits.admit(scope, 10)).ok, true);
});
