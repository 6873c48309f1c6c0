/**
 * A gateway with several OpenAI-compatible providers, each with its own credentials, in
 * front of one fault-injecting fake upstream, on a virtual clock: the setup of the routing
 * suites (`test/routing/*.test.ts`, issue 4). Each provider `NAME` lives under `/NAME/v1` on
 * the fake and serves the model `m` (and `n`), so a recorded request says which provider
 * and, by its bearer key, which credential the gateway chose.
 *
 * Time is injected: `clock.now()` only moves when a test calls `advance()` (or, with
 * `advanceOnSleep`, when the gateway sleeps), and every sleep the gateway asks for is
 * recorded instead of slept.
 *
 * @example
 *   const harness = await startRoutingHarness(t, { providers: { a: { keys: ['ka1'] } } });
 *   harness.upstream.enqueue(chatRoute('a'), failure(500));
 *   const response = await chat(harness);
 *   assert.deepEqual(harness.upstream.requests.map(targetOf), ['a:ka1']);
 */
import type { TestContext } from 'node:test';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import type { Clock } from '../../src/server/runtime.ts';
import type { StateStore } from '../../src/state/types.ts';
import { jsonResponse, startFakeUpstream } from './fake-upstream.ts';
import type { FakeUpstream, RecordedRequest, ScriptedResponse } from './fake-upstream.ts';
import { within } from './gateway-harness.ts';
import { rawRequest } from './http-client.ts';
import type { RawResponse } from './http-client.ts';

export const CLIENT_KEY = 'sk-client-routing';
export const MANAGEMENT_KEY = 'mk-routing';
/** 2026-01-01T00:00:00Z: a whole second, so HTTP dates round-trip exactly. */
export const EPOCH = Date.UTC(2026, 0, 1);

export type ConfigObject = Record<string, unknown>;
export type CredentialSpec = string | { key: string; name?: string; weight?: number; limits?: ConfigObject };

export interface ProviderSpec {
  keys: CredentialSpec[];
  priority?: number;
  weight?: number;
  limits?: ConfigObject;
  cooldown?: ConfigObject;
  /** Replaces `${upstream}/NAME/v1` (a closed port, a resetting server). */
  endpoint?: string;
  /** Default `['m', 'n']`. */
  models?: string[];
  /** A raw provider entry instead of the generated OpenAI-compatible one (a built-in type, say). */
  raw?: (upstreamUrl: string) => ConfigObject;
}

export interface VirtualClock {
  readonly clock: Clock;
  /** Every `sleep(ms)` the gateway asked for, in order. */
  readonly sleeps: number[];
  now(): number;
  advance(ms: number): void;
  /** Replaces the random source (default: always 0.5). */
  setRandom(random: () => number): void;
}

export function virtualClock(options: { advanceOnSleep?: boolean } = {}): VirtualClock {
  let now = EPOCH;
  let random = (): number => 0.5;
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (options.advanceOnSleep === true) now += ms;
      },
      random: () => random(),
    },
    now: () => now,
    advance(ms) {
      now += ms;
    },
    setRandom(next) {
      random = next;
    },
  };
}

export interface RoutingHarnessOptions {
  providers: Record<string, ProviderSpec>;
  routing?: ConfigObject;
  /** Client keys (default: one, `CLIENT_KEY`). */
  apiKeys?: unknown[];
  /** Top-level config keys merged last. */
  config?: ConfigObject;
  state?: StateStore;
  advanceOnSleep?: boolean;
  /** Answer every provider's chat route with `okResponse()` unless told otherwise (default true). */
  answerOk?: boolean;
}

export interface RoutingHarness {
  readonly upstream: FakeUpstream;
  readonly gateway: RunningGateway;
  readonly url: string;
  readonly time: VirtualClock;
  /** The raw config the gateway was started with (to edit and pass to `gateway.reload`). */
  readonly config: ConfigObject;
  /** Closes the gateway, then the fake upstream; safe to call again (the test's end does). */
  close(): Promise<void>;
}

export function chatRoute(provider: string): string {
  return `POST /${provider}/v1/chat/completions`;
}

export function modelsRoute(provider: string): string {
  return `GET /${provider}/v1/models`;
}

/** A successful chat completion naming who answered, with usage 10 + 5. */
export function okResponse(content = 'ok', usage = { prompt_tokens: 10, completion_tokens: 5 }): ScriptedResponse {
  return jsonResponse({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  });
}

/** An OpenAI-shaped error answer. */
export function failure(status: number, message = `failure ${status}`, headers: Record<string, string> = {}): ScriptedResponse {
  return jsonResponse({ error: { message, type: 'upstream_test', code: null } }, { status, headers });
}

/** `provider:key` of a recorded request: which provider × credential the gateway chose. */
export function targetOf(request: RecordedRequest): string {
  const provider = request.path.split('/')[1] ?? '?';
  const authorization = request.headers.authorization ?? '';
  return `${provider}:${authorization.replace(/^Bearer /, '')}`;
}

/** Chat requests only (probes and health checks left out), as `provider:key`. */
export function chatTargets(upstream: FakeUpstream): string[] {
  return upstream.requests.filter((request) => request.path.endsWith('/chat/completions')).map(targetOf);
}

export function counts(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[item] = (out[item] ?? 0) + 1;
  return out;
}

