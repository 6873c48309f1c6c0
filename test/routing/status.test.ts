/**
 * Health and live figures (issue 4, "Timeouts and health"): `/v1/providers/{name}/status`
 * (requests, success rate, latency percentiles, in flight, cooldowns, limit windows, last
 * error, `?check=true`), `/health`, `/ready`; and no provider secret in any of it, in any
 * management answer, or in anything the gateway logs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hangingResponse, jsonResponse, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { within } from '../helpers/gateway-harness.ts';
import { rawRequest } from '../helpers/http-client.ts';
import {
  CLIENT_KEY, MANAGEMENT_KEY, chat, chatMany, chatRoute, eventually, failure, heldChat, listCooldowns, modelsRoute, providerStatus, startRoutingHarness,
} from '../helpers/routing-harness.ts';
import type { RoutingHarness } from '../helpers/routing-harness.ts';

const SECRET_1 = 'sk-SECRET-a1-4f9c2e7d1b3a5c6e';
const SECRET_2 = 'sk-SECRET-a2-8d7e6f5a4b3c2d1e';

/** A 401 the way OpenAI writes it: the rejected key in the message. */
function echoing401(secret: string): ReturnType<typeof failure> {
  return failure(401, `Incorrect API key provided: ${secret}. You can find your API key at https://platform.openai.com/account/api-keys.`);
}

async function managementText(harness: RoutingHarness, path: string): Promise<string> {
  const response = await rawRequest(`${harness.url}${path}`, { headers: { 'x-management-key': MANAGEMENT_KEY } });
  assert.equal(response.status, 200, `${path}: ${response.body.toString('utf8')}`);
  return response.body.toString('utf8');
}

