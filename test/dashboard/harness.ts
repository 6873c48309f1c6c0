/**
 * The dashboard tests' setup: the page built (`buildDashboard()` when `dashboard/dist` is
 * missing), a real gateway in process with a management key, a loopback fake upstream
 * (OpenAI-compatible, for traffic and 429s), fake GitHub device-login endpoints, and
 * Debian's headless Chromium driven by playwright-core. Everything is closed in `close()`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard } from '../../dashboard/build.ts';
import { startFakeServer, type FakeServer, type Script } from '../../src/auth/auth.test-helper.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { jsonResponse, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const MANAGEMENT_KEY = 'mk';
export const CLIENT_KEYS = ['client-key-alpha', 'client-key-beta'];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_INDEX = join(ROOT, 'dashboard', 'dist', 'index.html');

/** Builds the page once when `dashboard/dist` is missing (a fresh checkout without `npm install`). */
export async function ensureBuilt(): Promise<void> {
  if (!existsSync(DIST_INDEX)) await buildDashboard();
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the dashboard tests need Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium), as .ci/run does`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
}

/** A chat completion as an OpenAI-compatible upstream answers it. */
export function completion(model: string, promptTokens = 12, completionTokens = 5): ReturnType<typeof jsonResponse> {
  return jsonResponse({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there.' }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  });
}

/** GitHub's device flow, faked: pending until `authorize()`, then a token for `octocat`. */
export interface FakeGitHub {
  server: FakeServer;
  authorize(): void;
}

async function startFakeGitHub(): Promise<FakeGitHub> {
  let authorized = false;
  const token: Script = () => (authorized ? { json: { access_token: 'gho_dashboard_test', token_type: 'bearer', scope: 'read:user' } } : { json: { error: 'authorization_pending' } });
  const server = await startFakeServer({
    'POST /github/device/code': { json: { device_code: 'device-1', user_code: 'WDJB-MJHT', verification_uri: 'https://github.com/login/device', expires_in: 900, interval: 1 } },
    'POST /github/token': token,
    'GET /github/user': { json: { login: 'octocat' } },
    // AWS SSO OIDC for a Kiro Identity Center login: registered, a code issued, never approved.
    'POST /aws/eu-west-1/client/register': { json: { clientId: 'client-1', clientSecret: 'secret-1', clientSecretExpiresAt: 4_000_000_000 } },
    'POST /aws/eu-west-1/device_authorization': {
      json: { deviceCode: 'device-2', userCode: 'KIRO-2468', verificationUri: 'https://device.sso.eu-west-1.amazonaws.com/', verificationUriComplete: 'https://device.sso.eu-west-1.amazonaws.com/?user_code=KIRO-2468', expiresIn: 600, interval: 1 },
    },
    'POST /aws/eu-west-1/token': { status: 400, json: { error: 'authorization_pending' } },
    'GET /github/copilot-user': { json: { quota_snapshots: { premium_interactions: { entitlement: 300, remaining: 180 } }, quota_reset_date_utc: '2030-01-01T00:00:00Z' } },
  });
  server.route('GET /github/copilot-token', { json: { token: 'tid=dashboard', expires_at: Math.floor(Date.now() / 1000) + 3600, endpoints: { api: `${server.url}/copilot-api` } } });
  return { server, authorize: () => { authorized = true; } };
}

export interface DashboardEnv {
  gateway: RunningGateway;
  upstream: FakeUpstream;
  github: FakeGitHub;
  browser: Browser;
  /** `/dashboard/` on the gateway. */
  url: string;
  /** A fresh page (its own session storage) of the given width. */
  page(width?: number, height?: number): Promise<Page>;
  /** A call to the gateway with the management key. */
  manage(path: string, init?: RequestInit): Promise<Response>;
  /** A chat completion through the gateway as a client. */
  chat(model: string, clientKey?: string): Promise<Response>;
  close(): Promise<void>;
}

export interface EnvOptions {
  /** Without one, the API accepts loopback callers with no key. Default `mk`. */
  managementKey?: string | null;
  /** Client keys guarding `/v1` (`api_keys`); default CLIENT_KEYS. */
  clientKeys?: string[];
  /** A Copilot credential with a quota, stored before the gateway starts. */
  seedCredential?: boolean;
}

export async function startDashboardEnv(options: EnvOptions = {}): Promise<DashboardEnv> {
  await ensureBuilt();
  // Whatever has started is stopped again if a later step fails, so a failed setup never hangs.
  const cleanups: Array<() => Promise<unknown>> = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    return await setUp(options, cleanups, closeAll);
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function setUp(options: EnvOptions, cleanups: Array<() => Promise<unknown>>, closeAll: () => Promise<void>): Promise<DashboardEnv> {
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const upstream = await startFakeUpstream();
  cleanups.push(() => upstream.close());
  upstream.always('POST /v1/chat/completions', completion('gpt-4.1-nano'));
  upstream.always('POST /openai/v1/chat/completions', completion('llama-3.3-70b-versatile', 30, 9));
  const github = await startFakeGitHub();
  cleanups.push(() => github.server.close());
  const dataDir = await mkdtemp(join(tmpdir(), 'cliproxy-dashboard-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  if (options.seedCredential === true) {
    await mkdir(join(dataDir, 'credentials'), { recursive: true });
    const now = new Date().toISOString();
    await writeFile(join(dataDir, 'credentials', 'copilot-ops-bot.json'), JSON.stringify({
      id: 'copilot-ops-bot', provider: 'copilot', type: 'oauth_device_flow', label: 'ops-bot',
      access_token: 'gho_seeded_secret', github_token: 'gho_seeded_secret', created_at: now, updated_at: now, status: 'active',
      quota: { limit: 300, used: 120, remaining: 180, reset_at: '2030-01-01T00:00:00.000Z' },
    }));
  }
  const managementKey = options.managementKey === undefined ? MANAGEMENT_KEY : options.managementKey;
  const clientKeys = options.clientKeys ?? CLIENT_KEYS;
  const gh = github.server.url;
  const gateway = await startGateway({
    config: {
      host: '127.0.0.1',
      port: 0,
      data_dir: dataDir,
      ...(managementKey === null ? {} : { management_key: managementKey }),
      ...(clientKeys.length === 0 ? {} : { api_keys: clientKeys }),
      oauth: {
        github_device_code_url: `${gh}/github/device/code`,
        github_access_token_url: `${gh}/github/token`,
        github_user_url: `${gh}/github/user`,
        copilot_token_url: `${gh}/github/copilot-token`,
        copilot_user_url: `${gh}/github/copilot-user`,
        aws_oidc_url: `${gh}/aws/{region}`,
        kiro_social_refresh_url: `${gh}/kiro/refresh`,
        kiro_usage_url: `${gh}/kiro/usage`,
      },
      providers: {
        openai: { endpoint: `${upstream.url}/v1`, api_keys: ['sk-dashboard-openai-0001'], models: [{ name: 'gpt-4.1-nano' }] },
        groq: { endpoint: `${upstream.url}/openai/v1`, api_keys: ['gsk-dashboard-groq-0002'], model_mappings: { fast: 'llama-3.3-70b-versatile' } },
        echo: { module: join(ROOT, 'examples', 'echo-provider.mjs'), models: ['echo-1'], options: { prefix: 'echo: ' } },
      },
    },
    env: {},
    logLevel: 'silent',
    watch: false,
  });
  cleanups.push(() => gateway.close());
  const pages: Page[] = [];
  cleanups.push(() => Promise.allSettled(pages.map((page) => page.context().close())));
  return {
    gateway,
    upstream,
    github,
    browser,
    url: `${gateway.url}/dashboard/`,
    async page(width = 1280, height = 900) {
      const context = await browser.newContext({ viewport: { width, height }, reducedMotion: 'reduce', colorScheme: 'light' });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      pages.push(page);
      return page;
    },
    manage(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('x-management-key', managementKey ?? '');
      return fetch(gateway.url + path, { ...init, headers, signal: AbortSignal.timeout(10_000) });
    },
    chat(model, clientKey = clientKeys[0]) {
      return fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...(clientKey === undefined ? {} : { authorization: `Bearer ${clientKey}` }), 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }] }),
        signal: AbortSignal.timeout(10_000),
      });
    },
    close: closeAll,
  };
}

/** Signs in through the form with `key`. */
export async function signIn(page: Page, url: string, key = MANAGEMENT_KEY): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Management key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Polls `check` until it returns a value other than undefined; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A chart's data as the page exposes it on the `<figure>` (see dashboard/src/charts.ts). */
export interface ChartData {
  points: number;
  series: number;
  total: number;
  canvas: boolean;
}

export async function chartData(page: Page, id: string): Promise<ChartData> {
  // One read in the page, so the figures all come from the same drawing.
  return page.locator(`#${id}`).evaluate((figure) => ({
    points: Number(figure.getAttribute('data-points')),
    series: Number(figure.getAttribute('data-series')),
    total: Number(figure.getAttribute('data-total')),
    canvas: figure.querySelector('canvas') !== null,
  }));
}

/** Waits until the chart's data satisfies `accept`; fails with the last data seen. */
export async function chartWhere(page: Page, id: string, what: string, accept: (data: ChartData) => boolean): Promise<ChartData> {
  let last: ChartData | undefined;
  try {
    return await eventually(`${id}: ${what}`, async () => {
      last = await chartData(page, id);
      return accept(last) ? last : undefined;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(last)}`);
  }
}

/** How wide the page is against its viewport (a horizontal overflow shows as page > viewport). */
export async function pageWidths(page: Page): Promise<{ page: number; body: number; viewport: number }> {
  const html = await page.locator('html').evaluate((element) => element.scrollWidth);
  const body = await page.locator('body').evaluate((element) => element.scrollWidth);
  return { page: html, body, viewport: page.viewportSize()?.width ?? 0 };
}
