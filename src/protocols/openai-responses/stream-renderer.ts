/**
 * IR stream events → Responses SSE, in the sequence the official `openai` SDK's
 * `responses.stream()` accumulates without complaint: `sequence_number` on every event,
 * `response.created` and `response.in_progress` first, then per item `output_item.added`,
 * (`content_part.added` | `reasoning_summary_part.added`), deltas carrying `item_id`,
 * `output_index` and `content_index`/`summary_index`, the `done` events with the full text,
 * `output_item.done`, and finally `response.completed` (or `response.incomplete`) holding
 * the whole response object with usage. Consecutive IR text parts share one message item.
 * An IR error becomes `event: error` followed by `response.failed`.
 */
import type { StreamRenderer } from '../adapter.ts';
import type { FinishReason, IRRequest, IRStreamEvent, Usage } from '../ir.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { openAIErrorType } from '../openai-chat/errors.ts';
import { customInput } from './custom-tools.ts';
import { responsesErrorEvent } from './errors.ts';
import { outputIds } from './items.ts';
import type { OutputIds } from './items.ts';
import { createNameSplitter } from './namespace.ts';
import { echoRequestFields } from './response.ts';
import { renderResponsesStatus } from './status.ts';
import type { ResponsesIRRequest, ResponsesMessageItem, ResponsesOutputItem } from './types.ts';
import { renderResponsesUsage } from './usage.ts';

type Tracked =
  | { kind: 'text'; outputIndex: number; contentIndex: number; text: string; refusal: boolean; added: boolean }
  | { kind: 'thinking'; outputIndex: number; text: string; added: boolean; encrypted?: string }
  | { kind: 'tool-call'; outputIndex: number; arguments: string; custom: boolean }
  | { kind: 'ignored' };

