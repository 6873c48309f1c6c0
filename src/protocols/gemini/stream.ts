/**
 * Gemini streaming: parsers for both framings Google uses and renderers for both.
 *
 * - `streamGenerateContent?alt=sse`: SSE, `data: {chunk}\r\n\r\n` per chunk.
 * - `streamGenerateContent` without `alt=sse`: one JSON array written incrementally,
 *   `[{chunk}\r\n,{chunk}\r\n]`.
 *
 * Rendering emits a chunk per text/thought delta as it arrives, a function call whole when
 * its part ends, and a last chunk carrying `finishReason` and `usageMetadata` with an empty
 * text part (what Gemini itself sends). Made-up call ids stay off the wire; signatures go
 * out only when Gemini made them. An IR error becomes `{"error":{code,message,status}}`.
 */
import type { StreamParser, StreamRenderer } from '../adapter.ts';
import type { FinishReason, IRRequest, IRStreamEvent, Signature, Usage } from '../ir.ts';
import { parseJsonOrUndefined } from '../shared/json-value-guards.ts';
import { isSyntheticCallId } from './call-ids.ts';
import { geminiErrorStatus } from './errors.ts';
import { renderGeminiFinishReason } from './finish-reason.ts';
import { createJsonArrayReader } from './json-array-reader.ts';
import { parseToolArguments } from './parts.ts';
import { UNKNOWN_RESPONSE_ID } from './response.ts';
import { createGeminiSseReader } from './sse-reader.ts';
import { createGeminiEventState } from './stream-events.ts';
import type { GeminiEventState } from './stream-events.ts';
import type { GeminiPart } from './types.ts';
import { renderGeminiUsage } from './usage.ts';

function feed(state: GeminiEventState, text: string, bare: boolean): IRStreamEvent[] {
  // OpenAI-style terminators from Gemini-compatible relays carry nothing.
  if (text.trim() === '' || text.trim() === '[DONE]') return [];
  const value = parseJsonOrUndefined(text);
  if (value !== undefined) return state.chunk(value);
  // A bare line that is not JSON is noise around the stream; a data payload that is not JSON is broken.
  return bare ? [] : state.malformed(text);
}

/** Parser for `alt=sse` bodies. */
export function createGeminiStreamParser(): StreamParser {
  const reader = createGeminiSseReader();
  const state = createGeminiEventState();
  const handle = (payloads: ReturnType<typeof reader.push>): IRStreamEvent[] => payloads.flatMap((payload) => feed(state, payload.text, payload.kind === 'bare'));
  return {
    push: (chunk) => handle(reader.push(chunk)),
    end: () => [...handle(reader.end()), ...state.end()],
  };
}

/** Parser for the JSON-array streaming body (no `alt=sse`). */
export function createJsonArrayStreamParser(): StreamParser {
  const reader = createJsonArrayReader();
  const state = createGeminiEventState();
  const handle = (elements: string[]): IRStreamEvent[] => elements.flatMap((element) => feed(state, element, false));
  return {
    push: (chunk) => handle(reader.push(chunk)),
    end: () => [...handle(reader.end()), ...state.end()],
  };
}

type RenderedPart = { kind: 'text' | 'thinking' | 'ignored'; hasText: boolean } | { kind: 'tool-call'; id: string; name: string; arguments: string; signature?: Signature };

