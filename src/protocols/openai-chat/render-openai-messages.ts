/**
 * IR system prompt and messages → OpenAI `messages`.
 *
 * - Tool results become one `tool` message each, wherever the IR held them (Anthropic keeps
 *   them inside user turns). OpenAI tool messages carry text only, so images from a tool
 *   result follow in a user message right after the tool messages.
 * - Thinking goes out as `reasoning_content` (DeepSeek wants it back) only when it has no
 *   signature or one made by this format: a signed Anthropic/Gemini thought is never forwarded.
 * - Refusal parts go back into the assistant's `refusal` field.
 */
import type { ContentPart, ImagePart, Message, TextPart, ToolResultPart } from '../ir.ts';
import { renderCacheControl } from '../shared/cache-control-field.ts';
import { toBase64DataUrl } from '../shared/image-data-url.ts';
import type { OpenAIChatSourceHints, OpenAIContentPart, OpenAIContentShape, OpenAIMessage, OpenAIMessageExtra, OpenAIToolCall } from './types.ts';

export interface RenderMessagesOptions {
  /** Rendering back to the format the request came from: keep cache_control and role hints. */
  sameFormat: boolean;
  hints: OpenAIChatSourceHints | undefined;
}

export function renderOpenAIMessages(system: TextPart[], messages: Message[], options: RenderMessagesOptions): OpenAIMessage[] {
  const rendered: OpenAIMessage[] = renderSystem(system, options);
  for (const message of messages) rendered.push(...renderMessage(message, options));
  return rendered;
}

function renderSystem(system: TextPart[], options: RenderMessagesOptions): OpenAIMessage[] {
  if (system.length === 0) return [];
  const groups = options.sameFormat ? options.hints?.systemMessages : undefined;
  if (groups !== undefined && groups.reduce((sum, group) => sum + group.parts, 0) === system.length) {
    let offset = 0;
    return groups.map((group) => {
      const parts = system.slice(offset, offset + group.parts);
      offset += group.parts;
      const message: OpenAIMessage = { role: group.role, content: renderTextContent(parts, options, group.contentIsString !== true) };
      if (group.name !== undefined) message.name = group.name;
      return message;
    });
  }
  // Several system blocks (Claude Code sends three) become one string: some OpenAI-compatible
  // providers accept only string content in system messages.
  if (options.sameFormat) return [{ role: 'system', content: renderTextContent(system, options) }];
  return [{ role: 'system', content: system.map((part) => part.text).join('\n\n') }];
}

function renderMessage(message: Message & OpenAIMessageExtra, options: RenderMessagesOptions): OpenAIMessage[] {
  const rendered = renderMessageOnly(message, options);
  // An OpenAI message becomes exactly one message again; its unknown keys go back on it.
  const only = rendered[0];
  if (options.sameFormat && message.openaiMessageExtra !== undefined && rendered.length === 1 && only !== undefined) return [Object.assign({}, message.openaiMessageExtra, only)];
  return rendered;
}

function renderMessageOnly(message: Message & OpenAIMessageExtra, options: RenderMessagesOptions): OpenAIMessage[] {
  switch (message.role) {
    case 'system':
    case 'developer':
      return [withName({ role: message.role, content: renderTextContent(textParts(message.content), options, isArrayShaped(message, options)) }, message.name)];
    case 'assistant':
      return [withName(renderAssistant(message.content, isArrayShaped(message, options), options.sameFormat ? message.openaiReasoningField : undefined), message.name)];
    case 'user':
    case 'tool':
      return renderUserOrTool(message, options);
  }
}

function renderUserOrTool(message: Message & OpenAIMessageExtra, options: RenderMessagesOptions): OpenAIMessage[] {
  const rendered: OpenAIMessage[] = [];
  const userParts: ContentPart[] = [];
  for (const part of message.content) {
    if (part.type === 'tool-result') {
      rendered.push(renderToolResult(part, isArrayShaped(message, options)));
      userParts.push(...part.content.filter((inner): inner is ImagePart => inner.type === 'image'));
    } else {
      userParts.push(part);
    }
  }
  const unknownParts = options.sameFormat ? (message.openaiUnknownParts ?? []) : [];
  const content = renderUserContent(userParts, options, isArrayShaped(message, options), unknownParts);
  if (content !== undefined) rendered.push(withName({ role: 'user', content }, message.name));
  // An empty user turn stays an empty user turn (the client sent one; dropping it would shift roles).
  else if (message.content.length === 0 && message.role === 'user') rendered.push(withName({ role: 'user', content: '' }, message.name));
  return rendered;
}

/** Tool messages carry text only; several text parts are joined unless the client sent an array. */
function renderToolResult(part: ToolResultPart, keepArray: boolean): OpenAIMessage {
  const texts = part.content.filter((inner): inner is TextPart => inner.type === 'text').map((inner) => inner.text);
  return { role: 'tool', tool_call_id: part.toolCallId, content: keepArray ? texts.map((text) => ({ type: 'text', text })) : texts.join('\n') };
}

