/**
 * OpenAI `finish_reason` ⇄ IR finish reason. OpenAI ends a refusal with `stop` and puts the
 * text in `refusal`: read in, that is the IR `refusal` (Anthropic's `stop_reason: refusal`).
 * Going out, a refusal that carries refusal text ends with `stop` again; one without any
 * (Anthropic's classifiers stopping the answer) is closest to `content_filter`. A paused
 * turn has no OpenAI form and ends as `stop`.
 */
import type { FinishReason } from '../ir.ts';

export function parseOpenAIFinishReason(raw: string, sawRefusal = false): FinishReason {
  switch (raw) {
    case 'stop':
      return sawRefusal ? 'refusal' : 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    case 'error':
      // OpenRouter ends a stream that failed midway with finish_reason "error".
      return 'error';
    default:
      return 'other';
  }
}

export function renderOpenAIFinishReason(reason: FinishReason, hasRefusalText = false): string {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
      return 'content_filter';
    case 'refusal':
      return hasRefusalText ? 'stop' : 'content_filter';
    default:
      return 'stop';
  }
}
