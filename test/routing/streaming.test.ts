/**
 * The point of no return (issue 4): once the first byte of an answer has reached the
 * client, a failing stream is ended with an in-stream error, never retried elsewhere and
 * never duplicated. Before it, SSE keep-alive comments hold a waiting client, and failing
 * over behind them is still safe.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { hangingResponse, outcomeWithin, sentBody, streamResponse } from '../helpers/fake-upstream.ts';
import { startSlowHeadServer } from '../helpers/fault-servers.ts';
import { recordingFetch, rawRequest } from '../helpers/http-client.ts';
import { parseServerSentEvents } from '../helpers/sse-framing.ts';
import {
  CLIENT_KEY, chat, chatRoute, chatTargets, lengthOf, listCooldowns, onlyCooldown, startRoutingHarness,
} from '../helpers/routing-harness.ts';

const WORDS = ['Alpha ', 'Bravo ', 'Charlie ', 'Delta ', 'Echo'];

function chunk(content: string, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
}

/** A whole OpenAI stream of WORDS: one event per word, a finish chunk, [DONE]. */
const FULL_STREAM = WORDS.map((word) => chunk(word)).join('') + chunk('', 'stop') + 'data: [DONE]\n\n';

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('after the first byte nothing is retried or duplicated', () => {
  for (const fault of ['reset', 'stall'] as const) {
    test(`OpenAI fast path, the upstream ${fault === 'reset' ? 'resets' : 'stalls'} after two chunks: in-stream error, b gets nothing, each chunk once`, async (t) => {
      const harness = await startRoutingHarness(t, {
        routing: { strategy: 'fill_first', timeouts: { idle: '150ms' } },
        providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
      });
      harness.upstream.enqueue(chatRoute('a'), streamResponse(FULL_STREAM, { limitParts: 2, after: fault === 'reset' ? 'reset' : 'hang' }));
      const response = await chat(harness, { stream: true });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-cliproxy-provider'), 'a');
      const upstreamRequest = harness.upstream.requests[0];
      assert.ok(upstreamRequest !== undefined);
      assert.equal(await outcomeWithin(upstreamRequest), fault === 'reset' ? 'reset' : 'aborted');
      const text = response.body.toString('utf8');
      const sent = sentBody(upstreamRequest);
      assert.ok(response.body.subarray(0, sent.length).equals(sent), `the client did not get the upstream's bytes first:\n${text}`);
      for (const word of WORDS.slice(0, 2)) assert.equal(occurrences(text, JSON.stringify(word)), 1, `${word} is not there exactly once:\n${text}`);
      for (const word of WORDS.slice(2)) assert.equal(occurrences(text, JSON.stringify(word)), 0);
      const tail = parseServerSentEvents(response.body.subarray(sent.length).toString('utf8'));
      const error = JSON.parse(tail[0]?.data ?? '{}') as { error?: { code?: string } };
      assert.equal(error.error?.code, fault === 'reset' ? 'upstream_unreachable' : 'upstream_timeout');
      assert.equal(tail.at(-1)?.data, '[DONE]');
      assert.deepEqual(chatTargets(harness.upstream), ['a:ka1'], 'the stream was retried elsewhere');
      // The failure still counts against the credential.
      const cooldown = onlyCooldown(await listCooldowns(harness), 'a', 'a#1');
      assert.equal(cooldown.reason, fault === 'reset' ? 'unreachable' : 'timeout');
      assert.equal(lengthOf(cooldown), 60_000);
    });
  }

  test('translated path (Anthropic client, OpenAI-compatible upstream) reset after two chunks: text once, then event: error; b gets nothing', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), streamResponse(FULL_STREAM, { limitParts: 2, after: 'reset' }));
    const response = await rawRequest(`${harness.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hello there' }] }),
    });
    assert.equal(response.status, 200);
    const events = parseServerSentEvents(response.body.toString('utf8'));
    const text = events
      .filter((event) => event.event === 'content_block_delta')
      .map((event) => (JSON.parse(event.data) as { delta: { text?: string } }).delta.text ?? '')
      .join('');
    assert.equal(text, 'Alpha Bravo ');
    assert.equal(events.filter((event) => event.event === 'message_start').length, 1);
    assert.equal(events.at(-1)?.event, 'error', response.body.toString('utf8'));
    assert.equal(events.some((event) => event.event === 'message_stop'), false, 'a cut stream was passed off as complete');
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1']);
  });

  test('translated path: an error event before any content (inside a 200) still fails over; the client sees only b\'s answer', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
    });
    const errorFirst = `data: ${JSON.stringify({ error: { message: 'Provider returned error: overloaded', type: 'server_error', code: 503 } })}\n\ndata: [DONE]\n\n`;
    harness.upstream.enqueue(chatRoute('a'), streamResponse(errorFirst));
    harness.upstream.enqueue(chatRoute('b'), streamResponse(FULL_STREAM));
    const response = await rawRequest(`${harness.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hello there' }] }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
    const events = parseServerSentEvents(response.body.toString('utf8'));
    assert.equal(events.filter((event) => event.event === 'message_start').length, 1);
    assert.equal(events.some((event) => event.event === 'error'), false, response.body.toString('utf8'));
    const text = events
      .filter((event) => event.event === 'content_block_delta')
      .map((event) => (JSON.parse(event.data) as { delta: { text?: string } }).delta.text ?? '')
      .join('');
    assert.equal(text, WORDS.join(''));
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'b:kb1']);
    assert.equal(onlyCooldown(await listCooldowns(harness), 'a', 'a#1').reason, 'upstream_error');
  });

  test('a failure before the first byte of a stream still fails over (429 on a, b streams)', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first' },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '5' }, parts: ['{"error":{"message":"slow down"}}'] });
    harness.upstream.enqueue(chatRoute('b'), streamResponse(FULL_STREAM));
    const response = await chat(harness, { stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.body.toString('utf8'), FULL_STREAM);
    assert.equal(response.headers.get('x-cliproxy-provider'), 'b');
    assert.equal(response.headers.get('x-cliproxy-attempts'), '2');
  });
});

