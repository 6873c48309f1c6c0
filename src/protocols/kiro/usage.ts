/**
 * Token usage from what Kiro reports, which is less than other providers do.
 *
 * - `messageMetadataEvent` / `metadataEvent` may carry `tokenUsage` with `uncachedInputTokens`,
 *   `cacheReadInputTokens`, `cacheWriteInputTokens`, `outputTokens`, `totalTokens` (and, in
 *   some versions, a plain `inputTokens`). When it does, those counts are used as they are:
 *   input = `inputTokens`, else uncached + cache read + cache write (the IR counts cached
 *   tokens inside `inputTokens`, as Anthropic's adapter does). A later metadata event
 *   replaces an earlier one field by field (the counts are taken to be cumulative).
 * - Otherwise `contextUsageEvent.contextUsagePercentage` is the only input measure: input =
 *   round(percentage / 100 × context window), the window being 200 000 tokens (every Kiro
 *   model) unless the caller says otherwise. It is an estimate.
 * - Output without `outputTokens` is estimated at one token per four characters of text,
 *   thinking and tool arguments received (the ratio `server/estimate-tokens.ts` documents).
 * With neither metadata nor context usage there is no usage event: nothing was measured.
 */
import type { Usage } from '../ir.ts';
import { isRecord, numberOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';

export const KIRO_DEFAULT_CONTEXT_WINDOW = 200_000;
const CHARS_PER_TOKEN = 4;

export interface KiroUsageTracker {
  /** A metadata event's payload. */
  metadata(payload: JsonRecord): void;
  contextUsage(percentage: number): void;
  /** Characters the model produced, for the output estimate. */
  produced(characters: number): void;
  /** The usage to report, if anything was measured. */
  usage(): Usage | undefined;
  /** The `stopReason` a metadata event named, if any. */
  stopReason(): string | undefined;
}

export function createKiroUsageTracker(contextWindow: number = KIRO_DEFAULT_CONTEXT_WINDOW): KiroUsageTracker {
  const counts: Record<string, number> = {};
  let seenTokenUsage = false;
  let percentage: number | undefined;
  let characters = 0;
  let stopReason: string | undefined;

  return {
    metadata(payload) {
      const reason = payload['stopReason'];
      if (typeof reason === 'string' && reason !== '') stopReason = reason;
      const tokenUsage = isRecord(payload['tokenUsage']) ? payload['tokenUsage'] : isRecord(payload['usage']) ? payload['usage'] : undefined;
      if (tokenUsage === undefined) return;
      for (const [key, value] of Object.entries(tokenUsage)) {
        const count = numberOrUndefined(value);
        if (count === undefined) continue;
        counts[key] = count;
        seenTokenUsage = true;
      }
      const inner = numberOrUndefined(tokenUsage['contextUsagePercentage']);
      if (inner !== undefined) percentage = inner;
    },
    contextUsage(value) {
      percentage = value;
    },
    produced(count) {
      characters += count;
    },
    usage() {
      if (!seenTokenUsage && percentage === undefined) return undefined;
      const uncached = counts['uncachedInputTokens'];
      const cacheRead = counts['cacheReadInputTokens'];
      const cacheWrite = counts['cacheWriteInputTokens'];
      const split = uncached !== undefined || cacheRead !== undefined || cacheWrite !== undefined ? (uncached ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0) : undefined;
      const estimatedInput = percentage === undefined ? 0 : Math.round((percentage / 100) * contextWindow);
      const inputTokens = counts['inputTokens'] ?? split ?? estimatedInput;
      const outputTokens = counts['outputTokens'] ?? Math.ceil(characters / CHARS_PER_TOKEN);
      const usage: Usage = { inputTokens, outputTokens, totalTokens: counts['totalTokens'] ?? inputTokens + outputTokens };
      if (cacheRead !== undefined) usage.cachedInputTokens = cacheRead;
      if (cacheWrite !== undefined) usage.cacheCreationInputTokens = cacheWrite;
      return usage;
    },
    stopReason() {
      return stopReason;
    },
  };
}
