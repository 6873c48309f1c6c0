/**
 * Interactive logins, shared by `cliproxy login` and the browser pages: `startLogin` asks
 * the provider for a device code and returns what the user must see (code, link, expiry);
 * the poll then runs in the background and `status` (or `wait`) reports pending, success
 * with the saved credential's id, or a readable failure. A Kiro login reuses a client
 * registration already stored for the same region and start URL while it is valid.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, isGatewayError } from '../errors.ts';
import { BUILDER_ID_START_URL, DEFAULT_KIRO_REGION, type AwsSsoOidc, type ClientRegistration } from './aws-sso-oidc.ts';
import { isAwsRegion, isoTime, newCredentialId, timeOf, type Credential, type KiroCredential } from './credential.ts';
import type { CopilotTokenExchange } from './copilot-token.ts';
import type { GitHubDeviceFlow } from './github-device-flow.ts';

export type LoginProvider = 'copilot' | 'kiro';

export interface KiroLoginOptions {
  /** Default `builder-id`. */
  method?: 'builder-id' | 'idc';
  /** Identity Center only (required there): the organisation's start URL. */
  startUrl?: string;
  /** Default `us-east-1`. */
  region?: string;
}

/** What the user must see to authorize. */
export interface LoginTicket {
  login_id: string;
  provider: LoginProvider;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  /** ISO time the code stops working. */
  expires_at: string;
  /** Seconds between the provider polls (a page can poll `status` at the same pace). */
  interval: number;
}

export type LoginStatus =
  | ({ status: 'pending' } & LoginTicket)
  | { status: 'success'; login_id: string; provider: LoginProvider; credential_id: string; label: string }
  | { status: 'failed'; login_id: string; provider: LoginProvider; reason: string; error: string };

/** The part of `TokenStore` logins need. */
export interface LoginCredentialStore {
  list(): Credential[];
  save(credential: Credential): Promise<Credential>;
}

export interface DeviceLoginOptions {
  store: LoginCredentialStore;
  github?: GitHubDeviceFlow;
  /** When given, a Copilot login also fetches an API token, so an account without Copilot fails at login. */
  copilotTokens?: CopilotTokenExchange;
  oidc?: AwsSsoOidc;
  now?: () => number;
  /** How long a finished login's outcome stays readable. Default 15 minutes. */
  retentionMs?: number;
  /** Kiro's region when a login names none (config `oauth.kiro_region`). Default `us-east-1`. */
  kiroRegion?: string;
  /** The Identity Center start URL when an `idc` login names none (config `oauth.kiro_start_url`). */
  kiroStartUrl?: string;
}

interface LoginEntry {
  ticket: LoginTicket;
  outcome: LoginStatus | undefined;
  finishedAt: number | undefined;
  controller: AbortController;
  done: Promise<LoginStatus>;
}

export class DeviceLogin {
  private readonly store: LoginCredentialStore;
  private readonly github: GitHubDeviceFlow | undefined;
  private readonly copilotTokens: CopilotTokenExchange | undefined;
  private readonly oidc: AwsSsoOidc | undefined;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly kiroRegion: string;
  private readonly kiroStartUrl: string | undefined;
  private readonly logins = new Map<string, LoginEntry>();

  constructor(options: DeviceLoginOptions) {
    this.store = options.store;
    this.github = options.github;
    this.copilotTokens = options.copilotTokens;
    this.oidc = options.oidc;
    this.now = options.now ?? Date.now;
    this.retentionMs = options.retentionMs ?? 15 * 60_000;
    this.kiroRegion = options.kiroRegion ?? DEFAULT_KIRO_REGION;
    this.kiroStartUrl = options.kiroStartUrl;
  }

  /** Starts a login; resolves once the user code is known, with the poll running on. */
  async startLogin(provider: LoginProvider, options: KiroLoginOptions = {}): Promise<LoginTicket> {
    this.forgetOld();
    if (provider === 'copilot') return this.startCopilot();
    if (provider === 'kiro') return this.startKiro(options);
    throw new GatewayError(400, 'invalid_request', `no device login for provider ${String(provider)}`);
  }

  /** The login's state; undefined when unknown (or finished long ago). */
  status(loginId: string): LoginStatus | undefined {
    this.forgetOld();
    const entry = this.logins.get(loginId);
    if (entry === undefined) return undefined;
    return entry.outcome ?? { status: 'pending', ...entry.ticket };
  }

  /** Resolves with the final state (success or failed). */
  async wait(loginId: string): Promise<LoginStatus> {
    const entry = this.logins.get(loginId);
    if (entry === undefined) throw new GatewayError(404, 'not_found', `no login ${loginId}`);
    return entry.done;
  }

  /** Stops a pending login; it ends as failed ("cancelled"). */
  cancel(loginId: string): boolean {
    const entry = this.logins.get(loginId);
    if (entry === undefined || entry.outcome !== undefined) return false;
    entry.controller.abort();
    return true;
  }

  /** Cancels every pending login. */
  close(): void {
    for (const id of this.logins.keys()) this.cancel(id);
  }

  private async startCopilot(): Promise<LoginTicket> {
    const github = this.require(this.github, 'copilot');
    const code = await github.start();
    const ticket = this.ticket('copilot', code.user_code, code.verification_uri, undefined, code.expires_in, code.interval);
    return this.track(ticket, async (signal) => {
      const credential = await github.poll(code.device_code, code.interval, { expiresIn: code.expires_in, signal });
      return this.copilotTokens === undefined ? credential : this.copilotTokens.exchange(credential);
    });
  }

