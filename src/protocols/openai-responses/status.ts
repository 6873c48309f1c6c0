/**
 * Responses `status` + `incomplete_details.reason` ⇄ IR finish reason. The Responses API has
 * no "tool calls" status: a completed response holding function calls finishes as
 * `tool-calls` in the IR. Going out, length and content filtering are `incomplete`.
 */
import type { FinishReason } from '../ir.ts';

export function parseResponsesStatus(status: string | undefined, incompleteReason: string | undefined, hasToolCalls: boolean): FinishReason {
  if (status === 'incomplete') {
    if (incompleteReason === 'max_output_tokens') return 'length';
    if (incompleteReason === 'content_filter') return 'content-filter';
    return 'other';
  }
  if (status === 'failed') return 'error';
  if (status === 'completed' || status === undefined) return hasToolCalls ? 'tool-calls' : 'stop';
  return 'other';
}

export interface RenderedStatus {
  status: 'completed' | 'incomplete' | 'failed';
  incompleteDetails: { reason: string } | null;
}

export function renderResponsesStatus(reason: FinishReason): RenderedStatus {
  if (reason === 'length') return { status: 'incomplete', incompleteDetails: { reason: 'max_output_tokens' } };
  if (reason === 'content-filter') return { status: 'incomplete', incompleteDetails: { reason: 'content_filter' } };
  if (reason === 'error') return { status: 'failed', incompleteDetails: null };
  return { status: 'completed', incompleteDetails: null };
}
