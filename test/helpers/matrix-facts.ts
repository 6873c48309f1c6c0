/**
 * What a recorded upstream answer says, read straight from its JSON payloads (never
 * through `src/protocols`): the text, refusal, thinking, tool calls, finish reason, usage
 * and error, in one neutral shape whatever the upstream protocol. The translation matrix
 * compares what each client format received against these facts.
 *
 * Usage is kept in one convention (the IR's and OpenAI's): `input` counts every input
 * token, cached or not; `output` counts every output token, reasoning included. Each
 * protocol's reader converts: Anthropic adds cache reads and writes to `input_tokens`,
 * Gemini adds `thoughtsTokenCount` to `candidatesTokenCount`.
 */

export type UpstreamProtocol = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';

/** Finish reasons in one vocabulary, so any client's own word for them can be derived. */
export type NeutralFinish = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'refusal' | 'pause' | 'other';

export interface NeutralUsage {
  input: number;
  output: number;
  cached?: number;
  cacheCreation?: number;
  reasoning?: number;
}

export interface FactToolCall {
  id: string | undefined;
  name: string;
  /** The arguments as the model produced them (JSON text; `{}` when it produced none). */
  arguments: string;
}

export interface UpstreamFacts {
  text: string;
  refusal: string;
  thinking: string;
  toolCalls: FactToolCall[];
  /** The upstream's own finish word (`end_turn`, `STOP`, `tool_calls`, `completed`, …). */
  rawFinish: string | undefined;
  finish: NeutralFinish | undefined;
  usage: NeutralUsage | undefined;
  /**
   * An error reported inside a 200 stream: its message, whether it came before any content
   * (text, thinking or a tool call), and the HTTP status its kind stands for, when it names one.
   */
  streamError: { message: string; first: boolean; status: number | undefined } | undefined;
}

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** HTTP statuses of Anthropic's error types (its errors documentation). */
const ANTHROPIC_ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

function streamError(facts: UpstreamFacts, payload: unknown, status: number | undefined): UpstreamFacts['streamError'] {
  const first = facts.text === '' && facts.refusal === '' && facts.thinking === '' && facts.toolCalls.length === 0;
  return { message: errorMessageOf(payload) ?? (isRecord(payload) ? text(payload['message']) : ''), first, status };
}

function emptyFacts(): UpstreamFacts {
  return { text: '', refusal: '', thinking: '', toolCalls: [], rawFinish: undefined, finish: undefined, usage: undefined, streamError: undefined };
}

/** The facts of a stream (its event payloads) or of a JSON body (one payload), per protocol. */
export function factsOf(protocol: UpstreamProtocol, kind: 'stream' | 'json', payloads: readonly unknown[]): UpstreamFacts {
  switch (protocol) {
    case 'openai-chat':
      return kind === 'stream' ? chatStreamFacts(payloads) : chatBodyFacts(payloads[0]);
    case 'anthropic':
      return kind === 'stream' ? anthropicStreamFacts(payloads) : anthropicBodyFacts(payloads[0]);
    case 'gemini':
      return geminiFacts(payloads);
    case 'openai-responses':
      return kind === 'stream' ? responsesStreamFacts(payloads) : responsesBodyFacts(payloads[0]);
  }
}

/** The message an error body carries, in any of the four formats. */
export function errorMessageOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const error = body['error'];
  if (typeof error === 'string') return error;
  if (isRecord(error) && typeof error['message'] === 'string') return error['message'];
  return undefined;
}

// ---------- OpenAI Chat Completions ----------

function chatUsage(value: unknown): NeutralUsage | undefined {
  if (!isRecord(value) || num(value['prompt_tokens']) === undefined) return undefined;
  const usage: NeutralUsage = { input: num(value['prompt_tokens']) ?? 0, output: num(value['completion_tokens']) ?? 0 };
  const cached = isRecord(value['prompt_tokens_details']) ? num(value['prompt_tokens_details']['cached_tokens']) : undefined;
  if (cached !== undefined) usage.cached = cached;
  const reasoning = isRecord(value['completion_tokens_details']) ? num(value['completion_tokens_details']['reasoning_tokens']) : undefined;
  if (reasoning !== undefined) usage.reasoning = reasoning;
  // OpenAI counts reasoning inside completion_tokens; xAI beside it (its total adds all three).
  if (reasoning !== undefined && reasoning > 0 && num(value['total_tokens']) === usage.input + usage.output + reasoning) usage.output += reasoning;
  return usage;
}

