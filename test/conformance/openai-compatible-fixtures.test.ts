/**
 * Replays every recorded OpenAI-compatible capture in `../shared/fixtures` (openai-chat,
 * groq, mistral, deepseek) through the gateway's fast path to the provider of the same
 * name, with the official `openai` SDK as the client, and checks that:
 *   - the client receives exactly the bytes the upstream sent;
 *   - the SDK-parsed chunks equal the fixture's payloads, parsed independently;
 *   - what the SDK accumulates (its own `ChatCompletionStream` where that strict helper can
 *     take the stream; the parsed chunks otherwise) equals what the fixture says, computed
 *     independently (text, refusal, reasoning, tool calls, finish reasons);
 *   - non-streaming bodies (and the error body, with its status) arrive unchanged.
 *
 * The captures are other projects' data and are not copied into this repository: when
 * `../shared/fixtures` is absent, this file registers no tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { bytesResponse, fixtureBody, sentBody, streamResponse } from '../helpers/fake-upstream.ts';
import { openAIChatFraming } from '../helpers/sse-framing.ts';
import {
  chunkPayloadsOfSse,
  comparableChoices,
  summarizeChunks,
  summarizeCompletionChoices,
} from '../helpers/openai-chat-summary.ts';
import { CHAT_ROUTES, CLIENT_KEY, PROVIDER_KEYS, lastExchange, startProxyHarness } from '../helpers/gateway-harness.ts';
import { rawRequest } from '../helpers/http-client.ts';
import type { HarnessProvider } from '../helpers/gateway-harness.ts';

const SHARED_FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);

/** Fixture folder → the provider it is replayed through, and the model asked for. */
const VENDORS: ReadonlyArray<{ folder: string; provider: HarnessProvider; model: string }> = [
  { folder: 'openai-chat', provider: 'openai', model: 'gpt-4.1-nano' },
  { folder: 'groq', provider: 'groq', model: 'llama-3.3-70b-versatile' },
  { folder: 'mistral', provider: 'mistral', model: 'mistral-small-latest' },
  { folder: 'deepseek', provider: 'deepseek', model: 'deepseek-chat' },
];

interface ManifestEntry {
  vendor: string;
  file: string;
  format: string;
  desc: string;
}

/**
 * The HTTP status of an error-body fixture, read from its manifest description
 * ("HTTP 400 error body: …"); undefined for a success body.
 */
function errorStatusOf(entry: ManifestEntry | undefined): number | undefined {
  const match = entry === undefined ? null : /\bHTTP (\d{3})\b.*error/i.exec(entry.desc);
  return match === null ? undefined : Number(match[1]);
}

const REQUEST_TIMEOUT_MS = 15_000;
const MESSAGES = [{ role: 'user' as const, content: 'fixture replay' }];

function isStreamFixture(file: string): boolean {
  return file.endsWith('.chunks.txt') || file.endsWith('.sse');
}

