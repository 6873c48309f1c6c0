/**
 * One inference request, in any inbound format, tried against its candidates in order.
 * Each attempt takes one of three paths:
 * - fast: the provider takes the client's format natively; bytes are forwarded with only
 *   the model rewritten, and the answer's bytes stream back untouched;
 * - translated: client format → IR → the provider's format, and the answer back the same
 *   way, streaming event by event;
 * - object: a provider from an external module, driven through its execute/executeStream.
 * Failing over is possible until the first byte reaches the client. A translated stream
 * holds its opening bytes until the first content event, so an upstream that fails at
 * once (an error event before any content) still fails over.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayResponse } from './types.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import { ADAPTERS, createJsonArrayStreamRenderer } from '../protocols/index.ts';
import type { StreamParser, StreamRenderer } from '../protocols/adapter.ts';
import type { IRRequest, IRStreamEvent, Usage, WireFormat } from '../protocols/ir.ts';
import { upstreamFailure, upstreamPath } from '../providers/http-provider.ts';
import type { BodySink } from '../providers/upstream-client.ts';
import type { ChatRequest } from '../providers/types.ts';
import type { Candidate, Needs } from '../routing/router.ts';
import { relay, responseHeaders, upstreamBody } from './fast-path.ts';
import { sendJson } from './http-io.ts';
import type { ImageFetcher } from './inline-images.ts';
import { randomUUID } from 'node:crypto';
import { createKiroStreamParser, kiroHttpError, kiroModelId, kiroToolNames, parseKiroResponse, renderKiroRequest } from '../protocols/kiro/index.ts';
import { sendError } from './render-error.ts';
import { redactSecrets, type GatewayContext } from './runtime.ts';
import { policyFrom } from '../routing/cooldowns.ts';
import { ANONYMOUS, type ClientIdentity } from './auth.ts';
import type { Admission, LimitScope } from '../routing/limits.ts';
import { readUsageFor, usageKeyFor, type TokenCounts } from './usage-sniffer.ts';
import { Cancellation } from './cancellation.ts';
import { REQUEST_ID_HEADER } from './request-id.ts';

export interface InboundCall {
  format: WireFormat;
  raw: Buffer;
  body: Record<string, unknown>;
  /** The model the client named (Gemini: from the URL). */
  model: string;
  stream: boolean;
  /** Gemini clients choose SSE (`alt=sse`) or a streamed JSON array. */
  geminiSse: boolean;
  headers: IncomingHttpHeaders;
  /** For log lines about this request. */
  requestId?: string;
  /** For OAuth providers' headers (Copilot's X-Initiator, Copilot-Vision-Request). */
  hints?: { initiator: 'user' | 'agent'; vision: boolean };
  /** The client's request as IR, parsed on first need. */
  ir?: IRRequest;
  /** The IR with URL images fetched and inlined, for targets that need that. */
  inlined?: IRRequest;
}

/** Anything whose bytes can be piped: an upstream response, or a module provider's stream. */
interface BodySource {
  pipe(sink: BodySink): void;
  abort(): void;
}

interface CapturedError {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** The format the error body is written in. */
  format: WireFormat;
}

type AttemptResult =
  | { kind: 'done'; ok: boolean; usage?: TokenCounts; error?: GatewayError }
  | { kind: 'failed'; error: GatewayError; captured?: CapturedError };

