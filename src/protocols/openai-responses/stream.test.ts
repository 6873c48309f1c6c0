import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import type { IRRequest, IRStreamEvent } from '../ir.ts';
import { parseResponsesRequest } from './request.ts';
import { createResponsesStreamParser, createResponsesStreamRenderer } from './stream.ts';

const encoder = new TextEncoder();

function parse(chunks: Uint8Array[]): IRStreamEvent[] {
  const parser = createResponsesStreamParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

function assertSplitInvariant(text: string): IRStreamEvent[] {
  const bytes = encoder.encode(text);
  const whole = parse([bytes]);
  for (let cut = 1; cut < bytes.length; cut += 1) {
    assert.deepEqual(parse([bytes.slice(0, cut), bytes.slice(cut)]), whole, `split at byte ${cut}`);
  }
  assert.deepEqual(parse([...bytes].map((byte) => Uint8Array.of(byte))), whole, 'one byte at a time');
  return whole;
}

function sse(events: Array<Record<string, unknown>>, newline = '\n'): string {
  return events.map((event) => `event: ${String(event['type'])}${newline}data: ${JSON.stringify(event)}${newline}${newline}`).join('');
}

const response = (status: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ id: 'resp_s', object: 'response', created_at: 1, status, model: 'gpt-5', output: [], usage: null, ...extra });

