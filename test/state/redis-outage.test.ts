/**
 * Redis going away under a running gateway process, and coming back (issue 6; the
 * documented behaviour is in src/state/README.md, "When Redis is unreachable"): no request
 * fails for it; `/ready` stays 200 and says why the state is not ok; `/metrics` shows
 * `cliproxy_state_healthy{driver="redis"} 0`; the log says `state driver degraded`; once
 * Redis answers again the health returns and what was recorded meanwhile is in Redis.
 *
 * Each test starts its own redis-server (never the shared one: these tests stop it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { startGateway } from '../../src/server/gateway.ts';
import { randomPrefix, RedisServer, redisServerInstalled } from '../../src/state/redis.test-helper.ts';
import { startFakeUpstream } from '../helpers/fake-upstream.ts';
import type { FakeUpstream } from '../helpers/fake-upstream.ts';
import { startGatewayProcess } from '../helpers/gateway-process.ts';
import type { GatewayProcess, LogLine } from '../helpers/gateway-process.ts';
import { within } from '../helpers/gateway-harness.ts';
import { eventually } from '../helpers/oauth-world.ts';
import { failure, okResponse } from '../helpers/routing-harness.ts';

const MANAGEMENT_KEY = 'mk-outage';
/** The model of the background traffic, and the one asked only while Redis is down. */
const STEADY_MODEL = 'steady-m';
const GAP_MODEL = 'gap-m';

interface Setup {
  server: RedisServer;
  upstream: FakeUpstream;
  gateway: GatewayProcess;
  config: (dataDir: string) => Record<string, unknown>;
  temporaryDirectory: () => Promise<string>;
}

async function setup(t: TestContext, options: { redisDownAtStart?: boolean } = {}): Promise<Setup> {
  const cleanups: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });
  const temporaryDirectory = async (): Promise<string> => {
    const directory = await mkdtemp(join(tmpdir(), 'cliproxy-outage-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    return directory;
  };
  const server = await RedisServer.start();
  cleanups.push(() => server.dispose());
  const upstream = await startFakeUpstream();
  cleanups.push(() => upstream.close());
  upstream.always('POST /out/v1/chat/completions', okResponse('from out'));
  const keyPrefix = randomPrefix();
  const config = (dataDir: string): Record<string, unknown> => ({
    host: '127.0.0.1',
    port: 0,
    log_level: 'info',
    data_dir: dataDir,
    management_key: MANAGEMENT_KEY,
    state: { driver: 'redis', redis_url: server.url, key_prefix: keyPrefix },
    routing: { backoff: { base: 0, max: 0 }, keepalive_interval: 0 },
    providers: {
      out: {
        type: 'openai_compatible',
        endpoint: `${upstream.url}/out/v1`,
        api_keys: ['out-1', 'out-2'],
        // A limit, so every request also reserves in a window while Redis is away.
        limits: { requests_per_minute: 10_000 },
        models: [{ name: STEADY_MODEL }, { name: GAP_MODEL }],
      },
    },
  });
  if (options.redisDownAtStart === true) await server.stop();
  const gateway = await startGatewayProcess(config(await temporaryDirectory()));
  cleanups.push(() => gateway.stop());
  return { server, upstream, gateway, config, temporaryDirectory };
}

async function chat(url: string, model: string): Promise<number> {
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello there' }] }),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Requests one after another until `stop()`; resolves with every status. */
function steadyTraffic(url: string): { stop(): Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) statuses.push(await chat(url, STEADY_MODEL));
  })();
  return {
    async stop() {
      running = false;
      await within(loop, 15_000, 'the steady traffic');
      return statuses;
    },
  };
}

interface Ready {
  status: number;
  state: { driver: string; ok: boolean; detail: string };
}

async function ready(gateway: GatewayProcess): Promise<Ready> {
  const response = await fetch(`${gateway.url}/ready`, { signal: AbortSignal.timeout(5_000) });
  const body = await response.json() as { state: Ready['state'] };
  return { status: response.status, state: body.state };
}

async function stateHealthyGauge(gateway: GatewayProcess): Promise<string | undefined> {
  const response = await fetch(`${gateway.url}/metrics`, { headers: { 'x-management-key': MANAGEMENT_KEY }, signal: AbortSignal.timeout(5_000) });
  assert.equal(response.status, 200);
  const line = (await response.text()).split('\n').find((text) => text.startsWith('cliproxy_state_healthy{'));
  return line;
}

function stateLog(message: string): (line: LogLine) => boolean {
  return (line) => line.msg === message;
}

function notOk(statuses: number[]): number[] {
  return statuses.filter((status) => status !== 200);
}

