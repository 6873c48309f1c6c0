/**
 * The fake upstream and the SSE helpers checked on their own, with plain `fetch` and
 * `node:http` as the client, so a gateway test failure is never the fake's fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import {
  bytesResponse,
  fixtureBody,
  fixtureResponse,
  hangingResponse,
  jsonResponse,
  outcomeWithin,
  sentBody,
  startFakeUpstream,
  streamResponse,
} from './fake-upstream.ts';
import type { FakeUpstream } from './fake-upstream.ts';
import { chunkLines, geminiFraming, namedEventFraming, openAIChatFraming, parseServerSentEvents } from './sse-framing.ts';
import { chunkPayloadsOfSse, summarizeChunks } from './openai-chat-summary.ts';

const FIXTURES = new URL('../fixtures/openai/', import.meta.url);

async function started(t: { after: (fn: () => Promise<void>) => void }): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream();
  t.after(() => upstream.close());
  return upstream;
}

test('records the request and answers with the queued JSON, in order, then 599 when nothing is left', async (t) => {
  const upstream = await started(t);
  upstream.enqueue('POST /v1/chat/completions', jsonResponse({ n: 1 }), jsonResponse({ n: 2 }, { status: 201, headers: { 'x-extra': 'yes' } }));
  const send = (): Promise<Response> =>
    fetch(`${upstream.url}/v1/chat/completions?x=1`, {
      method: 'POST',
      headers: { authorization: 'Bearer up', 'content-type': 'application/json' },
      body: '{"model":"m", "k": 1}',
      signal: AbortSignal.timeout(5_000),
    });
  const first = await send();
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { n: 1 });
  const second = await send();
  assert.equal(second.status, 201);
  assert.equal(second.headers.get('x-extra'), 'yes');
  assert.deepEqual(await second.json(), { n: 2 });
  const third = await send();
  assert.equal(third.status, 599);
  await third.arrayBuffer();

  assert.equal(upstream.requests.length, 3);
  const recorded = upstream.requests[0];
  assert.equal(recorded?.method, 'POST');
  assert.equal(recorded?.url, '/v1/chat/completions?x=1');
  assert.equal(recorded?.path, '/v1/chat/completions');
  assert.equal(recorded?.headers.authorization, 'Bearer up');
  assert.equal(recorded?.rawBody.toString('utf8'), '{"model":"m", "k": 1}');
  assert.deepEqual(recorded?.body, { model: 'm', k: 1 });
  assert.equal(await outcomeWithin(recorded ?? assert.fail()), 'completed');
  assert.equal(upstream.unmatched.length, 1);
  // fetch keeps connections alive, so three sequential requests share at most two sockets
  // (undici may open a second one before it has put the first back in its pool).
  const ids = upstream.requests.map((request) => request.connectionId);
  assert.ok(upstream.connectionCount < 3, `connections per request: ${JSON.stringify(ids)}`);
  assert.equal(new Set(ids).size, upstream.connectionCount);
});

test('always() answers every request once the queue is empty', async (t) => {
  const upstream = await started(t);
  upstream.enqueue('GET /x', bytesResponse('first'));
  upstream.always('GET /x', bytesResponse('again', { status: 500 }));
  const bodies: string[] = [];
  for (let index = 0; index < 3; index += 1) {
    const response = await fetch(`${upstream.url}/x`, { signal: AbortSignal.timeout(5_000) });
    bodies.push(`${response.status} ${await response.text()}`);
  }
  assert.deepEqual(bodies, ['200 first', '500 again', '500 again']);
});

test('a route ending in * matches by prefix; an exact route wins; the query plays no part', async (t) => {
  const upstream = await started(t);
  upstream.enqueue('POST /v1beta/models/*', bytesResponse('prefix'));
  upstream.enqueue('POST /v1beta/models/exact:generateContent', bytesResponse('exact'));
  upstream.always('POST /v1beta/*', bytesResponse('fallback'));
  const send = async (path: string): Promise<string> => {
    const response = await fetch(`${upstream.url}${path}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5_000) });
    return response.text();
  };
  assert.equal(await send('/v1beta/models/exact:generateContent?alt=sse'), 'exact');
  assert.equal(await send('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'), 'prefix');
  assert.equal(await send('/v1beta/models/gemini-2.5-flash:streamGenerateContent'), 'fallback');
  assert.equal(upstream.requests[1]?.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
});

test('a stream split into 5-byte writes arrives byte for byte and is recorded as sent', async (t) => {
  const upstream = await started(t);
  const body = await fixtureBody(new URL('text-usage.chunks.txt', FIXTURES), openAIChatFraming);
  upstream.enqueue('POST /s', streamResponse(body, { split: 5 }));
  const response = await fetch(`${upstream.url}/s`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5_000) });
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const received = Buffer.from(await response.arrayBuffer());
  assert.ok(received.equals(body));
  assert.ok(sentBody(upstream.requests[0] ?? assert.fail()).equals(body));
  assert.ok(body.toString('utf8').endsWith('data: [DONE]\n\n'));
});

test('fixtureResponse serves JSON fixtures with a status, streams with framing', async (t) => {
  const upstream = await started(t);
  upstream.enqueue('GET /e', await fixtureResponse(new URL('error-429-rate-limit.json', FIXTURES), openAIChatFraming, { status: 429 }));
  const response = await fetch(`${upstream.url}/e`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(response.status, 429);
  assert.equal(response.headers.get('content-type'), 'application/json');
  assert.equal((await response.json() as { error: { code: string } }).error.code, 'rate_limit_exceeded');
});

test('a hanging answer ends as "aborted" when the client goes away', async (t) => {
  const upstream = await started(t);
  upstream.enqueue('POST /h', hangingResponse());
  const controller = new AbortController();
  const pending = fetch(`${upstream.url}/h`, { method: 'POST', body: '{}', signal: controller.signal });
  const [recorded] = await upstream.waitForRequests(1);
  controller.abort();
  await assert.rejects(pending);
  assert.equal(await outcomeWithin(recorded ?? assert.fail()), 'aborted');
});

test('a reset after some events: the client sees those events, then an error; outcome "reset"', async (t) => {
  const upstream = await started(t);
  const body = await fixtureBody(new URL('text-usage.chunks.txt', FIXTURES), openAIChatFraming);
  upstream.enqueue('POST /r', streamResponse(body, { limitParts: 2, after: 'reset' }));
  const received: Buffer[] = [];
  const failure = await new Promise<Error>((resolve) => {
    const request = httpRequest(`${upstream.url}/r`, { method: 'POST', agent: false }, (response) => {
      response.on('data', (chunk: Buffer) => received.push(chunk));
      response.on('error', resolve);
      response.on('end', () => resolve(new Error('ended cleanly')));
    });
    request.on('error', resolve);
    request.end('{}');
  });
  assert.notEqual(failure.message, 'ended cleanly');
  const recorded = upstream.requests[0] ?? assert.fail();
  assert.equal(await outcomeWithin(recorded), 'reset');
  const sent = sentBody(recorded);
  assert.equal(parseServerSentEvents(sent.toString('utf8')).length, 2);
  assert.ok(Buffer.concat(received).equals(sent));
});

test('close() ends hanging exchanges and refuses new connections', async () => {
  const upstream = await startFakeUpstream();
  upstream.enqueue('POST /h', hangingResponse());
  const pending = fetch(`${upstream.url}/h`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5_000) });
  const [recorded] = await upstream.waitForRequests(1);
  await upstream.close();
  await upstream.close();
  await assert.rejects(pending);
  assert.equal(await outcomeWithin(recorded ?? assert.fail()), 'aborted');
  await assert.rejects(fetch(`${upstream.url}/h`, { signal: AbortSignal.timeout(5_000) }));
});

test('parseServerSentEvents: comments, CRLF, CR, multi-line data, a last event without its blank line', () => {
  const events = parseServerSentEvents(': hi\r\n\r\nevent: a\r\ndata: 1\r\ndata:2\r\n\r\ndata: x\r\rdata: last');
  assert.deepEqual(events, [
    { event: 'a', data: '1\n2' },
    { event: undefined, data: 'x' },
    { event: undefined, data: 'last' },
  ]);
  assert.deepEqual(chunkLines('{"a":1}\r\n\n{"b":2}\n'), ['{"a":1}', '{"b":2}']);
  assert.equal(openAIChatFraming(['{"a":1}', '{"b":2}']), 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n');
  assert.equal(namedEventFraming(['{"type":"ping"}', '{"type":"message_stop"}']), 'event: ping\ndata: {"type":"ping"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n');
  assert.throws(() => namedEventFraming(['{"no":"type"}']));
  assert.equal(geminiFraming(['{"a":1}']), 'data: {"a":1}\r\n\r\n');
});

test('summarizeChunks: fragmented, whole, Mistral (no index), content arrays, reasoning fields', () => {
  const summary = summarizeChunks(
    chunkPayloadsOfSse(
      openAIChatFraming([
        '{"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"r1","reasoning":"g1"}}]}',
        '{"choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"t1"}]},{"type":"text","text":"A"}]}}]}',
        '{"choices":[{"index":0,"delta":{"content":"B","tool_calls":[{"index":0,"id":"c0","type":"function","function":{"name":"f","arguments":"{\\"a\\""}}]}}]}',
        '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}',
        '{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"m1","function":{"name":"g","arguments":"{}"}},{"id":"m2","function":{"name":"h","arguments":"[]"}}]},"finish_reason":"tool_calls"}],"usage":{"total_tokens":3}}',
      ]),
    ),
  );
  assert.deepEqual(summary.choices, [
    {
      index: 0,
      role: 'assistant',
      content: 'AB',
      refusal: '',
      reasoningContent: 'r1',
      reasoning: 'g1',
      thinking: 't1',
      toolCalls: [
        { id: 'c0', type: 'function', name: 'f', arguments: '{"a":1}' },
        { id: 'm1', type: undefined, name: 'g', arguments: '{}' },
        { id: 'm2', type: undefined, name: 'h', arguments: '[]' },
      ],
      finishReason: 'tool_calls',
    },
  ]);
  assert.deepEqual(summary.usage, { total_tokens: 3 });
  assert.equal(summary.sdkAccumulable, false);
});
