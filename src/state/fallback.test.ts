import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cooldownFixture, stateContract, usageFixture } from './contract.test-helper.ts';
import { ResilientState } from './fallback.ts';
import { createState, FALLBACK_DB_FILE } from './index.ts';
import { MemoryState } from './memory.ts';
import { RedisState } from './redis.ts';
import { LocalState } from './sqlite.ts';
import { deleteKeys, randomPrefix, RedisServer, redisServerInstalled, waitUntil } from './redis.test-helper.ts';
import type { StateHealth, UsageRecord } from './types.ts';

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'cliproxy-fallback-'));
}

function times(records: unknown): number[] {
  return (records as UsageRecord[]).map((record) => record.time).sort((a, b) => a - b);
}

/** A ResilientState that fails fast, as createState() builds it, over a memory fallback. */
async function resilient(url: string, keyPrefix: string, onChange?: (health: StateHealth) => void, startTimeoutMs = 2000): Promise<ResilientState> {
  const primary = new RedisState({ url, keyPrefix, commandTimeoutMs: 500, connectTimeoutMs: 500, offlineQueue: false });
  const options = { primary, fallback: new MemoryState(), probeIntervalMs: 100, ...(onChange === undefined ? {} : { onChange }) };
  return new ResilientState(options).start(startTimeoutMs);
}

/** As createState() builds it (LocalState fallback in `dataDir`), with a short start-up wait. */
async function resilientOnLocal(url: string, keyPrefix: string, dataDir: string): Promise<ResilientState> {
  const primary = new RedisState({ url, keyPrefix, commandTimeoutMs: 500, connectTimeoutMs: 500, offlineQueue: false });
  return new ResilientState({ primary, fallback: new LocalState({ dataDir, fileName: FALLBACK_DB_FILE }), probeIntervalMs: 100 }).start(300);
}

