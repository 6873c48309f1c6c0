/**
 * Responses items ⇄ IR content parts: message content parts (input_text, output_text,
 * refusal, input_image, input_file), `function_call`, `custom_tool_call` and `reasoning`
 * items. Used for both directions of `input` and for `output`.
 *
 * A reasoning item becomes a ThinkingPart whose text is the summary parts joined by a blank
 * line and whose signature is `encrypted_content` (origin `openai-responses`): it goes back
 * only to the Responses API. An image or file given by `file_id` (OpenAI's file store) has no
 * IR equivalent; it travels as the URL `openai-file:<id>`, which only this format resolves.
 */
import type { ContentPart, FilePart, ImagePart, TextPart } from '../ir.ts';
import { parseBase64DataUrl, toBase64DataUrl } from '../shared/image-data-url.ts';
import { isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { customArguments, customInput } from './custom-tools.ts';
import { flattenToolName } from './namespace.ts';
import type { NamespacedName } from './namespace.ts';
import type { ResponsesOutputItem, ResponsesReasoningItem, ResponsesThinkingPart } from './types.ts';

export const FILE_ID_URL_PREFIX = 'openai-file:';
const SUMMARY_SEPARATOR = '\n\n';

function parseDetail(value: unknown): ImagePart['detail'] | undefined {
  return value === 'auto' || value === 'low' || value === 'high' ? value : undefined;
}

/** One message content part → IR part (undefined for kinds the IR cannot hold, e.g. audio). */
export function parseContentPart(part: JsonRecord): ContentPart | undefined {
  const type = part['type'];
  if (type === 'input_text' || type === 'output_text' || type === 'text') {
    return { type: 'text', text: stringOrUndefined(part['text']) ?? '' };
  }
  if (type === 'refusal') return { type: 'text', text: stringOrUndefined(part['refusal']) ?? '', refusal: true };
  if (type === 'input_image') {
    const url = stringOrUndefined(part['image_url']);
    const fileId = stringOrUndefined(part['file_id']);
    const source = url !== undefined ? url : fileId !== undefined ? `${FILE_ID_URL_PREFIX}${fileId}` : undefined;
    if (source === undefined) return undefined;
    const image: ImagePart = { type: 'image', source: { kind: 'url', url: source } };
    const detail = parseDetail(part['detail']);
    if (detail !== undefined) image.detail = detail;
    return image;
  }
  if (type === 'input_file') {
    const data = stringOrUndefined(part['file_data']);
    const filename = stringOrUndefined(part['filename']);
    if (data !== undefined) {
      const inline = parseBase64DataUrl(data);
      const file: FilePart = { type: 'file', source: { kind: 'base64', mediaType: inline?.mediaType ?? 'application/pdf', data: inline?.data ?? data } };
      if (filename !== undefined && file.source.kind === 'base64') file.source.filename = filename;
      return file;
    }
    const url = stringOrUndefined(part['file_url']);
    if (url !== undefined) return { type: 'file', source: { kind: 'url', url } };
    const fileId = stringOrUndefined(part['file_id']);
    if (fileId !== undefined) return { type: 'file', source: { kind: 'url', url: `${FILE_ID_URL_PREFIX}${fileId}` } };
  }
  return undefined;
}

export function parseMessageContent(content: unknown): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const parts: ContentPart[] = [];
  for (const entry of content) {
    if (!isRecord(entry)) continue;
    const part = parseContentPart(entry);
    if (part !== undefined) parts.push(part);
  }
  return parts;
}

export function parseReasoningItem(item: JsonRecord): ResponsesThinkingPart {
  const summary = Array.isArray(item['summary']) ? item['summary'].filter(isRecord).map((entry) => stringOrUndefined(entry['text']) ?? '') : [];
  const content = Array.isArray(item['content']) ? item['content'].filter(isRecord).map((entry) => stringOrUndefined(entry['text']) ?? '') : [];
  // Raw reasoning text (open-weight models) when there is no summary.
  const text = summary.length > 0 ? summary.join(SUMMARY_SEPARATOR) : content.join('');
  const part: ResponsesThinkingPart = { type: 'thinking', text };
  const encrypted = stringOrUndefined(item['encrypted_content']);
  if (encrypted !== undefined && encrypted !== '') part.signature = { value: encrypted, origin: 'openai-responses' };
  const id = stringOrUndefined(item['id']);
  if (id !== undefined) part.responsesItemId = id;
  if (summary.length > 1) part.responsesSummary = summary;
  return part;
}

/** An assistant-side item (message, function_call, reasoning) → IR parts appended to `into`. */
export function parseAssistantItem(item: JsonRecord, into: ContentPart[]): boolean {
  const type = item['type'] ?? (item['role'] === 'assistant' ? 'message' : undefined);
  if (type === 'message') {
    into.push(...parseMessageContent(item['content']));
    return true;
  }
  if (type === 'function_call') {
    const name = flattenToolName(stringOrUndefined(item['namespace']), stringOrUndefined(item['name']) ?? '');
    const id = stringOrUndefined(item['call_id']) ?? stringOrUndefined(item['id']) ?? '';
    const args = item['arguments'];
    into.push({ type: 'tool-call', id, name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) });
    return true;
  }
  if (type === 'custom_tool_call') {
    const name = flattenToolName(stringOrUndefined(item['namespace']), stringOrUndefined(item['name']) ?? '');
    const id = stringOrUndefined(item['call_id']) ?? stringOrUndefined(item['id']) ?? '';
    into.push({ type: 'tool-call', id, name, arguments: customArguments(stringOrUndefined(item['input']) ?? '') });
    return true;
  }
  if (type === 'reasoning') {
    into.push(parseReasoningItem(item));
    return true;
  }
  return false;
}

