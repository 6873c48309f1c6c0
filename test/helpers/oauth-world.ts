/**
 * One loopback server (`node:http`, 127.0.0.1, port 0) playing every remote party of the
 * OAuth providers, for the end-to-end tests in `test/oauth/`:
 * - GitHub: `POST /github/device/code`, `POST /github/token` (scripted: pending, slow_down,
 *   expired, denied, success), `GET /github/user`;
 * - Copilot: `GET /copilot/token` (the API token exchange, `endpoints.api` pointing back at
 *   `/copilot-api` here), `GET /copilot/user` (quota), and the chat API under
 *   `/copilot-api`: `/chat/completions` (JSON and SSE), `/responses`, `/models`;
 * - AWS SSO OIDC under `/oidc/{region}`: `/client/register`, `/device_authorization`,
 *   `/token` (device-code grant scripted; refresh grant scripted);
 * - Kiro under `/kiro`: `/generateAssistantResponse` answering AWS event streams built from
 *   SYNTHETIC frames (there is no public Kiro capture), and `/kiro-usage/getUsageLimits`.
 * Every request is recorded. Tests replace any route's handler with `on(route, handler)`.
 *
 * @example
 *   const world = await startOAuthWorld(clock);
 *   const gateway = await startGateway({ config: world.gatewayConfig(dataDir), env: {}, logLevel: 'silent', clock });
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatFrames, eventFrame, exceptionFrame } from '../../src/protocols/kiro/event-stream-test-frames.ts';

export interface Recorded {
  method: string;
  /** Path without the query. */
  path: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON or as a form; undefined when empty. */
  json: Record<string, unknown> | undefined;
}

export type Handler = (request: Recorded, response: ServerResponse) => void | Promise<void>;

/** Time the fakes and the gateway share: `now` moves only when told to (or when slept on). */
export interface TestClock {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
  random(): number;
  advance(milliseconds: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let time = start;
  return {
    now: () => time,
    sleep: async (milliseconds) => {
      time += milliseconds;
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    random: () => 0.5,
    advance: (milliseconds) => {
      time += milliseconds;
    },
  };
}

/** What GitHub's token endpoint answers, poll after poll. */
export type GitHubOutcome = 'success' | 'expired' | 'denied';

export interface GitHubScript {
  /** `authorization_pending` answers before the outcome (default 2). */
  pending: number;
  /** Polls (1-based) answered `slow_down` instead of pending. */
  slowDownAt: number[];
  outcome: GitHubOutcome;
  /** The token handed out on success, and the login /user names for it. */
  token: string;
  login: string;
  /** When set, the outcome waits for `authorize()` whatever `pending` says. */
  manual: boolean;
}

export interface OidcScript {
  pending: number;
  outcome: 'success' | 'expired_token' | 'access_denied' | 'slow_down_then_success';
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  manual: boolean;
}

export interface KiroAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** Raw body bytes (an event stream, or JSON for an HTTP error). */
  body: Uint8Array | string;
  /** Byte offsets at which to cut the body into separate writes. */
  cuts?: number[];
}

export interface OAuthWorld {
  url: string;
  requests: Recorded[];
  /** Requests to `"METHOD /path"` (no query). */
  hits(route: string): Recorded[];
  on(route: string, handler: Handler): void;
  github: GitHubScript;
  oidc: OidcScript;
  /** Lets a `manual` login (GitHub or OIDC) succeed at its next poll. */
  authorize(): void;
  /** Copilot quota per GitHub token (default: 300 premium requests, 120 left). */
  copilotQuota: Map<string, { entitlement: number; remaining: number }>;
  /** Copilot's `/models` list. */
  copilotModels: unknown[];
  /** Seconds the Copilot API tokens live (default 1800). */
  copilotTokenLifetime: number;
  /** Answers to Kiro chat requests, used once each; when empty, `kiroDefault`. */
  kiroQueue: KiroAnswer[];
  kiroDefault: KiroAnswer;
  /** Refresh answers at the OIDC token endpoint, used once each; default a new token pair. */
  refreshQueue: Array<{ status: number; json: Record<string, unknown> }>;
  /** Delay before answering a refresh (to let concurrent requests pile up). */
  refreshDelayMs: number;
  /** Oauth settings pointing every URL here. */
  oauthSettings(): Record<string, string>;
  /** A gateway config with data_dir, management key `mk`, oauth URLs and provider endpoints here; `extra` keys win (`oauth` merges). */
  gatewayConfig(dataDir: string, extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** A Copilot `/models` entry. */
export function copilotModel(id: string, options: { endpoints?: string[]; context?: number; output?: number; vision?: boolean; tools?: boolean } = {}): Record<string, unknown> {
  return {
    id,
    name: id,
    object: 'model',
    model_picker_enabled: true,
    capabilities: {
      type: 'chat',
      limits: { max_context_window_tokens: options.context ?? 128_000, max_output_tokens: options.output ?? 16_384 },
      supports: { streaming: true, tool_calls: options.tools ?? true, vision: options.vision ?? false },
    },
    ...(options.endpoints === undefined ? {} : { supported_endpoints: options.endpoints }),
    billing: { is_premium: false, multiplier: 1 },
  };
}

export const DEFAULT_COPILOT_MODELS: unknown[] = [
  copilotModel('gpt-4.1', { endpoints: ['/chat/completions'], context: 128_000, output: 16_384, vision: true }),
  copilotModel('claude-sonnet-4.5', { endpoints: ['/chat/completions'], context: 144_000, output: 16_000, vision: true }),
  copilotModel('gpt-5-codex', { endpoints: ['/responses'], context: 400_000, output: 128_000, vision: false }),
];

/** A non-streaming OpenAI chat completion. */
export function chatCompletion(text: string, model = 'gpt-4.1'): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
  };
}

/** The SSE body of a streaming chat completion saying `parts`. */
export function chatCompletionStream(parts: string[], model = 'gpt-4.1'): string {
  const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: Record<string, unknown>): string =>
    `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }], ...(usage === undefined ? {} : { usage }) })}\n\n`;
  return chunk({ role: 'assistant', content: '' }, null)
    + parts.map((part) => chunk({ content: part }, null)).join('')
    + chunk({}, 'stop', { prompt_tokens: 11, completion_tokens: parts.length, total_tokens: 11 + parts.length })
    + 'data: [DONE]\n\n';
}

