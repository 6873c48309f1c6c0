/**
 * OpenAI usage ⇄ IR usage. OpenAI's `prompt_tokens` already INCLUDES cached tokens, which is
 * also the IR's convention (IR `inputTokens` = every input token, cached or not), so the
 * numbers pass through; only the Anthropic adapter has to add or subtract cache tokens.
 */
import type { Usage } from '../ir.ts';
import { isRecord, numberOrUndefined } from '../shared/json-value-guards.ts';
import type { OpenAIUsage } from './types.ts';

export function parseOpenAIUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const inputTokens = numberOrUndefined(value['prompt_tokens']);
  const outputTokens = numberOrUndefined(value['completion_tokens']);
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  const usage: Usage = { inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0 };
  const promptDetails = value['prompt_tokens_details'];
  // DeepSeek reports cache hits under its own name as well; prefer the OpenAI field.
  const cached = (isRecord(promptDetails) ? numberOrUndefined(promptDetails['cached_tokens']) : undefined) ?? numberOrUndefined(value['prompt_cache_hit_tokens']);
  if (cached !== undefined) usage.cachedInputTokens = cached;
  const completionDetails = value['completion_tokens_details'];
  const reasoning = isRecord(completionDetails) ? numberOrUndefined(completionDetails['reasoning_tokens']) : undefined;
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  const total = numberOrUndefined(value['total_tokens']);
  if (total !== undefined) usage.totalTokens = total;
  // xAI counts reasoning beside completion_tokens, not in it (total = prompt + completion +
  // reasoning): add it, so output tokens include reasoning as everywhere else in the IR.
  if (reasoning !== undefined && reasoning > 0 && total !== undefined && inputTokens !== undefined && outputTokens !== undefined
    && total === inputTokens + outputTokens + reasoning) {
    usage.outputTokens = outputTokens + reasoning;
  }
  return usage;
}

export function renderOpenAIUsage(usage: Usage): OpenAIUsage {
  const rendered: OpenAIUsage = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens ?? usage.inputTokens + usage.outputTokens,
  };
  if (usage.cachedInputTokens !== undefined) rendered.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens };
  if (usage.reasoningTokens !== undefined) rendered.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  return rendered;
}
