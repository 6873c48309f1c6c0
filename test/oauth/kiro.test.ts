/**
 * Kiro end to end: the OpenAI and Anthropic SDKs → the gateway → a loopback fake of Kiro's
 * `generateAssistantResponse`, answering AWS event streams built from SYNTHETIC frames
 * (there is no public Kiro capture; event names and fields follow PROTOCOLS.md).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import {
  concatFrames, eventFrame, eventually, exceptionFrame, kiroAnswer, kiroRecord, kiroTextStream, listCredentials, startOAuthWorld,
  tempDataDir, testClock, writeCredentialFile, type OAuthWorld, type Recorded,
} from '../helpers/oauth-world.ts';

const KIRO = 'POST /kiro/generateAssistantResponse';

interface KiroSetup {
  world: OAuthWorld;
  gateway: RunningGateway;
  openai: OpenAI;
  anthropic: Anthropic;
}

async function setup(t: TestContext, records: Array<Record<string, unknown>> = [kiroRecord('kiro-builder', Date.now())]): Promise<KiroSetup> {
  const clock = testClock();
  const world = await startOAuthWorld(clock);
  const data = await tempDataDir();
  let gateway: RunningGateway | undefined;
  t.after(async () => {
    await gateway?.close();
    await world.close();
    await data.remove();
  });
  await mkdir(join(data.dir, 'credentials'), { recursive: true, mode: 0o700 });
  for (const record of records) await writeCredentialFile(data.dir, record);
  const running = await startGateway({ config: world.gatewayConfig(data.dir), env: {}, logLevel: 'silent', clock });
  gateway = running;
  return {
    world,
    gateway: running,
    openai: new OpenAI({ apiKey: 'unused', baseURL: `${running.url}/v1`, maxRetries: 0, timeout: 10_000 }),
    anthropic: new Anthropic({ apiKey: 'unused', baseURL: running.url, maxRetries: 0, timeout: 10_000 }),
  };
}

/** SYNTHETIC: reasoning, text, two tools whose inputs arrive in fragments, usage. */
function richStream(): Uint8Array {
  return concatFrames([
    eventFrame('reasoningContentEvent', { text: 'The user wants weather ', signature: 'sig-synthetic' }),
    eventFrame('reasoningContentEvent', { text: 'and time.' }),
    eventFrame('assistantResponseEvent', { content: 'Checking ' }),
    eventFrame('assistantResponseEvent', { content: 'both.' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_weather', name: 'get_weather', input: '{"city":' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_weather', name: 'get_weather', input: '"Oslo","unit"' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_weather', name: 'get_weather', input: ':"celsius"}' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_weather', name: 'get_weather', stop: true }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_time', name: 'get_time', input: '{"zone":"Eu' }),
    eventFrame('toolUseEvent', { toolUseId: 'tooluse_time', name: 'get_time', input: 'rope/Oslo"}', stop: true }),
    eventFrame('messageMetadataEvent', { tokenUsage: { uncachedInputTokens: 40, cacheReadInputTokens: 10, outputTokens: 25, totalTokens: 75 } }),
    eventFrame('contextUsageEvent', { contextUsagePercentage: 0.025 }),
    eventFrame('meteringEvent', { unit: 'credit', usage: 0.2 }),
    eventFrame('followupPromptEvent', { followupPrompt: { content: 'ignored' } }),
  ]);
}

const TOOLS_OPENAI: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'get_time', description: 'Local time in a zone', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } },
];

const TOOLS_ANTHROPIC: Anthropic.Messages.Tool[] = [
  { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] } },
  { name: 'get_time', description: 'Local time in a zone', input_schema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
];

function lastKiro(world: OAuthWorld): Recorded {
  const request = world.hits(KIRO).at(-1);
  assert.ok(request !== undefined, 'Kiro got a request');
  return request;
}

interface KiroBody {
  conversationState: {
    chatTriggerType: string;
    conversationId: string;
    currentMessage: { userInputMessage: KiroUser };
    history: Array<{ userInputMessage?: KiroUser; assistantResponseMessage?: { content: string; toolUses?: Array<{ toolUseId: string; name: string; input: unknown }> } }>;
  };
  profileArn?: string;
}
interface KiroUser {
  content: string;
  modelId: string;
  origin: string;
  userInputMessageContext?: {
    tools?: Array<{ toolSpecification: { name: string; description: string; inputSchema: { json: Record<string, unknown> } } }>;
    toolResults?: Array<{ toolUseId: string; status: string; content: Array<{ text: string }> }>;
  };
}