if (!redisServerInstalled()) {
  console.log('# ResilientState tests not registered: redis-server is not installed (.ci/run installs it)');
} else {
  describe('ResilientState', () => {
    let server: RedisServer;
    before(async () => {
      server = await RedisServer.start();
    });
    after(async () => {
      await server.dispose();
    });

    stateContract('redis behind its fallback, Redis up', async () => {
      const keyPrefix = randomPrefix();
      const dataDir = await temporaryDirectory();
      const state = await createState({ driver: 'redis', dataDir, redisUrl: server.url, keyPrefix });
      return {
        state,
        cleanup: async () => {
          await deleteKeys(server.url, keyPrefix);
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    });

    stateContract('redis behind its fallback, Redis unreachable', async () => {
      // Port 1 on loopback: refused at once, so every call is served locally from the start.
      const state = await resilient('redis://127.0.0.1:1', randomPrefix(), undefined, 100);
      return { state };
    }, { healthy: false });

    test('keeps serving through a Redis crash and resynchronises when it returns', async () => {
      const keyPrefix = randomPrefix();
      const dataDir = await temporaryDirectory();
      const changes: StateHealth[] = [];
      const state = await createState({ driver: 'redis', dataDir, redisUrl: server.url, keyPrefix, onChange: (health) => changes.push(health) });
      const verifier = await RedisState.connect({ url: server.url, keyPrefix });
      try {
        assert.equal(state.health().ok, true);
        const before = cooldownFixture({ key: 'openai|k1|gpt-4o', strikes: 1 });
        await state.setCooldown(before);
        await state.putDocument('oauth:claude#1', 'token-1');
        const records = usageFixture(6);
        await state.recordUsage(records[0] as UsageRecord);
        assert.deepEqual(times(await verifier.queryUsage({})), [(records[0] as UsageRecord).time]);

        await server.stop();

        // Every call still answers, from the local store.
        assert.deepEqual(await state.getCooldown(before.key), before, 'mirrored before the outage');
        assert.equal(await state.getDocument('oauth:claude#1'), 'token-1', 'mirrored before the outage');
        const health = state.health();
        assert.equal(health.ok, false);
        assert.equal(health.driver, 'redis');
        assert.match(health.detail, /^redis unreachable since \d{4}-\d\d-\d\dT[^;]*; serving from local state/);
        assert.equal(changes.at(-1)?.ok, false);
        const during = cooldownFixture({ key: 'anthropic|k2|claude', strikes: 3, until: Date.now() + 600_000 });
        await state.setCooldown(during);
        assert.deepEqual(await state.getCooldown(during.key), during);
        assert.equal(await state.strikes(during.key), 3);
        assert.deepEqual((await state.listCooldowns(Date.now())).map((cooldown) => cooldown.key).sort(), [during.key, before.key].sort());
        assert.equal(await state.clearCooldowns({ key: before.key }), 1);
        await state.resetStrikes(before.key);
        const now = Date.now();
        const reservation = await state.reserve('provider:openai:rpm', 2, 60_000, 1, now);
        assert.equal(reservation.allowed, true);
        await state.adjust('provider:openai:rpm', reservation.id as string, 2);
        assert.equal(await state.windowUsage('provider:openai:rpm', 60_000, now), 2);
        assert.equal((await state.reserve('provider:openai:rpm', 2, 60_000, 1, now)).allowed, false);
        assert.equal(typeof await state.increment('rr:default'), 'number');
        await state.recordUsage(records[1] as UsageRecord);
        await state.recordUsage(records[2] as UsageRecord);
        assert.equal(await state.importUsage([records[3] as UsageRecord]), 1);
        assert.deepEqual(times(await state.queryUsage({})), times(records.slice(1, 4)));
        assert.equal(await state.pruneUsage(0), 0);
        await state.putDocument('oauth:claude#1', 'token-2');
        const release = await state.tryLock('refresh:claude#1', 60_000);
        assert.equal(typeof release, 'function');
        await release?.();

        // Redis returns, empty (no persistence): what was written meanwhile is pushed back.
        await server.resume();
        await waitUntil(async () => state.health().ok, 20_000, 'the switch back to Redis');
        assert.equal(changes.at(-1)?.ok, true);
        assert.deepEqual(await verifier.getCooldown(during.key), during);
        assert.equal(await verifier.strikes(during.key), 3);
        assert.equal(await verifier.getDocument('oauth:claude#1'), 'token-2');
        assert.deepEqual(times(await verifier.queryUsage({})), times(records.slice(1, 4)));

        // Served by Redis again, and resynchronising again adds nothing twice.
        await state.recordUsage(records[4] as UsageRecord);
        assert.equal(await (state as ResilientState).resynchronise(), true);
        assert.deepEqual(times(await verifier.queryUsage({})), times(records.slice(1, 5)));
        assert.equal(await verifier.importUsage(records.slice(1, 4)), 0);
      } finally {
        await verifier.close();
        await state.close();
        await deleteKeys(server.url, keyPrefix);
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    test('falls back when Redis stops answering, and returns when it answers again', async () => {
      const keyPrefix = randomPrefix();
      const changes: StateHealth[] = [];
      const state = await resilient(server.url, keyPrefix, (health) => changes.push(health));
      try {
        assert.equal(state.health().ok, true);
        server.freeze();
        // The command times out (500 ms) and is served locally instead.
        const cooldown = cooldownFixture({ key: 'openai|k9|gpt-4o', strikes: 2 });
        await state.setCooldown(cooldown);
        assert.equal(state.health().ok, false);
        assert.deepEqual(await state.getCooldown(cooldown.key), cooldown);
        assert.equal(changes.length, 1);
        server.thaw();
        await waitUntil(async () => state.health().ok, 20_000, 'the switch back to Redis');
        assert.deepEqual(changes.map((health) => health.ok), [false, true]);
        const verifier = await RedisState.connect({ url: server.url, keyPrefix });
        try {
          assert.deepEqual(await verifier.getCooldown(cooldown.key), cooldown);
        } finally {
          await verifier.close();
        }
      } finally {
        server.thaw();
        await state.close();
        await deleteKeys(server.url, keyPrefix);
      }
    });

    test('an instance restarted while Redis is down still has the tokens and cooldowns it saw', async () => {
      const keyPrefix = randomPrefix();
      const dataDir = await temporaryDirectory();
      try {
        const first = await createState({ driver: 'redis', dataDir, redisUrl: server.url, keyPrefix });
        const cooldown = cooldownFixture({ key: 'openai|k5|gpt-4o', strikes: 2 });
        await first.putDocument('oauth:codex#1', 'token-a');
        await first.setCooldown(cooldown);
        await first.close();
        await server.stop();
        const second = await resilientOnLocal(server.url, keyPrefix, dataDir);
        try {
          assert.equal(second.health().ok, false);
          assert.equal(await second.getDocument('oauth:codex#1'), 'token-a');
          assert.deepEqual(await second.getCooldown(cooldown.key), cooldown);
        } finally {
          await second.close();
        }
      } finally {
        await server.resume();
        await deleteKeys(server.url, keyPrefix);
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    test('starts on the local store when Redis is down, and switches when it comes up', async () => {
      const keyPrefix = randomPrefix();
      await server.stop();
      const changes: StateHealth[] = [];
      const state = await resilient(server.url, keyPrefix, (health) => changes.push(health), 300);
      try {
        assert.equal(state.health().ok, false);
        const record = (usageFixture(1))[0] as UsageRecord;
        await state.recordUsage(record);
        await server.resume();
        await waitUntil(async () => state.health().ok, 20_000, 'the switch to Redis');
        const verifier = await RedisState.connect({ url: server.url, keyPrefix });
        try {
          assert.deepEqual(await verifier.queryUsage({}), [record]);
        } finally {
          await verifier.close();
        }
        assert.deepEqual(changes.map((health) => health.ok), [false, true]);
      } finally {
        await server.resume();
        await state.close();
        await deleteKeys(server.url, keyPrefix);
      }
    });
  });
}

describe('createState', () => {
  test('opens the memory and local drivers, and refuses redis without a url', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const memory = await createState({ driver: 'memory', dataDir });
      assert.equal(memory.driver, 'memory');
      await memory.close();
      const local = await createState({ driver: 'local', dataDir });
      assert.equal(local.driver, 'local');
      assert.match(local.health().detail, /cliproxy\.db/);
      await local.close();
      await assert.rejects(createState({ driver: 'redis', dataDir }), /redis_url/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
