/**
 * Gemini `finishReason` ⇄ IR finish reason. Gemini ends a function-calling turn with `STOP`,
 * so a candidate holding `functionCall` parts finishes as `tool-calls` in the IR. Blocked
 * output (SAFETY, RECITATION, BLOCKLIST, …) is `content-filter`; the raw name travels in
 * `rawFinishReason` so a Gemini client gets the exact value back.
 */
import type { FinishReason } from '../ir.ts';

const CONTENT_FILTER_REASONS = new Set(['SAFETY', 'RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/** Every finish reason Gemini documents; a raw reason outside this set is not echoed back. */
const GEMINI_REASONS = new Set([...CONTENT_FILTER_REASONS, 'STOP', 'MAX_TOKENS', 'LANGUAGE', 'OTHER', 'MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS', 'FINISH_REASON_UNSPECIFIED', 'IMAGE_OTHER', 'NO_IMAGE']);

export function parseGeminiFinishReason(raw: string, hasToolCalls: boolean): FinishReason {
  if (raw === 'STOP') return hasToolCalls ? 'tool-calls' : 'stop';
  if (raw === 'MAX_TOKENS') return 'length';
  if (CONTENT_FILTER_REASONS.has(raw)) return 'content-filter';
  if (raw === 'MALFORMED_FUNCTION_CALL' || raw === 'UNEXPECTED_TOOL_CALL' || raw === 'TOO_MANY_TOOL_CALLS') return 'error';
  return 'other';
}

/** A raw reason that came from Gemini wins when it still agrees with the IR reason. */
export function renderGeminiFinishReason(reason: FinishReason, raw?: string): string {
  if (raw !== undefined && GEMINI_REASONS.has(raw) && parseGeminiFinishReason(raw, reason === 'tool-calls') === reason) return raw;
  switch (reason) {
    case 'length':
      return 'MAX_TOKENS';
    case 'content-filter':
    case 'refusal':
      return 'SAFETY';
    case 'error':
    case 'other':
      return 'OTHER';
    default:
      return 'STOP';
  }
}
