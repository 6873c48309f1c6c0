/**
 * Responses response object ⇄ IR response.
 *
 * Rendering needs the client's request: namespaced tool names are split back for the
 * namespaces it declared, and the response echoes its settings (model, tools, tool_choice,
 * temperature, …) the way OpenAI does. Item ids are derived from the response id
 * (`msg_…`, `rs_…`, `fc_…`), so a response renders the same way twice. `created_at` comes
 * from `IRResponse.created` (the server sets it; protocols read no clock).
 */
import { GatewayError } from '../../errors.ts';
import type { ContentPart, IRRequest, IRResponse } from '../ir.ts';
import { isRecord, numberOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { readResponsesError } from './errors.ts';
import { outputIds, parseAssistantItem, renderOutputItems } from './items.ts';
import { createNameSplitter } from './namespace.ts';
import { renderResponsesRequest } from './request.ts';
import { parseResponsesStatus, renderResponsesStatus } from './status.ts';
import type { ResponsesIRRequest, ResponsesOutputItem } from './types.ts';
import { parseResponsesUsage, renderResponsesUsage } from './usage.ts';

export function parseResponsesResponse(body: unknown): IRResponse {
  if (!isRecord(body)) throw new GatewayError(502, 'upstream_protocol_error', 'Responses upstream answered with a body that is not an object');
  const status = stringOrUndefined(body['status']);
  if ((body['output'] === undefined && isRecord(body['error'])) || status === 'failed') {
    const error = readResponsesError(isRecord(body['error']) ? { error: body['error'] } : body);
    throw new GatewayError(error.status ?? 502, 'upstream_error', error.message, { details: error.code === undefined ? undefined : { upstreamCode: error.code } });
  }
  const content: ContentPart[] = [];
  const output = Array.isArray(body['output']) ? body['output'] : [];
  for (const item of output) {
    if (isRecord(item)) parseAssistantItem(item, content);
  }
  const incomplete = isRecord(body['incomplete_details']) ? stringOrUndefined(body['incomplete_details']['reason']) : undefined;
  const response: IRResponse = {
    id: stringOrUndefined(body['id']) ?? '',
    model: stringOrUndefined(body['model']) ?? '',
    content,
    finishReason: parseResponsesStatus(status, incomplete, content.some((part) => part.type === 'tool-call')),
  };
  if (incomplete !== undefined) response.rawFinishReason = incomplete;
  const created = numberOrUndefined(body['created_at']);
  if (created !== undefined) response.created = created;
  const usage = parseResponsesUsage(body['usage']);
  if (usage !== undefined) response.usage = usage;
  return response;
}

/** The request settings a response object echoes, taken from the client's own request. */
export function echoRequestFields(request: IRRequest): JsonRecord {
  const rendered = renderResponsesRequest(request);
  const echo: JsonRecord = {
    instructions: rendered['instructions'] ?? null,
    max_output_tokens: rendered['max_output_tokens'] ?? null,
    parallel_tool_calls: rendered['parallel_tool_calls'] ?? true,
    previous_response_id: rendered['previous_response_id'] ?? null,
    reasoning: rendered['reasoning'] ?? { effort: null, summary: null },
    store: rendered['store'] ?? false,
    temperature: rendered['temperature'] ?? 1,
    text: rendered['text'] ?? { format: { type: 'text' } },
    tool_choice: rendered['tool_choice'] ?? 'auto',
    tools: rendered['tools'] ?? [],
    top_p: rendered['top_p'] ?? 1,
    truncation: rendered['truncation'] ?? 'disabled',
    user: rendered['user'] ?? null,
    metadata: rendered['metadata'] ?? {},
  };
  return echo;
}

export function renderOutputFor(response: IRResponse, request: IRRequest): ResponsesOutputItem[] {
  const hints = (request as ResponsesIRRequest).openaiResponses;
  const sameFormat = request.sourceFormat === 'openai-responses';
  const split = createNameSplitter(sameFormat ? hints?.namespaces : undefined);
  const custom = sameFormat ? hints?.customTools : undefined;
  return renderOutputItems(response.content, outputIds(response.id), split, (name) => custom?.[name] !== undefined);
}

export function renderResponsesResponse(response: IRResponse, request: IRRequest): Record<string, unknown> {
  const status = renderResponsesStatus(response.finishReason);
  const body: JsonRecord = {
    id: response.id,
    object: 'response',
    created_at: response.created ?? 0,
    status: status.status,
    error: status.status === 'failed' ? { code: 'server_error', message: 'the upstream failed to complete the response' } : null,
    incomplete_details: status.incompleteDetails,
    model: response.model === '' ? request.model : response.model,
    output: renderOutputFor(response, request),
    ...echoRequestFields(request),
    usage: response.usage === undefined ? null : renderResponsesUsage(response.usage),
  };
  return body;
}
