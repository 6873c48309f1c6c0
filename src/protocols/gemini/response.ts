/**
 * Gemini `GenerateContentResponse` ⇄ IR response. Only the first candidate is read (the
 * gateway never asks for more). A prompt blocked before any candidate
 * (`promptFeedback.blockReason`) is an empty response that finished on `content-filter`.
 */
import type { ContentPart, IRRequest, IRResponse } from '../ir.ts';
import { isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';
import { createCallIdSource, isSyntheticCallId } from './call-ids.ts';
import { throwIfGeminiError } from './errors.ts';
import { parseGeminiFinishReason, renderGeminiFinishReason } from './finish-reason.ts';
import { parseGeminiParts, renderGeminiParts } from './parts.ts';
import type { GeminiCandidate, GeminiResponseBody } from './types.ts';
import { parseGeminiUsage, renderGeminiUsage } from './usage.ts';

export const UNKNOWN_RESPONSE_ID = 'gemini-response';

export function parseGeminiResponse(body: unknown): IRResponse {
  throwIfGeminiError(body);
  const wire = isRecord(body) ? body : {};
  const responseId = stringOrUndefined(wire['responseId']);
  const response: IRResponse = {
    id: responseId ?? UNKNOWN_RESPONSE_ID,
    model: stringOrUndefined(wire['modelVersion']) ?? '',
    content: [],
    finishReason: 'stop',
  };
  const candidates = Array.isArray(wire['candidates']) ? wire['candidates'] : [];
  const candidate = candidates.find(isRecord);
  if (candidate !== undefined) {
    const content = isRecord(candidate['content']) ? candidate['content'] : {};
    response.content = parseGeminiParts(content['parts'], createCallIdSource(responseId));
    const raw = stringOrUndefined(candidate['finishReason']);
    const hasToolCalls = response.content.some((part) => part.type === 'tool-call');
    if (raw !== undefined) {
      response.finishReason = parseGeminiFinishReason(raw, hasToolCalls);
      response.rawFinishReason = raw;
    } else if (hasToolCalls) response.finishReason = 'tool-calls';
  } else {
    const feedback = wire['promptFeedback'];
    const blockReason = isRecord(feedback) ? stringOrUndefined(feedback['blockReason']) : undefined;
    if (blockReason !== undefined) {
      response.finishReason = 'content-filter';
      response.rawFinishReason = blockReason;
    }
  }
  const usage = parseGeminiUsage(wire['usageMetadata']);
  if (usage !== undefined) response.usage = usage;
  return response;
}

/** Content parts of a response as Gemini parts; made-up call ids stay off the wire. */
export function renderResponseParts(content: ContentPart[]): GeminiCandidate['content']['parts'] {
  return renderGeminiParts(content, { keepCallId: (id) => !isSyntheticCallId(id) });
}

export function renderGeminiResponse(response: IRResponse, _request: IRRequest): Record<string, unknown> {
  const candidate: GeminiCandidate = {
    content: { role: 'model', parts: renderResponseParts(response.content) },
    finishReason: renderGeminiFinishReason(response.finishReason, response.rawFinishReason),
    index: 0,
  };
  const body: GeminiResponseBody = { candidates: [candidate] };
  if (response.usage !== undefined) body.usageMetadata = renderGeminiUsage(response.usage);
  if (response.model !== '') body.modelVersion = response.model;
  if (response.id !== UNKNOWN_RESPONSE_ID) body.responseId = response.id;
  return { ...body };
}
