/**
 * `@anthropic-ai/sdk` as a real client of `/v1/messages`, served by a Claude upstream (the
 * fast path), an OpenAI-compatible one and a Gemini one (translation): text, streaming with
 * `messages.stream().finalMessage()`, tool use with thinking, system prompts, base64 images,
 * count_tokens — and a request shaped like Claude Code's, which must reach a Gemini or an
 * OpenAI upstream without a 400 and without Anthropic-only fields.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import {
  CLIENT_KEY, FACTS, GEMINI_ROUTE, MODELS, OPENAI_ROUTE, TEXT_OF, UPSTREAM_KEYS, UPSTREAM_KINDS, WEATHER_SCHEMA,
  anthropicFixture, enqueueScenario, geminiFixture, lastBody, objectAt, objectsAt, openaiFixture, startClientGateway,
} from '../helpers/client-gateway.ts';
import type { ClientGateway, JsonObject, UpstreamKind } from '../helpers/client-gateway.ts';
import { allStrings, history, systemTexts, toolNames, upstreamModel } from '../helpers/upstream-views.ts';

function anthropicClient(gateway: ClientGateway): Anthropic {
  return new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
}

async function setup(t: TestContext): Promise<{ gateway: ClientGateway; client: Anthropic }> {
  const gateway = await startClientGateway(t);
  return { gateway, client: anthropicClient(gateway) };
}

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: WEATHER_SCHEMA,
} as const;

// A 1×1 transparent PNG.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

for (const kind of UPSTREAM_KINDS) {
  const model = MODELS[kind];
  describe(`@anthropic-ai/sdk → /v1/messages served by ${kind}`, () => {
    it('messages.create: text answer, system prompt delivered upstream', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      const message = await client.messages.create({
        model,
        max_tokens: 256,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'Say hello' }],
      });
      assert.equal(message.type, 'message');
      assert.equal(message.role, 'assistant');
      const text = message.content.filter((block) => block.type === 'text').map((block) => block.text).join('');
      assert.equal(text, TEXT_OF[kind]);
      assert.equal(message.stop_reason, 'end_turn');
      assert.ok(message.usage.input_tokens > 0, 'input tokens reported');
      assert.ok(message.usage.output_tokens > 0, 'output tokens reported');

      const upstream = gateway.upstream(kind);
      assert.equal(upstream.requests.length, 1);
      const request = upstream.requests[0];
      assert.ok(request !== undefined);
      assert.equal(upstreamModel(kind, request), model);
      const body = lastBody(upstream);
      assert.deepEqual(systemTexts(kind, body), ['You are terse.']);
      assert.deepEqual(history(kind, body), [{ role: 'user', kind: 'text', text: 'Say hello' }]);
      if (kind === 'claude') {
        assert.equal(request.headers['x-api-key'], UPSTREAM_KEYS.claude);
        // The SDK's own anthropic-version goes through (the client's protocol headers win).
        assert.match(String(request.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/);
      }
      if (kind === 'gemini') assert.equal(request.headers['x-goog-api-key'], UPSTREAM_KEYS.gemini);
      if (kind === 'openai') assert.equal(request.headers.authorization, `Bearer ${UPSTREAM_KEYS.openai}`);
      assert.ok(!allStrings(body).includes(CLIENT_KEY), 'the client key never reaches the upstream');
    });

    it('messages.stream().finalMessage(): the streamed text adds up', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', true);
      const stream = client.messages.stream({
        model,
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Say hello' }],
      });
      const deltas: string[] = [];
      stream.on('text', (delta) => deltas.push(delta));
      const message = await stream.finalMessage();
      const text = message.content.filter((block) => block.type === 'text').map((block) => block.text).join('');
      assert.equal(text, TEXT_OF[kind]);
      assert.equal(deltas.join(''), TEXT_OF[kind]);
      assert.ok(deltas.length > 1, 'the text arrived in several deltas');
      assert.equal(message.stop_reason, 'end_turn');
      assert.ok(message.usage.output_tokens > 0);
      const body = lastBody(gateway.upstream(kind));
      if (kind !== 'gemini') assert.equal(body.stream, true, 'the upstream was asked to stream');
      else assert.match(gateway.gemini.requests[0]?.url ?? '', /:streamGenerateContent\?alt=sse$/);
      if (kind === 'openai') assert.deepEqual(body.stream_options, { include_usage: true });
    });

    for (const streaming of [false, true]) {
      it(`tool use with thinking (${streaming ? 'streaming' : 'not streaming'}): parsed input, then the tool_result round trip`, async (t) => {
        const { gateway, client } = await setup(t);
        await enqueueScenario(gateway, kind, 'tool', streaming);
        const params = {
          model,
          max_tokens: 4096,
          thinking: { type: 'enabled', budget_tokens: 2048 },
          tools: [WEATHER_TOOL],
          messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        } satisfies Anthropic.MessageCreateParamsNonStreaming;
        const first = streaming ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
        assert.equal(first.stop_reason, 'tool_use');
        const toolUse = first.content.find((block) => block.type === 'tool_use');
        assert.ok(toolUse !== undefined && toolUse.type === 'tool_use', 'a tool_use block');
        assert.equal(toolUse.name, 'get_weather');
        assert.deepEqual(toolUse.input, FACTS.weatherArgs);
        assert.match(toolUse.id, /^[a-zA-Z0-9_-]+$/, 'a tool id Anthropic accepts');
        if (kind === 'claude') assert.equal(toolUse.id, FACTS.claudeToolId);
        const thinking = first.content.find((block) => block.type === 'thinking');
        assert.ok(thinking !== undefined && thinking.type === 'thinking', 'a thinking block');
        const expectedThought = kind === 'claude' ? FACTS.claudeThinking : kind === 'gemini' ? FACTS.geminiThought : FACTS.openaiReasoning;
        assert.equal(thinking.thinking, expectedThought);
        if (kind === 'claude') assert.equal(thinking.signature, FACTS.claudeSignature);
        else assert.ok(!thinking.signature.startsWith('EqMB'), 'no Claude-looking signature is made up');

        // What the upstream was offered on turn 1.
        const turn1 = lastBody(gateway.upstream(kind));
        assert.deepEqual(toolNames(kind, turn1), ['get_weather']);
        if (kind === 'gemini') {
          const generation = objectAt(turn1.generationConfig, 'generationConfig');
          const thinkingConfig = objectAt(generation.thinkingConfig, 'thinkingConfig');
          assert.equal(thinkingConfig.includeThoughts, true);
          assert.equal(thinkingConfig.thinkingBudget, 2048);
        }
        if (kind === 'claude') assert.deepEqual(turn1.thinking, { type: 'enabled', budget_tokens: 2048 });

        // Turn 2: the SDK's own content goes back, with the tool result.
        await enqueueScenario(gateway, kind, 'text', streaming);
        const secondParams = {
          ...params,
          messages: [
            ...params.messages,
            { role: 'assistant', content: first.content },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '18°C and sunny', is_error: false }] },
          ],
        } satisfies Anthropic.MessageCreateParamsNonStreaming;
        const second = streaming ? await client.messages.stream(secondParams).finalMessage() : await client.messages.create(secondParams);
        assert.equal(second.content.filter((block) => block.type === 'text').map((block) => block.text).join(''), TEXT_OF[kind]);

        const turn2 = lastBody(gateway.upstream(kind));
        const items = history(kind, turn2);
        const call = items.find((item) => item.kind === 'tool-call');
        const result = items.find((item) => item.kind === 'tool-result');
        assert.ok(call !== undefined && call.kind === 'tool-call', 'the tool call went back');
        assert.ok(result !== undefined && result.kind === 'tool-result', 'the tool result went up');
        assert.equal(call.name, 'get_weather');
        assert.deepEqual(call.args, FACTS.weatherArgs);
        assert.match(result.content, /18°C and sunny/);
        if (kind === 'gemini') assert.equal(result.name, 'get_weather', 'Gemini gets the function name');
        else assert.equal(result.id, call.id, 'the tool result answers the call by id');
        const thought = items.find((item) => item.kind === 'thinking');
        if (kind === 'claude') {
          assert.ok(thought !== undefined && thought.kind === 'thinking');
          assert.equal(thought.signature, FACTS.claudeSignature, 'the Claude signature went back byte-exact');
          assert.equal(call.id, FACTS.claudeToolId);
        } else {
          assert.ok(!allStrings(turn2).includes(FACTS.claudeSignature));
        }
        // Whether a Gemini thoughtSignature survives an Anthropic client is asserted in multi-turn-tools.test.ts.
      });
    }

    it('a base64 image reaches the upstream as that upstream\'s inline image', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      await client.messages.create({
        model,
        max_tokens: 64,
        messages: [{
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
            { type: 'text', text: 'What is in this picture?' },
          ],
        }],
      });
      const items = history(kind, lastBody(gateway.upstream(kind)));
      assert.deepEqual(items, [
        { role: 'user', kind: 'image', mediaType: 'image/png', data: PNG_BASE64 },
        { role: 'user', kind: 'text', text: 'What is in this picture?' },
      ]);
    });

    it('messages.countTokens: exact where the upstream counts, an estimate otherwise', async (t) => {
      const { gateway, client } = await setup(t);
      if (kind === 'claude') gateway.claude.enqueue('POST /v1/messages/count_tokens', await anthropicFixture('count-tokens.json'));
      if (kind === 'gemini') gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('count-tokens.json'));
      const { data, response } = await client.messages.countTokens({
        model,
        system: 'You are terse.',
        tools: [WEATHER_TOOL],
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      }).withResponse();
      if (kind === 'openai') {
        assert.equal(response.headers.get('x-cliproxy-token-count'), 'estimate');
        assert.ok(data.input_tokens > 5 && data.input_tokens < 500, `a plausible estimate, got ${data.input_tokens}`);
        assert.equal(gateway.openai.requests.length, 0);
        return;
      }
      assert.equal(response.headers.get('x-cliproxy-token-count'), 'exact');
      assert.equal(data.input_tokens, 1234);
      const upstream = gateway.upstream(kind);
      assert.equal(upstream.requests.length, 1);
      const body = lastBody(upstream);
      if (kind === 'claude') {
        assert.equal(upstream.requests[0]?.path, '/v1/messages/count_tokens');
        assert.equal(body.model, model);
        assert.deepEqual(toolNames('claude', body), ['get_weather']);
      } else {
        assert.match(upstream.requests[0]?.path ?? '', /:countTokens$/);
        const inner = objectAt(body.generateContentRequest, 'generateContentRequest');
        assert.deepEqual(systemTexts('gemini', inner), ['You are terse.']);
        assert.deepEqual(toolNames('gemini', inner), ['get_weather']);
      }
    });
  });
}

describe('@anthropic-ai/sdk: two parallel calls of one tool from a Gemini upstream', () => {
  it('gets two tool_use ids, and the two tool_results go back to Gemini in call order, by name', async (t) => {
    const { gateway, client } = await setup(t);
    gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('parallel-function-calls.json'));
    const params = {
      model: MODELS.gemini,
      max_tokens: 1024,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Weather in Paris and London?' }],
    } satisfies Anthropic.MessageCreateParamsNonStreaming;
    const first = await client.messages.create(params);
    const uses = first.content.filter((block) => block.type === 'tool_use');
    assert.equal(uses.length, 2);
    assert.deepEqual(uses.map((block) => block.input), [{ location: 'Paris' }, { location: 'London' }]);
    assert.notEqual(uses[0]?.id, uses[1]?.id, 'distinct made-up ids');
    for (const block of uses) assert.match(block.id, /^[a-zA-Z0-9_-]+$/);

    await enqueueScenario(gateway, 'gemini', 'text', false);
    // The results come back in the opposite order, as a client is free to send them.
    await client.messages.create({
      ...params,
      messages: [
        ...params.messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: uses[1]?.id ?? '', content: 'London: 12°C' },
            { type: 'tool_result', tool_use_id: uses[0]?.id ?? '', content: 'Paris: 18°C' },
          ],
        },
      ],
    });
    const contents = objectsAt(lastBody(gateway.gemini).contents, 'contents');
    const model = contents.find((content) => content.role === 'model');
    const calls = objectsAt(model?.parts, 'model parts').map((part) => objectAt(part.functionCall, 'functionCall'));
    assert.deepEqual(calls.map((call) => call.args), [{ location: 'Paris' }, { location: 'London' }]);
    for (const call of calls) assert.ok(!String(call.id ?? '').startsWith('call_gemini'), 'made-up ids are not sent to Gemini');
    const responses = contents.slice(contents.indexOf(model as JsonObject) + 1)
      .flatMap((content) => objectsAt(content.parts, 'parts'))
      .filter((part) => part.functionResponse !== undefined)
      .map((part) => objectAt(part.functionResponse, 'functionResponse'));
    assert.equal(responses.length, 2);
    assert.ok(responses.every((response) => response.name === 'get_weather'));
    // Gemini pairs responses with calls by position: Paris's result must come first.
    assert.match(JSON.stringify(responses[0]?.response), /Paris/);
    assert.match(JSON.stringify(responses[1]?.response), /London/);
  });
});

describe('@anthropic-ai/sdk: two streamed tool calls from an OpenAI upstream', () => {
  it('messages.stream() builds two tool_use blocks with their whole inputs', async (t) => {
    const { gateway, client } = await setup(t);
    gateway.openai.enqueue(OPENAI_ROUTE, await openaiFixture('parallel-tool-calls.chunks.txt'));
    const message = await client.messages.stream({
      model: MODELS.openai,
      max_tokens: 1024,
      tools: [WEATHER_TOOL, { name: 'get_stock_price', description: 'A stock price', input_schema: { type: 'object', properties: { ticker: { type: 'string' }, exchange: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'Weather in Tokyo and the AAPL price?' }],
    }).finalMessage();
    assert.equal(message.stop_reason, 'tool_use');
    const uses = message.content.filter((block) => block.type === 'tool_use');
    assert.deepEqual(uses.map((block) => [block.id, block.name, block.input]), [
      ['call_fixtureParA', 'get_weather', { location: 'Tokyo' }],
      ['call_fixtureParB', 'get_stock_price', { ticker: 'AAPL', exchange: 'NASDAQ' }],
    ]);
    assert.equal(message.usage.input_tokens, 90);
    assert.equal(message.usage.output_tokens, 40);
  });
});

describe('@anthropic-ai/sdk: tool_choice reaches each upstream as its own knob', () => {
  for (const kind of ['gemini', 'openai'] as const) {
    it(`${kind}: any → required, {tool} → that tool only`, async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      await enqueueScenario(gateway, kind, 'text', false);
      const base = { model: MODELS[kind], max_tokens: 256, tools: [WEATHER_TOOL, { ...WEATHER_TOOL, name: 'get_time' }], messages: [{ role: 'user' as const, content: 'Go' }] };
      await client.messages.create({ ...base, tool_choice: { type: 'any' } });
      const any = lastBody(gateway.upstream(kind));
      await client.messages.create({ ...base, tool_choice: { type: 'tool', name: 'get_time' } });
      const named = lastBody(gateway.upstream(kind));
      if (kind === 'gemini') {
        const anyConfig = objectAt(objectAt(any.toolConfig, 'toolConfig').functionCallingConfig, 'functionCallingConfig');
        assert.equal(anyConfig.mode, 'ANY');
        const namedConfig = objectAt(objectAt(named.toolConfig, 'toolConfig').functionCallingConfig, 'functionCallingConfig');
        assert.equal(namedConfig.mode, 'ANY');
        assert.deepEqual(namedConfig.allowedFunctionNames, ['get_time']);
      } else {
        assert.equal(any.tool_choice, 'required');
        assert.deepEqual(named.tool_choice, { type: 'function', function: { name: 'get_time' } });
      }
    });
  }
});

describe('@anthropic-ai/sdk: a tool_result holding text and an image (as Claude Code sends screenshots)', () => {
  for (const kind of ['gemini', 'openai'] as const) {
    it(`${kind}: the text answers the call, and the image still reaches the model`, async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      await client.messages.create({
        model: MODELS[kind],
        max_tokens: 256,
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'What is the weather in Paris?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01Screenshot000000001', name: 'get_weather', input: { location: 'Paris' } }] },
          {
            role: 'user',
            content: [{
              type: 'tool_result',
              tool_use_id: 'toolu_01Screenshot000000001',
              cache_control: { type: 'ephemeral' },
              content: [
                { type: 'text', text: 'Radar picture attached' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
              ],
            }],
          },
        ],
      });
      const body = lastBody(gateway.upstream(kind));
      const items = history(kind, body);
      const result = items.find((item) => item.kind === 'tool-result');
      assert.ok(result?.kind === 'tool-result');
      assert.match(result.content, /Radar picture attached/);
      if (kind === 'gemini') assert.equal(result.name, 'get_weather');
      else assert.equal(result.id, 'toolu_01Screenshot000000001');
      const images = items.filter((item) => item.kind === 'image');
      assert.equal(images.length, 1, `the image is sent (got ${JSON.stringify(items.map((item) => item.kind))})`);
      assert.ok(images[0]?.kind === 'image' && images[0].data === PNG_BASE64);
      if (kind === 'openai') {
        // Tool messages take text only: the image must follow in a user message, after every tool message.
        const messages = objectsAt(body.messages, 'messages');
        const toolIndex = messages.findIndex((message) => message.role === 'tool');
        const imageIndex = messages.findIndex((message) => Array.isArray(message.content) && objectsAt(message.content, 'content').some((part) => part.type === 'image_url'));
        assert.ok(toolIndex >= 0 && imageIndex > toolIndex, 'the image comes after the tool message');
        assert.equal(messages[imageIndex]?.role, 'user');
        assert.equal(typeof messages[toolIndex]?.content === 'string' || objectsAt(messages[toolIndex]?.content, 'tool content').every((part) => part.type === 'text'), true);
      }
      assert.ok(!allStrings(body).includes('cache_control'));
    });
  }
});

// ---------- Claude Code ----------

const CLAUDE_CODE_BETAS = [
  'claude-code-20250219',
  'oauth-2025-04-20',
  'interleaved-thinking-2025-05-14',
  'context-management-2025-06-27',
  'prompt-caching-scope-2026-01-05',
  'effort-2025-11-24',
  'fine-grained-tool-streaming-2025-05-14',
];

const CLAUDE_CODE_TOOL_NAMES = ['Task', 'Bash', 'Glob', 'Grep', 'Read', 'Edit', 'Write', 'NotebookEdit', 'WebFetch', 'TodoWrite', 'WebSearch', 'BashOutput'];

/** A request body with the shape Claude Code sends (see PROTOCOLS.md, "What real coding clients send"). */
function claudeCodeBody(model: string): JsonObject {
  const tools = CLAUDE_CODE_TOOL_NAMES.map((name, index) => ({
    name,
    description: `The ${name} tool.`,
    input_schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        command: { type: 'string', description: 'What to do' },
        timeout: { type: 'number', exclusiveMinimum: 0 },
        options: { type: 'object', properties: { verbose: { type: 'boolean' } }, additionalProperties: false },
      },
      required: ['command'],
      additionalProperties: false,
    },
    ...(index === CLAUDE_CODE_TOOL_NAMES.length - 1 ? { defer_loading: true } : {}),
  }));
  return {
    model,
    max_tokens: 32000,
    stream: true,
    system: [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'You are an interactive CLI tool that helps users with software engineering tasks.', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'gitStatus: This is the git status at the start of the conversation.', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ],
    messages: [
      { role: 'system', content: 'The user is working in /home/user/project.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>This is a reminder.</system-reminder>' },
          { type: 'text', text: 'List the files here.', cache_control: { type: 'ephemeral' } },
        ],
      },
    ],
    tools,
    tool_choice: { type: 'auto' },
    thinking: { type: 'adaptive' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'high' },
    metadata: { user_id: JSON.stringify({ device_id: 'dev-1', account_uuid: 'acc-1', session_id: 'sess-1' }) },
  };
}

