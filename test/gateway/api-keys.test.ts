/**
 * API keys added at run time: listed masked, used for the next request, kept across a
 * restart on the same data_dir, removable; and the management key guards them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { hintsOf } from '../../src/server/proxy.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';

const seen: string[] = [];
const upstream = createServer((request: IncomingMessage, response) => {
  seen.push(String(request.headers.authorization));
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      id: 'x', object: 'chat.completion', created: 1, model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    }));
  });
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;

function manage(gateway: RunningGateway, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(gateway.url + path, { ...init, headers: { 'x-management-key': 'mk', 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000) });
}

test('an added key serves the next request, survives a restart and can be removed', async (t) => {
  t.after(() => { upstream.closeAllConnections(); upstream.close(); });
  const dataDir = await scratchDir('cliproxy-keys-');
  const config = { port: 0, data_dir: dataDir, management_key: 'mk', state: { driver: 'memory' }, providers: { groq: { endpoint, enabled: true, models: ['m'] } } };
  let gateway = await startGateway({ config, env: {}, logLevel: 'silent', watch: false });
  try {
    assert.equal((await fetch(`${gateway.url}/v0/management/providers/groq/api-keys`, { method: 'POST', body: '{"key":"x"}' })).status, 401, 'the management key is needed');
    const added = await manage(gateway, '/v0/management/providers/groq/api-keys', { method: 'POST', body: JSON.stringify({ key: 'gsk-added-secret-0001', name: 'team' }) });
    assert.equal(added.status, 201);
    assert.deepEqual(await added.json(), { id: 'team', provider: 'groq', masked: '…0001', created_at: (await (await manage(gateway, '/v0/management/providers/groq/api-keys')).json() as { data: Array<{ created_at: string }> }).data[0]?.created_at });
    const listed = await (await manage(gateway, '/v0/management/providers/groq/api-keys')).text();
    assert.ok(!listed.includes('gsk-added-secret-0001'), 'never the key itself');
    const chat = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(chat.status, 200);
    assert.equal(seen.at(-1), 'Bearer gsk-added-secret-0001');
    const file = join(dataDir, 'api-keys.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(await readFile(file, 'utf8'), /gsk-added-secret-0001/);

    await gateway.close();
    gateway = await startGateway({ config, env: {}, logLevel: 'silent', watch: false });
    const again = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(again.status, 200, 'kept across a restart');
    assert.equal(seen.at(-1), 'Bearer gsk-added-secret-0001');

    assert.equal((await manage(gateway, '/v0/management/providers/groq/api-keys/team', { method: 'DELETE' })).status, 200);
    assert.equal((await manage(gateway, '/v0/management/providers/groq/api-keys/team', { method: 'DELETE' })).status, 404);
    const after = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(seen.at(-1), 'undefined', 'no key left: the keyless request goes out without one');
    assert.equal(after.status, 200);
    assert.equal((await manage(gateway, '/v0/management/providers/nope/api-keys')).status, 404);
    assert.equal((await manage(gateway, '/v0/management/providers/groq/api-keys', { method: 'POST', body: '{"key":""}' })).status, 400);
  } finally {
    await gateway.close();
  }
});

test('X-Initiator hints: agent when the last turn is the assistant or a tool, in every client format', () => {
  const call = (format: 'openai-chat' | 'anthropic' | 'openai-responses' | 'gemini', body: Record<string, unknown>) =>
    hintsOf({ format, raw: Buffer.alloc(0), body, model: 'm', stream: false, geminiSse: true, headers: {} }, false).initiator;
  assert.equal(call('openai-chat', { messages: [{ role: 'user', content: 'x' }] }), 'user');
  assert.equal(call('openai-chat', { messages: [{ role: 'user', content: 'x' }, { role: 'tool', content: 'r', tool_call_id: 'a' }] }), 'agent');
  assert.equal(call('anthropic', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'r' }] }] }), 'agent');
  assert.equal(call('anthropic', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }), 'user');
  assert.equal(call('openai-responses', { input: [{ type: 'function_call_output', call_id: 'a', output: 'r' }] }), 'agent');
  assert.equal(call('gemini', { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] }), 'agent');
  assert.equal(hintsOf({ format: 'openai-chat', raw: Buffer.alloc(0), body: { messages: [] }, model: 'm', stream: false, geminiSse: true, headers: {} }, true).vision, true);
});
