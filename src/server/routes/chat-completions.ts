/**
 * `POST /v1/chat/completions`: resolve the model, then try candidates in order until one
 * answers. Failing over is only possible before the first byte reaches the client; after
 * that an upstream failure ends the stream with an in-stream error event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, toGatewayError } from '../../errors.ts';
import type { Candidate, Needs } from '../../routing/router.ts';
import type { ChatRequest } from '../../providers/types.ts';
import { readBody, parseJsonObject, sendJson } from '../http-io.ts';
import { relay, responseHeaders, upstreamBody } from '../fast-path.ts';
import { sendError, streamErrorText } from '../render-error.ts';
import { redactSecrets, type GatewayContext } from '../runtime.ts';
import { openAIUsage, type TokenCounts } from '../usage-sniffer.ts';

/** Statuses after which another candidate may do better. 400/413/422 are the request's fault. */
function shouldFailOver(status: number): boolean {
  return status === 401 || status === 402 || status === 403 || status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

export async function chatCompletions(request: IncomingMessage, response: ServerResponse, context: GatewayContext): Promise<void> {
  const runtime = context.current();
  const raw = await readBody(request, runtime.config.maxBodySize);
  const body = parseJsonObject(raw);
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new GatewayError(400, 'missing_model', 'you must provide a model parameter', { param: 'model', retryable: false });
  }
  if (!Array.isArray(body.messages)) {
    throw new GatewayError(400, 'invalid_request', "'messages' must be an array of messages", { param: 'messages', retryable: false });
  }
  const stream = body.stream === true;
  const candidates = runtime.router.resolve(model, needsOf(body, stream));

  const abort = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) abort.abort();
  });

  const skipped: string[] = [];
  let lastError: GatewayError | undefined;
  let lastUpstream: { status: number; headers: Record<string, string | string[]>; body: Buffer } | undefined;
  let attempts = 0;

  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index] as Candidate;
    const isLast = index === candidates.length - 1;
    if (candidate.entry.notServedYet !== undefined) {
      skipped.push(`${candidate.provider}: ${candidate.entry.notServedYet}`);
      continue;
    }
    if (candidate.entry.protocol !== 'openai-chat') {
      skipped.push(`${candidate.provider}: speaks ${candidate.entry.protocol}, and translation from OpenAI Chat Completions is not available`);
      continue;
    }
    if (abort.signal.aborted) return;
    attempts++;
    const started = performance.now();
    context.stats.start(candidate.provider);
    const extraHeaders = {
      'x-cliproxy-provider': candidate.provider,
      'x-cliproxy-model': candidate.upstreamModel,
      'x-cliproxy-attempts': String(attempts),
    };

    const http = candidate.entry.http;
    if (http === undefined) {
      // An external module: the object-level contract.
      try {
        await executeObject(candidate, body, stream, response, abort.signal, extraHeaders);
        context.stats.succeed(candidate.provider, performance.now() - started);
        return;
      } catch (error) {
        const failure = toGatewayError(error);
        context.stats.fail(candidate.provider, failure.status, failure.code, failure.message);
        if (response.headersSent) return void sendError(response, failure);
        lastError = failure;
        if (!failure.retryable) break;
        continue;
      }
    }

    let upstream;
    try {
      upstream = await http.forward({
        path: '/chat/completions',
        body: upstreamBody(raw, body, candidate),
        stream,
        credential: candidate.credential,
        signal: abort.signal,
        clientHeaders: request.headers,
      });
    } catch (error) {
      const failure = toGatewayError(error);
      context.stats.fail(candidate.provider, failure.status, failure.code, failure.message);
      context.logger.warn({ provider: candidate.provider, credential: candidate.credential?.id, code: failure.code }, failure.message);
      lastError = failure;
      if (abort.signal.aborted || !failure.retryable) break;
      continue;
    }

    if (upstream.status >= 400 && shouldFailOver(upstream.status) && !isLast) {
      const errorBody = await upstream.readAll().catch(() => Buffer.alloc(0));
      const message = redactSecrets(errorBody.toString('utf8').slice(0, 500), runtime.secrets);
      context.stats.fail(candidate.provider, upstream.status, 'upstream_error', message);
      context.logger.warn({ provider: candidate.provider, credential: candidate.credential?.id, status: upstream.status }, 'upstream error, failing over');
      lastUpstream = { status: upstream.status, headers: responseHeaders(upstream.headers, extraHeaders), body: errorBody };
      continue;
    }

    if (upstream.status >= 400) {
      // The last candidate's error goes to the client as the upstream sent it, secrets scrubbed.
      const errorBody = await upstream.readAll().catch(() => Buffer.alloc(0));
      const text = redactSecrets(errorBody.toString('utf8'), runtime.secrets);
      context.stats.fail(candidate.provider, upstream.status, 'upstream_error', text.slice(0, 500));
      const headers = responseHeaders(upstream.headers, extraHeaders);
      delete headers['content-length'];
      response.writeHead(upstream.status, headers);
      response.end(text);
      return;
    }

    const outcome = await relay(upstream, response, responseHeaders(upstream.headers, extraHeaders), {
      usageKey: 'usage',
      readUsage: openAIUsage,
      streamError: stream ? (error) => streamErrorText(error) : undefined,
    });
    const latency = performance.now() - started;
    if (outcome.ok) context.stats.succeed(candidate.provider, latency);
    else context.stats.fail(candidate.provider, outcome.error?.status ?? 502, outcome.error?.code ?? 'upstream_error', outcome.error?.message ?? 'stream failed');
    recordUsage(context, candidate, outcome.usage);
    return;
  }

  if (lastUpstream !== undefined && (lastError === undefined || lastError.status === 499)) {
    const text = redactSecrets(lastUpstream.body.toString('utf8'), runtime.secrets);
    delete lastUpstream.headers['content-length'];
    response.writeHead(lastUpstream.status, lastUpstream.headers);
    response.end(text);
    return;
  }
  if (lastError !== undefined) throw lastError;
  throw new GatewayError(503, 'no_credentials', `no provider could serve model ${model}: ${skipped.join('; ')}`, {
    retryable: false,
    details: { skipped },
  });
}