/** Anthropic-only vocabulary that must not leak into a Gemini or OpenAI request. */
const ANTHROPIC_ONLY = ['cache_control', 'defer_loading', 'context_management', 'output_config', 'adaptive', 'input_schema', 'anthropic-beta', 'clear_thinking_20251015', 'ephemeral'];

for (const kind of ['gemini', 'openai'] as const satisfies readonly UpstreamKind[]) {
  describe(`Claude-Code-shaped request → ${kind} upstream`, () => {
    it('streams an answer (no 400), and the upstream gets its own dialect', async (t) => {
      const gateway = await startClientGateway(t);
      await enqueueScenario(gateway, kind, 'text', true);
      const response = await fetch(`${gateway.url}/v1/messages?beta=true`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': CLIENT_KEY,
          'anthropic-version': '2023-06-01',
          'anthropic-beta': CLAUDE_CODE_BETAS.join(','),
          'anthropic-dangerous-direct-browser-access': 'true',
          'x-app': 'cli',
          'user-agent': 'claude-cli/2.0.50 (external, cli)',
        },
        body: JSON.stringify(claudeCodeBody(MODELS[kind])),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      assert.equal(response.status, 200, text.slice(0, 500));
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.match(text, /^event: message_start\n/m);
      assert.match(text, /^event: message_stop\n/m);
      const streamedText = [...text.matchAll(/"text_delta","text":"((?:[^"\\]|\\.)*)"/g)].map((match) => JSON.parse(`"${match[1]}"`) as string).join('');
      assert.equal(streamedText, TEXT_OF[kind]);

      const upstream = gateway.upstream(kind);
      assert.equal(upstream.requests.length, 1);
      const body = lastBody(upstream);
      const system = systemTexts(kind, body).join('\n');
      assert.match(system, /You are Claude Code/);
      assert.match(system, /interactive CLI tool/);
      assert.match(system, /gitStatus/);
      assert.match(JSON.stringify(body), /The user is working in \/home\/user\/project\./, 'the role:"system" message is not lost');
      assert.deepEqual(toolNames(kind, body), CLAUDE_CODE_TOOL_NAMES);
      const items = history(kind, body);
      assert.ok(items.some((item) => item.kind === 'text' && item.text === 'List the files here.'));
      const leaked = ANTHROPIC_ONLY.filter((word) => allStrings(body).includes(word));
      assert.deepEqual(leaked, [], 'no Anthropic-only field reaches the upstream');
      assert.equal(upstream.requests[0]?.headers['anthropic-beta'], undefined);
      assert.equal(upstream.requests[0]?.headers['anthropic-version'], undefined);
      if (kind === 'gemini') {
        assert.equal(body.systemInstruction !== undefined, true);
        const tools = objectsAt(body.tools, 'tools');
        const declarations = objectsAt(tools[0]?.functionDeclarations, 'functionDeclarations');
        assert.equal(declarations.length, 12);
        // Gemini's schema subset: no $schema, no additionalProperties, no exclusiveMinimum.
        const schemaWords = allStrings(declarations);
        for (const word of ['$schema', 'additionalProperties', 'exclusiveMinimum']) assert.ok(!schemaWords.includes(word), `${word} removed from Gemini schemas`);
        const generation = objectAt(body.generationConfig, 'generationConfig');
        assert.equal(generation.maxOutputTokens, 32000);
        const thinkingConfig = objectAt(generation.thinkingConfig, 'thinkingConfig');
        assert.equal(thinkingConfig.includeThoughts, true);
      } else {
        const tools = objectsAt(body.tools, 'tools');
        assert.ok(tools.every((tool) => tool.type === 'function'));
        assert.equal(body.stream, true);
        assert.ok(body.max_tokens === 32000 || body.max_completion_tokens === 32000, 'max tokens carried over');
        // OpenAI refuses a `user` over 64 characters; Claude Code's user_id JSON is longer.
        assert.ok(body.user === undefined || (typeof body.user === 'string' && body.user.length <= 64), `user ${String(body.user)}`);
        assert.equal(body.tool_choice, 'auto');
      }
    });
  });
}

