/**
 * Anthropic `stop_reason` ⇄ IR finish reason. Anthropic has no content-filter reason of its
 * own; the nearest, `refusal`, is what a filtered answer from elsewhere becomes.
 */
import type { FinishReason } from '../ir.ts';

export function parseAnthropicStopReason(raw: string): FinishReason {
  switch (raw) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'pause_turn':
      return 'pause';
    case 'refusal':
      return 'refusal';
    default:
      return 'other';
  }
}

/** `stopSequence` set means the stop was a stop sequence, which Anthropic names apart from end_turn. */
export function renderAnthropicStopReason(reason: FinishReason, stopSequence?: string): string {
  switch (reason) {
    case 'stop':
      return stopSequence === undefined ? 'end_turn' : 'stop_sequence';
    case 'length':
      return 'max_tokens';
    case 'tool-calls':
      return 'tool_use';
    case 'pause':
      return 'pause_turn';
    case 'refusal':
    case 'content-filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
