/**
 * Secrets never reach the logs (issue 2, section 7): a gateway in a child process at log
 * level `trace` serves good and bad requests — every way of sending the client key, a wrong
 * key, an upstream refusal, an unreachable upstream, a management write — and nothing it
 * writes contains a client key, a provider key, the management key or a rejected key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fixtureResponse, startFakeUpstream } from '../helpers/fake-upstream.ts';
import { openAIChatFraming } from '../helpers/sse-framing.ts';
import { rawRequest } from '../helpers/http-client.ts';
import { within } from '../helpers/gateway-harness.ts';
import { USER_MESSAGE, closedPort, fixtureUrl } from '../helpers/openai-proxy-kit.ts';

const CHILD = fileURLToPath(new URL('../helpers/gateway-child.ts', import.meta.url));
const SECRETS = {
  client: 'sk-client-6b1f0e55',
  provider: 'sk-up-9c2d44aa',
  deadProvider: 'sk-dead-31f7c2',
  management: 'mk-7e3a91bb',
  wrong: 'sk-wrong-0d4e82',
} as const;

test('no secret appears in anything the gateway logs at trace level', async (t) => {
  const upstream = await startFakeUpstream();
  t.after(() => upstream.close());
  const deadPort = await closedPort();
  upstream.enqueue('POST /v1/chat/completions', await fixtureResponse(fixtureUrl('text-usage.chunks.txt'), openAIChatFraming));
  upstream.enqueue('POST /v1/chat/completions', await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
  upstream.enqueue('POST /v1/chat/completions', await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
  upstream.always('POST /v1/chat/completions', await fixtureResponse(fixtureUrl('error-401-invalid-api-key.json'), openAIChatFraming, { status: 401 }));

  const config = {
    host: '127.0.0.1',
    port: 0,
    api_keys: [SECRETS.client],
    management_key: SECRETS.management,
    providers: {
      openai: { endpoint: `${upstream.url}/v1`, api_keys: [SECRETS.provider], models: [{ name: 'gpt-4.1-nano' }] },
      my_custom: { type: 'openai_compatible', endpoint: `http://127.0.0.1:${deadPort}/v1`, api_keys: [SECRETS.deadProvider], models: [{ name: 'dead-model' }] },
    },
  };
  const child = spawn(process.execPath, [CHILD, JSON.stringify(config), 'trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await within(exited, 5_000, 'the gateway child process exit').catch(() => child.kill('SIGKILL'));
  });
  const url = await within(
    new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const match = /gateway-child listening (\S+)/.exec(stderr);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`the gateway child exited (${String(code)}) before listening:\n${stderr}`)));
    }),
    15_000,
    'the gateway child start',
  );

  const chat = (headers: Record<string, string>, query = '', model = 'gpt-4.1-nano', stream = false): ReturnType<typeof rawRequest> =>
    rawRequest(`${url}/v1/chat/completions${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, messages: USER_MESSAGE, stream }),
    });
  assert.equal((await chat({ authorization: `Bearer ${SECRETS.client}` }, '', 'gpt-4.1-nano', true)).status, 200);
  assert.equal((await chat({ 'x-api-key': SECRETS.client })).status, 200);
  assert.equal((await chat({}, `?key=${SECRETS.client}`)).status, 200);
  assert.equal((await chat({ 'x-goog-api-key': SECRETS.client })).status, 401, 'the upstream refusal keeps its status');
  assert.equal((await chat({ authorization: `Bearer ${SECRETS.wrong}` })).status, 401);
  assert.equal((await chat({}, `?key=${SECRETS.wrong}`)).status, 401);
  assert.equal((await chat({ authorization: `Bearer ${SECRETS.client}` }, '', 'my_custom/dead-model')).status, 502);
  const toggle = await rawRequest(`${url}/v1/providers/my_custom/enabled`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-management-key': SECRETS.management },
    body: '{"enabled":false}',
  });
  assert.equal(toggle.status, 200);
  const refusedToggle = await rawRequest(`${url}/v1/providers/my_custom/enabled`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.wrong}` },
    body: '{"enabled":true}',
  });
  assert.ok(refusedToggle.status === 401 || refusedToggle.status === 403);

  child.kill('SIGTERM');
  await within(exited, 5_000, 'the gateway child process exit');
  const logs = Buffer.concat(output).toString('utf8') + stderr;
  // The check below means something only if the child logged at all.
  assert.ok(logs.includes('"msg":"listening"'), `the gateway child logged nothing:\n${logs}`);
  for (const [name, secret] of Object.entries(SECRETS)) {
    const line = logs.split('\n').find((candidate) => candidate.includes(secret));
    assert.equal(line, undefined, `the ${name} key appears in the logs: ${line ?? ''}`);
  }
});
