/**
 * Responses usage ⇄ IR usage. Like Chat Completions, `input_tokens` includes cached tokens
 * and `output_tokens` includes reasoning tokens, which is the IR's convention too.
 */
import type { Usage } from '../ir.ts';
import { isRecord, numberOrUndefined } from '../shared/json-value-guards.ts';
import type { ResponsesUsage } from './types.ts';

export function parseResponsesUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const input = numberOrUndefined(value['input_tokens']);
  const output = numberOrUndefined(value['output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  const usage: Usage = { inputTokens: input ?? 0, outputTokens: output ?? 0 };
  const inputDetails = value['input_tokens_details'];
  const cached = isRecord(inputDetails) ? numberOrUndefined(inputDetails['cached_tokens']) : undefined;
  if (cached !== undefined) usage.cachedInputTokens = cached;
  const outputDetails = value['output_tokens_details'];
  const reasoning = isRecord(outputDetails) ? numberOrUndefined(outputDetails['reasoning_tokens']) : undefined;
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  const total = numberOrUndefined(value['total_tokens']);
  if (total !== undefined) usage.totalTokens = total;
  return usage;
}

export function renderResponsesUsage(usage: Usage): ResponsesUsage {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens ?? usage.inputTokens + usage.outputTokens,
  };
}
