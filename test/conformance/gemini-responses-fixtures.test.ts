/**
 * Conformance: replays the recorded upstream traffic in `../shared/fixtures/{gemini,
 * openai-responses,copilot}` (other projects' data, read in place, never copied) through the
 * Gemini and Responses adapters. Every file in those folders is replayed; the facts asserted (text, thoughts, function calls, finish reason, usage, errors)
 * are computed straight from the fixture's JSON, not through the adapters. Then: parse →
 * render → parse round trips, the `openai` SDK reading our re-rendered Responses streams,
 * lossless round trips of the real request bodies in the js-genai recordings, and
 * split-at-every-byte checks on a few bodies.
 *
 * Registers no tests at all when the fixtures folder is absent (it is not part of the repo).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { GatewayError } from '../../src/errors.ts';
import type { StreamParser } from '../../src/protocols/adapter.ts';
import { geminiAdapter, createJsonArrayStreamParser, createJsonArrayStreamRenderer } from '../../src/protocols/gemini/index.ts';
import type { IRRequest, IRStreamEvent } from '../../src/protocols/ir.ts';
import { openAIResponsesAdapter } from '../../src/protocols/openai-responses/index.ts';

const fixturesRoot = new URL('../../../shared/fixtures/', import.meta.url);

type Json = Record<string, unknown>;
interface FixtureEntry {
  vendor: string;
  file: string;
  format: 'raw-sse' | 'chunks-jsonl' | 'recording' | 'json';
}

/** Every file of a fixtures folder, its framing told by its name (see fixtures/README.md). */
function listFixtures(vendor: string): FixtureEntry[] {
  return readdirSync(new URL(`${vendor}/`, fixturesRoot))
    .filter((file) => file !== 'SOURCES.md')
    .sort()
    .map((file) => {
      if (file.endsWith('.sse')) return { vendor, file, format: 'raw-sse' };
      if (file.endsWith('.chunks.txt')) return { vendor, file, format: 'chunks-jsonl' };
      if (file.startsWith('js-genai.rec.') || file.includes('.recording.')) return { vendor, file, format: 'recording' };
      return { vendor, file, format: 'json' };
    });
}

const encoder = new TextEncoder();

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function read(vendor: string, file: string): string {
  return readFileSync(new URL(`${vendor}/${file}`, fixturesRoot), 'utf8');
}

