/**
 * Responses request body ⇄ IR request.
 *
 * `instructions` is the IR system prompt; `system`/`developer` input messages (Codex sends
 * its prompt as two developer messages) stay messages, in place. Consecutive assistant-side
 * items (reasoning, message, function_call) form one IR assistant message, which is how every
 * other format groups a turn; a `function_call_output` is an IR tool message.
 *
 * Normalisations a same-format round trip does make: string `input` and string message
 * `content` become the typed array forms, and item ids of messages and function calls (which
 * the API does not need) are not kept; reasoning item ids are.
 *
 * Server-state fields (`store`, `previous_response_id`, `include`, `prompt_cache_key`,
 * `truncation`, …) are left in `extra` and go back only to a Responses upstream; going to
 * the Responses API from another format, the gateway sends `store: false` (it keeps no
 * state upstream) and, when reasoning is on, asks for `reasoning.encrypted_content` so that
 * reasoning can be handed back next turn.
 */
import { GatewayError } from '../../errors.ts';
import type { RequestContext } from '../adapter.ts';
import type { ContentPart, IRRequest, Message, ReasoningConfig, ResponseFormat, Role } from '../ir.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import { parseOpenAIReasoningEffort, renderOpenAIReasoningEffort } from '../openai-chat/openai-reasoning.ts';
import { booleanOrUndefined, isRecord, numberOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { customInput } from './custom-tools.ts';
import { parseAssistantItem, parseMessageContent, parseToolOutput, renderMessageContent, renderReasoningItem, renderToolOutput } from './items.ts';
import { createNameSplitter } from './namespace.ts';
import { parseResponsesToolChoice, parseResponsesTools, renderResponsesToolChoice, renderResponsesTools } from './tools.ts';
import type { ResponsesIRRequest, ResponsesSourceHints, ResponsesThinkingPart } from './types.ts';

const KNOWN_TOP_LEVEL = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'max_output_tokens',
  'temperature',
  'top_p',
  'parallel_tool_calls',
  'user',
  'metadata',
  'reasoning',
  'text',
  'stream',
]);
const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer']);

function parseInput(input: unknown): Message[] {
  if (typeof input === 'string') return [{ role: 'user', content: [{ type: 'text', text: input }] }];
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw invalidRequest('input', 'must be a string or an array of items');
  const messages: Message[] = [];
  const callNames = new Map<string, string>();
  const assistantParts = (): ContentPart[] => {
    const last = messages[messages.length - 1];
    if (last !== undefined && last.role === 'assistant') return last.content;
    const message: Message = { role: 'assistant', content: [] };
    messages.push(message);
    return message.content;
  };
  input.forEach((item, index) => {
    const path = `input[${index}]`;
    if (!isRecord(item)) throw invalidRequest(path, 'must be an object');
    const type = item['type'] ?? (item['role'] !== undefined ? 'message' : undefined);
    if (type === 'message') {
      const role = item['role'];
      if (typeof role !== 'string' || !MESSAGE_ROLES.has(role)) throw invalidRequest(`${path}.role`, 'must be one of user, assistant, system, developer');
      if (role === 'assistant') {
        parseAssistantItem({ ...item, type: 'message' }, assistantParts());
        return;
      }
      messages.push({ role: role as Role, content: parseMessageContent(item['content']) });
      return;
    }
    if (type === 'function_call' || type === 'custom_tool_call' || type === 'reasoning') {
      const parts = assistantParts();
      parseAssistantItem(item, parts);
      const last = parts[parts.length - 1];
      if (last?.type === 'tool-call') callNames.set(last.id, last.name);
      return;
    }
    if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      const callId = stringOrUndefined(item['call_id']);
      if (callId === undefined) throw invalidRequest(`${path}.call_id`, 'is required');
      const name = callNames.get(callId);
      messages.push({
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: callId, ...(name === undefined ? {} : { name }), content: parseToolOutput(item['output']) }],
      });
    }
    // item_reference, web_search_call, …: server-side or hosted items the IR cannot hold.
  });
  return messages.filter((message) => message.content.length > 0);
}

