/**
 * AWS SSO OIDC, the login behind Kiro for AWS Builder ID and IAM Identity Center:
 * register a public client (kept in the credential, registered again once its secret has
 * expired), start a device authorization for a start URL, poll for tokens, and refresh.
 * Bodies are JSON with camelCase keys; errors come as 400 with `error` (or an AWS
 * `__type` such as `AuthorizationPendingException`), both understood here.
 */
import { GatewayError } from '../errors.ts';
import { endpointFailure, fieldsOf, malformedAnswer, numberField, sendAuthRequest, stringField, type AuthHttpOptions, type AuthResponse } from './auth-http.ts';
import { isAwsRegion, isoTime, timeOf, type KiroCredential } from './credential.ts';
import { loginDenied, loginExpired, pollDeviceAuthorization, realSleep, type Sleep } from './device-poll.ts';

export const BUILDER_ID_START_URL = 'https://view.awsapps.com/start';
export const DEFAULT_KIRO_REGION = 'us-east-1';
export const KIRO_SCOPES: readonly string[] = [
  'codewhisperer:completions',
  'codewhisperer:analysis',
  'codewhisperer:conversations',
  'codewhisperer:transformations',
  'codewhisperer:taskassist',
];
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface AwsSsoOidcOptions extends AuthHttpOptions {
  /** `{region}` is replaced by the region. Default `https://oidc.{region}.amazonaws.com`. */
  endpoint?: string;
  clientName?: string;
  now?: () => number;
  sleep?: Sleep;
}

export interface ClientRegistration {
  clientId: string;
  clientSecret: string;
  /** Unix seconds. */
  clientSecretExpiresAt: number;
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds. */
  expiresIn: number;
  /** Seconds between polls. */
  interval: number;
}

export interface OidcTokens {
  accessToken: string;
  refreshToken?: string;
  /** Seconds. */
  expiresIn: number;
}

export interface OidcPollControl {
  expiresIn?: number;
  signal?: AbortSignal;
}

const AWS_ERROR_TYPES: Record<string, string> = {
  AuthorizationPendingException: 'authorization_pending',
  SlowDownException: 'slow_down',
  ExpiredTokenException: 'expired_token',
  AccessDeniedException: 'access_denied',
  InvalidGrantException: 'invalid_grant',
  InvalidClientException: 'invalid_client',
};

export class AwsSsoOidc {
  private readonly http: AuthHttpOptions;
  private readonly endpoint: string;
  private readonly clientName: string;
  private readonly now: () => number;
  private readonly sleep: Sleep;

