/**
 * Turns parsed Gemini stream chunks (`GenerateContentResponse` objects) into IR stream
 * events, whatever framing carried them (SSE or a JSON array).
 *
 * - Consecutive text chunks extend one IR text part; `thought: true` chunks one thinking
 *   part. A signature on a non-thought part becomes a signature-only thinking part (see
 *   parts.ts), so IR indices stay dense and ordered.
 * - A function call arrives whole (one part, one arguments delta), or — Vertex's
 *   `streamFunctionCallArguments` — as a named part with `willContinue`, then `partialArgs`
 *   (`jsonPath` + value, strings in pieces), then an empty `functionCall: {}`; those pieces
 *   are assembled and the arguments sent as one delta when the call closes.
 * - Usage is cumulative on every chunk and finishReason may appear on more than one chunk,
 *   so both are reported once, at the end. A stream that ends without a finish reason (or an
 *   error) is reported as an error rather than passed off as complete.
 * - An error object in the stream (as data or bare JSON) ends it with an IR error event.
 */
import type { IRStreamEvent, Signature, Usage } from '../ir.ts';
import { isRecord, stringOrUndefined } from '../shared/json-value-guards.ts';
import type { JsonRecord } from '../shared/json-value-guards.ts';
import { createCallIdSource } from './call-ids.ts';
import type { CallIdSource } from './call-ids.ts';
import { camelizeKeys } from './camelize.ts';
import { readGeminiError } from './errors.ts';
import { parseGeminiFinishReason } from './finish-reason.ts';
import { UNKNOWN_RESPONSE_ID } from './response.ts';
import { parseGeminiUsage } from './usage.ts';

export interface GeminiEventState {
  chunk(value: unknown): IRStreamEvent[];
  /** For payloads that are not JSON at all. */
  malformed(text: string): IRStreamEvent[];
  end(): IRStreamEvent[];
}

type OpenPart = { index: number; kind: 'text' | 'thinking' } | { index: number; kind: 'tool-call'; args: JsonRecord };

