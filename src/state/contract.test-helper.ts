/**
 * The behaviour every state driver owes the rest of the gateway, as one suite that each
 * driver's test file runs against its own factory. The memory driver is the reference; the
 * expected usage figures come from usage-aggregate.ts, which that driver uses.
 *
 * Times are near the real clock because the Redis driver hands cooldown and lock expiry to
 * the server's clock; windows are a minute long so no key expires while a test runs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Cooldown, StateStore, UsageAggregate, UsageGroup, UsageQuery, UsageRecord } from './types.ts';
import { aggregateUsage, filterUsage } from './usage-aggregate.ts';

export interface ContractSubject {
  state: StateStore;
  /** Removes what the test left behind (Redis keys, temp dirs); the suite closes the state first. */
  cleanup?: () => Promise<void>;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export function cooldownFixture(overrides: Partial<Cooldown> & { key: string }): Cooldown {
  const [provider = 'openai', credential = 'openai#1', model = 'gpt-4o'] = overrides.key.split('|');
  const now = Date.now();
  return { provider, credential, model, since: now, until: now + 10 * MINUTE, reason: 'rate_limited', status: 429, message: 'slow down', strikes: 1, ...overrides };
}

/**
 * Usage spread over three days and many hours, every dimension varied, times unique (so
 * "newest first" has one answer) and not on hour boundaries.
 */
export function usageFixture(count = 120): UsageRecord[] {
  const base = Date.UTC(2026, 0, 5, 21, 0, 0);
  const models = ['gpt-4o', 'claude-sonnet', 'gemini-pro'];
  const providers = ['openai', 'anthropic', 'gemini', 'openrouter'];
  const clients = ['anonymous', 'a1b2c3d4e5f60718', '0f1e2d3c4b5a6978'];
  const records: UsageRecord[] = [];
  for (let index = 0; index < count; index++) {
    records.push({
      time: base + index * 37 * MINUTE + (index % 7) * 1013,
      client: clients[index % clients.length] as string,
      provider: providers[(index * 5) % providers.length] as string,
      credential: `cred-${index % 4}`,
      model: models[(index * 7) % models.length] as string,
      inputTokens: 100 + index * 3,
      outputTokens: 20 + (index % 11) * 5,
      cachedTokens: index % 3 === 0 ? 64 : 0,
      reasoningTokens: index % 4 === 0 ? 16 : 0,
      latencyMs: index % 5 === 0 ? 120.5 : 80 + index,
      status: index % 9 === 0 ? 429 : index % 13 === 0 ? 502 : 200,
    });
  }
  return records;
}

function expectedRecords(all: readonly UsageRecord[], query: UsageQuery): UsageRecord[] {
  return filterUsage(all, query).sort((a, b) => b.time - a.time).slice(0, query.limit ?? 1000);
}

function expectedGroups(all: readonly UsageRecord[], query: UsageQuery & { groupBy: UsageGroup }): UsageAggregate[] {
  return aggregateUsage(filterUsage(all, query), query.groupBy);
}

/** The queries whose answers must match the reference: every group with every kind of filter. */
export function usageQueries(records: readonly UsageRecord[]): UsageQuery[] {
  const first = (records[0] as UsageRecord).time;
  const last = (records[records.length - 1] as UsageRecord).time;
  const unalignedFrom = first + 5 * HOUR + 17 * MINUTE;
  const unalignedTo = last - 9 * HOUR - 41 * MINUTE;
  const alignedFrom = Math.ceil(unalignedFrom / HOUR) * HOUR;
  const alignedTo = Math.floor(unalignedTo / HOUR) * HOUR;
  const filters: UsageQuery[] = [
    {},
    { model: 'gpt-4o' },
    { provider: 'anthropic', client: 'anonymous' },
    { from: unalignedFrom, to: unalignedTo },
    { from: alignedFrom, to: alignedTo },
    { from: unalignedFrom },
    { to: unalignedTo, model: 'claude-sonnet' },
    // Inside one hour: nothing but partial buckets.
    { from: first + 2 * HOUR + 5 * MINUTE, to: first + 2 * HOUR + 50 * MINUTE },
    { model: 'no-such-model' },
  ];
  const groups: UsageGroup[] = ['hour', 'day', 'model', 'provider', 'client'];
  const out: UsageQuery[] = [];
  for (const filter of filters) for (const groupBy of groups) out.push({ ...filter, groupBy });
  return out;
}

