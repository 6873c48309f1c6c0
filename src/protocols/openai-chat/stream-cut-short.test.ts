/** OpenAI Chat: a stream cut short says so, and xAI's reasoning-beside-completion usage is read whole. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IRStreamEvent } from '../ir.ts';
import { parseOpenAIUsage } from './openai-usage.ts';
import { createOpenAIChatStreamParser } from './stream.ts';

function parse(text: string): IRStreamEvent[] {
  const parser = createOpenAIChatStreamParser();
  return [...parser.push(new TextEncoder().encode(text)), ...parser.end()];
}

const chunk = (delta: object, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe('a chat completion stream that ends early', () => {
  it('ends with an error after closing its parts when neither finish_reason nor [DONE] came', () => {
    const events = parse(chunk({ role: 'assistant', content: '' }) + chunk({ content: 'Hel' }));
    assert.deepEqual(events.slice(-2).map((event) => event.type), ['part-end', 'error']);
    const last = events.at(-1);
    assert.ok(last?.type === 'error');
    assert.equal(last.code, 'upstream_protocol_error');
    assert.equal(events.some((event) => event.type === 'finish'), false);
  });

  it('is complete with a finish_reason even without [DONE], and with [DONE] even without a finish_reason', () => {
    const finished = parse(chunk({ content: 'Hi' }) + chunk({}, 'stop'));
    assert.equal(finished.at(-1)?.type, 'finish');
    const done = parse(`${chunk({ content: 'Hi' })}data: [DONE]\n\n`);
    assert.equal(done.some((event) => event.type === 'error'), false);
  });
});

describe('usage with reasoning tokens', () => {
  it('adds reasoning to the output when the upstream counts it beside completion_tokens (xAI)', () => {
    const usage = parseOpenAIUsage({ prompt_tokens: 12, completion_tokens: 2, total_tokens: 354, completion_tokens_details: { reasoning_tokens: 340 } });
    assert.equal(usage?.outputTokens, 342);
    assert.equal(usage?.reasoningTokens, 340);
  });

  it('keeps completion_tokens when it already includes reasoning (OpenAI)', () => {
    const usage = parseOpenAIUsage({ prompt_tokens: 15, completion_tokens: 78, total_tokens: 93, completion_tokens_details: { reasoning_tokens: 64 } });
    assert.equal(usage?.outputTokens, 78);
  });
});
