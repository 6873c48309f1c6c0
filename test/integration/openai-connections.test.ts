/**
 * Connections (issue 2, sections 5 and 7): a client that goes away aborts its upstream
 * request, concurrent streams never mix, and keep-alive holds on both sides.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { fixtureResponse, hangingResponse, outcomeWithin, sentBody, streamResponse } from '../helpers/fake-upstream.ts';
import { openAIChatFraming } from '../helpers/sse-framing.ts';
import { CHAT_ROUTES, CLIENT_KEY, startProxyHarness, within } from '../helpers/gateway-harness.ts';
import {
  REQUEST_TIMEOUT_MS,
  USER_MESSAGE,
  fixtureBytes,
  fixturePayloads,
  fixtureUrl,
  gatewayChat,
  httpPost,
  onlyRequest,
  signal,
} from '../helpers/openai-proxy-kit.ts';

describe('connections', () => {
  test('a client that disconnects mid-stream aborts the upstream request, every time, and the gateway serves on', async (t) => {
    const harness = await startProxyHarness(t);
    const rounds = 3;
    for (let round = 0; round < rounds; round += 1) {
      // Two events, then the upstream keeps the stream open: only the client can end it.
      harness.upstream.enqueue(
        CHAT_ROUTES.openai,
        streamResponse(await fixtureBytes('text-usage.chunks.txt'), { limitParts: 2, after: 'hang' }),
      );
      const controller = new AbortController();
      const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      t.after(() => clearTimeout(timeout));
      const response = await fetch(`${harness.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }),
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      assert.ok(response.body !== null);
      const reader = response.body.getReader();
      const first = await within(reader.read(), REQUEST_TIMEOUT_MS, 'the first streamed bytes');
      assert.ok(first.value !== undefined && first.value.length > 0, 'no streamed bytes arrived before the disconnect');
      controller.abort();
      await reader.cancel().catch(() => {});

      const upstreamRequest = harness.upstream.requests[round];
      assert.ok(upstreamRequest !== undefined);
      assert.equal(await outcomeWithin(upstreamRequest), 'aborted', `round ${round}: the upstream request outlived the client`);
    }
    harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text-usage.chunks.txt'), openAIChatFraming));
    const after = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }));
    assert.equal(after.status, 200);
    assert.ok(after.body.equals(await fixtureBytes('text-usage.chunks.txt')));
  });

  test('a client that gives up before the upstream’s first byte aborts the upstream request', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(CHAT_ROUTES.openai, hangingResponse());
    const controller = new AbortController();
    const pending = fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }),
      signal: controller.signal,
    });
    const [upstreamRequest] = await harness.upstream.waitForRequests(1);
    controller.abort();
    await assert.rejects(pending);
    assert.equal(await outcomeWithin(upstreamRequest ?? assert.fail('no upstream request')), 'aborted', 'the upstream request outlived the client');
  });

  test('the SDK aborting a stream aborts the upstream request', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.enqueue(
      CHAT_ROUTES.openai,
      streamResponse(await fixtureBytes('text-usage.chunks.txt'), { limitParts: 2, after: 'hang' }),
    );
    const stream = await harness.client.chat.completions.create({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true }, signal());
    // Read two chunks, then abort explicitly. (Leaving a for-await loop with `break` would
    // only abort once the SDK's pending read settles, which here is its own timeout.)
    const iterator = stream[Symbol.asyncIterator]();
    const received: ChatCompletionChunk[] = [];
    for (let index = 0; index < 2; index += 1) {
      const next = await within(iterator.next(), REQUEST_TIMEOUT_MS, 'an SDK chunk');
      assert.ok(next.done !== true, 'the stream ended before two chunks');
      received.push(next.value);
    }
    stream.controller.abort();
    assert.deepEqual(received, (await fixturePayloads('text-usage.chunks.txt')).slice(0, 2));
    assert.equal(await outcomeWithin(onlyRequest(harness)), 'aborted');
  });

  test('concurrent streams do not mix: each client gets exactly the bytes its own upstream exchange carried', async (t) => {
    const harness = await startProxyHarness(t);
    const names = ['text-usage.chunks.txt', 'tool-call-fragmented.chunks.txt', 'parallel-tool-calls.chunks.txt', 'refusal.chunks.txt', 'reasoning-content.chunks.txt', 'text-comments.sse'];
    const count = 12;
    for (let index = 0; index < count; index += 1) {
      const name = names[index % names.length] ?? 'text-usage.chunks.txt';
      harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(name), openAIChatFraming, { split: 40, delayMs: 2 }));
    }
    const responses = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: true, user: `client-${index}` })),
      ),
    );
    assert.equal(harness.upstream.requests.length, count);
    const distinctBodies = new Set<string>();
    for (const [index, response] of responses.entries()) {
      assert.equal(response.status, 200);
      const upstreamRequest = harness.upstream.requests.find((request) => (request.body as { user?: unknown }).user === `client-${index}`);
      assert.ok(upstreamRequest !== undefined, `client-${index} never reached the upstream`);
      assert.equal(await outcomeWithin(upstreamRequest), 'completed');
      assert.ok(response.body.equals(sentBody(upstreamRequest)), `client-${index} received bytes of another exchange`);
      distinctBodies.add(response.body.toString('utf8'));
    }
    assert.equal(distinctBodies.size, names.length);
  });

  test('upstream connections are kept alive and reused across requests', async (t) => {
    const harness = await startProxyHarness(t);
    const requests = 6;
    for (let index = 0; index < requests; index += 1) {
      harness.upstream.enqueue(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl(index % 2 === 0 ? 'text.json' : 'text-usage.chunks.txt'), openAIChatFraming));
    }
    for (let index = 0; index < requests; index += 1) {
      const response = await gatewayChat(harness, JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE, stream: index % 2 === 1 }));
      assert.equal(response.status, 200);
    }
    assert.equal(harness.upstream.requests.length, requests);
    assert.ok(
      harness.upstream.connectionCount < requests,
      `${requests} sequential requests used ${harness.upstream.connectionCount} upstream connections: none was reused`,
    );
  });

  test('client connections are kept alive: sequential requests reuse one socket', async (t) => {
    const harness = await startProxyHarness(t);
    harness.upstream.always(CHAT_ROUTES.openai, await fixtureResponse(fixtureUrl('text.json'), openAIChatFraming));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const body = JSON.stringify({ model: 'gpt-4.1-nano', messages: USER_MESSAGE });
    const reused: boolean[] = [];
    for (let index = 0; index < 3; index += 1) {
      const result = await httpPost(`${harness.url}/v1/chat/completions`, { agent, pieces: [body] });
      assert.equal(result.status, 200, result.body);
      reused.push(result.reusedSocket);
      // Let the agent take the socket back before the next request asks for one.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(reused, [false, true, true], `sockets reused: ${JSON.stringify(reused)}`);
  });
});
