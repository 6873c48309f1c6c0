/**
 * The built gateway (`scripts/build.ts`: one esbuild bundle plus lazily loaded chunks), as
 * `npm start`, `bin/cliproxy.mjs` and the benchmark run it. Everything else tests the
 * TypeScript sources; this checks the bundle finds its package root (version, dashboard),
 * proxies on the fast path and translated, exposes metrics, and loads a lazy chunk.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { buildDashboard } from '../../dashboard/build.ts';
import { buildServer } from '../../scripts/build.ts';
import { jsonResponse, startFakeUpstream, streamResponse } from '../helpers/fake-upstream.ts';
import type { FakeUpstream } from '../helpers/fake-upstream.ts';
import { startGatewayProcess } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
// One level below the package root, as `dist/` is: the bundle finds package.json and the
// dashboard relative to itself.
const OUT = join(ROOT, `.bundle-test-${process.pid}`);
const ENTRY = join(OUT, 'cli.js');

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let dataDir: string;

before(async () => {
  if (!existsSync(join(ROOT, 'dashboard', 'dist', 'index.html'))) await buildDashboard();
  await buildServer(OUT);
  upstream = await startFakeUpstream();
  dataDir = await mkdtemp(join(tmpdir(), 'cliproxy-bundle-'));
  gateway = await startGatewayProcess({
    port: 0,
    log_level: 'info',
    data_dir: dataDir,
    management_key: 'mk',
    providers: { openai: { endpoint: `${upstream.url}/v1`, api_keys: ['sk-up'], models: [{ name: 'gpt-bundle' }] } },
  }, { entry: ENTRY });
});

after(async () => {
  await gateway?.stop();
  await upstream?.close();
  await rm(OUT, { recursive: true, force: true });
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

test('the bundle is one entry plus chunks, with no TypeScript left and no non-ASCII source text', async () => {
  const files = (await readdir(OUT)).filter((name) => name.endsWith('.js'));
  assert.ok(files.includes('cli.js'));
  assert.ok(files.length > 1, 'lazily loaded parts (the Redis driver) are chunks of their own');
  for (const file of files) {
    const text = readFileSync(join(OUT, file), 'utf8');
    // One non-ASCII character makes V8 hold the whole source as two-byte text: twice the memory.
    assert.doesNotMatch(text, /[^\x00-\x7f]/, `${file} holds a non-ASCII character`);
  }
});

test('--version reads the package manifest from the bundle', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [ENTRY, '--version']);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(stdout.trim(), manifest.version);
});

test('the bundled gateway relays a chat completion byte for byte, and streams', async () => {
  const answer = { id: 'chatcmpl-b', object: 'chat.completion', created: 1, model: 'gpt-bundle', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } };
  upstream.enqueue('POST /v1/chat/completions', jsonResponse(answer));
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-bundle', messages: [{ role: 'user', content: 'hello' }] }),
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), JSON.stringify(answer));
  assert.equal(upstream.requests.at(-1)?.headers.authorization, 'Bearer sk-up');

  const events = 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-bundle","choices":[{"index":0,"delta":{"content":"yo"},"finish_reason":null}]}\n\n' +
    'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-bundle","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
  upstream.enqueue('POST /v1/chat/completions', streamResponse(events));
  const streamed = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-bundle', stream: true, messages: [{ role: 'user', content: 'hello' }] }),
  });
  assert.equal(await streamed.text(), events);
});

test('the bundled gateway translates: an Anthropic client in front of the OpenAI upstream', async () => {
  upstream.enqueue('POST /v1/chat/completions', jsonResponse({
    id: 'chatcmpl-t', object: 'chat.completion', created: 1, model: 'gpt-bundle',
    choices: [{ index: 0, message: { role: 'assistant', content: 'translated' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  }));
  const response = await fetch(`${gateway.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'gpt-bundle', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }),
  });
  assert.equal(response.status, 200);
  const body = await response.json() as { type: string; content: { type: string; text: string }[]; stop_reason: string; usage: { input_tokens: number } };
  assert.equal(body.type, 'message');
  assert.deepEqual(body.content, [{ type: 'text', text: 'translated' }]);
  assert.equal(body.stop_reason, 'end_turn');
  assert.equal(body.usage.input_tokens, 5);
});

test('the bundled gateway serves metrics and the dashboard from the package root', async () => {
  const metrics = await fetch(`${gateway.url}/metrics`, { headers: { 'x-management-key': 'mk' } });
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^cliproxy_requests_total\{format="openai-chat",provider="openai",status="200"\} 2$/m);
  const page = await fetch(`${gateway.url}/dashboard/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.equal(await page.text(), readFileSync(join(ROOT, 'dashboard', 'dist', 'index.html'), 'utf8'));
});

test('the Redis driver loads from its own chunk, and falls back when Redis is not there', async () => {
  // A loopback port with nothing listening: the driver must load, fail to connect, fall back.
  const port = await new Promise<number>((resolvePort) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(free));
    });
  });
  const dir = await mkdtemp(join(tmpdir(), 'cliproxy-bundle-redis-'));
  const redisGateway = await startGatewayProcess({
    port: 0,
    log_level: 'info',
    data_dir: dir,
    state: { driver: 'redis', redis_url: `redis://127.0.0.1:${port}` },
    providers: { openai: { endpoint: `${upstream.url}/v1`, api_keys: ['sk-up'], models: [{ name: 'gpt-bundle' }] } },
  }, { entry: ENTRY });
  try {
    const health = await (await fetch(`${redisGateway.url}/ready`)).json() as { ready: boolean; state: { driver: string; ok: boolean } };
    assert.equal(health.state.driver, 'redis');
    assert.equal(health.state.ok, false);
    assert.equal(health.ready, true, "a driver serving from its fallback is degraded, not down");
  } finally {
    await redisGateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
