/** OpenAI Chat non-streaming responses: parsing upstream bodies and rendering for clients. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import type { IRRequest, IRResponse } from '../ir.ts';
import { parseOpenAIChatResponse, renderOpenAIChatResponse } from './response.ts';

const request: IRRequest = { model: 'asked-model', system: [], messages: [], tools: [], stream: false, extra: {}, sourceFormat: 'openai-chat' };

describe('parseOpenAIChatResponse', () => {
  it('reads text, reasoning_content, tool calls, finish reason and usage with cache and reasoning details', () => {
    const response = parseOpenAIChatResponse({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'deepseek-reasoner',
      choices: [{
        index: 0,
        message: { role: 'assistant', content: 'Calling.', reasoning_content: 'Think.', tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        finish_reason: 'tool_calls',
        logprobs: null,
      }],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120, prompt_tokens_details: { cached_tokens: 64 }, completion_tokens_details: { reasoning_tokens: 12 } },
    });
    assert.deepEqual(response, {
      id: 'chatcmpl-1',
      model: 'deepseek-reasoner',
      created: 1700000000,
      content: [{ type: 'thinking', text: 'Think.' }, { type: 'text', text: 'Calling.' }, { type: 'tool-call', id: 'call_9', name: 'f', arguments: '{"a":1}' }],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
      usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cachedInputTokens: 64, reasoningTokens: 12 },
    });
  });

  it('reads a refusal, Groq `reasoning`, Mistral thinking parts and the other finish reasons', () => {
    const refusal = parseOpenAIChatResponse({ choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'No.' }, finish_reason: 'stop' }] });
    assert.deepEqual(refusal.content, [{ type: 'text', text: 'No.', refusal: true }]);
    assert.deepEqual([refusal.finishReason, refusal.rawFinishReason], ['refusal', 'stop']);
    const groq = parseOpenAIChatResponse({ choices: [{ message: { content: '4', reasoning: 'adding' }, finish_reason: 'length' }] });
    assert.deepEqual(groq.content, [{ type: 'thinking', text: 'adding' }, { type: 'text', text: '4' }]);
    assert.equal(groq.finishReason, 'length');
    const mistral = parseOpenAIChatResponse({ choices: [{ message: { content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'hm' }] }, { type: 'text', text: 'ok' }] }, finish_reason: 'content_filter' }] });
    assert.deepEqual(mistral.content, [{ type: 'thinking', text: 'hm' }, { type: 'text', text: 'ok' }]);
    assert.equal(mistral.finishReason, 'content-filter');
  });

  it('rejects a body without choices as an upstream protocol error', () => {
    assert.throws(() => parseOpenAIChatResponse({ error: { message: 'x' } }), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_protocol_error');
  });
});

describe('renderOpenAIChatResponse', () => {
  it('renders a complete chat.completion the SDK accepts', () => {
    const response: IRResponse = {
      id: 'msg_1',
      model: 'claude-x',
      created: 1700000001,
      content: [
        { type: 'thinking', text: 'Let me see.', signature: { value: 'sig', origin: 'anthropic' } },
        { type: 'text', text: 'Hello' },
        { type: 'tool-call', id: 'toolu_1', name: 'f', arguments: '' },
      ],
      finishReason: 'tool-calls',
      usage: { inputTokens: 50, outputTokens: 10, cachedInputTokens: 30, cacheCreationInputTokens: 5, totalTokens: 60 },
    };
    assert.deepEqual(renderOpenAIChatResponse(response, request), {
      id: 'msg_1',
      object: 'chat.completion',
      created: 1700000001,
      model: 'claude-x',
      choices: [{
        index: 0,
        message: { role: 'assistant', content: 'Hello', refusal: null, reasoning_content: 'Let me see.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        finish_reason: 'tool_calls',
        logprobs: null,
      }],
      usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60, prompt_tokens_details: { cached_tokens: 30 } },
    });
  });

  it('puts refusal text in `refusal` ending with stop, a bare refusal ends with content_filter, and falls back to the requested model', () => {
    const rendered = renderOpenAIChatResponse({ id: '', model: '', content: [{ type: 'text', text: 'No.', refusal: true }], finishReason: 'refusal', created: 1 }, request);
    assert.deepEqual(rendered['choices'], [{ index: 0, message: { role: 'assistant', content: null, refusal: 'No.' }, finish_reason: 'stop', logprobs: null }]);
    assert.equal(rendered['model'], 'asked-model');
    const bare = renderOpenAIChatResponse({ id: 'm', model: 'x', content: [], finishReason: 'refusal', created: 1 }, request);
    assert.deepEqual(bare['choices'], [{ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: 'content_filter', logprobs: null }]);
  });
});