/** A reasoning item, a message whose item id rotates on every event (Copilot), a gap in output_index, and a call. */
const upstream: Array<Record<string, unknown>> = [
  { type: 'response.created', sequence_number: 0, response: response('in_progress') },
  { type: 'response.in_progress', sequence_number: 1, response: response('in_progress') },
  { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: 'rs_x', type: 'reasoning', summary: [] } },
  { type: 'response.reasoning_summary_part.added', sequence_number: 3, item_id: 'rs_x', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } },
  { type: 'response.reasoning_summary_text.delta', sequence_number: 4, item_id: 'rs_x', output_index: 0, summary_index: 0, delta: 'Step 1' },
  { type: 'response.reasoning_summary_part.added', sequence_number: 5, item_id: 'rs_x', output_index: 0, summary_index: 1, part: { type: 'summary_text', text: '' } },
  { type: 'response.reasoning_summary_text.delta', sequence_number: 6, item_id: 'rs_x', output_index: 0, summary_index: 1, delta: 'Step 2' },
  { type: 'response.output_item.done', sequence_number: 7, output_index: 0, item: { id: 'rs_x', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Step 1' }, { type: 'summary_text', text: 'Step 2' }], encrypted_content: 'ENC-final' } },
  { type: 'response.output_item.added', sequence_number: 8, output_index: 2, item: { id: 'id-1', type: 'message', role: 'assistant', status: 'in_progress', content: [] } },
  { type: 'response.content_part.added', sequence_number: 9, item_id: 'id-2', output_index: 2, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } },
  { type: 'response.output_text.delta', sequence_number: 10, item_id: 'id-3', output_index: 2, content_index: 0, delta: 'Grüße ' },
  { type: 'response.output_text.delta', sequence_number: 11, item_id: 'id-4', output_index: 2, content_index: 0, delta: '🌍' },
  { type: 'response.output_text.done', sequence_number: 12, item_id: 'id-5', output_index: 2, content_index: 0, text: 'Grüße 🌍!' },
  { type: 'response.content_part.done', sequence_number: 13, item_id: 'id-6', output_index: 2, content_index: 0, part: { type: 'output_text', text: 'Grüße 🌍!', annotations: [] } },
  { type: 'response.output_item.done', sequence_number: 14, output_index: 2, item: { id: 'id-7', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Grüße 🌍!', annotations: [] }] } },
  { type: 'response.output_item.added', sequence_number: 15, output_index: 3, item: { id: 'fc_1', type: 'function_call', status: 'in_progress', call_id: 'call_1', name: 'f', arguments: '' } },
  { type: 'response.function_call_arguments.delta', sequence_number: 16, item_id: 'fc_1', output_index: 3, delta: '{"a":' },
  { type: 'response.function_call_arguments.delta', sequence_number: 17, item_id: 'fc_1', output_index: 3, delta: '1}' },
  { type: 'response.function_call_arguments.done', sequence_number: 18, item_id: 'fc_1', output_index: 3, arguments: '{"a":1}' },
  { type: 'response.output_item.done', sequence_number: 19, output_index: 3, item: { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{"a":1}' } },
  {
    type: 'response.completed',
    sequence_number: 20,
    response: response('completed', { usage: { input_tokens: 4, input_tokens_details: { cached_tokens: 1 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 3 }, total_tokens: 13 } }),
  },
];

const expected: IRStreamEvent[] = [
  { type: 'message-start', id: 'resp_s', model: 'gpt-5', created: 1 },
  { type: 'part-start', index: 0, part: { type: 'thinking' } },
  { type: 'thinking-delta', index: 0, text: 'Step 1' },
  { type: 'thinking-delta', index: 0, text: '\n\n' },
  { type: 'thinking-delta', index: 0, text: 'Step 2' },
  { type: 'signature-delta', index: 0, signature: { value: 'ENC-final', origin: 'openai-responses' } },
  { type: 'part-end', index: 0 },
  { type: 'part-start', index: 1, part: { type: 'text' } },
  { type: 'text-delta', index: 1, text: 'Grüße ' },
  { type: 'text-delta', index: 1, text: '🌍' },
  { type: 'text-delta', index: 1, text: '!' },
  { type: 'part-end', index: 1 },
  { type: 'part-start', index: 2, part: { type: 'tool-call', id: 'call_1', name: 'f' } },
  { type: 'tool-arguments-delta', index: 2, text: '{"a":' },
  { type: 'tool-arguments-delta', index: 2, text: '1}' },
  { type: 'part-end', index: 2 },
  { type: 'usage', usage: { inputTokens: 4, outputTokens: 9, cachedInputTokens: 1, reasoningTokens: 3, totalTokens: 13 } },
  { type: 'finish', reason: 'tool-calls' },
];

describe('createResponsesStreamParser', () => {
  it('correlates by output_index (rotating item ids, index gaps), split at every byte', () => {
    assert.deepEqual(assertSplitInvariant(sse(upstream)), expected);
  });

  it('accepts CRLF framing, comments, data-only events and a last event without its blank line', () => {
    const text = ': hello\r\n\r\n' + upstream.map((event) => `data: ${JSON.stringify(event)}`).join('\r\n\r\n');
    assert.deepEqual(assertSplitInvariant(text), expected);
  });

  it('fills in text from done events when an upstream sends no deltas', () => {
    const events = parse([
      encoder.encode(
        sse([
          { type: 'response.created', response: response('in_progress') },
          { type: 'response.output_item.done', output_index: 0, item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'whole' }, { type: 'refusal', refusal: 'no' }] } },
          { type: 'response.incomplete', response: response('incomplete', { incomplete_details: { reason: 'max_output_tokens' } }) },
        ]),
      ),
    ]);
    assert.deepEqual(events, [
      { type: 'message-start', id: 'resp_s', model: 'gpt-5', created: 1 },
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'whole' },
      { type: 'part-start', index: 1, part: { type: 'text' } },
      { type: 'refusal-delta', index: 1, text: 'no' },
      { type: 'part-end', index: 0 },
      { type: 'part-end', index: 1 },
      { type: 'finish', reason: 'length', rawReason: 'max_output_tokens' },
    ]);
  });

  it('surfaces error events, failed responses and truncated streams as IR errors', () => {
    const nested = parse([encoder.encode(sse([{ type: 'response.created', response: response('in_progress') }, { type: 'error', error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'quota' } }, { type: 'response.failed', response: response('failed') }]))]);
    assert.deepEqual(nested.slice(1), [{ type: 'error', message: 'quota', code: 'insufficient_quota', status: 429 }]);
    const flat = parse([encoder.encode(sse([{ type: 'error', code: 'server_error', message: 'boom', param: null }]))]);
    assert.deepEqual(flat, [{ type: 'error', message: 'boom', code: 'server_error', status: 500 }]);
    const failed = parse([encoder.encode(sse([{ type: 'response.failed', response: response('failed', { error: { code: 'rate_limit_exceeded', message: 'slow' } }) }]))]);
    assert.deepEqual(failed.at(-1), { type: 'error', message: 'slow', code: 'rate_limit_exceeded', status: 429 });
    const truncated = parse([encoder.encode(sse(upstream.slice(0, 11)))]);
    assert.deepEqual(truncated.slice(-3), [
      { type: 'text-delta', index: 1, text: 'Grüße ' },
      { type: 'part-end', index: 1 },
      { type: 'error', code: 'upstream_protocol_error', message: 'Responses stream ended before response.completed' },
    ]);
  });
});

