/**
 * The nine ways a client can ask the gateway for an answer (four formats, non-streaming
 * and streaming, Gemini streaming as SSE or as a JSON array), and small independent readers
 * of what each one got back: text, refusal, thinking, tool calls, finish word, usage and
 * error, in the client format's own words. Nothing here imports `src/`.
 */
import { summarizeChunks } from './openai-chat-summary.ts';
import { parseServerSentEvents } from './sse-framing.ts';
import { isRecord, responsesFinishWord } from './matrix-facts.ts';

export type ClientFormat = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';

export interface ClientCell {
  /** A short name for test titles: `chat`, `anthropic-stream`, `gemini-array`, … */
  readonly name: string;
  readonly format: ClientFormat;
  readonly stream: boolean;
  /** Gemini streaming without `alt=sse`: one JSON array. */
  readonly geminiArray: boolean;
}

export const NON_STREAMING_CELLS: readonly ClientCell[] = [
  { name: 'chat', format: 'openai-chat', stream: false, geminiArray: false },
  { name: 'responses', format: 'openai-responses', stream: false, geminiArray: false },
  { name: 'anthropic', format: 'anthropic', stream: false, geminiArray: false },
  { name: 'gemini', format: 'gemini', stream: false, geminiArray: false },
];

export const STREAMING_CELLS: readonly ClientCell[] = [
  { name: 'chat-stream', format: 'openai-chat', stream: true, geminiArray: false },
  { name: 'responses-stream', format: 'openai-responses', stream: true, geminiArray: false },
  { name: 'anthropic-stream', format: 'anthropic', stream: true, geminiArray: false },
  { name: 'gemini-sse', format: 'gemini', stream: true, geminiArray: false },
  { name: 'gemini-array', format: 'gemini', stream: true, geminiArray: true },
];

export const CLIENT_KEY = 'sk-matrix-client';

export interface ClientRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The smallest honest request of each format, each with its own way of sending the key. */
export function clientRequest(cell: ClientCell, model: string): ClientRequest {
  const json = { 'content-type': 'application/json' };
  switch (cell.format) {
    case 'openai-chat':
      return {
        path: '/v1/chat/completions',
        headers: { ...json, authorization: `Bearer ${CLIENT_KEY}` },
        body: JSON.stringify({
          model,
          messages: [{ role: 'user', content: 'Hello' }],
          ...(cell.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        }),
      };
    case 'openai-responses':
      return {
        path: '/v1/responses',
        headers: { ...json, authorization: `Bearer ${CLIENT_KEY}` },
        body: JSON.stringify({ model, input: 'Hello', ...(cell.stream ? { stream: true } : {}) }),
      };
    case 'anthropic':
      return {
        path: '/v1/messages',
        headers: { ...json, 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }], ...(cell.stream ? { stream: true } : {}) }),
      };
    case 'gemini': {
      const method = cell.stream ? `streamGenerateContent${cell.geminiArray ? '' : '?alt=sse'}` : 'generateContent';
      return {
        path: `/v1beta/models/${model}:${method}`,
        headers: { ...json, 'x-goog-api-key': CLIENT_KEY },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] }),
      };
    }
  }
}

export interface ObservedToolCall {
  id: string | undefined;
  name: string;
  /** JSON text (Gemini's `args` object re-serialised). */
  arguments: string;
}

export interface ObservedError {
  message: string;
  /** OpenAI `type`, Anthropic `error.type`, Gemini `status`. */
  kind: string | undefined;
  /** Gemini's numeric `code`. */
  code: number | undefined;
}

/** What one client received, in its own format's words. */
export interface Observed {
  text: string;
  refusal: string;
  thinking: string;
  toolCalls: ObservedToolCall[];
  finish: string | undefined;
  /** The format's own usage fields (numbers only, nested details flattened with a dot). */
  usage: Record<string, number> | undefined;
  error: ObservedError | undefined;
}

type Json = Record<string, unknown>;

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function empty(): Observed {
  return { text: '', refusal: '', thinking: '', toolCalls: [], finish: undefined, usage: undefined, error: undefined };
}

