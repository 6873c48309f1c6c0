/**
 * OpenAI `messages` → IR system prompt and messages.
 *
 * The leading run of system/developer messages becomes `IRRequest.system` (the place every
 * renderer looks for a system prompt); which role each had and how many parts it held is
 * returned as a hint so a same-format render restores them exactly. A system or developer
 * message later in the conversation stays in place as a message of that role.
 * Tool messages become role `tool` messages holding one tool-result part each.
 */
import type { ContentPart, ImagePart, Message, TextPart, ToolCallPart, ToolResultPart } from '../ir.ts';
import { isRecord, pickUnknownFields, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import { parseOpenAIContent } from './parse-openai-content.ts';
import type { OpenAIChatSourceHints, OpenAIContentShape, OpenAIMessageExtra } from './types.ts';

export interface ParsedOpenAIMessages {
  system: TextPart[];
  messages: Message[];
  systemMessages: NonNullable<OpenAIChatSourceHints['systemMessages']>;
}

const KNOWN_MESSAGE_FIELDS: ReadonlySet<string> = new Set(['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'refusal', 'reasoning_content', 'reasoning']);

export function parseOpenAIMessages(wireMessages: unknown[]): ParsedOpenAIMessages {
  const parsed: ParsedOpenAIMessages = { system: [], messages: [], systemMessages: [] };
  let leading = true;
  wireMessages.forEach((wire, index) => {
    const path = `messages[${index}]`;
    if (!isRecord(wire)) throw invalidRequest(path, 'must be an object');
    const role = wire['role'];
    if (typeof role !== 'string') throw invalidRequest(`${path}.role`, 'is required');
    const name = stringOrUndefined(wire['name']);
    if (role === 'system' || role === 'developer') {
      const parts = textPartsOnly(parseOpenAIContent(wire['content'], `${path}.content`));
      if (leading) {
        parsed.system.push(...parts);
        const group: ParsedOpenAIMessages['systemMessages'][number] = { role, parts: parts.length };
        if (name !== undefined) group.name = name;
        if (typeof wire['content'] === 'string') group.contentIsString = true;
        parsed.systemMessages.push(group);
        return;
      }
      parsed.messages.push(withShape(withName({ role, content: parts }, name), wire));
      return;
    }
    leading = false;
    const unknownParts: NonNullable<OpenAIMessageExtra['openaiUnknownParts']> = [];
    const message: Message & OpenAIMessageExtra = withShape(parseConversationMessage(wire, role, path, name, unknownParts), wire);
    if (unknownParts.length > 0) message.openaiUnknownParts = unknownParts;
    const extra = pickUnknownFields(wire, KNOWN_MESSAGE_FIELDS);
    if (Object.keys(extra).length > 0) message.openaiMessageExtra = extra;
    if (role === 'assistant' && wire['reasoning_content'] === undefined && typeof wire['reasoning'] === 'string') message.openaiReasoningField = 'reasoning';
    parsed.messages.push(message);
  });
  return parsed;
}

function parseConversationMessage(wire: JsonRecord, role: string, path: string, name: string | undefined, unknownParts: NonNullable<OpenAIMessageExtra['openaiUnknownParts']>): Message {
  switch (role) {
    case 'user':
      return withName({ role: 'user', content: parseOpenAIContent(wire['content'], `${path}.content`, unknownParts) }, name);
    case 'assistant':
      return withName({ role: 'assistant', content: parseAssistantContent(wire, path) }, name);
    case 'tool': {
      const toolCallId = wire['tool_call_id'];
      if (typeof toolCallId !== 'string') throw invalidRequest(`${path}.tool_call_id`, 'is required for a tool message');
      return { role: 'tool', content: [toolResult(toolCallId, wire['content'], `${path}.content`)] };
    }
    case 'function': {
      // The legacy function-calling role answers by name; the name doubles as the call id.
      if (name === undefined) throw invalidRequest(`${path}.name`, 'is required for a function message');
      const result = toolResult(name, wire['content'], `${path}.content`);
      result.name = name;
      return { role: 'tool', content: [result] };
    }
    default:
      throw invalidRequest(`${path}.role`, `unknown role "${role}"`);
  }
}

/** Reasoning first (it came first), then text and refusal, then tool calls: the order the model produced them. */
function parseAssistantContent(wire: JsonRecord, path: string): ContentPart[] {
  const parts: ContentPart[] = [];
  const reasoning = stringOrUndefined(wire['reasoning_content']) ?? stringOrUndefined(wire['reasoning']);
  if (reasoning !== undefined && reasoning !== '') parts.push({ type: 'thinking', text: reasoning });
  parts.push(...parseOpenAIContent(wire['content'], `${path}.content`));
  const refusal = stringOrUndefined(wire['refusal']);
  if (refusal !== undefined && refusal !== '') parts.push({ type: 'text', text: refusal, refusal: true });
  const toolCalls = wire['tool_calls'];
  if (Array.isArray(toolCalls)) {
    toolCalls.forEach((call, callIndex) => {
      parts.push(parseToolCall(call, `${path}.tool_calls[${callIndex}]`));
    });
  }
  return parts;
}

function parseToolCall(call: unknown, path: string): ToolCallPart {
  if (!isRecord(call)) throw invalidRequest(path, 'must be an object');
  const fn = call['function'];
  if (!isRecord(fn) || typeof fn['name'] !== 'string') throw invalidRequest(`${path}.function.name`, 'is required');
  const id = call['id'];
  if (typeof id !== 'string') throw invalidRequest(`${path}.id`, 'is required');
  const args = fn['arguments'];
  return { type: 'tool-call', id, name: fn['name'], arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) };
}

function toolResult(toolCallId: string, content: unknown, path: string): ToolResultPart {
  const parts = parseOpenAIContent(content, path).filter((part): part is TextPart | ImagePart => part.type === 'text' || part.type === 'image');
  return { type: 'tool-result', toolCallId, content: parts };
}

function textPartsOnly(parts: ContentPart[]): TextPart[] {
  return parts.filter((part): part is TextPart => part.type === 'text');
}

function withName(message: Message, name: string | undefined): Message {
  if (name !== undefined) message.name = name;
  return message;
}

function withShape(message: Message & OpenAIContentShape, wire: JsonRecord): Message & OpenAIContentShape {
  if (Array.isArray(wire['content'])) message.openaiContentIsArray = true;
  return message;
}