function parseTextFormat(text: JsonRecord, hints: ResponsesSourceHints): ResponseFormat | undefined {
  const { format, ...rest } = text;
  if (Object.keys(rest).length > 0) hints.textExtra = rest;
  if (!isRecord(format)) return undefined;
  if (format['type'] === 'text') return { type: 'text' };
  if (format['type'] === 'json_object') return { type: 'json-object' };
  if (format['type'] === 'json_schema') {
    const schema = isRecord(format['schema']) ? format['schema'] : {};
    const parsed: ResponseFormat = { type: 'json-schema', schema };
    const name = stringOrUndefined(format['name']);
    if (name !== undefined) parsed.name = name;
    const strict = booleanOrUndefined(format['strict']);
    if (strict !== undefined) parsed.strict = strict;
    const description = stringOrUndefined(format['description']);
    if (description !== undefined) parsed.description = description;
    return parsed;
  }
  return undefined;
}

function parseReasoning(value: JsonRecord, hints: ResponsesSourceHints): ReasoningConfig | undefined {
  const { effort, summary, ...rest } = value;
  if (Object.keys(rest).length > 0) hints.reasoningExtra = rest;
  const reasoning: ReasoningConfig = { ...parseOpenAIReasoningEffort(effort) };
  if (typeof summary === 'string') {
    reasoning.summary = summary;
    // Asking for a summary is asking to see the thinking, which is what other targets understand.
    if (summary !== 'none') reasoning.includeThoughts = true;
  }
  return Object.keys(reasoning).length === 0 ? undefined : reasoning;
}

/**
 * @example
 * parseResponsesRequest({ model: 'gpt-5', input: 'hi', instructions: 'be brief', stream: true });
 */
export function parseResponsesRequest(body: unknown, context: RequestContext = {}): ResponsesIRRequest {
  if (!isRecord(body)) throw invalidRequest('body', 'must be a JSON object');
  const model = stringOrUndefined(body['model']) ?? context.model;
  if (model === undefined || model === '') throw new GatewayError(400, 'missing_model', 'model: is required', { param: 'model' });
  const hints: ResponsesSourceHints = {};
  const request: ResponsesIRRequest = {
    model,
    system: [],
    messages: parseInput(body['input']),
    tools: parseResponsesTools(body['tools'], hints),
    stream: booleanOrUndefined(body['stream']) ?? context.stream ?? false,
    extra: {},
    sourceFormat: 'openai-responses',
  };
  const instructions = body['instructions'];
  if (typeof instructions === 'string') {
    if (instructions !== '') request.system = [{ type: 'text', text: instructions }];
  } else if (instructions !== undefined && instructions !== null) request.extra['instructions'] = instructions;

  if (body['tool_choice'] !== undefined) {
    const choice = parseResponsesToolChoice(body['tool_choice'], hints);
    if (choice !== undefined) request.toolChoice = choice;
  }
  const maxTokens = numberOrUndefined(body['max_output_tokens']);
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const temperature = numberOrUndefined(body['temperature']);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = numberOrUndefined(body['top_p']);
  if (topP !== undefined) request.topP = topP;
  const parallel = booleanOrUndefined(body['parallel_tool_calls']);
  if (parallel !== undefined) request.parallelToolCalls = parallel;
  const user = stringOrUndefined(body['user']);
  if (user !== undefined) request.user = user;
  if (isRecord(body['metadata'])) request.metadata = body['metadata'];
  if (isRecord(body['reasoning'])) {
    const reasoning = parseReasoning(body['reasoning'], hints);
    if (reasoning !== undefined) request.reasoning = reasoning;
  }
  if (isRecord(body['text'])) {
    const format = parseTextFormat(body['text'], hints);
    if (format !== undefined) request.responseFormat = format;
  }
  for (const [key, value] of Object.entries(body)) {
    if (!KNOWN_TOP_LEVEL.has(key)) request.extra[key] = value;
  }
  request.openaiResponses = hints;
  return request;
}

