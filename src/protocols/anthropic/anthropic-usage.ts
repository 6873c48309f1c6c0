/**
 * Anthropic usage ⇄ IR usage. Anthropic's `input_tokens` EXCLUDES the tokens read from or
 * written to the prompt cache; the IR (like OpenAI's `prompt_tokens` and Gemini's
 * `promptTokenCount`) counts every input token. So parsing adds the two cache counts in and
 * rendering takes them out again.
 */
import type { Usage } from '../ir.ts';
import { isRecord, numberOrUndefined } from '../shared/json-value-guards.ts';
import type { AnthropicUsage } from './types.ts';

export function parseAnthropicUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const input = numberOrUndefined(value['input_tokens']);
  const output = numberOrUndefined(value['output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  const cacheRead = numberOrUndefined(value['cache_read_input_tokens']);
  const cacheCreation = numberOrUndefined(value['cache_creation_input_tokens']);
  const inputTokens = (input ?? 0) + (cacheRead ?? 0) + (cacheCreation ?? 0);
  const usage: Usage = { inputTokens, outputTokens: output ?? 0, totalTokens: inputTokens + (output ?? 0) };
  if (cacheRead !== undefined) usage.cachedInputTokens = cacheRead;
  if (cacheCreation !== undefined) usage.cacheCreationInputTokens = cacheCreation;
  return usage;
}

/**
 * Merges a `message_delta` usage (cumulative output, sometimes input too) over the
 * `message_start` usage: a field the later report leaves out keeps its earlier value.
 */
export function mergeAnthropicUsage(start: Record<string, unknown> | undefined, delta: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...start };
  for (const [key, value] of Object.entries(delta)) {
    if (value !== null && value !== undefined) merged[key] = value;
  }
  return merged;
}

export function renderAnthropicUsage(usage: Usage | undefined): AnthropicUsage {
  if (usage === undefined) return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const cacheRead = usage.cachedInputTokens ?? 0;
  const cacheCreation = usage.cacheCreationInputTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - cacheRead - cacheCreation),
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
  };
}