function chatFinish(raw: string, refusal: string): NeutralFinish {
  if (raw === 'stop') return refusal !== '' ? 'refusal' : 'stop';
  if (raw === 'length') return 'length';
  if (raw === 'tool_calls' || raw === 'function_call') return 'tool-calls';
  if (raw === 'content_filter') return 'content-filter';
  return 'other';
}

function mistralThinking(part: Json): string {
  const thinking = part['thinking'];
  if (typeof thinking === 'string') return thinking;
  return list(thinking).map((inner) => (isRecord(inner) ? text(inner['text']) : '')).join('');
}

function chatStreamFacts(payloads: readonly unknown[]): UpstreamFacts {
  const facts = emptyFacts();
  const calls = new Map<string, FactToolCall>();
  let lastKey = '';
  for (const payload of payloads) {
    if (!isRecord(payload)) continue;
    if (payload['error'] !== undefined && payload['error'] !== null) {
      facts.toolCalls = [...calls.values()];
      facts.streamError = streamError(facts, payload, undefined);
      break;
    }
    const usage = chatUsage(payload['usage']);
    if (usage !== undefined) facts.usage = usage;
    const choice = list(payload['choices']).find((entry) => isRecord(entry) && (entry['index'] ?? 0) === 0);
    if (!isRecord(choice)) continue;
    if (typeof choice['finish_reason'] === 'string') facts.rawFinish = choice['finish_reason'];
    const delta = isRecord(choice['delta']) ? choice['delta'] : {};
    facts.thinking += text(delta['reasoning_content']) || text(delta['reasoning']);
    if (typeof delta['content'] === 'string') facts.text += delta['content'];
    for (const part of list(delta['content'])) {
      if (!isRecord(part)) continue;
      if (part['type'] === 'text') facts.text += text(part['text']);
      if (part['type'] === 'thinking') facts.thinking += mistralThinking(part);
    }
    facts.refusal += text(delta['refusal']);
    for (const call of list(delta['tool_calls'])) {
      if (!isRecord(call)) continue;
      const key = typeof call['index'] === 'number' ? `index:${call['index']}` : text(call['id']) !== '' ? `id:${text(call['id'])}` : lastKey;
      lastKey = key;
      const fn = isRecord(call['function']) ? call['function'] : {};
      const known = calls.get(key) ?? { id: undefined, name: '', arguments: '' };
      if (known.id === undefined && text(call['id']) !== '') known.id = text(call['id']);
      if (known.name === '') known.name = text(fn['name']);
      known.arguments += typeof fn['arguments'] === 'string' ? fn['arguments'] : isRecord(fn['arguments']) ? JSON.stringify(fn['arguments']) : '';
      calls.set(key, known);
    }
  }
  facts.toolCalls = [...calls.values()].map((call) => ({ ...call, arguments: call.arguments === '' ? '{}' : call.arguments }));
  if (facts.rawFinish !== undefined) facts.finish = chatFinish(facts.rawFinish, facts.refusal);
  return facts;
}

function chatBodyFacts(body: unknown): UpstreamFacts {
  const facts = emptyFacts();
  if (!isRecord(body)) return facts;
  const choice = list(body['choices']).find((entry) => isRecord(entry) && (entry['index'] ?? 0) === 0);
  const message = isRecord(choice) && isRecord(choice['message']) ? choice['message'] : {};
  facts.thinking = text(message['reasoning_content']) || text(message['reasoning']);
  if (typeof message['content'] === 'string') facts.text = message['content'];
  // Mistral's reasoning models answer with content parts: text, and thinking holding text chunks.
  for (const part of list(message['content'])) {
    if (!isRecord(part)) continue;
    if (part['type'] === 'text') facts.text += text(part['text']);
    if (part['type'] === 'thinking') facts.thinking += mistralThinking(part);
  }
  facts.refusal = text(message['refusal']);
  for (const call of list(message['tool_calls'])) {
    if (!isRecord(call) || !isRecord(call['function'])) continue;
    const args = call['function']['arguments'];
    facts.toolCalls.push({ id: text(call['id']) || undefined, name: text(call['function']['name']), arguments: typeof args === 'string' && args !== '' ? args : JSON.stringify(args ?? {}) });
  }
  if (isRecord(choice) && typeof choice['finish_reason'] === 'string') {
    facts.rawFinish = choice['finish_reason'];
    facts.finish = chatFinish(facts.rawFinish, facts.refusal);
  }
  facts.usage = chatUsage(body['usage']);
  return facts;
}

