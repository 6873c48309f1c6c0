/** Anthropic request parsing and rendering: Claude Code bodies, lossless round trips, the API's rules for other formats' IR. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import type { IRRequest } from '../ir.ts';
import { openAIChatAdapter } from '../openai-chat/index.ts';
import { DEFAULT_ANTHROPIC_MAX_TOKENS, parseAnthropicRequest, renderAnthropicRequest } from './request.ts';

function irRequest(overrides: Partial<IRRequest>): IRRequest {
  return { model: 'claude-sonnet-4-5', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], tools: [], stream: false, extra: {}, sourceFormat: 'openai-chat', ...overrides };
}

function assertInvalid(body: unknown, param: string): void {
  assert.throws(
    () => parseAnthropicRequest(body),
    (error: unknown) => error instanceof GatewayError && error.status === 400 && error.code === 'invalid_request' && error.param === param,
  );
}

/** What Claude Code sends, trimmed: cached system blocks, beta-only fields, deferred tools, adaptive thinking. */
const claudeCodeBody = {
  model: 'claude-opus-4-6',
  max_tokens: 32000,
  stream: true,
  system: [
    { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
    { type: 'text', text: 'Tools guide.', cache_control: { type: 'ephemeral', ttl: '1h' } },
  ],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Fix the bug.', cache_control: { type: 'ephemeral' } }] },
    { role: 'assistant', content: [
      { type: 'thinking', thinking: 'Look at the file.', signature: 'EqQBCkYIBxgCKkD+sig==' },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4' },
      { type: 'text', text: 'Reading it.' },
      { type: 'tool_use', id: 'toolu_01A', name: 'Read', input: { file_path: '/a.ts' } },
    ] },
    { role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'toolu_01A', content: 'line 1', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Go on.' },
    ] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01B', name: 'Bash', input: { command: 'false' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01B', is_error: true, content: [{ type: 'text', text: 'exit 1' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } }] }] },
  ],
  tools: [
    { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } },
    { name: 'Lazy', description: 'Deferred', input_schema: { type: 'object', properties: {} }, defer_loading: true, cache_control: { type: 'ephemeral' } },
    { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
  ],
  tool_choice: { type: 'auto', disable_parallel_tool_use: false },
  thinking: { type: 'adaptive' },
  output_config: { effort: 'high' },
  context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
  metadata: { user_id: '{"device_id":"abc","session_id":"s1"}' },
  temperature: 1,
};

