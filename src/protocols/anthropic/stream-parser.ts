/**
 * Anthropic Messages SSE → IR stream events.
 *
 * Events are told apart by the payload's `type` (the `event:` line is only a fallback);
 * JSON padded with spaces parses as any other; `ping` and event types we do not know are
 * skipped, and so are content blocks with no IR form (server_tool_use, web_search_tool_result,
 * …) along with their deltas, which is why Anthropic block indices are renumbered densely.
 * Usage: `message_start` reports input, `message_delta` the cumulative output (and lately
 * input again); the delta is merged over the start so the usage event is always complete.
 * A tool_use block that never received input text gets `{}` so its arguments parse as JSON.
 * A stream that ends before any stop reason ends with an IR error: it was cut short.
 */
import type { StreamParser } from '../adapter.ts';
import type { IRStreamEvent } from '../ir.ts';
import { isRecord, numberOrUndefined, parseJsonOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { createSseEventDecoder } from '../shared/sse-event-decoder.ts';
import { readTextDelta } from './text-delta-fast.ts';
import type { SseEvent } from '../shared/sse-event-decoder.ts';
import { mergeAnthropicUsage, parseAnthropicUsage } from './anthropic-usage.ts';
import { parseAnthropicStreamError } from './errors.ts';
import { parseAnthropicStopReason } from './map-anthropic-stop-reason.ts';

interface OpenBlock {
  index: number;
  kind: 'text' | 'thinking' | 'redacted-thinking' | 'tool-call';
  sentArguments: boolean;
}

export function createAnthropicStreamParser(): StreamParser {
  const decoder = createSseEventDecoder();
  const blocks = new Map<number, OpenBlock>();
  let nextIndex = 0;
  let startUsage: JsonRecord | undefined;
  let done = false;
  let finished = false;

  function startBlock(wireIndex: number, block: JsonRecord, out: IRStreamEvent[]): void {
    const type = block['type'];
    if (type === 'text') {
      const open = openBlock(wireIndex, 'text', out, { type: 'text' });
      const text = stringOrUndefined(block['text']) ?? '';
      if (text !== '') out.push({ type: 'text-delta', index: open.index, text });
    } else if (type === 'thinking') {
      const open = openBlock(wireIndex, 'thinking', out, { type: 'thinking' });
      const text = stringOrUndefined(block['thinking']) ?? '';
      if (text !== '') out.push({ type: 'thinking-delta', index: open.index, text });
      const signature = stringOrUndefined(block['signature']) ?? '';
      if (signature !== '') out.push({ type: 'signature-delta', index: open.index, signature: { value: signature, origin: 'anthropic' } });
    } else if (type === 'redacted_thinking') {
      openBlock(wireIndex, 'redacted-thinking', out, { type: 'redacted-thinking', data: stringOrUndefined(block['data']) ?? '', origin: 'anthropic' });
    } else if (type === 'tool_use') {
      const open = openBlock(wireIndex, 'tool-call', out, { type: 'tool-call', id: stringOrUndefined(block['id']) ?? '', name: stringOrUndefined(block['name']) ?? '' });
      const input = block['input'];
      if (isRecord(input) && Object.keys(input).length > 0) {
        out.push({ type: 'tool-arguments-delta', index: open.index, text: JSON.stringify(input) });
        open.sentArguments = true;
      }
    }
  }

  function openBlock(wireIndex: number, kind: OpenBlock['kind'], out: IRStreamEvent[], part: Extract<IRStreamEvent, { type: 'part-start' }>['part']): OpenBlock {
    const open: OpenBlock = { index: nextIndex++, kind, sentArguments: false };
    blocks.set(wireIndex, open);
    out.push({ type: 'part-start', index: open.index, part });
    return open;
  }

  function stopBlock(wireIndex: number, out: IRStreamEvent[]): void {
    const open = blocks.get(wireIndex);
    if (open === undefined) return;
    if (open.kind === 'tool-call' && !open.sentArguments) out.push({ type: 'tool-arguments-delta', index: open.index, text: '{}' });
    out.push({ type: 'part-end', index: open.index });
    blocks.delete(wireIndex);
  }

  function stopAll(out: IRStreamEvent[]): void {
    for (const wireIndex of [...blocks.keys()]) stopBlock(wireIndex, out);
  }

  function pushText(wireIndex: number, text: string, out: IRStreamEvent[]): void {
    const open = blocks.get(wireIndex);
    if (open !== undefined && text !== '') out.push({ type: 'text-delta', index: open.index, text });
  }

  function handleDelta(wireIndex: number, delta: JsonRecord, out: IRStreamEvent[]): void {
    const open = blocks.get(wireIndex);
    if (open === undefined) return;
    const index = open.index;
    switch (delta['type']) {
      case 'text_delta':
        pushText(wireIndex, stringOrUndefined(delta['text']) ?? '', out);
        break;
      case 'thinking_delta': {
        const text = stringOrUndefined(delta['thinking']) ?? '';
        if (text !== '') out.push({ type: 'thinking-delta', index, text });
        break;
      }
      case 'signature_delta': {
        const signature = stringOrUndefined(delta['signature']) ?? '';
        if (signature !== '') out.push({ type: 'signature-delta', index, signature: { value: signature, origin: 'anthropic' } });
        break;
      }
      case 'input_json_delta': {
        const text = stringOrUndefined(delta['partial_json']) ?? '';
        if (text !== '') {
          out.push({ type: 'tool-arguments-delta', index, text });
          open.sentArguments = true;
        }
        break;
      }
      default:
        break;
    }
  }

  function handlePayload(payload: JsonRecord, eventName: string | undefined, out: IRStreamEvent[]): void {
    const type = stringOrUndefined(payload['type']) ?? eventName;
    const wireIndex = numberOrUndefined(payload['index']) ?? 0;
    switch (type) {
      case 'message_start': {
        const message = isRecord(payload['message']) ? payload['message'] : {};
        startUsage = isRecord(message['usage']) ? message['usage'] : undefined;
        const start: IRStreamEvent = { type: 'message-start', id: stringOrUndefined(message['id']) ?? '', model: stringOrUndefined(message['model']) ?? '' };
        const usage = parseAnthropicUsage(startUsage);
        if (usage !== undefined) start.usage = usage;
        out.push(start);
        break;
      }
      case 'content_block_start':
        if (isRecord(payload['content_block'])) startBlock(wireIndex, payload['content_block'], out);
        break;
      case 'content_block_delta':
        if (isRecord(payload['delta'])) handleDelta(wireIndex, payload['delta'], out);
        break;
      case 'content_block_stop':
        stopBlock(wireIndex, out);
        break;
      case 'message_delta': {
        stopAll(out);
        const usage = parseAnthropicUsage(isRecord(payload['usage']) ? mergeAnthropicUsage(startUsage, payload['usage']) : startUsage);
        if (usage !== undefined) out.push({ type: 'usage', usage });
        const delta = isRecord(payload['delta']) ? payload['delta'] : {};
        const stopReason = stringOrUndefined(delta['stop_reason']);
        if (stopReason !== undefined) {
          const finish: IRStreamEvent = { type: 'finish', reason: parseAnthropicStopReason(stopReason), rawReason: stopReason };
          const stopSequence = stringOrUndefined(delta['stop_sequence']);
          if (stopSequence !== undefined) finish.stopSequence = stopSequence;
          out.push(finish);
          finished = true;
        }
        break;
      }
      case 'message_stop':
        stopAll(out);
        done = true;
        break;
      case 'error':
        stopAll(out);
        out.push(parseAnthropicStreamError(payload));
        done = true;
        break;
      default:
        break;
    }
  }

  function handleEvents(events: SseEvent[], out: IRStreamEvent[]): void {
    for (const event of events) {
      if (done) return;
      // The common event, read without building its objects (same result as parsing it).
      const textDelta = readTextDelta(event.data);
      if (textDelta !== undefined) {
        pushText(textDelta.index, textDelta.text, out);
        continue;
      }
      const payload = parseJsonOrUndefined(event.data);
      if (isRecord(payload)) handlePayload(payload, event.event, out);
    }
  }

  return {
    push(chunk: Uint8Array): IRStreamEvent[] {
      const out: IRStreamEvent[] = [];
      handleEvents(decoder.push(chunk), out);
      return out;
    },
    end(): IRStreamEvent[] {
      const out: IRStreamEvent[] = [];
      handleEvents(decoder.end(), out);
      // A cut-off stream still leaves every part closed, and says it was cut: ending without
      // a stop reason (no message_delta, no message_stop) is an error, not a complete answer.
      stopAll(out);
      if (!done && !finished) {
        out.push({ type: 'error', code: 'upstream_protocol_error', message: 'the Anthropic stream ended before message_stop' });
        done = true;
      }
      return out;
    },
  };
}
