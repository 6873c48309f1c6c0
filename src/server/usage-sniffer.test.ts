import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anthropicUsage, openAIUsage, readUsageFor, UsageSniffer, UsageTap } from './usage-sniffer.ts';

const STREAM = [
  'data: {"id":"a","choices":[{"index":0,"delta":{"content":"the \\"usage\\": {not this}"}}],"usage":null}\n\n',
  'data: {"id":"a","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\n',
  'data: {"id":"a","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46,',
  '"prompt_tokens_details":{"cached_tokens":5},"completion_tokens_details":{"reasoning_tokens":7}}}\n\n',
  'data: [DONE]\n\n',
].join('');

function sniff(chunks: Buffer[], key = 'usage'): Array<Record<string, unknown>> {
  const found: Array<Record<string, unknown>> = [];
  const sniffer = new UsageSniffer(key, (value) => found.push(value));
  for (const chunk of chunks) sniffer.push(chunk);
  return found;
}

test('finds the usage object in an SSE stream, skipping nulls and look-alikes inside strings', () => {
  const found = sniff([Buffer.from(STREAM)]);
  assert.equal(found.length, 1);
  assert.deepEqual(openAIUsage(found[0] as Record<string, unknown>), { input: 12, output: 34, cached: 5, reasoning: 7 });
});

test('gives the same result with the stream split at every byte boundary', () => {
  const bytes = Buffer.from(STREAM);
  const whole = sniff([bytes]);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(sniff([bytes.subarray(0, cut), bytes.subarray(cut)]), whole, `split at ${cut}`);
  }
  // and one byte at a time
  const single: Buffer[] = [];
  for (let index = 0; index < bytes.length; index++) single.push(bytes.subarray(index, index + 1));
  assert.deepEqual(sniff(single), whole);
});

test('reads a non-streaming body and other key names (Gemini usageMetadata)', () => {
  const body = Buffer.from('{"candidates":[],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4}}');
  assert.deepEqual(sniff([body], 'usageMetadata'), [{ promptTokenCount: 3, candidatesTokenCount: 4 }]);
  assert.deepEqual(sniff([body]), [], '"usage" is not a prefix match of "usageMetadata"');
});

test('strings with braces and escaped quotes inside the usage object do not end it early', () => {
  const body = Buffer.from('{"usage":{"note":"a } \\" {","prompt_tokens":1,"completion_tokens":2}}');
  assert.deepEqual(sniff([body]), [{ note: 'a } " {', prompt_tokens: 1, completion_tokens: 2 }]);
});

test('UsageTap reads the first chunk and the tail only, and Anthropic usage merges across both', () => {
  const start = 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}}}\n\n';
  const middle = `event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"${'x'.repeat(200_000)}"}}\n\n`;
  const finish = 'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":42}}\n\n';
  const read = readUsageFor('anthropic');
  let last: ReturnType<typeof anthropicUsage> | undefined;
  const tap = new UsageTap('usage', (value) => { last = read(value); });
  const chunks = [start, ...middle.match(/[\s\S]{1,7000}/g) ?? [], finish].map((text) => Buffer.from(text));
  for (const chunk of chunks) tap.push(chunk);
  tap.end();
  assert.deepEqual(last, { input: 15, output: 42, cached: 5, reasoning: 0 });
});

test('UsageTap finds usage in a body smaller than its tail window', () => {
  let found: Record<string, unknown> | undefined;
  const tap = new UsageTap('usage', (value) => { found = value; }, 1024);
  tap.push(Buffer.from('{"id":"x","usage":{"prompt_tokens":3,'));
  tap.push(Buffer.from('"completion_tokens":4}}'));
  tap.end();
  assert.deepEqual(found, { prompt_tokens: 3, completion_tokens: 4 });
  assert.deepEqual(openAIUsage(found as Record<string, unknown>), { input: 3, output: 4, cached: 0, reasoning: 0 });
});

test('UsageTap parses the usage of a one-chunk body once, not again at the end', () => {
  const seen: Record<string, unknown>[] = [];
  const tap = new UsageTap('usage', (value) => seen.push(value));
  tap.push(Buffer.from('{"id":"x","usage":null,"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}'));
  tap.end();
  assert.deepEqual(seen, [{ prompt_tokens: 3, completion_tokens: 4 }]);
  // Two chunks: the first is sniffed as it comes, the tail at the end; the last object is read there.
  const twice: Record<string, unknown>[] = [];
  const split = new UsageTap('usage', (value) => twice.push(value));
  split.push(Buffer.from('{"id":"x","usage":{"prompt_tokens":1},'));
  split.push(Buffer.from('"usage":{"prompt_tokens":2}}'));
  split.end();
  assert.deepEqual(twice.at(-1), { prompt_tokens: 2 });
});

