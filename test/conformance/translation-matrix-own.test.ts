/**
 * The translation matrix over our own small fixtures (`test/fixtures/matrix/`, hand-written
 * from the protocol facts), so a clone without `../shared/fixtures` still sends every
 * inbound format — OpenAI Chat, Responses, Anthropic, Gemini SSE and JSON-array streaming,
 * and the four non-streaming forms — through every upstream protocol: a text stream, a
 * tool-call stream, a JSON body, an error body and (except Responses) an error mid-stream
 * per upstream, plus a few edge cases (an error before any content, streams cut short,
 * MAX_TOKENS, content_filter). A Responses upstream is read by Responses clients only: the
 * gateway sends every other format to OpenAI's chat endpoint. Then every byte boundary of a
 * few streams, and an upstream connection reset in the middle of one stream per upstream.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { it } from 'node:test';
import type { UpstreamProtocol } from '../helpers/matrix-facts.ts';
import { loadFixture } from '../helpers/matrix-harness.ts';
import type { MatrixFixture } from '../helpers/matrix-harness.ts';
import { cellsOf, registerMatrix } from '../helpers/matrix-suite.ts';
import type { SplitCase } from '../helpers/matrix-suite.ts';

const root = new URL('../fixtures/matrix/', import.meta.url);
const PROTOCOLS: readonly UpstreamProtocol[] = ['anthropic', 'gemini', 'openai-chat', 'openai-responses'];

function loadAll(): MatrixFixture[] {
  return PROTOCOLS.flatMap((protocol) =>
    readdirSync(new URL(`${protocol}/`, root))
      .sort()
      .map((file) => {
        const status = /^error-(\d{3})\.(json|txt)$/.exec(file)?.[1];
        return loadFixture(new URL(`${protocol}/${file}`, root), `${protocol}/${file}`, protocol, status === undefined ? {} : { status: Number(status) });
      }),
  );
}

// Every boundary of three small streams (one ending in an in-stream error), 200 spread cuts of the others.
const SPLITS: readonly SplitCase[] = [
  { name: 'anthropic/text.chunks.txt', clients: ['chat-stream'], maximum: Infinity },
  { name: 'anthropic/error-mid-stream.chunks.txt', clients: ['gemini-sse'], maximum: Infinity },
  { name: 'anthropic/tool-call.chunks.txt', clients: ['gemini-sse'], maximum: 200 },
  { name: 'gemini/text.chunks.txt', clients: ['responses-stream'], maximum: Infinity },
  { name: 'gemini/tool-call.chunks.txt', clients: ['anthropic-stream'], maximum: 200 },
  { name: 'openai-chat/text.chunks.txt', clients: ['anthropic-stream'], maximum: 200 },
  { name: 'openai-chat/tool-call.chunks.txt', clients: ['gemini-array'], maximum: 200 },
  { name: 'openai-chat/error-mid-stream.chunks.txt', clients: ['responses-stream'], maximum: 200 },
  { name: 'openai-responses/tool-call.chunks.txt', clients: ['responses-stream'], maximum: 200 },
];

const fixtures = loadAll();

// An upstream connection reset in the middle of one stream per upstream protocol.
const RESETS: readonly string[] = ['anthropic/text.chunks.txt', 'gemini/tool-call.chunks.txt', 'openai-chat/text.chunks.txt', 'openai-responses/text.chunks.txt'];

registerMatrix('translation matrix over test/fixtures/matrix', fixtures, SPLITS, RESETS, () => {
  it('covers every inbound format × every upstream protocol, streaming and not, answers and errors', () => {
    const covered = new Set(fixtures.flatMap((fixture) => cellsOf(fixture).map((cell) => `${fixture.protocol} ${cell.name} ${fixture.status >= 400 ? 'error' : 'answer'}`)));
    for (const protocol of PROTOCOLS) {
      const clients = protocol === 'openai-responses'
        ? ['responses', 'responses-stream']
        : ['chat', 'responses', 'anthropic', 'gemini', 'chat-stream', 'responses-stream', 'anthropic-stream', 'gemini-sse', 'gemini-array'];
      for (const client of clients) {
        assert.ok(covered.has(`${protocol} ${client} answer`), `${protocol} → ${client}: an answer`);
        assert.ok(covered.has(`${protocol} ${client} error`), `${protocol} → ${client}: an error`);
      }
    }
    for (const fixture of fixtures) {
      assert.ok(fixture.status >= 400 || fixture.facts.text !== '' || fixture.facts.toolCalls.length > 0 || fixture.facts.streamError !== undefined, `${fixture.name} says something`);
    }
  });
});