export function createGeminiEventState(): GeminiEventState {
  let started = false;
  let finished = false;
  let nextIndex = 0;
  let open: OpenPart | undefined;
  let ids: CallIdSource = createCallIdSource();
  let finishRaw: string | undefined;
  let blocked = false;
  let sawToolCall = false;
  let usage: Usage | undefined;

  function close(into: IRStreamEvent[]): void {
    if (open === undefined) return;
    if (open.kind === 'tool-call') into.push({ type: 'tool-arguments-delta', index: open.index, text: JSON.stringify(open.args) });
    into.push({ type: 'part-end', index: open.index });
    open = undefined;
  }

  function ensure(kind: 'text' | 'thinking', into: IRStreamEvent[]): number {
    if (open !== undefined && open.kind === kind) return open.index;
    close(into);
    const index = nextIndex;
    nextIndex += 1;
    open = { index, kind };
    into.push({ type: 'part-start', index, part: { type: kind } });
    return index;
  }

  function signatureOnly(signature: Signature, into: IRStreamEvent[]): void {
    close(into);
    const index = ensure('thinking', into);
    into.push({ type: 'signature-delta', index, signature });
    close(into);
  }

  function startCall(call: JsonRecord, signature: Signature | undefined, into: IRStreamEvent[]): number {
    close(into);
    const index = nextIndex;
    nextIndex += 1;
    const id = stringOrUndefined(call['id']);
    const part: { type: 'tool-call'; id: string; name: string; signature?: Signature } = {
      type: 'tool-call',
      id: id === undefined || id === '' ? ids.next() : id,
      name: stringOrUndefined(call['name']) ?? '',
    };
    if (signature !== undefined) part.signature = signature;
    into.push({ type: 'part-start', index, part });
    sawToolCall = true;
    return index;
  }

  function handleCall(call: JsonRecord, signature: Signature | undefined, into: IRStreamEvent[]): void {
    const name = stringOrUndefined(call['name']);
    const partialArgs = call['partialArgs'];
    if (open?.kind === 'tool-call') {
      if (Array.isArray(partialArgs)) {
        for (const partial of partialArgs) if (isRecord(partial)) applyPartialArgument(open.args, partial);
        return;
      }
      if (name === undefined) {
        if (call['willContinue'] !== true) close(into);
        return;
      }
      close(into);
    }
    if (name === undefined) return;
    const args = isRecord(call['args']) ? call['args'] : undefined;
    const index = startCall(call, signature, into);
    if (call['willContinue'] === true) {
      open = { index, kind: 'tool-call', args: args === undefined ? {} : { ...args } };
      return;
    }
    into.push({ type: 'tool-arguments-delta', index, text: JSON.stringify(args ?? {}) });
    into.push({ type: 'part-end', index });
  }

  function handleParts(parts: unknown[], into: IRStreamEvent[]): void {
    for (const rawPart of parts) {
      if (!isRecord(rawPart)) continue;
      const part = camelizeKeys(rawPart);
      const signatureValue = stringOrUndefined(part['thoughtSignature']);
      const signature: Signature | undefined = signatureValue === undefined || signatureValue === '' ? undefined : { value: signatureValue, origin: 'gemini' };
      if (isRecord(part['functionCall'])) {
        handleCall(camelizeKeys(part['functionCall']), signature, into);
        continue;
      }
      const text = stringOrUndefined(part['text']);
      if (text !== undefined && part['thought'] === true) {
        const index = ensure('thinking', into);
        if (text !== '') into.push({ type: 'thinking-delta', index, text });
        if (signature !== undefined) into.push({ type: 'signature-delta', index, signature });
        continue;
      }
      if (text !== undefined && text !== '') {
        const index = ensure('text', into);
        into.push({ type: 'text-delta', index, text });
      }
      // Media parts have no IR stream event; their signature (if any) is still kept.
      if (signature !== undefined) signatureOnly(signature, into);
    }
  }

  return {
    chunk(value: unknown): IRStreamEvent[] {
      const events: IRStreamEvent[] = [];
      if (finished || !isRecord(value)) return events;
      const error = readGeminiError(value);
      if (error !== undefined) {
        close(events);
        events.push({ type: 'error', ...error });
        finished = true;
        return events;
      }
      if (!started) {
        started = true;
        const responseId = stringOrUndefined(value['responseId']);
        ids = createCallIdSource(responseId);
        events.push({ type: 'message-start', id: responseId ?? UNKNOWN_RESPONSE_ID, model: stringOrUndefined(value['modelVersion']) ?? '' });
      }
      const candidates = Array.isArray(value['candidates']) ? value['candidates'] : [];
      const candidate = candidates.find(isRecord);
      if (candidate !== undefined) {
        const content = isRecord(candidate['content']) ? candidate['content'] : {};
        const parts = content['parts'];
        if (Array.isArray(parts)) handleParts(parts, events);
        const reason = stringOrUndefined(candidate['finishReason']);
        if (reason !== undefined) finishRaw = reason;
      } else {
        const feedback = value['promptFeedback'];
        const blockReason = isRecord(feedback) ? stringOrUndefined(feedback['blockReason']) : undefined;
        if (blockReason !== undefined) {
          finishRaw = blockReason;
          blocked = true;
        }
      }
      const chunkUsage = parseGeminiUsage(value['usageMetadata']);
      if (chunkUsage !== undefined) usage = chunkUsage;
      return events;
    },
    malformed(text: string): IRStreamEvent[] {
      if (finished) return [];
      const events: IRStreamEvent[] = [];
      close(events);
      events.push({ type: 'error', code: 'upstream_protocol_error', message: `unparseable Gemini stream payload: ${text.slice(0, 200)}` });
      finished = true;
      return events;
    },
    end(): IRStreamEvent[] {
      const events: IRStreamEvent[] = [];
      if (finished) return events;
      finished = true;
      close(events);
      if (usage !== undefined) events.push({ type: 'usage', usage });
      if (finishRaw === undefined) {
        events.push({ type: 'error', code: 'upstream_protocol_error', message: started ? 'Gemini stream ended before a finish reason' : 'Gemini stream ended without any response' });
        return events;
      }
      const reason = blocked ? 'content-filter' : parseGeminiFinishReason(finishRaw, sawToolCall);
      events.push({ type: 'finish', reason, rawReason: finishRaw });
      return events;
    },
  };
}

/** Sets one `partialArgs` entry (`{jsonPath:"$.a.b[0]", stringValue|numberValue|boolValue|nullValue}`). */
export function applyPartialArgument(target: JsonRecord, partial: JsonRecord): void {
  const path = stringOrUndefined(partial['jsonPath']);
  if (path === undefined) return;
  const keys: Array<string | number> = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\]/g;
  for (const match of path.replace(/^\$/, '').matchAll(pattern)) {
    if (match[1] !== undefined) keys.push(match[1]);
    else if (match[2] !== undefined) keys.push(Number(match[2]));
    else keys.push(match[3] ?? match[4] ?? '');
  }
  if (keys.length === 0) return;
  let container: JsonRecord | unknown[] = target;
  for (let position = 0; position < keys.length - 1; position += 1) {
    const key = keys[position] as string | number;
    const nextIsIndex = typeof keys[position + 1] === 'number';
    const current: unknown = Array.isArray(container) ? container[Number(key)] : container[String(key)];
    let child: JsonRecord | unknown[];
    if (Array.isArray(current) || isRecord(current)) child = current;
    else {
      child = nextIsIndex ? [] : {};
      if (Array.isArray(container)) container[Number(key)] = child;
      else container[String(key)] = child;
    }
    container = child;
  }
  const last = keys[keys.length - 1] as string | number;
  const existing: unknown = Array.isArray(container) ? container[Number(last)] : container[String(last)];
  let value: unknown;
  if (typeof partial['stringValue'] === 'string') value = (typeof existing === 'string' ? existing : '') + partial['stringValue'];
  else if ('numberValue' in partial) value = partial['numberValue'];
  else if ('boolValue' in partial) value = partial['boolValue'];
  else if ('nullValue' in partial) value = null;
  else return;
  if (Array.isArray(container)) container[Number(last)] = value;
  else container[String(last)] = value;
}