const irEvents: IRStreamEvent[] = [
  { type: 'message-start', id: 'resp_r', model: 'gpt-5', created: 5 },
  { type: 'part-start', index: 0, part: { type: 'thinking' } },
  { type: 'thinking-delta', index: 0, text: 'Why' },
  { type: 'signature-delta', index: 0, signature: { value: 'ENC', origin: 'openai-responses' } },
  { type: 'part-end', index: 0 },
  { type: 'part-start', index: 1, part: { type: 'text' } },
  { type: 'text-delta', index: 1, text: 'Hel' },
  { type: 'text-delta', index: 1, text: 'lo' },
  { type: 'part-end', index: 1 },
  { type: 'part-start', index: 2, part: { type: 'tool-call', id: 'call_7', name: 'collaboration__spawn_agent' } },
  { type: 'tool-arguments-delta', index: 2, text: '{"message":' },
  { type: 'tool-arguments-delta', index: 2, text: '"x"}' },
  { type: 'part-end', index: 2 },
  { type: 'usage', usage: { inputTokens: 3, outputTokens: 8, reasoningTokens: 2 } },
  { type: 'finish', reason: 'tool-calls' },
];

function renderAll(request: IRRequest, events: IRStreamEvent[]): string {
  const renderer = createResponsesStreamRenderer(request);
  return events.map((event) => renderer.render(event)).join('') + renderer.end();
}

function decode(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      const data = JSON.parse((dataLine ?? '').slice('data: '.length)) as Record<string, unknown>;
      assert.equal(eventLine, `event: ${String(data['type'])}`);
      return data;
    });
}

const clientRequest = parseResponsesRequest({
  model: 'gpt-5',
  input: 'go',
  stream: true,
  tools: [{ type: 'namespace', name: 'collaboration', tools: [{ type: 'function', name: 'spawn_agent', parameters: { type: 'object', properties: { message: { type: 'string' } } } }] }],
});