describe('parseAnthropicRequest', () => {
  it('reads a Claude Code request without rejecting its vendor fields', () => {
    const request = parseAnthropicRequest(structuredClone(claudeCodeBody));
    assert.deepEqual(request.system, [
      { type: 'text', text: 'You are Claude Code.', cacheControl: { type: 'ephemeral' } },
      { type: 'text', text: 'Tools guide.', cacheControl: { type: 'ephemeral', ttl: '1h' } },
    ]);
    assert.deepEqual(request.extra, { context_management: claudeCodeBody.context_management });
    assert.deepEqual(request.reasoning, { includeThoughts: true, effort: 'high' });
    assert.equal(request.user, '{"device_id":"abc","session_id":"s1"}');
    assert.deepEqual(request.toolChoice, { type: 'auto' });
    assert.equal(request.parallelToolCalls, true);
    assert.equal(request.maxTokens, 32000);
    assert.deepEqual(request.tools[1], { name: 'Lazy', description: 'Deferred', parameters: { type: 'object', properties: {} }, cacheControl: { type: 'ephemeral' }, extra: { defer_loading: true } });
    assert.deepEqual(request.tools[2], { name: 'web_search', parameters: {}, extra: { type: 'web_search_20250305', max_uses: 5 } });
  });

  it('keeps each turn as one message with its tool results inside, and signatures tagged with their origin', () => {
    const request = parseAnthropicRequest(structuredClone(claudeCodeBody));
    assert.deepEqual(request.messages.map((message) => message.role), ['user', 'assistant', 'user', 'assistant', 'user']);
    assert.deepEqual(request.messages[2]?.content, [
      { type: 'tool-result', toolCallId: 'toolu_01A', content: [{ type: 'text', text: 'line 1' }], cacheControl: { type: 'ephemeral' }, anthropicContentIsString: true },
      { type: 'text', text: 'Go on.' },
    ]);
    assert.deepEqual(request.messages[1]?.content.slice(0, 2), [
      { type: 'thinking', text: 'Look at the file.', signature: { value: 'EqQBCkYIBxgCKkD+sig==', origin: 'anthropic' } },
      { type: 'redacted-thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4', origin: 'anthropic' },
    ]);
    assert.deepEqual(request.messages[1]?.content[3], { type: 'tool-call', id: 'toolu_01A', name: 'Read', arguments: '{"file_path":"/a.ts"}' });
    assert.deepEqual(request.messages[4]?.content, [{
      type: 'tool-result', toolCallId: 'toolu_01B', isError: true,
      content: [{ type: 'text', text: 'exit 1' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBO' } }],
    }]);
  });

  it('folds a role "system" message inside messages into the system prompt', () => {
    const request = parseAnthropicRequest({
      model: 'm', max_tokens: 10, system: 'Top.',
      messages: [{ role: 'system', content: [{ type: 'text', text: 'Inner.' }] }, { role: 'user', content: 'Hi' }],
    });
    assert.deepEqual(request.system, [{ type: 'text', text: 'Top.' }, { type: 'text', text: 'Inner.' }]);
    assert.deepEqual(request.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }], anthropicContentIsString: true }]);
  });

  it('reads an explicit thinking budget, disabled thinking, any/tool choices and stop sequences', () => {
    const base = { model: 'm', max_tokens: 10, messages: [] };
    assert.deepEqual(parseAnthropicRequest({ ...base, thinking: { type: 'enabled', budget_tokens: 2048 } }).reasoning, { includeThoughts: true, budgetTokens: 2048 });
    assert.deepEqual(parseAnthropicRequest({ ...base, thinking: { type: 'disabled' } }).reasoning, { disabled: true });
    assert.deepEqual(parseAnthropicRequest({ ...base, tool_choice: { type: 'any', disable_parallel_tool_use: true } }).toolChoice, { type: 'required' });
    assert.equal(parseAnthropicRequest({ ...base, tool_choice: { type: 'any', disable_parallel_tool_use: true } }).parallelToolCalls, false);
    assert.deepEqual(parseAnthropicRequest({ ...base, tool_choice: { type: 'tool', name: 'f' } }).toolChoice, { type: 'tool', name: 'f' });
    assert.deepEqual(parseAnthropicRequest({ ...base, stop_sequences: ['###'], top_k: 5 }).stop, ['###']);
  });

  it('reads images by base64 and URL and documents as files', () => {
    const request = parseAnthropicRequest({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: [
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0' } },
    ] }] });
    assert.deepEqual(request.messages[0]?.content, [
      { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
      { type: 'file', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0' } },
    ]);
  });

  it('rejects truly invalid bodies with a 400 naming the field', () => {
    assertInvalid([], 'body');
    assertInvalid({ model: 'm', max_tokens: 1 }, 'messages');
    assertInvalid({ max_tokens: 1, messages: [] }, 'model');
    assertInvalid({ model: 'm', messages: [{ content: 'x' }] }, 'messages[0].role');
    assertInvalid({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role');
    assertInvalid({ model: 'm', messages: [{ role: 'user', content: [{ type: 'tool_result' }] }] }, 'messages[0].content[0].tool_use_id');
    assertInvalid({ model: 'm', messages: [], tools: [{ description: 'no name' }] }, 'tools[0].name');
  });
});

