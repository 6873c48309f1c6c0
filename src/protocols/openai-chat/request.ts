/**
 * OpenAI Chat Completions request ⇄ IR.
 *
 * Unknown top-level fields (`n`, `logprobs`, `store`, `prediction`, OpenRouter's `reasoning`,
 * …) are kept in `extra` and put back only when rendering to OpenAI Chat again. Fields that
 * are OpenAI-compatible extensions rather than OpenAI's own (`top_k`) are read into the IR
 * but rendered only for a client that sent them: OpenAI itself rejects unknown arguments.
 */
import type { RequestContext } from '../adapter.ts';
import type { IRRequest } from '../ir.ts';
import { booleanOrUndefined, isRecord, numberOrUndefined, pickUnknownFields, stringOrUndefined } from '../shared/json-value-guards.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import { parseOpenAIMessages } from './parse-openai-messages.ts';
import { renderOpenAIMessages } from './render-openai-messages.ts';
import { parseOpenAIReasoningEffort, renderOpenAIReasoningEffort } from './openai-reasoning.ts';
import { parseOpenAIResponseFormat, renderOpenAIResponseFormat } from './openai-response-format.ts';
import { parseOpenAITools, parseOpenAIToolChoice, renderOpenAITool, renderOpenAIToolChoice } from './openai-tools.ts';
import type { OpenAIChatIRRequest, OpenAIChatSourceHints } from './types.ts';

const MAX_OPENAI_USER_LENGTH = 64;

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model', 'messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_tokens', 'max_completion_tokens',
  'temperature', 'top_p', 'top_k', 'stop', 'presence_penalty', 'frequency_penalty', 'seed', 'stream',
  'stream_options', 'reasoning_effort', 'response_format', 'user', 'metadata',
]);

/**
 * @example
 * parseOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }).messages[0];
 * // { role: 'user', content: [{ type: 'text', text: 'Hi' }] }
 */
export function parseOpenAIChatRequest(body: unknown, context?: RequestContext): OpenAIChatIRRequest {
  if (!isRecord(body)) throw invalidRequest('body', 'must be a JSON object');
  const model = context?.model ?? body['model'];
  if (typeof model !== 'string' || model === '') throw invalidRequest('model', 'is required');
  const wireMessages = body['messages'];
  if (!Array.isArray(wireMessages)) throw invalidRequest('messages', 'is required and must be an array');
  const { system, messages, systemMessages } = parseOpenAIMessages(wireMessages);
  const extra = pickUnknownFields(body, KNOWN_FIELDS);
  const hints: OpenAIChatSourceHints = { systemMessages };

  const request: OpenAIChatIRRequest = {
    model,
    system,
    messages,
    tools: parseOpenAITools(body['tools']),
    stream: context?.stream ?? body['stream'] === true,
    extra,
    sourceFormat: 'openai-chat',
    openaiChat: hints,
  };
  const toolChoice = parseOpenAIToolChoice(body['tool_choice']);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  else if (body['tool_choice'] !== undefined) extra['tool_choice'] = body['tool_choice'];
  const parallel = booleanOrUndefined(body['parallel_tool_calls']);
  if (parallel !== undefined) request.parallelToolCalls = parallel;

  const maxCompletionTokens = numberOrUndefined(body['max_completion_tokens']);
  const maxTokens = maxCompletionTokens ?? numberOrUndefined(body['max_tokens']);
  if (maxTokens !== undefined) {
    request.maxTokens = maxTokens;
    hints.maxTokensField = maxCompletionTokens === undefined ? 'max_tokens' : 'max_completion_tokens';
  }
  assignNumber(request, 'temperature', body['temperature']);
  assignNumber(request, 'topP', body['top_p']);
  assignNumber(request, 'topK', body['top_k']);
  assignNumber(request, 'presencePenalty', body['presence_penalty']);
  assignNumber(request, 'frequencyPenalty', body['frequency_penalty']);
  assignNumber(request, 'seed', body['seed']);
  const stop = body['stop'];
  if (typeof stop === 'string') request.stop = [stop];
  else if (Array.isArray(stop)) request.stop = stop.filter((item): item is string => typeof item === 'string');

  const streamOptions = body['stream_options'];
  if (isRecord(streamOptions)) {
    if (streamOptions['include_usage'] === true) request.includeUsage = true;
    const rest = pickUnknownFields(streamOptions, new Set(['include_usage']));
    if (Object.keys(rest).length > 0) hints.streamOptionsExtra = rest;
  }
  const reasoning = parseOpenAIReasoningEffort(body['reasoning_effort']);
  if (reasoning !== undefined) request.reasoning = reasoning;
  else if (body['reasoning_effort'] !== undefined) extra['reasoning_effort'] = body['reasoning_effort'];
  const responseFormat = parseOpenAIResponseFormat(body['response_format']);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  const user = stringOrUndefined(body['user']);
  if (user !== undefined) request.user = user;
  if (isRecord(body['metadata'])) request.metadata = body['metadata'];
  return request;
}

