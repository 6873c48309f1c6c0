/**
 * OpenAI message `content` (a string, null, or an array of typed parts) → IR parts. Shared by
 * request messages and response messages. Besides OpenAI's own part types it reads Mistral's
 * `{type:"thinking", thinking:[{type:"text",text}]}` parts. Parts no other format can carry
 * (`input_audio`, `file` by `file_id`) are left out of the IR (the caller may keep them).
 */
import type { ContentPart, FilePart, ImagePart, TextPart, ThinkingPart } from '../ir.ts';
import { parseCacheControl } from '../shared/cache-control-field.ts';
import { parseBase64DataUrl } from '../shared/image-data-url.ts';
import { isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { invalidRequest } from '../shared/invalid-request-error.ts';
import type { OpenAIMessageExtra } from './types.ts';

/** `unknownParts`, when given, collects the parts with no IR form and where they stood. */
export function parseOpenAIContent(content: unknown, path: string, unknownParts?: NonNullable<OpenAIMessageExtra['openaiUnknownParts']>): ContentPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalidRequest(path, 'must be a string, null or an array of content parts');
  const parts: ContentPart[] = [];
  for (const item of content) {
    if (!isRecord(item)) continue;
    const part = parseContentPart(item);
    if (part !== undefined) parts.push(part);
    else unknownParts?.push({ before: parts.length, part: item });
  }
  return parts;
}

function parseContentPart(item: JsonRecord): ContentPart | undefined {
  switch (item['type']) {
    case 'text':
      return parseTextPart(item);
    case 'refusal':
      return { type: 'text', text: stringOrUndefined(item['refusal']) ?? '', refusal: true };
    case 'image_url':
      return parseImagePart(item);
    case 'file':
      return parseFilePart(item);
    case 'thinking':
      return parseMistralThinkingPart(item);
    default:
      return undefined;
  }
}

function parseTextPart(item: JsonRecord): TextPart {
  const part: TextPart = { type: 'text', text: stringOrUndefined(item['text']) ?? '' };
  const cacheControl = parseCacheControl(item['cache_control']);
  if (cacheControl !== undefined) part.cacheControl = cacheControl;
  return part;
}

function parseImagePart(item: JsonRecord): ImagePart | undefined {
  const imageUrl = item['image_url'];
  // Some clients send `image_url` as a bare string instead of `{url}`.
  const url = typeof imageUrl === 'string' ? imageUrl : isRecord(imageUrl) ? stringOrUndefined(imageUrl['url']) : undefined;
  if (url === undefined) return undefined;
  const inline = parseBase64DataUrl(url);
  const part: ImagePart = {
    type: 'image',
    source: inline === undefined ? { kind: 'url', url } : { kind: 'base64', mediaType: inline.mediaType, data: inline.data },
  };
  const detail = isRecord(imageUrl) ? imageUrl['detail'] : undefined;
  if (detail === 'auto' || detail === 'low' || detail === 'high') part.detail = detail;
  const cacheControl = parseCacheControl(item['cache_control']);
  if (cacheControl !== undefined) part.cacheControl = cacheControl;
  return part;
}

function parseFilePart(item: JsonRecord): FilePart | undefined {
  const file = item['file'];
  if (!isRecord(file)) return undefined;
  const fileData = stringOrUndefined(file['file_data']);
  const inline = fileData === undefined ? undefined : parseBase64DataUrl(fileData);
  if (inline === undefined) return undefined;
  const source: FilePart['source'] = { kind: 'base64', mediaType: inline.mediaType, data: inline.data };
  const filename = stringOrUndefined(file['filename']);
  if (filename !== undefined) source.filename = filename;
  return { type: 'file', source };
}

function parseMistralThinkingPart(item: JsonRecord): ThinkingPart {
  const thinking = item['thinking'];
  if (typeof thinking === 'string') return { type: 'thinking', text: thinking };
  const texts = Array.isArray(thinking) ? thinking.map((chunk) => (isRecord(chunk) ? (stringOrUndefined(chunk['text']) ?? '') : '')) : [];
  return { type: 'thinking', text: texts.join('') };
}
