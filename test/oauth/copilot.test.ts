/**
 * GitHub Copilot end to end: the official SDKs → the gateway → loopback fakes of the
 * Copilot token exchange, user/quota endpoint and chat API. Credentials are files in
 * `<data_dir>/credentials`, as a login would have left them.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import {
  chatCompletion, copilotRecord, eventually, listCredentials, sendJson, startOAuthWorld, tempDataDir, testClock, writeCredentialFile,
  type OAuthWorld, type Recorded, type TestClock,
} from '../helpers/oauth-world.ts';

interface CopilotSetup {
  world: OAuthWorld;
  gateway: RunningGateway;
  clock: TestClock;
  dataDir: string;
  openai: OpenAI;
}

const CHAT = 'POST /copilot-api/chat/completions';
const RESPONSES = 'POST /copilot-api/responses';
const EXCHANGE = 'GET /copilot/token';

async function setup(t: TestContext, logins: string[], prepare: (world: OAuthWorld) => void = () => {}): Promise<CopilotSetup> {
  const clock = testClock();
  const world = await startOAuthWorld(clock);
  const data = await tempDataDir();
  let gateway: RunningGateway | undefined;
  t.after(async () => {
    await gateway?.close();
    await world.close();
    await data.remove();
  });
  prepare(world);
  const dataDir = data.dir;
  // The store creates the folder at start; files written before that need it now.
  await mkdir(join(dataDir, 'credentials'), { recursive: true, mode: 0o700 });
  for (const login of logins) await writeCredentialFile(dataDir, copilotRecord(login, clock.now()));
  const running = await startGateway({ config: world.gatewayConfig(dataDir), env: {}, logLevel: 'silent', clock });
  gateway = running;
  // The live /models list is fetched at start with the first usable credential.
  if (logins.length > 0) {
    await eventually('the live Copilot catalogue', async () => {
      const body = await (await fetch(`${running.url}/v1/providers/copilot/models`)).json() as { data: Array<{ id: string }> };
      return body.data.some((model) => model.id === 'gpt-5-codex') ? true : undefined;
    });
  }
  const openai = new OpenAI({ apiKey: 'unused', baseURL: `${running.url}/v1`, maxRetries: 0, timeout: 10_000 });
  return { world, gateway: running, clock, dataDir, openai };
}

async function storedCopilotToken(dataDir: string, login: string): Promise<string> {
  const record = JSON.parse(await readFile(join(dataDir, 'credentials', `copilot-${login}.json`), 'utf8')) as { copilot_token?: string };
  assert.ok(record.copilot_token !== undefined, 'the exchanged API token is cached in the credential file');
  return record.copilot_token;
}

function last(world: OAuthWorld, route: string): Recorded {
  const hits = world.hits(route);
  const request = hits.at(-1);
  assert.ok(request !== undefined, `the fake got ${route}`);
  return request;
}

test('a chat request reaches Copilot with the API token (never the GitHub token) and the editor headers', async (t) => {
  const { world, openai, dataDir } = await setup(t, ['octocat']);
  const completion = await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Say hello' }] });
  assert.equal(completion.choices[0]?.message.content, 'Hello from Copilot');
  const request = last(world, CHAT);
  const apiToken = await storedCopilotToken(dataDir, 'octocat');
  assert.match(apiToken, /^tid=octocat;/);
  assert.equal(request.headers.authorization, `Bearer ${apiToken}`);
  assert.ok(!JSON.stringify(request.headers).includes('gho_'), 'the GitHub OAuth token never goes to the chat API');
  assert.match(String(request.headers['editor-version']), /^vscode\/\d+\.\d+/);
  assert.match(String(request.headers['editor-plugin-version']), /^copilot-chat\//);
  assert.equal(request.headers['copilot-integration-id'], 'vscode-chat');
  assert.equal(request.headers['openai-intent'], 'conversation-panel');
  assert.match(String(request.headers['x-github-api-version']), /^\d{4}-\d{2}-\d{2}$/);
  assert.match(String(request.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(request.headers['x-initiator'], 'user');
  assert.equal(request.headers['copilot-vision-request'], undefined);
  assert.equal(request.json?.model, 'gpt-4.1');
  // The exchange itself carried the GitHub token, the GitHub way.
  assert.equal(last(world, EXCHANGE).headers.authorization, 'token gho_octocat');
});

test('X-Initiator is agent when the last message is the assistant\'s or a tool\'s; Copilot-Vision-Request only with an image', async (t) => {
  const { world, openai } = await setup(t, ['octocat']);
  await openai.chat.completions.create({
    model: 'gpt-4.1',
    messages: [
      { role: 'user', content: 'What is the weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
    ],
    tools: [{ type: 'function', function: { name: 'weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  });
  const afterTool = last(world, CHAT);
  assert.equal(afterTool.headers['x-initiator'], 'agent');
  await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello! What' }] });
  assert.equal(last(world, CHAT).headers['x-initiator'], 'agent');
  await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'assistant', content: 'Earlier' }, { role: 'user', content: 'Go on' }] });
  const userLast = last(world, CHAT);
  assert.equal(userLast.headers['x-initiator'], 'user');
  assert.equal(userLast.headers['copilot-vision-request'], undefined);
  assert.notEqual(userLast.headers['x-request-id'], afterTool.headers['x-request-id'], 'a fresh X-Request-Id per request');

  const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
  await openai.chat.completions.create({
    model: 'gpt-4.1',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${pixel}` } }] }],
  });
  const vision = last(world, CHAT);
  assert.equal(vision.headers['copilot-vision-request'], 'true');
  assert.equal(vision.headers['x-initiator'], 'user');
});

test('the Copilot API token is exchanged once, cached, and exchanged again shortly before expires_at', async (t) => {
  const { world, openai, clock, dataDir } = await setup(t, ['octocat']);
  // The start-up /models fetch made the one exchange; requests reuse its token.
  assert.equal(world.hits(EXCHANGE).length, 1);
  const first = await storedCopilotToken(dataDir, 'octocat');
  await Promise.all(Array.from({ length: 8 }, () => openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] })));
  assert.equal(world.hits(EXCHANGE).length, 1, 'eight requests, still one exchange');
  assert.ok(world.hits(CHAT).every((request) => request.headers.authorization === `Bearer ${first}`));

  // The token lives 30 minutes; refresh_lead is 10 minutes by default.
  clock.advance(15 * 60_000);
  await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(world.hits(EXCHANGE).length, 1, 'at 15 minutes the cached token still serves');
  clock.advance(6 * 60_000);
  await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(world.hits(EXCHANGE).length, 2, 'at 21 minutes (9 before expiry) a new token is fetched');
  const second = await storedCopilotToken(dataDir, 'octocat');
  assert.notEqual(second, first);
  assert.equal(last(world, CHAT).headers.authorization, `Bearer ${second}`);
  await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(world.hits(EXCHANGE).length, 2);
});

test('twenty concurrent requests when the Copilot API token is due cause exactly one exchange', async (t) => {
  const { world, openai, clock, dataDir } = await setup(t, ['octocat']);
  clock.advance(25 * 60_000);
  const answers = await Promise.all(Array.from({ length: 20 }, () => openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] })));
  assert.equal(answers.length, 20);
  assert.equal(world.hits(EXCHANGE).length, 2, 'the start-up exchange and one renewal');
  const renewed = await storedCopilotToken(dataDir, 'octocat');
  assert.ok(world.hits(CHAT).every((request) => request.headers.authorization === `Bearer ${renewed}`));
});

test('the live /models list feeds the registry; a /responses-only model is sent to /responses, others to /chat/completions', async (t) => {
  const { world, gateway, openai } = await setup(t, ['octocat']);
  const listed = await (await fetch(`${gateway.url}/v1/providers/copilot/models`)).json() as {
    data: Array<{ id: string; capabilities: { max_tokens: number; vision: boolean; functions: boolean; streaming: boolean }; max_output_tokens: number | null }>;
  };
  assert.deepEqual(listed.data.map((model) => model.id), ['gpt-4.1', 'claude-sonnet-4.5', 'gpt-5-codex']);
  const claude = listed.data.find((model) => model.id === 'claude-sonnet-4.5');
  assert.equal(claude?.capabilities.max_tokens, 144_000);
  assert.equal(claude?.capabilities.vision, true);
  assert.equal(claude?.capabilities.functions, true);
  assert.equal(claude?.max_output_tokens, 16_000);
  const codex = listed.data.find((model) => model.id === 'gpt-5-codex');
  assert.equal(codex?.capabilities.max_tokens, 400_000);
  assert.equal(codex?.capabilities.vision, false);
  assert.equal(last(world, 'GET /copilot-api/models').headers['copilot-integration-id'], 'vscode-chat');

  const viaResponses = await openai.chat.completions.create({ model: 'gpt-5-codex', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }] });
  assert.equal(viaResponses.choices[0]?.message.content, 'Hello from /responses');
  assert.equal(world.hits(RESPONSES).length, 1);
  assert.equal(world.hits(CHAT).length, 0, 'gpt-5-codex never goes to /chat/completions');
  const sent = last(world, RESPONSES);
  assert.equal(sent.json?.model, 'gpt-5-codex');
  assert.ok(Array.isArray(sent.json?.input) || typeof sent.json?.input === 'string', 'a Responses body (input)');
  assert.equal(sent.json?.messages, undefined);
  assert.match(String(sent.headers.authorization), /^Bearer tid=octocat;/);

  const stream = await openai.chat.completions.create({ model: 'gpt-5-codex', stream: true, messages: [{ role: 'user', content: 'Say hello' }] });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  assert.equal(text, 'Hello from /responses');
  assert.equal(world.hits(RESPONSES).length, 2);
  assert.equal(last(world, RESPONSES).json?.stream, true);

  await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(world.hits(CHAT).length, 1);
  assert.equal(world.hits(RESPONSES).length, 2);
});

test('streaming chat through Copilot passes the SSE through', async (t) => {
  const { world, openai } = await setup(t, ['octocat']);
  const stream = await openai.chat.completions.create({ model: 'gpt-4.1', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
  let text = '';
  let usage: number | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    if (chunk.usage) usage = chunk.usage.total_tokens;
  }
  assert.equal(text, 'Hello from Copilot');
  assert.equal(usage, 14);
  assert.equal(last(world, CHAT).headers.accept, 'text/event-stream');
});

test('several Copilot accounts rotate, each with its own exchanged token', async (t) => {
  const { world, openai } = await setup(t, ['alice', 'bob', 'carol']);
  for (let index = 0; index < 6; index++) {
    await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: `hi ${index}` }] });
  }
  const accounts = world.hits(CHAT).map((request) => /^Bearer tid=([a-z]+);/.exec(String(request.headers.authorization))?.[1]);
  const counts = new Map<string, number>();
  for (const account of accounts) counts.set(String(account), (counts.get(String(account)) ?? 0) + 1);
  assert.deepEqual([...counts.entries()].sort(), [['alice', 2], ['bob', 2], ['carol', 2]]);
  for (const login of ['alice', 'bob', 'carol']) {
    assert.equal(world.hits(EXCHANGE).filter((request) => request.headers.authorization === `token gho_${login}`).length, 1, `${login} exchanged once`);
  }
});

test('quota from the user endpoint is stored in the seed\'s shape and an exhausted account is skipped', async (t) => {
  const { world, gateway, openai } = await setup(t, ['alice', 'bob'], (fakes) => {
    fakes.copilotQuota.set('gho_alice', { entitlement: 300, remaining: 0 });
    fakes.copilotQuota.set('gho_bob', { entitlement: 300, remaining: 120 });
  });
  const listing = await eventually('quotas in the credential listing', async () => {
    const current = await listCredentials(gateway.url);
    return current.data.every((item) => item.quota !== null) ? current : undefined;
  });
  const alice = listing.data.find((item) => item.id === 'copilot-alice');
  const bob = listing.data.find((item) => item.id === 'copilot-bob');
  assert.deepEqual(alice?.quota, { limit: 300, used: 300, remaining: 0, reset_at: '2030-01-01T00:00:00.000Z' });
  assert.equal(alice?.exhausted, true);
  assert.deepEqual(bob?.quota, { limit: 300, used: 180, remaining: 120, reset_at: '2030-01-01T00:00:00.000Z' });
  assert.equal(bob?.exhausted, false);
  assert.equal(alice?.provider, 'copilot');
  assert.equal(JSON.stringify(listing).includes('gho_'), false, 'no token in the listing');
  assert.equal(JSON.stringify(listing).includes('tid='), false, 'no API token in the listing');
  assert.ok(world.hits('GET /copilot/user').some((request) => request.headers.authorization === 'token gho_alice'));

  for (let index = 0; index < 4; index++) {
    await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: `hi ${index}` }] });
  }
  const used = world.hits(CHAT).map((request) => /^Bearer tid=([a-z]+);/.exec(String(request.headers.authorization))?.[1]);
  assert.deepEqual(used, ['bob', 'bob', 'bob', 'bob']);
});

test('an Anthropic client (/v1/messages) is served by Copilot through translation', async (t) => {
  const { world, gateway } = await setup(t, ['octocat']);
  const anthropic = new Anthropic({ apiKey: 'unused', baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
  const message = await anthropic.messages.create({
    model: 'copilot/claude-sonnet-4-5',
    max_tokens: 256,
    system: 'You are terse.',
    messages: [{ role: 'user', content: 'Say hello' }],
  });
  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  assert.deepEqual(message.content.map((block) => (block.type === 'text' ? block.text : block.type)), ['Hello from Copilot']);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, 11);
  assert.equal(message.usage.output_tokens, 3);
  const sent = last(world, CHAT);
  assert.equal(sent.json?.model, 'claude-sonnet-4.5', 'the dashed name maps to Copilot\'s dotted id');
  assert.deepEqual(sent.json?.messages, [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello' }]);
  assert.equal(sent.headers['x-initiator'], 'user');

  const stream = anthropic.messages.stream({ model: 'copilot/claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Say hello' }] });
  const final = await stream.finalMessage();
  assert.deepEqual(final.content.map((block) => (block.type === 'text' ? block.text : block.type)), ['Hello from Copilot']);
  assert.equal(last(world, CHAT).json?.stream, true);

  // A tool result as the last user turn makes it an agent turn.
  await anthropic.messages.create({
    model: 'copilot/claude-sonnet-4-5',
    max_tokens: 256,
    tools: [{ name: 'weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    messages: [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' }] },
    ],
  });
  assert.equal(last(world, CHAT).headers['x-initiator'], 'agent');
});

test('a 401 from the Copilot chat API forces one new token exchange and a retry', async (t) => {
  const { world, openai, dataDir } = await setup(t, ['octocat']);
  const before = await storedCopilotToken(dataDir, 'octocat');
  let calls = 0;
  world.on(CHAT, (_request, response) => {
    calls += 1;
    if (calls === 1) return sendJson(response, 401, { error: { message: 'token expired', type: 'unauthorized' } });
    sendJson(response, 200, chatCompletion('answered on the retry'));
  });
  const completion = await openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(world.hits(EXCHANGE).length, 2, 'one forced exchange after the 401');
  const after = await storedCopilotToken(dataDir, 'octocat');
  assert.notEqual(after, before);
  const [firstTry, secondTry] = world.hits(CHAT);
  assert.equal(firstTry?.headers.authorization, `Bearer ${before}`);
  assert.equal(secondTry?.headers.authorization, `Bearer ${after}`);
  assert.equal(completion.choices[0]?.message.content, 'answered on the retry');
  assert.equal(world.hits(CHAT).length, 2);
});
