/**
 * Cooldowns and limit windows live in the state layer (issue 4; DESIGN.md "State"), so the
 * routing facts must hold whichever driver the gateway is given: the in-process one and the
 * SQLite-backed `local` one, which also keeps cooldowns across a restart.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { LocalState } from '../../src/state/sqlite.ts';
import { MemoryState } from '../../src/state/memory.ts';
import type { StateStore } from '../../src/state/types.ts';
import {
  chat, chatRoute, chatTargets, clearCooldowns, failure, lengthOf, listCooldowns, onlyCooldown, providerStatus, startRoutingHarness,
} from '../helpers/routing-harness.ts';

async function temporaryDirectory(t: TestContext): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'cliproxy-routing-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

const DRIVERS: Record<string, (t: TestContext) => Promise<StateStore>> = {
  memory: async () => new MemoryState(),
  local: async (t) => {
    const state = new LocalState({ dataDir: await temporaryDirectory(t) });
    t.after(() => state.close());
    return state;
  },
};

describe('routing facts hold on every state driver', () => {
  for (const [driver, open] of Object.entries(DRIVERS)) {
    test(`${driver}: cooldown, skip, all-cooling 429, clear, provider window`, async (t) => {
      const harness = await startRoutingHarness(t, {
        state: await open(t),
        routing: { strategy: 'fill_first' },
        providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'], limits: { requests_per_minute: 2 } } },
      });
      harness.upstream.enqueue(chatRoute('a'), failure(429, 'later', { 'retry-after': '40' }));
      assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'b');
      const cooldown = onlyCooldown(await listCooldowns(harness), 'a', 'a#1');
      assert.equal(lengthOf(cooldown), 40_000);
      assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'b');
      // a cools and b is at its limit: the cooling answer wins only when nothing is left to try.
      const refused = await chat(harness);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '60');
      assert.deepEqual((await providerStatus(harness, 'b')).body.limits, { provider: { requests_per_minute: { used: 2, limit: 2 } } });
      assert.equal(await clearCooldowns(harness, '?provider=a'), 1);
      assert.equal((await chat(harness)).headers.get('x-cliproxy-provider'), 'a');
      assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'b:kb1', 'b:kb1', 'a:ka1']);
    });
  }

  test('local: cooldowns and strikes survive a restart of the gateway', async (t) => {
    const directory = await temporaryDirectory(t);
    const first = new LocalState({ dataDir: directory });
    const before = await startRoutingHarness(t, {
      state: first,
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
    });
    before.upstream.enqueue(chatRoute('a'), failure(401));
    assert.equal((await chat(before)).headers.get('x-cliproxy-provider'), 'b');
    await before.close();
    await first.close();

    const second = new LocalState({ dataDir: directory });
    t.after(() => second.close());
    const after = await startRoutingHarness(t, {
      state: second,
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
    });
    const cooldown = onlyCooldown(await listCooldowns(after), 'a', 'a#1');
    assert.equal(cooldown.reason, 'auth_failed');
    assert.equal(cooldown.strikes, 1);
    assert.equal((await chat(after)).headers.get('x-cliproxy-provider'), 'b');
    assert.deepEqual(chatTargets(after.upstream), ['b:kb1']);
  });
});