function kiroBody(request: Recorded): KiroBody {
  return request.json as unknown as KiroBody;
}

test('OpenAI client, not streaming: text, reasoning, two tool calls with their full JSON input, usage', async (t) => {
  const { world, openai } = await setup(t);
  world.kiroQueue.push(kiroAnswer(richStream()));
  const completion = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', tools: TOOLS_OPENAI, messages: [{ role: 'user', content: 'Weather and time in Oslo?' }] });
  const choice = completion.choices[0];
  assert.equal(choice?.message.content, 'Checking both.');
  assert.equal((choice?.message as unknown as { reasoning_content?: string }).reasoning_content, 'The user wants weather and time.');
  assert.deepEqual(choice?.message.tool_calls?.map((call) => (call.type === 'function' ? [call.id, call.function.name, JSON.parse(call.function.arguments)] : [])), [
    ['tooluse_weather', 'get_weather', { city: 'Oslo', unit: 'celsius' }],
    ['tooluse_time', 'get_time', { zone: 'Europe/Oslo' }],
  ]);
  assert.equal(choice?.finish_reason, 'tool_calls');
  assert.equal(completion.usage?.prompt_tokens, 50);
  assert.equal(completion.usage?.completion_tokens, 25);
  assert.equal(completion.usage?.total_tokens, 75);
  assert.equal(lastKiro(world).headers.authorization, 'Bearer kiro-builder-access-0');
});

test('OpenAI client, streaming: the same facts as deltas, and usage at the end', async (t) => {
  const { world, openai } = await setup(t);
  world.kiroQueue.push(kiroAnswer(richStream()));
  const stream = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', stream: true, stream_options: { include_usage: true }, tools: TOOLS_OPENAI, messages: [{ role: 'user', content: 'Weather and time in Oslo?' }] });
  let text = '';
  let reasoning = '';
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  let finish: string | null | undefined;
  let usage: OpenAI.Completions.CompletionUsage | undefined;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (chunk.usage) usage = chunk.usage;
    if (choice === undefined) continue;
    text += choice.delta.content ?? '';
    reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? '';
    for (const call of choice.delta.tool_calls ?? []) {
      const entry = calls.get(call.index) ?? { id: '', name: '', arguments: '' };
      entry.id ||= call.id ?? '';
      entry.name ||= call.function?.name ?? '';
      entry.arguments += call.function?.arguments ?? '';
      calls.set(call.index, entry);
    }
    if (choice.finish_reason !== null) finish = choice.finish_reason;
  }
  assert.equal(text, 'Checking both.');
  assert.equal(reasoning, 'The user wants weather and time.');
  assert.deepEqual([...calls.values()].map((call) => [call.id, call.name, JSON.parse(call.arguments)]), [
    ['tooluse_weather', 'get_weather', { city: 'Oslo', unit: 'celsius' }],
    ['tooluse_time', 'get_time', { zone: 'Europe/Oslo' }],
  ]);
  assert.equal(finish, 'tool_calls');
  assert.deepEqual([usage?.prompt_tokens, usage?.completion_tokens, usage?.total_tokens], [50, 25, 75]);
});

test('Anthropic client, not streaming and streaming: thinking, text, tool_use blocks with their input, usage', async (t) => {
  const { world, anthropic } = await setup(t);
  world.kiroQueue.push(kiroAnswer(richStream()), kiroAnswer(richStream()));
  const expectBlocks = (content: Anthropic.Messages.ContentBlock[]): void => {
    assert.deepEqual(content.map((block) => {
      if (block.type === 'thinking') return ['thinking', block.thinking];
      if (block.type === 'text') return ['text', block.text];
      if (block.type === 'tool_use') return ['tool_use', block.id, block.name, block.input];
      return [block.type];
    }), [
      ['thinking', 'The user wants weather and time.'],
      ['text', 'Checking both.'],
      ['tool_use', 'tooluse_weather', 'get_weather', { city: 'Oslo', unit: 'celsius' }],
      ['tool_use', 'tooluse_time', 'get_time', { zone: 'Europe/Oslo' }],
    ]);
  };
  const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools: TOOLS_ANTHROPIC, messages: [{ role: 'user', content: 'Weather and time in Oslo?' }] });
  expectBlocks(message.content);
  assert.equal(message.stop_reason, 'tool_use');
  assert.equal(message.usage.input_tokens, 40, 'Anthropic counts input without the cached part');
  assert.equal(message.usage.cache_read_input_tokens, 10);
  assert.equal(message.usage.output_tokens, 25);

  const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools: TOOLS_ANTHROPIC, messages: [{ role: 'user', content: 'Weather and time in Oslo?' }] });
  const final = await stream.finalMessage();
  expectBlocks(final.content);
  assert.equal(final.stop_reason, 'tool_use');
  assert.equal(final.usage.output_tokens, 25);
  assert.equal(world.hits(KIRO).length, 2);
});

