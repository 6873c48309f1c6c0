/**
 * Copilot's API token: the GitHub OAuth token is exchanged for a short-lived token (about
 * 30 minutes) and the API host of the account's plan. The result is cached in the
 * credential record and reused until shortly before it expires. GitHub refusing the
 * exchange (401/403) means the account has no Copilot subscription, or its GitHub token was
 * revoked: either way the credential cannot serve, which callers learn from the error's
 * `auth_error: "no_copilot_subscription"`.
 */
import { GatewayError } from '../errors.ts';
import { endpointFailure, fieldsOf, malformedAnswer, numberField, sendAuthRequest, stringField, type AuthHttpOptions } from './auth-http.ts';
import { isoTime, timeOf, type CopilotCredential } from './credential.ts';

export const DEFAULT_COPILOT_API_ENDPOINT = 'https://api.githubcopilot.com';

/** Headers Copilot's internal endpoints expect from an editor. */
export const COPILOT_EDITOR_HEADERS: Readonly<Record<string, string>> = {
  'editor-version': 'vscode/1.99.3',
  'editor-plugin-version': 'copilot-chat/0.26.7',
  'user-agent': 'GitHubCopilotChat/0.26.7',
  'x-github-api-version': '2025-04-01',
};

export interface CopilotTokenOptions extends AuthHttpOptions {
  tokenUrl?: string;
  /** How long before `expires_at` a cached token is replaced. Default 5 minutes. */
  leadMs?: number;
  now?: () => number;
  /** Replaces `COPILOT_EDITOR_HEADERS`. */
  headers?: Record<string, string>;
}

export interface CopilotApiToken {
  token: string;
  apiEndpoint: string;
  /** The credential with the token cached in it (the input itself when nothing changed). */
  credential: CopilotCredential;
  /** Whether this call asked GitHub (the caller should save `credential`). */
  exchanged: boolean;
}

export class CopilotTokenExchange {
  private readonly http: AuthHttpOptions;
  private readonly tokenUrl: string;
  private readonly leadMs: number;
  private readonly now: () => number;
  private readonly headers: Record<string, string>;

  constructor(options: CopilotTokenOptions) {
    this.http = options;
    this.tokenUrl = options.tokenUrl ?? 'https://api.github.com/copilot_internal/v2/token';
    this.leadMs = options.leadMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.headers = options.headers ?? { ...COPILOT_EDITOR_HEADERS };
  }

  /** Whether the cached API token is good for at least the lead time. */
  isCached(credential: CopilotCredential): boolean {
    const expiresAt = timeOf(credential.copilot_expires_at);
    return credential.copilot_token !== undefined && expiresAt !== undefined && this.now() < expiresAt - this.leadMs;
  }

  /** The cached API token when still good, else a fresh exchange. */
  async getApiToken(credential: CopilotCredential): Promise<CopilotApiToken> {
    if (this.isCached(credential) && credential.copilot_token !== undefined) {
      return { token: credential.copilot_token, apiEndpoint: credential.api_endpoint ?? DEFAULT_COPILOT_API_ENDPOINT, credential, exchanged: false };
    }
    const updated = await this.exchange(credential);
    return { token: updated.copilot_token as string, apiEndpoint: updated.api_endpoint as string, credential: updated, exchanged: true };
  }

  /** Always asks GitHub; returns the credential with the new token cached in it (unsaved). */
  async exchange(credential: CopilotCredential): Promise<CopilotCredential> {
    const response = await sendAuthRequest(this.http, {
      method: 'GET',
      url: this.tokenUrl,
      headers: { ...this.headers, authorization: `token ${credential.github_token}` },
    });
    if (response.status === 401 || response.status === 403) {
      throw new GatewayError(
        403,
        'forbidden',
        `GitHub account ${credential.label} has no Copilot subscription, or its GitHub token was revoked (HTTP ${response.status} from the Copilot token exchange); log in again with an account that has Copilot`,
        { retryable: true, details: { auth_error: 'no_copilot_subscription', credential_id: credential.id, upstream_status: response.status } },
      );
    }
    if (response.status !== 200) throw endpointFailure('Copilot token exchange', response);
    const token = stringField(response.body, 'token');
    const expiresAt = numberField(response.body, 'expires_at');
    if (token === undefined || expiresAt === undefined) throw malformedAnswer('Copilot token exchange', 'token and expires_at');
    const endpoints = fieldsOf(fieldsOf(response.body).endpoints);
    const api = typeof endpoints.api === 'string' && endpoints.api !== '' ? endpoints.api.replace(/\/+$/, '') : DEFAULT_COPILOT_API_ENDPOINT;
    return {
      ...credential,
      copilot_token: token,
      copilot_expires_at: isoTime(expiresAt * 1000),
      api_endpoint: api,
    };
  }
}
