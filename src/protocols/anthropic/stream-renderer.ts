/**
 * IR stream events → Anthropic Messages SSE, in the shape the official SDK accumulates:
 * `message_start` with a full message object, then per block `content_block_start` /
 * `content_block_delta` / `content_block_stop` (one block open at a time, indices from 0),
 * then `message_delta` with stop_reason and usage, then `message_stop`.
 * Usage and the finish reason are held until `end()` because other formats report usage
 * after their finish chunk; `message_delta` must carry both.
 * Thinking from any origin is shown as a thinking block; only an Anthropic signature is
 * passed on (see response.ts for why the others get an empty one).
 */
import type { StreamRenderer } from '../adapter.ts';
import type { FinishReason, IRRequest, IRStreamEvent, Usage } from '../ir.ts';
import { anthropicErrorStatus, anthropicErrorType } from './errors.ts';
import { renderAnthropicUsage } from './anthropic-usage.ts';
import { renderAnthropicStopReason } from './map-anthropic-stop-reason.ts';
import { sanitizeAnthropicToolId } from './render-anthropic-content.ts';

export function createAnthropicStreamRenderer(request: IRRequest): StreamRenderer {
  let started = false;
  let errored = false;
  let nextBlock = 0;
  let open: { part: number; block: number } | undefined;
  let usage: Usage | undefined;
  let finish: { reason: FinishReason; stopSequence?: string } | undefined;

  function frame(type: string, payload: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
  }

  function messageStart(id: string, model: string, startUsage: Usage | undefined): string {
    started = true;
    const message = { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: renderAnthropicUsage(startUsage) };
    return frame('message_start', { message });
  }

  function ensureStarted(): string {
    return started ? '' : messageStart('msg_cliproxy', request.model, undefined);
  }

  function closeOpen(): string {
    if (open === undefined) return '';
    const text = frame('content_block_stop', { index: open.block });
    open = undefined;
    return text;
  }

  function startBlock(part: number, contentBlock: Record<string, unknown>): string {
    const text = ensureStarted() + closeOpen();
    open = { part, block: nextBlock++ };
    return text + frame('content_block_start', { index: open.block, content_block: contentBlock });
  }

  function delta(part: number, payload: Record<string, unknown>): string {
    return deltaJson(part, JSON.stringify(payload));
  }

  /** A content_block_delta whose delta is already JSON text. */
  function deltaJson(part: number, json: string): string {
    // Deltas for a part whose block is already closed cannot be expressed: blocks do not reopen.
    if (open === undefined || open.part !== part) return '';
    // What frame() writes, without spreading and re-serialising the envelope for every delta.
    return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${open.block},"delta":${json}}\n\n`;
  }

  function render(event: IRStreamEvent): string {
    if (errored) return '';
    switch (event.type) {
      case 'message-start':
        if (started) return '';
        if (event.usage !== undefined) usage = event.usage;
        return messageStart(event.id === '' ? 'msg_cliproxy' : event.id, event.model === '' ? request.model : event.model, event.usage);
      case 'part-start': {
        const part = event.part;
        if (part.type === 'text') return startBlock(event.index, { type: 'text', text: '' });
        if (part.type === 'thinking') return startBlock(event.index, { type: 'thinking', thinking: '', signature: '' });
        if (part.type === 'tool-call') return startBlock(event.index, { type: 'tool_use', id: sanitizeAnthropicToolId(part.id), name: part.name, input: {} });
        if (part.origin === 'anthropic') return startBlock(event.index, { type: 'redacted_thinking', data: part.data });
        return '';
      }
      case 'text-delta':
      case 'refusal-delta':
        // JSON.stringify({ type: 'text_delta', text }) without the object.
        return deltaJson(event.index, `{"type":"text_delta","text":${JSON.stringify(event.text)}}`);
      case 'thinking-delta':
        return delta(event.index, { type: 'thinking_delta', thinking: event.text });
      case 'signature-delta':
        return event.signature.origin === 'anthropic' ? delta(event.index, { type: 'signature_delta', signature: event.signature.value }) : '';
      case 'tool-arguments-delta':
        return delta(event.index, { type: 'input_json_delta', partial_json: event.text });
      case 'part-end':
        return open !== undefined && open.part === event.index ? closeOpen() : '';
      case 'usage':
        usage = event.usage;
        return '';
      case 'finish':
        finish = event.stopSequence === undefined ? { reason: event.reason } : { reason: event.reason, stopSequence: event.stopSequence };
        return '';
      case 'error':
        errored = true;
        return frame('error', { error: { type: errorType(event.status, event.code), message: event.message } });
    }
  }

  return {
    render,
    end(): string {
      if (errored) return '';
      let text = ensureStarted() + closeOpen();
      if (finish !== undefined) {
        const rendered = renderAnthropicUsage(usage);
        text += frame('message_delta', {
          delta: { stop_reason: renderAnthropicStopReason(finish.reason, finish.stopSequence), stop_sequence: finish.stopSequence ?? null },
          usage: { output_tokens: rendered.output_tokens, input_tokens: rendered.input_tokens, cache_creation_input_tokens: rendered.cache_creation_input_tokens, cache_read_input_tokens: rendered.cache_read_input_tokens },
        });
      }
      return text + frame('message_stop', {});
    },
  };
}

/** An Anthropic error type: from the status when known, else the upstream's code if it is one of Anthropic's. */
function errorType(status: number | undefined, code: string | undefined): string {
  if (status !== undefined) return anthropicErrorType(status);
  return code !== undefined && anthropicErrorStatus(code) !== undefined ? code : 'api_error';
}
