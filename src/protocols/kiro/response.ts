/**
 * A whole Kiro answer → one IRResponse. Kiro always streams; for a non-streaming client the
 * server reads the body to the end and this folds the stream parser's events into the
 * response, so both paths share one decoder. An error event (an exception frame, a corrupt
 * frame) becomes a thrown GatewayError carrying its status.
 */
import { GatewayError } from '../../errors.ts';
import type { ContentPart, IRResponse, IRStreamEvent } from '../ir.ts';
import { createKiroStreamParser } from './stream.ts';
import type { KiroStreamParserOptions } from './types.ts';

/**
 * @example
 * const response = parseKiroResponse(await body.bytes(), { toolNames: kiroToolNames(ir), model: ir.model });
 */
export function parseKiroResponse(bytes: Uint8Array, options: KiroStreamParserOptions = {}): IRResponse {
  const parser = createKiroStreamParser(options);
  return foldKiroEvents([...parser.push(bytes), ...parser.end()]);
}

export function foldKiroEvents(events: IRStreamEvent[]): IRResponse {
  const response: IRResponse = { id: '', model: '', content: [], finishReason: 'other' };
  const parts = new Map<number, ContentPart>();
  for (const event of events) {
    switch (event.type) {
      case 'message-start':
        response.id = event.id;
        response.model = event.model;
        break;
      case 'part-start': {
        const part: ContentPart =
          event.part.type === 'tool-call' ? { type: 'tool-call', id: event.part.id, name: event.part.name, arguments: '' }
          : event.part.type === 'thinking' ? { type: 'thinking', text: '' }
          : { type: 'text', text: '' };
        parts.set(event.index, part);
        response.content.push(part);
        break;
      }
      case 'text-delta':
      case 'thinking-delta': {
        const part = parts.get(event.index);
        if (part?.type === 'text' || part?.type === 'thinking') part.text += event.text;
        break;
      }
      case 'tool-arguments-delta': {
        const part = parts.get(event.index);
        if (part?.type === 'tool-call') part.arguments += event.text;
        break;
      }
      case 'usage':
        response.usage = event.usage;
        break;
      case 'finish':
        response.finishReason = event.reason;
        if (event.rawReason !== undefined) response.rawFinishReason = event.rawReason;
        break;
      case 'error':
        throw new GatewayError(event.status ?? 502, 'upstream_error', event.message, { retryable: true, details: event.code === undefined ? undefined : { upstreamType: event.code } });
      default:
        break;
    }
  }
  return response;
}