describe('Claude-Code-shaped count_tokens (?beta=true) → gemini upstream', () => {
  it('is counted exactly by Gemini\'s countTokens, with the system prompt and tools', async (t) => {
    const gateway = await startClientGateway(t);
    gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('count-tokens.json'));
    const { max_tokens: _maxTokens, stream: _stream, metadata: _metadata, ...countable } = claudeCodeBody(MODELS.gemini);
    const response = await fetch(`${gateway.url}/v1/messages/count_tokens?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'token-counting-2024-11-01' },
      body: JSON.stringify(countable),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { input_tokens: 1234 });
    assert.equal(response.headers.get('x-cliproxy-token-count'), 'exact');
    const inner = objectAt(lastBody(gateway.gemini).generateContentRequest, 'generateContentRequest');
    assert.match(systemTexts('gemini', inner).join('\n'), /You are Claude Code/);
    assert.deepEqual(toolNames('gemini', inner), CLAUDE_CODE_TOOL_NAMES);
  });
});

describe('Claude-Code-shaped request → openai upstream, a model without reasoning', () => {
  it('gets no reasoning_effort, which OpenAI refuses for gpt-4.1 models (400 unsupported_parameter)', async (t) => {
    const gateway = await startClientGateway(t);
    await enqueueScenario(gateway, 'openai', 'text', true);
    const response = await fetch(`${gateway.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': CLAUDE_CODE_BETAS.join(',') },
      body: JSON.stringify(claudeCodeBody(MODELS.openai)),
      signal: AbortSignal.timeout(10_000),
    });
    await response.text();
    assert.equal(response.status, 200);
    const body = lastBody(gateway.openai);
    assert.equal(body.model, 'gpt-4.1-mini');
    assert.equal(body.reasoning_effort, undefined, 'reasoning_effort goes only to reasoning models (o-series, gpt-5)');
  });
});