if (existsSync(SHARED_FIXTURES)) {
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', SHARED_FIXTURES), 'utf8')) as ManifestEntry[];
  for (const { folder, provider, model } of VENDORS) {
    const directory = new URL(`${folder}/`, SHARED_FIXTURES);
    const files = readdirSync(directory)
      .filter((file) => isStreamFixture(file) || file.endsWith('.json'))
      .sort();

    const entries = new Map(manifest.filter((entry) => entry.vendor === folder).map((entry) => [entry.file, entry]));

    test(`${folder}: every fixture the manifest lists is replayed`, () => {
      assert.ok(files.some(isStreamFixture), `${folder} has no stream fixture`);
      assert.ok(files.some((file) => file.endsWith('.json')), `${folder} has no JSON fixture`);
      const replayable = [...entries.values()].filter((entry) => ['chunks-jsonl', 'raw-sse', 'json'].includes(entry.format));
      assert.deepEqual(replayable.map((entry) => entry.file).sort(), files);
    });

    for (const file of files) {
      const fixtureUrl = new URL(file, directory);
      const explicitModel = `${provider}/${model}`;

      if (isStreamFixture(file)) {
        test(`${folder}/${file} streams through ${provider} byte for byte`, async (t) => {
          const bytes = await fixtureBody(fixtureUrl, openAIChatFraming);
          const payloads = chunkPayloadsOfSse(bytes.toString('utf8'));
          const expected = summarizeChunks(payloads);
          const harness = await startProxyHarness(t);
          // The SDK's copy arrives event by event; fetch's second copy in 61-byte writes that
          // cut through events, JSON and multi-byte characters.
          harness.upstream.enqueue(CHAT_ROUTES[provider], streamResponse(bytes), streamResponse(bytes, { split: 61 }));
          const options = { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };

          const chunks: ChatCompletionChunk[] = [];
          if (expected.sdkAccumulable) {
            const runner = harness.client.chat.completions.stream({ model: explicitModel, messages: MESSAGES }, options);
            // Cloned as emitted: the SDK's accumulator later appends to arrays (logprobs) it
            // shares with the first chunk.
            runner.on('chunk', (chunk) => chunks.push(structuredClone(chunk)));
            const final = await runner.finalChatCompletion();
            assert.deepEqual(summarizeCompletionChoices(final.choices), comparableChoices(expected), 'the SDK accumulated something else');
            assert.deepEqual(final.usage ?? null, expected.usage);
          } else {
            // Mistral-style streams (no tool-call index/type, content arrays, no role) are
            // beyond the SDK's strict accumulator: compare its parsed chunks instead.
            const stream = await harness.client.chat.completions.create({ model: explicitModel, messages: MESSAGES, stream: true }, options);
            for await (const chunk of stream) chunks.push(chunk);
          }
          assert.deepEqual(chunks, payloads, 'the SDK parsed other chunks than the upstream sent');
          assert.deepEqual(summarizeChunks(chunks), expected);

          const upstreamRequest = harness.upstream.requests[0];
          assert.ok(upstreamRequest !== undefined && harness.upstream.requests.length === 1, 'the upstream should get exactly one request');
          assert.equal(upstreamRequest.path, CHAT_ROUTES[provider].split(' ')[1]);
          assert.equal(upstreamRequest.headers.authorization, `Bearer ${PROVIDER_KEYS[provider]}`);
          assert.equal((upstreamRequest.body as { model?: unknown }).model, model);
          assert.ok(sentBody(upstreamRequest).equals(bytes));
          const received = await lastExchange(harness).body;
          assert.ok(received.equals(bytes), `the client received ${received.length} bytes that differ from the ${bytes.length} the upstream sent`);

          const raw = await rawRequest(`${harness.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: explicitModel, messages: MESSAGES, stream: true }),
            timeoutMs: REQUEST_TIMEOUT_MS,
          });
          assert.equal(raw.status, 200);
          assert.ok(raw.body.equals(bytes), `fetch received ${raw.body.length} bytes that differ from the ${bytes.length} the upstream sent`);
        });
        continue;
      }

      const errorStatus = errorStatusOf(entries.get(file));
      if (errorStatus !== undefined) {
        test(`${folder}/${file} (HTTP ${errorStatus}) reaches the SDK with its status and body`, async (t) => {
          const bytes = await fixtureBody(fixtureUrl, openAIChatFraming);
          const body = JSON.parse(bytes.toString('utf8')) as { error: Record<string, unknown> };
          const harness = await startProxyHarness(t);
          harness.upstream.always(CHAT_ROUTES[provider], bytesResponse(bytes, { status: errorStatus, headers: { 'content-type': 'application/json' } }));
          await assert.rejects(
            harness.client.chat.completions.create({ model: explicitModel, messages: MESSAGES }, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
            (error: unknown) => {
              assert.ok(error instanceof APIError, String(error));
              assert.equal(error.status, errorStatus);
              assert.deepEqual(error.error, body.error);
              return true;
            },
          );
          assert.ok((await lastExchange(harness).body).equals(bytes));
        });
        continue;
      }

      test(`${folder}/${file} (non-streaming) reaches the SDK unchanged through ${provider}`, async (t) => {
        const bytes = await fixtureBody(fixtureUrl, openAIChatFraming);
        const harness = await startProxyHarness(t);
        harness.upstream.enqueue(CHAT_ROUTES[provider], bytesResponse(bytes, { headers: { 'content-type': 'application/json' } }));
        const completion = await harness.client.chat.completions.create(
          { model: explicitModel, messages: MESSAGES },
          { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
        );
        assert.deepEqual(completion, JSON.parse(bytes.toString('utf8')));
        assert.ok((await lastExchange(harness).body).equals(bytes));
        const upstreamRequest = harness.upstream.requests[0];
        assert.equal((upstreamRequest?.body as { model?: unknown } | undefined)?.model, model);
        assert.equal(upstreamRequest?.headers.authorization, `Bearer ${PROVIDER_KEYS[provider]}`);
      });
    }
  }
}
