/**
 * Kiro's `application/vnd.amazon.eventstream` answer → IR stream events.
 *
 * Bytes go through the frame splitter (chunks may cut frames anywhere) and the codec (CRCs
 * verified); each frame's `:event-type` picks the handling:
 * - `assistantResponseEvent {content}` (and CodeWhisperer's `codeEvent {content}`) → a text
 *   part and its deltas;
 * - `reasoningContentEvent {text, signature}` → a thinking part. The signature is dropped:
 *   Kiro takes no reasoning back, and the IR can only attribute a signature to a client wire
 *   format, where a Kiro one would be sent to a provider that did not make it;
 * - `toolUseEvent {toolUseId, name, input, stop}` → a tool-call part opened on the first sight
 *   of an id, `input` fragments as argument deltas (an object `input` is taken whole when no
 *   fragment came before it), closed on `stop:true`; events for an id already closed are
 *   ignored (a part cannot reopen, and a repeated finished call must not run twice);
 * - `messageMetadataEvent` / `metadataEvent` and `contextUsageEvent` → usage (see usage.ts);
 * - `meteringEvent` (credits, not tokens), `followupPromptEvent` and unknown events → ignored;
 * - `:message-type` `exception` or `error`, or an event type ending in `Exception` or `Error`
 *   (`throttlingError`, … which another gateway reports as events) → an IR error event, after
 *   which the stream is over.
 * One part is open at a time: a new kind of content closes the one before, which is how
 * every client format wants its blocks. Kiro has no closing event, so usage and finish are
 * emitted at the end of input; a stream cut inside a frame, or inside a tool call's JSON,
 * ends with an error event instead of a finish.
 */