describe('renderAnthropicRequest', () => {
  it('round-trips a Claude Code request losslessly, known and unknown fields alike', () => {
    assert.deepEqual(renderAnthropicRequest(parseAnthropicRequest(structuredClone(claudeCodeBody))), claudeCodeBody);
  });

  it('round-trips blocks the IR cannot hold (server tools, citations, caller) and keeps them from other formats', () => {
    const body = {
      model: 'claude-sonnet-4-5', max_tokens: 1000, stream: true,
      messages: [
        { role: 'user', content: 'News?' },
        { role: 'assistant', content: [
          { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'news' } },
          { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://n.example', title: 'N', encrypted_content: 'E' }] },
          { type: 'text', text: 'Here.', citations: [{ type: 'web_search_result_location', url: 'https://n.example', cited_text: 'x' }] },
          { type: 'tool_use', id: 'toolu_2', name: 'save', input: {}, caller: { type: 'direct' } },
        ] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'ok', is_error: false }] },
      ],
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }, { name: 'save', input_schema: { type: 'object' } }],
    };
    const request = parseAnthropicRequest(structuredClone(body));
    assert.deepEqual(renderAnthropicRequest(request), body);
    const forOpenAI = openAIChatAdapter.renderRequest(request);
    assert.deepEqual(forOpenAI['messages'], [
      { role: 'user', content: 'News?' },
      { role: 'assistant', content: 'Here.', tool_calls: [{ id: 'toolu_2', type: 'function', function: { name: 'save', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'ok' },
    ]);
    assert.deepEqual(forOpenAI['tools'], [{ type: 'function', function: { name: 'save', parameters: { type: 'object' } } }]);
  });

  it('round-trips string system, explicit budgets, disabled thinking and metadata', () => {
    const body = {
      model: 'claude-sonnet-4-5', max_tokens: 16000, system: 'Be brief.', stream: false,
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }, { type: 'text', text: 'What?' }] }],
      thinking: { type: 'enabled', budget_tokens: 4000 }, top_p: 0.99, stop_sequences: ['END'],
      metadata: { user_id: 'u1' }, service_tier: 'auto',
    };
    assert.deepEqual(renderAnthropicRequest(parseAnthropicRequest(structuredClone(body))), body);
    const off = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], thinking: { type: 'disabled' }, temperature: 0.3, top_k: 3, stream: false };
    assert.deepEqual(renderAnthropicRequest(parseAnthropicRequest(structuredClone(off))), off);
  });

  it('defaults max_tokens, clamps temperature and drops OpenAI-only knobs', () => {
    const body = renderAnthropicRequest(irRequest({ temperature: 1.6, presencePenalty: 1, seed: 3, frequencyPenalty: 1, extra: { logprobs: true } }));
    assert.deepEqual(body, { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], max_tokens: DEFAULT_ANTHROPIC_MAX_TOKENS, temperature: 1, stream: false });
  });

  it('turns an effort into an enabled budget, lifts max_tokens above it and omits temperature and top_k', () => {
    const body = renderAnthropicRequest(irRequest({ reasoning: { effort: 'medium' }, maxTokens: 1000, temperature: 0.5, topK: 4, topP: 0.9 }));
    assert.deepEqual(body['thinking'], { type: 'enabled', budget_tokens: 8192 });
    assert.equal(body['max_tokens'], 9192);
    assert.equal('temperature' in body, false);
    assert.equal('top_k' in body, false);
    assert.equal('top_p' in body, false);
    const low = renderAnthropicRequest(irRequest({ reasoning: { effort: 'minimal' } }));
    assert.deepEqual([low['thinking'], low['max_tokens']], [{ type: 'enabled', budget_tokens: 1024 }, 4096]);
    const high = renderAnthropicRequest(irRequest({ reasoning: { effort: 'high' }, maxTokens: 64000 }));
    assert.deepEqual([high['thinking'], high['max_tokens']], [{ type: 'enabled', budget_tokens: 24576 }, 64000]);
  });

  it('never sends adaptive thinking or output_config to Anthropic for another format, and leaves disabled out', () => {
    const fromGemini = renderAnthropicRequest(irRequest({ sourceFormat: 'gemini', reasoning: { budgetTokens: 512, includeThoughts: true } }));
    assert.deepEqual(fromGemini['thinking'], { type: 'enabled', budget_tokens: 1024 });
    assert.equal('output_config' in fromGemini, false);
    assert.equal('thinking' in renderAnthropicRequest(irRequest({ reasoning: { disabled: true } })), false);
  });

  it('leaves thinking off when tool use is forced or the last tool turn lacks its signed thinking', () => {
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    const forced = renderAnthropicRequest(irRequest({ tools, toolChoice: { type: 'required' }, reasoning: { effort: 'high' } }));
    assert.equal('thinking' in forced, false);
    assert.deepEqual(forced['tool_choice'], { type: 'any' });
    const unsigned = renderAnthropicRequest(irRequest({
      tools,
      reasoning: { effort: 'high' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Go' }] },
        { role: 'assistant', content: [{ type: 'thinking', text: 'from deepseek' }, { type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', content: [{ type: 'text', text: 'ok' }] }] },
      ],
    }));
    assert.equal('thinking' in unsigned, false);
  });

  it('renders OpenAI-shaped history as alternating turns with tool results first, sanitised ids and no unsigned thinking', () => {
    const body = renderAnthropicRequest(irRequest({
      system: [{ type: 'text', text: 'Sys.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        { role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'data:image/gif;base64,R0lG' } }] },
        { role: 'assistant', content: [{ type: 'thinking', text: 'unsigned' }, { type: 'text', text: '' }, { type: 'tool-call', id: 'call.1', name: 'f', arguments: '{"a":1}' }, { type: 'tool-call', id: 'call_2', name: 'g', arguments: 'not json' }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call.1', content: [{ type: 'text', text: 'A' }] }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_2', content: [] }] },
        { role: 'developer', content: [{ type: 'text', text: 'Dev.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Next' }] },
      ],
    }));
    assert.deepEqual(body, {
      model: 'claude-sonnet-4-5',
      system: [{ type: 'text', text: 'Sys.' }, { type: 'text', text: 'Dev.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0lG' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } }, { type: 'tool_use', id: 'call_2', name: 'g', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'A' }, { type: 'tool_result', tool_use_id: 'call_2' }, { type: 'text', text: 'Next' }] },
      ],
      max_tokens: 4096,
      stream: false,
    });
  });

  it('renders tools, tool_choice with disable_parallel_tool_use, stop sequences and user as metadata.user_id', () => {
    const body = renderAnthropicRequest(irRequest({
      tools: [{ name: 'f', description: 'F', parameters: {}, strict: true, extra: { vendor: 1 } }, { name: 'srv', parameters: {}, extra: { type: 'web_search_20250305' } }],
      toolChoice: { type: 'tool', name: 'f' },
      parallelToolCalls: false,
      stop: ['x'],
      user: 'end-user',
      metadata: { tag: 'dropped' },
    }));
    assert.deepEqual(body['tools'], [{ name: 'f', description: 'F', input_schema: { type: 'object', properties: {} } }]);
    assert.deepEqual(body['tool_choice'], { type: 'tool', name: 'f', disable_parallel_tool_use: true });
    assert.deepEqual(body['stop_sequences'], ['x']);
    assert.deepEqual(body['metadata'], { user_id: 'end-user' });
    const parallelOnly = renderAnthropicRequest(irRequest({ tools: [{ name: 'f', parameters: { type: 'object' } }], parallelToolCalls: false }));
    assert.deepEqual(parallelOnly['tool_choice'], { type: 'auto', disable_parallel_tool_use: true });
  });

  it('appends a JSON instruction to the system prompt for json_object and json_schema formats', () => {
    const jsonObject = renderAnthropicRequest(irRequest({ system: [{ type: 'text', text: 'Sys.' }], responseFormat: { type: 'json-object' } }));
    assert.deepEqual(jsonObject['system'], [{ type: 'text', text: 'Sys.' }, { type: 'text', text: 'Respond only with a single valid JSON object. Do not add any text before or after the JSON.' }]);
    const schema = renderAnthropicRequest(irRequest({ responseFormat: { type: 'json-schema', name: 'person', schema: { type: 'object', properties: { name: { type: 'string' } } } } }));
    assert.equal(schema['system'], 'Respond only with a JSON value named "person" that conforms to this JSON Schema. Do not add any text before or after the JSON.\n{"type":"object","properties":{"name":{"type":"string"}}}');
    assert.equal('system' in renderAnthropicRequest(irRequest({ responseFormat: { type: 'text' } })), false);
  });
});