  private async startKiro(options: KiroLoginOptions): Promise<LoginTicket> {
    const oidc = this.require(this.oidc, 'kiro');
    const method = options.method ?? 'builder-id';
    if (method !== 'builder-id' && method !== 'idc') throw new GatewayError(400, 'invalid_request', 'the Kiro login method is builder-id or idc', { param: 'method' });
    const region = options.region ?? this.kiroRegion;
    if (!isAwsRegion(region)) throw new GatewayError(400, 'invalid_request', `"${region}" is not an AWS region`, { param: 'region' });
    const startUrl = method === 'builder-id' ? BUILDER_ID_START_URL : checkStartUrl(options.startUrl ?? this.kiroStartUrl);

    const registration = await oidc.ensureRegistration(this.storedRegistration(region, startUrl), region);
    const authorization = await oidc.startDeviceAuthorization(registration, startUrl, region);
    const ticket = this.ticket('kiro', authorization.userCode, authorization.verificationUri, authorization.verificationUriComplete, authorization.expiresIn, authorization.interval);
    return this.track(ticket, async (signal) => {
      const tokens = await oidc.poll(registration, authorization.deviceCode, authorization.interval, region, { expiresIn: authorization.expiresIn, signal });
      const now = this.now();
      const credential: KiroCredential = {
        id: newCredentialId('kiro'),
        provider: 'kiro',
        type: 'oauth_device_flow',
        label: startUrl,
        access_token: tokens.accessToken,
        ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
        expires_at: isoTime(now + tokens.expiresIn * 1000),
        created_at: isoTime(now),
        updated_at: isoTime(now),
        status: 'active',
        region,
        auth_method: method,
        start_url: startUrl,
        client_id: registration.clientId,
        client_secret: registration.clientSecret,
        client_secret_expires_at: isoTime(registration.clientSecretExpiresAt * 1000),
      };
      return credential;
    });
  }

  /** A still-valid client registration some stored Kiro credential holds for this region and start URL. */
  private storedRegistration(region: string, startUrl: string): ClientRegistration | undefined {
    for (const credential of this.store.list()) {
      if (credential.provider !== 'kiro' || credential.region !== region || credential.start_url !== startUrl) continue;
      const expiresAt = timeOf(credential.client_secret_expires_at);
      if (credential.client_id === undefined || credential.client_secret === undefined || expiresAt === undefined) continue;
      if (expiresAt <= this.now()) continue;
      return { clientId: credential.client_id, clientSecret: credential.client_secret, clientSecretExpiresAt: Math.floor(expiresAt / 1000) };
    }
    return undefined;
  }

  private ticket(provider: LoginProvider, userCode: string, uri: string, complete: string | undefined, expiresIn: number, interval: number): LoginTicket {
    return {
      login_id: randomUUID(),
      provider,
      user_code: userCode,
      verification_uri: uri,
      ...(complete === undefined ? {} : { verification_uri_complete: complete }),
      expires_at: isoTime(this.now() + expiresIn * 1000),
      interval,
    };
  }

  private track(ticket: LoginTicket, obtain: (signal: AbortSignal) => Promise<Credential>): LoginTicket {
    const controller = new AbortController();
    const base = { login_id: ticket.login_id, provider: ticket.provider };
    const entry: LoginEntry = { ticket, outcome: undefined, finishedAt: undefined, controller, done: Promise.resolve({ status: 'pending', ...ticket }) };
    entry.done = (async (): Promise<LoginStatus> => {
      try {
        const saved = await this.store.save(await obtain(controller.signal));
        return { status: 'success', ...base, credential_id: saved.id, label: saved.label };
      } catch (error) {
        return { status: 'failed', ...base, ...failureOf(error) };
      }
    })().then((outcome) => {
      entry.outcome = outcome;
      entry.finishedAt = this.now();
      return outcome;
    });
    this.logins.set(ticket.login_id, entry);
    return ticket;
  }

  private forgetOld(): void {
    const now = this.now();
    for (const [id, entry] of this.logins) {
      if (entry.finishedAt !== undefined && now - entry.finishedAt > this.retentionMs) this.logins.delete(id);
    }
  }

  private require<T>(flow: T | undefined, provider: LoginProvider): T {
    if (flow === undefined) throw new GatewayError(500, 'internal_error', `device login for ${provider} is not configured`);
    return flow;
  }
}

function checkStartUrl(startUrl: string | undefined): string {
  if (startUrl === undefined || startUrl === '') {
    throw new GatewayError(400, 'invalid_request', 'an Identity Center login needs the organisation\'s start URL', { param: 'start_url' });
  }
  let url: URL;
  try {
    url = new URL(startUrl);
  } catch {
    throw new GatewayError(400, 'invalid_request', 'the start URL is not a URL', { param: 'start_url' });
  }
  if (url.protocol !== 'https:') throw new GatewayError(400, 'invalid_request', 'the start URL must be https', { param: 'start_url' });
  return startUrl;
}

/** A reason a person can read and a stable code; nothing from outside a GatewayError's message. */
function failureOf(error: unknown): { reason: string; error: string } {
  if (!isGatewayError(error)) return { reason: 'the login failed with an internal error', error: 'internal_error' };
  const authError = error.details?.auth_error;
  return { reason: error.message, error: typeof authError === 'string' ? authError : error.code };
}
