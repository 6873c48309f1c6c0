/**
 * The `local` driver, as the gateway chooses it from its config (`data_dir` set, and
 * `state.driver: local` or nothing, local being the default): usage and cooldowns survive a
 * restart of the gateway on the same data_dir (issue 6, "Tests").
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { startGateway } from '../../src/server/gateway.ts';
import type { RunningGateway } from '../../src/server/gateway.ts';
import { startFakeUpstream } from '../helpers/fake-upstream.ts';
import type { FakeUpstream } from '../helpers/fake-upstream.ts';
import { within } from '../helpers/gateway-harness.ts';
import { startGatewayProcess } from '../helpers/gateway-process.ts';
import { failure, okResponse } from '../helpers/routing-harness.ts';

const MANAGEMENT_KEY = 'mk-local';
const ROUTE = 'POST /loc/v1/chat/completions';

async function chat(gateway: RunningGateway): Promise<{ status: number }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'loc-m', messages: [{ role: 'user', content: 'Hello there' }] }),
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return { status: response.status };
}

async function management<T>(gateway: RunningGateway, path: string): Promise<T> {
  const response = await fetch(gateway.url + path, { headers: { 'x-management-key': MANAGEMENT_KEY }, signal: AbortSignal.timeout(5_000) });
  assert.equal(response.status, 200, path);
  return (await response.json() as { data: T }).data;
}

function bearers(upstream: FakeUpstream): string[] {
  return upstream.requests.map((request) => String(request.headers.authorization).replace(/^Bearer /, ''));
}

const VARIANTS: Record<string, Record<string, unknown>> = {
  'no state settings (local is the default with a data_dir)': {},
  'state.driver: local': { state: { driver: 'local' } },
};

for (const [variant, stateSettings] of Object.entries(VARIANTS)) {
  test(`local driver, ${variant}: usage and cooldowns survive a restart of the gateway`, async (t: TestContext) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cliproxy-local-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const upstream = await startFakeUpstream();
    t.after(() => upstream.close());
    upstream.always(ROUTE, okResponse('from loc'));
    const config = {
      host: '127.0.0.1',
      port: 0,
      data_dir: dataDir,
      management_key: MANAGEMENT_KEY,
      ...stateSettings,
      routing: { strategy: 'fill_first', backoff: { base: 0, max: 0 }, keepalive_interval: 0 },
      providers: {
        loc: { type: 'openai_compatible', endpoint: `${upstream.url}/loc/v1`, api_keys: ['loc-1', 'loc-2'], models: [{ name: 'loc-m' }] },
      },
    };
    const open = async (): Promise<{ gateway: RunningGateway; close: () => Promise<void> }> => {
      const gateway = await startGateway({ config, env: {}, logLevel: 'silent', watch: false });
      let closing: Promise<void> | undefined;
      const close = (): Promise<void> => (closing ??= within(gateway.close(), 5_000, 'gateway.close()'));
      t.after(close);
      return { gateway, close };
    };

    const first = await open();
    const before = first.gateway;
    assert.equal(before.context.state.driver, 'local');
    upstream.enqueue(ROUTE, failure(429, 'slow down', { 'retry-after': '300' }));
    for (let index = 0; index < 4; index++) assert.equal((await chat(before)).status, 200);
    assert.deepEqual(bearers(upstream), ['loc-1', 'loc-2', 'loc-2', 'loc-2', 'loc-2']);
    await first.close();
    assert.ok(existsSync(join(dataDir, 'cliproxy.db')), 'the local driver keeps its SQLite file in data_dir');

    const after = (await open()).gateway;
    const usage = await management<Array<{ key: string; requests: number; errors: number; inputTokens: number; outputTokens: number }>>(after, '/v0/management/usage?group_by=provider');
    assert.deepEqual(usage.map((row) => ({ key: row.key, requests: row.requests, errors: row.errors, inputTokens: row.inputTokens, outputTokens: row.outputTokens })),
      [{ key: 'loc', requests: 4, errors: 0, inputTokens: 40, outputTokens: 20 }]);
    const records = await management<Array<{ provider: string; model: string; status: number }>>(after, '/v0/management/usage');
    assert.equal(records.length, 4);
    for (const record of records) assert.deepEqual({ provider: record.provider, model: record.model, status: record.status }, { provider: 'loc', model: 'loc-m', status: 200 });

    const cooldowns = await management<Array<{ provider: string; credential: string; reason: string; status: number; remaining_seconds: number }>>(after, '/v0/management/cooldowns');
    assert.equal(cooldowns.length, 1, JSON.stringify(cooldowns));
    assert.deepEqual({ provider: cooldowns[0]?.provider, reason: cooldowns[0]?.reason, status: cooldowns[0]?.status }, { provider: 'loc', reason: 'rate_limited', status: 429 });
    assert.ok((cooldowns[0]?.remaining_seconds ?? 0) > 200, JSON.stringify(cooldowns[0]));
    // And it is obeyed: the restarted gateway still skips the benched credential.
    const seen = upstream.requests.length;
    assert.equal((await chat(after)).status, 200);
    assert.deepEqual(bearers(upstream).slice(seen), ['loc-2']);
  });
}

test('local driver, cliproxy serve: usage recorded just before SIGTERM is still there after the restart', async (t: TestContext) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'cliproxy-local-process-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const upstream = await startFakeUpstream();
  t.after(() => upstream.close());
  upstream.always(ROUTE, okResponse('from loc'));
  const config = {
    host: '127.0.0.1',
    port: 0,
    log_level: 'info',
    data_dir: dataDir,
    management_key: MANAGEMENT_KEY,
    providers: { loc: { type: 'openai_compatible', endpoint: `${upstream.url}/loc/v1`, api_keys: ['loc-1'], models: [{ name: 'loc-m' }] } },
  };
  const first = await startGatewayProcess(config);
  t.after(() => first.stop());
  for (let index = 0; index < 3; index++) {
    const response = await fetch(`${first.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'loc-m', messages: [{ role: 'user', content: 'Hello there' }] }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  }
  // At once: the records may still sit in the write buffer (flushed every 250 ms, and on close).
  await first.stop();

  const second = await startGatewayProcess(config);
  t.after(() => second.stop());
  const response = await fetch(`${second.url}/v0/management/usage?group_by=provider`, { headers: { 'x-management-key': MANAGEMENT_KEY }, signal: AbortSignal.timeout(5_000) });
  const rows = (await response.json() as { data: Array<{ key: string; requests: number }> }).data;
  assert.deepEqual(rows.map((row) => ({ key: row.key, requests: row.requests })), [{ key: 'loc', requests: 3 }]);
});
