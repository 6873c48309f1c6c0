/**
 * The gateway on either HTTP server: its own (the default) and node:http's
 * (`CLIPROXY_HTTP_SERVER=node`). The same requests get the same answers from both; what
 * tells them apart on the wire is the case of the keep-alive header names (Node writes
 * `Connection:`, ours `connection:`). The server's own behaviour is tested in
 * src/http1/server.test.ts; this is the gateway wired to it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { jsonResponse } from '../helpers/fake-upstream.ts';
import { CHAT_ROUTES, CLIENT_KEY, startProxyHarness } from '../helpers/gateway-harness.ts';

const COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4.1-nano',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

/** Writes `bytes` on a fresh connection and returns everything the server sent until it closed or went quiet. */
function exchange(url: string, bytes: string, quietMs = 300): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      received += text;
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    });
    socket.on('close', done);
    socket.on('error', reject);
    socket.write(bytes);
  });
}

function chatRequest(body: string, extra = ''): string {
  return `POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\nauthorization: Bearer ${CLIENT_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

for (const engine of ['own', 'node'] as const) {
  describe(`the gateway on ${engine === 'own' ? 'its own HTTP server' : "node:http's server (CLIPROXY_HTTP_SERVER=node)"}`, () => {
    const env: Record<string, string> = engine === 'node' ? { CLIPROXY_HTTP_SERVER: 'node' } : {};

    test('serves a chat completion through the OpenAI SDK, the upstream getting the client bytes', async (t) => {
      const harness = await startProxyHarness(t, { env });
      harness.upstream.enqueue(CHAT_ROUTES.openai, jsonResponse(COMPLETION));
      const completion = await harness.client.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(completion.choices[0]?.message.content, 'hello');
      assert.equal(completion.usage?.total_tokens, 4);
      const upstream = harness.upstream.requests[0];
      assert.ok(upstream !== undefined);
      assert.deepEqual((upstream.body as { messages: unknown }).messages, [{ role: 'user', content: 'hi' }]);
    });

    test('two requests on one connection, each answered with its length, the connection kept', async (t) => {
      const harness = await startProxyHarness(t, { env });
      harness.upstream.enqueue(CHAT_ROUTES.openai, jsonResponse(COMPLETION));
      harness.upstream.enqueue(CHAT_ROUTES.openai, jsonResponse(COMPLETION));
      const body = JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] });
      const text = await exchange(harness.url, chatRequest(body) + chatRequest(body));
      const heads = text.split('HTTP/1.1 ').slice(1);
      assert.equal(heads.length, 2, `two answers on the one connection:\n${text}`);
      for (const answer of heads) {
        assert.match(answer, /^200 OK\r\n/);
        assert.match(answer, new RegExp(`\r\ncontent-length: ${Buffer.byteLength(JSON.stringify(COMPLETION))}\r\n`, 'i'));
        assert.match(answer, /\r\nx-cliproxy-provider: openai\r\n/i);
        // Which server answered: Node capitalises the names it adds, ours writes them in lower case.
        assert.match(answer, engine === 'node' ? /\r\nConnection: keep-alive\r\n/ : /\r\nconnection: keep-alive\r\n/);
      }
    });
  });
}

describe("the gateway's own server refuses what node:http's would misread", () => {
  test('a body framed by both Transfer-Encoding and Content-Length: 400 in JSON, nothing sent upstream, the connection closed', async (t) => {
    const harness = await startProxyHarness(t);
    const body = JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] });
    const smuggled = `POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\nauthorization: Bearer ${CLIENT_KEY}\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const text = await exchange(harness.url, smuggled);
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(text, /\r\nconnection: close\r\n/);
    const json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { message: string } };
    assert.match(json.error.message, /Transfer-Encoding and Content-Length/);
    assert.equal(harness.upstream.requests.length, 0);
  });
});