describe('createResponsesStreamRenderer', () => {
  it('emits the documented event sequence with sequence numbers and full done events', () => {
    const events = decode(renderAll(clientRequest, irEvents));
    assert.deepEqual(
      events.map((event) => event['type']),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.reasoning_summary_part.added',
        'response.reasoning_summary_text.delta',
        'response.reasoning_summary_text.done',
        'response.reasoning_summary_part.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assert.deepEqual(events.map((event) => event['sequence_number']), events.map((_event, index) => index));
    assert.deepEqual(events[12], { type: 'response.output_text.done', sequence_number: 12, item_id: 'msg_r_1', output_index: 1, content_index: 0, text: 'Hello', logprobs: [] });
    assert.deepEqual(events[7]?.['item'], { id: 'rs_r_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Why' }], encrypted_content: 'ENC' });
    assert.deepEqual(events[19]?.['item'], { id: 'fc_r_2', type: 'function_call', status: 'completed', call_id: 'call_7', name: 'spawn_agent', arguments: '{"message":"x"}', namespace: 'collaboration' });
    const completed = events[20]?.['response'] as Record<string, unknown>;
    assert.equal(completed['status'], 'completed');
    assert.deepEqual(completed['usage'], { input_tokens: 3, input_tokens_details: { cached_tokens: 0 }, output_tokens: 8, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 11 });
    assert.equal((completed['output'] as unknown[]).length, 3);
  });

  it('is accepted by the official openai SDK responses.stream()', async () => {
    const body = renderAll(clientRequest, irEvents);
    const client = new OpenAI({
      apiKey: 'test',
      baseURL: 'http://gateway.invalid/v1',
      fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    });
    const stream = client.responses.stream({ model: 'gpt-5', input: 'go' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    assert.equal(deltas.join(''), 'Hello');
    assert.equal(final.output_text, 'Hello');
    assert.equal(final.status, 'completed');
    assert.equal(final.usage?.output_tokens, 8);
    const call = final.output.find((item) => item.type === 'function_call');
    assert.equal(call?.type === 'function_call' ? call.arguments : undefined, '{"message":"x"}');
  });

  it('makes the SDK throw on an in-stream error, after a response.failed-ready sequence', async () => {
    const renderer = createResponsesStreamRenderer(clientRequest);
    const body =
      renderer.render({ type: 'message-start', id: 'resp_e', model: 'gpt-5' }) +
      renderer.render({ type: 'part-start', index: 0, part: { type: 'text' } }) +
      renderer.render({ type: 'text-delta', index: 0, text: 'par' }) +
      renderer.render({ type: 'error', status: 429, code: 'rate_limited', message: 'slow down' }) +
      renderer.end();
    const types = decode(body).map((event) => event['type']);
    assert.deepEqual(types.slice(-4), ['response.content_part.done', 'response.output_item.done', 'error', 'response.failed']);
    const client = new OpenAI({ apiKey: 'test', baseURL: 'http://gateway.invalid/v1', fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }) });
    await assert.rejects(client.responses.stream({ model: 'gpt-5', input: 'go' }).finalResponse(), /slow down/);
  });

  it('render → parse gives the IR events back', () => {
    assert.deepEqual(parse([encoder.encode(renderAll(clientRequest, irEvents))]), [
      ...irEvents.slice(0, 9),
      ...irEvents.slice(9, 13),
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 8, cachedInputTokens: 0, reasoningTokens: 2, totalTokens: 11 } },
      irEvents[14],
    ]);
  });

  it('renders length as response.incomplete', () => {
    const events = decode(
      renderAll(clientRequest, [
        { type: 'message-start', id: 'resp_l', model: 'gpt-5' },
        { type: 'part-start', index: 0, part: { type: 'text' } },
        { type: 'text-delta', index: 0, text: 'cut' },
        { type: 'part-end', index: 0 },
        { type: 'finish', reason: 'length' },
      ]),
    );
    const last = events.at(-1);
    assert.equal(last?.['type'], 'response.incomplete');
    assert.deepEqual((last?.['response'] as Record<string, unknown>)['incomplete_details'], { reason: 'max_output_tokens' });
  });
});