describe('SSE keep-alive while the first byte is awaited', () => {
  test('a slow first byte: `: keep-alive` comments come first, then the stream intact', async (t) => {
    const slow = await startSlowHeadServer(t, { delayMs: 300, contentType: 'text/event-stream', body: FULL_STREAM });
    const harness = await startRoutingHarness(t, {
      routing: { keepalive_interval: '50ms' },
      providers: { slow: { keys: ['ks1'], endpoint: `${slow.url}/v1` } },
    });
    const response = await chat(harness, { stream: true });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const text = response.body.toString('utf8');
    const start = text.indexOf('data: ');
    assert.ok(start > 0, `no keep-alive before the content:\n${text}`);
    const prefix = text.slice(0, start);
    assert.match(prefix, /^(: keep-alive\n\n)+$/);
    assert.ok(occurrences(prefix, ': keep-alive') >= 2, prefix);
    assert.equal(text.slice(start), FULL_STREAM);
    assert.equal(slow.received, 1);
  });

  test('the OpenAI SDK parses a stream that opened with keep-alive comments', async (t) => {
    const slow = await startSlowHeadServer(t, { delayMs: 250, contentType: 'text/event-stream', body: FULL_STREAM });
    const harness = await startRoutingHarness(t, {
      routing: { keepalive_interval: '50ms' },
      providers: { slow: { keys: ['ks1'], endpoint: `${slow.url}/v1` } },
    });
    const recording = recordingFetch();
    const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${harness.url}/v1`, maxRetries: 0, timeout: 10_000, fetch: recording.fetch });
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hello there' }], stream: true });
    let text = '';
    let chunks = 0;
    for await (const part of stream) {
      chunks += 1;
      text += part.choices[0]?.delta.content ?? '';
    }
    assert.equal(text, WORDS.join(''));
    assert.equal(chunks, WORDS.length + 1);
    const raw = (await recording.exchanges[0]?.body)?.toString('utf8') ?? '';
    assert.ok(raw.startsWith(': keep-alive\n\n'), raw);
  });

  test('the Anthropic SDK on /v1/messages (translated) parses a stream that opened with keep-alive comments', async (t) => {
    const slow = await startSlowHeadServer(t, { delayMs: 250, contentType: 'text/event-stream', body: FULL_STREAM });
    const harness = await startRoutingHarness(t, {
      routing: { keepalive_interval: '50ms' },
      providers: { slow: { keys: ['ks1'], endpoint: `${slow.url}/v1` } },
    });
    const recording = recordingFetch();
    const client = new Anthropic({ apiKey: CLIENT_KEY, baseURL: harness.url, maxRetries: 0, timeout: 10_000, fetch: recording.fetch });
    const stream = client.messages.stream({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'Hello there' }] });
    const message = await stream.finalMessage();
    const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    assert.equal(text, WORDS.join(''));
    assert.equal(message.stop_reason, 'end_turn');
    const raw = (await recording.exchanges[0]?.body)?.toString('utf8') ?? '';
    assert.ok(raw.startsWith(': keep-alive\n\n'), raw.slice(0, 200));
  });

  test('failing over behind keep-alives is safe: a times out before its first byte, b streams, the client gets only b\'s stream', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { strategy: 'fill_first', keepalive_interval: '40ms', timeouts: { first_byte: '200ms' } },
      providers: { a: { keys: ['ka1'] }, b: { keys: ['kb1'] } },
    });
    harness.upstream.enqueue(chatRoute('a'), hangingResponse());
    harness.upstream.enqueue(chatRoute('b'), streamResponse(FULL_STREAM));
    const response = await chat(harness, { stream: true });
    assert.equal(response.status, 200);
    const text = response.body.toString('utf8');
    const start = text.indexOf('data: ');
    assert.match(text.slice(0, start), /^(: keep-alive\n\n)+$/);
    assert.equal(text.slice(start), FULL_STREAM);
    assert.deepEqual(chatTargets(harness.upstream), ['a:ka1', 'b:kb1']);
    assert.equal(await outcomeWithin(harness.upstream.requests[0] ?? assert.fail('no request')), 'aborted');
  });

  test('every candidate fails behind keep-alives: the error travels in-stream (the status line is gone)', async (t) => {
    const harness = await startRoutingHarness(t, {
      routing: { keepalive_interval: '40ms', timeouts: { first_byte: '150ms' } },
      providers: { a: { keys: ['ka1'] } },
      answerOk: false,
    });
    harness.upstream.enqueue(chatRoute('a'), hangingResponse());
    const response = await chat(harness, { stream: true });
    assert.equal(response.status, 200);
    const events = parseServerSentEvents(response.body.toString('utf8'));
    const error = JSON.parse(events[0]?.data ?? '{}') as { error?: { code?: string } };
    assert.equal(error.error?.code, 'upstream_timeout', response.body.toString('utf8'));
  });
});