function run(parser: StreamParser, chunks: Uint8Array[]): IRStreamEvent[] {
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

/** What the IR events say, gathered generically. Also checks part indices are dense and well nested. */
function summarize(events: IRStreamEvent[]): { text: string; thoughts: string; calls: Array<{ name: string; args: unknown; id: string }>; finish?: IRStreamEvent; usage?: IRStreamEvent; error?: IRStreamEvent } {
  const open = new Set<number>();
  let next = 0;
  let text = '';
  let thoughts = '';
  const calls = new Map<number, { name: string; args: string; id: string }>();
  let finish: IRStreamEvent | undefined;
  let usage: IRStreamEvent | undefined;
  let error: IRStreamEvent | undefined;
  for (const event of events) {
    if (event.type === 'part-start') {
      assert.equal(event.index, next, 'IR part indices are dense and ordered');
      next += 1;
      open.add(event.index);
      if (event.part.type === 'tool-call') calls.set(event.index, { name: event.part.name, args: '', id: event.part.id });
    } else if (event.type === 'part-end') {
      assert.ok(open.delete(event.index), `part-end for an open part (${event.index})`);
    } else if (event.type === 'text-delta' || event.type === 'thinking-delta' || event.type === 'tool-arguments-delta' || event.type === 'signature-delta' || event.type === 'refusal-delta') {
      assert.ok(open.has(event.index), `${event.type} for an open part (${event.index})`);
      if (event.type === 'text-delta') text += event.text;
      if (event.type === 'thinking-delta') thoughts += event.text;
      if (event.type === 'tool-arguments-delta') {
        const call = calls.get(event.index);
        if (call !== undefined) call.args += event.text;
      }
    } else if (event.type === 'finish') finish = event;
    else if (event.type === 'usage') usage = event;
    else if (event.type === 'error') error = event;
  }
  assert.equal(open.size, 0, 'every part is closed');
  return { text, thoughts, calls: [...calls.values()].map((call) => ({ name: call.name, args: JSON.parse(call.args) as unknown, id: call.id })), finish, usage, error };
}

// ---------- Gemini: facts straight from the chunks ----------

interface GeminiFacts {
  text: string;
  thoughts: string;
  calls: Array<{ name: string; args: Json }>;
  finishReason?: string;
  blocked: boolean;
  usage?: Json;
  error?: Json;
}

function geminiFacts(chunks: unknown[]): GeminiFacts {
  const facts: GeminiFacts = { text: '', thoughts: '', calls: [], blocked: false };
  for (const chunk of chunks) {
    if (!isObject(chunk)) continue;
    if (isObject(chunk['error'])) {
      facts.error = chunk['error'];
      break;
    }
    const candidate = Array.isArray(chunk['candidates']) ? chunk['candidates'][0] : undefined;
    if (isObject(candidate)) {
      const content = isObject(candidate['content']) ? candidate['content'] : {};
      for (const part of Array.isArray(content['parts']) ? content['parts'] : []) {
        if (!isObject(part)) continue;
        const call = part['functionCall'];
        if (isObject(call)) {
          if (typeof call['name'] === 'string') facts.calls.push({ name: call['name'], args: isObject(call['args']) ? { ...call['args'] } : {} });
          for (const partial of Array.isArray(call['partialArgs']) ? call['partialArgs'] : []) {
            const current = facts.calls.at(-1);
            if (!isObject(partial) || current === undefined || typeof partial['jsonPath'] !== 'string') continue;
            const key = partial['jsonPath'].replace(/^\$\./, '');
            if (typeof partial['stringValue'] === 'string') current.args[key] = String(current.args[key] ?? '') + partial['stringValue'];
            else if ('numberValue' in partial) current.args[key] = partial['numberValue'];
          }
        } else if (typeof part['text'] === 'string') {
          if (part['thought'] === true) facts.thoughts += part['text'];
          else facts.text += part['text'];
        }
      }
      if (typeof candidate['finishReason'] === 'string') facts.finishReason = candidate['finishReason'];
    } else if (isObject(chunk['promptFeedback']) && typeof chunk['promptFeedback']['blockReason'] === 'string') {
      facts.finishReason = chunk['promptFeedback']['blockReason'];
      facts.blocked = true;
    }
    const usage = chunk['usageMetadata'];
    if (isObject(usage) && typeof usage['promptTokenCount'] === 'number') facts.usage = usage;
  }
  return facts;
}

/** The JSON payloads of a raw Gemini SSE body: `data:` lines, plus any bare JSON outside SSE framing. */
function geminiSsePayloads(body: string): unknown[] {
  const payloads: unknown[] = [];
  const stray: string[] = [];
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith('data:')) payloads.push(JSON.parse(line.slice(5)));
    else if (line.trim() !== '') stray.push(line);
  }
  if (stray.length > 0) payloads.push(JSON.parse(stray.join('\n')));
  return payloads;
}

function numberField(record: Json | undefined, key: string): number {
  const value = record?.[key];
  return typeof value === 'number' ? value : 0;
}

function assertGeminiEvents(events: IRStreamEvent[], facts: GeminiFacts): void {
  const seen = summarize(events);
  assert.equal(seen.text, facts.text, 'concatenated text');
  assert.equal(seen.thoughts, facts.thoughts, 'concatenated thoughts');
  assert.deepEqual(seen.calls.map(({ name, args }) => ({ name, args })), facts.calls, 'function calls');
  assert.equal(new Set(seen.calls.map((call) => call.id)).size, seen.calls.length, 'made-up call ids are unique');
  if (facts.error !== undefined) {
    assert.deepEqual(seen.error, { type: 'error', message: facts.error['message'], status: facts.error['code'], code: facts.error['status'] });
    assert.equal(events.at(-1)?.type, 'error', 'the error ends the stream');
    return;
  }
  assert.equal(seen.error, undefined);
  assert.ok(seen.finish?.type === 'finish');
  assert.equal(seen.finish.rawReason, facts.finishReason);
  const expectedReason = facts.blocked ? 'content-filter' : facts.finishReason === 'STOP' ? (facts.calls.length > 0 ? 'tool-calls' : 'stop') : undefined;
  if (expectedReason !== undefined) assert.equal(seen.finish.reason, expectedReason);
  if (facts.usage !== undefined) {
    assert.ok(seen.usage?.type === 'usage');
    assert.equal(seen.usage.usage.inputTokens, numberField(facts.usage, 'promptTokenCount'));
    assert.equal(seen.usage.usage.outputTokens, numberField(facts.usage, 'candidatesTokenCount') + numberField(facts.usage, 'thoughtsTokenCount'));
    assert.equal(seen.usage.usage.totalTokens, numberField(facts.usage, 'totalTokenCount'));
  }
}