describe('/v1/providers/{name}/status', () => {
  test('requests, success rate, latency p50/p95, cooldowns and a last error without the secret', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: [SECRET_1, SECRET_2] } },
    });
    assert.deepEqual(await chatMany(harness, 2), [200, 200]);
    harness.upstream.enqueue(chatRoute('a'), echoing401(SECRET_1));
    const served = await chat(harness);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('x-cliproxy-attempts'), '2');

    const { raw, body } = await providerStatus(harness, 'a');
    assert.equal(raw.status, 200);
    assert.equal(body.provider, 'a');
    assert.equal(body.enabled, true);
    assert.equal(body.requests, 4);
    assert.equal(body.successes, 3);
    assert.equal(body.failures, 1);
    assert.equal(body.success_rate, 0.75);
    assert.equal(body.in_flight, 0);
    const latency = body.latency_ms as { p50: unknown; p95: unknown };
    assert.equal(typeof latency.p50, 'number');
    assert.equal(typeof latency.p95, 'number');
    assert.ok((latency.p95 as number) >= (latency.p50 as number));
    assert.deepEqual(body.tokens, { input: 30, output: 15 });
    const lastError = body.last_error as { status: number; code: string; message: string };
    assert.equal(lastError.status, 401);
    assert.match(lastError.message, /Incorrect API key provided/);
    const cooldowns = body.cooldowns as Array<{ credential: string; reason: string }>;
    assert.deepEqual(cooldowns.map((cooldown) => `${cooldown.credential}:${cooldown.reason}`), ['a#1:auth_failed']);
    assert.ok(!raw.body.toString('utf8').includes('sk-SECRET'), `the status leaks a provider key: ${raw.body.toString('utf8')}`);
  });

  test('no management answer carries a provider key, even when the upstream echoed it (cooldowns, providers, status)', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: [SECRET_1, SECRET_2] }, b: { keys: ['kb1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), echoing401(SECRET_1), echoing401(SECRET_2));
    assert.equal((await chat(harness)).status, 200);
    harness.upstream.enqueue(modelsRoute('a'), echoing401(SECRET_1));
    const answers = [
      await managementText(harness, '/v0/management/cooldowns'),
      await managementText(harness, '/v1/providers'),
      await managementText(harness, '/v1/providers/a'),
      await managementText(harness, '/v1/providers/a/status'),
      await managementText(harness, '/v1/providers/a/status?check=true'),
    ];
    assert.equal((await listCooldowns(harness)).length, 2);
    for (const [index, text] of answers.entries()) {
      assert.ok(!text.includes('sk-SECRET'), `management answer #${index} leaks a provider key: ${text}`);
    }
  });

  test('the client never sees a provider key the upstream echoed in its error', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: [SECRET_1] } }, answerOk: false });
    harness.upstream.enqueue(chatRoute('a'), echoing401(SECRET_1));
    const response = await chat(harness);
    assert.equal(response.status, 401);
    assert.ok(!response.body.toString('utf8').includes('sk-SECRET'), response.body.toString('utf8'));
    assert.match(response.body.toString('utf8'), /Incorrect API key provided/);
  });

  test('in_flight counts a request the upstream holds open; state is cooling when every credential cools', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } } });
    assert.equal((await providerStatus(harness, 'a')).body.state, 'idle');
    harness.upstream.enqueue(chatRoute('a'), hangingResponse());
    const held = heldChat(harness);
    t.after(() => held.abort());
    await harness.upstream.waitForRequests(1);
    assert.equal((await providerStatus(harness, 'a')).body.in_flight, 1);
    held.abort();
    assert.equal(await held.response, 'aborted');
    await harness.upstream.requests[0]?.outcome;
    await eventually(async () => (await providerStatus(harness, 'a')).body.in_flight === 0, 'in_flight back to 0 after the abort');

    harness.upstream.enqueue(chatRoute('a'), failure(503));
    assert.equal((await chat(harness)).status, 503);
    const status = (await providerStatus(harness, 'a')).body;
    assert.equal(status.state, 'cooling');
    assert.equal((status.cooldowns as unknown[]).length, 1);
  });

  test('a client that goes away is not the provider\'s failure: no failure counted, no last error, no cooldown', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } } });
    assert.equal((await chat(harness)).status, 200);
    harness.upstream.enqueue(chatRoute('a'), hangingResponse());
    const held = heldChat(harness, { stream: true });
    t.after(() => held.abort());
    await harness.upstream.waitForRequests(2);
    held.abort();
    assert.equal(await harness.upstream.requests[1]?.outcome, 'aborted');
    await eventually(async () => (await providerStatus(harness, 'a')).body.in_flight === 0, 'the abandoned attempt ends');
    const status = (await providerStatus(harness, 'a')).body;
    assert.equal(status.failures, 0);
    assert.equal(status.success_rate, 1);
    assert.equal(status.last_error, null);
    assert.deepEqual(await listCooldowns(harness), []);
  });

  test('?check=true runs the health check: ok with a latency, or not ok with the reason', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: [SECRET_1] } } });
    harness.upstream.enqueue(modelsRoute('a'), jsonResponse({ object: 'list', data: [] }), echoing401(SECRET_1));
    const healthy = (await providerStatus(harness, 'a', '?check=true')).body.health as { ok: boolean; latency_ms: unknown };
    assert.equal(healthy.ok, true);
    assert.equal(typeof healthy.latency_ms, 'number');
    const probe = harness.upstream.requests[0];
    assert.equal(probe?.path, '/a/v1/models');
    assert.equal(probe?.headers.authorization, `Bearer ${SECRET_1}`);
    const sick = (await providerStatus(harness, 'a', '?check=true')).body.health as { ok: boolean; error: string };
    assert.equal(sick.ok, false);
    assert.match(sick.error, /Incorrect API key/);
    assert.ok(!sick.error.includes('sk-SECRET'), sick.error);
    assert.equal((await providerStatus(harness, 'a')).body.health, undefined, 'a plain status ran a health check');
  });
});

