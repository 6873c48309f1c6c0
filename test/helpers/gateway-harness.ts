/**
 * One gateway in front of one fake upstream, with the official OpenAI SDK pointed at it:
 * the setup every OpenAI-compatible integration test needs. Everything is closed when the
 * test ends (`t.after`), and closing that hangs fails the test instead of hanging it.
 *
 * Each provider gets its own path prefix on the fake, so a test can tell from the URL
 * which provider the gateway chose.
 */
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import { startGateway } from '../../src/server/gateway.ts';
import { startFakeUpstream } from './fake-upstream.ts';
import type { FakeUpstream } from './fake-upstream.ts';
import { recordingFetch } from './http-client.ts';
import type { CapturedExchange } from './http-client.ts';

export const CLIENT_KEY = 'sk-client';
export const MANAGEMENT_KEY = 'mk';

/** Provider name → the credential the gateway must send upstream. */
export const PROVIDER_KEYS = {
  openai: 'sk-up-1',
  groq: 'gk-up',
  mistral: 'mi-up',
  deepseek: 'ds-up',
  my_custom: 'ck-up',
} as const;

export type HarnessProvider = keyof typeof PROVIDER_KEYS;

/** Provider name → the route its chat completions reach on the fake upstream. */
export const CHAT_ROUTES: Record<HarnessProvider, string> = {
  openai: 'POST /v1/chat/completions',
  groq: 'POST /openai/v1/chat/completions',
  mistral: 'POST /mistral/v1/chat/completions',
  deepseek: 'POST /deepseek/chat/completions',
  my_custom: 'POST /custom/v1/chat/completions',
};

type ConfigObject = Record<string, unknown>;

/** The providers block every harness starts from (raw config, YAML schema). */
export function defaultProviders(upstreamUrl: string): Record<HarnessProvider, ConfigObject> {
  return {
    openai: { endpoint: `${upstreamUrl}/v1`, api_keys: [PROVIDER_KEYS.openai], models: [{ name: 'gpt-4.1-nano' }] },
    groq: { endpoint: `${upstreamUrl}/openai/v1`, api_keys: [PROVIDER_KEYS.groq] },
    mistral: { endpoint: `${upstreamUrl}/mistral/v1`, api_keys: [PROVIDER_KEYS.mistral] },
    deepseek: { endpoint: `${upstreamUrl}/deepseek`, api_keys: [PROVIDER_KEYS.deepseek] },
    my_custom: {
      type: 'openai_compatible',
      endpoint: `${upstreamUrl}/custom/v1`,
      api_keys: [PROVIDER_KEYS.my_custom],
      model_mappings: { 'alias-model': 'real-model' },
    },
  };
}

export interface HarnessOptions {
  /** Top-level config keys merged over the defaults (`max_body_size`, `routing`, …). */
  config?: ConfigObject;
  /** Replaces or adds provider entries; `null` removes one. */
  providers?: (upstreamUrl: string) => Record<string, ConfigObject | null>;
  /** The gateway's environment (`${VAR}` expansion, provider key variables); default `{}`. */
  env?: Record<string, string>;
}

export interface ProxyHarness {
  readonly upstream: FakeUpstream;
  /** The gateway's base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The SDK, `baseURL` = gateway `/v1`, client key, no retries, response bodies captured. */
  readonly client: OpenAI;
  /** Every response the SDK received, with its exact bytes. */
  readonly exchanges: CapturedExchange[];
}

/** Rejects after `timeoutMs` with `what` in the message. */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export async function startProxyHarness(t: TestContext, options: HarnessOptions = {}): Promise<ProxyHarness> {
  const upstream = await startFakeUpstream();
  const providers: Record<string, ConfigObject> = { ...defaultProviders(upstream.url) };
  for (const [name, entry] of Object.entries(options.providers?.(upstream.url) ?? {})) {
    if (entry === null) delete providers[name];
    else providers[name] = entry;
  }
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({
      config: {
        host: '127.0.0.1',
        port: 0,
        api_keys: [CLIENT_KEY],
        management_key: MANAGEMENT_KEY,
        providers,
        ...options.config,
      },
      env: options.env ?? {},
      logLevel: 'silent',
    });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  t.after(async () => {
    try {
      await within(gateway.close(), 5_000, 'gateway.close()');
    } finally {
      await upstream.close();
    }
  });
  const recording = recordingFetch();
  const client = new OpenAI({
    apiKey: CLIENT_KEY,
    baseURL: `${gateway.url}/v1`,
    maxRetries: 0,
    timeout: 10_000,
    fetch: recording.fetch,
  });
  return { upstream, url: gateway.url, client, exchanges: recording.exchanges };
}

/** The last response the SDK received (fails when there was none). */
export function lastExchange(harness: ProxyHarness): CapturedExchange {
  const exchange = harness.exchanges.at(-1);
  if (exchange === undefined) throw new Error('the SDK received no response');
  return exchange;
}
