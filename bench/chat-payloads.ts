/**
 * The bytes of the benchmark: the chat request every target receives and the responses the
 * fake upstream sends. One module, so the upstream that produces them and the probe that
 * checks them cannot drift apart.
 */

/** The model name clients send; cliproxy's bench config and the relay both serve it. */
export const benchModel = 'bench-model';

/** A small, realistic Chat Completions request (about 200 bytes, like a short chat turn). */
export function chatRequestBody(stream: boolean): string {
  return JSON.stringify({
    model: benchModel,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Say hello to the benchmark.' },
    ],
    max_tokens: 128,
    temperature: 0,
    stream,
  });
}

const created = 1_764_000_000;
const usage = { prompt_tokens: 21, completion_tokens: 9, total_tokens: 30 };

/** The non-streaming answer: a fixed `chat.completion` with usage. */
export function chatCompletionBody(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello, benchmark.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
    system_fingerprint: 'fp_bench',
  });
}

/**
 * The streaming answer as SSE events, `[DONE]` included: `chunks` `chat.completion.chunk`
 * events (content deltas, then the finish chunk, then the usage chunk with empty `choices`,
 * as OpenAI sends with `stream_options.include_usage`), then `data: [DONE]`.
 */
export function chatCompletionEvents(model: string, chunks: number): string[] {
  if (!Number.isInteger(chunks) || chunks < 2) {
    throw new RangeError(`a stream needs at least 2 chunks (finish and usage), got ${chunks}`);
  }
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_bench' };
  const events: string[] = [];
  for (let index = 0; index < chunks - 2; index++) {
    const delta = index === 0 ? { role: 'assistant', content: 'tok' } : { content: ` tok${index}` };
    events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] }));
  }
  events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }));
  events.push(JSON.stringify({ ...base, choices: [], usage }));
  events.push('[DONE]');
  return events.map((event) => `data: ${event}\n\n`);
}

/** An Anthropic Messages request (`POST /v1/messages`), the same turn as `chatRequestBody`. */
export function anthropicRequestBody(stream: boolean): string {
  return JSON.stringify({
    model: benchModel,
    system: 'You are a terse assistant.',
    messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
    max_tokens: 128,
    temperature: 0,
    stream,
  });
}

/** The non-streaming Anthropic answer: a fixed `message` with usage. */
export function anthropicMessageBody(model: string): string {
  return JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: 'Hello, benchmark.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 21, output_tokens: 9 },
  });
}

/**
 * The streaming Anthropic answer as SSE events: `message_start`, `content_block_start`,
 * `deltas` `content_block_delta` events, `content_block_stop`, `message_delta` (stop reason
 * and usage), `message_stop`.
 */
export function anthropicStreamEvents(model: string, deltas: number): string[] {
  const event = (type: string, data: unknown): string => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  const events = [
    event('message_start', {
      type: 'message_start',
      message: { id: 'msg_bench', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 21, output_tokens: 1 } },
    }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ];
  for (let index = 0; index < deltas; index++) {
    events.push(event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: index === 0 ? 'tok' : ` tok${index}` } }));
  }
  events.push(
    event('content_block_stop', { type: 'content_block_stop', index: 0 }),
    event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: deltas } }),
    event('message_stop', { type: 'message_stop' }),
  );
  return events;
}
