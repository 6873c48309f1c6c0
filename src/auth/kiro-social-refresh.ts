/**
 * Refresh for Kiro's social logins (Google, GitHub), which the Kiro IDE makes through its
 * own auth service rather than AWS OIDC, so they carry no client registration. Such
 * credentials only arrive here by import; the endpoint is the one the IDE uses.
 */
import { endpointFailure, malformedAnswer, numberField, sendAuthRequest, stringField, type AuthHttpOptions } from './auth-http.ts';
import { GatewayError } from '../errors.ts';
import { isAwsRegion, isoTime, type KiroCredential } from './credential.ts';

export interface KiroSocialRefreshOptions extends AuthHttpOptions {
  /** `{region}` is replaced by the region. Default `https://prod.{region}.auth.desktop.kiro.dev/refreshToken`. */
  refreshUrl?: string;
  now?: () => number;
}

export class KiroSocialRefresh {
  private readonly http: AuthHttpOptions;
  private readonly refreshUrl: string;
  private readonly now: () => number;

  constructor(options: KiroSocialRefreshOptions) {
    this.http = options;
    this.refreshUrl = options.refreshUrl ?? 'https://prod.{region}.auth.desktop.kiro.dev/refreshToken';
    this.now = options.now ?? Date.now;
  }

  /** Refreshes (unsaved result); keeps the old refresh token and profile ARN when none come back. */
  async refresh(credential: KiroCredential): Promise<KiroCredential> {
    if (credential.refresh_token === undefined) {
      throw new GatewayError(401, 'unauthorized', `Kiro credential ${credential.id} has no refresh token; import or log in again`, {
        retryable: true,
        details: { credential_id: credential.id },
      });
    }
    if (!isAwsRegion(credential.region)) {
      throw new GatewayError(400, 'invalid_request', `Kiro credential ${credential.id} has no valid region`, { details: { credential_id: credential.id } });
    }
    const response = await sendAuthRequest(this.http, {
      method: 'POST',
      url: this.refreshUrl.replaceAll('{region}', credential.region),
      json: { refreshToken: credential.refresh_token },
    });
    if (response.status !== 200) throw endpointFailure('Kiro token refresh', response);
    const accessToken = stringField(response.body, 'accessToken');
    if (accessToken === undefined) throw malformedAnswer('Kiro token refresh', 'accessToken');
    const profileArn = stringField(response.body, 'profileArn') ?? credential.profile_arn;
    return {
      ...credential,
      access_token: accessToken,
      refresh_token: stringField(response.body, 'refreshToken') ?? credential.refresh_token,
      expires_at: isoTime(this.now() + (numberField(response.body, 'expiresIn') ?? 3600) * 1000),
      ...(profileArn === undefined ? {} : { profile_arn: profileArn }),
    };
  }
}
