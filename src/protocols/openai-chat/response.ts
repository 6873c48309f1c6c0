/**
 * OpenAI Chat Completions response ⇄ IR. Only the first choice is read: the IR holds one
 * answer, and clients asking for `n > 1` are served on the fast path. Reasoning arrives as
 * `reasoning_content` (DeepSeek, xAI), `reasoning` (Groq, OpenRouter) or Mistral thinking
 * parts, and becomes a thinking part without a signature.
 */
import { GatewayError } from '../../errors.ts';
import type { ContentPart, IRRequest, IRResponse } from '../ir.ts';
import { isRecord, numberOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import { parseOpenAIFinishReason, renderOpenAIFinishReason } from './map-openai-finish-reason.ts';
import { parseOpenAIContent } from './parse-openai-content.ts';
import { parseOpenAIUsage, renderOpenAIUsage } from './openai-usage.ts';
import type { OpenAIChatCompletion, OpenAIResponseMessage, OpenAIToolCall } from './types.ts';

export function parseOpenAIChatResponse(body: unknown): IRResponse {
  if (!isRecord(body) || !Array.isArray(body['choices'])) {
    throw new GatewayError(502, 'upstream_protocol_error', 'upstream chat completion has no choices array');
  }
  const choice = body['choices'].find((candidate) => isRecord(candidate) && (candidate['index'] ?? 0) === 0) ?? body['choices'][0];
  const message = isRecord(choice) && isRecord(choice['message']) ? choice['message'] : {};
  const rawFinishReason = isRecord(choice) ? stringOrUndefined(choice['finish_reason']) : undefined;
  const content = parseResponseContent(message);
  const response: IRResponse = {
    id: stringOrUndefined(body['id']) ?? '',
    model: stringOrUndefined(body['model']) ?? '',
    content,
    finishReason: rawFinishReason === undefined ? 'other' : parseOpenAIFinishReason(rawFinishReason, content.some((part) => part.type === 'text' && part.refusal === true)),
  };
  if (rawFinishReason !== undefined) response.rawFinishReason = rawFinishReason;
  const usage = parseOpenAIUsage(body['usage']);
  if (usage !== undefined) response.usage = usage;
  const created = numberOrUndefined(body['created']);
  if (created !== undefined) response.created = created;
  return response;
}

function parseResponseContent(message: Record<string, unknown>): ContentPart[] {
  const parts: ContentPart[] = [];
  const reasoning = stringOrUndefined(message['reasoning_content']) ?? stringOrUndefined(message['reasoning']);
  if (reasoning !== undefined && reasoning !== '') parts.push({ type: 'thinking', text: reasoning });
  parts.push(...parseOpenAIContent(message['content'], 'choices[0].message.content'));
  const refusal = stringOrUndefined(message['refusal']);
  if (refusal !== undefined && refusal !== '') parts.push({ type: 'text', text: refusal, refusal: true });
  const toolCalls = message['tool_calls'];
  if (Array.isArray(toolCalls)) {
    toolCalls.forEach((call, index) => {
      if (!isRecord(call) || !isRecord(call['function'])) return;
      const fn = call['function'];
      const args = fn['arguments'];
      parts.push({
        type: 'tool-call',
        id: stringOrUndefined(call['id']) ?? `call_${index}`,
        name: stringOrUndefined(fn['name']) ?? '',
        arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
      });
    });
  }
  return parts;
}

/**
 * IR → `chat.completion` body. Thinking (from any origin) is shown as `reasoning_content`;
 * its signature is not: signatures only ever go back to the format that made them.
 */
export function renderOpenAIChatResponse(response: IRResponse, request: IRRequest): Record<string, unknown> {
  const texts: string[] = [];
  const refusals: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: OpenAIToolCall[] = [];
  for (const part of response.content) {
    if (part.type === 'text') (part.refusal === true ? refusals : texts).push(part.text);
    else if (part.type === 'thinking') reasoning.push(part.text);
    else if (part.type === 'tool-call') toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments === '' ? '{}' : part.arguments } });
  }
  const message: OpenAIResponseMessage = {
    role: 'assistant',
    content: texts.length > 0 ? texts.join('') : null,
    refusal: refusals.length > 0 ? refusals.join('') : null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning.length > 0) message.reasoning_content = reasoning.join('');
  const completion: OpenAIChatCompletion = {
    id: response.id === '' ? 'chatcmpl-cliproxy' : response.id,
    object: 'chat.completion',
    // The server may stamp `created`; otherwise the render time is the honest answer.
    created: response.created ?? Math.floor(Date.now() / 1000),
    model: response.model === '' ? request.model : response.model,
    choices: [{ index: 0, message, finish_reason: renderOpenAIFinishReason(response.finishReason, refusals.length > 0), logprobs: null }],
  };
  if (response.usage !== undefined) completion.usage = renderOpenAIUsage(response.usage);
  return { ...completion };
}
