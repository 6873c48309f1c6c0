import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../errors.ts';
import type { IRRequest } from '../protocols/ir.ts';
import { ImageFetcher, isPublicAddress } from './inline-images.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const hits: string[] = [];
const server: Server = createServer((request, response) => {
  hits.push(request.url ?? '');
  switch (request.url) {
    case '/cat.png':
      response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      return;
    case '/page':
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      return;
    case '/huge':
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      response.write(Buffer.alloc(600));
      response.end(Buffer.alloc(600));
      return;
    case '/to-metadata':
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      return;
    case '/to-localhost':
      response.writeHead(302, { location: `http://localhost:${port()}/cat.png` }).end();
      return;
    case '/to-cat':
      response.writeHead(301, { location: '/cat.png' }).end();
      return;
    case '/hang':
      return; // never answers
    default:
      response.writeHead(404).end();
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (): number => (server.address() as AddressInfo).port;
const base = `http://127.0.0.1:${port()}`;

after(() => {
  server.closeAllConnections();
  server.close();
});

function fetcher(allowHosts: string[] = ['127.0.0.1'], maxBytes = 1000): ImageFetcher {
  return new ImageFetcher({ enabled: true, maxBytes, timeoutMs: 2000, allowHosts });
}

function rejectsWith(pattern: RegExp) {
  return (error: unknown) => error instanceof GatewayError && error.status === 400 && pattern.test(error.message);
}

test('only public addresses pass', () => {
  for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) assert.equal(isPublicAddress(address), true, address);
  for (const address of [
    '127.0.0.1', '127.9.9.9', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.1.1', '0.0.0.0',
    '224.0.0.1', '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip',
  ]) assert.equal(isPublicAddress(address), false, address);
});

test('loopback is refused unless allowed, and refused before any request is sent', async () => {
  const before = hits.length;
  await assert.rejects(fetcher([]).fetch(`${base}/cat.png`), rejectsWith(/127\.0\.0\.1 is not a public address/));
  await assert.rejects(fetcher([]).fetch(`http://localhost:${port()}/cat.png`), rejectsWith(/localhost resolves to .* not a public address/));
  await assert.rejects(fetcher([]).fetch('http://169.254.169.254/latest/meta-data'), rejectsWith(/not a public address/));
  assert.equal(hits.length, before, 'the server saw nothing');
});

test('an allowed host is fetched and inlined as base64 with its media type', async () => {
  const image = await fetcher().fetch(`${base}/cat.png`);
  assert.deepEqual(image, { mediaType: 'image/png', data: PNG.toString('base64') });
  assert.deepEqual(await fetcher().fetch(`${base}/to-cat`), image, 'a redirect to an allowed place is followed');
});

test('redirects are checked hop by hop', async () => {
  await assert.rejects(fetcher().fetch(`${base}/to-metadata`), rejectsWith(/169\.254\.169\.254 is not a public address/));
  await assert.rejects(fetcher().fetch(`${base}/to-localhost`), rejectsWith(/localhost resolves to/));
});

test('non-images, oversized bodies, errors and stalls are refused with a reason', async () => {
  await assert.rejects(fetcher().fetch(`${base}/page`), rejectsWith(/text\/html, not an image/));
  await assert.rejects(fetcher().fetch(`${base}/huge`), rejectsWith(/over the limit of 1000 bytes/));
  await assert.rejects(fetcher().fetch(`${base}/missing.png`), rejectsWith(/answered 404/));
  await assert.rejects(fetcher().fetch('ftp://example.com/x.png'), rejectsWith(/unsupported scheme/));
  const quick = new ImageFetcher({ enabled: true, maxBytes: 1000, timeoutMs: 200, allowHosts: ['127.0.0.1'] });
  await assert.rejects(quick.fetch(`${base}/hang`), (error: unknown) => error instanceof GatewayError && error.status === 400);
});

test('inline() replaces every URL image, in messages and tool results, fetching each URL once', async () => {
  const url = `${base}/cat.png`;
  const request: IRRequest = {
    model: 'm', system: [], tools: [], stream: false, extra: {}, sourceFormat: 'openai-chat',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { kind: 'url', url } }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', content: [{ type: 'image', source: { kind: 'url', url } }] }] },
      { role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'gs://bucket/kept.png' } }] },
    ],
  };
  const before = hits.filter((hit) => hit === '/cat.png').length;
  const inlined = await fetcher().inline(request);
  assert.equal(hits.filter((hit) => hit === '/cat.png').length - before, 1);
  const expected = { kind: 'base64', mediaType: 'image/png', data: PNG.toString('base64') };
  assert.deepEqual((inlined.messages[0]?.content[1] as { source: unknown }).source, expected);
  const result = inlined.messages[1]?.content[0] as { content: Array<{ source: unknown }> };
  assert.deepEqual(result.content[0]?.source, expected);
  assert.deepEqual((inlined.messages[2]?.content[0] as { source: unknown }).source, { kind: 'url', url: 'gs://bucket/kept.png' }, 'non-http URLs are left for the target');
  assert.equal((request.messages[0]?.content[1] as { source: { kind: string } }).source.kind, 'url', 'the input is not mutated');
  const disabled = new ImageFetcher({ enabled: false, maxBytes: 1000, timeoutMs: 1000, allowHosts: [] });
  await assert.rejects(disabled.inline(request), rejectsWith(/fetching image URLs is disabled/));
});
