/**
 * Anthropic Messages request ⇄ IR.
 *
 * Unknown top-level fields (`context_management`, `service_tier`, `container`, `mcp_servers`,
 * …) are kept in `extra` and put back only when rendering to Anthropic again. Rendering for
 * Anthropic enforces what its API demands of every request:
 * - `max_tokens` is required: DEFAULT_ANTHROPIC_MAX_TOKENS (4096) when the client gave none,
 *   and with thinking on it must exceed the thinking budget (the budget is added on top).
 * - With thinking on, `temperature` (other than 1) and `top_k` are not allowed, `top_p` only from 0.95;
 *   forced tool use is not allowed either, and a final assistant tool-use turn must start
 *   with its signed thinking block. When a cross-format request breaks one of those two, the
 *   explicit instruction wins and thinking is left off.
 * - Temperature is clamped to Anthropic's range, 0..1 (OpenAI's goes to 2).
 * - Anthropic has no JSON mode for every model: a json_object / json_schema response format
 *   from another format is rendered as an instruction appended to the system prompt (an
 *   Anthropic client's own `output_config.format` goes back as it came).
 */
import type { RequestContext } from '../adapter.ts';
import type { IRRequest, Message, ResponseFormat, TextPart } from '../ir.ts';
import { isRecord, numberOrUndefined, pickUnknownFields, stringOrUndefined } from '../shared/json-value-guards.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import { parseAnthropicMessages, renderAnthropicMessages } from './anthropic-messages.ts';
import { parseAnthropicReasoning, renderAnthropicThinking } from './anthropic-thinking.ts';
import { parseAnthropicToolChoice, parseAnthropicTools, renderAnthropicToolChoice, renderAnthropicTools } from './anthropic-tools.ts';
import { parseAnthropicContent } from './parse-anthropic-content.ts';
import { renderTextBlock } from './render-anthropic-content.ts';
import type { AnthropicIRRequest, AnthropicSourceHints, AnthropicTextBlock } from './types.ts';

/** Sent when the client named no max_tokens (an OpenAI or Gemini client usually does not). */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model', 'messages', 'system', 'max_tokens', 'metadata', 'stop_sequences', 'stream', 'temperature',
  'top_p', 'top_k', 'tools', 'tool_choice', 'thinking', 'output_config',
]);

/**
 * @example
 * parseAnthropicRequest({ model: 'claude-sonnet-4-5', max_tokens: 1024, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] }).system;
 * // [{ type: 'text', text: 'Be brief.' }]
 */
export function parseAnthropicRequest(body: unknown, context?: RequestContext): AnthropicIRRequest {
  if (!isRecord(body)) throw invalidRequest('body', 'must be a JSON object');
  const model = context?.model ?? body['model'];
  if (typeof model !== 'string' || model === '') throw invalidRequest('model', 'is required');
  const wireMessages = body['messages'];
  if (!Array.isArray(wireMessages)) throw invalidRequest('messages', 'is required and must be an array');
  const hints: AnthropicSourceHints = {};
  const system = parseSystem(body['system'], hints);
  const { messages, foldedSystem } = parseAnthropicMessages(wireMessages);
  system.push(...foldedSystem);

  const request: AnthropicIRRequest = {
    model,
    system,
    messages,
    tools: parseAnthropicTools(body['tools']),
    stream: context?.stream ?? body['stream'] === true,
    extra: pickUnknownFields(body, KNOWN_FIELDS),
    sourceFormat: 'anthropic',
    anthropic: hints,
  };
  const { toolChoice, parallelToolCalls } = parseAnthropicToolChoice(body['tool_choice']);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (parallelToolCalls !== undefined) request.parallelToolCalls = parallelToolCalls;
  const maxTokens = numberOrUndefined(body['max_tokens']);
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const temperature = numberOrUndefined(body['temperature']);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = numberOrUndefined(body['top_p']);
  if (topP !== undefined) request.topP = topP;
  const topK = numberOrUndefined(body['top_k']);
  if (topK !== undefined) request.topK = topK;
  const stop = body['stop_sequences'];
  if (Array.isArray(stop)) request.stop = stop.filter((item): item is string => typeof item === 'string');
  const reasoning = parseAnthropicReasoning(body['thinking'], body['output_config'], hints);
  if (reasoning !== undefined) request.reasoning = reasoning;
  const responseFormat = parseOutputFormat(body['output_config']);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  const metadata = body['metadata'];
  if (isRecord(metadata)) {
    const userId = stringOrUndefined(metadata['user_id']);
    if (userId !== undefined) request.user = userId;
    const rest = pickUnknownFields(metadata, new Set(['user_id']));
    if (Object.keys(rest).length > 0) request.metadata = rest;
  }
  return request;
}

/** Structured outputs (`output_config.format`) are what other formats call a JSON schema response format. */
function parseOutputFormat(outputConfig: unknown): ResponseFormat | undefined {
  const format = isRecord(outputConfig) ? outputConfig['format'] : undefined;
  if (!isRecord(format) || format['type'] !== 'json_schema' || !isRecord(format['schema'])) return undefined;
  return { type: 'json-schema', schema: format['schema'] };
}

function parseSystem(system: unknown, hints: AnthropicSourceHints): TextPart[] {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') hints.systemIsString = true;
  return parseAnthropicContent(system, 'system').filter((part): part is TextPart => part.type === 'text');
}

