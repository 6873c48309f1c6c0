/**
 * The fake upstream: an OpenAI-compatible `POST /v1/chat/completions` on loopback that
 * answers at once, so the benchmark measures what sits in front of it. Non-streaming gets a
 * fixed `chat.completion`; `"stream": true` gets `--chunks` SSE chunks and `data: [DONE]`,
 * written back to back or `--chunk-interval-ms` apart. With `--format anthropic` it is a Claude
 * upstream instead: `POST /v1/messages`, a fixed `message`, or for `"stream": true` an Anthropic
 * SSE stream with `--chunks` `content_block_delta` events. Run as its own process by the runner:
 *
 *   node bench/fake-upstream.ts --port 0 --chunks 100 --chunk-interval-ms 0 [--format anthropic]
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { anthropicMessageBody, anthropicStreamEvents, chatCompletionBody, chatCompletionEvents } from './chat-payloads.ts';
import { announceReady, exitWithParent } from './child-entry.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    chunks: { type: 'string', default: '100' },
    'chunk-interval-ms': { type: 'string', default: '0' },
    format: { type: 'string', default: 'openai' },
  },
});

const chunks = Number(values.chunks);
const chunkIntervalMs = Number(values['chunk-interval-ms']);
const anthropic = values.format === 'anthropic';
if (!anthropic && values.format !== 'openai') throw new Error(`--format must be openai or anthropic, got ${values.format}`);
const route = anthropic ? '/v1/messages' : '/v1/chat/completions';

interface Answer {
  completion: Buffer;
  events: Buffer[];
}

// Built once per model name the upstream is asked for, then only written.
const answers = new Map<string, Answer>();
function answerFor(model: string): Answer {
  let answer = answers.get(model);
  if (answer === undefined) {
    answer = {
      completion: Buffer.from(anthropic ? anthropicMessageBody(model) : chatCompletionBody(model)),
      events: (anthropic ? anthropicStreamEvents(model, chunks) : chatCompletionEvents(model, chunks)).map((event) => Buffer.from(event)),
    };
    answers.set(model, answer);
  }
  return answer;
}

function sendError(response: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', code: null } });
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function sendStream(response: ServerResponse, events: Buffer[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (chunkIntervalMs <= 0) {
    for (const event of events) response.write(event);
    response.end();
    return;
  }
  let index = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    response.write(events[index++]);
    if (index === events.length) response.end();
    else timer = setTimeout(next, chunkIntervalMs);
  };
  response.on('close', () => clearTimeout(timer));
  next();
}

function handle(request: IncomingMessage, response: ServerResponse, rawBody: Buffer): void {
  if (request.method !== 'POST' || request.url !== route) {
    sendError(response, 404, `no route ${request.method} ${request.url}`);
    return;
  }
  let body: { model?: unknown; stream?: unknown };
  try {
    body = JSON.parse(rawBody.toString('utf8')) as { model?: unknown; stream?: unknown };
  } catch {
    sendError(response, 400, 'body is not JSON');
    return;
  }
  const answer = answerFor(typeof body.model === 'string' ? body.model : 'unknown');
  if (body.stream === true) {
    sendStream(response, answer.events);
  } else {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.completion.length });
    response.end(answer.completion);
  }
}

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => handle(request, response, parts.length === 1 ? parts[0] : Buffer.concat(parts)));
});

server.listen(Number(values.port), values.host, () => announceReady(server));
exitWithParent(() => server.close());