describe('Claude-Code-shaped request → claude upstream (fast path)', () => {
  it('forwards the body byte for byte and passes the beta flags on', async (t) => {
    const gateway = await startClientGateway(t);
    await enqueueScenario(gateway, 'claude', 'text', true);
    const sent = JSON.stringify(claudeCodeBody(MODELS.claude));
    const response = await fetch(`${gateway.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, 'anthropic-version': '2023-06-01', 'anthropic-beta': CLAUDE_CODE_BETAS.join(',') },
      body: sent,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text.slice(0, 300));
    const request = gateway.claude.requests[0];
    assert.ok(request !== undefined);
    assert.equal(request.rawBody.toString('utf8'), sent, 'unknown fields pass through untouched');
    assert.equal(request.headers['anthropic-beta'], CLAUDE_CODE_BETAS.join(','));
    assert.equal(request.headers['anthropic-version'], '2023-06-01');
    assert.equal(request.headers['x-api-key'], UPSTREAM_KEYS.claude);
    assert.equal(request.headers.authorization, undefined, 'the client credential is not forwarded');
  });
});

describe('usage reaches the Anthropic SDK in Anthropic\'s terms', () => {
  it('Gemini: thoughts are billed as output tokens (not streaming and streaming)', async (t) => {
    const { gateway, client } = await setup(t);
    // thought-function-call: prompt 120, candidates 18, thoughts 52.
    await enqueueScenario(gateway, 'gemini', 'tool', false);
    const params = { model: MODELS.gemini, max_tokens: 1024, tools: [WEATHER_TOOL], messages: [{ role: 'user' as const, content: 'Weather?' }] };
    const message = await client.messages.create(params);
    assert.equal(message.usage.input_tokens, 120);
    assert.equal(message.usage.output_tokens, 70);
    await enqueueScenario(gateway, 'gemini', 'tool', true);
    const streamed = await client.messages.stream(params).finalMessage();
    assert.equal(streamed.usage.input_tokens, 120);
    assert.equal(streamed.usage.output_tokens, 70);
  });

  it('OpenAI-compatible: prompt and completion tokens (not streaming and streaming)', async (t) => {
    const { gateway, client } = await setup(t);
    // text.json / text-usage.chunks.txt: prompt 14, completion 21, nothing cached.
    await enqueueScenario(gateway, 'openai', 'text', false);
    const params = { model: MODELS.openai, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Say hello' }] };
    const message = await client.messages.create(params);
    assert.equal(message.usage.input_tokens, 14);
    assert.equal(message.usage.output_tokens, 21);
    await enqueueScenario(gateway, 'openai', 'text', true);
    const streamed = await client.messages.stream(params).finalMessage();
    assert.equal(streamed.usage.input_tokens, 14);
    assert.equal(streamed.usage.output_tokens, 21);
  });
});

describe('@anthropic-ai/sdk: models.list', () => {
  it('lists every served model in Anthropic\'s shape', async (t) => {
    const { client } = await setup(t);
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      assert.equal(model.type, 'model');
      assert.equal(typeof model.display_name, 'string');
      ids.push(model.id);
    }
    for (const model of Object.values(MODELS)) assert.ok(ids.includes(model), `${model} is listed`);
  });
});