export function renderAnthropicRequest(request: IRRequest): Record<string, unknown> {
  const sameFormat = request.sourceFormat === 'anthropic';
  const hints = sameFormat ? ((request as AnthropicIRRequest).anthropic ?? {}) : undefined;
  const body: Record<string, unknown> = sameFormat ? { ...request.extra } : {};
  const { messages, foldedSystem } = renderAnthropicMessages(request.messages, !sameFormat);
  body['model'] = request.model;
  body['messages'] = messages;
  // A client's own output_config.format goes back natively (below), not as an instruction.
  const nativeFormat = hints?.outputConfigExtra?.['format'] !== undefined;
  const system = renderSystem([...request.system, ...foldedSystem], nativeFormat ? undefined : request.responseFormat, hints);
  if (system !== undefined) body['system'] = system;

  const tools = renderAnthropicTools(request.tools, sameFormat);
  if (tools.length > 0) {
    body['tools'] = tools;
    const toolChoice = renderAnthropicToolChoice(request.toolChoice, request.parallelToolCalls);
    if (toolChoice !== undefined) body['tool_choice'] = toolChoice;
  }

  const forcedTool = request.toolChoice?.type === 'required' || request.toolChoice?.type === 'tool';
  const thinkingAllowed = sameFormat || (!forcedTool && !lastToolTurnLacksSignedThinking(request.messages));
  const { thinking, budget } = thinkingAllowed ? renderAnthropicThinking(request.reasoning, hints) : {};
  const thinkingOn = thinking !== undefined && thinking['type'] !== 'disabled';
  if (thinking !== undefined) body['thinking'] = thinking;

  let maxTokens = request.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS;
  if (budget !== undefined && maxTokens <= budget) maxTokens += budget;
  body['max_tokens'] = maxTokens;

  // 1, the default, is the one temperature the API accepts alongside thinking (Claude Code sends it).
  if (request.temperature !== undefined && (!thinkingOn || request.temperature === 1)) body['temperature'] = Math.min(Math.max(request.temperature, 0), 1);
  // Newer Claude models take temperature or top_p, not both: another format's top_p yields.
  const topPYields = !sameFormat && body['temperature'] !== undefined;
  if (request.topP !== undefined && (!thinkingOn || request.topP >= 0.95) && !topPYields) body['top_p'] = request.topP;
  if (request.topK !== undefined && !thinkingOn) body['top_k'] = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) body['stop_sequences'] = request.stop;
  body['stream'] = request.stream;

  if (hints !== undefined && (hints.outputConfigExtra !== undefined || hints.outputConfigEffort === true)) {
    const outputConfig: Record<string, unknown> = { ...hints.outputConfigExtra };
    if (hints.outputConfigEffort === true && request.reasoning?.effort !== undefined) outputConfig['effort'] = request.reasoning.effort;
    if (Object.keys(outputConfig).length > 0) body['output_config'] = outputConfig;
  }
  const metadata: Record<string, unknown> = sameFormat && request.metadata !== undefined ? { ...request.metadata } : {};
  if (request.user !== undefined) metadata['user_id'] = request.user;
  if (Object.keys(metadata).length > 0) body['metadata'] = metadata;
  return body;
}

function renderSystem(parts: TextPart[], responseFormat: ResponseFormat | undefined, hints: AnthropicSourceHints | undefined): string | AnthropicTextBlock[] | undefined {
  const blocks: AnthropicTextBlock[] = [];
  for (const part of parts) {
    const block = renderTextBlock(part);
    if (block !== undefined) blocks.push(block);
  }
  const instruction = responseFormat === undefined ? undefined : jsonInstruction(responseFormat);
  if (instruction !== undefined) blocks.push({ type: 'text', text: instruction });
  if (blocks.length === 0) return undefined;
  const only = blocks[0];
  const asString = hints === undefined ? true : hints.systemIsString === true;
  if (asString && blocks.length === 1 && only !== undefined && only.cache_control === undefined) return only.text;
  return blocks;
}

/** Anthropic has no native JSON mode, so the requested format becomes a system instruction. */
function jsonInstruction(format: ResponseFormat): string | undefined {
  if (format.type === 'text') return undefined;
  if (format.type === 'json-object') return 'Respond only with a single valid JSON object. Do not add any text before or after the JSON.';
  const named = format.name === undefined ? '' : ` named "${format.name}"`;
  const described = format.description === undefined ? '' : ` (${format.description})`;
  return `Respond only with a JSON value${named}${described} that conforms to this JSON Schema. Do not add any text before or after the JSON.\n${JSON.stringify(format.schema)}`;
}

/**
 * Anthropic rejects thinking when the last assistant turn used a tool without starting with
 * a signed thinking block (history from a client that never saw the signature).
 */
function lastToolTurnLacksSignedThinking(messages: Message[]): boolean {
  const lastAssistant = [...messages].reverse().find((message) => message.role === 'assistant');
  if (lastAssistant === undefined || !lastAssistant.content.some((part) => part.type === 'tool-call')) return false;
  const first = lastAssistant.content.find((part) => part.type !== 'text' || part.text !== '');
  if (first === undefined) return true;
  if (first.type === 'thinking') return first.signature?.origin !== 'anthropic';
  if (first.type === 'redacted-thinking') return first.origin !== 'anthropic';
  return true;
}
