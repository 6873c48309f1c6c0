/**
 * OpenAI Chat ⇄ Anthropic through the IR, asserting the exact wire each side receives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openAIChatAdapter } from '../openai-chat/index.ts';
import { anthropicAdapter } from './index.ts';

const openAIBody = {
  model: 'claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } }] },
    { role: 'assistant', content: 'Let me check the weather too.', tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ] },
    { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
    { role: 'tool', tool_call_id: 'call_2', content: 'Rain' },
    { role: 'user', content: 'Summarise as JSON.' },
  ],
  tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
  tool_choice: 'auto',
  parallel_tool_calls: true,
  max_tokens: 2000,
  temperature: 0.7,
  stop: ['END'],
  stream: true,
  stream_options: { include_usage: true },
  response_format: { type: 'json_object' },
  user: 'user-7',
  logprobs: true,
};

const expectedAnthropicBody = {
  model: 'claude-sonnet-4-5',
  system: [
    { type: 'text', text: 'You are helpful.' },
    { type: 'text', text: 'Respond only with a single valid JSON object. Do not add any text before or after the JSON.' },
  ],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } }] },
    { role: 'assistant', content: [
      { type: 'text', text: 'Let me check the weather too.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
    ] },
    { role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'call_1', content: 'Sunny' },
      { type: 'tool_result', tool_use_id: 'call_2', content: 'Rain' },
      { type: 'text', text: 'Summarise as JSON.' },
    ] },
  ],
  tools: [{ name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
  tool_choice: { type: 'auto', disable_parallel_tool_use: false },
  max_tokens: 2000,
  temperature: 0.7,
  stop_sequences: ['END'],
  stream: true,
  metadata: { user_id: 'user-7' },
};

describe('OpenAI Chat request → Anthropic', () => {
  it('renders the exact Anthropic body: system, image, merged tool results, tool choice, JSON instruction', () => {
    assert.deepEqual(anthropicAdapter.renderRequest(openAIChatAdapter.parseRequest(structuredClone(openAIBody))), expectedAnthropicBody);
  });

  it('maps reasoning_effort to a thinking budget and drops temperature for it', () => {
    const body = anthropicAdapter.renderRequest(openAIChatAdapter.parseRequest({ model: 'c', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'low', temperature: 0.2, max_completion_tokens: 500 }));
    assert.deepEqual(body, { model: 'c', messages: [{ role: 'user', content: 'x' }], thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 1524, stream: false });
  });

  it('comes back to OpenAI (OpenAI → Anthropic → OpenAI) with the conversation intact', () => {
    const anthropicBody = anthropicAdapter.renderRequest(openAIChatAdapter.parseRequest(structuredClone(openAIBody)));
    const back = openAIChatAdapter.renderRequest(anthropicAdapter.parseRequest(anthropicBody));
    assert.deepEqual(back, {
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'You are helpful.\n\nRespond only with a single valid JSON object. Do not add any text before or after the JSON.' },
        openAIBody.messages[1],
        openAIBody.messages[2],
        openAIBody.messages[3],
        openAIBody.messages[4],
        openAIBody.messages[5],
      ],
      tools: openAIBody.tools,
      tool_choice: 'auto',
      parallel_tool_calls: true,
      max_tokens: 2000,
      temperature: 0.7,
      stop: ['END'],
      stream: true,
      stream_options: { include_usage: true },
      user: 'user-7',
    });
  });
});

describe('Anthropic request → OpenAI Chat', () => {
  it('renders the exact OpenAI body: cached system joined, thinking dropped, tool results split out, effort kept, usage asked for', () => {
    const body = openAIChatAdapter.renderRequest(anthropicAdapter.parseRequest({
      model: 'gpt-5',
      max_tokens: 32000,
      stream: true,
      system: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'B' }],
      messages: [
        { role: 'system', content: 'Inner system.' },
        { role: 'user', content: [{ type: 'text', text: 'Go', cache_control: { type: 'ephemeral' } }, { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] },
        { role: 'assistant', content: [
          { type: 'thinking', thinking: 'private', signature: 'SIG' },
          { type: 'redacted_thinking', data: 'RED' },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
        ] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a.ts' }], is_error: false }, { type: 'text', text: 'And now?' }] },
      ],
      tools: [
        { name: 'Bash', description: 'Run', input_schema: { type: 'object', properties: { command: { type: 'string' } } }, defer_loading: true },
        { type: 'web_search_20250305', name: 'web_search' },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      thinking: { type: 'adaptive' },
      output_config: { effort: 'medium' },
      context_management: { edits: [] },
      metadata: { user_id: 'abc' },
      top_k: 10,
    }));
    assert.deepEqual(body, {
      model: 'gpt-5',
      messages: [
        { role: 'system', content: 'A\n\nB\n\nInner system.' },
        { role: 'user', content: [{ type: 'text', text: 'Go' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'a.ts' },
        { role: 'user', content: 'And now?' },
      ],
      tools: [{ type: 'function', function: { name: 'Bash', description: 'Run', parameters: { type: 'object', properties: { command: { type: 'string' } } } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      max_tokens: 32000,
      stream: true,
      stream_options: { include_usage: true },
      reasoning_effort: 'medium',
      user: 'abc',
    });
  });
});

describe('structured output across formats', () => {
  it('reads an Anthropic output_config.format as a JSON schema format for OpenAI, and keeps it native for Anthropic', () => {
    const body = { model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'ids?' }], output_config: { format: { type: 'json_schema', schema: { type: 'array', items: { type: 'integer' } } } }, stream: false };
    const request = anthropicAdapter.parseRequest(structuredClone(body));
    assert.deepEqual(openAIChatAdapter.renderRequest(request)['response_format'], { type: 'json_schema', json_schema: { name: 'response', schema: { type: 'array', items: { type: 'integer' } } } });
    assert.deepEqual(anthropicAdapter.renderRequest(request), body);
  });
});

describe('responses across formats', () => {
  it('renders an Anthropic response for an OpenAI client with converted usage', () => {
    const request = openAIChatAdapter.parseRequest({ model: 'claude', messages: [] });
    const response = anthropicAdapter.parseResponse({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
      content: [{ type: 'thinking', thinking: 'why', signature: 'S' }, { type: 'text', text: 'Because.' }],
      stop_reason: 'max_tokens', stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 },
    });
    response.created = 1700000000;
    assert.deepEqual(openAIChatAdapter.renderResponse(response, request), {
      id: 'msg_1', object: 'chat.completion', created: 1700000000, model: 'claude-sonnet-4-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Because.', refusal: null, reasoning_content: 'why' }, finish_reason: 'length', logprobs: null }],
      usage: { prompt_tokens: 1205, completion_tokens: 50, total_tokens: 1255, prompt_tokens_details: { cached_tokens: 1000 } },
    });
  });

  it('streams an Anthropic upstream to an OpenAI client that reads back the same text, tool call, usage and finish', () => {
    const upstream = [
      { type: 'message_start', message: { id: 'msg_s', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, cache_read_input_tokens: 7, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'world' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_x', name: 'f', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"k":"v"}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 20 } },
      { type: 'message_stop' },
    ].map((payload) => `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`).join('');
    const request = openAIChatAdapter.parseRequest({ model: 'claude', messages: [], stream: true, stream_options: { include_usage: true } });
    const parser = anthropicAdapter.createStreamParser();
    const renderer = openAIChatAdapter.createStreamRenderer(request);
    const events = [...parser.push(new TextEncoder().encode(upstream)), ...parser.end()];
    const clientSse = events.map((event) => renderer.render(event)).join('') + renderer.end();
    const clientParser = openAIChatAdapter.createStreamParser();
    const seen = [...clientParser.push(new TextEncoder().encode(clientSse)), ...clientParser.end()];
    const text = seen.flatMap((event) => (event.type === 'text-delta' ? [event.text] : [])).join('');
    const args = seen.flatMap((event) => (event.type === 'tool-arguments-delta' ? [event.text] : [])).join('');
    assert.equal(text, 'Hello world');
    assert.deepEqual(JSON.parse(args), { k: 'v' });
    assert.deepEqual(seen.find((event) => event.type === 'part-start' && event.part.type === 'tool-call'), { type: 'part-start', index: 1, part: { type: 'tool-call', id: 'toolu_x', name: 'f' } });
    assert.deepEqual(seen.find((event) => event.type === 'usage'), { type: 'usage', usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30, cachedInputTokens: 7 } });
    assert.deepEqual(seen.at(-1), { type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' });
  });
});