const geminiRequest: IRRequest = { model: 'gemini-2.5-flash', system: [], messages: [], tools: [], stream: true, extra: {}, sourceFormat: 'gemini' };

function renderWith(renderer: { render(event: IRStreamEvent): string; end(): string }, events: IRStreamEvent[]): string {
  return events.map((event) => renderer.render(event)).join('') + renderer.end();
}

function assertEverySplit(factory: () => StreamParser, bytes: Uint8Array, stride = 1): void {
  const whole = run(factory(), [bytes]);
  for (let cut = 1; cut < bytes.length; cut += stride) {
    assert.deepEqual(run(factory(), [bytes.slice(0, cut), bytes.slice(cut)]), whole, `split at byte ${cut}`);
  }
}

// ---------- Responses: facts straight from the events ----------

interface ResponsesFacts {
  text: string;
  reasoning: string;
  calls: Array<{ name: string; args: unknown; id: string }>;
  final?: Json;
  error?: Json;
}

/** Text by output item and part: the `done` event's full text wins over the deltas (some captures elide deltas). */
function responsesFacts(payloads: Json[]): ResponsesFacts {
  const facts: ResponsesFacts = { text: '', reasoning: '', calls: [] };
  const texts = new Map<string, string>();
  const summaries = new Map<number, Map<number, string>>();
  for (const payload of payloads) {
    const type = payload['type'];
    const textKey = `${String(payload['output_index']).padStart(6, '0')}:${String(payload['content_index']).padStart(6, '0')}`;
    if (type === 'response.output_text.delta') texts.set(textKey, (texts.get(textKey) ?? '') + String(payload['delta']));
    if (type === 'response.output_text.done') texts.set(textKey, String(payload['text']));
    if (type === 'response.reasoning_summary_text.delta' || type === 'response.reasoning_summary_text.done') {
      const item = summaries.get(Number(payload['output_index'])) ?? new Map<number, string>();
      summaries.set(Number(payload['output_index']), item);
      const index = Number(payload['summary_index']);
      item.set(index, type.endsWith('.done') ? String(payload['text']) : (item.get(index) ?? '') + String(payload['delta']));
    }
    if (type === 'response.output_item.done' && isObject(payload['item']) && payload['item']['type'] === 'function_call') {
      const item = payload['item'];
      facts.calls.push({ name: String(item['name']), args: JSON.parse(String(item['arguments'])) as unknown, id: String(item['call_id']) });
    }
    if ((type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') && isObject(payload['response'])) facts.final = payload['response'];
    if (type === 'error' && facts.error === undefined) facts.error = isObject(payload['error']) ? payload['error'] : payload;
  }
  facts.text = [...texts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, text]) => text).join('');
  facts.reasoning = [...summaries.values()].map((parts) => [...parts.values()].join('\n\n')).join('');
  return facts;
}

/** A chunks-jsonl file split into the separate response streams it records (one per `response.created`). */
function responsesSegments(text: string): Json[][] {
  const segments: Json[][] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const payload = JSON.parse(line) as Json;
    if (payload['type'] === 'response.created' || segments.length === 0) segments.push([]);
    segments.at(-1)?.push(payload);
  }
  return segments;
}

function frameResponses(payloads: Json[]): string {
  return payloads.map((payload) => `event: ${String(payload['type'])}\ndata: ${JSON.stringify(payload)}\n\n`).join('');
}