/** `{a: 1, b: {c: 2}}` → `{a: 1, 'b.c': 2}`. */
function flatUsage(value: unknown): Record<string, number> | undefined {
  if (!isRecord(value)) return undefined;
  const flat: Record<string, number> = {};
  const walk = (record: Json, prefix: string): void => {
    for (const [key, inner] of Object.entries(record)) {
      if (typeof inner === 'number') flat[prefix + key] = inner;
      else if (isRecord(inner)) walk(inner, `${prefix}${key}.`);
    }
  };
  walk(value, '');
  return flat;
}

/** An error body of the client's own format, or undefined when the body is something else. */
export function errorOf(format: ClientFormat, body: unknown): ObservedError | undefined {
  if (!isRecord(body)) return undefined;
  const error = body['error'];
  if (!isRecord(error) || typeof error['message'] !== 'string') return undefined;
  if (format === 'anthropic') {
    if (body['type'] !== 'error') return undefined;
    return { message: error['message'], kind: str(error['type']) || undefined, code: undefined };
  }
  if (format === 'gemini') return { message: error['message'], kind: str(error['status']) || undefined, code: typeof error['code'] === 'number' ? error['code'] : undefined };
  return { message: error['message'], kind: str(error['type']) || undefined, code: undefined };
}

/** Reads a response body the way a client of `cell` would. */
export function observe(cell: ClientCell, body: Buffer): Observed {
  const source = body.toString('utf8');
  if (!cell.stream) return observeBody(cell.format, JSON.parse(source) as unknown);
  switch (cell.format) {
    case 'openai-chat':
      return observeChatStream(source);
    case 'openai-responses':
      return observeResponsesStream(source);
    case 'anthropic':
      return observeAnthropicStream(source);
    case 'gemini':
      return observeGeminiChunks(cell.geminiArray ? list(JSON.parse(source)) : geminiSsePayloads(source));
  }
}

/** A non-streaming answer (or an error body) of any format. */
export function observeBody(format: ClientFormat, body: unknown): Observed {
  const error = errorOf(format, body);
  if (error !== undefined) return { ...empty(), error };
  switch (format) {
    case 'openai-chat':
      return observeChatBody(body);
    case 'openai-responses':
      return observeResponsesBody(body);
    case 'anthropic':
      return observeAnthropicBody(body);
    case 'gemini':
      return observeGeminiChunks([body]);
  }
}

// ---------- OpenAI Chat ----------

function observeChatBody(body: unknown): Observed {
  const observed = empty();
  if (!isRecord(body)) return observed;
  const choice = list(body['choices']).find((entry) => isRecord(entry) && (entry['index'] ?? 0) === 0);
  if (!isRecord(choice)) return observed;
  const message = isRecord(choice['message']) ? choice['message'] : {};
  observed.text = str(message['content']);
  observed.refusal = str(message['refusal']);
  observed.thinking = str(message['reasoning_content']) || str(message['reasoning']);
  // Content parts (what Mistral's reasoning models send, passed through on the fast path).
  for (const part of list(message['content'])) {
    if (!isRecord(part)) continue;
    if (part['type'] === 'text') observed.text += str(part['text']);
    if (part['type'] === 'thinking') observed.thinking += list(part['thinking']).map((inner) => (isRecord(inner) ? str(inner['text']) : '')).join('');
  }
  for (const call of list(message['tool_calls'])) {
    if (!isRecord(call) || !isRecord(call['function'])) continue;
    observed.toolCalls.push({ id: str(call['id']) || undefined, name: str(call['function']['name']), arguments: str(call['function']['arguments']) });
  }
  observed.finish = str(choice['finish_reason']) || undefined;
  observed.usage = flatUsage(body['usage']);
  return observed;
}

function observeChatStream(source: string): Observed {
  const observed = empty();
  const payloads: unknown[] = [];
  for (const event of parseServerSentEvents(source)) {
    if (event.data === '[DONE]') continue;
    const payload = JSON.parse(event.data) as unknown;
    const error = errorOf('openai-chat', payload);
    if (error !== undefined) {
      observed.error = error;
      continue;
    }
    payloads.push(payload);
  }
  const summary = summarizeChunks(payloads);
  const choice = summary.choices.find((entry) => entry.index === 0);
  if (choice !== undefined) {
    observed.text = choice.content;
    observed.refusal = choice.refusal;
    observed.thinking = choice.reasoningContent + choice.reasoning + choice.thinking;
    observed.toolCalls = choice.toolCalls.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments }));
    observed.finish = choice.finishReason ?? undefined;
  }
  observed.usage = flatUsage(summary.usage);
  return observed;
}