/** A non-streaming OpenAI Responses answer. */
export function responsesAnswer(text: string, model = 'gpt-5-codex'): Record<string, unknown> {
  return {
    id: 'resp_fake',
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model,
    output: [{ type: 'message', id: 'msg_fake', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
    usage: { input_tokens: 9, output_tokens: 2, total_tokens: 11 },
  };
}

/** SYNTHETIC Kiro event stream: text in two deltas, then usage metadata. */
export function kiroTextStream(parts: string[] = ['Hello', ' from Kiro']): Uint8Array {
  return concatFrames([
    ...parts.map((content) => eventFrame('assistantResponseEvent', { content })),
    eventFrame('messageMetadataEvent', { tokenUsage: { uncachedInputTokens: 20, outputTokens: 5, totalTokens: 25 } }),
    eventFrame('meteringEvent', { unit: 'credit', usage: 0.1 }),
  ]);
}

export function kiroAnswer(body: Uint8Array, cuts?: number[]): KiroAnswer {
  return { status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-fake-stream': 'synthetic' }, body, ...(cuts === undefined ? {} : { cuts }) };
}

export { concatFrames, eventFrame, exceptionFrame };

export async function startOAuthWorld(clock: Pick<TestClock, 'now'> = { now: Date.now }): Promise<OAuthWorld> {
  const handlers = new Map<string, Handler>();
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  let authorized = false;
  let githubPolls = 0;
  let oidcPolls = 0;
  let copilotExchanges = 0;
  let refreshes = 0;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = request.url ?? '/';
      const path = url.split('?')[0] ?? url;
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      if (body !== '') {
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          json = Object.fromEntries(new URLSearchParams(body));
        }
      }
      const recorded: Recorded = { method: request.method ?? 'GET', path, url, headers: request.headers, body, json };
      requests.push(recorded);
      const route = `${recorded.method} ${path}`;
      const handler = handlers.get(route) ?? handlers.get(`${recorded.method} ${path.replace(/^\/oidc\/[^/]+\//, '/oidc/{region}/')}`);
      if (handler === undefined) {
        sendJson(response, 404, { error: 'not_found', message: `fake: no route ${route}` });
        return;
      }
      Promise.resolve(handler(recorded, response)).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: 'fake_failure', message: String(error) });
        else response.destroy();
      });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const world: OAuthWorld = {
    url,
    requests,
    hits: (route) => requests.filter((request) => `${request.method} ${request.path}` === route),
    on: (route, handler) => { handlers.set(route, handler); },
    github: { pending: 2, slowDownAt: [], outcome: 'success', token: 'gho_octocat_token', login: 'octocat', manual: false },
    oidc: { pending: 2, outcome: 'success', accessToken: 'kiro-access-login', refreshToken: 'kiro-refresh-login', expiresIn: 3600, manual: false },
    authorize: () => { authorized = true; },
    copilotQuota: new Map(),
    copilotModels: DEFAULT_COPILOT_MODELS,
    copilotTokenLifetime: 1800,
    kiroQueue: [],
    kiroDefault: kiroAnswer(kiroTextStream()),
    refreshQueue: [],
    refreshDelayMs: 0,
    oauthSettings: () => ({
      github_device_code_url: `${url}/github/device/code`,
      github_access_token_url: `${url}/github/token`,
      github_user_url: `${url}/github/user`,
      copilot_token_url: `${url}/copilot/token`,
      copilot_user_url: `${url}/copilot/user`,
      aws_oidc_url: `${url}/oidc/{region}`,
      kiro_social_refresh_url: `${url}/kiro-social/{region}/refreshToken`,
      kiro_usage_url: `${url}/kiro-usage/getUsageLimits`,
    }),
    gatewayConfig: (dataDir, extra = {}) => {
      const { oauth, ...rest } = extra;
      return {
        host: '127.0.0.1',
        port: 0,
        data_dir: dataDir,
        management_key: 'mk',
        // Connection errors and failovers in these tests must not wait on real backoff.
        routing: { backoff: { base: 0, max: 0 }, keepalive_interval: 0 },
        // `extra.oauth` adds to (or overrides) the URLs pointing here.
        oauth: { ...world.oauthSettings(), ...(oauth as Record<string, unknown> | undefined) },
        providers: { copilot: { endpoint: `${url}/copilot-api` }, kiro: { endpoint: `${url}/kiro` } },
        ...rest,
      };
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  // GitHub device flow.
  world.on('POST /github/device/code', (_request, response) => {
    githubPolls = 0;
    authorized = false;
    sendJson(response, 200, { device_code: 'gh-device-1', user_code: 'ABCD-1234', verification_uri: 'https://github.com/login/device', expires_in: 900, interval: 0.05 });
  });
  world.on('POST /github/token', (_request, response) => {
    githubPolls += 1;
    const script = world.github;
    if (script.slowDownAt.includes(githubPolls)) return sendJson(response, 200, { error: 'slow_down', error_description: 'Too many requests', interval: 10 });
    const ready = script.manual ? authorized : githubPolls > script.pending;
    if (!ready) return sendJson(response, 200, { error: 'authorization_pending', error_description: 'The authorization request is still pending.' });
    if (script.outcome === 'expired') return sendJson(response, 200, { error: 'expired_token', error_description: 'The device_code has expired.' });
    if (script.outcome === 'denied') return sendJson(response, 200, { error: 'access_denied', error_description: 'The user has denied your application access.' });
    sendJson(response, 200, { access_token: script.token, token_type: 'bearer', scope: 'read:user' });
  });
  world.on('GET /github/user', (request, response) => {
    const token = String(request.headers.authorization ?? '').replace(/^token /, '');
    sendJson(response, 200, { login: token === world.github.token ? world.github.login : token.replace(/^gho_/, ''), id: 1 });
  });

  // Copilot token exchange, quota and chat API.
  world.on('GET /copilot/token', (request, response) => {
    const token = String(request.headers.authorization ?? '').replace(/^token /, '');
    if (!token.startsWith('gho_')) return sendJson(response, 401, { message: 'Bad credentials' });
    copilotExchanges += 1;
    const now = Math.floor(clock.now() / 1000);
    sendJson(response, 200, {
      token: `tid=${token.slice(4)};exp=${now + world.copilotTokenLifetime};n=${copilotExchanges}`,
      expires_at: now + world.copilotTokenLifetime,
      refresh_in: world.copilotTokenLifetime - 300,
      endpoints: { api: `${url}/copilot-api` },
    });
  });
  world.on('GET /copilot/user', (request, response) => {
    const token = String(request.headers.authorization ?? '').replace(/^token /, '');
    const quota = world.copilotQuota.get(token) ?? { entitlement: 300, remaining: 120 };
    sendJson(response, 200, {
      login: token.slice(4),
      copilot_plan: 'individual',
      quota_reset_date: '2030-01-01',
      quota_snapshots: {
        chat: { entitlement: 0, remaining: 0, percent_remaining: 100, unlimited: true },
        premium_interactions: { entitlement: quota.entitlement, remaining: quota.remaining, percent_remaining: (100 * quota.remaining) / quota.entitlement, unlimited: false },
      },
    });
  });
  world.on('GET /copilot-api/models', (_request, response) => sendJson(response, 200, { object: 'list', data: world.copilotModels }));
  world.on('POST /copilot-api/chat/completions', (request, response) => {
    const model = String(request.json?.model ?? 'gpt-4.1');
    if (request.json?.stream === true) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(chatCompletionStream(['Hello', ' from', ' Copilot'], model));
      return;
    }
    sendJson(response, 200, chatCompletion('Hello from Copilot', model));
  });
  world.on('POST /copilot-api/responses', (request, response) => {
    if (request.json?.stream === true) {
      const events = [
        { type: 'response.created', response: { ...responsesAnswer(''), status: 'in_progress', output: [] } },
        { type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_fake', status: 'in_progress', role: 'assistant', content: [] } },
        { type: 'response.content_part.added', item_id: 'msg_fake', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } },
        { type: 'response.output_text.delta', item_id: 'msg_fake', output_index: 0, content_index: 0, delta: 'Hello from /responses' },
        { type: 'response.output_text.done', item_id: 'msg_fake', output_index: 0, content_index: 0, text: 'Hello from /responses' },
        { type: 'response.completed', response: responsesAnswer('Hello from /responses') },
      ];
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join(''));
      return;
    }
    sendJson(response, 200, responsesAnswer('Hello from /responses'));
  });

  // AWS SSO OIDC.
  world.on('POST /oidc/{region}/client/register', (_request, response) => {
    sendJson(response, 200, { clientId: 'oidc-client-1', clientSecret: 'oidc-secret-1', clientIdIssuedAt: Math.floor(clock.now() / 1000), clientSecretExpiresAt: Math.floor(clock.now() / 1000) + 90 * 86_400 });
  });
  world.on('POST /oidc/{region}/device_authorization', (_request, response) => {
    oidcPolls = 0;
    authorized = false;
    sendJson(response, 200, {
      deviceCode: 'aws-device-1',
      userCode: 'WXYZ-9876',
      verificationUri: 'https://device.sso.us-east-1.amazonaws.com/',
      verificationUriComplete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=WXYZ-9876',
      expiresIn: 600,
      interval: 0.05,
    });
  });
  world.on('POST /oidc/{region}/token', async (request, response) => {
    const body = request.json ?? {};
    if (body.grantType === 'refresh_token') {
      refreshes += 1;
      if (world.refreshDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, world.refreshDelayMs));
      const scripted = world.refreshQueue.shift();
      if (scripted !== undefined) return sendJson(response, scripted.status, scripted.json);
      return sendJson(response, 200, { accessToken: `kiro-access-refreshed-${refreshes}`, refreshToken: `kiro-refresh-refreshed-${refreshes}`, expiresIn: 3600, tokenType: 'Bearer' });
    }
    oidcPolls += 1;
    const script = world.oidc;
    const ready = script.manual ? authorized : oidcPolls > script.pending;
    if (script.outcome === 'slow_down_then_success' && oidcPolls === 1) return sendJson(response, 400, { error: 'slow_down', error_description: 'Slow down' });
    if (!ready) return sendJson(response, 400, { error: 'authorization_pending', error_description: 'Authorization pending' });
    if (script.outcome === 'expired_token') return sendJson(response, 400, { error: 'expired_token', error_description: 'Device code expired' });
    if (script.outcome === 'access_denied') return sendJson(response, 400, { error: 'access_denied', error_description: 'Access denied' });
    sendJson(response, 200, { accessToken: script.accessToken, refreshToken: script.refreshToken, expiresIn: script.expiresIn, tokenType: 'Bearer' });
  });

  // Kiro chat and usage limits.
  world.on('POST /kiro/generateAssistantResponse', async (_request, response) => {
    const answer = world.kiroQueue.shift() ?? world.kiroDefault;
    const bytes = Buffer.from(answer.body);
    response.writeHead(answer.status ?? 200, answer.headers ?? {});
    const cuts = [...new Set(answer.cuts ?? [])].filter((cut) => cut > 0 && cut < bytes.length).sort((left, right) => left - right);
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      response.write(bytes.subarray(start, cut));
      start = cut;
      // A pause between writes, so each piece travels in its own TCP segment.
      if (cut < bytes.length) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    response.end();
  });
  world.on('GET /kiro-usage/getUsageLimits', (_request, response) => {
    sendJson(response, 200, { usageBreakdownList: [{ resourceType: 'AGENTIC_REQUEST', usageLimit: 50, currentUsage: 8, usageLimitWithPrecision: 50, currentUsageWithPrecision: 8 }], daysUntilReset: 12 });
  });

  return world;
}