function renderInput(request: ResponsesIRRequest, hints: ResponsesSourceHints | undefined): JsonRecord[] {
  const sameFormat = hints !== undefined;
  const split = createNameSplitter(hints?.namespaces);
  const customCalls = new Set<string>();
  const items: JsonRecord[] = [];
  for (const message of request.messages) {
    let pending: ContentPart[] = [];
    const flush = (): void => {
      if (pending.length === 0) return;
      const content = renderMessageContent(pending, message.role);
      if (content.length > 0) items.push({ type: 'message', role: message.role === 'tool' ? 'user' : message.role, content });
      pending = [];
    };
    for (const part of message.content) {
      if (part.type === 'tool-call' && hints?.customTools?.[part.name] !== undefined) {
        flush();
        customCalls.add(part.id);
        items.push({ type: 'custom_tool_call', call_id: part.id, name: part.name, input: customInput(part.arguments) });
      } else if (part.type === 'tool-call') {
        flush();
        const name = split(part.name);
        const call: JsonRecord = { type: 'function_call', call_id: part.id, name: name.name, arguments: part.arguments };
        if (name.namespace !== undefined) call['namespace'] = name.namespace;
        items.push(call);
      } else if (part.type === 'tool-result') {
        flush();
        const type = customCalls.has(part.toolCallId) ? 'custom_tool_call_output' : 'function_call_output';
        items.push({ type, call_id: part.toolCallId, output: renderToolOutput(part.content) });
      } else if (part.type === 'thinking') {
        const thinking: ResponsesThinkingPart = part;
        // Reasoning goes back only when OpenAI made it (its encrypted content, or its id).
        const itemId = sameFormat ? thinking.responsesItemId : undefined;
        if (thinking.signature?.origin !== 'openai-responses' && itemId === undefined) continue;
        flush();
        const { id: _id, ...item } = renderReasoningItem(thinking, '');
        items.push(itemId === undefined ? item : { ...item, id: itemId });
      } else if (part.type !== 'redacted-thinking') pending.push(part);
    }
    flush();
  }
  return items;
}

function renderTextFormat(format: ResponseFormat): JsonRecord {
  if (format.type === 'text') return { type: 'text' };
  if (format.type === 'json-object') return { type: 'json_object' };
  const rendered: JsonRecord = { type: 'json_schema', name: format.name ?? 'response', schema: format.schema };
  if (format.strict !== undefined) rendered['strict'] = format.strict;
  if (format.description !== undefined) rendered['description'] = format.description;
  return rendered;
}

export function renderResponsesRequest(input: IRRequest): Record<string, unknown> {
  const request: ResponsesIRRequest = input;
  const sameFormat = request.sourceFormat === 'openai-responses';
  const hints = sameFormat ? (request.openaiResponses ?? {}) : undefined;
  const body: JsonRecord = { model: request.model };
  if (request.system.length > 0) body['instructions'] = request.system.map((part) => part.text).join('\n\n');
  body['input'] = renderInput(request, hints);
  const tools = renderResponsesTools(request.tools, hints);
  if (tools.length > 0) body['tools'] = tools;
  if (request.toolChoice !== undefined) body['tool_choice'] = renderResponsesToolChoice(request.toolChoice, hints);
  if (request.parallelToolCalls !== undefined) body['parallel_tool_calls'] = request.parallelToolCalls;
  if (request.maxTokens !== undefined) body['max_output_tokens'] = request.maxTokens;
  if (request.temperature !== undefined) body['temperature'] = request.temperature;
  if (request.topP !== undefined) body['top_p'] = request.topP;
  if (request.user !== undefined) body['user'] = request.user;
  if (request.metadata !== undefined && Object.values(request.metadata).every((value) => typeof value === 'string')) body['metadata'] = request.metadata;

  const reasoning: JsonRecord = { ...hints?.reasoningExtra };
  const wantsReasoning = sameFormat || sendsReasoning(request);
  const effort = wantsReasoning ? renderOpenAIReasoningEffort(request.reasoning, sameFormat) : undefined;
  if (effort !== undefined) reasoning['effort'] = effort;
  const summary = request.reasoning?.summary ?? (wantsReasoning && request.reasoning?.includeThoughts === true ? 'auto' : undefined);
  if (summary !== undefined) reasoning['summary'] = summary;
  if (Object.keys(reasoning).length > 0) body['reasoning'] = reasoning;

  const text: JsonRecord = { ...hints?.textExtra };
  if (request.responseFormat !== undefined) text['format'] = renderTextFormat(request.responseFormat);
  if (Object.keys(text).length > 0) body['text'] = text;

  if (request.stream) body['stream'] = true;
  if (sameFormat) Object.assign(body, request.extra);
  else {
    body['store'] = false;
    if (body['reasoning'] !== undefined) body['include'] = ['reasoning.encrypted_content'];
  }
  return body;
}

/**
 * Whether a request from another format gets `reasoning` (and encrypted reasoning back). Non-
 * reasoning models (gpt-4.1, …) answer 400 to both, and some clients ask for thoughts on every
 * request (Gemini CLI's includeThoughts): only an explicit effort or budget, or a model named
 * like a reasoning model, turns it on.
 */
function sendsReasoning(request: IRRequest): boolean {
  const reasoning = request.reasoning;
  if (reasoning === undefined || reasoning.disabled === true) return false;
  if (reasoning.effort !== undefined || reasoning.budgetTokens !== undefined) return true;
  return /^(o\d|gpt-5|codex)/i.test(request.model.replace(/^.*\//, ''));
}
