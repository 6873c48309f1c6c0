import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { assertUsageMatches, cooldownFixture, stateContract, usageFixture, usageQueries } from './contract.test-helper.ts';
import { MemoryState } from './memory.ts';
import { LocalState, SCHEMA_VERSION } from './sqlite.ts';

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'cliproxy-state-'));
}

function rowCount(path: string, table: string): number {
  const database = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(database.prepare(`SELECT COUNT(*) AS count FROM ${table}`).get()?.count);
  } finally {
    database.close();
  }
}

stateContract('local', async () => {
  const dataDir = await temporaryDirectory();
  return { state: new LocalState({ dataDir }), cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});

describe('LocalState', () => {
  test('cooldowns, strikes, usage and documents survive a restart; windows and cursors do not', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const first = new LocalState({ dataDir });
      const now = Date.now();
      const cooldown = cooldownFixture({ key: 'openai|k1|gpt-4o', until: now + 60_000, strikes: 2 });
      const ended = cooldownFixture({ key: 'openai|k2|gpt-4o', until: now + 1000, strikes: 4 });
      await first.setCooldown(cooldown);
      await first.setCooldown(ended);
      await first.listCooldowns(now + 2000);
      const records = usageFixture(30);
      for (const record of records) await first.recordUsage(record);
      await first.putDocument('oauth:claude#1', '{"refresh_token":"r"}');
      await first.reserve('provider:openai:rpm', 1, 60_000, 1, now);
      assert.equal(await first.increment('rr:default'), 1);
      await first.close();

      const second = new LocalState({ dataDir });
      try {
        assert.deepEqual(await second.getCooldown(cooldown.key), cooldown);
        assert.deepEqual(await second.listCooldowns(now), [cooldown]);
        assert.equal(await second.strikes(cooldown.key), 2);
        assert.equal(await second.getCooldown(ended.key), undefined);
        assert.equal(await second.strikes(ended.key), 4);
        assert.equal(await second.getDocument('oauth:claude#1'), '{"refresh_token":"r"}');
        assert.equal((await second.queryUsage({})).length, 30);
        await assertUsageMatches(second, records);
        assert.equal((await second.reserve('provider:openai:rpm', 1, 60_000, 1, now)).allowed, true);
        assert.equal(await second.increment('rr:default'), 1);
        // Clears and resets are persisted too.
        await second.clearCooldowns({ key: cooldown.key });
        await second.resetStrikes(ended.key);
      } finally {
        await second.close();
      }
      const third = new LocalState({ dataDir });
      try {
        assert.equal(await third.getCooldown(cooldown.key), undefined);
        assert.equal(await third.strikes(cooldown.key), 0);
        assert.equal(await third.strikes(ended.key), 0);
      } finally {
        await third.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('buffers usage records and writes them on close', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const state = new LocalState({ dataDir, flushIntervalMs: 3_600_000, flushBatchSize: 1000 });
      for (const record of usageFixture(25)) await state.recordUsage(record);
      assert.equal(rowCount(state.path, 'usage'), 0, 'nothing written before a flush is due');
      await state.close();
      assert.equal(rowCount(state.path, 'usage'), 25);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('writes a full batch without waiting for the interval', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const state = new LocalState({ dataDir, flushIntervalMs: 3_600_000, flushBatchSize: 10 });
      for (const record of usageFixture(10)) await state.recordUsage(record);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(rowCount(state.path, 'usage'), 10);
      await state.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('queries see records still in the buffer', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const state = new LocalState({ dataDir, flushIntervalMs: 3_600_000, flushBatchSize: 1000 });
      for (const record of usageFixture(5)) await state.recordUsage(record);
      assert.equal((await state.queryUsage({})).length, 5);
      await state.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('groups exactly as the memory driver does', async () => {
    const dataDir = await temporaryDirectory();
    const local = new LocalState({ dataDir });
    const memory = new MemoryState();
    try {
      const records = usageFixture(200);
      for (const record of records) {
        await local.recordUsage(record);
        await memory.recordUsage(record);
      }
      for (const query of usageQueries(records)) assert.deepEqual(await local.queryUsage(query), await memory.queryUsage(query), JSON.stringify(query));
    } finally {
      await local.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('versions its schema and refuses a newer one', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const state = new LocalState({ dataDir });
      await state.close();
      const database = new DatabaseSync(state.path);
      assert.equal(database.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value, String(SCHEMA_VERSION));
      assert.equal(database.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
      database.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION + 1));
      database.close();
      assert.throws(() => new LocalState({ dataDir }), /schema version/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('uses the indexes for filtered queries', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const state = new LocalState({ dataDir });
      await state.close();
      const database = new DatabaseSync(state.path);
      const plan = database.prepare("EXPLAIN QUERY PLAN SELECT * FROM usage WHERE model = ? AND time >= ?").all('gpt-4o', 0).map((row) => String(row.detail)).join('\n');
      database.close();
      assert.match(plan, /usage_model_time/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