/** Asserts that `state` answers every usage query as the reference does for `records`. */
export async function assertUsageMatches(state: StateStore, records: readonly UsageRecord[]): Promise<void> {
  for (const query of usageQueries(records)) {
    const actual = await state.queryUsage(query);
    assert.deepEqual(actual, expectedGroups(records, query as UsageQuery & { groupBy: UsageGroup }), `groupBy ${JSON.stringify(query)}`);
  }
}

/**
 * Registers the contract suite for one driver. `open` makes a fresh, empty store for each
 * test; the suite closes it and then runs its cleanup.
 */
export function stateContract(name: string, open: () => Promise<ContractSubject>, options: { healthy?: boolean } = {}): void {
  const healthy = options.healthy ?? true;
  async function withState(body: (state: StateStore) => Promise<void>): Promise<void> {
    const subject = await open();
    try {
      await body(subject.state);
    } finally {
      await subject.state.close();
      await subject.cleanup?.();
    }
  }

  describe(`state contract: ${name}`, () => {
    test(healthy ? 'reports itself healthy' : 'reports itself degraded', () => withState(async (state) => {
      const health = state.health();
      assert.equal(health.ok, healthy);
      assert.equal(health.driver, state.driver);
    }));

    test('stores, lists and expires cooldowns', () => withState(async (state) => {
      const now = Date.now();
      const live = cooldownFixture({ key: 'openai|openai#1|gpt-4o', until: now + 10 * MINUTE, strikes: 3 });
      const ending = cooldownFixture({ key: 'openai|openai#2|gpt-4o', until: now + 2 * MINUTE, reason: 'upstream_error', status: null, message: '' });
      assert.equal(await state.getCooldown(live.key), undefined);
      await state.setCooldown(live);
      await state.setCooldown(ending);
      assert.deepEqual(await state.getCooldown(live.key), live);
      assert.deepEqual(await state.getCooldown(ending.key), ending);
      assert.equal(await state.strikes(live.key), 3);
      const listed = await state.listCooldowns(now);
      assert.deepEqual(listed.map((cooldown) => cooldown.key).sort(), [live.key, ending.key].sort());
      // Once `ending` is over it is no longer listed, but its strike count outlives it.
      const later = await state.listCooldowns(now + 5 * MINUTE);
      assert.deepEqual(later, [live]);
      assert.equal(await state.getCooldown(ending.key), undefined);
      assert.equal(await state.strikes(ending.key), 1);
      // A newer cooldown for the same key replaces the old one.
      const renewed = { ...live, until: now + 20 * MINUTE, strikes: 4 };
      await state.setCooldown(renewed);
      assert.deepEqual(await state.getCooldown(live.key), renewed);
      assert.equal(await state.strikes(live.key), 4);
    }));

    test('clears cooldowns by key and by filter, with their strikes', () => withState(async (state) => {
      const keys = ['openai|k1|gpt-4o', 'openai|k1|gpt-4o-mini', 'openai|k2|gpt-4o', 'anthropic|k3|claude'];
      for (const key of keys) await state.setCooldown(cooldownFixture({ key, strikes: 2 }));
      assert.equal(await state.clearCooldowns({ key: 'nobody|none|none' }), 0);
      assert.equal(await state.clearCooldowns({ key: 'openai|k2|gpt-4o' }), 1);
      assert.equal(await state.getCooldown('openai|k2|gpt-4o'), undefined);
      assert.equal(await state.strikes('openai|k2|gpt-4o'), 0);
      assert.equal(await state.clearCooldowns({ provider: 'openai', model: 'gpt-4o' }), 1);
      assert.equal(await state.getCooldown('openai|k1|gpt-4o'), undefined);
      assert.notEqual(await state.getCooldown('openai|k1|gpt-4o-mini'), undefined);
      assert.equal(await state.clearCooldowns({ credential: 'k3' }), 1);
      await state.setCooldown(cooldownFixture({ key: 'gemini|k4|pro' }));
      assert.equal(await state.clearCooldowns(), 2);
      assert.deepEqual(await state.listCooldowns(Date.now()), []);
    }));

    test('resets strikes without touching the cooldown', () => withState(async (state) => {
      const cooldown = cooldownFixture({ key: 'openai|k1|gpt-4o', strikes: 5 });
      await state.setCooldown(cooldown);
      await state.resetStrikes(cooldown.key);
      assert.equal(await state.strikes(cooldown.key), 0);
      assert.deepEqual(await state.getCooldown(cooldown.key), cooldown);
      await state.resetStrikes('never|seen|key');
      assert.equal(await state.strikes('never|seen|key'), 0);
    }));

    test('reserves in a sliding window up to its limit', () => withState(async (state) => {
      const t0 = Date.now();
      const key = 'provider:openai:rpm';
      for (let index = 0; index < 3; index++) {
        const reservation = await state.reserve(key, 3, MINUTE, 1, t0 + index * 10);
        assert.equal(reservation.allowed, true);
        assert.equal(reservation.used, index + 1);
        assert.equal(reservation.retryAfterMs, 0);
        assert.equal(typeof reservation.id, 'string');
      }
      const refused = await state.reserve(key, 3, MINUTE, 1, t0 + 30);
      assert.deepEqual(refused, { allowed: false, used: 3, retryAfterMs: MINUTE - 30, id: undefined });
      // Another key is another window.
      assert.equal((await state.reserve('provider:other:rpm', 3, MINUTE, 1, t0 + 30)).allowed, true);
      // The first entry leaves the window exactly `windowMs` after it entered.
      assert.equal(await state.windowUsage(key, MINUTE, t0 + MINUTE), 2);
      const after = await state.reserve(key, 3, MINUTE, 1, t0 + MINUTE);
      assert.equal(after.allowed, true);
      assert.equal(after.used, 3);
    }));

    test('computes how long until enough of the window has left', () => withState(async (state) => {
      const t0 = Date.now();
      const key = 'credential:openai#1:tpm';
      await state.reserve(key, 100, MINUTE, 10, t0);
      await state.reserve(key, 100, MINUTE, 30, t0 + 1000);
      await state.reserve(key, 100, MINUTE, 50, t0 + 2000);
      // 90 used, 45 more exceeds by 35: the first two entries (10 + 30) must leave.
      const refused = await state.reserve(key, 100, MINUTE, 45, t0 + 3000);
      assert.deepEqual(refused, { allowed: false, used: 90, retryAfterMs: 1000 + MINUTE - 3000, id: undefined });
      // More than the whole limit can never fit: the whole window.
      const never = await state.reserve('credential:empty:tpm', 100, MINUTE, 150, t0);
      assert.equal(never.allowed, false);
      assert.equal(never.used, 0);
      assert.equal(never.retryAfterMs, MINUTE);
      // A zero amount is always let through.
      const zero = await state.reserve(key, 100, MINUTE, 0, t0 + 3000);
      assert.equal(zero.allowed, true);
      assert.equal(zero.used, 90);
    }));

    test('adjusts a reserved amount and forgets unknown ids', () => withState(async (state) => {
      const t0 = Date.now();
      const key = 'client:team:tpm';
      const estimate = await state.reserve(key, 100, MINUTE, 80, t0);
      assert.equal(estimate.allowed, true);
      assert.equal((await state.reserve(key, 100, MINUTE, 30, t0 + 1)).allowed, false);
      await state.adjust(key, estimate.id as string, 20);
      assert.equal(await state.windowUsage(key, MINUTE, t0 + 2), 20);
      const second = await state.reserve(key, 100, MINUTE, 30, t0 + 3);
      assert.equal(second.allowed, true);
      assert.equal(second.used, 50);
      await state.adjust(key, 'no-such-id', 1000);
      await state.adjust('client:nobody:tpm', 'no-such-id', 1000);
      assert.equal(await state.windowUsage(key, MINUTE, t0 + 4), 50);
      assert.equal(await state.windowUsage('client:nobody:tpm', MINUTE, t0 + 4), 0);
      // Released (adjusted to zero), the entry no longer counts.
      await state.adjust(key, second.id as string, 0);
      assert.equal(await state.windowUsage(key, MINUTE, t0 + 5), 20);
      assert.equal(await state.windowUsage(key, MINUTE, t0 + MINUTE), 0);
    }));

    test('increments counters independently', () => withState(async (state) => {
      assert.equal(await state.increment('rr:default'), 1);
      assert.equal(await state.increment('rr:default'), 2);
      assert.equal(await state.increment('rr:other'), 1);
      assert.equal(await state.increment('rr:default'), 3);
    }));

    test('returns usage records newest first, filtered and limited', () => withState(async (state) => {
      const records = usageFixture();
      for (const record of records) await state.recordUsage(record);
      const queries: UsageQuery[] = [
        {},
        { limit: 7 },
        { limit: 0 },
        { model: 'gemini-pro', limit: 500 },
        { provider: 'openai', client: 'anonymous' },
        { from: (records[10] as UsageRecord).time, to: (records[40] as UsageRecord).time },
        { from: (records[10] as UsageRecord).time + 1, model: 'gpt-4o', limit: 3 },
      ];
      for (const query of queries) assert.deepEqual(await state.queryUsage(query), expectedRecords(records, query), JSON.stringify(query));
    }));

    test('aggregates usage by hour, day, model, provider and client with any filter', () => withState(async (state) => {
      const records = usageFixture();
      for (const record of records) await state.recordUsage(record);
      await assertUsageMatches(state, records);
    }));

    test('counts a request recorded twice twice', () => withState(async (state) => {
      const record = (usageFixture(1))[0] as UsageRecord;
      await state.recordUsage(record);
      await state.recordUsage(record);
      const [aggregate] = await state.queryUsage({ groupBy: 'model' }) as UsageAggregate[];
      assert.equal(aggregate?.requests, 2);
      assert.equal((await state.queryUsage({})).length, 2);
    }));

    test('prunes old usage, in the middle of an hour too', () => withState(async (state) => {
      const records = usageFixture();
      for (const record of records) await state.recordUsage(record);
      const before = (records[50] as UsageRecord).time - 7 * MINUTE;
      const kept = records.filter((record) => record.time >= before);
      assert.equal(await state.pruneUsage(before), records.length - kept.length);
      assert.equal(await state.pruneUsage(before), 0);
      assert.deepEqual(await state.queryUsage({ limit: 10_000 }), expectedRecords(kept, { limit: 10_000 }));
      await assertUsageMatches(state, kept);
    }));

    test('imports usage idempotently', () => withState(async (state) => {
      const records = usageFixture(40);
      for (const record of records.slice(0, 20)) await state.recordUsage(record);
      // The first half is known already; the second half arrives twice in one batch.
      const batch = [...records, ...records.slice(20)];
      assert.equal(await state.importUsage(batch), 20);
      assert.equal(await state.importUsage(records), 0);
      assert.deepEqual(await state.queryUsage({}), expectedRecords(records, {}));
      await assertUsageMatches(state, records);
    }));

    test('stores documents', () => withState(async (state) => {
      assert.equal(await state.getDocument('oauth:claude#1'), undefined);
      await state.putDocument('oauth:claude#1', '{"access_token":"a"}');
      assert.equal(await state.getDocument('oauth:claude#1'), '{"access_token":"a"}');
      await state.putDocument('oauth:claude#1', '{"access_token":"b"}');
      assert.equal(await state.getDocument('oauth:claude#1'), '{"access_token":"b"}');
      assert.equal(await state.getDocument('oauth:claude#2'), undefined);
    }));

    test('locks exclusively until released or expired', () => withState(async (state) => {
      const release = await state.tryLock('refresh:claude#1', 60_000);
      assert.equal(typeof release, 'function');
      assert.equal(await state.tryLock('refresh:claude#1', 60_000), undefined);
      assert.equal(typeof await state.tryLock('refresh:claude#2', 60_000), 'function');
      await release?.();
      const again = await state.tryLock('refresh:claude#1', 30);
      assert.equal(typeof again, 'function');
      // Expiry: wait well past the ttl, then another holder may take it.
      await new Promise((resolve) => setTimeout(resolve, 120));
      const taken = await state.tryLock('refresh:claude#1', 60_000);
      assert.equal(typeof taken, 'function');
      // The expired holder's release must not free the new holder's lock.
      await again?.();
      assert.equal(await state.tryLock('refresh:claude#1', 60_000), undefined);
    }));
  });
}
