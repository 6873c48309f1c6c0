/**
 * The credential record of the OAuth providers, exactly as it sits on disk (snake_case
 * JSON, one file per credential), and its validation. A record read from disk is checked
 * here before anything trusts it: a broken file is a reason string, never a throw.
 * Fields this module does not know are kept as they are, so a newer version's records
 * survive a round trip through an older one.
 */
import { randomBytes } from 'node:crypto';

export type CredentialProvider = 'copilot' | 'kiro';
export type CredentialStatus = 'active' | 'invalid';
export type KiroAuthMethod = 'builder-id' | 'idc' | 'social';

/** The seed's quota shape. `null` counts (and `unlimited: true`) mean no limit applies. */
export interface CredentialQuota {
  limit: number | null;
  used: number | null;
  remaining: number | null;
  /** ISO time the quota resets, when the provider says. */
  reset_at?: string;
  unlimited?: boolean;
}

interface CredentialBase {
  id: string;
  type: 'oauth_device_flow';
  /** Who this is, for humans: a GitHub login, an AWS start URL. */
  label: string;
  access_token: string;
  refresh_token?: string;
  /** ISO time `access_token` stops working; absent when it does not expire. */
  expires_at?: string;
  created_at: string;
  updated_at: string;
  status: CredentialStatus;
  status_reason?: string;
  quota?: CredentialQuota;
}

/**
 * `access_token` and `github_token` both hold the GitHub OAuth token (`gho_…`, no expiry):
 * `access_token` for the seed's shape, `github_token` to say what it is. What goes on the
 * wire to Copilot is the short-lived API token cached beside it.
 */
export interface CopilotCredential extends CredentialBase {
  provider: 'copilot';
  github_token: string;
  copilot_token?: string;
  /** ISO time the cached Copilot API token expires. */
  copilot_expires_at?: string;
  /** `endpoints.api` of the last token exchange (`https://api.githubcopilot.com` or a plan-specific host). */
  api_endpoint?: string;
}

/** The client registration fields are absent for social logins imported from the Kiro IDE. */
export interface KiroCredential extends CredentialBase {
  provider: 'kiro';
  region: string;
  auth_method: KiroAuthMethod;
  start_url?: string;
  client_id?: string;
  client_secret?: string;
  /** ISO time the client registration expires (AWS gives unix seconds). */
  client_secret_expires_at?: string;
  /** Only social logins send it to Kiro. */
  profile_arn?: string;
}

export type Credential = CopilotCredential | KiroCredential;

export type ParseResult = { ok: true; credential: Credential } | { ok: false; reason: string };

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Regions are put into host names (`oidc.{region}.amazonaws.com`), so anything else, such as
 * `evil.example/x#`, would send a refresh token elsewhere.
 */
export function isAwsRegion(region: string): boolean {
  return REGION_PATTERN.test(region);
}

/** Ids become file names, so they are restricted to a safe alphabet. */
export function isValidCredentialId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** A fresh id such as `kiro-3f9c2a1b7d0e`; `hint` (a login name) makes it readable and stable. */
export function newCredentialId(provider: CredentialProvider, hint?: string): string {
  if (hint !== undefined) {
    const slug = hint.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 64);
    if (slug !== '') return `${provider}-${slug}`;
  }
  return `${provider}-${randomBytes(6).toString('hex')}`;
}

/** Checks an untrusted value (parsed JSON) and returns it typed, or the first thing wrong with it. */
export function parseCredential(value: unknown): ParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('not a JSON object');
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  const requireString = (key: string): void => {
    if (typeof record[key] !== 'string' || record[key] === '') problems.push(`${key} must be a non-empty string`);
  };
  const optionalString = (key: string): void => {
    if (record[key] !== undefined && typeof record[key] !== 'string') problems.push(`${key} must be a string`);
  };
  const optionalTime = (key: string): void => {
    const field = record[key];
    if (field === undefined) return;
    if (typeof field !== 'string' || Number.isNaN(Date.parse(field))) problems.push(`${key} must be an ISO date`);
  };

  requireString('id');
  if (typeof record.id === 'string' && record.id !== '' && !isValidCredentialId(record.id)) {
    problems.push('id may hold only letters, digits, ".", "_" and "-"');
  }
  if (record.provider !== 'copilot' && record.provider !== 'kiro') problems.push('provider must be "copilot" or "kiro"');
  if (record.type !== 'oauth_device_flow') problems.push('type must be "oauth_device_flow"');
  requireString('label');
  requireString('access_token');
  optionalString('refresh_token');
  optionalTime('expires_at');
  for (const key of ['created_at', 'updated_at']) {
    if (record[key] === undefined) problems.push(`${key} is missing`);
    else optionalTime(key);
  }
  if (record.status !== 'active' && record.status !== 'invalid') problems.push('status must be "active" or "invalid"');
  optionalString('status_reason');
  if (record.quota !== undefined) {
    const quotaProblem = checkQuota(record.quota);
    if (quotaProblem !== undefined) problems.push(quotaProblem);
  }

  if (record.provider === 'copilot') {
    requireString('github_token');
    optionalString('copilot_token');
    optionalTime('copilot_expires_at');
    optionalString('api_endpoint');
  } else if (record.provider === 'kiro') {
    requireString('region');
    if (typeof record.region === 'string' && record.region !== '' && !isAwsRegion(record.region)) problems.push('region must be an AWS region such as us-east-1');
    if (record.auth_method !== 'builder-id' && record.auth_method !== 'idc' && record.auth_method !== 'social') {
      problems.push('auth_method must be "builder-id", "idc" or "social"');
    }
    for (const key of ['start_url', 'client_id', 'client_secret', 'profile_arn']) optionalString(key);
    optionalTime('client_secret_expires_at');
  }

  if (problems.length > 0) return fail(problems.join('; '));
  return { ok: true, credential: record as unknown as Credential };
}

function checkQuota(quota: unknown): string | undefined {
  if (quota === null || typeof quota !== 'object' || Array.isArray(quota)) return 'quota must be an object';
  const fields = quota as Record<string, unknown>;
  for (const key of ['limit', 'used', 'remaining']) {
    const count = fields[key];
    if (count !== null && typeof count !== 'number') return `quota.${key} must be a number or null`;
  }
  if (fields.reset_at !== undefined && (typeof fields.reset_at !== 'string' || Number.isNaN(Date.parse(fields.reset_at)))) {
    return 'quota.reset_at must be an ISO date';
  }
  return undefined;
}

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}

/** Milliseconds since the epoch of an optional ISO field. */
export function timeOf(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? undefined : time;
}

export function isoTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString();
}