/** Renders IR events as Gemini chunk objects; framing is left to the two renderers below. */
function createChunkRenderer(): { render(event: IRStreamEvent): Array<Record<string, unknown>>; end(): Array<Record<string, unknown>> } {
  let responseId = UNKNOWN_RESPONSE_ID;
  let model = '';
  let finish: { reason: FinishReason; raw?: string } | undefined;
  let usage: Usage | undefined;
  let failed = false;
  const parts = new Map<number, RenderedPart>();

  function chunk(partList: GeminiPart[]): Record<string, unknown> {
    const body: Record<string, unknown> = { candidates: [{ content: { role: 'model', parts: partList }, index: 0 }] };
    if (model !== '') body['modelVersion'] = model;
    if (responseId !== UNKNOWN_RESPONSE_ID) body['responseId'] = responseId;
    return body;
  }

  return {
    render(event: IRStreamEvent): Array<Record<string, unknown>> {
      if (failed) return [];
      switch (event.type) {
        case 'message-start':
          responseId = event.id;
          model = event.model;
          if (event.usage !== undefined) usage = event.usage;
          return [];
        case 'part-start':
          if (event.part.type === 'tool-call') {
            const part: RenderedPart = { kind: 'tool-call', id: event.part.id, name: event.part.name, arguments: '' };
            if (event.part.signature !== undefined) part.signature = event.part.signature;
            parts.set(event.index, part);
          } else parts.set(event.index, { kind: event.part.type === 'redacted-thinking' ? 'ignored' : event.part.type, hasText: false });
          return [];
        case 'text-delta':
        case 'refusal-delta':
          return event.text === '' ? [] : [chunk([{ text: event.text }])];
        case 'thinking-delta': {
          const part = parts.get(event.index);
          if (part !== undefined && part.kind === 'thinking') part.hasText = true;
          return event.text === '' ? [] : [chunk([{ text: event.text, thought: true }])];
        }
        case 'signature-delta': {
          if (event.signature.origin !== 'gemini') return [];
          const part = parts.get(event.index);
          if (part?.kind === 'tool-call') {
            part.signature = event.signature;
            return [];
          }
          const rendered: GeminiPart = part?.kind === 'thinking' && part.hasText ? { text: '', thought: true, thoughtSignature: event.signature.value } : { text: '', thoughtSignature: event.signature.value };
          return [chunk([rendered])];
        }
        case 'tool-arguments-delta': {
          const part = parts.get(event.index);
          if (part?.kind === 'tool-call') part.arguments += event.text;
          return [];
        }
        case 'part-end': {
          const part = parts.get(event.index);
          parts.delete(event.index);
          if (part?.kind !== 'tool-call') return [];
          const rendered: GeminiPart = { functionCall: { name: part.name, args: parseToolArguments(part.arguments) } };
          if (!isSyntheticCallId(part.id) && rendered.functionCall !== undefined) rendered.functionCall.id = part.id;
          if (part.signature?.origin === 'gemini') rendered.thoughtSignature = part.signature.value;
          return [chunk([rendered])];
        }
        case 'usage':
          usage = event.usage;
          return [];
        case 'finish':
          finish = event.rawReason === undefined ? { reason: event.reason } : { reason: event.reason, raw: event.rawReason };
          return [];
        case 'error': {
          failed = true;
          const status = event.status ?? 500;
          // An upstream Google status (CANCELLED, …) passes through; anything else is derived.
          const named: string = event.code !== undefined && /^[A-Z_]+$/.test(event.code) ? event.code : geminiErrorStatus(status);
          return [{ error: { code: status, message: event.message, status: named } }];
        }
      }
    },
    end(): Array<Record<string, unknown>> {
      if (failed || (finish === undefined && usage === undefined)) return [];
      // The last chunk carries an empty text part, as Gemini's own last chunk does.
      const candidate = { content: { role: 'model', parts: [{ text: '' }] }, index: 0, finishReason: renderGeminiFinishReason(finish?.reason ?? 'stop', finish?.raw) };
      const last: Record<string, unknown> = { candidates: [candidate] };
      if (model !== '') last['modelVersion'] = model;
      if (responseId !== UNKNOWN_RESPONSE_ID) last['responseId'] = responseId;
      if (usage !== undefined) last['usageMetadata'] = renderGeminiUsage(usage);
      return [last];
    },
  };
}

/** Renderer for `alt=sse` clients: `data: {chunk}\r\n\r\n`. */
export function createGeminiStreamRenderer(_request: IRRequest): StreamRenderer {
  const chunks = createChunkRenderer();
  const frame = (list: Array<Record<string, unknown>>): string => list.map((entry) => `data: ${JSON.stringify(entry)}\r\n\r\n`).join('');
  return {
    render: (event) => frame(chunks.render(event)),
    end: () => frame(chunks.end()),
  };
}

/** Renderer for clients of the JSON-array form: `[{chunk}\r\n,{chunk}\r\n]`. */
export function createJsonArrayStreamRenderer(_request: IRRequest): StreamRenderer {
  const chunks = createChunkRenderer();
  let opened = false;
  const frame = (list: Array<Record<string, unknown>>): string =>
    list
      .map((entry) => {
        const prefix = opened ? '\r\n,' : '[';
        opened = true;
        return prefix + JSON.stringify(entry);
      })
      .join('');
  return {
    render: (event) => frame(chunks.render(event)),
    end: () => {
      const tail = frame(chunks.end());
      return tail + (opened ? '\r\n]' : '[]');
    },
  };
}
