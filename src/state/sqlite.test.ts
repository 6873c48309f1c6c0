import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { assertUsageMatches, cooldownFixture, stateContract, usageFixture, usageQueries } from './contract.test-helper.ts';
import { MemoryState } from './memory.ts';
import { LocalState, SCHEMA_VERSION } from './sqlite.ts';
import type { UsageRecord } from './types.ts';

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

  test('filtered queries use the time index; the per-column indexes of schema 1 are gone', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const state = new LocalState({ dataDir });
      await state.close();
      const database = new DatabaseSync(state.path);
      const plan = database.prepare("EXPLAIN QUERY PLAN SELECT * FROM usage WHERE model = ? AND time >= ?").all('gpt-4o', 0).map((row) => String(row.detail)).join('\n');
      const indexes = database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage' AND name NOT LIKE 'sqlite_%'").all().map((row) => String(row.name));
      database.close();
      assert.match(plan, /usage_time/);
      assert.deepEqual(indexes, ['usage_time']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('migrates a schema 1 database: its records stay, its extra indexes go', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const path = join(dataDir, 'cliproxy.db');
      const old = new DatabaseSync(path);
      old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta (key, value) VALUES ('schema_version', '1');
        CREATE TABLE cooldowns (key TEXT PRIMARY KEY, provider TEXT NOT NULL, credential TEXT NOT NULL, model TEXT NOT NULL,
          until INTEGER NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL, status INTEGER, message TEXT NOT NULL, strikes INTEGER NOT NULL);
        CREATE TABLE strikes (key TEXT PRIMARY KEY, count INTEGER NOT NULL);
        CREATE TABLE usage (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, client TEXT NOT NULL, provider TEXT NOT NULL,
          credential TEXT NOT NULL, model TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
          cached_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, latency_ms REAL NOT NULL, status INTEGER NOT NULL);
        CREATE INDEX usage_time ON usage (time);
        CREATE INDEX usage_model_time ON usage (model, time);
        CREATE INDEX usage_provider_time ON usage (provider, time);
        CREATE INDEX usage_client_time ON usage (client, time);
        CREATE TABLE documents (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated INTEGER NOT NULL);
        INSERT INTO usage (time, client, provider, credential, model, input_tokens, output_tokens, cached_tokens, reasoning_tokens, latency_ms, status)
          VALUES (1000, 'c', 'openai', 'k1', 'gpt-4o', 10, 5, 0, 0, 12.5, 200);`);
      old.close();
      const state = new LocalState({ dataDir });
      const records = await state.queryUsage({});
      await state.close();
      assert.equal(records.length, 1);
      assert.deepEqual(records[0], { time: 1000, client: 'c', provider: 'openai', credential: 'k1', model: 'gpt-4o', inputTokens: 10, outputTokens: 5, cachedTokens: 0, reasoningTokens: 0, latencyMs: 12.5, status: 200 });
      const database = new DatabaseSync(path, { readOnly: true });
      const indexes = database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage' AND name NOT LIKE 'sqlite_%'").all().map((row) => String(row.name));
      const version = database.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value;
      database.close();
      assert.deepEqual(indexes, ['usage_time']);
      assert.equal(version, String(SCHEMA_VERSION));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a batch of many records goes in several rows per INSERT, every record intact', async () => {
    const dataDir = await temporaryDirectory();
    try {
      const records = usageFixture(75);
      const state = new LocalState({ dataDir, flushIntervalMs: 3_600_000, flushBatchSize: 10_000 });
      for (const record of records) await state.recordUsage(record);
      await state.close();
      const reopened = new LocalState({ dataDir });
      try {
        const byTime = (list: readonly UsageRecord[]): UsageRecord[] => [...list].sort((a, b) => a.time - b.time);
        assert.deepEqual(byTime(await reopened.queryUsage({}) as UsageRecord[]), byTime(records));
        await assertUsageMatches(reopened, records);
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
