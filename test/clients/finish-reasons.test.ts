/**
 * A cut-off answer (Claude `max_tokens`, Gemini `MAX_TOKENS`) reaches each official client
 * in its own words: OpenAI chat `length`, Responses `incomplete` / `max_output_tokens`,
 * Anthropic `max_tokens`, Gemini `MAX_TOKENS`. And Gemini's safety stops (a blocked prompt, a
 * `SAFETY` finish mid-answer) as OpenAI `content_filter` and Anthropic `refusal`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { CLIENT_KEY, GEMINI_ROUTE, MODELS, anthropicFixture, geminiFixture, startClientGateway } from '../helpers/client-gateway.ts';
import type { ClientGateway } from '../helpers/client-gateway.ts';

const CUT_TEXT = 'Once upon a time, in a';

async function enqueueCutOff(gateway: ClientGateway, kind: 'claude' | 'gemini'): Promise<void> {
  if (kind === 'claude') gateway.claude.enqueue('POST /v1/messages', await anthropicFixture('max-tokens.json'));
  else gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('max-tokens.json'));
}

for (const kind of ['claude', 'gemini'] as const) {
  const model = MODELS[kind];
  describe(`a ${kind} answer cut off by the token limit`, () => {
    it('OpenAI chat: finish_reason length', async (t) => {
      const gateway = await startClientGateway(t);
      await enqueueCutOff(gateway, kind);
      const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
      const completion = await client.chat.completions.create({ model, max_tokens: 8, messages: [{ role: 'user', content: 'Tell a story' }] });
      assert.equal(completion.choices[0]?.finish_reason, 'length');
      assert.equal(completion.choices[0]?.message.content, CUT_TEXT);
    });

    it('OpenAI Responses: status incomplete, reason max_output_tokens', async (t) => {
      const gateway = await startClientGateway(t);
      await enqueueCutOff(gateway, kind);
      const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
      const response = await client.responses.create({ model, max_output_tokens: 16, input: 'Tell a story' });
      assert.equal(response.status, 'incomplete');
      assert.equal(response.incomplete_details?.reason, 'max_output_tokens');
      assert.equal(response.output_text, CUT_TEXT);
    });

    it('Anthropic: stop_reason max_tokens', async (t) => {
      const gateway = await startClientGateway(t);
      await enqueueCutOff(gateway, kind);
      const client = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
      const message = await client.messages.create({ model, max_tokens: 8, messages: [{ role: 'user', content: 'Tell a story' }] });
      assert.equal(message.stop_reason, 'max_tokens');
    });

    it('Gemini: finishReason MAX_TOKENS', async (t) => {
      const gateway = await startClientGateway(t);
      await enqueueCutOff(gateway, kind);
      const ai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: gateway.url, timeout: 10_000, retryOptions: { attempts: 1 } } });
      const response = await ai.models.generateContent({ model, contents: 'Tell a story', config: { maxOutputTokens: 8 } });
      assert.equal(response.candidates?.[0]?.finishReason, 'MAX_TOKENS');
      assert.equal(response.text, CUT_TEXT);
    });
  });
}

describe('a Gemini answer stopped by its safety filters', () => {
  it('a blocked prompt (no candidates): OpenAI chat content_filter, Anthropic refusal, not an error', async (t) => {
    const gateway = await startClientGateway(t);
    gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('prompt-blocked.json'));
    gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('prompt-blocked.json'));
    const openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const completion = await openai.chat.completions.create({ model: MODELS.gemini, messages: [{ role: 'user', content: 'Something forbidden' }] });
    assert.equal(completion.choices[0]?.finish_reason, 'content_filter');
    assert.equal(completion.usage?.prompt_tokens, 12);
    const anthropic = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
    const message = await anthropic.messages.create({ model: MODELS.gemini, max_tokens: 64, messages: [{ role: 'user', content: 'Something forbidden' }] });
    assert.equal(message.stop_reason, 'refusal');
    assert.deepEqual(message.content, []);
  });

  it('SAFETY after some streamed text: the text, then content_filter / refusal', async (t) => {
    const gateway = await startClientGateway(t);
    gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('safety.chunks.txt'));
    gateway.gemini.enqueue(GEMINI_ROUTE, await geminiFixture('safety.chunks.txt'));
    const openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const stream = await openai.chat.completions.create({ model: MODELS.gemini, stream: true, messages: [{ role: 'user', content: 'Something risky' }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'I can start');
    assert.equal(finish, 'content_filter');
    const anthropic = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url, maxRetries: 0, timeout: 10_000 });
    const message = await anthropic.messages.stream({ model: MODELS.gemini, max_tokens: 64, messages: [{ role: 'user', content: 'Something risky' }] }).finalMessage();
    assert.equal(message.stop_reason, 'refusal');
    assert.deepEqual(message.content.map((block) => (block.type === 'text' ? block.text : block.type)), ['I can start']);
  });
});