import type { StreamParser } from '../adapter.ts';
import type { FinishReason, IRStreamEvent } from '../ir.ts';
import { isRecord, numberOrUndefined, parseJsonOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { kiroProtocolErrorEvent, kiroStreamErrorEvent } from './errors.ts';
import { decodeEventStreamFrame } from './frame-decoder.ts';
import type { DecodedFrame } from './frame-decoder.ts';
import { createEventStreamFrameSplitter } from './frame-splitter.ts';
import { KIRO_EVENT } from './types.ts';
import type { KiroStreamParserOptions } from './types.ts';
import { createKiroUsageTracker } from './usage.ts';

interface OpenPart {
  index: number;
  kind: 'text' | 'thinking' | 'tool-call';
  toolUseId?: string;
  arguments: string;
}

const textDecoder = new TextDecoder();

/**
 * @example
 * const parser = createKiroStreamParser({ toolNames: kiroToolNames(ir), model: ir.model });
 * for await (const chunk of body) emit(parser.push(chunk));
 * emit(parser.end());
 */
export function createKiroStreamParser(options: KiroStreamParserOptions = {}): StreamParser {
  const splitter = createEventStreamFrameSplitter();
  const usage = createKiroUsageTracker(options.contextWindow);
  const closedToolUses = new Set<string>();
  let open: OpenPart | undefined;
  let nextIndex = 0;
  let toolCalls = 0;
  let started = false;
  let framesSeen = 0;
  let done = false;

  function start(out: IRStreamEvent[]): void {
    if (started) return;
    started = true;
    out.push({ type: 'message-start', id: options.messageId ?? '', model: options.model ?? '' });
  }

  function openPart(kind: OpenPart['kind'], out: IRStreamEvent[], toolCall?: { id: string; name: string }): OpenPart {
    closePart(out);
    const part: OpenPart = { index: nextIndex++, kind, arguments: '' };
    if (toolCall === undefined) {
      out.push({ type: 'part-start', index: part.index, part: { type: kind === 'thinking' ? 'thinking' : 'text' } });
    } else {
      part.toolUseId = toolCall.id;
      out.push({ type: 'part-start', index: part.index, part: { type: 'tool-call', id: toolCall.id, name: toolCall.name } });
    }
    open = part;
    return part;
  }

  function closePart(out: IRStreamEvent[]): void {
    if (open === undefined) return;
    if (open.kind === 'tool-call') {
      // A call that received no input takes none: `{}` keeps its arguments valid JSON.
      if (open.arguments === '') out.push({ type: 'tool-arguments-delta', index: open.index, text: '{}' });
      if (open.toolUseId !== undefined) closedToolUses.add(open.toolUseId);
    }
    out.push({ type: 'part-end', index: open.index });
    open = undefined;
  }

  function fail(event: IRStreamEvent, out: IRStreamEvent[]): void {
    start(out);
    closePart(out);
    out.push(event);
    done = true;
  }

  function appendContent(kind: 'text' | 'thinking', text: string, out: IRStreamEvent[]): void {
    if (text === '') return;
    const part = open?.kind === kind ? open : openPart(kind, out);
    out.push({ type: kind === 'text' ? 'text-delta' : 'thinking-delta', index: part.index, text });
    usage.produced(text.length);
  }

  function handleToolUse(payload: JsonRecord, out: IRStreamEvent[]): void {
    const id = stringOrUndefined(payload['toolUseId']) ?? (open?.kind === 'tool-call' ? open.toolUseId : undefined);
    if (id === undefined || closedToolUses.has(id)) return;
    let part = open;
    if (part === undefined || part.kind !== 'tool-call' || part.toolUseId !== id) {
      const wireName = stringOrUndefined(payload['name']) ?? '';
      part = openPart('tool-call', out, { id, name: options.toolNames?.get(wireName) ?? wireName });
      toolCalls += 1;
    }
    const input = payload['input'];
    let text = '';
    if (typeof input === 'string') text = input;
    // Some answers carry the whole input as an object; it can only stand alone.
    else if (isRecord(input) && part.arguments === '' && Object.keys(input).length > 0) text = JSON.stringify(input);
    if (text !== '') {
      part.arguments += text;
      out.push({ type: 'tool-arguments-delta', index: part.index, text });
      usage.produced(text.length);
    }
    if (payload['stop'] === true) closePart(out);
  }

  function handleFrame(frame: DecodedFrame, out: IRStreamEvent[]): void {
    framesSeen += 1;
    start(out);
    const eventType = frame.eventType ?? '';
    if (frame.messageType === 'exception' || frame.messageType === 'error' || /(?:Exception|Error)$/.test(eventType)) {
      fail(kiroStreamErrorEvent(frame.errorType ?? (eventType === '' ? undefined : eventType), frame.errorMessage, frame.body), out);
      return;
    }
    const parsed = parseJsonOrUndefined(textDecoder.decode(frame.body));
    if (!isRecord(parsed)) return;
    // Tolerates a payload wrapped in its own event name, as some CodeWhisperer versions send.
    const payload = isRecord(parsed[eventType]) ? parsed[eventType] : parsed;
    switch (eventType) {
      case KIRO_EVENT.assistantResponse:
      case KIRO_EVENT.code:
        appendContent('text', stringOrUndefined(payload['content']) ?? '', out);
        break;
      case KIRO_EVENT.reasoningContent:
        appendContent('thinking', stringOrUndefined(payload['text']) ?? '', out);
        break;
      case KIRO_EVENT.toolUse:
        handleToolUse(payload, out);
        break;
      case KIRO_EVENT.messageMetadata:
      case KIRO_EVENT.metadata:
        usage.metadata(payload);
        break;
      case KIRO_EVENT.contextUsage: {
        const percentage = numberOrUndefined(payload['contextUsagePercentage']);
        if (percentage !== undefined) usage.contextUsage(percentage);
        break;
      }
      default:
        break;
    }
  }

  function handleFrames(frames: Uint8Array[], out: IRStreamEvent[]): void {
    for (const bytes of frames) {
      if (done) return;
      let frame: DecodedFrame;
      try {
        frame = decodeEventStreamFrame(bytes);
      } catch (error) {
        fail(kiroProtocolErrorEvent(error instanceof Error ? error.message : String(error)), out);
        return;
      }
      handleFrame(frame, out);
    }
  }

  function finish(out: IRStreamEvent[]): void {
    const pending = open;
    if (pending?.kind === 'tool-call' && pending.arguments !== '' && parseJsonOrUndefined(pending.arguments) === undefined) {
      fail(kiroProtocolErrorEvent(`the stream ended inside the input of tool call ${pending.toolUseId ?? ''}`), out);
      return;
    }
    closePart(out);
    const measured = usage.usage();
    if (measured !== undefined) out.push({ type: 'usage', usage: measured });
    const rawReason = usage.stopReason();
    const event: IRStreamEvent = { type: 'finish', reason: toolCalls > 0 ? 'tool-calls' : finishReason(rawReason) };
    if (rawReason !== undefined) event.rawReason = rawReason;
    out.push(event);
    done = true;
  }

  return {
    push(chunk) {
      const out: IRStreamEvent[] = [];
      if (done) return out;
      const split = splitter.push(chunk);
      handleFrames(split.frames, out);
      if (split.error !== undefined && !done) fail(kiroProtocolErrorEvent(split.error.message), out);
      return out;
    },
    end() {
      const out: IRStreamEvent[] = [];
      if (done) return out;
      const error = splitter.end();
      if (error !== undefined) fail(kiroProtocolErrorEvent(error.message), out);
      else if (framesSeen === 0) fail(kiroProtocolErrorEvent('the stream ended without a single event'), out);
      else finish(out);
      return out;
    },
  };
}

function finishReason(raw: string | undefined): FinishReason {
  if (raw === undefined) return 'stop';
  if (/max_?tokens|length/i.test(raw)) return 'length';
  if (/content_?filter/i.test(raw)) return 'content-filter';
  return 'stop';
}
