import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextDeltaReader } from './text-delta-fast.ts';
import { createOpenAIChatStreamParser } from './stream-parser.ts';
import type { IRStreamEvent } from '../ir.ts';

const envelope = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1764000000, model: 'gpt-4.1', system_fingerprint: 'fp_1' };
const texts = ['hello', '', 'a "quoted" word', 'back\\slash', 'line\nbreak\ttab', 'unicode é ☃ 😀', '\u0001control', 'ends with \\', '"', '\\u0041 literal', '"},"logprobs":null,"finish_reason":null}]}'];

function chunk(content: unknown, extra: Record<string, unknown> = {}, base: Record<string, unknown> = envelope): string {
  return JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], ...extra });
}

function learnt(data = chunk('first')): TextDeltaReader {
  const reader = new TextDeltaReader();
  reader.learn(data, JSON.parse(data) as Record<string, unknown>);
  return reader;
}

test('reads exactly what JSON.parse reads from chunks with the learnt envelope', () => {
  const reader = learnt();
  for (const text of texts) {
    for (const data of [chunk(text), chunk(text, { obfuscation: 'aB3x' })]) {
      const parsed = JSON.parse(data) as { choices: Array<{ delta: { content: string } }> };
      assert.equal(reader.textOf(data), parsed.choices[0]?.delta.content, data);
    }
  }
});

test('escape sequences written by hand decode like JSON.parse', () => {
  const reader = learnt();
  const prefix = chunk('x').slice(0, chunk('x').indexOf('"content":"') + '"content":"'.length);
  for (const literal of ['\\u00e9\\ud83d\\ude00', '\\"\\\\\\/\\b\\f\\n\\r\\t', 'plain\\u0000nul', '\\\\']) {
    const data = `${prefix}${literal}"},"logprobs":null,"finish_reason":null}]}`;
    assert.equal(reader.textOf(data), (JSON.parse(data) as { choices: Array<{ delta: { content: string } }> }).choices[0]?.delta.content, literal);
  }
});

test('nothing is read before an envelope was learnt, nor after one that did not have the shape', () => {
  assert.equal(new TextDeltaReader().textOf(chunk('x')), undefined);
  const shapes = [
    chunk('x', { usage: { prompt_tokens: 1, completion_tokens: 1 } }),
    chunk('x', { error: { message: 'no' } }),
    chunk('x', { x_groq: { id: 'req_1' } }),
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { role: 'assistant', content: 'x' }, logprobs: null, finish_reason: null }] }),
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: 'stop' }] }),
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: null }, { index: 1, delta: { content: 'y' }, logprobs: null, finish_reason: null }] }),
  ];
  for (const data of shapes) {
    const reader = learnt(data);
    assert.equal(reader.textOf(chunk('x')), undefined, data);
  }
});

test('any other chunk is left to JSON.parse', () => {
  const reader = learnt();
  const others = [
    chunk('x', {}, { ...envelope, id: 'chatcmpl-2' }),
    chunk('x', {}, { ...envelope, created: 1764000001 }),
    chunk('x', { usage: null }),
    chunk('x', { usage: { prompt_tokens: 1, completion_tokens: 2 } }),
    chunk('x', { obfuscation: 'a"b' }),
    chunk('x', { obfuscation: 1 }),
    chunk(['x']),
    chunk(7),
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: 'stop' }] }),
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { content: 'x', refusal: null }, logprobs: null, finish_reason: null }] }),
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: null }, { index: 1, delta: { content: 'y' } }] }),
    `${chunk('x').slice(0, -1)} }`,
    chunk('x').replace('"content":"x"', '"content":"raw\nnewline"'),
    chunk('x').replace('"content":"x"', '"content":"bad \\q escape"'),
    chunk('x').replace('"content":"x"', '"content":"a","content":"b"'),
    '[DONE]',
  ];
  for (const data of others) assert.equal(reader.textOf(data), undefined, data);
});

/** The parser's events for `chunks`, fed as one SSE stream split into pieces of `size` bytes. */
function eventsOf(chunks: string[], size: number): IRStreamEvent[] {
  const parser = createOpenAIChatStreamParser();
  const bytes = Buffer.from(chunks.map((data) => `data: ${data}\n\n`).join(''));
  const events: IRStreamEvent[] = [];
  for (let at = 0; at < bytes.length; at += size) events.push(...parser.push(bytes.subarray(at, at + size)));
  events.push(...parser.end());
  return events;
}

test('the stream parser gives the same events whether chunks are read by hand or parsed', () => {
  const stream = [
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }),
    ...texts.map((text) => chunk(text)),
    chunk('obfuscated', { obfuscation: 'Zx9' }),
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { reasoning_content: 'thinking' }, logprobs: null, finish_reason: null }] }),
    chunk('after thinking'),
    JSON.stringify({ ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }),
    chunk('after the finish: dropped either way'),
    JSON.stringify({ ...envelope, choices: [], usage: { prompt_tokens: 3, completion_tokens: 12 } }),
    '[DONE]',
  ];
  // Read by hand from the second text chunk on (its envelope repeats).
  const expected = eventsOf(stream, 1 << 20);
  const texts2 = expected.filter((event) => event.type === 'text-delta').map((event) => (event as { text: string }).text);
  assert.deepEqual(texts2, ['hello', 'a "quoted" word', 'back\\slash', 'line\nbreak\ttab', 'unicode é ☃ 😀', '\u0001control', 'ends with \\', '"', '\\u0041 literal', '"},"logprobs":null,"finish_reason":null}]}', 'obfuscated', 'after thinking']);
  for (const size of [1, 7, 64, 1000]) assert.deepEqual(eventsOf(stream, size), expected, `split every ${size} bytes`);
  // The same stream with every chunk parsed in full: an envelope that never repeats.
  const fresh = stream.map((data, index) => data.replace('"chatcmpl-1"', `"chatcmpl-1","n":${index}`));
  const parsedInFull = eventsOf(fresh, 1 << 20);
  assert.deepEqual(parsedInFull, expected);
});
