/**
 * Usable access tokens for stored credentials. A token is refreshed `leadMs` before it
 * expires (default 10 minutes), once per credential at a time however many requests wait
 * for it: concurrent callers share one refresh (and, through the `lock` hook, instances can
 * share one too). The refreshed record is saved. A refresh the provider refuses marks the
 * credential `invalid` with the reason, so routing moves on to the next candidate; a
 * refresh that fails on the way (5xx, timeout, unreachable) leaves the credential as it
 * was and serves the old token while it still works.
 */
import { GatewayError, toGatewayError } from '../errors.ts';
import type { Credential, CredentialProvider } from './credential.ts';

/** How one provider's credentials are used and renewed. */
export interface CredentialRenewer {
  /** The token that goes on the wire, when the record holds one. */
  accessToken(credential: Credential): string | undefined;
  /** Epoch milliseconds the token stops working; undefined when it does not expire. */
  expiresAt(credential: Credential): number | undefined;
  /** A renewed record (not yet saved). */
  renew(credential: Credential): Promise<Credential>;
}

/** The part of `TokenStore` the refresher needs. */
export interface CredentialSource {
  get(id: string): Credential | undefined;
  save(credential: Credential): Promise<Credential>;
  /** Changes the latest stored version in turn with other writes (`TokenStore.update`). */
  update?(id: string, change: (current: Credential) => Credential): Promise<Credential | undefined>;
}

export type ReleaseLock = () => void | Promise<void>;

export interface TokenRefresherOptions {
  store: CredentialSource;
  renewers: Partial<Record<CredentialProvider, CredentialRenewer>>;
  /** Refresh this long before expiry. Default 10 minutes. */
  leadMs?: number;
  now?: () => number;
  /** A cross-instance lock around each refresh, for a shared state layer. */
  lock?: (id: string) => Promise<ReleaseLock>;
}

export interface UsableCredential {
  accessToken: string;
  credential: Credential;
}

export const DEFAULT_REFRESH_LEAD_MS = 10 * 60_000;

export class TokenRefresher {
  private readonly store: CredentialSource;
  private readonly renewers: Partial<Record<CredentialProvider, CredentialRenewer>>;
  private readonly leadMs: number;
  private readonly now: () => number;
  private readonly lock: ((id: string) => Promise<ReleaseLock>) | undefined;
  private readonly inFlight = new Map<string, Promise<UsableCredential>>();

  constructor(options: TokenRefresherOptions) {
    this.store = options.store;
    this.renewers = options.renewers;
    this.leadMs = options.leadMs ?? DEFAULT_REFRESH_LEAD_MS;
    this.now = options.now ?? Date.now;
    this.lock = options.lock;
  }

  /** A token good for at least the lead time (or the last one, while a transient failure lasts). */
  async getAccessToken(id: string): Promise<string> {
    return (await this.getUsableCredential(id)).accessToken;
  }

  /** The token with the record it belongs to (Copilot callers need its `api_endpoint`). */
  async getUsableCredential(id: string): Promise<UsableCredential> {
    const credential = this.lookup(id);
    const renewer = this.renewerOf(credential);
    const token = renewer.accessToken(credential);
    if (token !== undefined && !this.isDue(credential, renewer)) return { accessToken: token, credential };
    return this.refreshOnce(id, false);
  }

  /** Refreshes now whatever the expiry says (after an upstream 401, say); shared like any refresh. */
  refresh(id: string): Promise<UsableCredential> {
    return this.refreshOnce(id, true);
  }

  /** Whether a record's token is missing or within the lead time of its expiry. */
  needsRefresh(credential: Credential): boolean {
    const renewer = this.renewerOf(credential);
    return renewer.accessToken(credential) === undefined || this.isDue(credential, renewer);
  }

  private isDue(credential: Credential, renewer: CredentialRenewer): boolean {
    const expiresAt = renewer.expiresAt(credential);
    return expiresAt !== undefined && this.now() >= expiresAt - this.leadMs;
  }

