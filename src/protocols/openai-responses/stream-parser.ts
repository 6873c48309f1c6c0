/**
 * Responses SSE → IR stream events.
 *
 * Items are correlated by `output_index` (falling back to `item_id` only when an event has no
 * index): GitHub Copilot rotates item ids on every event. Output indices may skip (an item
 * type the IR cannot hold, such as `web_search_call`), so IR part indices are allocated
 * densely, in order of first appearance. A message's content parts are separate IR parts;
 * a reasoning item is one thinking part whose summary parts are joined by a blank line and
 * whose signature is the final `encrypted_content` (from `output_item.done`). A custom tool's
 * raw input streams as the JSON arguments `{"input":"…"}` (see custom-tools.ts).
 *
 * Upstreams that send only `done` events (or only the final response) still produce full
 * text: whatever a `done` event holds beyond what the deltas brought is emitted then. A
 * stream that ends before `response.completed`/`incomplete`/`failed` ends with an error.
 */
import type { StreamParser } from '../adapter.ts';
import type { ContentPart, IRStreamEvent } from '../ir.ts';
import { createSseEventDecoder } from '../shared/sse-event-decoder.ts';
import { isRecord, numberOrUndefined, parseJsonOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { CUSTOM_ARGUMENTS_PREFIX, CUSTOM_ARGUMENTS_SUFFIX, escapeForJsonString } from './custom-tools.ts';
import { readResponsesError } from './errors.ts';
import { parseAssistantItem, parseReasoningItem } from './items.ts';
import { flattenToolName } from './namespace.ts';
import { parseResponsesStatus } from './status.ts';
import { parseResponsesUsage } from './usage.ts';

interface PartState {
  index: number;
  kind: 'text' | 'thinking' | 'tool-call';
  /** Text (or arguments) emitted so far, to fill in from `done` events. */
  emitted: string;
  open: boolean;
  refusal?: boolean;
  /** A custom tool call: raw input streams inside the arguments `{"input":"…"}`. */
  custom?: boolean;
  raw?: string;
}

interface ItemState {
  type: string;
  /** Content parts of a message, by content_index; the single part of other items at 0. */
  parts: Map<number, PartState>;
  /** Reasoning: summary parts seen, to separate them. */
  summaries: number;
}

export function createResponsesStreamParser(): StreamParser {
  const decoder = createSseEventDecoder();
  const items = new Map<number, ItemState>();
  const indexByItemId = new Map<string, number>();
  let nextIndex = 0;
  let started = false;
  let done = false;
  let sawToolCall = false;

  function outputIndexOf(payload: JsonRecord): number {
    const index = numberOrUndefined(payload['output_index']);
    if (index !== undefined) return index;
    const itemId = stringOrUndefined(payload['item_id']) ?? (isRecord(payload['item']) ? stringOrUndefined(payload['item']['id']) : undefined);
    return (itemId === undefined ? undefined : indexByItemId.get(itemId)) ?? Math.max(-1, ...items.keys());
  }

  function item(outputIndex: number, type = 'message'): ItemState {
    let state = items.get(outputIndex);
    if (state === undefined) {
      state = { type, parts: new Map(), summaries: 0 };
      items.set(outputIndex, state);
    }
    return state;
  }

  function openPart(state: ItemState, key: number, kind: PartState['kind'], events: IRStreamEvent[], start?: IRStreamEvent): PartState {
    let part = state.parts.get(key);
    if (part !== undefined) return part;
    part = { index: nextIndex, kind, emitted: '', open: true };
    nextIndex += 1;
    state.parts.set(key, part);
    events.push(start ?? { type: 'part-start', index: part.index, part: { type: kind === 'tool-call' ? 'text' : kind } });
    return part;
  }

  function emitText(part: PartState, text: string, events: IRStreamEvent[]): void {
    if (text === '' || !part.open) return;
    part.emitted += text;
    if (part.kind === 'tool-call') events.push({ type: 'tool-arguments-delta', index: part.index, text });
    else if (part.kind === 'thinking') events.push({ type: 'thinking-delta', index: part.index, text });
    else if (part.refusal === true) events.push({ type: 'refusal-delta', index: part.index, text });
    else events.push({ type: 'text-delta', index: part.index, text });
  }

  /** Emits what a `done` event's full text has beyond the deltas already sent. */
  function complete(part: PartState, full: string | undefined, events: IRStreamEvent[]): void {
    if (full !== undefined && full.startsWith(part.emitted)) emitText(part, full.slice(part.emitted.length), events);
  }

  /** Raw custom-tool input, escaped into the JSON arguments the IR carries. */
  function emitRaw(part: PartState, text: string, events: IRStreamEvent[]): void {
    if (text === '' || !part.open) return;
    part.raw = (part.raw ?? '') + text;
    events.push({ type: 'tool-arguments-delta', index: part.index, text: escapeForJsonString(text) });
  }

  function completeRaw(part: PartState, full: string | undefined, events: IRStreamEvent[]): void {
    const raw = part.raw ?? '';
    if (full !== undefined && full.startsWith(raw)) emitRaw(part, full.slice(raw.length), events);
  }

  function closePart(part: PartState, events: IRStreamEvent[]): void {
    if (!part.open) return;
    if (part.custom === true) events.push({ type: 'tool-arguments-delta', index: part.index, text: CUSTOM_ARGUMENTS_SUFFIX });
    part.open = false;
    events.push({ type: 'part-end', index: part.index });
  }

  function closeItem(state: ItemState, events: IRStreamEvent[]): void {
    for (const part of [...state.parts.values()].sort((a, b) => a.index - b.index)) closePart(part, events);
  }

  function startCall(state: ItemState, payload: JsonRecord, events: IRStreamEvent[], custom = false): PartState {
    const existing = state.parts.get(0);
    if (existing !== undefined) return existing;
    sawToolCall = true;
    const name = flattenToolName(stringOrUndefined(payload['namespace']), stringOrUndefined(payload['name']) ?? '');
    const id = stringOrUndefined(payload['call_id']) ?? stringOrUndefined(payload['id']) ?? '';
    const part = openPart(state, 0, 'tool-call', events, { type: 'part-start', index: nextIndex, part: { type: 'tool-call', id, name } });
    if (custom) {
      part.custom = true;
      events.push({ type: 'tool-arguments-delta', index: part.index, text: CUSTOM_ARGUMENTS_PREFIX });
    }
    return part;
  }

  function thinkingPart(state: ItemState, events: IRStreamEvent[]): PartState {
    return openPart(state, 0, 'thinking', events);
  }

  function textPart(state: ItemState, contentIndex: number, refusal: boolean, events: IRStreamEvent[]): PartState {
    const part = openPart(state, contentIndex, 'text', events);
    if (refusal) part.refusal = true;
    return part;
  }

  function itemDone(outputIndex: number, payload: JsonRecord, events: IRStreamEvent[]): void {
    const type = stringOrUndefined(payload['type']) ?? 'message';
    const state = item(outputIndex, type);
    if (type === 'function_call') {
      const part = startCall(state, payload, events);
      const args = payload['arguments'];
      complete(part, typeof args === 'string' ? args : undefined, events);
    } else if (type === 'custom_tool_call') {
      completeRaw(startCall(state, payload, events, true), stringOrUndefined(payload['input']), events);
    } else if (type === 'reasoning') {
      const parsed = parseReasoningItem(payload);
      if (parsed.text !== '' || parsed.signature !== undefined || state.parts.size > 0) {
        const part = thinkingPart(state, events);
        complete(part, parsed.text, events);
        if (parsed.signature !== undefined && part.open) events.push({ type: 'signature-delta', index: part.index, signature: parsed.signature });
      }
    } else if (type === 'message') {
      const content = Array.isArray(payload['content']) ? payload['content'] : [];
      content.forEach((entry, contentIndex) => {
        if (!isRecord(entry)) return;
        const refusal = entry['type'] === 'refusal';
        const text = stringOrUndefined(refusal ? entry['refusal'] : entry['text']);
        if (text === undefined) return;
        const part = textPart(state, contentIndex, refusal, events);
        complete(part, text, events);
      });
    }
    closeItem(state, events);
  }

  /** For an upstream that sent no item events at all: the final response's output as events. */
  function replayOutput(response: JsonRecord, events: IRStreamEvent[]): void {
    if (items.size > 0 || !Array.isArray(response['output'])) return;
    response['output'].forEach((entry, outputIndex) => {
      if (!isRecord(entry)) return;
      const parts: ContentPart[] = [];
      if (parseAssistantItem(entry, parts)) itemDone(outputIndex, entry, events);
    });
  }

  function finishFrom(response: JsonRecord, events: IRStreamEvent[]): void {
    for (const state of items.values()) closeItem(state, events);
    const usage = parseResponsesUsage(response['usage']);
    if (usage !== undefined) events.push({ type: 'usage', usage });
    const status = stringOrUndefined(response['status']);
    const incomplete = isRecord(response['incomplete_details']) ? stringOrUndefined(response['incomplete_details']['reason']) : undefined;
    const finish: IRStreamEvent = { type: 'finish', reason: parseResponsesStatus(status, incomplete, sawToolCall) };
    if (incomplete !== undefined) finish.rawReason = incomplete;
    events.push(finish);
    done = true;
  }

  function handle(payload: JsonRecord, eventName: string | undefined, events: IRStreamEvent[]): void {
    const type = stringOrUndefined(payload['type']) ?? eventName;
    const response = isRecord(payload['response']) ? payload['response'] : undefined;
    if (!started && response !== undefined) {
      started = true;
      const start: IRStreamEvent = { type: 'message-start', id: stringOrUndefined(response['id']) ?? '', model: stringOrUndefined(response['model']) ?? '' };
      const created = numberOrUndefined(response['created_at']);
      if (created !== undefined) start.created = created;
      events.push(start);
    }
    switch (type) {
      case 'response.output_item.added': {
        const added = isRecord(payload['item']) ? payload['item'] : {};
        const outputIndex = outputIndexOf(payload);
        const itemId = stringOrUndefined(added['id']);
        if (itemId !== undefined) indexByItemId.set(itemId, outputIndex);
        const state = item(outputIndex, stringOrUndefined(added['type']) ?? 'message');
        if (state.type === 'function_call') {
          const part = startCall(state, added, events);
          const args = added['arguments'];
          if (typeof args === 'string') emitText(part, args, events);
        } else if (state.type === 'custom_tool_call') {
          emitRaw(startCall(state, added, events, true), stringOrUndefined(added['input']) ?? '', events);
        }
        return;
      }
      case 'response.content_part.added': {
        const part = isRecord(payload['part']) ? payload['part'] : {};
        const contentIndex = numberOrUndefined(payload['content_index']) ?? 0;
        const state = item(outputIndexOf(payload));
        if (part['type'] === 'output_text' || part['type'] === 'refusal') textPart(state, contentIndex, part['type'] === 'refusal', events);
        return;
      }
      case 'response.output_text.delta':
      case 'response.refusal.delta': {
        const state = item(outputIndexOf(payload));
        const part = textPart(state, numberOrUndefined(payload['content_index']) ?? 0, type === 'response.refusal.delta', events);
        emitText(part, stringOrUndefined(payload['delta']) ?? '', events);
        return;
      }
      case 'response.output_text.done':
      case 'response.refusal.done': {
        const state = item(outputIndexOf(payload));
        const refusal = type === 'response.refusal.done';
        const part = textPart(state, numberOrUndefined(payload['content_index']) ?? 0, refusal, events);
        complete(part, stringOrUndefined(refusal ? payload['refusal'] : payload['text']), events);
        return;
      }
      case 'response.content_part.done': {
        const state = item(outputIndexOf(payload));
        const part = state.parts.get(numberOrUndefined(payload['content_index']) ?? 0);
        const content = isRecord(payload['part']) ? payload['part'] : {};
        if (part !== undefined) {
          complete(part, stringOrUndefined(part.refusal === true ? content['refusal'] : content['text']), events);
          closePart(part, events);
        }
        return;
      }
      case 'response.function_call_arguments.delta': {
        const state = item(outputIndexOf(payload), 'function_call');
        emitText(startCall(state, payload, events), stringOrUndefined(payload['delta']) ?? '', events);
        return;
      }
      case 'response.function_call_arguments.done': {
        const state = item(outputIndexOf(payload), 'function_call');
        complete(startCall(state, payload, events), stringOrUndefined(payload['arguments']), events);
        return;
      }
      case 'response.custom_tool_call_input.delta': {
        const state = item(outputIndexOf(payload), 'custom_tool_call');
        emitRaw(startCall(state, payload, events, true), stringOrUndefined(payload['delta']) ?? '', events);
        return;
      }
      case 'response.custom_tool_call_input.done': {
        const state = item(outputIndexOf(payload), 'custom_tool_call');
        completeRaw(startCall(state, payload, events, true), stringOrUndefined(payload['input']), events);
        return;
      }
      case 'response.reasoning_summary_part.added': {
        const state = item(outputIndexOf(payload), 'reasoning');
        const part = thinkingPart(state, events);
        if (state.summaries > 0) emitText(part, '\n\n', events);
        state.summaries += 1;
        return;
      }
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta': {
        const state = item(outputIndexOf(payload), 'reasoning');
        emitText(thinkingPart(state, events), stringOrUndefined(payload['delta']) ?? '', events);
        return;
      }
      case 'response.output_item.done': {
        const finished = isRecord(payload['item']) ? payload['item'] : {};
        itemDone(outputIndexOf(payload), finished, events);
        return;
      }
      case 'response.completed':
      case 'response.incomplete':
        if (response !== undefined) {
          replayOutput(response, events);
          finishFrom(response, events);
        }
        return;
      case 'response.failed': {
        for (const state of items.values()) closeItem(state, events);
        const error = response !== undefined && isRecord(response['error']) ? readResponsesError({ error: response['error'] }) : { message: 'the upstream response failed' };
        events.push({ type: 'error', ...error });
        done = true;
        return;
      }
      case 'error': {
        for (const state of items.values()) closeItem(state, events);
        events.push({ type: 'error', ...readResponsesError(payload) });
        done = true;
        return;
      }
      default:
        // response.created/in_progress/queued, annotations, hosted-tool progress, keepalive.
        return;
    }
  }

  function consume(decoded: Array<{ event?: string; data: string }>): IRStreamEvent[] {
    const events: IRStreamEvent[] = [];
    for (const entry of decoded) {
      if (done) break;
      if (entry.data === '[DONE]') continue;
      const payload = parseJsonOrUndefined(entry.data);
      if (isRecord(payload)) handle(payload, entry.event, events);
    }
    return events;
  }

  return {
    push: (chunk) => consume(decoder.push(chunk)),
    end: () => {
      const events = consume(decoder.end());
      if (!done) {
        for (const state of items.values()) closeItem(state, events);
        events.push({ type: 'error', code: 'upstream_protocol_error', message: started ? 'Responses stream ended before response.completed' : 'Responses stream ended without any event' });
        done = true;
      }
      return events;
    },
  };
}