/** The shared parts of both outages: degraded while away, healthy and resynchronised after. */
async function outage(t: TestContext, interrupt: (server: RedisServer) => Promise<void>, restore: (server: RedisServer) => Promise<void>, reason: RegExp): Promise<void> {
  const { server, upstream, gateway, config, temporaryDirectory } = await setup(t);
  assert.deepEqual((await ready(gateway)).state.ok, true);
  assert.equal(await stateHealthyGauge(gateway), 'cliproxy_state_healthy{driver="redis"} 1');

  // Traffic runs while Redis goes away: none of it fails for that.
  const across = steadyTraffic(gateway.url);
  await eventually('some traffic before the outage', () => (upstream.requests.length >= 5 ? true : undefined));
  await interrupt(server);
  const degraded = await gateway.waitForLog(stateLog('state driver degraded'), 10_000);
  const beforeAndDuring = await across.stop();
  assert.ok(beforeAndDuring.length > 0);
  assert.deepEqual(notOk(beforeAndDuring), [], 'requests while Redis went away');
  assert.equal(degraded.level, 40, 'logged as a warning');
  assert.match(String((degraded.state as { detail?: string } | undefined)?.detail), /serving from local state/);

  // While it is away: requests succeed (one fails over from a 429 that benches its
  // credential), /ready stays 200 and says why, the gauge is 0.
  upstream.enqueue('POST /out/v1/chat/completions', failure(429, 'slow down', { 'retry-after': '120' }));
  const gap: number[] = [];
  for (let index = 0; index < 5; index++) gap.push(await chat(gateway.url, GAP_MODEL));
  assert.deepEqual(gap, [200, 200, 200, 200, 200], 'requests while Redis is away');
  const down = await ready(gateway);
  assert.equal(down.status, 200, '/ready stays 200 on the fallback');
  assert.equal(down.state.driver, 'redis');
  assert.equal(down.state.ok, false);
  assert.match(down.state.detail, /^redis unreachable since \d{4}-\d\d-\d\dT[^ ]+/);
  assert.match(down.state.detail, reason);
  assert.match(down.state.detail, /serving from local state/);
  assert.equal(await stateHealthyGauge(gateway), 'cliproxy_state_healthy{driver="redis"} 0');

  // Redis returns, with traffic running across that too.
  const returning = steadyTraffic(gateway.url);
  await restore(server);
  await gateway.waitForLog(stateLog('state driver healthy'), 15_000);
  assert.deepEqual(notOk(await returning.stop()), [], 'requests while Redis came back');
  const up = await ready(gateway);
  assert.deepEqual({ status: up.status, ok: up.state.ok }, { status: 200, ok: true }, JSON.stringify(up.state));
  assert.equal(await stateHealthyGauge(gateway), 'cliproxy_state_healthy{driver="redis"} 1');

  // A third gateway on the same Redis sees the usage recorded while Redis was away.
  const third = await startGateway({ config: { ...config(await temporaryDirectory()), log_level: 'silent' }, env: {}, watch: false, oauth: false });
  t.after(() => within(third.close(), 5_000, 'the third gateway closing'));
  const response = await fetch(`${third.url}/v0/management/usage?group_by=model&model=${GAP_MODEL}`, { headers: { 'x-management-key': MANAGEMENT_KEY }, signal: AbortSignal.timeout(5_000) });
  const rows = (await response.json() as { data: Array<{ key: string; requests: number; errors: number; inputTokens: number; outputTokens: number }> }).data;
  assert.deepEqual(rows.map((row) => ({ key: row.key, requests: row.requests, errors: row.errors, inputTokens: row.inputTokens, outputTokens: row.outputTokens })),
    [{ key: GAP_MODEL, requests: 5, errors: 0, inputTokens: 50, outputTokens: 25 }]);
  // And the cooldown set while Redis was away, replayed from the journal.
  const cooldowns = await fetch(`${third.url}/v0/management/cooldowns?provider=out`, { headers: { 'x-management-key': MANAGEMENT_KEY }, signal: AbortSignal.timeout(5_000) });
  const listed = (await cooldowns.json() as { data: Array<{ model: string; reason: string; remaining_seconds: number }> }).data;
  assert.deepEqual(listed.map((cooldown) => ({ model: cooldown.model, reason: cooldown.reason })), [{ model: GAP_MODEL, reason: 'rate_limited' }]);
  assert.ok((listed[0]?.remaining_seconds ?? 0) > 60, JSON.stringify(listed));
}

if (!redisServerInstalled()) {
  console.log('# Redis outage tests not registered: redis-server is not installed (.ci/run installs it)');
} else {
  test('redis-server killed mid-run and restarted: no request fails, /ready, /metrics and the log say so, usage resynchronises', async (t) => {
    await outage(t, (server) => server.stop(), (server) => server.resume(), /since \S+ \([^)]+\); serving/);
  });

  test('a gateway started while Redis is down serves from local state, then switches to Redis when it comes', async (t) => {
    const { server, gateway } = await setup(t, { redisDownAtStart: true });
    const down = await ready(gateway);
    assert.deepEqual({ status: down.status, driver: down.state.driver, ok: down.state.ok }, { status: 200, driver: 'redis', ok: false }, JSON.stringify(down.state));
    assert.match(down.state.detail, /^redis unreachable since .*serving from local state/);
    await gateway.waitForLog(stateLog('state driver degraded'));
    for (let index = 0; index < 3; index++) assert.equal(await chat(gateway.url, GAP_MODEL), 200);
    await server.resume();
    await gateway.waitForLog(stateLog('state driver healthy'), 15_000);
    assert.equal((await ready(gateway)).state.ok, true);
    assert.equal(await stateHealthyGauge(gateway), 'cliproxy_state_healthy{driver="redis"} 1');
  });

  test('redis-server frozen mid-run (commands time out) and thawed: no request fails, health follows, usage resynchronises', async (t) => {
    await outage(t, async (server) => server.freeze(), async (server) => server.thaw(), /since \S+ \([^)]*timed? ?out[^)]*\); serving/i);
  });
}
