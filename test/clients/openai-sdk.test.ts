/**
 * `openai` as a real client of `/v1/chat/completions` and `/v1/responses`, served by a
 * Claude and a Gemini upstream (translation): text, tools, streaming with usage; a request
 * shaped like Codex CLI's; and `previous_response_id` refused clearly where no upstream keeps
 * responses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import {
  CLIENT_KEY, FACTS, MODELS, TEXT_OF, UPSTREAM_KEYS, WEATHER_SCHEMA, anthropicFixture, enqueueScenario, geminiFixture, lastBody, objectAt, objectsAt, startClientGateway,
} from '../helpers/client-gateway.ts';
import type { ClientGateway, JsonObject } from '../helpers/client-gateway.ts';
import { parseServerSentEvents } from '../helpers/sse-framing.ts';
import { allStrings, history, systemTexts, toolNames, upstreamModel } from '../helpers/upstream-views.ts';

function openaiClient(gateway: ClientGateway): OpenAI {
  return new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
}

async function setup(t: TestContext): Promise<{ gateway: ClientGateway; client: OpenAI }> {
  const gateway = await startClientGateway(t);
  return { gateway, client: openaiClient(gateway) };
}

const CHAT_TOOL = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather for a city', parameters: WEATHER_SCHEMA },
} as const;

const RESPONSES_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: WEATHER_SCHEMA,
  strict: false,
} as const;

for (const kind of ['claude', 'gemini'] as const) {
  const model = MODELS[kind];

  describe(`openai chat.completions served by ${kind}`, () => {
    it('create: text, system message delivered upstream, usage', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello' }],
        max_tokens: 100,
        temperature: 0.5,
        stop: ['END'],
      });
      assert.equal(completion.object, 'chat.completion');
      assert.equal(completion.choices[0]?.message.content, TEXT_OF[kind]);
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
      assert.ok((completion.usage?.prompt_tokens ?? 0) > 0);
      assert.ok((completion.usage?.completion_tokens ?? 0) > 0);
      const request = gateway.upstream(kind).requests[0];
      assert.ok(request !== undefined);
      assert.equal(upstreamModel(kind, request), model);
      const body = lastBody(gateway.upstream(kind));
      assert.deepEqual(systemTexts(kind, body), ['You are terse.']);
      assert.deepEqual(history(kind, body), [{ role: 'user', kind: 'text', text: 'Say hello' }]);
      if (kind === 'claude') {
        assert.equal(body.max_tokens, 100);
        assert.equal(body.temperature, 0.5);
        assert.deepEqual(body.stop_sequences, ['END']);
        assert.equal(request.headers['x-api-key'], UPSTREAM_KEYS.claude);
      } else {
        const generation = objectAt(body.generationConfig, 'generationConfig');
        assert.equal(generation.maxOutputTokens, 100);
        assert.equal(generation.temperature, 0.5);
        assert.deepEqual(generation.stopSequences, ['END']);
        assert.equal(request.headers['x-goog-api-key'], UPSTREAM_KEYS.gemini);
      }
    });

    it('stream with include_usage: deltas add up, the last chunk carries usage', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', true);
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Say hello' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let finish: string | null | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
      }
      assert.ok(chunks > 2);
      assert.equal(text, TEXT_OF[kind]);
      assert.equal(finish, 'stop');
      assert.ok(usage !== undefined && usage !== null, 'a usage chunk');
      assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
      assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    });

    for (const streaming of [false, true]) {
      it(`tools (${streaming ? 'streaming' : 'not streaming'}): a tool call, then the tool message round trip`, async (t) => {
        const { gateway, client } = await setup(t);
        await enqueueScenario(gateway, kind, 'tool', streaming);
        const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
        let assistant: OpenAI.ChatCompletionMessage;
        if (streaming) {
          const runner = client.chat.completions.stream({ model, messages, tools: [CHAT_TOOL], tool_choice: 'auto' });
          const final = await runner.finalChatCompletion();
          assert.equal(final.choices[0]?.finish_reason, 'tool_calls');
          assistant = final.choices[0]?.message as OpenAI.ChatCompletionMessage;
        } else {
          const completion = await client.chat.completions.create({ model, messages, tools: [CHAT_TOOL], tool_choice: 'auto' });
          assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
          assistant = completion.choices[0]?.message as OpenAI.ChatCompletionMessage;
        }
        const call = assistant.tool_calls?.[0];
        assert.ok(call !== undefined && call.type === 'function');
        assert.equal(call.function.name, 'get_weather');
        assert.deepEqual(JSON.parse(call.function.arguments), FACTS.weatherArgs);
        assert.ok(call.id.length > 0);
        if (kind === 'claude') assert.equal(call.id, FACTS.claudeToolId);
        const turn1 = lastBody(gateway.upstream(kind));
        assert.deepEqual(toolNames(kind, turn1), ['get_weather']);
        if (kind === 'claude') assert.deepEqual(turn1.tool_choice, { type: 'auto' });

        await enqueueScenario(gateway, kind, 'text', false);
        const second = await client.chat.completions.create({
          model,
          tools: [CHAT_TOOL],
          messages: [...messages, { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls ?? [] }, { role: 'tool', tool_call_id: call.id, content: '18°C and sunny' }],
        });
        assert.equal(second.choices[0]?.message.content, TEXT_OF[kind]);
        const items = history(kind, lastBody(gateway.upstream(kind)));
        const sentCall = items.find((item) => item.kind === 'tool-call');
        const sentResult = items.find((item) => item.kind === 'tool-result');
        assert.ok(sentCall?.kind === 'tool-call' && sentResult?.kind === 'tool-result');
        assert.equal(sentCall.name, 'get_weather');
        assert.deepEqual(sentCall.args, FACTS.weatherArgs);
        assert.match(sentResult.content, /18°C and sunny/);
        if (kind === 'claude') {
          assert.equal(sentCall.id, FACTS.claudeToolId);
          assert.equal(sentResult.id, FACTS.claudeToolId);
        } else {
          assert.equal(sentResult.name, 'get_weather', 'Gemini gets the function name for the result');
        }
      });
    }
  });

  describe(`openai responses served by ${kind}`, () => {
    it('responses.create: text, instructions delivered upstream, usage', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      const response = await client.responses.create({ model, instructions: 'You are terse.', input: 'Say hello', max_output_tokens: 300 });
      assert.equal(response.object, 'response');
      assert.equal(response.status, 'completed');
      assert.equal(response.output_text, TEXT_OF[kind]);
      assert.ok((response.usage?.input_tokens ?? 0) > 0 && (response.usage?.output_tokens ?? 0) > 0);
      const body = lastBody(gateway.upstream(kind));
      assert.deepEqual(systemTexts(kind, body), ['You are terse.']);
      assert.deepEqual(history(kind, body), [{ role: 'user', kind: 'text', text: 'Say hello' }]);
      if (kind === 'claude') assert.equal(body.max_tokens, 300);
    });

    it('responses.stream: text deltas and the final response', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', true);
      const stream = client.responses.stream({ model, input: [{ role: 'user', content: 'Say hello' }] });
      const deltas: string[] = [];
      stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
      const final = await stream.finalResponse();
      assert.equal(final.output_text, TEXT_OF[kind]);
      assert.equal(deltas.join(''), TEXT_OF[kind]);
      assert.equal(final.status, 'completed');
      assert.ok((final.usage?.output_tokens ?? 0) > 0, 'usage in response.completed');
    });

    for (const streaming of [false, true]) {
      it(`function tools (${streaming ? 'streaming' : 'not streaming'}): function_call, then function_call_output`, async (t) => {
        const { gateway, client } = await setup(t);
        await enqueueScenario(gateway, kind, 'tool', streaming);
        const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
        const first = streaming
          ? await client.responses.stream({ model, input, tools: [RESPONSES_TOOL], reasoning: { effort: 'medium', summary: 'auto' } }).finalResponse()
          : await client.responses.create({ model, input, tools: [RESPONSES_TOOL], reasoning: { effort: 'medium', summary: 'auto' } });
        const call = first.output.find((item) => item.type === 'function_call');
        assert.ok(call !== undefined && call.type === 'function_call');
        assert.equal(call.name, 'get_weather');
        assert.deepEqual(JSON.parse(call.arguments), FACTS.weatherArgs);
        const reasoning = first.output.find((item) => item.type === 'reasoning');
        assert.ok(reasoning !== undefined && reasoning.type === 'reasoning', 'a reasoning item');
        const summary = (reasoning.summary ?? []).map((part) => part.text).join('') + (reasoning.content ?? []).map((part) => part.text).join('');
        assert.equal(summary, kind === 'claude' ? FACTS.claudeThinking : FACTS.geminiThought);
        const turn1 = lastBody(gateway.upstream(kind));
        assert.deepEqual(toolNames(kind, turn1), ['get_weather']);

        await enqueueScenario(gateway, kind, 'text', false);
        const second = await client.responses.create({
          model,
          tools: [RESPONSES_TOOL],
          input: [...input, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: '18°C and sunny' }],
        });
        assert.equal(second.output_text, TEXT_OF[kind]);
        const items = history(kind, lastBody(gateway.upstream(kind)));
        const sentCall = items.find((item) => item.kind === 'tool-call');
        const sentResult = items.find((item) => item.kind === 'tool-result');
        assert.ok(sentCall?.kind === 'tool-call' && sentResult?.kind === 'tool-result');
        assert.equal(sentCall.name, 'get_weather');
        assert.match(sentResult.content, /18°C and sunny/);
        if (kind === 'claude') assert.equal(sentResult.id, sentCall.id);
        else assert.equal(sentResult.name, 'get_weather');
      });
    }

    it('previous_response_id: a clear 400 in OpenAI\'s shape, nothing sent upstream', async (t) => {
      const { gateway, client } = await setup(t);
      const error = await client.responses.create({ model, input: 'And then?', previous_response_id: 'resp_abc123' }).then(
        () => assert.fail('expected a 400'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof OpenAI.BadRequestError, `a BadRequestError, got ${String(error)}`);
      assert.equal(error.status, 400);
      assert.equal(error.param, 'previous_response_id');
      assert.match(error.message, /previous_response_id/);
      const body = objectAt(error.error, 'error body');
      assert.equal(typeof body.message, 'string');
      assert.equal(gateway.upstream(kind).requests.length, 0);
    });
  });
}

// A 1×1 transparent PNG.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

for (const kind of ['claude', 'gemini'] as const) {
  describe(`images from the openai SDK → ${kind}`, () => {
    it('chat: a data-URL image_url becomes the upstream\'s inline image', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      await client.chat.completions.create({
        model: MODELS[kind],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } }] }],
      });
      assert.deepEqual(history(kind, lastBody(gateway.upstream(kind))), [
        { role: 'user', kind: 'text', text: 'What is this?' },
        { role: 'user', kind: 'image', mediaType: 'image/png', data: PNG_BASE64 },
      ]);
    });

    it('responses: an input_image becomes the upstream\'s inline image', async (t) => {
      const { gateway, client } = await setup(t);
      await enqueueScenario(gateway, kind, 'text', false);
      await client.responses.create({
        model: MODELS[kind],
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG_BASE64}`, detail: 'auto' }] }],
      });
      assert.deepEqual(history(kind, lastBody(gateway.upstream(kind))), [
        { role: 'user', kind: 'text', text: 'What is this?' },
        { role: 'user', kind: 'image', mediaType: 'image/png', data: PNG_BASE64 },
      ]);
    });
  });
}

describe('openai chat tool_choice and parallel_tool_calls reach each upstream as its own knobs', () => {
  it('claude: a named function → {type:"tool"}, parallel_tool_calls:false → disable_parallel_tool_use', async (t) => {
    const { gateway, client } = await setup(t);
    await enqueueScenario(gateway, 'claude', 'text', false);
    await client.chat.completions.create({
      model: MODELS.claude,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [CHAT_TOOL],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });
    assert.deepEqual(lastBody(gateway.claude).tool_choice, { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true });
  });

  it('gemini: required → ANY, none → NONE', async (t) => {
    const { gateway, client } = await setup(t);
    await enqueueScenario(gateway, 'gemini', 'text', false);
    await enqueueScenario(gateway, 'gemini', 'text', false);
    const mode = async (choice: 'required' | 'none'): Promise<unknown> => {
      await client.chat.completions.create({ model: MODELS.gemini, messages: [{ role: 'user', content: 'Weather?' }], tools: [CHAT_TOOL], tool_choice: choice });
      return objectAt(objectAt(lastBody(gateway.gemini).toolConfig, 'toolConfig').functionCallingConfig, 'functionCallingConfig').mode;
    };
    assert.equal(await mode('required'), 'ANY');
    assert.equal(await mode('none'), 'NONE');
  });
});

describe('interleaved thinking from Claude (thinking, text, thinking, tool_use) → responses.stream', () => {
  it('keeps the order: reasoning, message, reasoning, function_call', async (t) => {
    const { gateway, client } = await setup(t);
    gateway.claude.enqueue('POST /v1/messages', await anthropicFixture('interleaved-thinking.chunks.txt'));
    const final = await client.responses.stream({ model: MODELS.claude, input: 'Weather in Paris?', tools: [RESPONSES_TOOL], reasoning: { effort: 'low', summary: 'auto' } }).finalResponse();
    assert.deepEqual(final.output.map((item) => item.type), ['reasoning', 'message', 'reasoning', 'function_call']);
    const summaries = final.output.flatMap((item) => (item.type === 'reasoning' ? [item.summary.map((part) => part.text).join('')] : []));
    assert.deepEqual(summaries, ['First, greet the user.', 'Now call get_weather for Paris.']);
    assert.equal(final.output_text, 'Let me check.');
  });
});

describe('openai chat: two parallel calls of one tool from a Gemini upstream, answered out of order', () => {
  it('the tool messages reach Gemini as functionResponses in call order', async (t) => {
    const { gateway, client } = await setup(t);
    gateway.gemini.enqueue('POST /v1beta/models/*', await geminiFixture('parallel-function-calls.json'));
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris and London?' }];
    const first = await client.chat.completions.create({ model: MODELS.gemini, messages, tools: [CHAT_TOOL] });
    const calls = first.choices[0]?.message.tool_calls ?? [];
    assert.equal(calls.length, 2);
    assert.notEqual(calls[0]?.id, calls[1]?.id);
    await enqueueScenario(gateway, 'gemini', 'text', false);
    await client.chat.completions.create({
      model: MODELS.gemini,
      tools: [CHAT_TOOL],
      messages: [
        ...messages,
        { role: 'assistant', content: null, tool_calls: calls },
        { role: 'tool', tool_call_id: calls[1]?.id ?? '', content: 'London: 12°C' },
        { role: 'tool', tool_call_id: calls[0]?.id ?? '', content: 'Paris: 18°C' },
      ],
    });
    const results = history('gemini', lastBody(gateway.gemini)).filter((item) => item.kind === 'tool-result');
    assert.deepEqual(results.map((item) => (item.kind === 'tool-result' ? /Paris|London/.exec(item.content)?.[0] : '')), ['Paris', 'London']);
  });
});

// ---------- Codex CLI ----------

function codexBody(model: string): JsonObject {
  const fn = (name: string, description: string): JsonObject => ({
    type: 'function',
    name,
    description,
    strict: false,
    parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } }, workdir: { type: 'string' } }, required: ['command'], additionalProperties: false },
  });
  return {
    model,
    instructions: 'You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI.',
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions instructions>Sandbox: workspace-write.</permissions instructions>' }] },
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<environment_context><cwd>/home/user/project</cwd></environment_context>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List the files here.' }] },
    ],
    tools: [
      fn('shell', 'Runs a shell command and returns its output.'),
      fn('update_plan', 'Updates the task plan.'),
      {
        type: 'namespace',
        name: 'collaboration',
        description: 'Work with sub-agents.',
        tools: [fn('spawn_agent', 'Starts a sub-agent.'), fn('wait_agent', 'Waits for a sub-agent.')],
      },
      { type: 'web_search', external_web_access: false },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '019a0000-0000-7000-8000-000000000000',
    text: { verbosity: 'medium' },
  };
}

describe('Codex-CLI-shaped Responses request → claude upstream', () => {
  it('streams (no 400), and Claude gets a system prompt, flat function tools and no Responses-only fields', async (t) => {
    const gateway = await startClientGateway(t);
    await enqueueScenario(gateway, 'claude', 'text', true);
    const response = await fetch(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, accept: 'text/event-stream', originator: 'codex_cli_rs', session_id: 'sess-1' },
      body: JSON.stringify(codexBody(MODELS.claude)),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text.slice(0, 500));
    const events = parseServerSentEvents(text);
    const types = events.map((event) => (JSON.parse(event.data) as { type: string }).type);
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    const payloads = events.map((event) => JSON.parse(event.data) as JsonObject);
    const deltas = payloads.filter((event) => event.type === 'response.output_text.delta').map((event) => String(event.delta));
    assert.equal(deltas.join(''), FACTS.claudeText);
    // What Codex relies on: named events matching their payload type, sequence numbers in
    // order, every output item added then done, and the final response holding those items.
    assert.ok(events.every((event, index) => event.event === types[index]), 'each SSE event name is its payload type');
    assert.deepEqual(payloads.map((event) => event.sequence_number), payloads.map((_, index) => index));
    const added = payloads.filter((event) => event.type === 'response.output_item.added').map((event) => event.output_index);
    const done = payloads.filter((event) => event.type === 'response.output_item.done');
    assert.deepEqual(done.map((event) => event.output_index), added);
    const completed = objectAt(payloads.at(-1)?.response, 'response.completed response');
    assert.deepEqual(objectsAt(completed.output, 'output').map((item) => item.type), done.map((event) => objectAt(event.item, 'item').type));

    const body = lastBody(gateway.claude);
    const system = systemTexts('claude', body).join('\n');
    assert.match(system, /You are Codex/);
    assert.match(system, /permissions instructions/);
    assert.match(system, /environment_context/);
    assert.deepEqual(history('claude', body), [{ role: 'user', kind: 'text', text: 'List the files here.' }]);
    const tools = objectsAt(body.tools, 'tools');
    // The hosted web_search belongs to OpenAI: it reaches only an OpenAI upstream.
    assert.deepEqual(tools.map((tool) => String(tool.name)), ['shell', 'update_plan', 'collaboration__spawn_agent', 'collaboration__wait_agent']);
    assert.ok(tools.every((tool) => tool.input_schema !== undefined), 'function tools only');
    for (const tool of tools) assert.match(String(tool.name), /^[a-zA-Z0-9_-]{1,64}$/, 'tool names Claude accepts');
    const leaked = ['store', 'include', 'prompt_cache_key', 'reasoning.encrypted_content', 'namespace', 'instructions', 'input_text', 'parallel_tool_calls', 'verbosity', 'external_web_access']
      .filter((word) => allStrings(body).includes(word));
    assert.deepEqual(leaked, [], 'no Responses-only field reaches Claude');
    assert.equal(body.stream, true);
    assert.ok(body.thinking !== undefined, 'reasoning asks Claude to think');
    assert.equal(gateway.claude.requests[0]?.headers.authorization, undefined);
  });
});

describe('Codex-CLI-shaped Responses request → gemini upstream', () => {
  it('streams (no 400), and Gemini gets the developer messages as systemInstruction and flat declarations', async (t) => {
    const gateway = await startClientGateway(t);
    await enqueueScenario(gateway, 'gemini', 'text', true);
    const response = await fetch(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, accept: 'text/event-stream' },
      body: JSON.stringify(codexBody(MODELS.gemini)),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text.slice(0, 500));
    const events = parseServerSentEvents(text).map((event) => JSON.parse(event.data) as JsonObject);
    assert.equal(events.at(-1)?.type, 'response.completed');
    assert.equal(events.filter((event) => event.type === 'response.output_text.delta').map((event) => String(event.delta)).join(''), FACTS.geminiText);

    const body = lastBody(gateway.gemini);
    const system = systemTexts('gemini', body).join('\n');
    assert.match(system, /You are Codex/);
    assert.match(system, /permissions instructions/);
    assert.match(system, /environment_context/);
    assert.deepEqual(toolNames('gemini', body), ['shell', 'update_plan', 'collaboration__spawn_agent', 'collaboration__wait_agent']);
    assert.equal(objectsAt(body.tools, 'tools').length, 1, 'one functionDeclarations group, no hosted OpenAI tool');
    const leaked = ['store', 'include', 'prompt_cache_key', 'reasoning.encrypted_content', 'namespace', 'web_search', 'input_text', 'additionalProperties'].filter((word) => allStrings(body).includes(word));
    assert.deepEqual(leaked, [], 'no Responses-only field reaches Gemini');
    assert.ok(objectAt(body.generationConfig, 'generationConfig').thinkingConfig !== undefined, 'reasoning becomes a thinking config');
  });
});

// ---------- usage ----------

describe('usage reaches the OpenAI SDK in OpenAI\'s terms', () => {
  it('Claude: cache reads count as prompt tokens and as cached_tokens (chat, not streaming and streaming)', async (t) => {
    const { gateway, client } = await setup(t);
    // text.json / text.chunks.txt: input 21, cache_read 4, output 12.
    await enqueueScenario(gateway, 'claude', 'text', false);
    const completion = await client.chat.completions.create({ model: MODELS.claude, messages: [{ role: 'user', content: 'Say hello' }] });
    assert.equal(completion.usage?.prompt_tokens, 25);
    assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 4);
    assert.equal(completion.usage?.completion_tokens, 12);
    assert.equal(completion.usage?.total_tokens, 37);

    await enqueueScenario(gateway, 'claude', 'text', true);
    const stream = await client.chat.completions.create({ model: MODELS.claude, messages: [{ role: 'user', content: 'Say hello' }], stream: true, stream_options: { include_usage: true } });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    assert.equal(usage?.prompt_tokens, 25);
    assert.equal(usage?.prompt_tokens_details?.cached_tokens, 4);
    assert.equal(usage?.completion_tokens, 12);
  });

  it('Claude: the same through the Responses API', async (t) => {
    const { gateway, client } = await setup(t);
    await enqueueScenario(gateway, 'claude', 'text', false);
    const response = await client.responses.create({ model: MODELS.claude, input: 'Say hello' });
    assert.equal(response.usage?.input_tokens, 25);
    assert.equal(response.usage?.input_tokens_details.cached_tokens, 4);
    assert.equal(response.usage?.output_tokens, 12);
    assert.equal(response.usage?.total_tokens, 37);
  });

  it('Gemini: thoughts count as completion tokens and as reasoning_tokens', async (t) => {
    const { gateway, client } = await setup(t);
    // thought-function-call.json: prompt 120, candidates 18, thoughts 52, total 190.
    await enqueueScenario(gateway, 'gemini', 'tool', false);
    const completion = await client.chat.completions.create({ model: MODELS.gemini, messages: [{ role: 'user', content: 'Weather?' }], tools: [CHAT_TOOL] });
    assert.equal(completion.usage?.prompt_tokens, 120);
    assert.equal(completion.usage?.completion_tokens, 70);
    assert.equal(completion.usage?.completion_tokens_details?.reasoning_tokens, 52);
    assert.equal(completion.usage?.total_tokens, 190);
  });
});

// ---------- structured output ----------

describe('openai chat response_format json_schema', () => {
  const responseFormat = {
    type: 'json_schema',
    json_schema: {
      name: 'weather',
      strict: true,
      schema: { type: 'object', properties: { city: { type: 'string' }, celsius: { type: 'number' } }, required: ['city', 'celsius'], additionalProperties: false },
    },
  } as const satisfies OpenAI.ResponseFormatJSONSchema;

  it('gemini: responseMimeType application/json with the schema in Gemini\'s subset', async (t) => {
    const { gateway, client } = await setup(t);
    await enqueueScenario(gateway, 'gemini', 'text', false);
    await client.chat.completions.create({ model: MODELS.gemini, messages: [{ role: 'user', content: 'Weather in Paris as JSON' }], response_format: responseFormat });
    const generation = objectAt(lastBody(gateway.gemini).generationConfig, 'generationConfig');
    assert.equal(generation.responseMimeType, 'application/json');
    const schema = objectAt(generation.responseSchema ?? generation.responseJsonSchema, 'response schema');
    assert.deepEqual(Object.keys(objectAt(schema.properties, 'properties')).sort(), ['celsius', 'city']);
    assert.ok(!allStrings(schema).includes('additionalProperties'), 'Gemini\'s subset has no additionalProperties');
  });

  it('claude: the schema becomes an instruction in the system prompt, no unknown field', async (t) => {
    const { gateway, client } = await setup(t);
    await enqueueScenario(gateway, 'claude', 'text', false);
    await client.chat.completions.create({ model: MODELS.claude, messages: [{ role: 'system', content: 'Be exact.' }, { role: 'user', content: 'Weather in Paris as JSON' }], response_format: responseFormat });
    const body = lastBody(gateway.claude);
    const system = systemTexts('claude', body).join('\n');
    assert.match(system, /Be exact\./);
    assert.match(system, /JSON/);
    assert.match(system, /celsius/);
    assert.equal(body.response_format, undefined);
  });
});