  constructor(options: AwsSsoOidcOptions) {
    this.http = options;
    this.endpoint = options.endpoint ?? 'https://oidc.{region}.amazonaws.com';
    this.clientName = options.clientName ?? 'cliproxy';
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  /** Registers a public client for Kiro's scopes in a region. */
  async register(region: string = DEFAULT_KIRO_REGION): Promise<ClientRegistration> {
    const response = await this.post(region, '/client/register', {
      clientName: this.clientName,
      clientType: 'public',
      scopes: [...KIRO_SCOPES],
      grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'],
    });
    if (response.status !== 200) throw endpointFailure('AWS OIDC client registration', response);
    const clientId = stringField(response.body, 'clientId');
    const clientSecret = stringField(response.body, 'clientSecret');
    const expiresAt = numberField(response.body, 'clientSecretExpiresAt');
    if (clientId === undefined || clientSecret === undefined || expiresAt === undefined) {
      throw malformedAnswer('AWS OIDC client registration', 'clientId, clientSecret and clientSecretExpiresAt');
    }
    return { clientId, clientSecret, clientSecretExpiresAt: expiresAt };
  }

  /** The given registration while its secret is valid, else a new one. */
  async ensureRegistration(existing: ClientRegistration | undefined, region: string = DEFAULT_KIRO_REGION): Promise<ClientRegistration> {
    if (existing !== undefined && this.now() < existing.clientSecretExpiresAt * 1000) return existing;
    return this.register(region);
  }

  /** Starts a device authorization; Builder ID uses `BUILDER_ID_START_URL`, Identity Center the organisation's URL. */
  async startDeviceAuthorization(registration: ClientRegistration, startUrl: string, region: string = DEFAULT_KIRO_REGION): Promise<DeviceAuthorization> {
    const response = await this.post(region, '/device_authorization', {
      clientId: registration.clientId,
      clientSecret: registration.clientSecret,
      startUrl,
    });
    if (response.status !== 200) throw endpointFailure('AWS OIDC device authorization', response);
    const deviceCode = stringField(response.body, 'deviceCode');
    const userCode = stringField(response.body, 'userCode');
    const verificationUri = stringField(response.body, 'verificationUri');
    if (deviceCode === undefined || userCode === undefined || verificationUri === undefined) {
      throw malformedAnswer('AWS OIDC device authorization', 'deviceCode, userCode and verificationUri');
    }
    const complete = stringField(response.body, 'verificationUriComplete');
    return {
      deviceCode,
      userCode,
      verificationUri,
      ...(complete === undefined ? {} : { verificationUriComplete: complete }),
      expiresIn: numberField(response.body, 'expiresIn') ?? 600,
      interval: numberField(response.body, 'interval') ?? 5,
    };
  }

  /** Polls `/token` until the user approves; rejects with `auth_error` `expired_token` or `access_denied`. */
  poll(registration: ClientRegistration, deviceCode: string, interval: number, region: string = DEFAULT_KIRO_REGION, control: OidcPollControl = {}): Promise<OidcTokens> {
    const what = 'AWS';
    return pollDeviceAuthorization<OidcTokens>({
      what,
      intervalSeconds: interval,
      ...(control.expiresIn === undefined ? {} : { expiresAt: this.now() + control.expiresIn * 1000 }),
      now: this.now,
      sleep: this.sleep,
      ...(control.signal === undefined ? {} : { signal: control.signal }),
      attempt: async () => {
        const response = await this.post(region, '/token', {
          clientId: registration.clientId,
          clientSecret: registration.clientSecret,
          deviceCode,
          grantType: DEVICE_CODE_GRANT,
        }, control.signal);
        if (response.status === 200) return { state: 'done', value: tokensOf(response, 'AWS OIDC token request') };
        const error = oidcErrorCode(response);
        if (error === 'authorization_pending') return { state: 'pending' };
        if (error === 'slow_down') return { state: 'slow_down' };
        if (error === 'expired_token') throw loginExpired(what);
        if (error === 'access_denied') throw loginDenied(what);
        throw endpointFailure('AWS OIDC token request', response);
      },
    });
  }

  /**
   * Refreshes a Kiro credential's access token (unsaved result). AWS may omit a new
   * refresh token, in which case the old one stays.
   */
  async refresh(credential: KiroCredential): Promise<KiroCredential> {
    if (credential.refresh_token === undefined || credential.client_id === undefined || credential.client_secret === undefined) {
      throw new GatewayError(401, 'unauthorized', `Kiro credential ${credential.id} cannot be refreshed: it has no refresh token or client registration; log in again`, {
        retryable: true,
        details: { credential_id: credential.id },
      });
    }
    const response = await this.post(credential.region, '/token', {
      clientId: credential.client_id,
      clientSecret: credential.client_secret,
      refreshToken: credential.refresh_token,
      grantType: 'refresh_token',
    });
    if (response.status !== 200) {
      const failure = endpointFailure('AWS OIDC token refresh', response);
      const registrationExpiry = timeOf(credential.client_secret_expires_at);
      if (failure.status < 500 && registrationExpiry !== undefined && registrationExpiry <= this.now()) {
        throw new GatewayError(failure.status, failure.code, `${failure.message}; the client registration expired at ${credential.client_secret_expires_at}, log in again`, {
          retryable: failure.retryable,
          ...(failure.details === undefined ? {} : { details: failure.details }),
        });
      }
      throw failure;
    }
    const tokens = tokensOf(response, 'AWS OIDC token refresh');
    return {
      ...credential,
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken ?? credential.refresh_token,
      expires_at: isoTime(this.now() + tokens.expiresIn * 1000),
    };
  }

  /** The OIDC base URL for a region. */
  baseUrl(region: string): string {
    if (!isAwsRegion(region)) throw new GatewayError(400, 'invalid_request', `"${region}" is not an AWS region`, { param: 'region' });
    return this.endpoint.replaceAll('{region}', region).replace(/\/+$/, '');
  }

  private post(region: string, path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<AuthResponse> {
    return sendAuthRequest(this.http, {
      method: 'POST',
      url: `${this.baseUrl(region)}${path}`,
      json: body,
      ...(signal === undefined ? {} : { signal }),
    });
  }
}

function tokensOf(response: AuthResponse, what: string): OidcTokens {
  const accessToken = stringField(response.body, 'accessToken');
  if (accessToken === undefined) throw malformedAnswer(what, 'accessToken');
  const refreshToken = stringField(response.body, 'refreshToken');
  return {
    accessToken,
    ...(refreshToken === undefined ? {} : { refreshToken }),
    expiresIn: numberField(response.body, 'expiresIn') ?? 3600,
  };
}

function oidcErrorCode(response: AuthResponse): string | undefined {
  const error = stringField(response.body, 'error');
  if (error !== undefined) return error;
  const type = fieldsOf(response.body).__type;
  if (typeof type !== 'string') return undefined;
  const name = type.slice(type.lastIndexOf('#') + 1);
  return AWS_ERROR_TYPES[name];
}
