/**
 * Anthropic content blocks → IR parts, for request messages and responses alike. Thinking
 * signatures and redacted thinking are tagged with origin `anthropic` so they only ever go
 * back to Anthropic. An empty signature (what cliproxy renders for thinking that came from
 * elsewhere) counts as none. Server-tool blocks (`server_tool_use`, `web_search_tool_result`,
 * …) have no IR form: they are handed to the caller's `unknownBlocks` list (kept for a
 * same-format render), and block keys the IR has no field for ride on the part (see
 * AnthropicPartExtra in types.ts).
 */
import type { ContentPart, FilePart, ImagePart, TextPart, ToolResultPart } from '../ir.ts';
import { parseCacheControl } from '../shared/cache-control-field.ts';
import { isRecord, pickUnknownFields, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import type { AnthropicContentShape, AnthropicPartExtra, AnthropicUnknownBlock } from './types.ts';

const KNOWN_BLOCK_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  text: new Set(['type', 'text', 'cache_control']),
  image: new Set(['type', 'source', 'cache_control']),
  document: new Set(['type', 'source', 'title']),
  tool_use: new Set(['type', 'id', 'name', 'input']),
  tool_result: new Set(['type', 'tool_use_id', 'content', 'is_error', 'cache_control']),
  thinking: new Set(['type', 'thinking', 'signature']),
  redacted_thinking: new Set(['type', 'data']),
};

export function parseAnthropicContent(content: unknown, path: string, unknownBlocks?: AnthropicUnknownBlock[]): ContentPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (content === undefined || content === null) return [];
  if (!Array.isArray(content)) throw invalidRequest(path, 'must be a string or an array of content blocks');
  const parts: ContentPart[] = [];
  content.forEach((block, index) => {
    if (!isRecord(block)) return;
    const part = parseBlock(block, `${path}[${index}]`);
    if (part === undefined) {
      unknownBlocks?.push({ before: parts.length, block });
      return;
    }
    const known = KNOWN_BLOCK_FIELDS[String(block['type'])];
    const extra = known === undefined ? {} : pickUnknownFields(block, known);
    if (block['type'] === 'tool_result' && block['is_error'] === false) extra['is_error'] = false;
    if (Object.keys(extra).length > 0) (part as ContentPart & AnthropicPartExtra).anthropicBlockExtra = extra;
    parts.push(part);
  });
  return parts;
}

function parseBlock(block: JsonRecord, path: string): ContentPart | undefined {
  switch (block['type']) {
    case 'text':
      return withCache<TextPart>({ type: 'text', text: stringOrUndefined(block['text']) ?? '' }, block);
    case 'image':
      return parseImage(block);
    case 'document':
      return parseDocument(block);
    case 'tool_use': {
      const id = block['id'];
      const name = block['name'];
      if (typeof id !== 'string') throw invalidRequest(`${path}.id`, 'is required');
      if (typeof name !== 'string') throw invalidRequest(`${path}.name`, 'is required');
      return { type: 'tool-call', id, name, arguments: JSON.stringify(block['input'] ?? {}) };
    }
    case 'tool_result':
      return parseToolResult(block, path);
    case 'thinking': {
      const signature = stringOrUndefined(block['signature']);
      const text = stringOrUndefined(block['thinking']) ?? '';
      return signature === undefined || signature === '' ? { type: 'thinking', text } : { type: 'thinking', text, signature: { value: signature, origin: 'anthropic' } };
    }
    case 'redacted_thinking':
      return { type: 'redacted-thinking', data: stringOrUndefined(block['data']) ?? '', origin: 'anthropic' };
    default:
      return undefined;
  }
}

function parseImage(block: JsonRecord): ImagePart | undefined {
  const source = block['source'];
  if (!isRecord(source)) return undefined;
  if (source['type'] === 'base64') {
    return withCache<ImagePart>({ type: 'image', source: { kind: 'base64', mediaType: stringOrUndefined(source['media_type']) ?? '', data: stringOrUndefined(source['data']) ?? '' } }, block);
  }
  if (source['type'] === 'url' && typeof source['url'] === 'string') {
    return withCache<ImagePart>({ type: 'image', source: { kind: 'url', url: source['url'] } }, block);
  }
  return undefined;
}

function parseDocument(block: JsonRecord): ContentPart | undefined {
  const source = block['source'];
  if (!isRecord(source)) return undefined;
  const mediaType = stringOrUndefined(source['media_type']);
  if (source['type'] === 'base64' && typeof source['data'] === 'string') {
    const part: FilePart = { type: 'file', source: { kind: 'base64', mediaType: mediaType ?? 'application/pdf', data: source['data'] } };
    const title = stringOrUndefined(block['title']);
    if (title !== undefined && part.source.kind === 'base64') part.source.filename = title;
    return part;
  }
  if (source['type'] === 'url' && typeof source['url'] === 'string') {
    return { type: 'file', source: { kind: 'url', url: source['url'], mediaType: mediaType ?? 'application/pdf' } };
  }
  // A plain-text document is just text to every other format.
  if (source['type'] === 'text' && typeof source['data'] === 'string') return { type: 'text', text: source['data'] };
  return undefined;
}

function parseToolResult(block: JsonRecord, path: string): ToolResultPart {
  const toolUseId = block['tool_use_id'];
  if (typeof toolUseId !== 'string') throw invalidRequest(`${path}.tool_use_id`, 'is required');
  const content = parseAnthropicContent(block['content'], `${path}.content`).filter((part): part is TextPart | ImagePart => part.type === 'text' || part.type === 'image');
  const part: ToolResultPart & AnthropicContentShape = { type: 'tool-result', toolCallId: toolUseId, content };
  if (typeof block['content'] === 'string') part.anthropicContentIsString = true;
  if (block['is_error'] === true) part.isError = true;
  return withCache(part, block);
}

function withCache<T extends TextPart | ImagePart | ToolResultPart>(part: T, block: JsonRecord): T {
  const cacheControl = parseCacheControl(block['cache_control']);
  if (cacheControl !== undefined) part.cacheControl = cacheControl;
  return part;
}