export function createResponsesStreamRenderer(request: IRRequest): StreamRenderer {
  const hints = request.sourceFormat === 'openai-responses' ? (request as ResponsesIRRequest).openaiResponses : undefined;
  const split = createNameSplitter(hints?.namespaces);
  let sequence = 0;
  let started = false;
  let ended = false;
  let responseId = 'resp_cliproxy';
  let model = request.model;
  let created = 0;
  let ids: OutputIds = outputIds(responseId);
  let usage: Usage | undefined;
  let finish: FinishReason | undefined;
  const output: ResponsesOutputItem[] = [];
  const parts = new Map<number, Tracked>();
  // The request settings every response snapshot echoes: rendered once per stream.
  let echo: JsonRecord | undefined;
  let openMessage: ResponsesMessageItem | undefined;
  /** Content parts allotted in the open message (they are added to it lazily). */
  let openMessageParts = 0;

  function emit(type: string, payload: JsonRecord): string {
    const event = { type, sequence_number: sequence, ...payload };
    sequence += 1;
    return `event: ${type}\ndata: ${JSON.stringify(event)}\n\n`;
  }

  function snapshot(status: string, extra: JsonRecord = {}): JsonRecord {
    return {
      id: responseId,
      object: 'response',
      created_at: created,
      status,
      error: null,
      incomplete_details: null,
      model,
      output: structuredClone(output),
      ...(echo ??= echoRequestFields(request)),
      usage: null,
      ...extra,
    };
  }

  function start(): string {
    if (started) return '';
    started = true;
    return emit('response.created', { response: snapshot('in_progress') }) + emit('response.in_progress', { response: snapshot('in_progress') });
  }

  function closeMessage(): string {
    if (openMessage === undefined) return '';
    const message = openMessage;
    openMessage = undefined;
    message.status = 'completed';
    return emit('response.output_item.done', { output_index: output.indexOf(message), item: structuredClone(message) });
  }

  function addItem(item: ResponsesOutputItem): string {
    output.push(item);
    return emit('response.output_item.added', { output_index: output.length - 1, item: structuredClone(item) });
  }

  function addContentPart(part: Extract<Tracked, { kind: 'text' }>): string {
    if (part.added || openMessage === undefined) return '';
    part.added = true;
    const content = part.refusal ? { type: 'refusal' as const, refusal: '' } : { type: 'output_text' as const, text: '', annotations: [] };
    openMessage.content.push(content);
    return emit('response.content_part.added', { item_id: openMessage.id, output_index: part.outputIndex, content_index: part.contentIndex, part: structuredClone(content) });
  }

  /**
   * The reasoning item is added lazily, on its first summary text or when it ends with
   * encrypted content: thinking with neither (a Gemini signature, say) would be an empty item.
   */
  function ensureReasoningItem(part: Extract<Tracked, { kind: 'thinking' }>): string {
    if (part.outputIndex !== -1) return '';
    const text = addItem({ id: ids.reasoning(output.length), type: 'reasoning', summary: [] });
    part.outputIndex = output.length - 1;
    return text;
  }

  function addSummaryPart(part: Extract<Tracked, { kind: 'thinking' }>): string {
    if (part.added) return '';
    part.added = true;
    const item = output[part.outputIndex];
    if (item?.type === 'reasoning') item.summary.push({ type: 'summary_text', text: '' });
    return emit('response.reasoning_summary_part.added', { item_id: item?.id, output_index: part.outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
  }

  function handle(event: IRStreamEvent): string {
    switch (event.type) {
      case 'message-start':
        if (started) return '';
        responseId = event.id === '' ? responseId : event.id;
        ids = outputIds(responseId);
        if (event.model !== '') model = event.model;
        if (event.created !== undefined) created = event.created;
        if (event.usage !== undefined) usage = event.usage;
        return start();
      case 'part-start': {
        let text = start();
        const part = event.part;
        if (part.type === 'text') {
          if (openMessage === undefined) {
            openMessage = { id: ids.message(output.length), type: 'message', role: 'assistant', status: 'in_progress', content: [] };
            openMessageParts = 0;
            text += addItem(openMessage);
          }
          const outputIndex = output.indexOf(openMessage);
          parts.set(event.index, { kind: 'text', outputIndex, contentIndex: openMessageParts, text: '', refusal: false, added: false });
          openMessageParts += 1;
          return text;
        }
        text += closeMessage();
        if (part.type === 'thinking') {
          parts.set(event.index, { kind: 'thinking', outputIndex: -1, text: '', added: false });
        } else if (part.type === 'tool-call' && hints?.customTools?.[part.name] !== undefined) {
          // Custom tools take raw input: it is sent whole when the call ends (see custom-tools.ts).
          text += addItem({ id: ids.customCall(output.length), type: 'custom_tool_call', status: 'in_progress', call_id: part.id, name: part.name, input: '' });
          parts.set(event.index, { kind: 'tool-call', outputIndex: output.length - 1, arguments: '', custom: true });
        } else if (part.type === 'tool-call') {
          const name = split(part.name);
          const item: ResponsesOutputItem = { id: ids.call(output.length), type: 'function_call', status: 'in_progress', call_id: part.id, name: name.name, arguments: '' };
          if (name.namespace !== undefined) item.namespace = name.namespace;
          text += addItem(item);
          parts.set(event.index, { kind: 'tool-call', outputIndex: output.length - 1, arguments: '', custom: false });
        } else parts.set(event.index, { kind: 'ignored' });
        return text;
      }
      case 'text-delta':
      case 'refusal-delta': {
        const part = parts.get(event.index);
        if (part?.kind !== 'text' || event.text === '') return '';
        if (!part.added) part.refusal = event.type === 'refusal-delta';
        const text = addContentPart(part);
        part.text += event.text;
        const type = part.refusal ? 'response.refusal.delta' : 'response.output_text.delta';
        const payload: JsonRecord = { item_id: output[part.outputIndex]?.id, output_index: part.outputIndex, content_index: part.contentIndex, delta: event.text };
        if (!part.refusal) payload['logprobs'] = [];
        return text + emit(type, payload);
      }
      case 'thinking-delta': {
        const part = parts.get(event.index);
        if (part?.kind !== 'thinking' || event.text === '') return '';
        const text = ensureReasoningItem(part) + addSummaryPart(part);
        part.text += event.text;
        return text + emit('response.reasoning_summary_text.delta', { item_id: output[part.outputIndex]?.id, output_index: part.outputIndex, summary_index: 0, delta: event.text });
      }
      case 'signature-delta': {
        const part = parts.get(event.index);
        if (part?.kind === 'thinking' && event.signature.origin === 'openai-responses') part.encrypted = event.signature.value;
        return '';
      }
      case 'tool-arguments-delta': {
        const part = parts.get(event.index);
        if (part?.kind !== 'tool-call' || event.text === '') return '';
        part.arguments += event.text;
        if (part.custom) return '';
        return emit('response.function_call_arguments.delta', { item_id: output[part.outputIndex]?.id, output_index: part.outputIndex, delta: event.text });
      }
      case 'part-end':
        return endPart(event.index);
      case 'usage':
        usage = event.usage;
        return '';
      case 'finish':
        finish = event.reason;
        return '';
      case 'error':
        return fail(event.code ?? null, event.message, event.status);
    }
  }

  function endPart(index: number): string {
    const part = parts.get(index);
    parts.delete(index);
    if (part === undefined || part.kind === 'ignored') return '';
    let opened = '';
    if (part.kind === 'thinking') {
      if (part.outputIndex === -1 && part.encrypted === undefined) return '';
      opened = ensureReasoningItem(part);
    }
    const item = output[part.outputIndex];
    if (part.kind === 'text') {
      if (item?.type !== 'message') return '';
      let text = addContentPart(part);
      const base = { item_id: item.id, output_index: part.outputIndex, content_index: part.contentIndex };
      if (part.refusal) {
        item.content[part.contentIndex] = { type: 'refusal', refusal: part.text };
        text += emit('response.refusal.done', { ...base, refusal: part.text });
      } else {
        item.content[part.contentIndex] = { type: 'output_text', text: part.text, annotations: [] };
        text += emit('response.output_text.done', { ...base, text: part.text, logprobs: [] });
      }
      return text + emit('response.content_part.done', { ...base, part: structuredClone(item.content[part.contentIndex]) });
    }
    if (part.kind === 'thinking') {
      if (item?.type !== 'reasoning') return opened;
      let text = opened;
      if (part.added) {
        item.summary[0] = { type: 'summary_text', text: part.text };
        const base = { item_id: item.id, output_index: part.outputIndex, summary_index: 0 };
        text += emit('response.reasoning_summary_text.done', { ...base, text: part.text });
        text += emit('response.reasoning_summary_part.done', { ...base, part: { type: 'summary_text', text: part.text } });
      }
      if (part.encrypted !== undefined) item.encrypted_content = part.encrypted;
      return text + emit('response.output_item.done', { output_index: part.outputIndex, item: structuredClone(item) });
    }
    if (item?.type === 'custom_tool_call') {
      const input = customInput(part.arguments);
      item.input = input;
      item.status = 'completed';
      const base = { item_id: item.id, output_index: part.outputIndex };
      return (
        (input === '' ? '' : emit('response.custom_tool_call_input.delta', { ...base, delta: input })) +
        emit('response.custom_tool_call_input.done', { ...base, input }) +
        emit('response.output_item.done', { output_index: part.outputIndex, item: structuredClone(item) })
      );
    }
    if (item?.type !== 'function_call') return '';
    item.arguments = part.arguments;
    item.status = 'completed';
    return (
      emit('response.function_call_arguments.done', { item_id: item.id, output_index: part.outputIndex, arguments: part.arguments }) +
      emit('response.output_item.done', { output_index: part.outputIndex, item: structuredClone(item) })
    );
  }

  function closeAll(): string {
    let text = '';
    for (const index of [...parts.keys()].sort((a, b) => a - b)) text += endPart(index);
    return text + closeMessage();
  }

  function fail(code: string | null, message: string, status: number | undefined): string {
    if (ended) return '';
    ended = true;
    let text = start() + closeAll();
    text += emit('error', responsesErrorEvent(code, message, null, openAIErrorType(status ?? 500)));
    text += emit('response.failed', { response: snapshot('failed', { error: { code: code ?? 'server_error', message } }) });
    return text;
  }

  return {
    render(event: IRStreamEvent): string {
      if (ended) return '';
      return handle(event);
    },
    end(): string {
      if (ended) return '';
      ended = true;
      let text = start() + closeAll();
      const status = renderResponsesStatus(finish ?? 'stop');
      const extra: JsonRecord = { incomplete_details: status.incompleteDetails, usage: usage === undefined ? null : renderResponsesUsage(usage) };
      if (status.status === 'failed') {
        text += emit('response.failed', { response: snapshot('failed', { ...extra, error: { code: 'server_error', message: 'the upstream failed to complete the response' } }) });
      } else {
        text += emit(status.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: snapshot(status.status, extra) });
      }
      return text;
    },
  };
}
