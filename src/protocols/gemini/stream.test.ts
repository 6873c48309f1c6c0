import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamParser } from '../adapter.ts';
import type { IRRequest, IRStreamEvent } from '../ir.ts';
import { createGeminiStreamParser, createGeminiStreamRenderer, createJsonArrayStreamParser, createJsonArrayStreamRenderer } from './stream.ts';

const encoder = new TextEncoder();
const request: IRRequest = { model: 'gemini-2.5-flash', system: [], messages: [], tools: [], stream: true, extra: {}, sourceFormat: 'gemini' };

function parse(factory: () => StreamParser, chunks: Uint8Array[]): IRStreamEvent[] {
  const parser = factory();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

/** Every split of the body into two chunks, and into single bytes, must parse like the whole. */
function assertSplitInvariant(factory: () => StreamParser, text: string): IRStreamEvent[] {
  const bytes = encoder.encode(text);
  const whole = parse(factory, [bytes]);
  for (let cut = 1; cut < bytes.length; cut += 1) {
    assert.deepEqual(parse(factory, [bytes.slice(0, cut), bytes.slice(cut)]), whole, `split at byte ${cut}`);
  }
  assert.deepEqual(parse(factory, [...bytes].map((byte) => Uint8Array.of(byte))), whole, 'one byte at a time');
  return whole;
}

const chunk1 = { candidates: [{ content: { role: 'model', parts: [{ text: 'Thinking…', thought: true }] }, index: 0 }], modelVersion: 'gemini-2.5-flash', responseId: 'resp-1' };
const chunk2 = { candidates: [{ content: { role: 'model', parts: [{ text: 'Héllo 🌍 ' }] }, index: 0 }], modelVersion: 'gemini-2.5-flash', responseId: 'resp-1' };
const chunk3 = {
  candidates: [{ content: { role: 'model', parts: [{ text: '日本', thoughtSignature: 'c2ln' }, { functionCall: { name: 'search', args: { q: 'ü' } } }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 6, thoughtsTokenCount: 2, totalTokenCount: 13 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-1',
};

const expectedEvents: IRStreamEvent[] = [
  { type: 'message-start', id: 'resp-1', model: 'gemini-2.5-flash' },
  { type: 'part-start', index: 0, part: { type: 'thinking' } },
  { type: 'thinking-delta', index: 0, text: 'Thinking…' },
  { type: 'part-end', index: 0 },
  { type: 'part-start', index: 1, part: { type: 'text' } },
  { type: 'text-delta', index: 1, text: 'Héllo 🌍 ' },
  { type: 'text-delta', index: 1, text: '日本' },
  { type: 'part-end', index: 1 },
  { type: 'part-start', index: 2, part: { type: 'thinking' } },
  { type: 'signature-delta', index: 2, signature: { value: 'c2ln', origin: 'gemini' } },
  { type: 'part-end', index: 2 },
  { type: 'part-start', index: 3, part: { type: 'tool-call', id: 'call_gemini_resp-1_0', name: 'search' } },
  { type: 'tool-arguments-delta', index: 3, text: '{"q":"ü"}' },
  { type: 'part-end', index: 3 },
  { type: 'usage', usage: { inputTokens: 5, outputTokens: 8, reasoningTokens: 2, totalTokens: 13 } },
  { type: 'finish', reason: 'tool-calls', rawReason: 'STOP' },
];

describe('createGeminiStreamParser (alt=sse)', () => {
  it('parses CRLF-framed events, split at every byte, into dense ordered IR events', () => {
    const body = [chunk1, chunk2, chunk3].map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`).join('');
    assert.deepEqual(assertSplitInvariant(createGeminiStreamParser, body), expectedEvents);
  });

  it('accepts LF framing, comments, and a last event without its blank line', () => {
    const body = `: keep-alive\n\ndata: ${JSON.stringify(chunk1)}\n\ndata: ${JSON.stringify(chunk2)}\n\ndata: ${JSON.stringify(chunk3)}`;
    assert.deepEqual(assertSplitInvariant(createGeminiStreamParser, body), expectedEvents);
  });

  it('turns a bare pretty-printed error object after some events into an IR error event', () => {
    const error = JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }, null, 2);
    const body = `data: ${JSON.stringify(chunk2)}\r\n\r\n${error}\n`;
    assert.deepEqual(assertSplitInvariant(createGeminiStreamParser, body), [
      { type: 'message-start', id: 'resp-1', model: 'gemini-2.5-flash' },
      { type: 'part-start', index: 0, part: { type: 'text' } },
      { type: 'text-delta', index: 0, text: 'Héllo 🌍 ' },
      { type: 'part-end', index: 0 },
      { type: 'error', message: 'The model is overloaded.', status: 503, code: 'UNAVAILABLE' },
    ]);
  });

  it('reports a stream that ends without a finish reason as an error, and a blocked prompt as content-filter', () => {
    const truncated = parse(createGeminiStreamParser, [encoder.encode(`data: ${JSON.stringify(chunk2)}\r\n\r\n`)]);
    assert.deepEqual(truncated.at(-1), { type: 'error', code: 'upstream_protocol_error', message: 'Gemini stream ended before a finish reason' });
    const blocked = parse(createGeminiStreamParser, [encoder.encode(`data: ${JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' } })}\r\n\r\n`)]);
    assert.deepEqual(blocked, [
      { type: 'message-start', id: 'gemini-response', model: '' },
      { type: 'finish', reason: 'content-filter', rawReason: 'SAFETY' },
    ]);
  });

  it('assembles streamed function-call arguments (partialArgs) into one call each', () => {
    const chunks = [
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'book', willContinue: true } }] } }], responseId: 'r' },
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: { partialArgs: [{ jsonPath: '$.city', stringValue: 'New ', willContinue: true }], willContinue: true } }] } }], responseId: 'r' },
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: { partialArgs: [{ jsonPath: '$.city', stringValue: 'York' }, { jsonPath: '$.nights', numberValue: 2 }, { jsonPath: '$.tags[0]', stringValue: 'a' }], willContinue: true } }] } }], responseId: 'r' },
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: {} }] }, finishReason: 'STOP' }], responseId: 'r' },
    ];
    const events = parse(createGeminiStreamParser, [encoder.encode(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`).join(''))]);
    assert.deepEqual(events, [
      { type: 'message-start', id: 'r', model: '' },
      { type: 'part-start', index: 0, part: { type: 'tool-call', id: 'call_gemini_r_0', name: 'book' } },
      { type: 'tool-arguments-delta', index: 0, text: '{"city":"New York","nights":2,"tags":["a"]}' },
      { type: 'part-end', index: 0 },
      { type: 'finish', reason: 'tool-calls', rawReason: 'STOP' },
    ]);
  });
});

describe('createJsonArrayStreamParser', () => {
  it('parses the incrementally written JSON array, split at every byte', () => {
    const body = `[${[chunk1, chunk2, chunk3].map((chunk) => JSON.stringify(chunk, null, 1)).join('\r\n,')}\r\n]`;
    assert.deepEqual(assertSplitInvariant(createJsonArrayStreamParser, body), expectedEvents);
  });

  it('handles braces inside strings and an error object as the body', () => {
    const tricky = { candidates: [{ content: { parts: [{ text: 'a } { "b" \\ ]' }] }, finishReason: 'STOP' }] };
    const events = assertSplitInvariant(createJsonArrayStreamParser, `[${JSON.stringify(tricky)}]`);
    assert.deepEqual(events.filter((event) => event.type === 'text-delta'), [{ type: 'text-delta', index: 0, text: 'a } { "b" \\ ]' }]);
    const failed = parse(createJsonArrayStreamParser, [encoder.encode('{"error":{"code":404,"message":"no model","status":"NOT_FOUND"}}')]);
    assert.deepEqual(failed, [{ type: 'error', message: 'no model', status: 404, code: 'NOT_FOUND' }]);
  });
});

describe('Gemini stream renderers', () => {
  const events: IRStreamEvent[] = [
    { type: 'message-start', id: 'resp-9', model: 'gemini-2.5-pro' },
    { type: 'part-start', index: 0, part: { type: 'thinking' } },
    { type: 'thinking-delta', index: 0, text: 'hm' },
    { type: 'signature-delta', index: 0, signature: { value: 'anthropic-only', origin: 'anthropic' } },
    { type: 'part-end', index: 0 },
    { type: 'part-start', index: 1, part: { type: 'text' } },
    { type: 'text-delta', index: 1, text: 'Hi' },
    { type: 'part-end', index: 1 },
    { type: 'part-start', index: 2, part: { type: 'tool-call', id: 'call_1', name: 'f', signature: { value: 'Z2Vt', origin: 'gemini' } } },
    { type: 'tool-arguments-delta', index: 2, text: '{"a"' },
    { type: 'tool-arguments-delta', index: 2, text: ':1}' },
    { type: 'part-end', index: 2 },
    { type: 'usage', usage: { inputTokens: 1, outputTokens: 5, reasoningTokens: 2, totalTokens: 6 } },
    { type: 'finish', reason: 'tool-calls' },
  ];
  const chunk = (parts: unknown[]): Record<string, unknown> => ({ candidates: [{ content: { role: 'model', parts }, index: 0 }], modelVersion: 'gemini-2.5-pro', responseId: 'resp-9' });
  const expectedChunks = [
    chunk([{ text: 'hm', thought: true }]),
    chunk([{ text: 'Hi' }]),
    chunk([{ functionCall: { name: 'f', args: { a: 1 }, id: 'call_1' }, thoughtSignature: 'Z2Vt' }]),
    {
      candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, index: 0, finishReason: 'STOP' }],
      modelVersion: 'gemini-2.5-pro',
      responseId: 'resp-9',
      usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 3, totalTokenCount: 6, thoughtsTokenCount: 2 },
    },
  ];

  it('renders SSE data events with CRLF framing', () => {
    const renderer = createGeminiStreamRenderer(request);
    const text = events.map((event) => renderer.render(event)).join('') + renderer.end();
    assert.equal(text, expectedChunks.map((entry) => `data: ${JSON.stringify(entry)}\r\n\r\n`).join(''));
  });

  it('renders the JSON-array form', () => {
    const renderer = createJsonArrayStreamRenderer(request);
    const text = events.map((event) => renderer.render(event)).join('') + renderer.end();
    assert.equal(text, `[${expectedChunks.map((entry) => JSON.stringify(entry)).join('\r\n,')}\r\n]`);
    assert.deepEqual(JSON.parse(text), expectedChunks);
  });

  it('render → parse gives the IR events back (Gemini-origin content)', () => {
    const renderer = createGeminiStreamRenderer(request);
    const text = expectedEvents.map((event) => renderer.render(event)).join('') + renderer.end();
    const reparsed = parse(createGeminiStreamParser, [encoder.encode(text)]);
    assert.deepEqual(reparsed, expectedEvents);
    const arrayRenderer = createJsonArrayStreamRenderer(request);
    const arrayText = expectedEvents.map((event) => arrayRenderer.render(event)).join('') + arrayRenderer.end();
    assert.deepEqual(parse(createJsonArrayStreamParser, [encoder.encode(arrayText)]), expectedEvents);
  });

  it('renders an IR error as an in-stream error object and stops', () => {
    const renderer = createGeminiStreamRenderer(request);
    const text = renderer.render({ type: 'message-start', id: 'x', model: 'm' }) + renderer.render({ type: 'error', status: 429, message: 'slow down' }) + renderer.render({ type: 'text-delta', index: 0, text: 'late' }) + renderer.end();
    assert.equal(text, `data: ${JSON.stringify({ error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } })}\r\n\r\n`);
  });
});

describe('Gemini stream edge cases', () => {
  it('ignores empty data and [DONE], and fails on a data payload that is not JSON', () => {
    const body = `data: \r\n\r\ndata: ${JSON.stringify(chunk3)}\r\n\r\ndata: [DONE]\r\n\r\n`;
    const events = parse(createGeminiStreamParser, [encoder.encode(body)]);
    assert.equal(events.at(-1)?.type, 'finish');
    const broken = parse(createGeminiStreamParser, [encoder.encode(`data: ${JSON.stringify(chunk2)}\r\n\r\ndata: {"candidates": [\r\n\r\n`)]);
    assert.deepEqual(broken.slice(-2), [
      { type: 'part-end', index: 0 },
      { type: 'error', code: 'upstream_protocol_error', message: 'unparseable Gemini stream payload: {"candidates": [' },
    ]);
  });

  it('renders an empty JSON array for a stream with no events, and an error alone as its only element', () => {
    const empty = createJsonArrayStreamRenderer(request);
    assert.equal(empty.end(), '[]');
    const failed = createJsonArrayStreamRenderer(request);
    assert.equal(failed.render({ type: 'error', status: 500, message: 'x' }) + failed.end(), '[{"error":{"code":500,"message":"x","status":"INTERNAL"}}\r\n]');
  });
});
