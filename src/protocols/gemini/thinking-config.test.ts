import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseThinkingConfig, renderThinkingConfig } from './thinking-config.ts';

describe('thinkingConfig', () => {
  it('parses budgets, levels and includeThoughts', () => {
    assert.equal(parseThinkingConfig({ thinkingBudget: -1 }), undefined);
    assert.deepEqual(parseThinkingConfig({ thinkingBudget: 0 }), { disabled: true });
    assert.deepEqual(parseThinkingConfig({ thinkingBudget: 1024, includeThoughts: false }), { budgetTokens: 1024, includeThoughts: false });
    assert.deepEqual(parseThinkingConfig({ thinkingLevel: 'medium' }), { effort: 'medium' });
  });

  it('renders a budget for Gemini 2.x and a level for Gemini 3, by model', () => {
    assert.deepEqual(renderThinkingConfig({ effort: 'medium' }, 'gemini-2.5-flash'), { thinkingBudget: 8192 });
    assert.deepEqual(renderThinkingConfig({ effort: 'medium' }, 'gemini-3-pro-preview'), { thinkingLevel: 'high' });
    assert.deepEqual(renderThinkingConfig({ effort: 'minimal' }, 'gemini-3-flash-preview'), { thinkingLevel: 'minimal' });
    assert.deepEqual(renderThinkingConfig({ effort: 'max', includeThoughts: true }, 'gemini-3-flash-preview'), { thinkingLevel: 'high', includeThoughts: true });
    assert.deepEqual(renderThinkingConfig({ budgetTokens: 5000 }, 'gemini-3-pro-preview'), { thinkingBudget: 5000 });
    assert.deepEqual(renderThinkingConfig({ disabled: true, includeThoughts: true }, 'gemini-2.5-flash'), { thinkingBudget: 0 });
    assert.deepEqual(renderThinkingConfig({ disabled: true }, 'gemini-3-pro-preview'), { thinkingLevel: 'low' });
    assert.equal(renderThinkingConfig({}, 'gemini-2.5-pro'), undefined);
    assert.equal(renderThinkingConfig({ effort: 'high', includeThoughts: true }, 'gemini-2.0-flash'), undefined);
    assert.deepEqual(renderThinkingConfig({ includeThoughts: true }, 'gemini-2.0-flash-thinking-exp'), { includeThoughts: true });
  });
});
