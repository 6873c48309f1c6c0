/**
 * Gemini `parts` ⇄ IR content parts, shared by requests (history), responses and streams.
 *
 * Thought signatures: a `thought: true` part becomes a ThinkingPart carrying its signature; a
 * signature on any other part except a function call (Gemini 3 puts one on the last text part,
 * often an empty one) becomes a signature-only ThinkingPart (`text: ''`) right after that
 * part, because IR text parts carry no signature. Rendering folds such a part back onto the
 * part before it. Signatures go back to Gemini only when their origin is `gemini`.
 */
import type { ContentPart, ImagePart, Signature, TextPart, ToolResultPart } from '../ir.ts';
import { parseBase64DataUrl } from '../shared/image-data-url.ts';
import { isRecord, parseJsonOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import type { CallIdSource } from './call-ids.ts';
import { camelizeKeys } from './camelize.ts';
import type { GeminiPart } from './types.ts';

function geminiSignature(part: JsonRecord): Signature | undefined {
  const value = stringOrUndefined(part['thoughtSignature']);
  return value === undefined || value === '' ? undefined : { value, origin: 'gemini' };
}

function parseMediaPart(part: JsonRecord): ImagePart | ContentPart | undefined {
  const rawInline = part['inlineData'];
  if (isRecord(rawInline)) {
    const inline = camelizeKeys(rawInline);
    const mediaType = stringOrUndefined(inline['mimeType']) ?? 'application/octet-stream';
    const data = stringOrUndefined(inline['data']) ?? '';
    if (mediaType.startsWith('image/')) return { type: 'image', source: { kind: 'base64', mediaType, data } };
    return { type: 'file', source: { kind: 'base64', mediaType, data } };
  }
  const rawFile = part['fileData'];
  if (isRecord(rawFile)) {
    const file = camelizeKeys(rawFile);
    const url = stringOrUndefined(file['fileUri']) ?? '';
    const mediaType = stringOrUndefined(file['mimeType']);
    if (mediaType !== undefined && mediaType.startsWith('image/')) return { type: 'image', source: { kind: 'url', url } };
    return mediaType === undefined ? { type: 'file', source: { kind: 'url', url } } : { type: 'file', source: { kind: 'url', url, mediaType } };
  }
  return undefined;
}

/** Model (or user) parts other than function responses → IR parts, in order. */
export function parseGeminiParts(parts: unknown, ids: CallIdSource): ContentPart[] {
  const output: ContentPart[] = [];
  if (!Array.isArray(parts)) return output;
  for (const rawPart of parts) {
    if (!isRecord(rawPart)) continue;
    const part = camelizeKeys(rawPart);
    const signature = geminiSignature(part);
    const rawCall = part['functionCall'];
    if (isRecord(rawCall)) {
      const call = camelizeKeys(rawCall);
      const args = isRecord(call['args']) ? call['args'] : {};
      const id = stringOrUndefined(call['id']);
      output.push({
        type: 'tool-call',
        id: id === undefined || id === '' ? ids.next() : id,
        name: stringOrUndefined(call['name']) ?? '',
        arguments: JSON.stringify(args),
        ...(signature === undefined ? {} : { signature }),
      });
      continue;
    }
    const text = stringOrUndefined(part['text']);
    if (text !== undefined && part['thought'] === true) {
      output.push(signature === undefined ? { type: 'thinking', text } : { type: 'thinking', text, signature });
      continue;
    }
    if (text !== undefined) {
      if (text !== '') output.push({ type: 'text', text });
    } else {
      const media = parseMediaPart(part);
      if (media !== undefined) output.push(media);
    }
    if (signature !== undefined) output.push({ type: 'thinking', text: '', signature });
  }
  return output;
}

/**
 * `functionResponse.response` → IR tool result content. `{result: "text"}` unwraps to the
 * text and `{error: "text"}` to an error result, so that rendering them back gives the same
 * object; any other object travels as its JSON text.
 */
export function parseFunctionResponse(value: JsonRecord, toolCallId: string): ToolResultPart {
  const name = stringOrUndefined(value['name']);
  const response = isRecord(value['response']) ? value['response'] : {};
  const keys = Object.keys(response);
  const content: ToolResultPart['content'] = [];
  let isError = false;
  const only = keys.length === 1 ? keys[0] : undefined;
  if ((only === 'result' || only === 'error') && typeof response[only] === 'string') {
    content.push({ type: 'text', text: response[only] });
    isError = only === 'error';
  } else {
    content.push({ type: 'text', text: JSON.stringify(response) });
  }
  const nested = value['parts'];
  if (Array.isArray(nested)) {
    for (const part of nested) {
      if (!isRecord(part)) continue;
      const media = parseMediaPart(camelizeKeys(part));
      if (media !== undefined && media.type === 'image') content.push(media);
    }
  }
  const result: ToolResultPart = { type: 'tool-result', toolCallId, content };
  if (name !== undefined) result.name = name;
  if (isError) result.isError = true;
  return result;
}

export interface RenderPartsOptions {
  /** Whether a call id may go on the wire (only ids that came from a Gemini wire may). */
  keepCallId(id: string): boolean;
}

function renderMedia(part: ContentPart): GeminiPart | undefined {
  if (part.type === 'image') {
    if (part.source.kind === 'base64') return { inlineData: { mimeType: part.source.mediaType, data: part.source.data } };
    const inline = parseBase64DataUrl(part.source.url);
    if (inline !== undefined) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
    return { fileData: { mimeType: guessImageType(part.source.url), fileUri: part.source.url } };
  }
  if (part.type === 'file') {
    if (part.source.kind === 'base64') return { inlineData: { mimeType: part.source.mediaType, data: part.source.data } };
    const inline = parseBase64DataUrl(part.source.url);
    if (inline !== undefined) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
    return part.source.mediaType === undefined ? { fileData: { fileUri: part.source.url } } : { fileData: { mimeType: part.source.mediaType, fileUri: part.source.url } };
  }
  return undefined;
}

function guessImageType(url: string): string {
  const path = url.split(/[?#]/)[0]?.toLowerCase() ?? '';
  if (path.endsWith('.png')) return 'image/png';
  if (path.endsWith('.gif')) return 'image/gif';
  if (path.endsWith('.webp')) return 'image/webp';
  if (path.endsWith('.heic')) return 'image/heic';
  return 'image/jpeg';
}

/** Parses tool-call arguments for `functionCall.args`, which must be an object. */
export function parseToolArguments(text: string): Record<string, unknown> {
  const parsed = parseJsonOrUndefined(text);
  return isRecord(parsed) ? parsed : {};
}

/** IR parts (of a model turn, or user content without tool results) → Gemini parts. */
export function renderGeminiParts(parts: ContentPart[], options: RenderPartsOptions): GeminiPart[] {
  const output: GeminiPart[] = [];
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        output.push({ text: part.text });
        break;
      case 'thinking': {
        const signature = part.signature?.origin === 'gemini' ? part.signature.value : undefined;
        if (part.text === '') {
          if (signature === undefined) break;
          const previous = output[output.length - 1];
          if (previous !== undefined && previous.thoughtSignature === undefined && previous.functionCall === undefined && previous.thought !== true) {
            previous.thoughtSignature = signature;
          } else {
            output.push({ text: '', thoughtSignature: signature });
          }
          break;
        }
        const rendered: GeminiPart = { text: part.text, thought: true };
        if (signature !== undefined) rendered.thoughtSignature = signature;
        output.push(rendered);
        break;
      }
      case 'tool-call': {
        const call: GeminiPart = { functionCall: { name: part.name, args: parseToolArguments(part.arguments) } };
        if (options.keepCallId(part.id) && call.functionCall !== undefined) call.functionCall.id = part.id;
        if (part.signature?.origin === 'gemini') call.thoughtSignature = part.signature.value;
        output.push(call);
        break;
      }
      case 'image':
      case 'file': {
        const media = renderMedia(part);
        if (media !== undefined) output.push(media);
        break;
      }
      default:
        // Redacted thinking belongs to Anthropic; tool results are rendered by the caller.
        break;
    }
  }
  return output;
}

/**
 * IR tool result → `functionResponse` (+ sibling media parts for images, which a function
 * response cannot hold on every model). Text that is a JSON object is sent as the object.
 */
export function renderFunctionResponse(part: ToolResultPart, name: string, options: RenderPartsOptions): GeminiPart[] {
  const text = part.content.filter((entry): entry is TextPart => entry.type === 'text').map((entry) => entry.text).join('');
  const parsed = parseJsonOrUndefined(text);
  const key = part.isError === true ? 'error' : 'result';
  let response: Record<string, unknown>;
  if (isRecord(parsed)) response = part.isError === true && !('error' in parsed) ? { error: parsed } : parsed;
  else response = { [key]: text };
  const functionResponse: GeminiPart = { functionResponse: { name, response } };
  if (options.keepCallId(part.toolCallId) && functionResponse.functionResponse !== undefined) functionResponse.functionResponse.id = part.toolCallId;
  const output: GeminiPart[] = [functionResponse];
  for (const entry of part.content) {
    if (entry.type === 'image') {
      const media = renderMedia(entry);
      if (media !== undefined) output.push(media);
    }
  }
  return output;
}