function recordUsage(context: GatewayContext, candidate: Candidate, usage: TokenCounts | undefined): void {
  if (usage !== undefined) context.stats.addTokens(candidate.provider, usage.input, usage.output);
}

function needsOf(body: Record<string, unknown>, stream: boolean): Needs {
  const tools = body.tools;
  return {
    streaming: stream,
    functions: Array.isArray(tools) && tools.length > 0,
    vision: hasImage(body.messages as unknown[]),
  };
}

function hasImage(messages: unknown[]): boolean {
  for (const message of messages) {
    const content = (message as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const part of content) if ((part as { type?: unknown } | null)?.type === 'image_url') return true;
  }
  return false;
}

/** Runs a module provider's execute/executeStream and writes OpenAI-format output. */
async function executeObject(
  candidate: Candidate,
  body: Record<string, unknown>,
  stream: boolean,
  response: ServerResponse,
  signal: AbortSignal,
  headers: Record<string, string>,
): Promise<void> {
  const provider = candidate.entry.provider;
  const request = { ...body, model: candidate.upstreamModel } as ChatRequest;
  const context = { credential: candidate.credential, signal };
  if (!stream) {
    const result = await provider.execute(request, context);
    sendJson(response, 200, result, headers);
    return;
  }
  const iterator = provider.executeStream(request, context)[Symbol.asyncIterator]();
  // Nothing is sent until the first chunk, so a provider that fails at once can fail over.
  let next = await iterator.next();
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  while (next.done !== true) {
    if (signal.aborted) {
      await iterator.return?.();
      return;
    }
    if (!response.write(`data: ${JSON.stringify(next.value)}\n\n`)) {
      await new Promise<void>((resolve) => response.once('drain', resolve));
    }
    next = await iterator.next();
  }
  response.end('data: [DONE]\n\n');
}
