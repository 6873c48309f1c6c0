/** OpenAI Chat request parsing and rendering: field mapping, rejection, lossless round trips, rendering other formats' IR. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import type { IRRequest } from '../ir.ts';
import { parseOpenAIChatRequest, renderOpenAIChatRequest } from './request.ts';

function irRequest(overrides: Partial<IRRequest>): IRRequest {
  return { model: 'target-model', system: [], messages: [], tools: [], stream: false, extra: {}, sourceFormat: 'anthropic', ...overrides };
}

function assertInvalid(body: unknown, param: string): void {
  assert.throws(
    () => parseOpenAIChatRequest(body),
    (error: unknown) => error instanceof GatewayError && error.status === 400 && error.code === 'invalid_request' && error.param === param && error.message.includes(param),
  );
}

describe('parseOpenAIChatRequest', () => {
  it('folds the leading system and developer messages into the system prompt, remembering their roles', () => {
    const request = parseOpenAIChatRequest({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric.' }, { type: 'text', text: 'No emoji.' }] },
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'Late rule.' },
      ],
    });
    assert.deepEqual(request.system, [{ type: 'text', text: 'Be terse.' }, { type: 'text', text: 'Use metric.' }, { type: 'text', text: 'No emoji.' }]);
    assert.deepEqual(request.openaiChat?.systemMessages, [{ role: 'system', parts: 1, contentIsString: true }, { role: 'developer', parts: 2 }]);
    assert.deepEqual(request.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      { role: 'system', content: [{ type: 'text', text: 'Late rule.' }] },
    ]);
    assert.equal(request.sourceFormat, 'openai-chat');
  });

  it('reads images as base64 when given a data URL and as a URL otherwise', () => {
    const request = parseOpenAIChatRequest({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'Compare' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'low' } },
      ] }],
    });
    assert.deepEqual(request.messages[0]?.content, [
      { type: 'text', text: 'Compare' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } },
      { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' }, detail: 'low' },
    ]);
  });

  it('reads assistant reasoning, refusal and tool calls, and tool results by call id', () => {
    const request = parseOpenAIChatRequest({
      model: 'deepseek-reasoner',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, reasoning_content: 'Need the tool.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '4°C' },
        { role: 'assistant', content: null, refusal: 'I cannot.' },
      ],
    });
    assert.deepEqual(request.messages.slice(1), [
      { role: 'assistant', content: [{ type: 'thinking', text: 'Need the tool.' }, { type: 'tool-call', id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', content: [{ type: 'text', text: '4°C' }] }] },
      { role: 'assistant', content: [{ type: 'text', text: 'I cannot.', refusal: true }] },
    ]);
  });

  it('reads OpenRouter-style `reasoning` on an assistant message as thinking', () => {
    const request = parseOpenAIChatRequest({ model: 'm', messages: [{ role: 'assistant', content: 'ok', reasoning: 'hmm' }] });
    assert.deepEqual(request.messages[0]?.content, [{ type: 'thinking', text: 'hmm' }, { type: 'text', text: 'ok' }]);
  });

  it('maps the sampling, tool, reasoning and format knobs', () => {
    const request = parseOpenAIChatRequest({
      model: 'gpt-5',
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      max_completion_tokens: 900,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      presence_penalty: 0.1,
      frequency_penalty: 0.3,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
      reasoning_effort: 'high',
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      user: 'user-42',
    });
    assert.deepEqual(request.tools, [{ name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: true }]);
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'lookup' });
    assert.equal(request.parallelToolCalls, false);
    assert.equal(request.maxTokens, 900);
    assert.equal(request.openaiChat?.maxTokensField, 'max_completion_tokens');
    assert.deepEqual([request.temperature, request.topP, request.presencePenalty, request.frequencyPenalty, request.seed], [0.2, 0.9, 0.1, 0.3, 7]);
    assert.deepEqual(request.stop, ['END']);
    assert.equal(request.stream, true);
    assert.equal(request.includeUsage, true);
    assert.deepEqual(request.reasoning, { effort: 'high' });
    assert.deepEqual(request.responseFormat, { type: 'json-schema', name: 'answer', schema: { type: 'object' }, strict: true });
    assert.equal(request.user, 'user-42');
    assert.deepEqual(request.extra, {});
  });

  it('maps Mistral tool_choice "any" to required, reasoning_effort none/xhigh to disabled/max', () => {
    const base = { model: 'm', messages: [] };
    assert.deepEqual(parseOpenAIChatRequest({ ...base, tool_choice: 'any' }).toolChoice, { type: 'required' });
    assert.deepEqual(parseOpenAIChatRequest({ ...base, reasoning_effort: 'none' }).reasoning, { disabled: true });
    assert.deepEqual(parseOpenAIChatRequest({ ...base, reasoning_effort: 'xhigh' }).reasoning, { effort: 'max' });
  });

  it('keeps unknown fields in extra and never rejects vendor fields', () => {
    const request = parseOpenAIChatRequest({
      model: 'm',
      messages: [{ role: 'user', content: 'x', some_vendor_flag: true }],
      n: 1,
      logprobs: true,
      store: false,
      reasoning: { effort: 'low' },
      prompt_cache_key: 'k',
      reasoning_effort: 'ultra',
    });
    assert.deepEqual(request.extra, { n: 1, logprobs: true, store: false, reasoning: { effort: 'low' }, prompt_cache_key: 'k', reasoning_effort: 'ultra' });
    assert.equal(request.reasoning, undefined);
  });

  it('takes the model and streaming from the context when given', () => {
    const request = parseOpenAIChatRequest({ messages: [] }, { model: 'from-url', stream: true });
    assert.equal(request.model, 'from-url');
    assert.equal(request.stream, true);
  });

  it('rejects truly invalid bodies with a 400 naming the field', () => {
    assertInvalid('nope', 'body');
    assertInvalid({ model: 'm' }, 'messages');
    assertInvalid({ model: 'm', messages: {} }, 'messages');
    assertInvalid({ messages: [] }, 'model');
    assertInvalid({ model: 'm', messages: [{ content: 'x' }] }, 'messages[0].role');
    assertInvalid({ model: 'm', messages: ['x'] }, 'messages[0]');
    assertInvalid({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role');
    assertInvalid({ model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id');
    assertInvalid({ model: 'm', messages: [{ role: 'user', content: 42 }] }, 'messages[0].content');
    assertInvalid({ model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', function: {} }] }] }, 'messages[0].tool_calls[0].function.name');
  });
});

describe('renderOpenAIChatRequest', () => {
  it('round-trips an OpenAI body losslessly, known and unknown fields alike', () => {
    const body = {
      model: 'gpt-5',
      messages: [
        { role: 'developer', content: 'Rules.' },
        { role: 'system', content: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'B' }] },
        { role: 'user', content: 'Look', name: 'ann' },
        { role: 'user', content: [{ type: 'text', text: 'this' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/', detail: 'high' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }, { id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_a', content: 'one' },
        { role: 'tool', tool_call_id: 'call_b', content: 'two' },
        { role: 'assistant', content: 'Done.', reasoning_content: 'thought' },
        { role: 'system', content: 'Mid-conversation rule.' },
        { role: 'user', content: '' },
      ],
      tools: [
        { type: 'function', function: { name: 'f', description: 'F', parameters: { type: 'object', properties: {} }, strict: false } },
        { type: 'function', function: { name: 'g', vendor_hint: 1 } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: true,
      max_completion_tokens: 1000,
      temperature: 1.5,
      top_p: 0.5,
      top_k: 40,
      stop: ['x', 'y'],
      presence_penalty: 0,
      frequency_penalty: 0.5,
      seed: 1,
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
      reasoning_effort: 'minimal',
      response_format: { type: 'json_object' },
      user: 'u',
      metadata: { tag: 'a' },
      n: 1,
      logit_bias: { '50256': -100 },
      web_search_options: {},
    };
    assert.deepEqual(renderOpenAIChatRequest(parseOpenAIChatRequest(structuredClone(body))), body);
  });

  it('round-trips the shape of content: a one-part array stays an array, a string stays a string', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'S' }] },
        { role: 'user', content: [{ type: 'text', text: 'x' }] },
        { role: 'assistant', content: 'y' },
        { role: 'developer', content: [{ type: 'text', text: 'late' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c', content: [{ type: 'text', text: 'r1' }, { type: 'text', text: 'r2' }] },
        { role: 'user', content: 'z' },
      ],
      stream: false,
    };
    assert.deepEqual(renderOpenAIChatRequest(parseOpenAIChatRequest(structuredClone(body))), body);
  });

  it('round-trips message keys and content parts the IR cannot hold, and keeps them from other formats', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Listen' }, { type: 'input_audio', input_audio: { data: 'UklG', format: 'wav' } }, { type: 'file', file: { file_id: 'file-1' } }] },
        { role: 'assistant', content: 'Heard.', reasoning: 'audio', reasoning_details: [{ type: 'reasoning.encrypted', data: 'X' }] },
        { role: 'assistant', content: 'Continue', prefix: true },
      ],
      stream: false,
    };
    const request = parseOpenAIChatRequest(structuredClone(body));
    assert.deepEqual(renderOpenAIChatRequest(request), body);
    const crossFormat = renderOpenAIChatRequest({ ...request, sourceFormat: 'anthropic' });
    assert.deepEqual(crossFormat['messages'], [
      { role: 'user', content: 'Listen' },
      { role: 'assistant', content: 'Heard.', reasoning_content: 'audio' },
      { role: 'assistant', content: 'Continue' },
    ]);
  });

  it('round-trips max_tokens and xhigh/none efforts under their own names', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5, reasoning_effort: 'xhigh', stream: false };
    assert.deepEqual(renderOpenAIChatRequest(parseOpenAIChatRequest(structuredClone(body))), body);
    const off = { model: 'm', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'none', stream: false };
    assert.deepEqual(renderOpenAIChatRequest(parseOpenAIChatRequest(structuredClone(off))), off);
  });

  it('renders another format\'s IR: joined system, tool results split out, signed thinking dropped, extensions left out', () => {
    const body = renderOpenAIChatRequest(irRequest({
      system: [{ type: 'text', text: 'One', cacheControl: { type: 'ephemeral' } }, { type: 'text', text: 'Two' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Go', cacheControl: { type: 'ephemeral' } }] },
        { role: 'assistant', content: [
          { type: 'thinking', text: 'secret', signature: { value: 'sig', origin: 'anthropic' } },
          { type: 'redacted-thinking', data: 'xyz', origin: 'anthropic' },
          { type: 'text', text: 'Calling.' },
          { type: 'tool-call', id: 'toolu_1', name: 'shot', arguments: '{"url":"a"}' },
        ] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_1', isError: true, content: [
          { type: 'text', text: 'failed' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'QQ==' } },
        ] }] },
        { role: 'user', content: [{ type: 'text', text: 'And?' }] },
      ],
      tools: [
        { name: 'shot', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral' }, extra: { defer_loading: true } },
        { name: 'web_search', parameters: {}, extra: { type: 'web_search_20250305', max_uses: 3 } },
      ],
      toolChoice: { type: 'auto' },
      parallelToolCalls: false,
      maxTokens: 2000,
      topK: 5,
      stop: ['Z'],
      stream: true,
      includeUsage: true,
      reasoning: { budgetTokens: 24576, includeThoughts: true },
      user: 'u-1',
      metadata: { anything: true },
      extra: { context_management: { edits: [] } },
    }));
    assert.deepEqual(body, {
      model: 'target-model',
      messages: [
        { role: 'system', content: 'One\n\nTwo' },
        { role: 'user', content: 'Go' },
        { role: 'assistant', content: 'Calling.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'shot', arguments: '{"url":"a"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'failed' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,QQ==' } }] },
        { role: 'user', content: 'And?' },
      ],
      tools: [{ type: 'function', function: { name: 'shot', parameters: { type: 'object' } } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      max_tokens: 2000,
      stop: ['Z'],
      stream: true,
      stream_options: { include_usage: true },
      reasoning_effort: 'high',
      user: 'u-1',
    });
  });

  it('leaves out another format\'s user id when it is longer than OpenAI accepts', () => {
    const long = '{"device_id":"' + 'd'.repeat(64) + '","session_id":"s"}';
    assert.equal('user' in renderOpenAIChatRequest(irRequest({ user: long })), false);
    assert.equal(renderOpenAIChatRequest(irRequest({ user: 'short-id' }))['user'], 'short-id');
  });

  it('sends tool_choice and parallel_tool_calls only alongside tools', () => {
    const body = renderOpenAIChatRequest(irRequest({ toolChoice: { type: 'none' }, parallelToolCalls: true }));
    assert.equal('tool_choice' in body, false);
    assert.equal('parallel_tool_calls' in body, false);
  });

  it('maps effort "max" to "high" for clients of other formats and leaves a disabled effort out', () => {
    assert.equal(renderOpenAIChatRequest(irRequest({ reasoning: { effort: 'max' } }))['reasoning_effort'], 'high');
    assert.equal('reasoning_effort' in renderOpenAIChatRequest(irRequest({ reasoning: { disabled: true } })), false);
  });

  it('sends unsigned thinking back as reasoning_content (DeepSeek wants it within a tool turn)', () => {
    const body = renderOpenAIChatRequest(irRequest({ messages: [{ role: 'assistant', content: [{ type: 'thinking', text: 'plan' }, { type: 'tool-call', id: 'c', name: 'f', arguments: '{}' }] }] }));
    assert.deepEqual(body['messages'], [{ role: 'assistant', content: null, reasoning_content: 'plan', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }]);
  });

  it('renders a json_schema format with the name OpenAI requires', () => {
    const body = renderOpenAIChatRequest(irRequest({ responseFormat: { type: 'json-schema', schema: { type: 'object' } } }));
    assert.deepEqual(body['response_format'], { type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object' } } });
  });
});