/** Statuses after which another candidate may do better. 400/413/422 are the request's fault. */
export function shouldFailOver(status: number): boolean {
  return status === 401 || status === 402 || status === 403 || status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Drops the parsed request (JSON objects several times the size of its bytes: a coding
 * agent's context is hundreds of KB) once the answer is committed to one candidate, so a
 * long stream does not hold it. Only the fast path can: a translated stream's renderer
 * reads the IR to the end.
 */
function releaseParsedRequest(call: InboundCall): void {
  call.body = RELEASED_BODY;
  call.ir = undefined;
  call.inlined = undefined;
}

const RELEASED_BODY: Record<string, unknown> = Object.freeze({});

export function parsedRequest(call: InboundCall): IRRequest {
  call.ir ??= ADAPTERS[call.format].parseRequest(call.body, { model: call.model, stream: call.stream });
  return call.ir;
}

export async function proxy(call: InboundCall, response: GatewayResponse, context: GatewayContext, needs: Needs, client: ClientIdentity = ANONYMOUS): Promise<void> {
  const runtime = context.current();
  const started = performance.now();
  // The usage record: filled in by route() as far as the request got.
  const usage: ServedUsage = { provider: '-', credential: '-', model: call.model, status: 0, counts: undefined };
  context.metrics.requestStarted();
  try {
    await route(call, response, context, needs, client, usage);
  } catch (error) {
    usage.status = toGatewayError(error).status;
    throw error;
  } finally {
    const counts = usage.counts;
    const record = {
      time: context.clock.now(),
      client: client.id,
      provider: usage.provider,
      credential: usage.credential,
      model: usage.model,
      inputTokens: counts?.input ?? 0,
      outputTokens: counts?.output ?? 0,
      cachedTokens: counts?.cached ?? 0,
      reasoningTokens: counts?.reasoning ?? 0,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
      status: usage.status === 0 ? 500 : usage.status,
    };
    context.metrics.requestEnded(call.format, record);
    if (runtime.config.usage.enabled) {
      context.state.recordUsage(record).catch((error: unknown) => context.logger.warn({ request_id: call.requestId, err: error }, 'usage record lost'));
    }
  }
}

async function route(call: InboundCall, response: GatewayResponse, context: GatewayContext, needs: Needs, client: ClientIdentity, usage: ServedUsage): Promise<void> {
  const runtime = context.current();
  const routing = runtime.config.routing;
  const tokens = estimateCallTokens(call);
  call.hints ??= hintsOf(call, needs.vision === true);
  const clientLimits = runtime.config.clientKeys.length === 0 ? undefined : runtime.config.clientKeys.find((key) => key.name === client.name)?.limits;
  const clientHeld = clientLimits === undefined ? [] : await admitOrWait(context, [{ key: `client:${client.name}`, limits: clientLimits }], tokens, `client key ${client.name}`);
  let candidates: Candidate[];
  try {
    const routed = { ...needs, tokens };
    candidates = runtime.router.selectNow(call.model, routed) ?? await runtime.router.select(call.model, routed);
  } catch (error) {
    // Refused before any upstream (every candidate cooling, unknown model): nothing was used.
    await context.limits.release(clientHeld);
    throw error;
  }
  const abort = new Cancellation();
  // `on`, not `once`: a response closes once, and `once` wraps the listener per request.
  response.on('close', () => {
    if (!response.writableFinished) abort.abort();
  });
  const sse = call.stream && (call.format !== 'gemini' || call.geminiSse);
  const keepAlive = sse ? startKeepAlive(response, routing.keepaliveIntervalMs, call.requestId) : undefined;

  try {
    for (let round = 0; ; round++) {
      const outcome = await tryCandidates(call, candidates, response, context, abort, tokens, keepAlive);
      if (outcome.kind === 'served') {
        if (clientHeld.length > 0) await context.limits.settle(clientHeld, outcome.tokens);
        Object.assign(usage, outcome.usage);
        return;
      }
      if (abort.aborted) {
        usage.status = 499;
        await context.limits.release(clientHeld);
        return;
      }
      if (outcome.kind === 'limited' && routing.onLimit === 'wait' && round === 0 && outcome.retryAfterMs <= routing.maxWaitMs) {
        await context.clock.sleep(outcome.retryAfterMs);
        continue;
      }
      await context.limits.release(clientHeld);
      if (outcome.kind === 'failed') Object.assign(usage, outcome.usage, { status: outcome.last.error.status });
      return finish(call, response, runtime, outcome);
    }
  } catch (error) {
    // tryCandidates refuses some requests itself (max_tokens over every provider's cap);
    // releasing twice (after finish() threw) is harmless: it sets the amount to 0 again.
    await context.limits.release(clientHeld);
    throw error;
  } finally {
    keepAlive?.stop();
  }
}

/** The admission of a candidate with no limits configured: nothing held, nothing to settle. */
const NO_LIMITS: Admission = { ok: true, retryAfterMs: 0, held: [] };

/** What the usage record of a request says. */
interface ServedUsage {
  provider: string;
  credential: string;
  model: string;
  status: number;
  counts: TokenCounts | undefined;
}

type Outcome =
  | { kind: 'served'; tokens: number | undefined; usage: ServedUsage }
  | { kind: 'failed'; last: Extract<AttemptResult, { kind: 'failed' }>; usage: Omit<ServedUsage, 'status'> }
  | { kind: 'limited'; retryAfterMs: number; limits: string[] }
  | { kind: 'skipped'; skipped: string[] };

async function tryCandidates(
  call: InboundCall,
  candidates: Candidate[],
  response: GatewayResponse,
  context: GatewayContext,
  signal: Cancellation,
  tokens: number,
  keepAlive: KeepAlive | undefined,
): Promise<Outcome> {
  const runtime = context.current();
  const routing = runtime.config.routing;
  const skipped: string[] = [];
  const limited: Array<{ retryAfterMs: number; limit: string }> = [];
  const oversized: string[] = [];
  let lastTarget: Omit<ServedUsage, 'status'> | undefined;
  let last: Extract<AttemptResult, { kind: 'failed' }> | undefined;
  let lastProvider: string | undefined;
  let attempts = 0;
  for (const candidate of candidates) {
    const plan = planFor(call, candidate);
    if (plan.startsWith('skip:')) {
      skipped.push(`${candidate.provider}: ${plan.slice(5)}`);
      continue;
    }
    if (signal.aborted) break;
    const cap = candidate.entry.limits?.max_tokens_per_request;
    if (cap !== undefined && requestedOutput(call) > cap) {
      oversized.push(`${candidate.provider} allows ${cap}`);
      skipped.push(`${candidate.provider}: max_tokens over its max_tokens_per_request (${cap})`);
      continue;
    }
    const credentialId = candidate.credential?.id ?? '-';
    const hasLimits = candidate.entry.limits !== undefined || candidate.credential?.limits !== undefined;
    const admission = !hasLimits ? NO_LIMITS : await context.limits.admit([
      { key: `provider:${candidate.provider}`, limits: candidate.entry.limits },
      { key: `credential:${candidate.provider}|${candidate.credential?.fingerprint ?? '-'}`, label: `credential:${candidate.provider}|${credentialId}`, limits: candidate.credential?.limits },
    ], tokens);
    if (!admission.ok) {
      limited.push({ retryAfterMs: admission.retryAfterMs, limit: admission.limit ?? 'a limit' });
      skipped.push(`${candidate.provider} (${credentialId}): ${admission.limit} reached`);
      continue;
    }
    if (attempts > 0 && lastProvider === candidate.provider && routing.backoff.baseMs > 0) {
      // Full jitter: the same upstream just failed, so space the retries out.
      const ceiling = Math.min(routing.backoff.maxMs, routing.backoff.baseMs * 2 ** (attempts - 1));
      await context.clock.sleep(Math.round(context.clock.random() * ceiling));
      if (signal.aborted) break;
    }
    attempts++;
    lastProvider = candidate.provider;
    const started = performance.now();
    context.stats.start(candidate.provider);
    context.stats.targetStart(candidate.targetKey);
    const ours: Record<string, string> = {
      'x-cliproxy-provider': candidate.provider,
      'x-cliproxy-model': candidate.upstreamModel,
      'x-cliproxy-attempts': String(attempts),
    };
    if (call.requestId !== undefined) ours[REQUEST_ID_HEADER] = call.requestId;
    let result: AttemptResult | undefined;
    // An OAuth credential answered 401/402/403: refresh it once and try again before moving on.
    for (let tries = 0; tries < 2; tries++) {
      try {
        const attempt: Attempt = { call, candidate, response, signal, ours, images: runtime.images, keepAlive };
        if (plan === 'fast') result = await attemptFast(attempt);
        else if (plan === 'translate') result = await attemptTranslated(attempt);
        else if (plan === 'kiro') result = await attemptKiro(attempt);
        else result = await attemptObject(attempt);
      } catch (error) {
        result = { kind: 'failed', error: toGatewayError(error) };
      }
      const authFailure = result.kind === 'failed' && (result.error.status === 401 || result.error.status === 402 || result.error.status === 403);
      if (!authFailure || candidate.credential?.oauth !== true || context.oauth === undefined || tries > 0) break;
      try {
        await context.oauth.forceRefresh(credentialId);
      } catch {
        break;
      }
    }
    if (result === undefined) continue;
    const latency = performance.now() - started;
    context.metrics.upstreamAttempt(candidate.provider, latency);
    const target = { provider: candidate.provider, credential: credentialId, model: candidate.upstreamModel, key: candidate.cooldownKey };
    if (result.kind === 'done') {
      context.stats.targetEnd(candidate.targetKey, result.ok ? latency : undefined);
      const used = result.usage === undefined ? undefined : result.usage.input + result.usage.output;
      if (admission.held.length > 0) await context.limits.settle(admission.held, used);
      if (result.ok) {
        context.stats.succeed(candidate.provider, latency);
        // Nearly always clear: no strikes to reset, no state round trip.
        if (!context.cooldowns.isClear(candidate.cooldownKey)) await context.cooldowns.recordSuccess(candidate.cooldownKey);
      } else if (signal.aborted) {
        // The client went away mid-answer: that says nothing about the provider.
        context.stats.cancel(candidate.provider);
      } else {
        const error = result.error ?? new GatewayError(502, 'upstream_error', 'stream failed');
        // Upstream messages can quote the credential back ("Incorrect API key provided: sk-…").
        const message = redactSecrets(error.message, runtime.secrets);
        context.stats.fail(candidate.provider, error.status, error.code, message);
        await context.cooldowns.recordFailure(target, { status: error.status, code: error.code, message }, policyFrom(candidate.entry.cooldown, routing.maxCooldownMs));
      }
      if (result.usage !== undefined) context.stats.addTokens(candidate.provider, result.usage.input, result.usage.output);
      return {
        kind: 'served',
        tokens: used,
        usage: { provider: candidate.provider, credential: credentialId, model: candidate.model, status: result.ok ? 200 : (result.error?.status ?? 502), counts: result.usage },
      };
    }
    context.stats.targetEnd(candidate.targetKey, undefined);
    if (admission.held.length > 0) await context.limits.settle(admission.held, 0);
    if (signal.aborted) {
      // The client went away before an answer: no failure of the provider's, no cooldown.
      context.stats.cancel(candidate.provider);
      last = result;
      lastTarget = { provider: candidate.provider, credential: credentialId, model: candidate.model, counts: undefined };
      break;
    }
    const captured = result.captured;
    const body = captured === undefined ? undefined : redactSecrets(captured.body.toString('utf8'), runtime.secrets);
    // The message is parsed from the upstream's body, which may quote the credential back.
    const message = redactSecrets(result.error.message, runtime.secrets);
    context.stats.fail(candidate.provider, result.error.status, result.error.code, body?.slice(0, 300) ?? message);
    const cooldown = await context.cooldowns.recordFailure(target, {
      status: result.error.status,
      code: result.error.code,
      headers: captured?.headers as IncomingHttpHeaders | undefined,
      body,
      message,
    }, policyFrom(candidate.entry.cooldown, routing.maxCooldownMs));
    context.logger.warn({
      request_id: call.requestId,
      provider: candidate.provider,
      credential: credentialId,
      status: result.error.status,
      code: result.error.code,
      cooldown_ms: cooldown === undefined ? undefined : cooldown.until - cooldown.since,
    }, 'attempt failed');
    last = result;
    // A transport failure has no upstream headers to carry ours; should it be the last, the
    // client still learns who was tried and how often.
    if (result.captured === undefined) Object.assign(result.error.headers, ours);
    lastTarget = { provider: candidate.provider, credential: credentialId, model: candidate.model, counts: undefined };
    if (signal.aborted || !result.error.retryable) break;
  }
  if (last !== undefined) return { kind: 'failed', last, usage: lastTarget as Omit<ServedUsage, 'status'> };
  if (oversized.length > 0 && oversized.length === skipped.length) {
    throw new GatewayError(400, 'invalid_request', `max_tokens ${requestedOutput(call)} is over the per-request limit of every provider serving ${call.model} (${oversized.join(', ')})`, {
      param: 'max_tokens',
      retryable: false,
    });
  }
  if (limited.length > 0) {
    return { kind: 'limited', retryAfterMs: Math.min(...limited.map((item) => item.retryAfterMs)), limits: limited.map((item) => item.limit) };
  }
  return { kind: 'skipped', skipped };
}

/** Answers the client when no candidate served it. */
function finish(call: InboundCall, response: GatewayResponse, runtime: ReturnType<GatewayContext['current']>, outcome: Exclude<Outcome, { kind: 'served' }>): void {
  if (outcome.kind === 'limited') {
    const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
    throw new GatewayError(429, 'rate_limited', `rate limit reached for model ${call.model}: ${[...new Set(outcome.limits)].join(', ')}; retry in ${seconds}s`, {
      retryable: false,
      headers: { 'retry-after': String(seconds) },
      details: { limits: [...new Set(outcome.limits)] },
    });
  }
  if (outcome.kind === 'skipped') {
    throw new GatewayError(503, 'no_credentials', `no provider can serve model ${call.model} yet: ${outcome.skipped.join('; ')}`, {
      retryable: false,
      details: { skipped: outcome.skipped },
    });
  }
  const last = outcome.last;
  const captured = last.captured;
  if (captured === undefined) throw last.error;
  const text = redactSecrets(captured.body.toString('utf8'), runtime.secrets);
  if (captured.format === call.format && !response.headersSent) {
    // The upstream's own error, in the client's own format: as it was sent.
    delete captured.headers['content-length'];
    response.writeHead(captured.status, captured.headers);
    response.end(text);
    return;
  }
  const error = upstreamFailure(captured.status, Buffer.from(text));
  // Translated, the error keeps what a client acts on: the retry hint, and who answered.
  for (const name of ['retry-after', 'retry-after-ms', 'x-cliproxy-provider', 'x-cliproxy-model', 'x-cliproxy-attempts']) {
    const value = captured.headers[name];
    if (typeof value === 'string') error.headers[name] = value;
  }
  sendError(response, error, call.format, call.requestId);
}

/** Client-key limits: admitted, waited for (bounded, `on_limit: wait`), or 429. */
async function admitOrWait(context: GatewayContext, scopes: LimitScope[], tokens: number, who: string): Promise<Admission['held']> {
  const routing = context.current().config.routing;
  let admission = await context.limits.admit(scopes, tokens);
  if (!admission.ok && routing.onLimit === 'wait' && admission.retryAfterMs <= routing.maxWaitMs) {
    await context.clock.sleep(admission.retryAfterMs);
    admission = await context.limits.admit(scopes, tokens);
  }
  if (!admission.ok) {
    const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    throw new GatewayError(429, 'rate_limited', `rate limit reached for ${who}: ${admission.limit}; retry in ${seconds}s`, {
      retryable: false,
      headers: { 'retry-after': String(seconds) },
    });
  }
  return admission.held;
}

export interface KeepAlive {
  stop(): void;
}

/**
 * SSE comments while a streaming client waits for its first byte (a slow upstream, a
 * failover, a wait for a rate-limit slot), so proxies and clients do not time it out.
 * Comments carry no content, so failing over after one is still safe; only the final error
 * must then travel in-stream, since the status line is gone.
 */
function startKeepAlive(response: GatewayResponse, intervalMs: number, requestId: string | undefined): KeepAlive {
  if (intervalMs <= 0) return { stop() {} };
  const timer = setInterval(() => {
    if (response.writableEnded || response.destroyed) return;
    if (!response.headersSent) {
      const head: Record<string, string> = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
      if (requestId !== undefined) head[REQUEST_ID_HEADER] = requestId;
      response.writeHead(200, head);
    }
    response.write(': keep-alive\n\n');
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The output cap the client asked for, in whichever field its format uses (0: none). */
function requestedOutput(call: InboundCall): number {
  const body = call.body;
  if (typeof body.max_tokens === 'number') return body.max_tokens;
  if (typeof body.max_completion_tokens === 'number') return body.max_completion_tokens;
  if (typeof body.max_output_tokens === 'number') return body.max_output_tokens;
  const config = body.generationConfig as Record<string, unknown> | undefined;
  return typeof config?.maxOutputTokens === 'number' ? config.maxOutputTokens : 0;
}

/** Tokens a request will use, roughly: its text (base64 payloads excluded) and its output cap. */
function estimateCallTokens(call: InboundCall): number {
  // Small bodies: a quarter of the bytes is close enough and costs nothing. Large ones may
  // be mostly base64 media, which the walk leaves out.
  if (call.raw.length < 32 * 1024) return Math.ceil(call.raw.length / 4) + requestedOutput(call);
  return Math.ceil(textLength(call.body, 0) / 4) + requestedOutput(call);
}

function textLength(value: unknown, depth: number): number {
  if (typeof value === 'string') {
    // Inline images and files are counted by the upstream per image, not per character.
    if (value.length > 1024 && (value.startsWith('data:') || /^[A-Za-z0-9+/=]{1024}/.test(value))) return 0;
    return value.length;
  }
  if (depth > 32 || value === null || typeof value !== 'object') return 0;
  let total = 0;
  if (Array.isArray(value)) for (const item of value) total += textLength(item, depth + 1);
  else for (const item of Object.values(value)) total += textLength(item, depth + 1);
  return total;
}

type Plan = 'fast' | 'translate' | 'kiro' | 'object' | `skip:${string}`;

function planFor(call: InboundCall, candidate: Candidate): Plan {
  const entry = candidate.entry;
  if (entry.notServedYet !== undefined) return `skip:${entry.notServedYet}`;
  if (entry.http === undefined) return 'object';
  if (entry.protocol === 'kiro') return 'kiro';
  // A model with its own protocol (Copilot's /responses-only ones) takes only that one as is.
  if (candidate.protocol !== undefined) return candidate.protocol === call.format ? 'fast' : 'translate';
  if (entry.http.settings.speaks.includes(call.format)) return 'fast';
  return 'translate';
}

/** The format a candidate is spoken to in: its model's own, else its provider's. */
function targetFormatOf(candidate: Candidate): WireFormat {
  return candidate.protocol ?? (candidate.entry.protocol as WireFormat);
}

function lastOf(list: unknown): Record<string, unknown> | undefined {
  return Array.isArray(list) ? (list.at(-1) as Record<string, unknown> | undefined) : undefined;
}

/** Who speaks last, and whether there are images: headers Copilot bills and routes by. */
export function hintsOf(call: InboundCall, vision: boolean): { initiator: 'user' | 'agent'; vision: boolean } {
  const body = call.body;
  let agent = false;
  if (call.format === 'openai-chat') {
    const role = lastOf(body.messages)?.role;
    agent = role === 'assistant' || role === 'tool';
  } else if (call.format === 'anthropic') {
    const last = lastOf(body.messages);
    const content = last?.content;
    agent = last?.role === 'assistant' || (Array.isArray(content) && content.length > 0 && content.every((block) => (block as { type?: unknown })?.type === 'tool_result'));
  } else if (call.format === 'openai-responses') {
    const last = lastOf(body.input);
    agent = last?.type === 'function_call_output' || last?.role === 'assistant' || last?.type === 'function_call';
  } else {
    const last = lastOf(body.contents);
    const parts = last?.parts;
    agent = last?.role === 'model' || (Array.isArray(parts) && parts.some((part) => (part as Record<string, unknown>)?.functionResponse !== undefined));
  }
  return { initiator: agent ? 'agent' : 'user', vision };
}

function capture(status: number, headers: IncomingHttpHeaders, body: Buffer, format: WireFormat, ours: Record<string, string>): AttemptResult {
  const error = upstreamFailure(status, body);
  return {
    kind: 'failed',
    error: new GatewayError(status, 'upstream_error', error.message, { retryable: shouldFailOver(status) }),
    captured: { status, headers: responseHeaders(headers, ours), body, format },
  };
}

/** One try of one candidate: what every path needs. */
interface Attempt {
  call: InboundCall;
  candidate: Candidate;
  response: GatewayResponse;
  signal: Cancellation;
  /** Our own response headers (x-cliproxy-*). */
  ours: Record<string, string>;
  images: ImageFetcher;
  keepAlive: KeepAlive | undefined;
}

async function attemptFast({ call, candidate, response, signal, ours, keepAlive }: Attempt): Promise<AttemptResult> {
  const http = candidate.entry.http as NonNullable<Candidate['entry']['http']>;
  const body = call.format === 'gemini' ? call.raw : upstreamBody(call.raw, call.body, candidate, call.format === candidate.entry.protocol);
  const upstream = await http.forward({
    path: upstreamPath(call.format, candidate.upstreamModel, call.stream, call.geminiSse),
    body,
    stream: call.stream,
    credential: candidate.credential,
    signal,
    clientHeaders: call.headers,
    hints: call.hints,
  });
  if (upstream.status >= 400) {
    return capture(upstream.status, upstream.headers, await upstream.readAll().catch(() => Buffer.alloc(0)), call.format, ours);
  }
  // A stream that answers its head and then nothing has not answered: wait for real bytes
  // (within first_byte) before committing, so that it can still fail over.
  if (call.stream && !(await upstream.waitForData(http.settings.timeouts.firstByteMs))) {
    upstream.abort();
    const where = candidate.provider;
    return { kind: 'failed', error: new GatewayError(504, 'upstream_timeout', `upstream ${where} sent no data within first_byte`, { retryable: true }) };
  }
  keepAlive?.stop();
  // Committed: no other candidate will need the request, and a stream may last minutes.
  releaseParsedRequest(call);
  const adapter = ADAPTERS[call.format];
  const sse = call.stream && (call.format !== 'gemini' || call.geminiSse);
  const outcome = await relay(upstream, response, responseHeaders(upstream.headers, ours), {
    usageKey: usageKeyFor(call.format),
    readUsage: readUsageFor(call.format),
    streamError: sse ? (error) => adapter.renderStreamError(error) : undefined,
  });
  return { kind: 'done', ok: outcome.ok, usage: outcome.usage, error: outcome.error };
}

async function attemptTranslated({ call, candidate, response, signal, ours, images, keepAlive }: Attempt): Promise<AttemptResult> {
  const http = candidate.entry.http as NonNullable<Candidate['entry']['http']>;
  const targetFormat = targetFormatOf(candidate);
  const source = ADAPTERS[call.format];
  const target = ADAPTERS[targetFormat];
  const ir = parsedRequest(call);
  // Gemini takes images only inline: fetch URL images once, whatever number of attempts.
  const outgoing = targetFormat === 'gemini' ? (call.inlined ??= await images.inline(ir, signal.signal)) : ir;
  const wire = target.renderRequest({ ...outgoing, model: candidate.upstreamModel, stream: call.stream });
  if (targetFormat === candidate.entry.protocol) http.settings.quirks?.(wire, candidate.upstreamModel);
  const upstream = await http.forward({
    path: upstreamPath(targetFormat, candidate.upstreamModel, call.stream, true),
    body: Buffer.from(JSON.stringify(wire)),
    stream: call.stream,
    credential: candidate.credential,
    signal,
    clientHeaders: call.headers,
    hints: call.hints,
  });
  if (upstream.status >= 400) {
    return capture(upstream.status, upstream.headers, await upstream.readAll().catch(() => Buffer.alloc(0)), targetFormat, ours);
  }
  keepAlive?.stop();
  if (!call.stream) {
    const bytes = await upstream.readAll();
    let parsed;
    try {
      parsed = target.parseResponse(JSON.parse(bytes.toString('utf8')));
    } catch (error) {
      return { kind: 'failed', error: new GatewayError(502, 'upstream_protocol_error', `${candidate.provider} answered with a body that is not a valid ${targetFormat} response`, { cause: error }) };
    }
    sendJson(response, 200, source.renderResponse(parsed, ir), ours);
    return { kind: 'done', ok: true, usage: countsOf(parsed.usage) };
  }
  return streamTranslated(upstream, target.createStreamParser(), rendererFor(call, ir), response, ours, contentTypeFor(call));
}

/** Kiro: the IR rendered into its conversation state, its event stream parsed back. */
async function attemptKiro({ call, candidate, response, signal, ours, images, keepAlive }: Attempt): Promise<AttemptResult> {
  const http = candidate.entry.http as NonNullable<Candidate['entry']['http']>;
  const ir = parsedRequest(call);
  // Kiro takes image bytes only.
  const outgoing = call.inlined ??= await images.inline(ir, signal.signal);
  const credential = candidate.credential;
  const authorization = credential?.oauth === true && http.settings.authorize !== undefined
    ? await http.settings.authorize(credential, call.hints ?? { initiator: 'user', vision: false })
    : undefined;
  const body = renderKiroRequest({ ...outgoing, model: candidate.upstreamModel }, {
    conversationId: randomUUID(),
    modelId: kiroModelId(candidate.upstreamModel),
    ...(authorization?.profileArn === undefined ? {} : { profileArn: authorization.profileArn }),
  });
  const upstream = await http.forward({
    path: '/generateAssistantResponse',
    body: Buffer.from(JSON.stringify(body)),
    stream: false,
    credential,
    signal,
    clientHeaders: {},
    authorization,
  });
  if (upstream.status >= 400) {
    const bytes = await upstream.readAll().catch(() => Buffer.alloc(0));
    const error = kiroHttpError(upstream.status, upstream.headers, bytes);
    return { kind: 'failed', error: new GatewayError(error.status, error.code, error.message, { retryable: shouldFailOver(error.status) || error.retryable, headers: error.headers }) };
  }
  keepAlive?.stop();
  const options = { toolNames: kiroToolNames(outgoing), messageId: `msg_${randomUUID().replace(/-/g, '')}`, model: candidate.model };
  if (!call.stream) {
    const parsed = parseKiroResponse(await upstream.readAll(), options);
    sendJson(response, 200, ADAPTERS[call.format].renderResponse(parsed, ir), ours);
    return { kind: 'done', ok: true, usage: countsOf(parsed.usage) };
  }
  return streamTranslated(upstream, createKiroStreamParser(options), rendererFor(call, ir), response, ours, contentTypeFor(call));
}

function rendererFor(call: InboundCall, ir: IRRequest): StreamRenderer {
  if (call.format === 'gemini' && !call.geminiSse) return createJsonArrayStreamRenderer(ir);
  return ADAPTERS[call.format].createStreamRenderer(ir);
}

function contentTypeFor(call: InboundCall): string {
  return call.format === 'gemini' && !call.geminiSse ? 'application/json' : 'text/event-stream';
}

/** Events that show the upstream is really answering: the point of no return. */
function commits(event: IRStreamEvent): boolean {
  return event.type !== 'message-start' && event.type !== 'error';
}

function streamTranslated(
  upstream: BodySource,
  parser: StreamParser,
  renderer: StreamRenderer,
  response: GatewayResponse,
  ours: Record<string, string>,
  contentType: string,
): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let committed = false;
    let settled = false;
    let held = '';
    let usage: TokenCounts | undefined;
    let failure: GatewayError | undefined;

    const commit = (): void => {
      committed = true;
      if (!response.headersSent) response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', ...ours });
    };
    const settle = (result: AttemptResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    /** Renders events; returns false to ask for backpressure. */
    const emit = (events: IRStreamEvent[]): boolean => {
      let text = '';
      for (const event of events) {
        if (event.type === 'usage') usage = countsOf(event.usage);
        if (event.type === 'error') {
          const error = new GatewayError(event.status ?? 502, 'upstream_error', event.message, { retryable: true });
          if (!committed) {
            upstream.abort();
            settle({ kind: 'failed', error });
            return true;
          }
          failure = error;
        }
        if (!committed && commits(event)) {
          commit();
          text = held + text;
          held = '';
        }
        if (committed) text += renderer.render(event);
        else held += renderer.render(event);
      }
      return text === '' || response.write(text);
    };

    upstream.pipe({
      write(chunk) {
        if (settled) return true;
        return emit(parser.push(chunk));
      },
      end() {
        if (settled) return;
        emit(parser.end());
        if (settled) return;
        if (!committed) commit();
        response.end(held + renderer.end());
        settle({ kind: 'done', ok: failure === undefined, usage, error: failure });
      },
      fail(error) {
        if (settled) return;
        if (!committed) {
          settle({ kind: 'failed', error });
          return;
        }
        if (!response.destroyed) {
          response.end(renderer.render({ type: 'error', status: error.status, code: error.code, message: error.message }) + renderer.end());
        }
        settle({ kind: 'done', ok: false, usage, error });
      },
      waitDrain(resume) {
        response.once('drain', resume);
      },
    });
  });
}

function countsOf(usage: Usage | undefined): TokenCounts | undefined {
  if (usage === undefined) return undefined;
  return { input: usage.inputTokens, output: usage.outputTokens, cached: usage.cachedInputTokens ?? 0, reasoning: usage.reasoningTokens ?? 0 };
}

/** A module provider: OpenAI-shaped objects in and out, bridged to any client format. */
async function attemptObject({ call, candidate, response, signal, ours, keepAlive }: Attempt): Promise<AttemptResult> {
  const provider = candidate.entry.provider;
  const openai = ADAPTERS['openai-chat'];
  const ir = call.format === 'openai-chat' ? undefined : parsedRequest(call);
  const request = (ir === undefined
    ? { ...call.body, model: candidate.upstreamModel }
    : openai.renderRequest({ ...ir, model: candidate.upstreamModel, stream: call.stream })) as ChatRequest;
  const context = { credential: candidate.credential, signal: signal.signal };
  if (!call.stream) {
    const result = await provider.execute(request, context);
    const parsed = openai.parseResponse(result);
    sendJson(response, 200, ir === undefined ? result : ADAPTERS[call.format].renderResponse(parsed, ir), ours);
    return { kind: 'done', ok: true, usage: countsOf(parsed.usage) };
  }
  const iterator = provider.executeStream(request, context)[Symbol.asyncIterator]();
  // Nothing is sent before the first chunk, so a provider that fails at once fails over.
  const first = await iterator.next();
  keepAlive?.stop();
  const source = objectStream(first, iterator);
  const clientIr = ir ?? openai.parseRequest(request);
  return streamTranslated(source, openai.createStreamParser(), rendererFor(call, clientIr), response, ours, contentTypeFor(call));
}

/** Serialises a module provider's chunk objects as the OpenAI SSE bytes they stand for. */
function objectStream(first: IteratorResult<Record<string, unknown>>, iterator: AsyncIterator<Record<string, unknown>>): BodySource {
  let stopped = false;
  return {
    abort() {
      stopped = true;
      void iterator.return?.();
    },
    pipe(sink) {
      void (async () => {
        let next = first;
        try {
          while (next.done !== true && !stopped) {
            if (!sink.write(Buffer.from(`data: ${JSON.stringify(next.value)}\n\n`))) {
              await new Promise<void>((resolve) => sink.waitDrain(resolve));
            }
            next = await iterator.next();
          }
          if (!stopped) {
            sink.write(Buffer.from('data: [DONE]\n\n'));
            sink.end();
          }
        } catch (error) {
          sink.fail(toGatewayError(error));
        }
      })();
    },
  };
}
