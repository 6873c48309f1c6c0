/**
 * OpenAI Chat Completions SSE → IR stream events.
 *
 * What real upstreams send, and how it is read:
 * - `choices: []` chunks (Azure's prompt_filter_results first chunk, the include_usage
 *   chunk) carry no delta; only their usage is read.
 * - Tool calls arrive in fragments keyed by `index` (OpenAI, DeepSeek; one gateway starts at
 *   1), or whole (Groq), or whole without `index` and `type` (Mistral: keyed by `id`). A call
 *   is opened once its name is known; argument text seen before that is held back.
 * - Reasoning arrives as `reasoning_content` (DeepSeek, xAI), `reasoning` (Groq, OpenRouter)
 *   or Mistral `thinking` content parts; refusals as `refusal` deltas.
 * - `data: {"error":{…}}` inside the stream becomes an IR error event.
 * Only choice 0 is followed. Usage is emitted whenever a chunk reports it; the finish event is
 * held until `[DONE]` (or the end of input) so it is always the last event. Input that ends
 * with neither a finish_reason nor `[DONE]` was cut short and ends with an IR error.
 */
import type { StreamParser } from '../adapter.ts';
import type { IRStreamEvent } from '../ir.ts';
import { isRecord, numberOrUndefined, parseJsonOrUndefined, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { createSseEventDecoder } from '../shared/sse-event-decoder.ts';
import { parseOpenAIFinishReason } from './map-openai-finish-reason.ts';
import { parseOpenAIUsage } from './openai-usage.ts';
import { parseOpenAIStreamError } from './errors.ts';
import { TextDeltaReader } from './text-delta-fast.ts';

type SimpleKind = 'text' | 'refusal' | 'thinking';

interface ToolCallState {
  id: string | undefined;
  name: string;
  pendingArguments: string;
  /** Every argument fragment so far, to tell a finished call from one still streaming. */
  allArguments: string;
  index: number | undefined;
  sentArguments: boolean;
}

export function createOpenAIChatStreamParser(): StreamParser {
  const decoder = createSseEventDecoder();
  let started = false;
  let done = false;
  let nextIndex = 0;
  let open: { kind: SimpleKind; index: number } | { kind: 'tool'; index: number; tool: ToolCallState } | undefined;
  const tools = new Map<string, ToolCallState>();
  let lastToolKey: string | undefined;
  let sawRefusal = false;
  let pendingFinish: Extract<IRStreamEvent, { type: 'finish' }> | undefined;
  const textDeltas = new TextDeltaReader();

  function closeOpen(out: IRStreamEvent[]): void {
    if (open === undefined) return;
    if (open.kind === 'tool' && !open.tool.sentArguments) {
      // A call with no argument text at all still hands consumers valid JSON.
      out.push({ type: 'tool-arguments-delta', index: open.index, text: '{}' });
    }
    out.push({ type: 'part-end', index: open.index });
    open = undefined;
  }

  function appendSimple(kind: SimpleKind, text: string, out: IRStreamEvent[]): void {
    if (text === '') return;
    if (open === undefined || open.kind !== kind) {
      closeOpen(out);
      open = { kind, index: nextIndex++ };
      out.push({ type: 'part-start', index: open.index, part: { type: kind === 'thinking' ? 'thinking' : 'text' } });
    }
    const index = open.index;
    if (kind === 'text') out.push({ type: 'text-delta', index, text });
    else if (kind === 'refusal') out.push({ type: 'refusal-delta', index, text });
    else out.push({ type: 'thinking-delta', index, text });
  }

  function startTool(tool: ToolCallState, out: IRStreamEvent[]): void {
    closeOpen(out);
    const index = nextIndex++;
    tool.index = index;
    open = { kind: 'tool', index, tool };
    out.push({ type: 'part-start', index, part: { type: 'tool-call', id: tool.id ?? `call_${index}`, name: tool.name } });
    if (tool.pendingArguments !== '') {
      out.push({ type: 'tool-arguments-delta', index, text: tool.pendingArguments });
      tool.sentArguments = true;
      tool.pendingArguments = '';
    }
  }

  function toolKey(delta: JsonRecord): string {
    const id = stringOrUndefined(delta['id']);
    const wireIndex = numberOrUndefined(delta['index']);
    if (wireIndex !== undefined) {
      const key = `index:${wireIndex}`;
      const known = tools.get(key);
      // Some gateways number every call 0. A new id and name under a used index, once the
      // earlier call's arguments are complete JSON, is a new call; a new id alone is not
      // (others stamp a fresh id on every fragment).
      const fn = isRecord(delta['function']) ? delta['function'] : {};
      const name = stringOrUndefined(fn['name']);
      if (known !== undefined && id !== undefined && id !== '' && known.id !== undefined && known.id !== id
        && name !== undefined && name !== '' && parseJsonOrUndefined(known.allArguments) !== undefined) {
        tools.set(`index:${wireIndex}:${known.id}`, known);
        tools.delete(key);
      }
      return key;
    }
    if (id !== undefined && id !== '') return `id:${id}`;
    return lastToolKey ?? 'index:0';
  }

  function handleToolCallDelta(delta: JsonRecord, out: IRStreamEvent[]): void {
    const key = toolKey(delta);
    lastToolKey = key;
    let tool = tools.get(key);
    if (tool === undefined) {
      tool = { id: undefined, name: '', pendingArguments: '', allArguments: '', index: undefined, sentArguments: false };
      tools.set(key, tool);
    }
    const id = stringOrUndefined(delta['id']);
    if (tool.id === undefined && id !== undefined && id !== '') tool.id = id;
    const fn = isRecord(delta['function']) ? delta['function'] : {};
    const name = stringOrUndefined(fn['name']);
    if (tool.index === undefined && name !== undefined && name !== '') tool.name = name;
    const args = fn['arguments'];
    const text = typeof args === 'string' ? args : isRecord(args) ? JSON.stringify(args) : '';
    tool.allArguments += text;
    if (tool.index === undefined) {
      tool.pendingArguments += text;
      if (tool.name !== '') startTool(tool, out);
    } else if (text !== '') {
      out.push({ type: 'tool-arguments-delta', index: tool.index, text });
      tool.sentArguments = true;
    }
  }

  function handleDelta(delta: JsonRecord, out: IRStreamEvent[]): void {
    const reasoning = stringOrUndefined(delta['reasoning_content']) ?? stringOrUndefined(delta['reasoning']);
    if (reasoning !== undefined) appendSimple('thinking', reasoning, out);
    const content = delta['content'];
    if (typeof content === 'string') appendSimple('text', content, out);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (!isRecord(part)) continue;
        if (part['type'] === 'text') appendSimple('text', stringOrUndefined(part['text']) ?? '', out);
        else if (part['type'] === 'thinking') appendSimple('thinking', mistralThinkingText(part['thinking']), out);
      }
    }
    const refusal = stringOrUndefined(delta['refusal']);
    if (refusal !== undefined && refusal !== '') {
      sawRefusal = true;
      appendSimple('refusal', refusal, out);
    }
    const toolCalls = delta['tool_calls'];
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls) if (isRecord(call)) handleToolCallDelta(call, out);
    }
  }

  function flushToolsWithoutName(out: IRStreamEvent[]): void {
    for (const tool of tools.values()) {
      if (tool.index === undefined) startTool(tool, out);
    }
  }

  function handleChunk(chunk: JsonRecord, out: IRStreamEvent[]): void {
    if (chunk['error'] !== undefined && chunk['error'] !== null) {
      closeOpen(out);
      out.push(parseOpenAIStreamError(chunk['error']));
      pendingFinish = undefined;
      done = true;
      return;
    }
    const choices = Array.isArray(chunk['choices']) ? chunk['choices'] : [];
    const choice = choices.find((candidate): candidate is JsonRecord => isRecord(candidate) && (numberOrUndefined(candidate['index']) ?? 0) === 0);
    const usage = parseOpenAIUsage(chunk['usage']);
    if (!started && (choice !== undefined || usage !== undefined)) {
      started = true;
      const start: IRStreamEvent = { type: 'message-start', id: stringOrUndefined(chunk['id']) ?? '', model: stringOrUndefined(chunk['model']) ?? '' };
      const created = numberOrUndefined(chunk['created']);
      if (created !== undefined) start.created = created;
      out.push(start);
    }
    if (choice !== undefined) {
      if (isRecord(choice['delta']) && pendingFinish === undefined) handleDelta(choice['delta'], out);
      const finishReason = stringOrUndefined(choice['finish_reason']);
      if (finishReason !== undefined && pendingFinish === undefined) {
        flushToolsWithoutName(out);
        closeOpen(out);
        pendingFinish = { type: 'finish', reason: parseOpenAIFinishReason(finishReason, sawRefusal), rawReason: finishReason };
      }
    }
    if (usage !== undefined) out.push({ type: 'usage', usage });
  }

  function finishStream(out: IRStreamEvent[]): void {
    if (done) return;
    done = true;
    flushToolsWithoutName(out);
    closeOpen(out);
    if (pendingFinish !== undefined) out.push(pendingFinish);
  }

  function handleEvents(events: Array<{ data: string }>, out: IRStreamEvent[]): void {
    for (const event of events) {
      if (done) return;
      const data = event.data;
      const text = textDeltas.textOf(data);
      if (text !== undefined) {
        // What handleChunk does with a content-only delta of choice 0 (see TextDeltaReader).
        if (pendingFinish === undefined) appendSimple('text', text, out);
        continue;
      }
      if (data.trim() === '[DONE]') {
        finishStream(out);
        continue;
      }
      const chunk = parseJsonOrUndefined(data);
      if (isRecord(chunk)) {
        handleChunk(chunk, out);
        textDeltas.learn(data, chunk);
      }
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
      if (!done && pendingFinish === undefined) {
        // Neither a finish_reason nor [DONE]: the stream was cut short, which must not pass for complete.
        flushToolsWithoutName(out);
        closeOpen(out);
        out.push({ type: 'error', code: 'upstream_protocol_error', message: 'the chat completion stream ended before a finish_reason or [DONE]' });
        done = true;
      }
      finishStream(out);
      return out;
    },
  };
}

function mistralThinkingText(thinking: unknown): string {
  if (typeof thinking === 'string') return thinking;
  if (!Array.isArray(thinking)) return '';
  return thinking.map((chunk) => (isRecord(chunk) ? (stringOrUndefined(chunk['text']) ?? '') : '')).join('');
}