test('UsageTap keeps a bounded tail over a long stream of small chunks, and still finds the last usage', () => {
  let found: Record<string, unknown> | undefined;
  const tap = new UsageTap('usage', (value) => { found = value; }, 512);
  const event = (text: string): Buffer => Buffer.from(`data: {"choices":[{"delta":{"content":"${text}"}}],"usage":null}\n\n`);
  for (let index = 0; index < 1000; index++) tap.push(event(`piece ${index}`));
  tap.push(Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":7,'));
  tap.push(Buffer.from('"completion_tokens":1000}}\n\n'));
  tap.push(Buffer.from('data: [DONE]\n\n'));
  tap.end();
  assert.deepEqual(found, { prompt_tokens: 7, completion_tokens: 1000 });
});

test('UsageTap reads no usage that starts more than tailBytes before the end (the documented bound)', () => {
  let found: Record<string, unknown> | undefined;
  const tap = new UsageTap('usage', (value) => { found = value; }, 256);
  tap.push(Buffer.from('{"id":"x",'));
  tap.push(Buffer.from('"usage":{"prompt_tokens":1,"completion_tokens":2},'));
  for (let index = 0; index < 40; index++) tap.push(Buffer.from(`"pad${index}":"${'x'.repeat(20)}",`));
  tap.push(Buffer.from('"end":true}'));
  tap.end();
  assert.equal(found, undefined);
});

test('UsageTap finds the last usage under any chunking, its bounded tail compacted again and again', () => {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let round = 0; round < 200; round++) {
    const filler = Array.from({ length: 20 + Math.floor(random() * 200) }, (_, index) => `data: {"n":${index},"usage":null}\n\n`).join('');
    const body = Buffer.from(`${filler}data: {"usage":{"prompt_tokens":${round},"completion_tokens":${round * 2}}}\n\ndata: [DONE]\n\n`);
    let found: Record<string, unknown> | undefined;
    const tap = new UsageTap('usage', (value) => { found = value; }, 128);
    for (let at = 0; at < body.length;) {
      const size = 1 + Math.floor(random() * 60);
      tap.push(body.subarray(at, at + size));
      at += size;
    }
    tap.end();
    assert.deepEqual(found, { prompt_tokens: round, completion_tokens: round * 2 }, `round ${round}`);
  }
});

test('UsageTap reads a first read holding a whole stream at its start and its end only', () => {
  const event = (index: number): string => `data: {"candidates":[{"content":{"parts":[{"text":"piece ${index}"}]}}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":${index}}}\n\n`;
  const stream = Buffer.from(Array.from({ length: 200 }, (_, index) => event(index + 1)).join(''));
  const seen: Record<string, unknown>[] = [];
  const tap = new UsageTap('usageMetadata', (value) => seen.push(value), 1024);
  tap.push(stream);
  tap.end();
  assert.ok(stream.length > 20 * 1024);
  assert.deepEqual(seen.at(-1), { promptTokenCount: 5, candidatesTokenCount: 200 });
  // The objects in between are never parsed: only those in the first 1 KiB, then the last one.
  assert.ok(seen.length < 10, `${seen.length} objects parsed`);
  assert.deepEqual(seen[0], { promptTokenCount: 5, candidatesTokenCount: 1 });
});

test('UsageTap merges Anthropic usage from message_start and message_delta arriving in one read', () => {
  const start = 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}}\n\n';
  const deltas = Array.from({ length: 100 }, (_, index) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token ${index}"}}\n\n`).join('');
  const finish = 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":100}}\n\n';
  const read = readUsageFor('anthropic');
  let last: ReturnType<typeof anthropicUsage> | undefined;
  const tap = new UsageTap('usage', (value) => { last = read(value); }, 1024);
  tap.push(Buffer.from(start + deltas + finish));
  tap.end();
  assert.deepEqual(last, { input: 10, output: 100, cached: 0, reasoning: 0 });
});