  private refreshOnce(id: string, force: boolean): Promise<UsableCredential> {
    const running = this.inFlight.get(id);
    if (running !== undefined) return running;
    const started = this.runRefresh(id, force).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, started);
    return started;
  }

  private async runRefresh(id: string, force: boolean): Promise<UsableCredential> {
    const before = this.renewerOf(this.lookup(id)).accessToken(this.lookup(id));
    const release = this.lock === undefined ? undefined : await this.lock(id);
    try {
      // Read again under the lock: whoever held it may have refreshed already.
      const current = this.lookup(id);
      const renewer = this.renewerOf(current);
      const token = renewer.accessToken(current);
      if (!force && token !== undefined && !this.isDue(current, renewer)) return { accessToken: token, credential: current };
      // A forced refresh (after a 401) is moot when another holder of the lock (another
      // instance, say) replaced the token meanwhile: the refused token is gone already.
      if (force && token !== undefined && token !== before && !this.isDue(current, renewer)) return { accessToken: token, credential: current };
      let renewed: Credential;
      try {
        renewed = await renewer.renew(current);
      } catch (error) {
        return await this.failed(current, renewer, toGatewayError(error), force);
      }
      // Only what the renewal changed is written over the latest record: a quota saved
      // while the refresh was on the way must not be put back to what it was.
      const changes = changedFields(current, renewed);
      const saved = await this.write(id, current, (latest) => {
        const { status_reason: _dropped, ...rest } = { ...latest, ...changes } as Credential;
        return { ...rest, status: 'active' } as Credential;
      });
      const fresh = renewer.accessToken(saved);
      if (fresh === undefined) throw new GatewayError(502, 'upstream_protocol_error', `refreshing credential ${id} gave no access token`);
      return { accessToken: fresh, credential: saved };
    } finally {
      await release?.();
    }
  }

  private async failed(current: Credential, renewer: CredentialRenewer, error: GatewayError, force: boolean): Promise<UsableCredential> {
    if (error.status >= 500) {
      const token = renewer.accessToken(current);
      const expiresAt = renewer.expiresAt(current);
      if (!force && token !== undefined && (expiresAt === undefined || this.now() < expiresAt)) return { accessToken: token, credential: current };
      throw error;
    }
    const reason = `refresh failed: ${error.message}`;
    await this.write(current.id, current, (latest) => ({ ...latest, status: 'invalid', status_reason: reason }));
    throw credentialInvalid(current.id, reason, error);
  }

  private async write(id: string, read: Credential, change: (latest: Credential) => Credential): Promise<Credential> {
    if (this.store.update === undefined) return this.store.save(change(read));
    const saved = await this.store.update(id, change);
    if (saved === undefined) throw new GatewayError(503, 'no_credentials', `credential ${id} was removed while it was being refreshed`, { retryable: true, details: { credential_id: id } });
    return saved;
  }

  private lookup(id: string): Credential {
    const credential = this.store.get(id);
    if (credential === undefined) {
      throw new GatewayError(503, 'no_credentials', `no stored credential ${id}`, { retryable: true, details: { credential_id: id } });
    }
    if (credential.status === 'invalid') throw credentialInvalid(id, credential.status_reason ?? 'marked invalid');
    return credential;
  }

  private renewerOf(credential: Credential): CredentialRenewer {
    const renewer = this.renewers[credential.provider];
    if (renewer === undefined) throw new GatewayError(500, 'internal_error', `no token refresh configured for ${credential.provider}`);
    return renewer;
  }
}

/**
 * The credential cannot serve until someone logs in again. `code` is `unauthorized`
 * (there is no `credential_invalid` code yet); `details.auth_error` says `credential_invalid`.
 */
export function credentialInvalid(id: string, reason: string, cause?: unknown): GatewayError {
  return new GatewayError(401, 'unauthorized', `credential ${id} is invalid: ${reason}`, {
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
    details: { auth_error: 'credential_invalid', credential_id: id, reason },
  });
}

/** The fields `after` sets differently from `before`. */
function changedFields(before: Credential, after: Credential): Partial<Credential> {
  const previous = before as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(after).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(previous[key]))) as Partial<Credential>;
}
