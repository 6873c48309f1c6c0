/**
 * The gateway's side of OAuth providers (Copilot, Kiro): the token store under
 * `<data_dir>/credentials` as the source of their credentials, the refresher that hands out
 * a usable access token per request (once per credential at a time), interactive logins,
 * Copilot's live model list and quotas per credential. Every URL comes from `oauth` in the
 * config with the real default.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { OAuthSettings } from '../config/schema.ts';
import { GatewayError } from '../errors.ts';
import { AwsSsoOidc } from '../auth/aws-sso-oidc.ts';
import { CopilotQuotaReader } from '../auth/copilot-quota.ts';
import { COPILOT_EDITOR_HEADERS, CopilotTokenExchange, DEFAULT_COPILOT_API_ENDPOINT } from '../auth/copilot-token.ts';
import type { Credential as StoredCredential, CredentialQuota } from '../auth/credential.ts';
import { DeviceLogin } from '../auth/device-login.ts';
import { GitHubDeviceFlow } from '../auth/github-device-flow.ts';
import { KiroSocialRefresh } from '../auth/kiro-social-refresh.ts';
import { TokenRefresher } from '../auth/refresher.ts';
import { copilotRenewer, kiroRenewer } from '../auth/renewers.ts';
import { TokenStore } from '../auth/token-store.ts';
import { sendAuthRequest } from '../auth/auth-http.ts';
import type { Capabilities, Credential, ModelSpec } from './types.ts';
import type { UpstreamClient } from './upstream-client.ts';

export type OAuthProvider = 'copilot' | 'kiro';

/** What the request looks like, for headers Copilot bills and routes by. */
export interface OAuthHints {
  /** `agent` when the last message is the assistant's or a tool's (X-Initiator). */
  initiator: 'user' | 'agent';
  /** Any image in the request (Copilot-Vision-Request). */
  vision: boolean;
}

export interface Authorization {
  headers: Record<string, string>;
  /** Overrides the provider's endpoint for this credential (Copilot's plan-specific API host). */
  endpoint?: string;
  /** Kiro social logins only. */
  profileArn?: string;
}

/** A live Copilot model, from `GET {api}/models`. */
export interface CopilotModel extends ModelSpec {
  /** Whether the model is reached through `/responses` rather than `/chat/completions`. */
  responsesOnly: boolean;
}

export interface OAuthCredentialsOptions {
  dataDir: string;
  settings: OAuthSettings;
  client: UpstreamClient;
  now?: () => number;
  lock?: (id: string) => Promise<() => void | Promise<void>>;
  watch?: boolean;
}

const QUOTA_INTERVAL_MS = 10 * 60_000;
const MODELS_INTERVAL_MS = 60 * 60_000;

export class OAuthCredentials extends EventEmitter {
  readonly store: TokenStore;
  readonly refresher: TokenRefresher;
  readonly logins: DeviceLogin;
  private readonly settings: OAuthSettings;
  private readonly client: UpstreamClient;
  private readonly copilotTokens: CopilotTokenExchange;
  private readonly copilotQuota: CopilotQuotaReader;
  private copilotModels: CopilotModel[] = [];
  private modelsFetchedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set once background work runs (`startBackground`). */
  private onBackgroundError: ((error: unknown) => void) | undefined;

  private constructor(store: TokenStore, options: OAuthCredentialsOptions) {
    super();
    const settings = options.settings;
    const http = { client: options.client };
    this.store = store;
    this.settings = settings;
    this.client = options.client;
    this.copilotTokens = new CopilotTokenExchange({ ...http, tokenUrl: settings.copilot_token_url, now: options.now });
    this.copilotQuota = new CopilotQuotaReader({ ...http, userUrl: settings.copilot_user_url });
    const oidc = new AwsSsoOidc({ ...http, endpoint: settings.aws_oidc_url, now: options.now });
    const social = new KiroSocialRefresh({ ...http, refreshUrl: settings.kiro_social_refresh_url, now: options.now });
    this.refresher = new TokenRefresher({
      store,
      renewers: { copilot: copilotRenewer(this.copilotTokens), kiro: kiroRenewer(oidc, social) },
      leadMs: settings.refresh_lead,
      now: options.now,
      lock: options.lock,
    });
    const github = new GitHubDeviceFlow({
      ...http,
      clientId: settings.github_client_id,
      deviceCodeUrl: settings.github_device_code_url,
      accessTokenUrl: settings.github_access_token_url,
      userUrl: settings.github_user_url,
      now: options.now,
    });
    this.logins = new DeviceLogin({
      store,
      github,
      copilotTokens: this.copilotTokens,
      oidc,
      now: options.now,
      kiroRegion: settings.kiro_region,
      kiroStartUrl: settings.kiro_start_url,
    });
    // After close, a write still on its way (a quota, a refresh) must not rebuild a gateway that is shutting down.
    store.on('change', (change) => {
      if (this.closed) return;
      this.emit('change');
      if (change.added.length > 0) this.welcome(change.added);
    });
  }