function renderImage(part: ImagePart): JsonRecord {
  const url = part.source.kind === 'base64' ? toBase64DataUrl(part.source.mediaType, part.source.data) : part.source.url;
  const image: JsonRecord = url.startsWith(FILE_ID_URL_PREFIX) ? { type: 'input_image', file_id: url.slice(FILE_ID_URL_PREFIX.length) } : { type: 'input_image', image_url: url };
  if (part.detail !== undefined) image['detail'] = part.detail;
  return image;
}

function renderFile(part: FilePart): JsonRecord {
  if (part.source.kind === 'base64') {
    const file: JsonRecord = { type: 'input_file', file_data: toBase64DataUrl(part.source.mediaType, part.source.data) };
    if (part.source.filename !== undefined) file['filename'] = part.source.filename;
    return file;
  }
  if (part.source.url.startsWith(FILE_ID_URL_PREFIX)) return { type: 'input_file', file_id: part.source.url.slice(FILE_ID_URL_PREFIX.length) };
  return { type: 'input_file', file_url: part.source.url };
}

/** IR parts of a user/system/developer/assistant message → Responses message content. */
export function renderMessageContent(parts: ContentPart[], role: string): JsonRecord[] {
  const content: JsonRecord[] = [];
  for (const part of parts) {
    if (part.type === 'text') {
      if (part.refusal === true) content.push({ type: 'refusal', refusal: part.text });
      else content.push({ type: role === 'assistant' ? 'output_text' : 'input_text', text: part.text });
    } else if (part.type === 'image') content.push(renderImage(part));
    else if (part.type === 'file') content.push(renderFile(part));
  }
  return content;
}

/** Tool result content → `function_call_output.output`: a string, or parts when it holds images. */
export function renderToolOutput(parts: Array<TextPart | ImagePart>): string | JsonRecord[] {
  if (parts.every((part) => part.type === 'text')) return parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
  return parts.map((part) => (part.type === 'text' ? { type: 'input_text', text: part.text } : renderImage(part)));
}

export function parseToolOutput(output: unknown): Array<TextPart | ImagePart> {
  if (typeof output === 'string') return [{ type: 'text', text: output }];
  if (!Array.isArray(output)) return output === undefined ? [] : [{ type: 'text', text: JSON.stringify(output) }];
  const parts: Array<TextPart | ImagePart> = [];
  for (const entry of output) {
    if (!isRecord(entry)) continue;
    const part = parseContentPart(entry);
    if (part?.type === 'text' || part?.type === 'image') parts.push(part);
  }
  return parts;
}

/** Summary parts of a thinking part: the original split when it still adds up to the text. */
export function summaryOf(part: ResponsesThinkingPart): Array<{ type: 'summary_text'; text: string }> {
  const split = part.responsesSummary;
  const texts = split !== undefined && split.join(SUMMARY_SEPARATOR) === part.text ? split : part.text === '' ? [] : [part.text];
  return texts.map((text) => ({ type: 'summary_text', text }));
}

export function renderReasoningItem(part: ResponsesThinkingPart, id: string): ResponsesReasoningItem {
  const item: ResponsesReasoningItem = { id, type: 'reasoning', summary: summaryOf(part) };
  if (part.signature?.origin === 'openai-responses') item.encrypted_content = part.signature.value;
  return item;
}

export interface OutputIds {
  message(index: number): string;
  reasoning(index: number): string;
  call(index: number): string;
  customCall(index: number): string;
}

/** Deterministic item ids derived from the response id: `msg_<resp>_<n>`, `rs_…`, `fc_…`. */
export function outputIds(responseId: string): OutputIds {
  const base = responseId.replace(/^resp_/, '');
  return {
    message: (index) => `msg_${base}_${index}`,
    reasoning: (index) => `rs_${base}_${index}`,
    call: (index) => `fc_${base}_${index}`,
    customCall: (index) => `ctc_${base}_${index}`,
  };
}

/** IR response content → output items; consecutive text parts share one message item. */
export function renderOutputItems(content: ContentPart[], ids: OutputIds, split: (flat: string) => NamespacedName, isCustom: (flat: string) => boolean = () => false): ResponsesOutputItem[] {
  const items: ResponsesOutputItem[] = [];
  let message: Extract<ResponsesOutputItem, { type: 'message' }> | undefined;
  for (const part of content) {
    if (part.type === 'text') {
      if (message === undefined) {
        message = { id: ids.message(items.length), type: 'message', role: 'assistant', status: 'completed', content: [] };
        items.push(message);
      }
      message.content.push(part.refusal === true ? { type: 'refusal', refusal: part.text } : { type: 'output_text', text: part.text, annotations: [] });
      continue;
    }
    if (part.type === 'thinking') {
      const thinking: ResponsesThinkingPart = part;
      // Nothing to show and nothing OpenAI can use (e.g. a Gemini signature alone): no item.
      if (thinking.text === '' && thinking.signature?.origin !== 'openai-responses' && thinking.responsesItemId === undefined) continue;
      message = undefined;
      items.push(renderReasoningItem(thinking, thinking.responsesItemId ?? ids.reasoning(items.length)));
    } else if (part.type === 'tool-call') {
      message = undefined;
      const name = split(part.name);
      if (isCustom(part.name)) {
        items.push({ id: ids.customCall(items.length), type: 'custom_tool_call', status: 'completed', call_id: part.id, name: part.name, input: customInput(part.arguments) });
        continue;
      }
      const call: ResponsesOutputItem = { id: ids.call(items.length), type: 'function_call', status: 'completed', call_id: part.id, name: name.name, arguments: part.arguments };
      if (name.namespace !== undefined) call.namespace = name.namespace;
      items.push(call);
    }
  }
  return items;
}
