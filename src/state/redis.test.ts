import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cooldownFixture, stateContract, usageFixture } from './contract.test-helper.ts';
import { RedisState } from './redis.ts';
import { deleteKeys, randomPrefix, redisAnswers, redisClient, TEST_REDIS_URL } from './redis.test-helper.ts';

const reachable = await redisAnswers(TEST_REDIS_URL);

if (!reachable) {
  console.log(`# RedisState tests not registered: no Redis answers at ${TEST_REDIS_URL} (set CLIPROXY_TEST_REDIS_URL or start redis-server)`);
} else {
  stateContract('redis', async () => {
    const keyPrefix = randomPrefix();
    const state = await RedisState.connect({ url: TEST_REDIS_URL, keyPrefix });
    return { state, cleanup: async () => void await deleteKeys(TEST_REDIS_URL, keyPrefix) };
  });

  describe('RedisState across instances', () => {
    async function pair(): Promise<{ first: RedisState; second: RedisState; done: () => Promise<void> }> {
      const keyPrefix = randomPrefix();
      const first = await RedisState.connect({ url: TEST_REDIS_URL, keyPrefix });
      const second = await RedisState.connect({ url: TEST_REDIS_URL, keyPrefix });
      return {
        first,
        second,
        done: async () => {
          await first.close();
          await second.close();
          await deleteKeys(TEST_REDIS_URL, keyPrefix);
        },
      };
    }

    test('concurrent reservations from two instances never exceed the limit', async () => {
      const { first, second, done } = await pair();
      try {
        const now = Date.now();
        const attempts = Array.from({ length: 200 }, (_, index) => (index % 2 === 0 ? first : second).reserve('provider:openai:rpm', 50, 60_000, 1, now));
        const results = await Promise.all(attempts);
        assert.equal(results.filter((result) => result.allowed).length, 50);
        assert.equal(await first.windowUsage('provider:openai:rpm', 60_000, now), 50);
        const ids = new Set(results.filter((result) => result.allowed).map((result) => result.id));
        assert.equal(ids.size, 50);
      } finally {
        await done();
      }
    });

    test('a lock is held by one instance at a time', async () => {
      const { first, second, done } = await pair();
      try {
        const attempts = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).tryLock('refresh:claude#1', 60_000)));
        const holders = attempts.filter((release) => release !== undefined);
        assert.equal(holders.length, 1);
        await holders[0]?.();
        const next = await second.tryLock('refresh:claude#1', 60_000);
        assert.equal(typeof next, 'function');
        assert.equal(await first.tryLock('refresh:claude#1', 60_000), undefined);
      } finally {
        await done();
      }
    });

    test('cooldowns, counters, usage and documents are shared', async () => {
      const { first, second, done } = await pair();
      try {
        const cooldown = cooldownFixture({ key: 'openai|k1|gpt-4o', strikes: 2 });
        await first.setCooldown(cooldown);
        assert.deepEqual(await second.getCooldown(cooldown.key), cooldown);
        assert.equal(await second.strikes(cooldown.key), 2);
        assert.equal(await first.increment('rr:default'), 1);
        assert.equal(await second.increment('rr:default'), 2);
        const records = usageFixture(10);
        for (const [index, record] of records.entries()) await (index % 2 === 0 ? first : second).recordUsage(record);
        assert.equal((await first.queryUsage({})).length, 10);
        await second.putDocument('oauth:x', 'v');
        assert.equal(await first.getDocument('oauth:x'), 'v');
      } finally {
        await done();
      }
    });

    test('a cooldown expires in Redis when it ends, and windows expire when idle', async () => {
      const { first, done } = await pair();
      const client = await redisClient(TEST_REDIS_URL);
      try {
        const cooldown = cooldownFixture({ key: 'openai|k1|gpt-4o', until: Date.now() + 60_000 });
        await first.setCooldown(cooldown);
        const cooldownTtl = await client.pttl(`${first.prefix}cd:${cooldown.key}`);
        assert.ok(cooldownTtl > 0 && cooldownTtl <= 60_000, `cooldown ttl ${cooldownTtl}`);
        await first.reserve('provider:openai:rpm', 10, 60_000, 1, Date.now());
        const windowTtl = await client.pttl(`${first.prefix}win:provider:openai:rpm`);
        assert.ok(windowTtl > 0 && windowTtl <= 120_000, `window ttl ${windowTtl}`);
      } finally {
        await client.quit();
        await done();
      }
    });

    test('reports an unreachable server', async () => {
      await assert.rejects(RedisState.connect({ url: 'redis://127.0.0.1:1', keyPrefix: randomPrefix(), connectTimeoutMs: 200 }, 500), /unreachable/);
    });
  });
}
