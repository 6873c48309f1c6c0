/**
 * A Copilot account's quota, read from `GET /copilot_internal/user` and turned into the
 * seed's `quota: {limit, used, remaining}`. Premium requests are what runs out on paid
 * plans, so `premium_interactions` is the quota when present, `chat` otherwise; an
 * unlimited bucket has null counts and `unlimited: true`.
 */
import { endpointFailure, fieldsOf, malformedAnswer, sendAuthRequest, type AuthHttpOptions } from './auth-http.ts';
import { COPILOT_EDITOR_HEADERS } from './copilot-token.ts';
import type { CopilotCredential, CredentialQuota } from './credential.ts';

export interface CopilotQuotaOptions extends AuthHttpOptions {
  userUrl?: string;
  headers?: Record<string, string>;
}

export class CopilotQuotaReader {
  private readonly http: AuthHttpOptions;
  private readonly userUrl: string;
  private readonly headers: Record<string, string>;

  constructor(options: CopilotQuotaOptions) {
    this.http = options;
    this.userUrl = options.userUrl ?? 'https://api.github.com/copilot_internal/user';
    this.headers = options.headers ?? { ...COPILOT_EDITOR_HEADERS };
  }

  /** The account's current quota; store it as the credential's `quota`. */
  async fetchQuota(credential: CopilotCredential): Promise<CredentialQuota> {
    const response = await sendAuthRequest(this.http, {
      method: 'GET',
      url: this.userUrl,
      headers: { ...this.headers, authorization: `token ${credential.github_token}` },
    });
    if (response.status !== 200) throw endpointFailure('Copilot user request', response);
    const quota = quotaFromCopilotUser(response.body);
    if (quota === undefined) throw malformedAnswer('Copilot user request', 'quota_snapshots');
    return quota;
  }
}

/** The seed's quota from a `copilot_internal/user` body; undefined when it has no snapshot to read. */
export function quotaFromCopilotUser(body: unknown): CredentialQuota | undefined {
  const snapshots = fieldsOf(fieldsOf(body).quota_snapshots);
  const bucket = fieldsOf(snapshots.premium_interactions ?? snapshots.chat);
  if (Object.keys(bucket).length === 0) return undefined;
  const resetAt = resetTime(fieldsOf(body));
  const reset = resetAt === undefined ? {} : { reset_at: resetAt };
  if (bucket.unlimited === true) return { limit: null, used: null, remaining: null, unlimited: true, ...reset };
  const limit = typeof bucket.entitlement === 'number' ? bucket.entitlement : null;
  const remaining = typeof bucket.remaining === 'number' ? bucket.remaining : null;
  const used = limit !== null && remaining !== null ? Math.max(0, limit - remaining) : null;
  return { limit, used, remaining, ...reset };
}

function resetTime(body: Record<string, unknown>): string | undefined {
  for (const key of ['quota_reset_date_utc', 'quota_reset_date']) {
    const value = body[key];
    if (typeof value !== 'string') continue;
    const time = Date.parse(value);
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return undefined;
}