// ---------- Anthropic Messages ----------

function anthropicUsage(value: Json): NeutralUsage | undefined {
  const input = num(value['input_tokens']);
  const output = num(value['output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  const cacheRead = num(value['cache_read_input_tokens']);
  const cacheCreation = num(value['cache_creation_input_tokens']);
  const usage: NeutralUsage = { input: (input ?? 0) + (cacheRead ?? 0) + (cacheCreation ?? 0), output: output ?? 0 };
  if (cacheRead !== undefined) usage.cached = cacheRead;
  if (cacheCreation !== undefined) usage.cacheCreation = cacheCreation;
  return usage;
}

function anthropicFinish(raw: string): NeutralFinish {
  switch (raw) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'refusal';
    case 'pause_turn':
      return 'pause';
    default:
      return 'other';
  }
}

function anthropicStreamFacts(payloads: readonly unknown[]): UpstreamFacts {
  const facts = emptyFacts();
  const blocks = new Map<number, { type: string; call?: FactToolCall }>();
  let usage: Json = {};
  for (const payload of payloads) {
    if (!isRecord(payload)) continue;
    const type = payload['type'];
    if (type === 'error') {
      const kind = isRecord(payload['error']) ? text(payload['error']['type']) : '';
      facts.streamError = streamError(facts, payload, ANTHROPIC_ERROR_STATUS[kind]);
      break;
    }
    if (type === 'message_start' && isRecord(payload['message']) && isRecord(payload['message']['usage'])) {
      usage = { ...payload['message']['usage'] };
    } else if (type === 'content_block_start' && isRecord(payload['content_block'])) {
      const block = payload['content_block'];
      const index = num(payload['index']) ?? 0;
      if (block['type'] === 'tool_use') {
        const call: FactToolCall = { id: text(block['id']) || undefined, name: text(block['name']), arguments: '' };
        facts.toolCalls.push(call);
        blocks.set(index, { type: 'tool_use', call });
      } else {
        blocks.set(index, { type: text(block['type']) });
        if (block['type'] === 'text') facts.text += text(block['text']);
        if (block['type'] === 'thinking') facts.thinking += text(block['thinking']);
      }
    } else if (type === 'content_block_delta' && isRecord(payload['delta'])) {
      const delta = payload['delta'];
      const block = blocks.get(num(payload['index']) ?? 0);
      if (delta['type'] === 'text_delta') facts.text += text(delta['text']);
      else if (delta['type'] === 'thinking_delta') facts.thinking += text(delta['thinking']);
      else if (delta['type'] === 'input_json_delta' && block?.call !== undefined) block.call.arguments += text(delta['partial_json']);
    } else if (type === 'message_delta') {
      if (isRecord(payload['delta']) && typeof payload['delta']['stop_reason'] === 'string') facts.rawFinish = payload['delta']['stop_reason'];
      if (isRecord(payload['usage'])) {
        for (const [key, value] of Object.entries(payload['usage'])) if (value !== null && value !== undefined) usage[key] = value;
      }
    }
  }
  for (const call of facts.toolCalls) if (call.arguments === '') call.arguments = '{}';
  if (facts.rawFinish !== undefined) facts.finish = anthropicFinish(facts.rawFinish);
  facts.usage = anthropicUsage(usage);
  return facts;
}

function anthropicBodyFacts(body: unknown): UpstreamFacts {
  const facts = emptyFacts();
  if (!isRecord(body)) return facts;
  for (const block of list(body['content'])) {
    if (!isRecord(block)) continue;
    if (block['type'] === 'text') facts.text += text(block['text']);
    else if (block['type'] === 'thinking') facts.thinking += text(block['thinking']);
    else if (block['type'] === 'tool_use') facts.toolCalls.push({ id: text(block['id']) || undefined, name: text(block['name']), arguments: JSON.stringify(block['input'] ?? {}) });
  }
  if (typeof body['stop_reason'] === 'string') {
    facts.rawFinish = body['stop_reason'];
    facts.finish = anthropicFinish(facts.rawFinish);
  }
  if (isRecord(body['usage'])) facts.usage = anthropicUsage(body['usage']);
  return facts;
}

// ---------- Gemini ----------

const GEMINI_FILTERED = new Set(['SAFETY', 'RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII', 'IMAGE_SAFETY']);

function geminiUsage(value: Json): NeutralUsage {
  const thoughts = num(value['thoughtsTokenCount']);
  const usage: NeutralUsage = { input: num(value['promptTokenCount']) ?? 0, output: (num(value['candidatesTokenCount']) ?? 0) + (thoughts ?? 0) };
  if (thoughts !== undefined) usage.reasoning = thoughts;
  const cached = num(value['cachedContentTokenCount']);
  if (cached !== undefined) usage.cached = cached;
  return usage;
}

/** Gemini chunks (a stream) or one body: both are `GenerateContentResponse` objects. */
function geminiFacts(payloads: readonly unknown[]): UpstreamFacts {
  const facts = emptyFacts();
  const calls: Array<{ name: string; args: Json }> = [];
  let blocked = false;
  for (const payload of payloads) {
    if (!isRecord(payload)) continue;
    if (payload['error'] !== undefined) {
      facts.toolCalls = calls.map((call) => ({ id: undefined, name: call.name, arguments: JSON.stringify(call.args) }));
      facts.streamError = streamError(facts, payload, isRecord(payload['error']) ? num(payload['error']['code']) : undefined);
      break;
    }
    const candidate = list(payload['candidates'])[0];
    if (isRecord(candidate)) {
      const content = isRecord(candidate['content']) ? candidate['content'] : {};
      for (const part of list(content['parts'])) {
        if (!isRecord(part)) continue;
        const call = part['functionCall'];
        if (isRecord(call)) {
          if (typeof call['name'] === 'string' && call['name'] !== '') calls.push({ name: call['name'], args: isRecord(call['args']) ? { ...call['args'] } : {} });
          // Vertex streams long arguments as partialArgs pieces addressed by a JSON path.
          for (const partial of list(call['partialArgs'])) {
            const current = calls.at(-1);
            if (!isRecord(partial) || current === undefined || typeof partial['jsonPath'] !== 'string') continue;
            const key = partial['jsonPath'].replace(/^\$\./, '');
            if (typeof partial['stringValue'] === 'string') current.args[key] = text(current.args[key]) + partial['stringValue'];
            else if ('numberValue' in partial) current.args[key] = partial['numberValue'];
            else if ('boolValue' in partial) current.args[key] = partial['boolValue'];
          }
        } else if (typeof part['text'] === 'string') {
          if (part['thought'] === true) facts.thinking += part['text'];
          else facts.text += part['text'];
        }
      }
      if (typeof candidate['finishReason'] === 'string') facts.rawFinish = candidate['finishReason'];
    } else if (isRecord(payload['promptFeedback']) && typeof payload['promptFeedback']['blockReason'] === 'string') {
      facts.rawFinish = payload['promptFeedback']['blockReason'];
      blocked = true;
    }
    if (isRecord(payload['usageMetadata']) && num(payload['usageMetadata']['promptTokenCount']) !== undefined) facts.usage = geminiUsage(payload['usageMetadata']);
  }
  facts.toolCalls = calls.map((call) => ({ id: undefined, name: call.name, arguments: JSON.stringify(call.args) }));
  const raw = facts.rawFinish;
  if (raw !== undefined) {
    if (blocked || GEMINI_FILTERED.has(raw)) facts.finish = 'content-filter';
    else if (raw === 'STOP') facts.finish = calls.length > 0 ? 'tool-calls' : 'stop';
    else if (raw === 'MAX_TOKENS') facts.finish = 'length';
    else facts.finish = 'other';
  }
  return facts;
}

// ---------- OpenAI Responses ----------

function responsesUsage(value: unknown): NeutralUsage | undefined {
  if (!isRecord(value) || num(value['input_tokens']) === undefined) return undefined;
  const usage: NeutralUsage = { input: num(value['input_tokens']) ?? 0, output: num(value['output_tokens']) ?? 0 };
  const cached = isRecord(value['input_tokens_details']) ? num(value['input_tokens_details']['cached_tokens']) : undefined;
  if (cached !== undefined) usage.cached = cached;
  const reasoning = isRecord(value['output_tokens_details']) ? num(value['output_tokens_details']['reasoning_tokens']) : undefined;
  if (reasoning !== undefined) usage.reasoning = reasoning;
  return usage;
}

/** `status` plus `incomplete_details.reason`, as one word: `completed`, `incomplete:max_output_tokens`, … */
export function responsesFinishWord(response: Json): string | undefined {
  const status = response['status'];
  if (typeof status !== 'string') return undefined;
  const details = response['incomplete_details'];
  return status === 'incomplete' && isRecord(details) && typeof details['reason'] === 'string' ? `incomplete:${details['reason']}` : status;
}

function responsesFinish(word: string, hasCalls: boolean): NeutralFinish {
  if (word === 'completed') return hasCalls ? 'tool-calls' : 'stop';
  if (word === 'incomplete:max_output_tokens') return 'length';
  if (word === 'incomplete:content_filter') return 'content-filter';
  return 'other';
}

function responsesStreamFacts(payloads: readonly unknown[]): UpstreamFacts {
  const facts = emptyFacts();
  const calls = new Map<number, FactToolCall & { streamed: boolean }>();
  for (const payload of payloads) {
    if (!isRecord(payload)) continue;
    const type = payload['type'];
    const outputIndex = num(payload['output_index']) ?? -1;
    if (type === 'error') {
      facts.toolCalls = [...calls.values()];
      facts.streamError = streamError(facts, payload, undefined);
      break;
    }
    if (type === 'response.output_text.delta') facts.text += text(payload['delta']);
    else if (type === 'response.refusal.delta') facts.refusal += text(payload['delta']);
    else if (type === 'response.reasoning_summary_text.delta') facts.thinking += text(payload['delta']);
    else if ((type === 'response.output_item.added' || type === 'response.output_item.done') && isRecord(payload['item']) && payload['item']['type'] === 'function_call') {
      const item = payload['item'];
      const call = calls.get(outputIndex) ?? { id: text(item['call_id']) || undefined, name: text(item['name']), arguments: '', streamed: false };
      if (type === 'response.output_item.done' && !call.streamed) call.arguments = text(item['arguments']);
      calls.set(outputIndex, call);
    } else if (type === 'response.function_call_arguments.delta') {
      const call = calls.get(outputIndex);
      if (call !== undefined) {
        call.arguments += text(payload['delta']);
        call.streamed = true;
      }
    } else if ((type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') && isRecord(payload['response'])) {
      facts.rawFinish = responsesFinishWord(payload['response']);
      facts.usage = responsesUsage(payload['response']['usage']);
    }
  }
  facts.toolCalls = [...calls.entries()].sort(([left], [right]) => left - right).map(([, call]) => ({ id: call.id, name: call.name, arguments: call.arguments === '' ? '{}' : call.arguments }));
  if (facts.rawFinish !== undefined) facts.finish = responsesFinish(facts.rawFinish, facts.toolCalls.length > 0);
  return facts;
}

function responsesBodyFacts(body: unknown): UpstreamFacts {
  const facts = emptyFacts();
  if (!isRecord(body)) return facts;
  for (const item of list(body['output'])) {
    if (!isRecord(item)) continue;
    if (item['type'] === 'message') {
      for (const part of list(item['content'])) {
        if (!isRecord(part)) continue;
        if (part['type'] === 'output_text') facts.text += text(part['text']);
        if (part['type'] === 'refusal') facts.refusal += text(part['refusal']);
      }
    } else if (item['type'] === 'reasoning') {
      for (const summary of list(item['summary'])) if (isRecord(summary)) facts.thinking += text(summary['text']);
    } else if (item['type'] === 'function_call') {
      facts.toolCalls.push({ id: text(item['call_id']) || undefined, name: text(item['name']), arguments: text(item['arguments']) || '{}' });
    }
  }
  facts.rawFinish = responsesFinishWord(body);
  if (facts.rawFinish !== undefined) facts.finish = responsesFinish(facts.rawFinish, facts.toolCalls.length > 0);
  facts.usage = responsesUsage(body['usage']);
  return facts;
}