const responsesClient = openAIResponsesAdapter.parseRequest({ model: 'gpt-5', input: 'replay', stream: true });

function assertResponsesEvents(events: IRStreamEvent[], facts: ResponsesFacts): void {
  const seen = summarize(events);
  assert.equal(seen.text, facts.text, 'concatenated output text');
  assert.equal(seen.thoughts, facts.reasoning, 'concatenated reasoning summary');
  assert.deepEqual(seen.calls, facts.calls, 'function calls');
  if (facts.error !== undefined) {
    assert.ok(seen.error?.type === 'error');
    assert.equal(seen.error.message, facts.error['message']);
    assert.equal(seen.error.code, facts.error['code']);
    return;
  }
  const final = facts.final;
  assert.ok(final !== undefined);
  assert.ok(seen.finish?.type === 'finish');
  if (final['status'] === 'completed') assert.equal(seen.finish.reason, facts.calls.length > 0 ? 'tool-calls' : 'stop');
  const usage = isObject(final['usage']) ? final['usage'] : undefined;
  if (usage !== undefined) {
    assert.ok(seen.usage?.type === 'usage');
    assert.equal(seen.usage.usage.inputTokens, usage['input_tokens']);
    assert.equal(seen.usage.usage.outputTokens, usage['output_tokens']);
    assert.equal(seen.usage.usage.totalTokens, usage['total_tokens']);
    const details = usage['output_tokens_details'];
    assert.equal(seen.usage.usage.reasoningTokens, isObject(details) ? details['reasoning_tokens'] : undefined);
  }
  // The stream and the final response object it ends with say the same thing.
  const response = openAIResponsesAdapter.parseResponse(final);
  const responseText = response.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
  assert.equal(responseText, facts.text);
  assert.deepEqual(
    response.content.flatMap((part) => (part.type === 'tool-call' ? [{ name: part.name, args: JSON.parse(part.arguments) as unknown, id: part.id }] : [])),
    facts.calls,
  );
}

async function sdkRead(body: string): Promise<OpenAI.Responses.Response> {
  const client = new OpenAI({ apiKey: 'test', baseURL: 'http://gateway.invalid/v1', fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }) });
  return client.responses.stream({ model: 'gpt-5', input: 'replay' }).finalResponse();
}

