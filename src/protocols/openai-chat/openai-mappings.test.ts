/** OpenAI Chat small mappings: finish reasons, reasoning effort and usage. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOpenAIFinishReason, renderOpenAIFinishReason } from './map-openai-finish-reason.ts';
import { parseOpenAIReasoningEffort, renderOpenAIReasoningEffort } from './openai-reasoning.ts';
import { parseOpenAIUsage, renderOpenAIUsage } from './openai-usage.ts';

describe('OpenAI finish reasons', () => {
  it('reads each finish reason, a refusal included', () => {
    const read = ['stop', 'length', 'tool_calls', 'function_call', 'content_filter', 'error', 'weird'].map((raw) => parseOpenAIFinishReason(raw));
    assert.deepEqual(read, ['stop', 'length', 'tool-calls', 'tool-calls', 'content-filter', 'error', 'other']);
    assert.equal(parseOpenAIFinishReason('stop', true), 'refusal');
  });

  it('renders each IR finish reason', () => {
    const rendered = (['stop', 'length', 'tool-calls', 'content-filter', 'pause', 'error', 'other'] as const).map((reason) => renderOpenAIFinishReason(reason));
    assert.deepEqual(rendered, ['stop', 'length', 'tool_calls', 'content_filter', 'stop', 'stop', 'stop']);
    assert.deepEqual([renderOpenAIFinishReason('refusal', true), renderOpenAIFinishReason('refusal', false)], ['stop', 'content_filter']);
  });
});

describe('OpenAI reasoning effort', () => {
  it('reads the effort values and leaves unknown ones alone', () => {
    assert.deepEqual(['minimal', 'low', 'medium', 'high', 'xhigh', 'none', 'ultra'].map(parseOpenAIReasoningEffort), [
      { effort: 'minimal' }, { effort: 'low' }, { effort: 'medium' }, { effort: 'high' }, { effort: 'max' }, { disabled: true }, undefined,
    ]);
  });

  it('renders an effort, or one derived from a thinking budget', () => {
    assert.equal(renderOpenAIReasoningEffort({ budgetTokens: 1024 }, false), 'low');
    assert.equal(renderOpenAIReasoningEffort({ budgetTokens: 8000 }, false), 'medium');
    assert.equal(renderOpenAIReasoningEffort({ budgetTokens: 30000 }, false), 'high');
    assert.equal(renderOpenAIReasoningEffort({ includeThoughts: true }, false), undefined);
    assert.equal(renderOpenAIReasoningEffort(undefined, true), undefined);
  });
});

describe('OpenAI usage', () => {
  it('keeps prompt_tokens as the IR input count (cached tokens are inside it) and reads DeepSeek cache hits', () => {
    assert.deepEqual(parseOpenAIUsage({ prompt_tokens: 339, completion_tokens: 83, total_tokens: 422, prompt_cache_hit_tokens: 320 }), { inputTokens: 339, outputTokens: 83, cachedInputTokens: 320, totalTokens: 422 });
    assert.equal(parseOpenAIUsage(null), undefined);
    assert.deepEqual(renderOpenAIUsage({ inputTokens: 10, outputTokens: 5, reasoningTokens: 2 }), { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, completion_tokens_details: { reasoning_tokens: 2 } });
  });
});
