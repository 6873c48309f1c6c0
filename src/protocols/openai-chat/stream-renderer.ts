/**
 * IR stream events → OpenAI Chat Completions SSE, in the shape the official SDKs accumulate:
 * a first delta with `role:"assistant"`, content/refusal/reasoning deltas, tool-call deltas
 * with `index,id,type,function{name,arguments}` first and only `function.arguments` after,
 * a finish chunk, a `choices: []` usage chunk only when the client asked for usage
 * (`stream_options.include_usage`), then `data: [DONE]`.
 * IR part indices are renumbered into OpenAI's own tool-call indices (0, 1, …).
 */
import type { StreamRenderer } from '../adapter.ts';
import type { IRRequest, IRStreamEvent, Usage } from '../ir.ts';
import { openAIErrorType } from './errors.ts';
import { renderOpenAIFinishReason } from './map-openai-finish-reason.ts';
import { renderOpenAIUsage } from './openai-usage.ts';
import type { OpenAIChatCompletionChunk, OpenAIChunkDelta } from './types.ts';

export function createOpenAIChatStreamRenderer(request: IRRequest): StreamRenderer {
  let id = '';
  let model = request.model;
  let created: number | undefined;
  let roleSent = false;
  let usage: Usage | undefined;
  let errored = false;
  let sentRefusal = false;
  const toolIndexByPart = new Map<number, number>();

  function frame(payload: object): string {
    return `data: ${JSON.stringify(payload)}\n\n`;
  }

  /** One timestamp for the whole stream: the upstream's, or the time of the first chunk. */
  function stamp(): number {
    created ??= Math.floor(Date.now() / 1000);
    return created;
  }

  /**
   * The text every chunk starts with, up to its delta: what JSON.stringify writes for an
   * OpenAIChatCompletionChunk, key for key, made once per id, model and timestamp instead of
   * once per chunk (the envelope was most of the rendering's cost).
   */
  let envelope: { id: string; model: string; created: number; prefix: string } | undefined;

  function chunk(delta: OpenAIChunkDelta, finishReason: string | null = null): string {
    return chunkOf(JSON.stringify(delta), finishReason);
  }

  /** A chunk whose delta is already JSON text. */
  function chunkOf(deltaJson: string, finishReason: string | null): string {
    const shownId = id === '' ? 'chatcmpl-cliproxy' : id;
    const time = stamp();
    if (envelope === undefined || envelope.id !== shownId || envelope.model !== model || envelope.created !== time) {
      const head: Omit<OpenAIChatCompletionChunk, 'choices'> = { id: shownId, object: 'chat.completion.chunk', created: time, model };
      envelope = { id: shownId, model, created: time, prefix: `data: ${JSON.stringify(head).slice(0, -1)},"choices":[{"index":0,"delta":` };
    }
    return `${envelope.prefix}${deltaJson},"finish_reason":${finishReason === null ? 'null' : JSON.stringify(finishReason)},"logprobs":null}]}\n\n`;
  }

  /** Every client-visible stream opens with the role delta, even when the upstream skipped its start. */
  function ensureRole(): string {
    if (roleSent) return '';
    roleSent = true;
    return chunk({ role: 'assistant', content: '' });
  }

  function render(event: IRStreamEvent): string {
    if (errored) return '';
    switch (event.type) {
      case 'message-start':
        if (event.id !== '') id = event.id;
        if (event.model !== '') model = event.model;
        if (event.created !== undefined) created = event.created;
        if (event.usage !== undefined) usage = event.usage;
        return ensureRole();
      case 'part-start': {
        if (event.part.type !== 'tool-call') return ensureRole();
        const toolIndex = toolIndexByPart.size;
        toolIndexByPart.set(event.index, toolIndex);
        return ensureRole() + chunk({ tool_calls: [{ index: toolIndex, id: event.part.id, type: 'function', function: { name: event.part.name, arguments: '' } }] });
      }
      case 'text-delta':
        // JSON.stringify({ content }) without the object.
        return ensureRole() + chunkOf(`{"content":${JSON.stringify(event.text)}}`, null);
      case 'refusal-delta':
        sentRefusal = true;
        return ensureRole() + chunk({ refusal: event.text });
      case 'thinking-delta':
        return ensureRole() + chunk({ reasoning_content: event.text });
      case 'tool-arguments-delta': {
        const toolIndex = toolIndexByPart.get(event.index);
        if (toolIndex === undefined) return '';
        return ensureRole() + chunk({ tool_calls: [{ index: toolIndex, function: { arguments: event.text } }] });
      }
      case 'usage':
        usage = event.usage;
        return '';
      case 'finish':
        return ensureRole() + chunk({}, renderOpenAIFinishReason(event.reason, sentRefusal));
      case 'error':
        errored = true;
        return frame({ error: { message: event.message, type: openAIErrorType(event.status ?? 500), param: null, code: event.code ?? null } });
      case 'part-end':
      case 'signature-delta':
        return '';
    }
  }

  return {
    render,
    end(): string {
      let text = '';
      if (!errored && request.includeUsage === true && usage !== undefined) {
        text += frame({ id: id === '' ? 'chatcmpl-cliproxy' : id, object: 'chat.completion.chunk', created: stamp(), model, choices: [], usage: renderOpenAIUsage(usage) });
      }
      return `${text}data: [DONE]\n\n`;
    },
  };
}
