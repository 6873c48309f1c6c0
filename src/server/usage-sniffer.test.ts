import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openAIUsage, UsageSniffer } from './usage-sniffer.ts';

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
