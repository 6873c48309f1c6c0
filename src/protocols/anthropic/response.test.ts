/** Anthropic non-streaming responses: parsing upstream bodies and rendering for clients. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors.ts';
import type { IRRequest, IRResponse } from '../ir.ts';
import { parseAnthropicResponse, renderAnthropicResponse } from './response.ts';

const request: IRRequest = { model: 'asked', system: [], messages: [], tools: [], stream: false, extra: {}, sourceFormat: 'anthropic' };

describe('parseAnthropicResponse', () => {
  it('reads thinking with its signature, text, tool use, stop reason and usage (adding cache tokens to input)', () => {
    const response = parseAnthropicResponse({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
      content: [
        { type: 'thinking', thinking: 'Plan.', signature: 'SIG' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
      ],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 30, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, service_tier: 'standard' },
    });
    assert.deepEqual(response, {
      id: 'msg_1', model: 'claude-sonnet-4-5',
      content: [
        { type: 'thinking', text: 'Plan.', signature: { value: 'SIG', origin: 'anthropic' } },
        { type: 'text', text: 'Checking.' },
        { type: 'tool-call', id: 'toolu_1', name: 'weather', arguments: '{"city":"Oslo"}' },
      ],
      finishReason: 'tool-calls', rawFinishReason: 'tool_use',
      usage: { inputTokens: 115, outputTokens: 30, totalTokens: 145, cachedInputTokens: 100, cacheCreationInputTokens: 5 },
    });
  });

  it('maps every stop reason and keeps the stop sequence', () => {
    const stop = (stopReason: string, stopSequence: string | null = null) => parseAnthropicResponse({ content: [], stop_reason: stopReason, stop_sequence: stopSequence });
    assert.deepEqual([stop('end_turn').finishReason, stop('max_tokens').finishReason, stop('pause_turn').finishReason, stop('refusal').finishReason], ['stop', 'length', 'pause', 'refusal']);
    assert.deepEqual([stop('stop_sequence', '###').finishReason, stop('stop_sequence', '###').stopSequence], ['stop', '###']);
  });

  it('rejects a body without content as an upstream protocol error', () => {
    assert.throws(() => parseAnthropicResponse({ type: 'error' }), (error: unknown) => error instanceof GatewayError && error.status === 502);
  });
});

describe('renderAnthropicResponse', () => {
  it('renders a complete message, taking cache tokens back out of input_tokens', () => {
    const response: IRResponse = {
      id: 'chatcmpl-1', model: 'gpt-4o',
      content: [
        { type: 'thinking', text: 'from deepseek' },
        { type: 'text', text: 'Hi' },
        { type: 'text', text: 'No.', refusal: true },
        { type: 'tool-call', id: 'call_1', name: 'f', arguments: '{"a":1}' },
      ],
      finishReason: 'tool-calls',
      usage: { inputTokens: 100, outputTokens: 9, cachedInputTokens: 60 },
    };
    assert.deepEqual(renderAnthropicResponse(response, request), {
      id: 'chatcmpl-1', type: 'message', role: 'assistant', model: 'gpt-4o',
      content: [
        { type: 'thinking', thinking: 'from deepseek', signature: '' },
        { type: 'text', text: 'Hi' },
        { type: 'text', text: 'No.' },
        { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 40, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 60 },
    });
  });

  it('passes an Anthropic signature through byte for byte and names a stop sequence', () => {
    const rendered = renderAnthropicResponse({
      id: 'm', model: '', content: [{ type: 'thinking', text: 't', signature: { value: 'Eq+/=', origin: 'anthropic' } }, { type: 'redacted-thinking', data: 'R', origin: 'anthropic' }],
      finishReason: 'stop', stopSequence: 'END',
    }, request);
    assert.deepEqual(rendered['content'], [{ type: 'thinking', thinking: 't', signature: 'Eq+/=' }, { type: 'redacted_thinking', data: 'R' }]);
    assert.deepEqual([rendered['stop_reason'], rendered['stop_sequence'], rendered['model']], ['stop_sequence', 'END', 'asked']);
  });

  it('maps length, pause, refusal and content-filter finishes', () => {
    const reason = (finishReason: IRResponse['finishReason']) => renderAnthropicResponse({ id: 'm', model: 'x', content: [], finishReason }, request)['stop_reason'];
    assert.deepEqual([reason('length'), reason('pause'), reason('refusal'), reason('content-filter'), reason('other')], ['max_tokens', 'pause_turn', 'refusal', 'refusal', 'end_turn']);
  });
});
