/**
 * Anthropic Messages response ⇄ IR.
 *
 * Rendering for an Anthropic client: thinking from any origin is shown as a thinking block,
 * but only an Anthropic signature is passed on; thinking from elsewhere gets an empty
 * signature, which the request parser reads as "none", so it is never sent upstream as if
 * Anthropic had signed it. Refusal text (OpenAI's `refusal`) becomes ordinary text.
 */
import { GatewayError } from '../../errors.ts';
import type { ContentPart, IRRequest, IRResponse } from '../ir.ts';
import { isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';
import { parseAnthropicUsage, renderAnthropicUsage } from './anthropic-usage.ts';
import { parseAnthropicStopReason, renderAnthropicStopReason } from './map-anthropic-stop-reason.ts';
import { parseAnthropicContent } from './parse-anthropic-content.ts';
import { renderAnthropicBlocks } from './render-anthropic-content.ts';
import type { AnthropicContentBlock, AnthropicMessageResponse } from './types.ts';

export function parseAnthropicResponse(body: unknown): IRResponse {
  if (!isRecord(body) || !Array.isArray(body['content'])) {
    throw new GatewayError(502, 'upstream_protocol_error', 'upstream message has no content array');
  }
  const rawStopReason = stringOrUndefined(body['stop_reason']);
  const response: IRResponse = {
    id: stringOrUndefined(body['id']) ?? '',
    model: stringOrUndefined(body['model']) ?? '',
    content: parseAnthropicContent(body['content'], 'content'),
    finishReason: rawStopReason === undefined ? 'other' : parseAnthropicStopReason(rawStopReason),
  };
  if (rawStopReason !== undefined) response.rawFinishReason = rawStopReason;
  const stopSequence = stringOrUndefined(body['stop_sequence']);
  if (stopSequence !== undefined) response.stopSequence = stopSequence;
  const usage = parseAnthropicUsage(body['usage']);
  if (usage !== undefined) response.usage = usage;
  return response;
}

export function renderAnthropicResponse(response: IRResponse, request: IRRequest): Record<string, unknown> {
  const message: AnthropicMessageResponse = {
    id: response.id === '' ? 'msg_cliproxy' : response.id,
    type: 'message',
    role: 'assistant',
    model: response.model === '' ? request.model : response.model,
    content: renderResponseBlocks(response.content),
    stop_reason: renderAnthropicStopReason(response.finishReason, response.stopSequence),
    stop_sequence: response.stopSequence ?? null,
    usage: renderAnthropicUsage(response.usage),
  };
  return { ...message };
}

function renderResponseBlocks(content: ContentPart[]): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const part of content) {
    if (part.type === 'thinking' && part.signature?.origin !== 'anthropic') {
      blocks.push({ type: 'thinking', thinking: part.text, signature: '' });
      continue;
    }
    if (part.type === 'tool-call' || part.type === 'text' || part.type === 'thinking' || part.type === 'redacted-thinking') {
      blocks.push(...renderAnthropicBlocks([part]));
    }
  }
  return blocks;
}