/** SYNTHETIC: two text deltas, then an exception frame inside the 200 stream. */
function failingStream(): Uint8Array {
  return concatFrames([
    eventFrame('assistantResponseEvent', { content: 'Partial ' }),
    eventFrame('assistantResponseEvent', { content: 'answer' }),
    exceptionFrame('ThrottlingException', { message: 'Rate exceeded for synthetic test' }),
    eventFrame('assistantResponseEvent', { content: ' never shown' }),
  ]);
}

test('an exception frame mid-stream becomes the OpenAI client\'s in-stream error, after the text before it', async (t) => {
  const { world, openai } = await setup(t);
  world.kiroQueue.push(kiroAnswer(failingStream()));
  const stream = await openai.chat.completions.create({ model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  let text = '';
  await assert.rejects(async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  }, (error: Error) => {
    assert.match(error.message, /Kiro ThrottlingException: Rate exceeded for synthetic test/);
    return true;
  });
  assert.equal(text, 'Partial answer');
});

test('an exception frame mid-stream becomes the Anthropic client\'s in-stream error event', async (t) => {
  const { world, anthropic } = await setup(t);
  world.kiroQueue.push(kiroAnswer(failingStream()));
  let anthropicText = '';
  await assert.rejects(async () => {
    const events = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] });
    events.on('text', (delta) => { anthropicText += delta; });
    await events.finalMessage();
  }, (error: Error & { error?: { error?: { type?: string } } }) => {
    assert.match(error.message, /Kiro ThrottlingException: Rate exceeded for synthetic test/);
    assert.equal(error.error?.error?.type, 'rate_limit_error');
    return true;
  });
  assert.equal(anthropicText, 'Partial answer');
});

test('an exception frame in a non-streaming answer is an error response with Kiro\'s message', async (t) => {
  const { world, gateway } = await setup(t);
  world.kiroQueue.push(kiroAnswer(concatFrames([
    eventFrame('assistantResponseEvent', { content: 'Partial' }),
    exceptionFrame('InternalServerException', { message: 'Synthetic internal failure' }),
  ])));
  // Every later attempt (failover to the same provider) sees the same failure.
  world.kiroDefault = kiroAnswer(concatFrames([exceptionFrame('InternalServerException', { message: 'Synthetic internal failure' })]));
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(response.status, 500);
  const body = await response.json() as { error: { message: string } };
  assert.match(body.error.message, /Kiro InternalServerException: Synthetic internal failure/);
});

test('frames split across TCP writes at many offsets decode to the same answer', async (t) => {
  const { world, gateway } = await setup(t);
  const bytes = richStream();
  const ask = async (stream: boolean): Promise<string> => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', stream, tools: TOOLS_OPENAI, messages: [{ role: 'user', content: 'Weather and time?' }] }),
    });
    assert.equal(response.status, 200);
    const text = await response.text();
    if (!stream) {
      const body = JSON.parse(text) as { choices: Array<{ message: unknown; finish_reason: string }>; usage: unknown };
      return JSON.stringify([body.choices[0]?.message, body.choices[0]?.finish_reason, body.usage]);
    }
    // The content of a stream, without ids and timestamps.
    return text.split('\n').filter((line) => line.startsWith('data: {')).map((line) => {
      const chunk = JSON.parse(line.slice(6)) as { choices: Array<{ delta: unknown; finish_reason: unknown }>; usage?: unknown };
      return JSON.stringify([chunk.choices[0]?.delta, chunk.choices[0]?.finish_reason, chunk.usage]);
    }).join('\n');
  };
  world.kiroQueue.push(kiroAnswer(bytes));
  const reference = await ask(false);
  assert.match(reference, /Europe\/Oslo/);
  world.kiroQueue.push(kiroAnswer(bytes));
  const streamReference = await ask(true);
  assert.match(streamReference, /celsius/);

  // Every byte its own write.
  world.kiroQueue.push(kiroAnswer(bytes, Array.from({ length: bytes.length }, (_, index) => index)));
  assert.equal(await ask(false), reference, 'one byte per write');
  world.kiroQueue.push(kiroAnswer(bytes, Array.from({ length: bytes.length }, (_, index) => index * 3)));
  assert.equal(await ask(true), streamReference, 'three bytes per write, streaming');
  // Two writes, the cut at offsets all over the stream (inside preludes, headers, payloads, CRCs).
  let checked = 0;
  for (let cut = 1; cut < bytes.length; cut += 17) {
    world.kiroQueue.push(kiroAnswer(bytes, [cut]));
    assert.equal(await ask(cut % 2 === 0), cut % 2 === 0 ? streamReference : reference, `cut at ${cut}`);
    checked++;
  }
  assert.ok(checked > 20, `${checked} offsets`);
});