// ---------- OpenAI Responses ----------

function observeResponsesBody(body: unknown): Observed {
  const observed = empty();
  if (!isRecord(body)) return observed;
  for (const item of list(body['output'])) {
    if (!isRecord(item)) continue;
    if (item['type'] === 'message') {
      for (const part of list(item['content'])) {
        if (!isRecord(part)) continue;
        if (part['type'] === 'output_text') observed.text += str(part['text']);
        if (part['type'] === 'refusal') observed.refusal += str(part['refusal']);
      }
    } else if (item['type'] === 'reasoning') {
      for (const summary of list(item['summary'])) if (isRecord(summary)) observed.thinking += str(summary['text']);
    } else if (item['type'] === 'function_call') {
      observed.toolCalls.push({ id: str(item['call_id']) || undefined, name: str(item['name']), arguments: str(item['arguments']) });
    }
  }
  observed.finish = responsesFinishWord(body);
  observed.usage = flatUsage(body['usage']);
  return observed;
}

function observeResponsesStream(source: string): Observed {
  const observed = empty();
  const calls = new Map<number, ObservedToolCall & { streamed: boolean }>();
  for (const event of parseServerSentEvents(source)) {
    const payload = JSON.parse(event.data) as unknown;
    if (!isRecord(payload)) continue;
    const type = payload['type'];
    const outputIndex = typeof payload['output_index'] === 'number' ? payload['output_index'] : -1;
    if (type === 'error') {
      observed.error = { message: str(payload['message']) || (isRecord(payload['error']) ? str(payload['error']['message']) : ''), kind: str(payload['code']) || undefined, code: undefined };
    } else if (type === 'response.output_text.delta') observed.text += str(payload['delta']);
    else if (type === 'response.refusal.delta') observed.refusal += str(payload['delta']);
    else if (type === 'response.reasoning_summary_text.delta') observed.thinking += str(payload['delta']);
    else if ((type === 'response.output_item.added' || type === 'response.output_item.done') && isRecord(payload['item']) && payload['item']['type'] === 'function_call') {
      const item = payload['item'];
      const call = calls.get(outputIndex) ?? { id: str(item['call_id']) || undefined, name: str(item['name']), arguments: '', streamed: false };
      if (type === 'response.output_item.done' && !call.streamed) call.arguments = str(item['arguments']);
      calls.set(outputIndex, call);
    } else if (type === 'response.function_call_arguments.delta') {
      const call = calls.get(outputIndex);
      if (call !== undefined) {
        call.arguments += str(payload['delta']);
        call.streamed = true;
      }
    } else if ((type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') && isRecord(payload['response'])) {
      observed.finish = responsesFinishWord(payload['response']);
      observed.usage = flatUsage(payload['response']['usage']);
    }
  }
  observed.toolCalls = [...calls.entries()].sort(([left], [right]) => left - right).map(([, call]) => ({ id: call.id, name: call.name, arguments: call.arguments }));
  return observed;
}

// ---------- Anthropic ----------

function observeAnthropicBody(body: unknown): Observed {
  const observed = empty();
  if (!isRecord(body)) return observed;
  for (const block of list(body['content'])) {
    if (!isRecord(block)) continue;
    if (block['type'] === 'text') observed.text += str(block['text']);
    else if (block['type'] === 'thinking') observed.thinking += str(block['thinking']);
    else if (block['type'] === 'tool_use') observed.toolCalls.push({ id: str(block['id']) || undefined, name: str(block['name']), arguments: JSON.stringify(block['input'] ?? {}) });
  }
  observed.finish = str(body['stop_reason']) || undefined;
  observed.usage = flatUsage(body['usage']);
  return observed;
}

function observeAnthropicStream(source: string): Observed {
  const observed = empty();
  const blocks = new Map<number, ObservedToolCall>();
  let usage: Json | undefined;
  for (const event of parseServerSentEvents(source)) {
    const payload = JSON.parse(event.data) as unknown;
    if (!isRecord(payload)) continue;
    const type = payload['type'];
    const index = typeof payload['index'] === 'number' ? payload['index'] : -1;
    if (type === 'error') observed.error = errorOf('anthropic', payload);
    else if (type === 'message_start' && isRecord(payload['message']) && isRecord(payload['message']['usage'])) usage = { ...payload['message']['usage'] };
    else if (type === 'content_block_start' && isRecord(payload['content_block'])) {
      const block = payload['content_block'];
      if (block['type'] === 'text') observed.text += str(block['text']);
      if (block['type'] === 'thinking') observed.thinking += str(block['thinking']);
      if (block['type'] === 'tool_use') {
        const call = { id: str(block['id']) || undefined, name: str(block['name']), arguments: '' };
        blocks.set(index, call);
        observed.toolCalls.push(call);
      }
    } else if (type === 'content_block_delta' && isRecord(payload['delta'])) {
      const delta = payload['delta'];
      if (delta['type'] === 'text_delta') observed.text += str(delta['text']);
      else if (delta['type'] === 'thinking_delta') observed.thinking += str(delta['thinking']);
      else if (delta['type'] === 'input_json_delta') {
        const call = blocks.get(index);
        if (call !== undefined) call.arguments += str(delta['partial_json']);
      }
    } else if (type === 'message_delta') {
      if (isRecord(payload['delta'])) observed.finish = str(payload['delta']['stop_reason']) || observed.finish;
      if (isRecord(payload['usage'])) {
        usage ??= {};
        for (const [key, value] of Object.entries(payload['usage'])) if (value !== null && value !== undefined) usage[key] = value;
      }
    }
  }
  for (const call of observed.toolCalls) if (call.arguments === '') call.arguments = '{}';
  observed.usage = flatUsage(usage);
  return observed;
}

// ---------- Gemini ----------

/** The JSON payloads of a Gemini SSE body: `data:` lines, plus any bare JSON outside the framing. */
export function geminiSsePayloads(source: string): unknown[] {
  const payloads: unknown[] = [];
  const stray: string[] = [];
  for (const event of parseServerSentEvents(source.split(/\r?\n/).filter((line) => line === '' || line.startsWith('data:')).join('\n'))) {
    payloads.push(JSON.parse(event.data));
  }
  for (const line of source.split(/\r?\n/)) if (line.trim() !== '' && !line.startsWith('data:')) stray.push(line);
  if (stray.length > 0) payloads.push(JSON.parse(stray.join('\n')));
  return payloads;
}

function observeGeminiChunks(chunks: readonly unknown[]): Observed {
  const observed = empty();
  const calls: Array<{ id: string | undefined; name: string; args: Json }> = [];
  for (const chunk of chunks) {
    if (!isRecord(chunk)) continue;
    const error = errorOf('gemini', chunk);
    if (error !== undefined) {
      observed.error = error;
      continue;
    }
    const candidate = list(chunk['candidates'])[0];
    if (isRecord(candidate)) {
      const content = isRecord(candidate['content']) ? candidate['content'] : {};
      for (const part of list(content['parts'])) {
        if (!isRecord(part)) continue;
        const call = part['functionCall'];
        if (isRecord(call)) {
          if (str(call['name']) !== '') calls.push({ id: str(call['id']) || undefined, name: str(call['name']), args: isRecord(call['args']) ? { ...call['args'] } : {} });
          // Vertex's streamed arguments: pieces addressed by a JSON path, for the last call.
          for (const partial of list(call['partialArgs'])) {
            const current = calls.at(-1);
            if (!isRecord(partial) || current === undefined || typeof partial['jsonPath'] !== 'string') continue;
            const key = partial['jsonPath'].replace(/^\$\./, '');
            if (typeof partial['stringValue'] === 'string') current.args[key] = str(current.args[key]) + partial['stringValue'];
            else if ('numberValue' in partial) current.args[key] = partial['numberValue'];
            else if ('boolValue' in partial) current.args[key] = partial['boolValue'];
          }
        } else if (typeof part['text'] === 'string') {
          if (part['thought'] === true) observed.thinking += part['text'];
          else observed.text += part['text'];
        }
      }
      if (typeof candidate['finishReason'] === 'string') observed.finish = candidate['finishReason'];
    } else if (isRecord(chunk['promptFeedback']) && typeof chunk['promptFeedback']['blockReason'] === 'string') {
      observed.finish = chunk['promptFeedback']['blockReason'];
    }
    const usage = flatUsage(chunk['usageMetadata']);
    if (usage !== undefined && usage['promptTokenCount'] !== undefined) observed.usage = usage;
  }
  observed.toolCalls = calls.map((call) => ({ id: call.id, name: call.name, arguments: JSON.stringify(call.args) }));
  return observed;
}
