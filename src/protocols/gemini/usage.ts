/**
 * Gemini `usageMetadata` ⇄ IR usage.
 *
 * The IR follows OpenAI: `outputTokens` INCLUDES reasoning tokens (OpenAI's
 * `completion_tokens` and Anthropic's `output_tokens` both count thinking), and
 * `inputTokens` includes cached tokens. Gemini's `candidatesTokenCount` EXCLUDES
 * `thoughtsTokenCount`, so parsing adds the two and rendering subtracts them again;
 * `promptTokenCount` already includes `cachedContentTokenCount`.
 */
import type { Usage } from '../ir.ts';
import { isRecord, numberOrUndefined } from '../shared/json-value-guards.ts';
import type { GeminiUsageMetadata } from './types.ts';

export function parseGeminiUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const prompt = numberOrUndefined(value['promptTokenCount']);
  const candidates = numberOrUndefined(value['candidatesTokenCount']);
  const thoughts = numberOrUndefined(value['thoughtsTokenCount']);
  const total = numberOrUndefined(value['totalTokenCount']);
  if (prompt === undefined && candidates === undefined && thoughts === undefined && total === undefined) return undefined;
  const usage: Usage = { inputTokens: prompt ?? 0, outputTokens: (candidates ?? 0) + (thoughts ?? 0) };
  const cached = numberOrUndefined(value['cachedContentTokenCount']);
  if (cached !== undefined) usage.cachedInputTokens = cached;
  if (thoughts !== undefined) usage.reasoningTokens = thoughts;
  if (total !== undefined) usage.totalTokens = total;
  return usage;
}

export function renderGeminiUsage(usage: Usage): GeminiUsageMetadata {
  const thoughts = usage.reasoningTokens ?? 0;
  const rendered: GeminiUsageMetadata = {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: Math.max(0, usage.outputTokens - thoughts),
    totalTokenCount: usage.totalTokens ?? usage.inputTokens + usage.outputTokens,
  };
  if (usage.reasoningTokens !== undefined) rendered.thoughtsTokenCount = usage.reasoningTokens;
  if (usage.cachedInputTokens !== undefined) rendered.cachedContentTokenCount = usage.cachedInputTokens;
  return rendered;
}
