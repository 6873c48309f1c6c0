/**
 * Rate limits (the seed's ProviderLimits, plus per day): sliding windows in the state layer
 * for a provider, a credential, or a client key. A request reserves one request and its
 * estimated tokens in every window that applies, atomically per window and rolled back as a
 * whole when any window is full; after the call the token estimate is corrected with the
 * real usage.
 */
import type { Limits } from '../config/schema.ts';
import type { StateStore } from '../state/types.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface LimitScope {
  /** `provider:openai`, `credential:openai|<fingerprint>`, `client:team`. */
  key: string;
  /** How errors name it (`credential:openai|team`); defaults to the key. */
  label?: string;
  limits: Limits | undefined;
}

interface Held {
  key: string;
  id: string;
  tokens: boolean;
}

export interface Admission {
  ok: boolean;
  /** When refused: the earliest time a retry could pass, in ms from now. */
  retryAfterMs: number;
  /** When refused: which limit, e.g. `provider:openai requests_per_minute`. */
  limit?: string;
  held: Held[];
}

function windows(limits: Limits, tokens: number): Array<{ name: string; suffix: string; limit: number; windowMs: number; amount: number; tokens: boolean }> {
  const out = [];
  if (limits.requests_per_minute !== undefined) out.push({ name: 'requests_per_minute', suffix: 'rpm', limit: limits.requests_per_minute, windowMs: MINUTE, amount: 1, tokens: false });
  if (limits.requests_per_day !== undefined) out.push({ name: 'requests_per_day', suffix: 'rpd', limit: limits.requests_per_day, windowMs: DAY, amount: 1, tokens: false });
  if (limits.tokens_per_minute !== undefined) out.push({ name: 'tokens_per_minute', suffix: 'tpm', limit: limits.tokens_per_minute, windowMs: MINUTE, amount: tokens, tokens: true });
  if (limits.tokens_per_day !== undefined) out.push({ name: 'tokens_per_day', suffix: 'tpd', limit: limits.tokens_per_day, windowMs: DAY, amount: tokens, tokens: true });
  return out;
}

export class LimitBook {
  private readonly state: StateStore;
  private readonly now: () => number;

  constructor(state: StateStore, now: () => number) {
    this.state = state;
    this.now = now;
  }

  /** Reserves a request and `tokens` in every window of every scope, or nothing at all. */
  async admit(scopes: LimitScope[], tokens: number): Promise<Admission> {
    const held: Held[] = [];
    const now = this.now();
    for (const scope of scopes) {
      if (scope.limits === undefined) continue;
      for (const window of windows(scope.limits, tokens)) {
        const key = `${scope.key}:${window.suffix}`;
        const reservation = await this.state.reserve(key, window.limit, window.windowMs, window.amount, now);
        if (!reservation.allowed) {
          await this.release(held);
          return { ok: false, retryAfterMs: reservation.retryAfterMs, limit: `${scope.label ?? scope.key} ${window.name}`, held: [] };
        }
        if (reservation.id !== undefined) held.push({ key, id: reservation.id, tokens: window.tokens });
      }
    }
    return { ok: true, retryAfterMs: 0, held };
  }

  /** Replaces the token estimate with the real figure (requests stay counted). */
  async settle(held: Held[], actualTokens: number | undefined): Promise<void> {
    if (actualTokens === undefined || held.length === 0) return;
    for (const entry of held) if (entry.tokens) await this.state.adjust(entry.key, entry.id, actualTokens);
  }

  /** Gives everything back (the attempt never reached the upstream). */
  async release(held: Held[]): Promise<void> {
    for (const entry of held) await this.state.adjust(entry.key, entry.id, 0);
  }

  /** Current use of each configured window of a scope, for status pages. */
  async usage(scope: LimitScope): Promise<Record<string, { used: number; limit: number }>> {
    const out: Record<string, { used: number; limit: number }> = {};
    if (scope.limits === undefined) return out;
    const now = this.now();
    for (const window of windows(scope.limits, 0)) {
      out[window.name] = { used: await this.state.windowUsage(`${scope.key}:${window.suffix}`, window.windowMs, now), limit: window.limit };
    }
    return out;
  }
}
