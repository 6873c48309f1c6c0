/**
 * The minimal relay: the least a Node.js gateway can do on the fast path, and so the limit
 * cliproxy is measured against. `node:http` in, undici `Pool` (keep-alive) out: read the body,
 * `JSON.parse` it, rewrite `model`, forward it, and stream the response bytes back as they
 * arrive. No routing, no auth, no usage accounting: whatever cliproxy spends beyond this is
 * its own overhead. Run as its own process by the runner:
 *
 *   node bench/relay.ts --port 0 --upstream http://127.0.0.1:PORT --api-key sk-bench
 */
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { announceReady, exitWithParent } from './child-entry.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    upstream: { type: 'string' },
    'upstream-path': { type: 'string', default: '/v1/chat/completions' },
    'api-key': { type: 'string', default: 'sk-bench' },
  },
});
if (values.upstream === undefined) throw new Error('--upstream is required');

const upstreamPath = values['upstream-path'];
const upstreamHeaders = { 'content-type': 'application/json', authorization: `Bearer ${values['api-key']}` };
// The relay's whole "model mapping": what cliproxy does with a configured model and no alias.
const modelNames = new Map<string, string>([['bench-model', 'bench-model']]);
const pool = new Pool(values.upstream, { pipelining: 1, keepAliveTimeout: 60_000 });

function sendError(response: ServerResponse, status: number, message: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, type: 'relay_error', code: null } });
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function relay(response: ServerResponse, rawBody: Buffer): void {
  let body: { model?: unknown };
  try {
    body = JSON.parse(rawBody.toString('utf8')) as { model?: unknown };
  } catch {
    sendError(response, 400, 'body is not JSON');
    return;
  }
  const model = typeof body.model === 'string' ? modelNames.get(body.model) : undefined;
  if (model === undefined) {
    sendError(response, 404, 'unknown model');
    return;
  }
  body.model = model;
  pool
    .stream({ path: upstreamPath, method: 'POST', headers: upstreamHeaders, body: JSON.stringify(body) }, ({ statusCode, headers }) => {
      const forwarded: OutgoingHttpHeaders = {};
      const contentType = headers['content-type'];
      const contentLength = headers['content-length'];
      if (typeof contentType === 'string') forwarded['content-type'] = contentType;
      if (typeof contentLength === 'string') forwarded['content-length'] = contentLength;
      response.writeHead(statusCode, forwarded);
      return response;
    })
    .catch((error: unknown) => sendError(response, 502, error instanceof Error ? error.message : String(error)));
}

const server = createServer({ keepAliveTimeout: 60_000 }, (request: IncomingMessage, response: ServerResponse) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => relay(response, parts.length === 1 ? parts[0] : Buffer.concat(parts)));
});

server.listen(Number(values.port), values.host, () => announceReady(server));
exitWithParent(() => {
  server.close();
  void pool.close();
});
