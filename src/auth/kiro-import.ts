/**
 * Import of the Kiro IDE's login: its token cache `~/.aws/sso/cache/kiro-auth-token.json`
 * and, for Builder ID and Identity Center logins, the client registration it points to
 * (`~/.aws/sso/cache/{clientIdHash}.json`), without which the token could not be
 * refreshed. Every failure says which file and what is wrong with it, never its content.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { fieldsOf, stringField } from './auth-http.ts';
import { BUILDER_ID_START_URL, DEFAULT_KIRO_REGION } from './aws-sso-oidc.ts';
import { isAwsRegion, isoTime, newCredentialId, type KiroAuthMethod, type KiroCredential } from './credential.ts';

export interface KiroImportOptions {
  /** The token cache file. Default `<home>/.aws/sso/cache/kiro-auth-token.json`. */
  file?: string;
  /** Default `os.homedir()`. */
  home?: string;
  now?: () => number;
  /** The new credential's id. Default a fresh `kiro-…` id. */
  id?: string;
}

/** Where the Kiro IDE keeps its token. */
export function kiroTokenCachePath(home: string = homedir()): string {
  return join(home, '.aws', 'sso', 'cache', 'kiro-auth-token.json');
}

/** Reads the Kiro IDE's token cache into a new (unsaved) credential record. */
export async function importKiroToken(options: KiroImportOptions = {}): Promise<KiroCredential> {
  const file = options.file ?? kiroTokenCachePath(options.home);
  const token = await readJsonFile(file, 'Kiro token cache', 'sign in with the Kiro IDE first, or name the file');
  const accessToken = stringField(token, 'accessToken');
  const refreshToken = stringField(token, 'refreshToken');
  const expiresAt = stringField(token, 'expiresAt');
  const missing = [accessToken === undefined ? 'accessToken' : '', refreshToken === undefined ? 'refreshToken' : ''].filter((key) => key !== '');
  if (missing.length > 0) throw broken(file, `it has no ${missing.join(' or ')}`);
  if (expiresAt !== undefined && Number.isNaN(Date.parse(expiresAt))) throw broken(file, 'its expiresAt is not a date');

  const method = authMethodOf(stringField(token, 'authMethod'), stringField(token, 'provider'));
  const region = stringField(token, 'region') ?? DEFAULT_KIRO_REGION;
  if (!isAwsRegion(region)) throw broken(file, 'its region is not an AWS region');
  const now = isoTime((options.now ?? Date.now)());
  const profileArn = stringField(token, 'profileArn');
  const credential: KiroCredential = {
    id: options.id ?? newCredentialId('kiro'),
    provider: 'kiro',
    type: 'oauth_device_flow',
    label: labelOf(method, stringField(token, 'provider')),
    access_token: accessToken as string,
    refresh_token: refreshToken as string,
    ...(expiresAt === undefined ? {} : { expires_at: new Date(expiresAt).toISOString() }),
    created_at: now,
    updated_at: now,
    status: 'active',
    region,
    auth_method: method,
    ...(method === 'builder-id' ? { start_url: BUILDER_ID_START_URL } : {}),
    ...(profileArn === undefined ? {} : { profile_arn: profileArn }),
  };
  if (method === 'social') return credential;

  const hash = stringField(token, 'clientIdHash');
  if (hash === undefined) throw broken(file, 'it has no clientIdHash, so its client registration cannot be found');
  if (!/^[A-Za-z0-9_-]+$/.test(hash)) throw broken(file, 'its clientIdHash is not a file name');
  const registrationFile = join(dirname(file), `${hash}.json`);
  const registration = await readJsonFile(registrationFile, 'Kiro client registration', 'sign in with the Kiro IDE again');
  const clientId = stringField(registration, 'clientId');
  const clientSecret = stringField(registration, 'clientSecret');
  if (clientId === undefined || clientSecret === undefined) throw broken(registrationFile, 'it has no clientId or clientSecret');
  const registrationExpiry = stringField(registration, 'expiresAt');
  return {
    ...credential,
    client_id: clientId,
    client_secret: clientSecret,
    ...(registrationExpiry === undefined || Number.isNaN(Date.parse(registrationExpiry))
      ? {}
      : { client_secret_expires_at: new Date(registrationExpiry).toISOString() }),
  };
}

/** The IDE writes `authMethod` "social" or "IdC", and `provider` "BuilderId", "Enterprise", "Google", "Github". */
function authMethodOf(authMethod: string | undefined, provider: string | undefined): KiroAuthMethod {
  if (authMethod?.toLowerCase() === 'social') return 'social';
  if (provider?.toLowerCase() === 'builderid') return 'builder-id';
  return 'idc';
}

function labelOf(method: KiroAuthMethod, provider: string | undefined): string {
  if (method === 'builder-id') return BUILDER_ID_START_URL;
  if (method === 'social') return `Kiro IDE (${provider ?? 'social'} login)`;
  return `Kiro IDE (${provider ?? 'Identity Center'})`;
}

async function readJsonFile(file: string, what: string, hint: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GatewayError(404, 'not_found', `no ${what} at ${file}: ${hint}`, { details: { file } });
    throw new GatewayError(400, 'invalid_request', `cannot read the ${what} ${file} (${code ?? 'error'})`, { details: { file } });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw broken(file, 'it is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw broken(file, 'it is not a JSON object');
  return fieldsOf(value);
}

function broken(file: string, why: string): GatewayError {
  return new GatewayError(400, 'invalid_request', `cannot import ${file}: ${why}`, { details: { file } });
}