if (existsSync(fixturesRoot)) {
  const fixtures = ['gemini', 'openai-responses', 'copilot'].flatMap(listFixtures);

  describe('conformance: Gemini fixtures', () => {
    for (const entry of fixtures.filter((candidate) => candidate.vendor === 'gemini')) {
      if (entry.format === 'raw-sse' || entry.format === 'chunks-jsonl') {
        it(`${entry.file}: stream facts, render round trips`, () => {
          const raw = read('gemini', entry.file);
          const body = entry.format === 'raw-sse' ? raw : raw.split('\n').filter((line) => line.trim() !== '').map((line) => `data: ${line}\r\n\r\n`).join('');
          const facts = geminiFacts(geminiSsePayloads(body));
          const events = run(geminiAdapter.createStreamParser(), [encoder.encode(body)]);
          assertGeminiEvents(events, facts);
          // parse → render → parse, in both framings, gives the same IR events.
          const sse = renderWith(geminiAdapter.createStreamRenderer(geminiRequest), events);
          assert.deepEqual(run(geminiAdapter.createStreamParser(), [encoder.encode(sse)]), events);
          const array = renderWith(createJsonArrayStreamRenderer(geminiRequest), events);
          assert.deepEqual(run(createJsonArrayStreamParser(), [encoder.encode(array)]), events);
          if (entry.format === 'chunks-jsonl') {
            // The same chunks as Google's non-SSE JSON array body.
            const asArray = `[${raw.split('\n').filter((line) => line.trim() !== '').join('\r\n,')}\r\n]`;
            assert.deepEqual(run(createJsonArrayStreamParser(), [encoder.encode(asArray)]), events);
          }
        });
      } else if (entry.format === 'json') {
        it(`${entry.file}: body facts`, () => {
          const body = JSON.parse(read('gemini', entry.file)) as Json;
          if (isObject(body['error'])) {
            const error = body['error'];
            assert.throws(() => geminiAdapter.parseResponse(body), (thrown: unknown) => thrown instanceof GatewayError && thrown.status === error['code'] && thrown.message === error['message']);
            return;
          }
          const facts = geminiFacts([body]);
          const response = geminiAdapter.parseResponse(body);
          assert.equal(response.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join(''), facts.text);
          assert.equal(response.content.flatMap((part) => (part.type === 'thinking' ? [part.text] : [])).join(''), facts.thoughts);
          assert.deepEqual(response.content.flatMap((part) => (part.type === 'tool-call' ? [{ name: part.name, args: JSON.parse(part.arguments) as unknown }] : [])), facts.calls);
          assert.equal(response.rawFinishReason, facts.finishReason);
          assert.equal(response.finishReason, facts.calls.length > 0 ? 'tool-calls' : 'stop');
          if (facts.usage !== undefined) {
            assert.equal(response.usage?.inputTokens, numberField(facts.usage, 'promptTokenCount'));
            assert.equal(response.usage?.outputTokens, numberField(facts.usage, 'candidatesTokenCount') + numberField(facts.usage, 'thoughtsTokenCount'));
          }
          // Parse → render → parse is stable.
          assert.deepEqual(geminiAdapter.parseResponse(geminiAdapter.renderResponse(response, geminiRequest)), response);
        });
      } else if (entry.format === 'recording') {
        it(`${entry.file}: real request bodies round-trip losslessly; responses replay`, () => {
          const recording = JSON.parse(read('gemini', entry.file)) as { interactions: Array<{ request: Json; response: Json }> };
          for (const interaction of recording.interactions) {
            const url = String(interaction.request['url']);
            const match = /models\/([^:]+):(\w+)/.exec(url);
            assert.ok(match !== null);
            const stream = match[2] === 'streamGenerateContent';
            const segments = interaction.request['bodySegments'];
            const requestBody = Array.isArray(segments) ? segments[0] : undefined;
            const parsed = geminiAdapter.parseRequest(structuredClone(requestBody), { model: match[1], stream });
            assert.equal(parsed.stream, stream);
            assert.deepEqual(geminiAdapter.renderRequest(parsed), requestBody);
            const responseSegments = Array.isArray(interaction.response['bodySegments']) ? interaction.response['bodySegments'] : [];
            const facts = geminiFacts(responseSegments);
            if (stream) {
              const body = responseSegments.map((segment) => `data: ${JSON.stringify(segment)}\r\n\r\n`).join('');
              const events = run(geminiAdapter.createStreamParser(), [encoder.encode(body)]);
              if (responseSegments.length === 0) assert.deepEqual(events, [{ type: 'error', code: 'upstream_protocol_error', message: 'Gemini stream ended without any response' }]);
              else assertGeminiEvents(events, facts);
            } else {
              const response = geminiAdapter.parseResponse(responseSegments[0]);
              assert.equal(response.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join(''), facts.text);
              assert.equal(response.content.flatMap((part) => (part.type === 'thinking' ? [part.text] : [])).join(''), facts.thoughts);
              assert.equal(response.rawFinishReason, facts.finishReason);
            }
          }
        });
      }
    }

    it('split at every byte equals unsplit (error mid-stream, thoughts + signature, CRLF)', () => {
      for (const file of ['firebase.vertexai.streaming-failure-error-mid-stream.sse', 'firebase.googleai.streaming-success-thinking-function-call-thought-summary-signature.sse', 'firebase.googleai.streaming-success-basic-reply-short.sse']) {
        assertEverySplit(() => geminiAdapter.createStreamParser(), encoder.encode(read('gemini', file)));
      }
      const lines = read('gemini', 'google-stream-tool-call-arguments.chunks.txt').split('\n').filter((line) => line.trim() !== '');
      assertEverySplit(createJsonArrayStreamParser, encoder.encode(`[${lines.join('\r\n,')}\r\n]`), 3);
    });
  });

  describe('conformance: Responses fixtures (OpenAI, Azure, Copilot)', () => {
    for (const entry of fixtures.filter((candidate) => candidate.vendor === 'openai-responses' || candidate.vendor === 'copilot')) {
      if (entry.format === 'chunks-jsonl') {
        it(`${entry.vendor}/${entry.file}: stream facts, render round trip, SDK reads our rendering`, async () => {
          const segments = responsesSegments(read(entry.vendor, entry.file));
          for (const segment of segments) {
            const facts = responsesFacts(segment);
            const events = run(openAIResponsesAdapter.createStreamParser(), [encoder.encode(frameResponses(segment))]);
            assertResponsesEvents(events, facts);
            const rendered = renderWith(openAIResponsesAdapter.createStreamRenderer(responsesClient), events);
            assert.deepEqual(run(openAIResponsesAdapter.createStreamParser(), [encoder.encode(rendered)]), events);
            if (facts.error !== undefined) {
              await assert.rejects(sdkRead(rendered), (thrown: unknown) => thrown instanceof Error && thrown.message.includes(String(facts.error?.['message'])));
            } else {
              const final = await sdkRead(rendered);
              assert.equal(final.output_text, facts.text);
              assert.deepEqual(
                final.output.flatMap((item) => (item.type === 'function_call' ? [{ name: item.name, args: JSON.parse(item.arguments) as unknown, id: item.call_id }] : [])),
                facts.calls,
              );
            }
          }
        });
      } else if (entry.format === 'json') {
        it(`${entry.vendor}/${entry.file}: body facts`, () => {
          const body = JSON.parse(read(entry.vendor, entry.file)) as Json;
          if (isObject(body['error']) && body['output'] === undefined) {
            const error = body['error'];
            assert.throws(() => openAIResponsesAdapter.parseResponse(body), (thrown: unknown) => thrown instanceof GatewayError && thrown.message === error['message']);
            return;
          }
          const output = Array.isArray(body['output']) ? body['output'].filter(isObject) : [];
          const text = output
            .filter((item) => item['type'] === 'message')
            .flatMap((item) => (Array.isArray(item['content']) ? item['content'].filter(isObject) : []))
            .flatMap((part) => (part['type'] === 'output_text' ? [String(part['text'])] : []))
            .join('');
          const calls = output.filter((item) => item['type'] === 'function_call').map((item) => ({ id: item['call_id'], name: item['name'], arguments: item['arguments'] }));
          const response = openAIResponsesAdapter.parseResponse(body);
          assert.equal(response.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join(''), text);
          assert.deepEqual(response.content.flatMap((part) => (part.type === 'tool-call' ? [{ id: part.id, name: part.name, arguments: part.arguments }] : [])), calls);
          assert.equal(response.finishReason, calls.length > 0 ? 'tool-calls' : 'stop');
          const usage = isObject(body['usage']) ? body['usage'] : {};
          assert.equal(response.usage?.inputTokens, usage['input_tokens']);
          assert.equal(response.usage?.outputTokens, usage['output_tokens']);
          const encrypted = output.find((item) => item['type'] === 'reasoning')?.['encrypted_content'];
          if (typeof encrypted === 'string') {
            const thinking = response.content.find((part) => part.type === 'thinking');
            assert.deepEqual(thinking?.type === 'thinking' ? thinking.signature : undefined, { value: encrypted, origin: 'openai-responses' });
          }
          // Parse → render → parse keeps the content.
          assert.deepEqual(openAIResponsesAdapter.parseResponse(openAIResponsesAdapter.renderResponse(response, responsesClient)).content, response.content);
        });
      }
    }

    it('split at every byte equals unsplit (Azure text, Copilot id rotation, error stream)', () => {
      assertEverySplit(() => openAIResponsesAdapter.createStreamParser(), encoder.encode(frameResponses(responsesSegments(read('openai-responses', 'azure-text.1.chunks.txt'))[0] ?? [])));
      assertEverySplit(() => openAIResponsesAdapter.createStreamParser(), encoder.encode(frameResponses(responsesSegments(read('openai-responses', 'openai-error.1.chunks.txt'))[0] ?? [])));
      assertEverySplit(() => openAIResponsesAdapter.createStreamParser(), encoder.encode(frameResponses(responsesSegments(read('copilot', 'github-copilot-id-rotation.1.chunks.txt'))[0] ?? [])), 7);
    });
  });
}
