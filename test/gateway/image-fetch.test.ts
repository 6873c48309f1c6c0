/**
 * Image URLs sent to a provider that takes only inline data (Gemini) are fetched by the
 * gateway — from allowed addresses only — and arrive upstream as inlineData.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway } from '../../src/server/gateway.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');
const received: Array<Record<string, unknown>> = [];

const images = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
});
const gemini = createServer((request: IncomingMessage, response) => {
  let text = '';
  request.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  request.on('end', () => {
    received.push(JSON.parse(text) as Record<string, unknown>);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      candidates: [{ content: { role: 'model', parts: [{ text: 'a cat' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 300, candidatesTokenCount: 2, totalTokenCount: 302 },
    }));
  });
});
for (const server of [images, gemini]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/cat.png`;
const geminiUrl = `http://127.0.0.1:${(gemini.address() as AddressInfo).port}`;

after(() => {
  for (const server of [images, gemini]) {
    server.closeAllConnections();
    server.close();
  }
});

function ask(url: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(5000),
    body: JSON.stringify({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: imageUrl } }] }],
    }),
  });
}

test('an OpenAI image_url reaches Gemini as inlineData when its host is allowed', async () => {
  const gateway = await startGateway({
    config: { port: 0, image_fetch: { allow_hosts: ['127.0.0.1'] }, providers: { gemini: { endpoint: geminiUrl, api_keys: ['g-key'] } } },
    env: {},
    logLevel: 'silent',
  });
  try {
    const response = await ask(gateway.url);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    assert.equal(body.choices[0]?.message.content, 'a cat');
    const contents = received.at(-1)?.contents as Array<{ parts: Array<Record<string, unknown>> }>;
    const parts = contents[0]?.parts ?? [];
    assert.deepEqual(parts.find((part) => 'inlineData' in part), { inlineData: { mimeType: 'image/png', data: PNG.toString('base64') } });
    assert.ok(!JSON.stringify(received.at(-1)).includes(imageUrl), 'the URL itself is not sent');
  } finally {
    await gateway.close();
  }
});

test('a loopback image URL is refused with a 400 in the client format when not allowed', async () => {
  const gateway = await startGateway({ config: { port: 0, providers: { gemini: { endpoint: geminiUrl, api_keys: ['g-key'] } } }, env: {}, logLevel: 'silent' });
  const before = received.length;
  try {
    const response = await ask(gateway.url);
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { message: string; type: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /127\.0\.0\.1 is not a public address/);
    assert.equal(received.length, before, 'nothing went upstream');
  } finally {
    await gateway.close();
  }
});
