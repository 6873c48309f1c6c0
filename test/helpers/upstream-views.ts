/**
 * Vendor-neutral views of what an upstream received: the system prompt, the tool names, the
 * model, the messages flattened to `{role, kind, …}` items. Tests that run one scenario
 * against a Claude, a Gemini and an OpenAI upstream assert the same facts through these,
 * reading the raw recorded bodies (never through the gateway's own parsers).
 */
import type { RecordedRequest } from './fake-upstream.ts';
import { bodyOf, objectAt, objectsAt } from './client-gateway.ts';
import type { JsonObject, UpstreamKind } from './client-gateway.ts';

function texts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    if (typeof item === 'string') return [item];
    if (typeof item === 'object' && item !== null && typeof (item as JsonObject).text === 'string') return [(item as JsonObject).text as string];
    return [];
  });
}

/** Every system-prompt text the upstream got, in order. */
export function systemTexts(kind: UpstreamKind, body: JsonObject): string[] {
  if (kind === 'claude') return texts(body.system);
  if (kind === 'gemini') return body.systemInstruction === undefined ? [] : texts(objectAt(body.systemInstruction, 'systemInstruction').parts);
  return objectsAt(body.messages, 'messages')
    .filter((message) => message.role === 'system' || message.role === 'developer')
    .flatMap((message) => texts(message.content));
}

/** The names of the function tools the upstream was offered. */
export function toolNames(kind: UpstreamKind, body: JsonObject): string[] {
  if (body.tools === undefined) return [];
  const tools = objectsAt(body.tools, 'tools');
  if (kind === 'claude') return tools.map((tool) => String(tool.name));
  if (kind === 'gemini') return tools.flatMap((tool) => (tool.functionDeclarations === undefined ? [] : objectsAt(tool.functionDeclarations, 'functionDeclarations').map((declaration) => String(declaration.name))));
  return tools.map((tool) => String(objectAt(tool.function, 'tool.function').name));
}

/** The model the upstream was asked for (Gemini: from the URL). */
export function upstreamModel(kind: UpstreamKind, request: RecordedRequest): string {
  if (kind === 'gemini') {
    const match = /^\/v1beta\/models\/([^:]+):/.exec(request.path);
    return match === null ? '' : decodeURIComponent(match[1] as string);
  }
  return String(bodyOf(request).model);
}

/** One piece of conversation history, whatever the vendor's shape. */
export type HistoryItem =
  | { role: string; kind: 'text'; text: string }
  | { role: string; kind: 'image'; mediaType: string; data: string }
  | { role: string; kind: 'thinking'; text: string; signature: string | undefined }
  | { role: string; kind: 'tool-call'; id: string | undefined; name: string; args: unknown; signature: string | undefined }
  | { role: string; kind: 'tool-result'; id: string | undefined; name: string | undefined; content: string; isError: boolean | undefined };

function openaiContentItems(role: string, content: unknown): HistoryItem[] {
  if (typeof content === 'string') return content === '' ? [] : [{ role, kind: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return objectsAt(content, 'content').flatMap((part): HistoryItem[] => {
    if (part.type === 'text') return [{ role, kind: 'text', text: String(part.text) }];
    if (part.type === 'image_url') {
      const url = String(objectAt(part.image_url, 'image_url').url);
      const match = /^data:([^;]+);base64,(.*)$/s.exec(url);
      return [{ role, kind: 'image', mediaType: match?.[1] ?? 'url', data: match?.[2] ?? url }];
    }
    return [];
  });
}

/** The conversation the upstream received, flattened and in order (system prompt excluded). */
export function history(kind: UpstreamKind, body: JsonObject): HistoryItem[] {
  if (kind === 'claude') {
    return objectsAt(body.messages, 'messages').flatMap((message) => {
      const role = String(message.role);
      if (typeof message.content === 'string') return [{ role, kind: 'text', text: message.content } satisfies HistoryItem];
      return objectsAt(message.content, 'content').flatMap((block): HistoryItem[] => {
        switch (block.type) {
          case 'text': return [{ role, kind: 'text', text: String(block.text) }];
          case 'image': {
            const source = objectAt(block.source, 'source');
            return [{ role, kind: 'image', mediaType: String(source.media_type), data: String(source.data) }];
          }
          case 'thinking': return [{ role, kind: 'thinking', text: String(block.thinking), signature: typeof block.signature === 'string' ? block.signature : undefined }];
          case 'tool_use': return [{ role, kind: 'tool-call', id: String(block.id), name: String(block.name), args: block.input, signature: undefined }];
          case 'tool_result': return [{
            role, kind: 'tool-result', id: String(block.tool_use_id), name: undefined,
            content: texts(block.content).join(''), isError: typeof block.is_error === 'boolean' ? block.is_error : undefined,
          }];
          default: return [];
        }
      });
    });
  }
  if (kind === 'gemini') {
    return objectsAt(body.contents, 'contents').flatMap((content) => {
      const role = String(content.role ?? 'user');
      return objectsAt(content.parts, 'parts').flatMap((part): HistoryItem[] => {
        const signature = typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined;
        if (part.functionCall !== undefined) {
          const call = objectAt(part.functionCall, 'functionCall');
          return [{ role, kind: 'tool-call', id: typeof call.id === 'string' ? call.id : undefined, name: String(call.name), args: call.args, signature }];
        }
        if (part.functionResponse !== undefined) {
          const response = objectAt(part.functionResponse, 'functionResponse');
          return [{
            role, kind: 'tool-result', id: typeof response.id === 'string' ? response.id : undefined, name: String(response.name),
            content: JSON.stringify(response.response), isError: undefined,
          }];
        }
        if (part.inlineData !== undefined) {
          const inline = objectAt(part.inlineData, 'inlineData');
          return [{ role, kind: 'image', mediaType: String(inline.mimeType), data: String(inline.data) }];
        }
        if (part.thought === true) return [{ role, kind: 'thinking', text: String(part.text ?? ''), signature }];
        if (typeof part.text === 'string') {
          const items: HistoryItem[] = part.text === '' ? [] : [{ role, kind: 'text', text: part.text }];
          if (signature !== undefined) items.push({ role, kind: 'thinking', text: '', signature });
          return items;
        }
        return [];
      });
    });
  }
  return objectsAt(body.messages, 'messages').flatMap((message): HistoryItem[] => {
    const role = String(message.role);
    if (role === 'system' || role === 'developer') return [];
    if (role === 'tool') {
      return [{ role, kind: 'tool-result', id: String(message.tool_call_id), name: undefined, content: texts(message.content).join(''), isError: undefined }];
    }
    const items: HistoryItem[] = [];
    for (const key of ['reasoning_content', 'reasoning']) {
      if (typeof message[key] === 'string' && message[key] !== '') items.push({ role, kind: 'thinking', text: message[key], signature: undefined });
    }
    items.push(...openaiContentItems(role, message.content));
    if (message.tool_calls !== undefined) {
      for (const call of objectsAt(message.tool_calls, 'tool_calls')) {
        const fn = objectAt(call.function, 'function');
        items.push({ role, kind: 'tool-call', id: String(call.id), name: String(fn.name), args: JSON.parse(String(fn.arguments)) as unknown, signature: undefined });
      }
    }
    return items;
  });
}

/** Every string anywhere in a JSON value (to check that a secret or a signature is absent). */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, item]) => [key, ...allStrings(item)]);
  return [];
}
