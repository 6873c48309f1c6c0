/** Anthropic: a stream cut off before any stop reason ends with an error, not as a complete answer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IRStreamEvent } from '../ir.ts';
import { createAnthropicStreamParser } from './stream.ts';

function parse(payloads: object[]): IRStreamEvent[] {
  const parser = createAnthropicStreamParser();
  const text = payloads.map((payload) => `event: ${String((payload as { type: string }).type)}\ndata: ${JSON.stringify(payload)}\n\n`).join('');
  return [...parser.push(new TextEncoder().encode(text)), ...parser.end()];
}

const start = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], usage: { input_tokens: 3, output_tokens: 1 } } };
const text = [
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
];

describe('an Anthropic stream that ends early', () => {
  it('closes the open block, then ends with an error, when no stop reason came', () => {
    const events = parse([start, ...text]);
    assert.deepEqual(events.slice(-2).map((event) => event.type), ['part-end', 'error']);
    assert.equal(events.some((event) => event.type === 'finish'), false);
  });

  it('is complete once message_delta gave the stop reason, even without message_stop', () => {
    const events = parse([start, ...text, { type: 'content_block_stop', index: 0 }, { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }]);
    assert.equal(events.at(-1)?.type, 'finish');
    assert.equal(events.some((event) => event.type === 'error'), false);
  });
});