describe('createResponsesStreamRenderer with other vendors’ thinking', () => {
  it('renders no reasoning item for a signature-only thinking part of another origin', () => {
    const events = decode(
      renderAll(clientRequest, [
        { type: 'message-start', id: 'resp_g', model: 'gemini-3-pro-preview' },
        { type: 'part-start', index: 0, part: { type: 'text' } },
        { type: 'text-delta', index: 0, text: 'Hi' },
        { type: 'part-end', index: 0 },
        { type: 'part-start', index: 1, part: { type: 'thinking' } },
        { type: 'signature-delta', index: 1, signature: { value: 'gemini-sig', origin: 'gemini' } },
        { type: 'part-end', index: 1 },
        { type: 'finish', reason: 'stop' },
      ]),
    );
    assert.deepEqual(
      events.map((event) => event['type']),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
  });

  it('renders a reasoning item holding only encrypted content', () => {
    const events = decode(
      renderAll(clientRequest, [
        { type: 'message-start', id: 'resp_o', model: 'gpt-5' },
        { type: 'part-start', index: 0, part: { type: 'thinking' } },
        { type: 'signature-delta', index: 0, signature: { value: 'ENC', origin: 'openai-responses' } },
        { type: 'part-end', index: 0 },
        { type: 'finish', reason: 'stop' },
      ]),
    );
    assert.deepEqual(events.map((event) => event['type']), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.output_item.done', 'response.completed']);
    assert.deepEqual(events[3]?.['item'], { id: 'rs_o_0', type: 'reasoning', summary: [], encrypted_content: 'ENC' });
  });
});

describe('custom (freeform) tool calls in streams', () => {
  const patch = 'line "one"\n\tline ✓ two';
  const upstreamCustom: Array<Record<string, unknown>> = [
    { type: 'response.created', response: response('in_progress') },
    { type: 'response.output_item.added', output_index: 0, item: { id: 'ctc_1', type: 'custom_tool_call', status: 'in_progress', call_id: 'call_p', name: 'apply_patch', input: '' } },
    { type: 'response.custom_tool_call_input.delta', output_index: 0, item_id: 'ctc_1', delta: 'line "one"\n' },
    { type: 'response.custom_tool_call_input.delta', output_index: 0, item_id: 'ctc_1', delta: '\tline ✓' },
    { type: 'response.custom_tool_call_input.done', output_index: 0, item_id: 'ctc_1', input: patch },
    { type: 'response.output_item.done', output_index: 0, item: { id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'call_p', name: 'apply_patch', input: patch } },
    { type: 'response.completed', response: response('completed') },
  ];

  it('parses raw input into JSON arguments {input}, split at every byte', () => {
    const events = assertSplitInvariant(sse(upstreamCustom));
    assert.deepEqual(events[1], { type: 'part-start', index: 0, part: { type: 'tool-call', id: 'call_p', name: 'apply_patch' } });
    const args = events.flatMap((event) => (event.type === 'tool-arguments-delta' ? [event.text] : [])).join('');
    assert.deepEqual(JSON.parse(args), { input: patch });
    assert.deepEqual(events.at(-1), { type: 'finish', reason: 'tool-calls' });
  });

  it('renders IR calls of a custom tool as custom_tool_call items the SDK accumulates', async () => {
    const codex = parseResponsesRequest({ model: 'gpt-5', input: 'x', stream: true, tools: [{ type: 'custom', name: 'apply_patch', format: { type: 'text' } }] });
    const body = renderAll(codex, [
      { type: 'message-start', id: 'resp_c', model: 'claude-sonnet-4.5' },
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 'toolu_1', name: 'apply_patch' } },
      { type: 'tool-arguments-delta', index: 0, text: '{"input":"*** Begin' },
      { type: 'tool-arguments-delta', index: 0, text: ' Patch"}' },
      { type: 'part-end', index: 0 },
      { type: 'finish', reason: 'tool-calls' },
    ]);
    const events = decode(body);
    assert.deepEqual(events.map((event) => event['type']), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.deepEqual(events[5]?.['item'], { id: 'ctc_c_0', type: 'custom_tool_call', status: 'completed', call_id: 'toolu_1', name: 'apply_patch', input: '*** Begin Patch' });
    const final = await new OpenAI({ apiKey: 'test', baseURL: 'http://gateway.invalid/v1', fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }) }).responses
      .stream({ model: 'gpt-5', input: 'x' })
      .finalResponse();
    const call = final.output[0];
    assert.equal(call?.type === 'custom_tool_call' ? call.input : undefined, '*** Begin Patch');
  });
});