export async function startRoutingHarness(t: TestContext, options: RoutingHarnessOptions): Promise<RoutingHarness> {
  const upstream = await startFakeUpstream();
  const time = virtualClock({ advanceOnSleep: options.advanceOnSleep });
  const providers: Record<string, ConfigObject> = {};
  for (const [name, spec] of Object.entries(options.providers)) {
    if (spec.raw !== undefined) {
      providers[name] = spec.raw(upstream.url);
      continue;
    }
    providers[name] = {
      type: 'openai_compatible',
      endpoint: spec.endpoint ?? `${upstream.url}/${name}/v1`,
      api_keys: spec.keys,
      models: (spec.models ?? ['m', 'n']).map((model) => ({ name: model })),
      ...(spec.priority === undefined ? {} : { priority: spec.priority }),
      ...(spec.weight === undefined ? {} : { weight: spec.weight }),
      ...(spec.limits === undefined ? {} : { limits: spec.limits }),
      ...(spec.cooldown === undefined ? {} : { cooldown: spec.cooldown }),
    };
    if (options.answerOk !== false) upstream.always(chatRoute(name), okResponse(`from ${name}`));
  }
  const config: ConfigObject = {
    host: '127.0.0.1',
    port: 0,
    api_keys: options.apiKeys ?? [CLIENT_KEY],
    management_key: MANAGEMENT_KEY,
    routing: { max_attempts: 10, ...options.routing },
    providers,
    ...options.config,
  };
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      config,
      env: {},
      logLevel: 'silent',
      watch: false,
      clock: time.clock,
      ...(options.state === undefined ? {} : { state: options.state }),
    });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await within(gateway.close(), 5_000, 'gateway.close()');
      } finally {
        await upstream.close();
      }
    })();
    return closing;
  };
  t.after(close);
  return { upstream, gateway, url: gateway.url, time, config, close };
}

export interface ChatOptions {
  model?: string;
  stream?: boolean;
  maxTokens?: number;
  key?: string;
  content?: string;
  signal?: AbortSignal;
}

export function chatBody(options: ChatOptions = {}): string {
  return JSON.stringify({
    model: options.model ?? 'm',
    messages: [{ role: 'user', content: options.content ?? 'Hello there' }],
    ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
    ...(options.stream === true ? { stream: true } : {}),
  });
}

/** `POST /v1/chat/completions` with fetch, the whole body read. */
export function chat(harness: RoutingHarness, options: ChatOptions = {}): Promise<RawResponse> {
  return rawRequest(`${harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.key ?? CLIENT_KEY}`, 'content-type': 'application/json' },
    body: chatBody(options),
  });
}

/** Sends `count` chat requests one after another; returns the statuses. */
export async function chatMany(harness: RoutingHarness, count: number, options: ChatOptions = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let index = 0; index < count; index++) statuses.push((await chat(harness, options)).status);
  return statuses;
}

/**
 * A chat request the test holds open (its upstream hangs) and aborts later. `response`
 * settles with the status, or with `aborted` once `abort()` was called.
 */
export function heldChat(harness: RoutingHarness, options: ChatOptions = {}): { abort(): void; response: Promise<number | 'aborted'> } {
  const controller = new AbortController();
  const response = fetch(`${harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.key ?? CLIENT_KEY}`, 'content-type': 'application/json' },
    body: chatBody(options),
    signal: AbortSignal.any([controller.signal, AbortSignal.timeout(10_000)]),
  }).then(
    async (answer) => {
      await answer.arrayBuffer().catch(() => undefined);
      return answer.status;
    },
    () => 'aborted' as const,
  );
  return { abort: () => controller.abort(), response };
}

export interface CooldownView {
  key: string;
  provider: string;
  credential: string;
  model: string;
  reason: string;
  status: number | null;
  message: string;
  strikes: number;
  since: string;
  until: string;
  remaining_seconds: number;
}

export async function listCooldowns(harness: RoutingHarness, query = ''): Promise<CooldownView[]> {
  const response = await rawRequest(`${harness.url}/v0/management/cooldowns${query}`, { headers: { 'x-management-key': MANAGEMENT_KEY } });
  if (response.status !== 200) throw new Error(`GET cooldowns: ${response.status} ${response.body.toString('utf8')}`);
  return (response.json as { data: CooldownView[] }).data;
}

export async function clearCooldowns(harness: RoutingHarness, query = ''): Promise<number> {
  const response = await rawRequest(`${harness.url}/v0/management/cooldowns${query}`, { method: 'DELETE', headers: { 'x-management-key': MANAGEMENT_KEY } });
  if (response.status !== 200) throw new Error(`DELETE cooldowns: ${response.status} ${response.body.toString('utf8')}`);
  return (response.json as { cleared: number }).cleared;
}

/** The length of a listed cooldown, in ms. */
export function lengthOf(cooldown: CooldownView): number {
  return Date.parse(cooldown.until) - Date.parse(cooldown.since);
}

/** The one cooldown of `provider|credential`, failing when there is none or several. */
export function onlyCooldown(list: CooldownView[], provider: string, credential: string): CooldownView {
  const found = list.filter((cooldown) => cooldown.provider === provider && cooldown.credential === credential);
  if (found.length !== 1) throw new Error(`expected one cooldown for ${provider}|${credential}, got ${JSON.stringify(list)}`);
  return found[0] as CooldownView;
}

export async function providerStatus(harness: RoutingHarness, provider: string, query = ''): Promise<{ raw: RawResponse; body: Record<string, unknown> }> {
  const raw = await rawRequest(`${harness.url}/v1/providers/${provider}/status${query}`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
  return { raw, body: raw.json as Record<string, unknown> };
}

/** Polls until `condition` holds (real time, bounded), for figures updated after a response ends. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