type NumericField = 'temperature' | 'topP' | 'topK' | 'presencePenalty' | 'frequencyPenalty' | 'seed';

function assignNumber(request: IRRequest, field: NumericField, value: unknown): void {
  const number = numberOrUndefined(value);
  if (number !== undefined) request[field] = number;
}

/**
 * IR → OpenAI Chat Completions body. The token limit goes out as `max_tokens`, which every
 * OpenAI-compatible provider reads, unless the client itself used `max_completion_tokens`
 * (providers that need the newer name for reasoning models say so in their descriptor).
 */
export function renderOpenAIChatRequest(request: IRRequest): Record<string, unknown> {
  const sameFormat = request.sourceFormat === 'openai-chat';
  const hints = sameFormat ? (request as OpenAIChatIRRequest).openaiChat : undefined;
  const body: Record<string, unknown> = sameFormat ? { ...request.extra } : {};
  body['model'] = request.model;
  body['messages'] = renderOpenAIMessages(request.system, request.messages, { sameFormat, hints });
  const tools = request.tools.filter((tool) => sameFormat || !isServerTool(tool.extra));
  if (tools.length > 0) {
    body['tools'] = tools.map((tool) => renderOpenAITool(tool, sameFormat));
    // OpenAI rejects tool_choice and parallel_tool_calls when no tools are declared.
    if (request.toolChoice !== undefined) body['tool_choice'] = renderOpenAIToolChoice(request.toolChoice);
    if (request.parallelToolCalls !== undefined) body['parallel_tool_calls'] = request.parallelToolCalls;
  }
  if (request.maxTokens !== undefined) body[hints?.maxTokensField ?? 'max_tokens'] = request.maxTokens;
  if (request.temperature !== undefined) body['temperature'] = request.temperature;
  if (request.topP !== undefined) body['top_p'] = request.topP;
  if (request.topK !== undefined && sameFormat) body['top_k'] = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) body['stop'] = request.stop;
  if (request.presencePenalty !== undefined) body['presence_penalty'] = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body['frequency_penalty'] = request.frequencyPenalty;
  if (request.seed !== undefined) body['seed'] = request.seed;
  body['stream'] = request.stream;
  // Clients of other formats always get usage at the end of a stream (Anthropic's
  // message_delta carries it), so the upstream is asked for it whatever the client said.
  const wantUsage = request.includeUsage === true || !sameFormat;
  if (request.stream && (wantUsage || hints?.streamOptionsExtra !== undefined)) {
    body['stream_options'] = { ...hints?.streamOptionsExtra, ...(wantUsage ? { include_usage: true } : {}) };
  }
  const effort = renderOpenAIReasoningEffort(request.reasoning, sameFormat);
  if (effort !== undefined) body['reasoning_effort'] = effort;
  if (request.responseFormat !== undefined) body['response_format'] = renderOpenAIResponseFormat(request.responseFormat);
  // OpenAI rejects a `user` longer than 64 characters; Claude Code's metadata.user_id is a long
  // JSON string, so another format's long id is left out rather than failing the request.
  if (request.user !== undefined && (sameFormat || request.user.length <= MAX_OPENAI_USER_LENGTH)) body['user'] = request.user;
  if (request.metadata !== undefined && sameFormat) body['metadata'] = request.metadata;
  return body;
}

/** Anthropic server tools (web_search, bash, …) carry their own `type`; OpenAI cannot run them. */
function isServerTool(extra: Record<string, unknown> | undefined): boolean {
  const type = extra?.['type'];
  return typeof type === 'string' && type !== 'custom' && type !== 'function';
}