  static async open(options: OAuthCredentialsOptions): Promise<OAuthCredentials> {
    const store = await TokenStore.open({ directory: join(options.dataDir, 'credentials'), watch: options.watch ?? true, now: options.now });
    return new OAuthCredentials(store, options);
  }

  /** Starts quota and model refreshes in the background. */
  startBackground(onError: (error: unknown) => void): void {
    this.onBackgroundError = onError;
    const tick = (): void => {
      this.refreshQuotas().catch(onError);
      if (Date.now() - this.modelsFetchedAt > MODELS_INTERVAL_MS) this.refreshCopilotModels().catch(onError);
    };
    tick();
    this.timer = setInterval(tick, QUOTA_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * A credential added while running (a login, a file dropped in) gets its quota now, and
   * Copilot's live catalogue is fetched when there is none yet, rather than at the next tick.
   */
  private welcome(ids: string[]): void {
    const onError = this.onBackgroundError;
    if (onError === undefined) return;
    this.refreshQuotas(ids).catch(onError);
    if (this.copilotModels.length === 0 && ids.some((id) => this.store.get(id)?.provider === 'copilot')) this.refreshCopilotModels().catch(onError);
  }

  /** Stops the timers and logins; resolves once the credential writes under way are done. */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.logins.close();
    return this.store.close();
  }

  /** Usable credentials of a provider, as routing sees them: invalid or exhausted ones left out. */
  credentialsFor(provider: OAuthProvider): Credential[] {
    return this.store.list()
      .filter((credential) => credential.provider === provider && credential.status === 'active' && !exhausted(credential.quota))
      .map((credential) => ({ id: credential.id, provider, secret: '', masked: credential.label, fingerprint: credential.id, weight: 1, oauth: true }));
  }

  /** Every stored credential of a provider, for management views (no tokens). */
  describe(provider: OAuthProvider): Array<Record<string, unknown>> {
    return this.store.list().filter((credential) => credential.provider === provider).map((credential) => ({
      id: credential.id,
      label: credential.label,
      status: credential.status,
      status_reason: credential.status_reason ?? null,
      expires_at: credential.expires_at ?? null,
      quota: credential.quota ?? null,
      exhausted: exhausted(credential.quota),
      updated_at: credential.updated_at,
    }));
  }

  /** Headers (and endpoint) for one request with one credential; refreshes first when due. */
  async authorize(provider: OAuthProvider, credentialId: string, hints: OAuthHints): Promise<Authorization> {
    const usable = await this.refresher.getUsableCredential(credentialId);
    const credential = usable.credential;
    if (provider === 'copilot' && credential.provider === 'copilot') {
      const headers: Record<string, string> = {
        ...COPILOT_EDITOR_HEADERS,
        authorization: `Bearer ${usable.accessToken}`,
        'copilot-integration-id': 'vscode-chat',
        'openai-intent': 'conversation-panel',
        'x-request-id': randomUUID(),
        'x-initiator': hints.initiator,
      };
      if (hints.vision) headers['copilot-vision-request'] = 'true';
      return { headers, endpoint: credential.api_endpoint ?? DEFAULT_COPILOT_API_ENDPOINT };
    }
    if (provider === 'kiro' && credential.provider === 'kiro') {
      return {
        headers: { authorization: `Bearer ${usable.accessToken}` },
        profileArn: credential.auth_method === 'social' ? credential.profile_arn : undefined,
      };
    }
    throw new GatewayError(500, 'internal_error', `credential ${credentialId} does not belong to ${provider}`);
  }

  /** After an upstream 401: one forced refresh (PROTOCOLS.md: refresh first, then cool down). */
  async forceRefresh(credentialId: string): Promise<void> {
    await this.refresher.refresh(credentialId);
  }

  /** Quota per credential (all, or those of `ids`), in the seed's shape, saved into the store (Copilot and Kiro). */
  async refreshQuotas(ids?: string[]): Promise<void> {
    for (const credential of this.store.list()) {
      if (credential.status !== 'active' || (ids !== undefined && !ids.includes(credential.id))) continue;
      let quota: CredentialQuota | undefined;
      if (credential.provider === 'copilot') quota = await this.copilotQuota.fetchQuota(credential).catch(() => undefined);
      else quota = await this.kiroQuota(credential.id).catch(() => undefined);
      if (quota === undefined || JSON.stringify(quota) === JSON.stringify(credential.quota)) continue;
      // On the latest record: a token refreshed meanwhile must not be put back.
      await this.store.update(credential.id, (current) => ({ ...current, quota }) as StoredCredential);
    }
  }

  /** Kiro's usage limits for agentic requests, as the seed's quota. */
  private async kiroQuota(credentialId: string): Promise<CredentialQuota | undefined> {
    const usable = await this.refresher.getUsableCredential(credentialId);
    const credential = usable.credential;
    if (credential.provider !== 'kiro') return undefined;
    const base = (this.settings.kiro_usage_url ?? 'https://codewhisperer.{region}.amazonaws.com/getUsageLimits').replace('{region}', credential.region);
    const response = await sendAuthRequest({ client: this.client }, {
      method: 'GET',
      url: `${base}?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST${credential.profile_arn === undefined ? '' : `&profileArn=${encodeURIComponent(credential.profile_arn)}`}`,
      headers: { authorization: `Bearer ${usable.accessToken}`, accept: 'application/json' },
    });
    if (response.status >= 400) return undefined;
    const body = response.body as { usageBreakdownList?: Array<{ usageLimit?: number; currentUsage?: number; usageLimitWithPrecision?: number; currentUsageWithPrecision?: number; nextDateReset?: number }> } | undefined;
    const entry = body?.usageBreakdownList?.[0];
    if (entry === undefined) return undefined;
    const limit = entry.usageLimitWithPrecision ?? entry.usageLimit ?? null;
    const used = entry.currentUsageWithPrecision ?? entry.currentUsage ?? null;
    return {
      limit,
      used,
      remaining: limit === null || used === null ? null : Math.max(0, limit - used),
      ...(entry.nextDateReset === undefined ? {} : { reset_at: new Date(entry.nextDateReset * 1000).toISOString() }),
    };
  }

  /** The live Copilot catalogue (empty until fetched). */
  copilotCatalogue(): CopilotModel[] {
    return this.copilotModels;
  }

  /** Fetches `GET {api}/models` with the first usable Copilot credential. */
  async refreshCopilotModels(): Promise<void> {
    const credential = this.credentialsFor('copilot')[0];
    if (credential === undefined) return;
    const authorization = await this.authorize('copilot', credential.id, { initiator: 'user', vision: false });
    const response = await sendAuthRequest({ client: this.client }, {
      method: 'GET',
      url: `${(authorization.endpoint ?? DEFAULT_COPILOT_API_ENDPOINT).replace(/\/+$/, '')}/models`,
      headers: { ...authorization.headers, accept: 'application/json' },
    });
    this.modelsFetchedAt = Date.now();
    if (response.status >= 400) return;
    const models = parseCopilotModels(response.body);
    if (models.length === 0 || JSON.stringify(models) === JSON.stringify(this.copilotModels)) return;
    this.copilotModels = models;
    this.emit('change');
  }
}

function exhausted(quota: CredentialQuota | undefined): boolean {
  return quota !== undefined && quota.unlimited !== true && quota.remaining !== null && quota.remaining <= 0;
}

/** Copilot's `/models` answer → catalogue entries with capabilities. */
export function parseCopilotModels(body: unknown): CopilotModel[] {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return [];
  const out: CopilotModel[] = [];
  for (const item of data) {
    const model = item as {
      id?: unknown;
      model_picker_enabled?: boolean;
      capabilities?: { type?: string; limits?: { max_context_window_tokens?: number; max_output_tokens?: number }; supports?: Record<string, unknown> };
      supported_endpoints?: unknown;
    };
    if (typeof model.id !== 'string') continue;
    if (model.capabilities?.type !== undefined && model.capabilities.type !== 'chat') continue;
    const supports = model.capabilities?.supports ?? {};
    const endpoints = Array.isArray(model.supported_endpoints) ? model.supported_endpoints.filter((entry): entry is string => typeof entry === 'string') : [];
    const capabilities: Partial<Capabilities> = {};
    out.push({
      name: model.id,
      context: model.capabilities?.limits?.max_context_window_tokens ?? 0,
      maxOutput: model.capabilities?.limits?.max_output_tokens,
      streaming: supports.streaming !== false,
      functions: supports.tool_calls === true,
      vision: supports.vision === true,
      multimodal: supports.vision === true,
      codeGeneration: capabilities.code_generation ?? true,
      responsesOnly: endpoints.length > 0 && !endpoints.includes('/chat/completions') && endpoints.includes('/responses'),
    });
  }
  return out;
}
