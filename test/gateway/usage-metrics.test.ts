/**
 * Usage records through the management API (query, group, export, import) and the
 * Prometheus metrics, with a module provider as the upstream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';

const CLIENT_KEY = 'client-key-usage-1';
const config = {
  port: 0,
  api_keys: [{ key: CLIENT_KEY, name: 'team' }],
  management_key: 'mgmt',
  providers: { echo: { module: './examples/echo-provider.mjs', models: ['echo-1', 'echo-2'] } },
};

async function chat(gateway: RunningGateway, model: string, content: string): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    signal: AbortSignal.timeout(5000),
  });
}

async function management(gateway: RunningGateway, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(gateway.url + path, { ...init, headers: { 'x-management-key': 'mgmt', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(5000) });
}

test('every request leaves a usage record: hashed key, provider, model, tokens, latency, status', async () => {
  const gateway = await startGateway({ config, env: {}, logLevel: 'silent', watch: false });
  try {
    assert.equal((await chat(gateway, 'echo-1', 'hello')).status, 200);
    assert.equal((await chat(gateway, 'echo-2', 'hello there')).status, 200);
    assert.equal((await chat(gateway, 'echo-1', 'x')).status, 200);
    const response = await management(gateway, '/v0/management/usage');
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(!text.includes(CLIENT_KEY), 'the key itself is never stored');
    const records = (JSON.parse(text) as { data: Array<Record<string, unknown>> }).data;
    assert.equal(records.length, 3);
    const hash = createHash('sha256').update(CLIENT_KEY).digest('hex').slice(0, 16);
    for (const record of records) {
      assert.equal(record.client, hash);
      assert.equal(record.provider, 'echo');
      assert.equal(record.status, 200);
      assert.equal(typeof record.latencyMs, 'number');
    }
    // The echo provider reports completion tokens = reply length.
    assert.deepEqual(records.map((record) => record.outputTokens).sort(), [1, 11, 5].sort());

    const byModel = (await (await management(gateway, '/v0/management/usage?group_by=model')).json()) as { data: Array<{ key: string; requests: number; outputTokens: number }> };
    assert.deepEqual(byModel.data.map((row) => [row.key, row.requests, row.outputTokens]), [['echo-1', 2, 6], ['echo-2', 1, 11]]);
    const filtered = (await (await management(gateway, `/v0/management/usage?model=echo-2&key=${hash}`)).json()) as { data: unknown[] };
    assert.equal(filtered.data.length, 1);
    const none = (await (await management(gateway, '/v0/management/usage?from=2999-01-01T00:00:00Z')).json()) as { data: unknown[] };
    assert.equal(none.data.length, 0);
    assert.equal((await management(gateway, '/v0/management/usage?group_by=color')).status, 400);
    assert.equal((await fetch(`${gateway.url}/v0/management/usage`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } })).status, 403, 'a client key is not enough');

    // Export from this gateway, import into a fresh one: the same aggregates.
    const exported = await (await management(gateway, '/v0/management/usage/export')).json() as { records: unknown[] };
    assert.equal(exported.records.length, 3);
    const other = await startGateway({ config, env: {}, logLevel: 'silent', watch: false });
    try {
      const imported = await management(other, '/v0/management/usage/import', { method: 'POST', body: JSON.stringify(exported) });
      assert.deepEqual(await imported.json(), { received: 3, imported: 3 });
      const again = await management(other, '/v0/management/usage/import', { method: 'POST', body: JSON.stringify(exported) });
      assert.deepEqual(await again.json(), { received: 3, imported: 0 }, 'importing twice adds nothing');
      const otherByModel = (await (await management(other, '/v0/management/usage?group_by=model')).json()) as { data: unknown[] };
      assert.deepEqual(otherByModel.data, byModel.data);
      const bad = await management(other, '/v0/management/usage/import', { method: 'POST', body: JSON.stringify({ records: [{ time: 'yesterday' }] }) });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: { message: string } }).error.message, /records\[0\]\.time/);
    } finally {
      await other.close();
    }
  } finally {
    await gateway.close();
  }
});

test('GET /metrics speaks Prometheus: requests, errors, latency, tokens, in flight, cooldowns, state', async () => {
  const gateway = await startGateway({ config, env: {}, logLevel: 'silent', watch: false });
  try {
    await chat(gateway, 'echo-1', 'one two');
    await chat(gateway, 'echo-1', 'three');
    const missing = await chat(gateway, 'no-such-model', 'x');
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('x-cliproxy-request-id') ?? '', /^[0-9a-f]{6}-[0-9a-z]+$/);
    const response = await management(gateway, '/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    assert.match(text, /cliproxy_requests_total\{format="openai-chat",provider="echo",status="200"\} 2/);
    assert.match(text, /cliproxy_requests_total\{format="openai-chat",provider="-",status="404"\} 1/);
    assert.match(text, /cliproxy_errors_total\{class="client_error"\} 1/);
    assert.match(text, /cliproxy_request_duration_seconds_count\{format="openai-chat"\} 3/);
    assert.match(text, /cliproxy_upstream_duration_seconds_count\{provider="echo"\} 2/);
    assert.match(text, /cliproxy_tokens_total\{provider="echo",model="echo-1",kind="output"\} 12/);
    assert.match(text, /cliproxy_requests_in_flight 0/);
    assert.match(text, /cliproxy_cooldowns_active 0/);
    assert.match(text, /cliproxy_state_healthy\{driver="memory"\} 1/);
    assert.equal((await fetch(`${gateway.url}/metrics`, { headers: { 'x-management-key': 'wrong' } })).status, 403);
  } finally {
    await gateway.close();
  }
});

test('metrics.enabled: false turns /metrics off', async () => {
  const gateway = await startGateway({ config: { ...config, metrics: { enabled: false } }, env: {}, logLevel: 'silent', watch: false });
  try {
    assert.equal((await chat(gateway, 'echo-1', 'x')).status, 200);
    assert.equal((await management(gateway, '/metrics')).status, 404);
  } finally {
    await gateway.close();
  }
});
