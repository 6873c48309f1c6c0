/**
 * How each OAuth provider's credential is renewed, for `TokenRefresher`. Copilot's wire token
 * is the cached API token (renewed by a token exchange; the GitHub token itself never
 * expires); Kiro's is the OIDC access token, renewed with its refresh token through AWS
 * OIDC, or through Kiro's own service for imported social logins.
 */
import { GatewayError } from '../errors.ts';
import type { AwsSsoOidc } from './aws-sso-oidc.ts';
import type { CopilotTokenExchange } from './copilot-token.ts';
import { timeOf, type Credential, type CopilotCredential, type KiroCredential } from './credential.ts';
import type { KiroSocialRefresh } from './kiro-social-refresh.ts';
import type { CredentialRenewer } from './refresher.ts';

export function copilotRenewer(exchange: CopilotTokenExchange): CredentialRenewer {
  return {
    accessToken: (credential) => (credential.provider === 'copilot' ? credential.copilot_token : undefined),
    expiresAt: (credential) => (credential.provider === 'copilot' ? timeOf(credential.copilot_expires_at) ?? 0 : undefined),
    renew: async (credential) => exchange.exchange(expect<CopilotCredential>(credential, 'copilot')),
  };
}

export function kiroRenewer(oidc: AwsSsoOidc, social?: KiroSocialRefresh): CredentialRenewer {
  return {
    accessToken: (credential) => credential.access_token,
    expiresAt: (credential) => timeOf(credential.expires_at),
    renew: async (credential) => {
      const kiro = expect<KiroCredential>(credential, 'kiro');
      if (kiro.auth_method !== 'social') return oidc.refresh(kiro);
      if (social === undefined) throw new GatewayError(500, 'internal_error', 'no refresh configured for Kiro social logins');
      return social.refresh(kiro);
    },
  };
}

function expect<T extends Credential>(credential: Credential, provider: T['provider']): T {
  if (credential.provider !== provider) throw new GatewayError(500, 'internal_error', `a ${credential.provider} credential was given to the ${provider} renewer`);
  return credential as T;
}