test('the body Kiro receives follows the validity rules: user first, alternating, system folded in, tools declared, dotted model id', async (t) => {
  const { world, openai } = await setup(t);
  world.kiroQueue.push(kiroAnswer(kiroTextStream(['Done.'])));
  await openai.chat.completions.create({
    model: 'claude-sonnet-4-5',
    tools: TOOLS_OPENAI,
    messages: [
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'assistant', content: 'Hello! Ask me about the weather.' },
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'user', content: 'And quickly, please.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_w', content: '12°C, cloudy' },
    ],
  });
  const request = lastKiro(world);
  assert.equal(request.headers['content-type'], 'application/json');
  assert.equal(request.headers.authorization, 'Bearer kiro-builder-access-0');
  const body = kiroBody(request);
  const state = body.conversationState;
  assert.equal(state.chatTriggerType, 'MANUAL');
  assert.match(state.conversationId, /^[0-9a-f-]{36}$/);
  assert.equal(body.profileArn, undefined, 'Builder ID logins never send profileArn');
  // History: starts with a user turn, then strictly alternates; the current message is a user turn.
  const roles = state.history.map((entry) => (entry.userInputMessage !== undefined ? 'user' : 'assistant'));
  assert.equal(roles[0], 'user');
  roles.forEach((role, index) => { if (index > 0) assert.notEqual(role, roles[index - 1], `turns ${index - 1} and ${index} alternate`); });
  assert.equal(roles.at(-1), 'assistant');
  const first = state.history[0]?.userInputMessage;
  assert.ok(first?.content.startsWith('You are a weather bot.'), 'the system prompt leads the first user message');
  for (const entry of state.history) {
    const content = entry.userInputMessage?.content ?? entry.assistantResponseMessage?.content ?? '';
    assert.notEqual(content.trim(), '', 'no empty content');
  }
  const user = state.history.find((entry) => entry.userInputMessage?.content.includes('Weather in Oslo?'))?.userInputMessage;
  assert.match(user?.content ?? '', /Weather in Oslo\?[\s\S]*And quickly, please\./, 'consecutive user messages merged into one turn');
  const toolTurn = state.history.at(-1)?.assistantResponseMessage;
  assert.deepEqual(toolTurn?.toolUses, [{ toolUseId: 'call_w', name: 'get_weather', input: { city: 'Oslo' } }]);
  const current = state.currentMessage.userInputMessage;
  assert.equal(current.modelId, 'claude-sonnet-4.5');
  assert.equal(current.origin, 'AI_EDITOR');
  assert.notEqual(current.content.trim(), '');
  assert.deepEqual(current.userInputMessageContext?.toolResults, [{ toolUseId: 'call_w', status: 'success', content: [{ text: '12°C, cloudy' }] }]);
  assert.deepEqual(current.userInputMessageContext?.tools?.map((tool) => [tool.toolSpecification.name, tool.toolSpecification.description, tool.toolSpecification.inputSchema.json.type]), [
    ['get_weather', 'Weather for a city', 'object'],
    ['get_time', 'Local time in a zone', 'object'],
  ]);
  for (const entry of state.history) if (entry.userInputMessage !== undefined) assert.equal(entry.userInputMessage.modelId, 'claude-sonnet-4.5');
});

