/** Kiro model ids: Anthropic's dashed and dated names → Kiro's dotted ones. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kiroModelId } from './model-id.ts';

describe('kiroModelId', () => {
  const cases: Array<[string, string]> = [
    ['claude-sonnet-4-5', 'claude-sonnet-4.5'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4.5'],
    ['claude-haiku-4-5', 'claude-haiku-4.5'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4.5'],
    ['claude-opus-4-5', 'claude-opus-4.5'],
    ['claude-sonnet-4-0', 'claude-sonnet-4'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-sonnet-4', 'claude-sonnet-4'],
    ['claude-sonnet-4.5', 'claude-sonnet-4.5'],
    ['claude-haiku-4.5', 'claude-haiku-4.5'],
    ['auto', 'auto'],
    ['claude-3-7-sonnet-20250219', 'claude-3-7-sonnet-20250219'],
    ['gpt-4o', 'gpt-4o'],
  ];
  for (const [name, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      assert.equal(kiroModelId(name), expected);
    });
  }
});