/** A temporary data_dir (and a remover). */
export async function tempDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cliproxy-oauth-e2e-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes a credential file as a user (or another instance) would drop it in: mode 0600. */
export async function writeCredentialFile(dataDir: string, record: Record<string, unknown>): Promise<string> {
  const file = join(dataDir, 'credentials', `${String(record.id)}.json`);
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

export function copilotRecord(login: string, now: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const iso = new Date(now).toISOString();
  return {
    id: `copilot-${login}`,
    provider: 'copilot',
    type: 'oauth_device_flow',
    label: login,
    access_token: `gho_${login}`,
    github_token: `gho_${login}`,
    created_at: iso,
    updated_at: iso,
    status: 'active',
    ...extra,
  };
}

export function kiroRecord(id: string, now: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const iso = new Date(now).toISOString();
  return {
    id,
    provider: 'kiro',
    type: 'oauth_device_flow',
    label: 'https://view.awsapps.com/start',
    access_token: `${id}-access-0`,
    refresh_token: `${id}-refresh-0`,
    expires_at: new Date(now + 3_600_000).toISOString(),
    created_at: iso,
    updated_at: iso,
    status: 'active',
    region: 'us-east-1',
    auth_method: 'builder-id',
    start_url: 'https://view.awsapps.com/start',
    client_id: 'oidc-client-1',
    client_secret: 'oidc-secret-1',
    client_secret_expires_at: new Date(now + 90 * 86_400_000).toISOString(),
    ...extra,
  };
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
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
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A management call to the gateway. */
export async function management(gatewayUrl: string, path: string, init: { method?: string; key?: string | null; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (init.key !== null) headers['x-management-key'] = init.key ?? 'mk';
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(gatewayUrl + path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export interface CredentialView {
  id: string;
  provider: string;
  label: string;
  status: string;
  status_reason: string | null;
  expires_at: string | null;
  quota: { limit: number | null; used: number | null; remaining: number | null; reset_at?: string; unlimited?: boolean } | null;
  exhausted: boolean;
}

export async function listCredentials(gatewayUrl: string): Promise<{ data: CredentialView[]; problems: Array<{ file: string; reason: string }> }> {
  const answer = await management(gatewayUrl, '/v0/management/credentials');
  if (answer.status !== 200) throw new Error(`credentials listing answered ${answer.status}`);
  return answer.body as unknown as { data: CredentialView[]; problems: Array<{ file: string; reason: string }> };
}