test('tools are declared for Kiro whenever the history holds tool turns, even when the client sent none', async (t) => {
  const { world, openai } = await setup(t);
  await openai.chat.completions.create({
    model: 'claude-sonnet-4-5',
    messages: [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_w', content: '12°C' },
      { role: 'user', content: 'Thanks. Summarise.' },
    ],
  });
  const state = kiroBody(lastKiro(world)).conversationState;
  const declared = state.currentMessage.userInputMessage.userInputMessageContext?.tools?.map((tool) => tool.toolSpecification) ?? [];
  assert.deepEqual(declared.map((tool) => tool.name), ['get_weather']);
  assert.notEqual(declared[0]?.description.trim(), '', 'a non-empty description');
  // The tool message and the user message after it are one user turn: the current message.
  assert.deepEqual(state.history.at(-1)?.assistantResponseMessage?.toolUses?.map((use) => use.toolUseId), ['call_w']);
  assert.deepEqual(state.currentMessage.userInputMessage.userInputMessageContext?.toolResults, [{ toolUseId: 'call_w', status: 'success', content: [{ text: '12°C' }] }], 'the result answers the tool use just before it');
  assert.match(state.currentMessage.userInputMessage.content, /Thanks\. Summarise\./);
});

test('model ids are dotted for Kiro: dashed, -0 and dated client names', async (t) => {
  const { world, openai } = await setup(t);
  const modelIdFor = async (model: string): Promise<string> => {
    await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    return kiroBody(lastKiro(world)).conversationState.currentMessage.userInputMessage.modelId;
  };
  assert.equal(await modelIdFor('claude-sonnet-4-5'), 'claude-sonnet-4.5');
  assert.equal(await modelIdFor('claude-haiku-4-5'), 'claude-haiku-4.5');
  assert.equal(await modelIdFor('claude-opus-4-5'), 'claude-opus-4.5');
  assert.equal(await modelIdFor('claude-sonnet-4-0'), 'claude-sonnet-4');
  assert.equal(await modelIdFor('claude-sonnet-4.5'), 'claude-sonnet-4.5');
  assert.equal(await modelIdFor('kiro/claude-sonnet-4-5-20250929'), 'claude-sonnet-4.5');
});

test('profileArn is sent for social logins only', async (t) => {
  const now = Date.now();
  const social = kiroRecord('kiro-social', now, {
    label: 'Kiro IDE (Google login)',
    auth_method: 'social',
    profile_arn: 'arn:aws:codewhisperer:us-east-1:123456789012:profile/SYNTHETIC',
    client_id: undefined,
    client_secret: undefined,
    client_secret_expires_at: undefined,
    start_url: undefined,
  });
  const { world, openai } = await setup(t, [social]);
  await openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
  const body = kiroBody(lastKiro(world));
  assert.equal(body.profileArn, 'arn:aws:codewhisperer:us-east-1:123456789012:profile/SYNTHETIC');
  assert.equal(lastKiro(world).headers.authorization, 'Bearer kiro-social-access-0');
});

test('Kiro usage limits are stored per credential as the seed\'s quota', async (t) => {
  const { world, gateway } = await setup(t);
  const listing = await eventually('the Kiro quota', async () => {
    const current = await listCredentials(gateway.url);
    return current.data[0]?.quota !== null ? current : undefined;
  });
  assert.deepEqual(listing.data.map((item) => [item.id, item.provider, item.quota, item.exhausted]), [
    ['kiro-builder', 'kiro', { limit: 50, used: 8, remaining: 42 }, false],
  ]);
  const usage = world.hits('GET /kiro-usage/getUsageLimits')[0];
  assert.equal(usage?.headers.authorization, 'Bearer kiro-builder-access-0');
  assert.match(usage?.url ?? '', /origin=AI_EDITOR&resourceType=AGENTIC_REQUEST/);
});

// KNOWN GAP (left failing on purpose): Claude Code and the Anthropic SDK name models with a
// date (`claude-sonnet-4-5-20250929`); kiroModelId() turns that into `claude-sonnet-4.5`, but
// the router never offers Kiro the dated name (Kiro's catalogue and mappings in
// src/providers/kiro.ts know only the undated ones), so without a `kiro/` prefix it is a 404.
test('Kiro serves Anthropic\'s dated model ids (claude-sonnet-4-5-20250929) without a provider prefix', async (t) => {
  const { world, anthropic } = await setup(t);
  const message = await anthropic.messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] });
  assert.deepEqual(message.content.map((block) => (block.type === 'text' ? block.text : block.type)), ['Hello from Kiro']);
  assert.equal(kiroBody(lastKiro(world)).conversationState.currentMessage.userInputMessage.modelId, 'claude-sonnet-4.5');
});
