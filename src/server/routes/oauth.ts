/**
 * OAuth logins and credentials over HTTP, all behind the management key (loopback only when
 * none is set):
 * - `POST /v0/management/oauth/{copilot|kiro}/start` (Kiro body: `{method: "builder-id"|"idc",
 *   start_url, region}`) → `{login_id, user_code, verification_uri, verification_uri_complete,
 *   expires_at, interval}`;
 * - `GET /v0/management/oauth/{provider}/status?login_id=…` → `pending` (with the code),
 *   `success` (`credential_id`, `label`) or `failed` (`reason`);
 * - `GET /v0/management/credentials` lists stored credentials (never their tokens),
 *   `DELETE /v0/management/credentials/{id}` removes one;
 * - `GET /v0/oauth/{provider}`: the browser page for the same flow.
 */
import type { GatewayRequest, GatewayResponse } from '../types.ts';
import { GatewayError } from '../../errors.ts';
import type { OAuthCredentials, OAuthProvider } from '../../providers/oauth-credentials.ts';
import { parseJsonObject, readBody, sendJson } from '../http-io.ts';
import type { GatewayContext } from '../runtime.ts';
import { loginPage } from '../pages/login-page.ts';

const PROVIDERS = new Set(['copilot', 'kiro']);

function providerOf(name: string): OAuthProvider {
  if (!PROVIDERS.has(name)) throw new GatewayError(404, 'provider_not_found', `no device login for provider ${name} (copilot, kiro)`, { retryable: false });
  return name as OAuthProvider;
}

function oauthOf(context: GatewayContext): OAuthCredentials {
  if (context.oauth === undefined) throw new GatewayError(503, 'no_credentials', 'OAuth credentials are turned off in this gateway', { retryable: false });
  return context.oauth;
}

export async function startLoginRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, name: string): Promise<void> {
  context.current().auth.requireManagement(request);
  const provider = providerOf(name);
  const raw = await readBody(request, 64 * 1024);
  const body = raw.length === 0 ? {} : parseJsonObject(raw);
  const method = body.method;
  if (method !== undefined && method !== 'builder-id' && method !== 'idc') {
    throw new GatewayError(400, 'invalid_request', 'method must be "builder-id" or "idc"', { param: 'method', retryable: false });
  }
  const ticket = await oauthOf(context).logins.startLogin(provider, {
    method,
    startUrl: typeof body.start_url === 'string' && body.start_url !== '' ? body.start_url : undefined,
    region: typeof body.region === 'string' && body.region !== '' ? body.region : undefined,
  });
  context.logger.info({ provider, login_id: ticket.login_id }, 'device login started');
  sendJson(response, 200, ticket);
}

export function loginStatusRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, name: string, query: URLSearchParams): void {
  context.current().auth.requireManagement(request);
  providerOf(name);
  const loginId = query.get('login_id');
  if (loginId === null || loginId === '') throw new GatewayError(400, 'invalid_request', 'login_id is required', { param: 'login_id', retryable: false });
  const status = oauthOf(context).logins.status(loginId);
  if (status === undefined) throw new GatewayError(404, 'not_found', `no login ${loginId} (it may have finished more than 15 minutes ago)`, { retryable: false });
  sendJson(response, 200, status);
}

export function listCredentialsRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext): void {
  context.current().auth.requireManagement(request);
  const oauth = oauthOf(context);
  sendJson(response, 200, {
    object: 'list',
    data: [...oauth.describe('copilot').map((item) => ({ provider: 'copilot', ...item })), ...oauth.describe('kiro').map((item) => ({ provider: 'kiro', ...item }))],
    problems: oauth.store.problems(),
  });
}

export async function deleteCredentialRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, id: string): Promise<void> {
  context.current().auth.requireManagement(request);
  const deleted = await oauthOf(context).store.delete(id);
  if (!deleted) throw new GatewayError(404, 'not_found', `no credential ${id}`, { retryable: false });
  sendJson(response, 200, { deleted: id });
}

export function loginPageRoute(request: GatewayRequest, response: GatewayResponse, context: GatewayContext, name: string): void {
  const runtime = context.current();
  // The page holds no secret; with no management key it is still served to loopback only.
  if (runtime.config.managementKey === undefined) runtime.auth.requireManagement(request);
  const provider = providerOf(name);
  const html = loginPage(provider, runtime.config.managementKey !== undefined);
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'",
    'referrer-policy': 'no-referrer',
  });
  response.end(html);
}
