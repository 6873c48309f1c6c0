/** Anthropic usage ⇄ IR usage: cache tokens are outside Anthropic's input_tokens and inside the IR's. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeAnthropicUsage, parseAnthropicUsage, renderAnthropicUsage } from './anthropic-usage.ts';

describe('Anthropic usage', () => {
  it('adds cache reads and writes into the IR input count, and takes them out again', () => {
    const usage = parseAnthropicUsage({ input_tokens: 3, cache_read_input_tokens: 1000, cache_creation_input_tokens: 50, output_tokens: 9 });
    assert.deepEqual(usage, { inputTokens: 1053, outputTokens: 9, totalTokens: 1062, cachedInputTokens: 1000, cacheCreationInputTokens: 50 });
    assert.deepEqual(renderAnthropicUsage(usage), { input_tokens: 3, output_tokens: 9, cache_read_input_tokens: 1000, cache_creation_input_tokens: 50 });
  });

  it('renders zeros when there is no usage and never a negative input count', () => {
    assert.deepEqual(renderAnthropicUsage(undefined), { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    assert.equal(renderAnthropicUsage({ inputTokens: 5, outputTokens: 1, cachedInputTokens: 9 }).input_tokens, 0);
  });

  it('merges a message_delta usage over the message_start usage, ignoring nulls', () => {
    assert.deepEqual(mergeAnthropicUsage({ input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 4 }, { output_tokens: 30, input_tokens: null }), { input_tokens: 10, output_tokens: 30, cache_read_input_tokens: 4 });
  });
});
