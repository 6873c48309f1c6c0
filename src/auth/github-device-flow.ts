/**
 * GitHub's device flow with the Copilot editor client id: ask for a device code, poll the
 * token endpoint until the user has typed the code in, then read the account's login to
 * name the credential. GitHub OAuth tokens do not expire, so the record has no refresh
 * token; the short-lived Copilot API token is a separate exchange (`copilot-token.ts`).
 */
import { endpointFailure, fieldsOf, malformedAnswer, numberField, sendAuthRequest, stringField, type AuthHttpOptions } from './auth-http.ts';
import { isoTime, newCredentialId, type CopilotCredential } from './credential.ts';
import { loginDenied, loginExpired, pollDeviceAuthorization, realSleep, type Sleep } from './device-poll.ts';

export const COPILOT_GITHUB_CLIENT_ID = 'Iv1.b507a08c87ecfe98';

export interface GitHubDeviceFlowOptions extends AuthHttpOptions {
  clientId?: string;
  scope?: string;
  deviceCodeUrl?: string;
  accessTokenUrl?: string;
  userUrl?: string;
  now?: () => number;
  sleep?: Sleep;
}

/** GitHub's answer to the device code request, as GitHub names it. */
export interface GitHubDeviceCode {
  device_code: string;
  user_code: string;
  verification_uri: string;
  /** Seconds. */
  expires_in: number;
  /** Seconds between polls. */
  interval: number;
}

export interface PollControl {
  /** Seconds the device code lives (from `start()`); polling stops after it. */
  expiresIn?: number;
  signal?: AbortSignal;
}

const WHAT = 'GitHub';

export class GitHubDeviceFlow {
  private readonly http: AuthHttpOptions;
  private readonly clientId: string;
  private readonly scope: string;
  private readonly deviceCodeUrl: string;
  private readonly accessTokenUrl: string;
  private readonly userUrl: string;
  private readonly now: () => number;
  private readonly sleep: Sleep;

  constructor(options: GitHubDeviceFlowOptions) {
    this.http = options;
    this.clientId = options.clientId ?? COPILOT_GITHUB_CLIENT_ID;
    this.scope = options.scope ?? 'read:user';
    this.deviceCodeUrl = options.deviceCodeUrl ?? 'https://github.com/login/device/code';
    this.accessTokenUrl = options.accessTokenUrl ?? 'https://github.com/login/oauth/access_token';
    this.userUrl = options.userUrl ?? 'https://api.github.com/user';
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  /** Asks GitHub for a device code and the user code to show. */
  async start(): Promise<GitHubDeviceCode> {
    const response = await sendAuthRequest(this.http, {
      method: 'POST',
      url: this.deviceCodeUrl,
      form: { client_id: this.clientId, scope: this.scope },
    });
    if (response.status !== 200 || stringField(response.body, 'error') !== undefined) throw endpointFailure('GitHub device code request', response);
    const deviceCode = stringField(response.body, 'device_code');
    const userCode = stringField(response.body, 'user_code');
    const verificationUri = stringField(response.body, 'verification_uri');
    if (deviceCode === undefined || userCode === undefined || verificationUri === undefined) {
      throw malformedAnswer('GitHub device code request', 'device_code, user_code and verification_uri');
    }
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      expires_in: numberField(response.body, 'expires_in') ?? 900,
      interval: numberField(response.body, 'interval') ?? 5,
    };
  }

  /**
   * Polls until the user authorizes, then names the account and returns a new (unsaved)
   * credential record. Rejects with `auth_error` `expired_token` or `access_denied`.
   */
  async poll(deviceCode: string, interval: number, control: PollControl = {}): Promise<CopilotCredential> {
    const githubToken = await this.waitForAccessToken(deviceCode, interval, control);
    const login = await this.fetchLogin(githubToken, control.signal);
    const now = isoTime(this.now());
    return {
      id: newCredentialId('copilot', login),
      provider: 'copilot',
      type: 'oauth_device_flow',
      label: login,
      access_token: githubToken,
      github_token: githubToken,
      created_at: now,
      updated_at: now,
      status: 'active',
    };
  }

  /** The polling half of `poll`: resolves with the GitHub OAuth token. */
  waitForAccessToken(deviceCode: string, interval: number, control: PollControl = {}): Promise<string> {
    return pollDeviceAuthorization<string>({
      what: WHAT,
      intervalSeconds: interval,
      ...(control.expiresIn === undefined ? {} : { expiresAt: this.now() + control.expiresIn * 1000 }),
      now: this.now,
      sleep: this.sleep,
      ...(control.signal === undefined ? {} : { signal: control.signal }),
      attempt: async () => {
        const response = await sendAuthRequest(this.http, {
          method: 'POST',
          url: this.accessTokenUrl,
          form: { client_id: this.clientId, device_code: deviceCode, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' },
          ...(control.signal === undefined ? {} : { signal: control.signal }),
        });
        // GitHub answers device-flow errors with 200 and an `error` field.
        const error = stringField(response.body, 'error');
        if (error === 'authorization_pending') return { state: 'pending' };
        if (error === 'slow_down') return { state: 'slow_down' };
        if (error === 'expired_token') throw loginExpired(WHAT);
        if (error === 'access_denied') throw loginDenied(WHAT);
        if (response.status !== 200 || error !== undefined) throw endpointFailure('GitHub token request', response);
        const token = stringField(response.body, 'access_token');
        if (token === undefined) throw malformedAnswer('GitHub token request', 'access_token');
        return { state: 'done', value: token };
      },
    });
  }

  /** The account's login (`GET /user`). */
  async fetchLogin(githubToken: string, signal?: AbortSignal): Promise<string> {
    const response = await sendAuthRequest(this.http, {
      method: 'GET',
      url: this.userUrl,
      headers: { authorization: `token ${githubToken}` },
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.status !== 200) throw endpointFailure('GitHub user request', response);
    const login = fieldsOf(response.body).login;
    if (typeof login !== 'string' || login === '') throw malformedAnswer('GitHub user request', 'login');
    return login;
  }
}