/**
 * A lone uncached text part renders as a plain string, the form every compatible provider
 * accepts, unless the client itself sent an array (`keepArray`).
 */
function renderUserContent(parts: ContentPart[], options: RenderMessagesOptions, keepArray: boolean, unknownParts: NonNullable<OpenAIMessageExtra['openaiUnknownParts']>): string | OpenAIContentPart[] | undefined {
  const wireParts: OpenAIContentPart[] = [];
  parts.forEach((part, index) => {
    for (const unknown of unknownParts) if (unknown.before === index) wireParts.push(asContentPart(unknown.part));
    const wirePart = renderUserPart(part, options);
    if (wirePart !== undefined) wireParts.push(wirePart);
  });
  for (const unknown of unknownParts) if (unknown.before >= parts.length) wireParts.push(asContentPart(unknown.part));
  if (wireParts.length === 0) return undefined;
  const only = wireParts[0];
  if (!keepArray && wireParts.length === 1 && only !== undefined && only.type === 'text' && !('cache_control' in only)) return only.text;
  return wireParts;
}

function renderUserPart(part: ContentPart, options: RenderMessagesOptions): OpenAIContentPart | undefined {
  switch (part.type) {
    case 'text':
      return renderTextPart(part, options);
    case 'image': {
      const url = part.source.kind === 'base64' ? toBase64DataUrl(part.source.mediaType, part.source.data) : part.source.url;
      const wire: OpenAIContentPart = { type: 'image_url', image_url: part.detail === undefined ? { url } : { url, detail: part.detail } };
      if (options.sameFormat && part.cacheControl !== undefined) Object.assign(wire, { cache_control: renderCacheControl(part.cacheControl) });
      return wire;
    }
    case 'file': {
      if (part.source.kind !== 'base64') return undefined;
      const file: { file_data: string; filename?: string } = { file_data: toBase64DataUrl(part.source.mediaType, part.source.data) };
      if (part.source.filename !== undefined) file.filename = part.source.filename;
      return { type: 'file', file };
    }
    default:
      return undefined;
  }
}

/** Separate text blocks (Anthropic puts text on both sides of a tool call) become paragraphs. */
function renderAssistant(content: ContentPart[], keepArray: boolean, reasoningField: OpenAIMessageExtra['openaiReasoningField']): OpenAIMessage {
  const texts: string[] = [];
  const refusals: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: OpenAIToolCall[] = [];
  for (const part of content) {
    if (part.type === 'text') (part.refusal === true ? refusals : texts).push(part.text);
    else if (part.type === 'tool-call') toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
    else if (part.type === 'thinking' && (part.signature === undefined || part.signature.origin === 'openai-chat')) reasoning.push(part.text);
  }
  const text = keepArray ? texts.map((item): OpenAIContentPart => ({ type: 'text', text: item })) : texts.join('\n\n');
  const message: OpenAIMessage = { role: 'assistant', content: texts.length > 0 ? text : toolCalls.length > 0 ? null : keepArray ? [] : '' };
  if (refusals.length > 0) message.refusal = refusals.join('');
  if (reasoning.length > 0) message[reasoningField ?? 'reasoning_content'] = reasoning.join('');
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function renderTextContent(parts: TextPart[], options: RenderMessagesOptions, keepArray = false): string | OpenAIContentPart[] {
  const only = parts[0];
  if (!keepArray && parts.length === 1 && only !== undefined && (only.cacheControl === undefined || !options.sameFormat)) return only.text;
  if (parts.length === 0) return keepArray ? [] : '';
  return parts.map((part) => renderTextPart(part, options));
}

function renderTextPart(part: TextPart, options: RenderMessagesOptions): OpenAIContentPart {
  if (part.refusal === true) return { type: 'refusal', refusal: part.text };
  const wire: OpenAIContentPart = { type: 'text', text: part.text };
  // cache_control is an OpenRouter extension: only a client that sent it gets it back.
  if (options.sameFormat && part.cacheControl !== undefined) Object.assign(wire, { cache_control: renderCacheControl(part.cacheControl) });
  return wire;
}

function textParts(parts: ContentPart[]): TextPart[] {
  return parts.filter((part): part is TextPart => part.type === 'text');
}

function withName(message: OpenAIMessage, name: string | undefined): OpenAIMessage {
  if (name !== undefined) message.name = name;
  return message;
}

function isArrayShaped(message: Message & OpenAIContentShape, options: RenderMessagesOptions): boolean {
  return options.sameFormat && message.openaiContentIsArray === true;
}

/** A part kept verbatim from the client's own request; its shape is OpenAI's, not ours to check. */
function asContentPart(part: Record<string, unknown>): OpenAIContentPart {
  return part as unknown as OpenAIContentPart;
}