describe('/health and /ready', () => {
  test('/health is alive; /ready is 200 with a usable provider and 503 once none is', async (t) => {
    const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } } });
    const health = await rawRequest(`${harness.url}/health`);
    assert.equal(health.status, 200);
    assert.equal((health.json as { status: string }).status, 'ok');
    const ready = await rawRequest(`${harness.url}/ready`);
    assert.equal(ready.status, 200);
    assert.equal((ready.json as { ready: boolean }).ready, true);
    assert.deepEqual((ready.json as { providers_usable: string[] }).providers_usable, ['a']);

    const off = await rawRequest(`${harness.url}/v1/providers/a/enabled`, {
      method: 'PUT',
      headers: { 'x-management-key': MANAGEMENT_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    assert.equal(off.status, 200);
    const notReady = await rawRequest(`${harness.url}/ready`);
    assert.equal(notReady.status, 503);
    assert.equal((notReady.json as { ready: boolean }).ready, false);
    assert.deepEqual((notReady.json as { providers_usable: string[] }).providers_usable, []);
    assert.equal((await rawRequest(`${harness.url}/health`)).status, 200, '/health must stay alive');
  });

  test('/ready is 503 when the configuration has no usable provider at all', async (t) => {
    const harness = await startRoutingHarness(t, { providers: {} });
    const response = await rawRequest(`${harness.url}/ready`);
    assert.equal(response.status, 503);
    assert.equal((response.json as { ready: boolean }).ready, false);
  });
});

test('no provider key in anything the gateway logs at trace level while it fails over, cools, probes and reports', async (t) => {
  const upstream = await startFakeUpstream();
  t.after(() => upstream.close());
  upstream.always(chatRoute('a'), echoing401(SECRET_1));
  upstream.always(modelsRoute('a'), echoing401(SECRET_1));
  upstream.always(chatRoute('b'), jsonResponse({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] }));
  const config = {
    host: '127.0.0.1',
    port: 0,
    api_keys: [CLIENT_KEY],
    management_key: MANAGEMENT_KEY,
    routing: { strategy: 'fill_first' },
    providers: {
      a: { type: 'openai_compatible', endpoint: `${upstream.url}/a/v1`, api_keys: [SECRET_1], models: [{ name: 'm' }] },
      b: { type: 'openai_compatible', endpoint: `${upstream.url}/b/v1`, api_keys: ['kb1'], models: [{ name: 'm' }] },
    },
  };
  const child = spawn(process.execPath, [fileURLToPath(new URL('../helpers/gateway-child.ts', import.meta.url)), JSON.stringify(config), 'trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await within(exited, 5_000, 'the gateway child process exit').catch(() => child.kill('SIGKILL'));
  });
  let stderr = '';
  const url = await within(new Promise<string>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /gateway-child listening (\S+)/.exec(stderr);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  }), 10_000, 'the gateway child start');

  const send = (path: string, init: { method?: string; body?: string } = {}): ReturnType<typeof rawRequest> => rawRequest(`${url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'x-management-key': MANAGEMENT_KEY, 'content-type': 'application/json' },
  });
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello there' }] });
  assert.equal((await send('/v1/chat/completions', { body })).status, 200);
  assert.equal((await send('/v1/chat/completions', { body })).status, 200);
  assert.equal((await send('/v0/management/cooldowns')).status, 200);
  assert.equal((await send('/v1/providers/a/status?check=true')).status, 200);
  assert.equal((await send('/v0/management/cooldowns', { method: 'DELETE' })).status, 200);
  assert.equal((await send('/v1/chat/completions', { body })).status, 200);

  child.kill('SIGTERM');
  await within(exited, 5_000, 'the gateway child process exit');
  const logs = Buffer.concat(output).toString('utf8');
  assert.match(logs, /attempt failed/, 'the scenario logged no failed attempt, so it proves nothing');
  assert.ok(!logs.includes('sk-SECRET'), `the logs carry a provider key:\n${logs.split('\n').filter((line) => line.includes('sk-SECRET')).join('\n')}`);
});
